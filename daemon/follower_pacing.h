// When the stream follower (daemon/stream_event_log) tries again:
//   - RetryBackoff: the pause before a refused read's consumer is
//     re-created once more. It doubles from `first` up to `max` while the
//     refusals last (a leader that never gets the messages would otherwise
//     see several re-creations a second, forever) and is back at `first`
//     once a read is taken.
//   - FailureRun: a run of failed fetches. Fail(now) is true once the run
//     has lasted `span` since its first failure (then the follower
//     re-creates the consumer, and the next span starts); a success ends
//     the run. Counting from the last message read instead would re-create
//     a consumer on the first failure after any quiet spell longer than
//     `span`.
// Both take the time from the caller: no clock of their own.
//
// Thread-safety: none; the follower thread owns them.
#ifndef RISKD_DAEMON_FOLLOWER_PACING_H_
#define RISKD_DAEMON_FOLLOWER_PACING_H_

#include <chrono>
#include <optional>

namespace riskd::daemon {

class RetryBackoff {
 public:
  RetryBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
      : first_(first), max_(max), next_(first) {}
  // The pause to take now; the next one is twice as long, up to max.
  std::chrono::milliseconds Next();
  void Reset() { next_ = first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_;
};

class FailureRun {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FailureRun(Clock::duration span) : span_(span) {}
  // A failure at `now`: true when the run has lasted `span` since its
  // first failure (or since the last time this returned true).
  bool Fail(Clock::time_point now);
  // A success: the run is over.
  void Clear() { since_.reset(); }

 private:
  Clock::duration span_;
  std::optional<Clock::time_point> since_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_FOLLOWER_PACING_H_
