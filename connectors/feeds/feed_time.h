// Date and time formats of the feeds, parsed to Unix seconds (UTC) without
// the C library's time zone machinery:
//   ISO 8601 / RFC 3339  2018-08-15T14:52:00-08:00, ...Z, fractional seconds
//   RFC 822 (RSS)        Sun, 29 Dec 2019 12:00:00 GMT (or +hhmm)
//   dd-Mon-yy (SCMS)     02-Jun-06 (years 00-69 are 20xx, 70-99 19xx)
// Each returns nullopt for anything it does not fully understand.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_TIME_H_
#define RISKD_CONNECTORS_FEEDS_FEED_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace riskd::connectors {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day);

// "YYYY-MM-DD" of the UTC day containing unix_seconds.
std::string FormatDate(std::int64_t unix_seconds);

std::optional<std::int64_t> ParseIso8601(std::string_view text);
std::optional<std::int64_t> ParseRfc822(std::string_view text);
std::optional<std::int64_t> ParseDayMonthYear(std::string_view text);

inline constexpr std::int64_t kSecondsPerDay = 86400;

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_TIME_H_
