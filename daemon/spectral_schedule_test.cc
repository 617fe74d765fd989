#include "daemon/spectral_schedule.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

using std::chrono::milliseconds;

TEST(SpectralScheduleTest, WaitsOnlyWhileEventsDoAndAtMostMaxWait) {
  SpectralSchedule schedule(milliseconds(1000));
  const auto t0 = SpectralSchedule::Clock::time_point{} + milliseconds(5000);
  // Nothing waiting: the radius is computed at once.
  EXPECT_FALSE(schedule.Postpone(false, t0));
  // Events waiting: postponed, from the first postponement on ...
  EXPECT_TRUE(schedule.Postpone(true, t0));
  EXPECT_TRUE(schedule.Postpone(true, t0 + milliseconds(600)));
  EXPECT_TRUE(schedule.Postpone(true, t0 + milliseconds(999)));
  // ... until max_wait has passed, however many events still wait.
  EXPECT_FALSE(schedule.Postpone(true, t0 + milliseconds(1000)));
  EXPECT_FALSE(schedule.Postpone(true, t0 + milliseconds(1500)));
  // Once refreshed, the next postponement starts a new wait.
  schedule.Refreshed();
  EXPECT_TRUE(schedule.Postpone(true, t0 + milliseconds(1600)));
  EXPECT_TRUE(schedule.Postpone(true, t0 + milliseconds(2500)));
  EXPECT_FALSE(schedule.Postpone(true, t0 + milliseconds(2600)));
  // An idle moment refreshes whatever waits, whatever the clock.
  EXPECT_FALSE(schedule.Postpone(false, t0 + milliseconds(2601)));
}

TEST(SpectralScheduleTest, WithoutAMaxWaitNothingIsPostponed) {
  SpectralSchedule schedule(milliseconds(0));
  EXPECT_FALSE(schedule.Postpone(true, SpectralSchedule::Clock::time_point{}));
}

}  // namespace
}  // namespace riskd::daemon
