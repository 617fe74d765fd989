// Durations read from the config (google.protobuf.Duration), converted
// without overflow. Protobuf does not enforce Duration's documented range,
// so a config can carry any int64 of seconds; seconds * 10^9 overflowed on
// one the config fuzzer wrote (UBSan).
//
// Thread-safety: pure functions.
#ifndef RISKD_DAEMON_CONFIG_DURATION_H_
#define RISKD_DAEMON_CONFIG_DURATION_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

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

// Every google.protobuf.Duration set anywhere in `config` (nested and
// repeated messages too) is well formed: nanos 0..999,999,999 and seconds
// >= 0 (no config key takes a negative duration). Protobuf accepts any
// int32 of nanos, and the keys read as seconds + nanos * 1e-9 applied
// `{ seconds: 30 nanos: 2000000000 }` as 32 s. InvalidArgument naming the
// first offending key ("config: planner.min_interval ...", a repeated
// field's element as "hazard_durations[1].duration"). `prefix` is the key
// of `config` itself ("" for the whole config).
inline Status CheckConfigDurations(const google::protobuf::Message& config,
                                   const std::string& prefix = "") {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = config.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(config, &fields);  // only the fields set
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string key = prefix.empty() ? f->name() : prefix + "." + f->name();
    const int n = f->is_repeated() ? reflection->FieldSize(config, f) : 1;
    for (int i = 0; i < n; ++i) {
      const auto& m = f->is_repeated() ? reflection->GetRepeatedMessage(config, f, i)
                                       : reflection->GetMessage(config, f);
      const std::string at = f->is_repeated() ? key + "[" + std::to_string(i) + "]" : key;
      if (m.GetDescriptor() == google::protobuf::Duration::descriptor()) {
        const auto& d = static_cast<const google::protobuf::Duration&>(m);
        if (d.nanos() < 0 || d.nanos() > 999'999'999) {
          return Status::InvalidArgument("config: " + at + " has nanos " +
                                         std::to_string(d.nanos()) +
                                         ", outside 0..999999999 (whole seconds go in seconds)");
        }
        if (d.seconds() < 0) {
          return Status::InvalidArgument("config: " + at + " has seconds " +
                                         std::to_string(d.seconds()) + ", must be >= 0");
        }
        continue;
      }
      RISKD_RETURN_IF_ERROR(CheckConfigDurations(m, at));
    }
  }
  return Status::Ok();
}

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_CONFIG_DURATION_H_
