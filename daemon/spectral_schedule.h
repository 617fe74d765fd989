// SpectralSchedule: when the engine thread brings a projection's spectral
// radius up to date (docs/model.md section 9). The radius is a power
// iteration over every edge, about as long as a round's projection on 1M
// edges, and only summaries carry it; alerts do not depend on it. So while
// events are waiting a stale radius is postponed, and the summaries say
// which state theirs holds for (ProjectionSummary.spectral_radius_journal_seq),
// but for at most `max_wait` from the first postponement: under a steady
// load summaries still follow the state at least that often. The idle loop
// refreshes whatever is left (EngineWorker::RefreshPostponedSpectral).
//
// Not thread-safe: the engine thread owns it.
#ifndef RISKD_DAEMON_SPECTRAL_SCHEDULE_H_
#define RISKD_DAEMON_SPECTRAL_SCHEDULE_H_

#include <chrono>
#include <optional>

namespace riskd::daemon {

class SpectralSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SpectralSchedule(Clock::duration max_wait) : max_wait_(max_wait) {}

  // Whether a stale radius waits, at `now`, given whether events are
  // waiting. The first postponement starts the clock of max_wait.
  bool Postpone(bool events_waiting, Clock::time_point now);
  // The stale radii were brought up to date.
  void Refreshed() { postponed_since_.reset(); }

 private:
  Clock::duration max_wait_;
  std::optional<Clock::time_point> postponed_since_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_SPECTRAL_SCHEDULE_H_
