// Durations read from the config (google.protobuf.Duration), converted
// without overflow. Protobuf does not enforce Duration's documented range,
// so a config can carry any int64 of seconds; seconds * 10^9 overflowed on
// one the config fuzzer wrote (UBSan).
//
// Thread-safety: pure functions.
#ifndef RISKD_DAEMON_CONFIG_DURATION_H_
#define RISKD_DAEMON_CONFIG_DURATION_H_

#include <google/protobuf/duration.pb.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace riskd::daemon {

// The longest duration a config key takes: 100 years.
inline constexpr std::int64_t kMaxConfigDurationSeconds = 100LL * 366 * 24 * 3600;

// Nanoseconds; nullopt when negative, when nanos is outside 0..999999999,
// or when longer than kMaxConfigDurationSeconds.
inline std::optional<std::int64_t> DurationNs(const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || d.seconds() > kMaxConfigDurationSeconds || d.nanos() < 0 ||
      d.nanos() > 999'999'999) {
    return std::nullopt;
  }
  return d.seconds() * 1'000'000'000 + d.nanos();
}

// Milliseconds, with the seconds saturated at +-kMaxConfigDurationSeconds:
// for keys whose callers check the range of the result.
inline std::chrono::milliseconds SaturatedMillis(const google::protobuf::Duration& d) {
  const std::int64_t s =
      std::clamp<std::int64_t>(d.seconds(), -kMaxConfigDurationSeconds, kMaxConfigDurationSeconds);
  return std::chrono::milliseconds(s * 1000 + d.nanos() / 1'000'000);
}

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_CONFIG_DURATION_H_
