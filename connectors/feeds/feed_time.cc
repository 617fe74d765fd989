#include "connectors/feeds/feed_time.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <string>

#include "connectors/csv/csv_reader.h"

namespace riskd::connectors {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

// Reads exactly `width` digits at *pos.
std::optional<int> Digits(std::string_view s, std::size_t* pos, std::size_t width) {
  if (*pos + width > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *pos += width;
  return v;
}

bool Expect(std::string_view s, std::size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

std::optional<unsigned> MonthNumber(std::string_view name) {
  if (name.size() != 3) return std::nullopt;
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == lower) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

bool ValidDate(int year, unsigned month, unsigned day) {
  static constexpr std::array<unsigned, 12> kDays = {31, 29, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

std::optional<std::int64_t> Compose(int year, unsigned month, unsigned day, int hour, int minute,
                                    int second, int offset_minutes) {
  if (!ValidDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second -
         offset_minutes * 60;
}

// "+hh:mm", "-hhmm", "Z" at *pos; minutes east of UTC.
std::optional<int> ZoneOffset(std::string_view s, std::size_t* pos) {
  if (*pos < s.size() && (s[*pos] == 'Z' || s[*pos] == 'z')) {
    ++*pos;
    return 0;
  }
  if (*pos >= s.size() || (s[*pos] != '+' && s[*pos] != '-')) return std::nullopt;
  const int sign = s[*pos] == '-' ? -1 : 1;
  ++*pos;
  auto hh = Digits(s, pos, 2);
  if (!hh) return std::nullopt;
  if (*pos < s.size() && s[*pos] == ':') ++*pos;
  auto mm = Digits(s, pos, 2);
  if (!mm || *hh > 23 || *mm > 59) return std::nullopt;
  return sign * (*hh * 60 + *mm);
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string FormatDate(std::int64_t unix_seconds) {
  // civil_from_days, the inverse of DaysFromCivil.
  const std::int64_t days = unix_seconds >= 0 ? unix_seconds / kSecondsPerDay
                                              : -((-unix_seconds - 1) / kSecondsPerDay) - 1;
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::optional<std::int64_t> ParseIso8601(std::string_view text) {
  const std::string_view s = Trim(text);
  std::size_t pos = 0;
  auto year = Digits(s, &pos, 4);
  if (!year || !Expect(s, &pos, '-')) return std::nullopt;
  auto month = Digits(s, &pos, 2);
  if (!month || !Expect(s, &pos, '-')) return std::nullopt;
  auto day = Digits(s, &pos, 2);
  if (!day) return std::nullopt;
  if (pos == s.size()) return Compose(*year, *month, *day, 0, 0, 0, 0);
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  auto hour = Digits(s, &pos, 2);
  if (!hour || !Expect(s, &pos, ':')) return std::nullopt;
  auto minute = Digits(s, &pos, 2);
  if (!minute || !Expect(s, &pos, ':')) return std::nullopt;
  auto second = Digits(s, &pos, 2);
  if (!second) return std::nullopt;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
  }
  int offset = 0;
  if (pos < s.size()) {
    auto zone = ZoneOffset(s, &pos);
    if (!zone || pos != s.size()) return std::nullopt;
    offset = *zone;
  }
  return Compose(*year, *month, *day, *hour, *minute, *second, offset);
}

std::optional<std::int64_t> ParseRfc822(std::string_view text) {
  std::string_view s = Trim(text);
  // Optional "Sun, " day name.
  if (const auto comma = s.find(','); comma != std::string_view::npos) {
    s = Trim(s.substr(comma + 1));
  }
  std::size_t pos = 0;
  std::optional<int> day = Digits(s, &pos, 2);
  if (!day) {
    pos = 0;
    day = Digits(s, &pos, 1);
  }
  if (!day || !Expect(s, &pos, ' ')) return std::nullopt;
  auto month = MonthNumber(s.substr(pos, 3));
  pos += 3;
  if (!month || !Expect(s, &pos, ' ')) return std::nullopt;
  auto year = Digits(s, &pos, 4);
  if (!year || !Expect(s, &pos, ' ')) return std::nullopt;
  auto hour = Digits(s, &pos, 2);
  if (!hour || !Expect(s, &pos, ':')) return std::nullopt;
  auto minute = Digits(s, &pos, 2);
  if (!minute) return std::nullopt;
  int second = 0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    auto sec = Digits(s, &pos, 2);
    if (!sec) return std::nullopt;
    second = *sec;
  }
  const std::string_view zone = Trim(s.substr(pos));
  int offset = 0;
  if (zone == "GMT" || zone == "UT" || zone == "UTC" || zone == "Z" || zone.empty()) {
    offset = 0;
  } else {
    std::size_t zpos = 0;
    auto z = ZoneOffset(zone, &zpos);
    if (!z || zpos != zone.size()) return std::nullopt;
    offset = *z;
  }
  return Compose(*year, *month, static_cast<unsigned>(*day), *hour, *minute, second, offset);
}

std::optional<std::int64_t> ParseDayMonthYear(std::string_view text) {
  const std::string_view s = Trim(text);
  std::size_t pos = 0;
  auto day = Digits(s, &pos, 2);
  if (!day || !Expect(s, &pos, '-')) return std::nullopt;
  auto month = MonthNumber(s.substr(pos, 3));
  pos += 3;
  if (!month || !Expect(s, &pos, '-')) return std::nullopt;
  int year = 0;
  if (s.size() - pos == 2) {
    auto yy = Digits(s, &pos, 2);
    if (!yy) return std::nullopt;
    year = *yy < 70 ? 2000 + *yy : 1900 + *yy;
  } else {
    auto yyyy = Digits(s, &pos, 4);
    if (!yyyy) return std::nullopt;
    year = *yyyy;
  }
  if (pos != s.size()) return std::nullopt;
  return Compose(year, *month, static_cast<unsigned>(*day), 0, 0, 0, 0);
}

}  // namespace riskd::connectors
