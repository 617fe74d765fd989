// IngestClock: the model clock as the ingest thread sees it, and the rules
// it applies to event times before anything is journaled (docs/protocol.md,
// "The model clock"). The engine keeps the clock itself (engine/engine.h);
// this is the ingest side:
//   - every status and disruption gets an event time: its occurred_at, or
//     the time it was received (CLOCK_MANUAL: the model clock's time),
//     written into the journaled Envelope so a replay places it the same;
//   - an event time more than clock.max_skew ahead of the clock is
//     rejected (invalid_argument);
//   - ClockTick envelopes are for CLOCK_MANUAL only (failed_precondition
//     otherwise) and move it forward only (invalid_argument); statuses and
//     disruptions wait for the first tick (failed_precondition).
//
// Thread-safety: belongs to the ingest thread.
#ifndef RISKD_DAEMON_INGEST_CLOCK_H_
#define RISKD_DAEMON_INGEST_CLOCK_H_

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "daemon/settings.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::daemon {

class IngestClock {
 public:
  // The clock keys take effect at the next start: a copy.
  explicit IngestClock(const ClockSettings& settings) : settings_(settings) {}

  // CLOCK_MANUAL: the model time the journal's last tick set (at start-up).
  void Set(std::optional<std::int64_t> unix_ns) { manual_ns_ = unix_ns; }
  std::optional<std::int64_t> manual_ns() const { return manual_ns_; }

  // Checks the event against the clock at `received_ns` (wall time) and
  // gives it the event time the daemon decides (occurred_at when missing);
  // a tick moves the manual clock. Returns whether *envelope changed (then
  // it is what must be journaled).
  Result<bool> Admit(riskd::v1::Envelope* envelope, std::int64_t received_ns);

 private:
  const ClockSettings settings_;
  std::optional<std::int64_t> manual_ns_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INGEST_CLOCK_H_
