#include "connectors/feeds/feed_time.h"

#include <gtest/gtest.h>

namespace riskd::connectors {
namespace {

TEST(FeedTimeTest, CivilDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(1396066182), "2014-03-29");
}

TEST(FeedTimeTest, Iso8601WithOffsetsAndFractions) {
  // NWS: 2018-08-15T14:52:00-08:00 is 22:52 UTC, 1534373520.
  EXPECT_EQ(ParseIso8601("2018-08-15T14:52:00-08:00"), 1534373520);
  EXPECT_EQ(ParseIso8601("2018-08-15T22:52:00Z"), 1534373520);
  EXPECT_EQ(ParseIso8601("2018-08-15T22:52:00.250+00:00"), 1534373520);
  EXPECT_EQ(ParseIso8601("2018-08-16"), 1534377600);
  EXPECT_FALSE(ParseIso8601("2018-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2018-08-15T14:52-08:00"));
  EXPECT_FALSE(ParseIso8601("yesterday"));
}

TEST(FeedTimeTest, Rfc822AndScmsDates) {
  // GDACS: Sun, 29 Dec 2019 12:00:00 GMT.
  EXPECT_EQ(ParseRfc822("Sun, 29 Dec 2019 12:00:00 GMT"), 1577620800);
  EXPECT_EQ(ParseRfc822("29 Dec 2019 13:00:00 +0100"), 1577620800);
  EXPECT_EQ(ParseRfc822("Sun, 3 Jan 2016 23:05:22 GMT"), 1451862322);
  EXPECT_FALSE(ParseRfc822("Sun, 29 Foo 2019 12:00:00 GMT"));
  // SCMS: 02-Jun-06 is 2006-06-02; two-digit years below 70 are 20xx.
  EXPECT_EQ(ParseDayMonthYear("02-Jun-06"), DaysFromCivil(2006, 6, 2) * kSecondsPerDay);
  EXPECT_EQ(ParseDayMonthYear("31-Dec-99"), DaysFromCivil(1999, 12, 31) * kSecondsPerDay);
  EXPECT_FALSE(ParseDayMonthYear("Date Not Captured"));
  EXPECT_FALSE(ParseDayMonthYear("31-Feb-06"));
}

}  // namespace
}  // namespace riskd::connectors
