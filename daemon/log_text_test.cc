#include "daemon/log_text.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

TEST(LogTextTest, ControlCharactersBecomeInert) {
  EXPECT_EQ(LogSafe("evt-1"), "evt-1");
  EXPECT_EQ(LogSafe("evt\n[info] forged line"), "evt\\x0a[info] forged line");
  EXPECT_EQ(LogSafe("a\rb\tc\x1b[31md\x7f"), "a\\x0db\\x09c\\x1b[31md\\x7f");
  EXPECT_EQ(LogSafe(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(LogSafe("back\\slash"), "back\\\\slash");
  EXPECT_EQ(LogSafe("c1 \xc2\x9b csi"), "c1 \\x9b csi");  // U+009B as UTF-8
  EXPECT_EQ(LogSafe("Zürich"), "Zürich");                 // printable UTF-8 stays
  EXPECT_EQ(LogSafe(std::string(300, 'x'), 10), "xxxxxxxxxx...");
}

TEST(LogTextTest, RateLimiterLetsOneLinePerIntervalAndCountsTheRest) {
  LogRateLimiter limit(std::chrono::seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(limit.Allow(t0), 0u);
  EXPECT_FALSE(limit.Allow(t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(limit.Allow(t0 + std::chrono::seconds(9)));
  EXPECT_EQ(limit.Allow(t0 + std::chrono::seconds(10)), 2u);
  EXPECT_EQ(limit.Allow(t0 + std::chrono::seconds(30)), 0u);
}

}  // namespace
}  // namespace riskd::daemon
