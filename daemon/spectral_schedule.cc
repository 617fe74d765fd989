#include "daemon/spectral_schedule.h"

namespace riskd::daemon {

bool SpectralSchedule::Postpone(bool events_waiting, Clock::time_point now) {
  if (!events_waiting) return false;
  if (!postponed_since_) postponed_since_ = now;
  return now - *postponed_since_ < max_wait_;
}

}  // namespace riskd::daemon
