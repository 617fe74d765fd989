#include "daemon/follower_pacing.h"

#include <algorithm>

namespace riskd::daemon {

std::chrono::milliseconds RetryBackoff::Next() {
  const auto now = next_;
  next_ = std::min(max_, next_ * 2);
  return now;
}

bool FailureRun::Fail(Clock::time_point now) {
  if (!since_) since_ = now;
  if (now - *since_ < span_) return false;
  since_ = now;
  return true;
}

}  // namespace riskd::daemon
