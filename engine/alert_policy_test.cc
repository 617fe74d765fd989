#include "engine/alert_policy.h"

#include <gtest/gtest.h>

namespace riskd::engine {
namespace {

TEST(AlertPolicyTest, HysteresisRaisesHighAndClearsLow) {
  AlertTracker t;  // warning 0.30/0.20, critical 0.70/0.60
  EXPECT_EQ(t.NextLevel(AlertLevel::kNone, 0.29), AlertLevel::kNone);
  EXPECT_EQ(t.NextLevel(AlertLevel::kNone, 0.30), AlertLevel::kWarning);
  EXPECT_EQ(t.NextLevel(AlertLevel::kNone, 0.75), AlertLevel::kCritical);
  EXPECT_EQ(t.NextLevel(AlertLevel::kWarning, 0.21), AlertLevel::kWarning);
  EXPECT_EQ(t.NextLevel(AlertLevel::kWarning, 0.19), AlertLevel::kNone);
  EXPECT_EQ(t.NextLevel(AlertLevel::kCritical, 0.65), AlertLevel::kCritical);
  EXPECT_EQ(t.NextLevel(AlertLevel::kCritical, 0.59), AlertLevel::kWarning);
  EXPECT_EQ(t.NextLevel(AlertLevel::kCritical, 0.1), AlertLevel::kNone);
}

TEST(AlertPolicyTest, LifecycleRaisedUpdatedResolvedWithDedup) {
  AlertTracker t;
  std::vector<char> eligible{1, 1, 0};
  auto c = t.Update({0.5, 0.1, 0.9}, {3, -1, 0}, eligible, 7);
  ASSERT_EQ(c.size(), 1u);  // node 2 is ineligible (observed)
  EXPECT_EQ(c[0].node, 0u);
  EXPECT_EQ(c[0].lifecycle, AlertLifecycle::kRaised);
  EXPECT_EQ(c[0].level, AlertLevel::kWarning);
  EXPECT_EQ(c[0].raised_journal_seq, 7u);
  // Same risk again: nothing (dedup). Small move: nothing.
  EXPECT_TRUE(t.Update({0.5, 0.1, 0.9}, {3, -1, 0}, eligible, 8).empty());
  EXPECT_TRUE(t.Update({0.52, 0.1, 0.9}, {3, -1, 0}, eligible, 9).empty());
  // Crossing into critical: UPDATED with the original journal sequence.
  c = t.Update({0.8, 0.1, 0.9}, {2, -1, 0}, eligible, 10);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].lifecycle, AlertLifecycle::kUpdated);
  EXPECT_EQ(c[0].level, AlertLevel::kCritical);
  EXPECT_EQ(c[0].raised_journal_seq, 7u);
  // Node observed disrupted itself: resolved.
  eligible[0] = 0;
  c = t.Update({1.0, 0.1, 0.9}, {0, -1, 0}, eligible, 11);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].lifecycle, AlertLifecycle::kResolved);
  EXPECT_TRUE(t.open().empty());
}

TEST(AlertPolicyTest, NodeThresholdsOverrideTheDefaultForThatNodeOnly) {
  AlertTracker t;  // warning at 0.30
  AlertPolicyOptions watched;
  watched.warning_raise = 0.10;
  watched.warning_clear = 0.05;
  t.SetNodeOptions(1, watched);
  std::vector<char> eligible{1, 1};
  auto c = t.Update({0.15, 0.15}, {-1, -1}, eligible, 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].node, 1u);
  EXPECT_EQ(c[0].level, AlertLevel::kWarning);
  // Its own clear threshold: still open at 0.08, resolved below 0.05.
  EXPECT_TRUE(t.Update({0.15, 0.08}, {-1, -1}, eligible, 2).size() == 1);  // moved by 0.07
  c = t.Update({0.15, 0.04}, {-1, -1}, eligible, 3);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].lifecycle, AlertLifecycle::kResolved);
}

TEST(AlertPolicyTest, ValidatesThresholds) {
  AlertPolicyOptions o;
  EXPECT_TRUE(ValidateAlertPolicyOptions(o).ok());
  o.warning_clear = 0.4;  // above raise
  EXPECT_FALSE(ValidateAlertPolicyOptions(o).ok());
  o = {};
  o.critical_raise = 0.2;  // below warning
  o.critical_clear = 0.1;
  EXPECT_FALSE(ValidateAlertPolicyOptions(o).ok());
}

}  // namespace
}  // namespace riskd::engine
