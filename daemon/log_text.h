// What the daemon writes to its log on behalf of others. Event ids, feed
// ids, node ids and reasons come from producers and feeds: a newline in an
// id would forge a log line, an escape sequence would drive the operator's
// terminal. LogSafe() makes such text inert. LogRateLimiter keeps a
// recurring error (a full disk fails every batch) to one line per interval
// that says how many it held back.
//
// Thread-safety: LogSafe is pure; a LogRateLimiter belongs to one thread.
#ifndef RISKD_DAEMON_LOG_TEXT_H_
#define RISKD_DAEMON_LOG_TEXT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace riskd::daemon {

// `text` with every control character (C0, DEL, C1 as UTF-8) written as
// \xNN (a backslash as \\), cut to `max_bytes` of input with "..." after.
std::string LogSafe(std::string_view text, std::size_t max_bytes = 256);

class LogRateLimiter {
 public:
  explicit LogRateLimiter(std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}

  // Whether a line may be written now: the number of lines held back since
  // the last one (write it, e.g. "(N similar suppressed)"), or nullopt.
  std::optional<std::uint64_t> Allow(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::chrono::steady_clock::duration interval_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_LOG_TEXT_H_
