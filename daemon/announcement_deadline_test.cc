// A new term waits for its incidents a bounded time, then is adopted
// without them (a broken state store must not keep both instances silent).
#include "daemon/announcement_deadline.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

using Verdict = AnnouncementDeadline::Verdict;
using std::chrono::milliseconds;

class AnnouncementDeadlineTest : public ::testing::Test {
 protected:
  // What ReadFailed says for `epoch` `ms` after t0.
  Verdict At(std::uint64_t epoch, int ms) {
    return deadline_.ReadFailed(epoch, t0_ + milliseconds(ms));
  }
  AnnouncementDeadline deadline_{std::chrono::seconds(5)};
  const AnnouncementDeadline::Clock::time_point t0_{std::chrono::hours(1)};
};

TEST_F(AnnouncementDeadlineTest, AReadThatKeepsFailingIsWaitedForOnlyUpToTheBound) {
  EXPECT_EQ(At(7, 0), Verdict::kFirstFailure);
  EXPECT_EQ(At(7, 4999), Verdict::kWait);
  EXPECT_EQ(At(7, 5000), Verdict::kGiveUp);
  EXPECT_EQ(At(7, 60000), Verdict::kGiveUp);
}

// The wait is per epoch and per adoption: a newer epoch, or a failure after
// an adoption (a lapse, then the same epoch again), waits afresh.
TEST_F(AnnouncementDeadlineTest, ANewEpochOrAnAdoptionStartsANewWait) {
  EXPECT_EQ(At(7, 0), Verdict::kFirstFailure);
  EXPECT_EQ(At(9, 4000), Verdict::kFirstFailure);
  EXPECT_EQ(At(9, 8000), Verdict::kWait);
  EXPECT_EQ(At(9, 9000), Verdict::kGiveUp);
  deadline_.Adopted();
  EXPECT_EQ(At(9, 20000), Verdict::kFirstFailure);
  EXPECT_EQ(At(9, 24000), Verdict::kWait);
}

}  // namespace
}  // namespace riskd::daemon
