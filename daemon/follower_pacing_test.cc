#include "daemon/follower_pacing.h"

#include <gtest/gtest.h>

#include <vector>

namespace riskd::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryBackoffTest, DoublesUpToTheMaximumAndStartsOverAfterAReset) {
  RetryBackoff b(milliseconds(200), milliseconds(5000));
  std::vector<long> got;
  for (int i = 0; i < 7; ++i) got.push_back(static_cast<long>(b.Next().count()));
  EXPECT_EQ(got, (std::vector<long>{200, 400, 800, 1600, 3200, 5000, 5000}));
  b.Reset();
  EXPECT_EQ(b.Next(), milliseconds(200));
  EXPECT_EQ(b.Next(), milliseconds(400));
}

// The span counts from the first failure of the run: a failure after a
// long quiet spell (no message read for minutes) is not due at once.
TEST(FailureRunTest, IsDueASpanAfterTheRunsFirstFailure) {
  const FailureRun::Clock::time_point t0{seconds(1000)};
  FailureRun run(seconds(3));
  EXPECT_FALSE(run.Fail(t0));
  EXPECT_FALSE(run.Fail(t0 + milliseconds(2999)));
  EXPECT_TRUE(run.Fail(t0 + seconds(3)));
  // The next span starts there.
  EXPECT_FALSE(run.Fail(t0 + seconds(4)));
  EXPECT_TRUE(run.Fail(t0 + seconds(6)));
  // A success ends the run: the next failure starts a new one.
  run.Clear();
  EXPECT_FALSE(run.Fail(t0 + seconds(60)));
  EXPECT_FALSE(run.Fail(t0 + seconds(62)));
  EXPECT_TRUE(run.Fail(t0 + seconds(63)));
}

}  // namespace
}  // namespace riskd::daemon
