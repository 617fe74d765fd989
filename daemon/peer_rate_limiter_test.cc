#include "daemon/peer_rate_limiter.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

using Clock = PeerRateLimiter::Clock;
using std::chrono::milliseconds;

TEST(PeerRateLimiterTest, EachPeerGetsItsBurstThenItsRate) {
  PeerRateLimiter limiter(/*rate=*/10, /*burst=*/5);
  const auto t0 = Clock::time_point() + std::chrono::hours(1);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit("a", t0)) << i;
  EXPECT_FALSE(limiter.Admit("a", t0));
  EXPECT_TRUE(limiter.Admit("b", t0));  // another peer has its own bucket
  // 10 per second: one more token every 100 ms, never more than the burst.
  EXPECT_FALSE(limiter.Admit("a", t0 + milliseconds(99)));
  EXPECT_TRUE(limiter.Admit("a", t0 + milliseconds(100)));
  EXPECT_FALSE(limiter.Admit("a", t0 + milliseconds(150)));
  int admitted = 0;
  for (int i = 0; i < 100; ++i)
    admitted += limiter.Admit("a", t0 + std::chrono::seconds(60)) ? 1 : 0;
  EXPECT_EQ(admitted, 5);
}

TEST(PeerRateLimiterTest, AdmittedRequestsFollowTheRateOverTime) {
  PeerRateLimiter limiter(/*rate=*/1000, /*burst=*/100);
  const auto t0 = Clock::time_point() + std::chrono::hours(1);
  // Offered 5000/s for 2 s: burst + rate x time.
  int admitted = 0;
  for (int i = 0; i < 10000; ++i)
    admitted += limiter.Admit("p", t0 + std::chrono::microseconds(200 * i)) ? 1 : 0;
  EXPECT_NEAR(admitted, 100 + 2000, 2);
}

TEST(PeerRateLimiterTest, RefilledBucketsAreForgottenAndZeroRateIsOff) {
  PeerRateLimiter limiter(/*rate=*/1, /*burst=*/2);
  const auto t0 = Clock::time_point() + std::chrono::hours(1);
  for (int p = 0; p < 100; ++p) EXPECT_TRUE(limiter.Admit("peer-" + std::to_string(p), t0));
  EXPECT_EQ(limiter.peers(), 100u);
  // 11 s later every bucket is full again: the next call sweeps them.
  EXPECT_TRUE(limiter.Admit("x", t0 + std::chrono::seconds(11)));
  EXPECT_EQ(limiter.peers(), 1u);
  PeerRateLimiter off(0, 1);
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.Admit("a", t0));
  EXPECT_EQ(off.peers(), 0u);
}

}  // namespace
}  // namespace riskd::daemon
