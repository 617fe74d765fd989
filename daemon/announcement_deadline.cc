#include "daemon/announcement_deadline.h"

namespace riskd::daemon {

AnnouncementDeadline::Verdict AnnouncementDeadline::ReadFailed(std::uint64_t epoch,
                                                               Clock::time_point now) {
  if (epoch != failing_epoch_) {
    failing_epoch_ = epoch;
    failing_since_ = now;
    return Verdict::kFirstFailure;
  }
  return now - failing_since_ >= bound_ ? Verdict::kGiveUp : Verdict::kWait;
}

}  // namespace riskd::daemon
