// AnnouncementDeadline: how long a new term waits for its open incidents.
//
// A granted epoch is adopted (connectors/zmq/publisher.h) only with its
// announcement: the latest summaries and the open incidents, read back from
// the state store (EngineWorker::AnnounceEpoch). While that read fails the
// epoch is not adopted and nothing is published, so no alert goes out before
// its incident. But the lease is renewed all the while: a state store that
// keeps failing would keep the active instance silent and the standby out
// (an outage of both). So after the read has failed for `bound` since its
// first failure under an epoch, the epoch is adopted without the incidents
// (they go out at their next change, as before announcements existed).
//
// Thread-safety: the engine thread's.
#ifndef RISKD_DAEMON_ANNOUNCEMENT_DEADLINE_H_
#define RISKD_DAEMON_ANNOUNCEMENT_DEADLINE_H_

#include <chrono>
#include <cstdint>

namespace riskd::daemon {

class AnnouncementDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  // A few seconds: a store that is briefly busy (a checkpoint, a full disk
  // freed) is waited for, and a lease's standby is kept out no longer than
  // about a lease period more.
  static constexpr Clock::duration kDefaultBound = std::chrono::seconds(5);

  explicit AnnouncementDeadline(Clock::duration bound = kDefaultBound) : bound_(bound) {}

  enum class Verdict {
    kFirstFailure,  // the first failure under this epoch: wait (and say so)
    kWait,          // failing for less than the bound: wait
    kGiveUp,        // failing for the bound: adopt without the incidents
  };
  // The incidents could not be read to announce `epoch` at `now`.
  Verdict ReadFailed(std::uint64_t epoch, Clock::time_point now);
  // An epoch was adopted (with or without its incidents): the next failure
  // starts a new wait.
  void Adopted() { failing_epoch_ = 0; }

 private:
  Clock::duration bound_;
  std::uint64_t failing_epoch_ = 0;  // 0: no failure since the last adoption
  Clock::time_point failing_since_{};
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ANNOUNCEMENT_DEADLINE_H_
