#include "daemon/ingest_clock.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <string>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"

namespace riskd::daemon {
namespace {

std::string Iso(std::int64_t unix_ns) {
  google::protobuf::Timestamp t;
  connectors::SetTimestamp(unix_ns, &t);
  return google::protobuf::util::TimeUtil::ToString(t);
}

}  // namespace

Result<bool> IngestClock::Admit(riskd::v1::Envelope* env, std::int64_t received_ns) {
  using Body = riskd::v1::Envelope::BodyCase;
  if (env->body_case() == Body::kClockTick) {
    if (!settings_.manual) {
      return Status::FailedPrecondition(
          "clock_tick: the model clock follows the daemon's wall clock (clock.mode MODE_WALL); "
          "ticks are for clock.mode MODE_MANUAL");
    }
    const std::int64_t to = connectors::UnixNs(env->clock_tick().advance_to());
    if (manual_ns_ && to < *manual_ns_) {
      return Status::InvalidArgument("clock_tick.advance_to: " + Iso(to) +
                                     " is before the model clock (" + Iso(*manual_ns_) +
                                     "); the clock only moves forward");
    }
    manual_ns_ = to;
    return false;
  }
  if (env->body_case() != Body::kSupplierStatus && env->body_case() != Body::kDisruption) {
    return false;  // applied when it arrives, whatever its time
  }
  const char* body = env->has_disruption() ? "disruption" : "supplier_status";
  if (settings_.manual && !manual_ns_) {
    return Status::FailedPrecondition(std::string(body) +
                                      ": the model clock is not set yet: send a clock_tick first "
                                      "(clock.mode MODE_MANUAL)");
  }
  const std::int64_t now = settings_.manual ? *manual_ns_ : received_ns;
  if (!env->has_occurred_at()) {
    connectors::SetTimestamp(now, env->mutable_occurred_at());
    return true;
  }
  const std::int64_t at = connectors::UnixNs(env->occurred_at());
  const double ahead_s = static_cast<double>(at - now) * 1e-9;
  if (ahead_s > settings_.max_skew_seconds) {
    return Status::InvalidArgument(
        "occurred_at: " + Iso(at) + " is " + std::to_string(std::llround(ahead_s)) +
        " s ahead of the daemon's clock (" + Iso(now) + "; clock.max_skew " +
        std::to_string(std::llround(settings_.max_skew_seconds)) + " s)");
  }
  return false;
}

}  // namespace riskd::daemon
