#include "engine/alert_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

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

// The tracker's open alerts as a std::map and its Update as it was written
// over one (the reference the sorted vector of OpenAlerts must match).
struct ReferenceTracker {
  AlertTracker levels;  // NextLevel only
  std::map<NodeIndex, OpenAlert> open;
  std::vector<AlertChange> Update(const std::vector<double>& risk, const std::vector<int>& eta,
                                  const std::vector<char>& eligible, std::uint64_t seq) {
    std::vector<AlertChange> changes;
    for (auto it = open.begin(); it != open.end();) {
      const NodeIndex v = it->first;
      OpenAlert& a = it->second;
      const bool ok = v < eligible.size() && eligible[v];
      const double p = ok ? risk[v] : 0.0;
      const AlertLevel next = ok ? levels.NextLevel(v, a.level, p) : AlertLevel::kNone;
      if (next == AlertLevel::kNone) {
        changes.push_back(
            {v, AlertLifecycle::kResolved, a.level, p, ok ? eta[v] : -1, a.raised_journal_seq});
        it = open.erase(it);
        continue;
      }
      if (next != a.level || eta[v] != a.eta || std::fabs(p - a.probability) >= 0.05) {
        a = {next, p, eta[v], a.raised_journal_seq};
        changes.push_back({v, AlertLifecycle::kUpdated, next, p, eta[v], a.raised_journal_seq});
      }
      ++it;
    }
    for (NodeIndex v = 0; v < risk.size(); ++v) {
      if (!eligible[v] || open.count(v)) continue;
      const AlertLevel level = levels.NextLevel(v, AlertLevel::kNone, risk[v]);
      if (level == AlertLevel::kNone) continue;
      open[v] = {level, risk[v], eta[v], seq};
      changes.push_back({v, AlertLifecycle::kRaised, level, risk[v], eta[v], seq});
    }
    std::sort(changes.begin(), changes.end(),
              [](const AlertChange& a, const AlertChange& b) { return a.node < b.node; });
    return changes;
  }
};

TEST(AlertPolicyTest, OpenAlertsMatchAMapThroughRandomRoundsAndRestores) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> unit(0, 1);
  constexpr NodeIndex kNodes = 300;
  AlertTracker t;
  ReferenceTracker ref;
  AlertPolicyOptions watched;
  watched.warning_raise = 0.1;
  watched.warning_clear = 0.05;
  t.SetNodeOptions(17, watched);
  ref.levels.SetNodeOptions(17, watched);
  // Restored in no particular order, some twice, some past the nodes
  // projected (a removed node's alert is resolved at the next round).
  for (int i = 0; i < 120; ++i) {
    const auto v = static_cast<NodeIndex>(rng() % (kNodes + 20));
    const OpenAlert a{rng() % 2 ? AlertLevel::kWarning : AlertLevel::kCritical, unit(rng),
                      static_cast<int>(rng() % 9), rng() % 50};
    t.Restore(v, a);
    ref.open[v] = a;
  }
  for (int round = 0; round < 40; ++round) {
    std::vector<double> risk(kNodes);
    std::vector<int> eta(kNodes);
    std::vector<char> eligible(kNodes);
    for (NodeIndex v = 0; v < kNodes; ++v) {
      risk[v] = round % 10 == 9 ? 0.0 : unit(rng);  // now and then all resolve
      eta[v] = static_cast<int>(rng() % 5);
      eligible[v] = rng() % 10 != 0;
    }
    const auto got = t.Update(risk, eta, eligible, 100 + round);
    const auto want = ref.Update(risk, eta, eligible, 100 + round);
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].node, want[i].node);
      EXPECT_EQ(got[i].lifecycle, want[i].lifecycle);
      EXPECT_EQ(got[i].level, want[i].level);
      EXPECT_EQ(got[i].probability, want[i].probability);
      EXPECT_EQ(got[i].eta, want[i].eta);
      EXPECT_EQ(got[i].raised_journal_seq, want[i].raised_journal_seq);
    }
    ASSERT_EQ(t.open().size(), ref.open.size()) << "round " << round;
    auto it = t.open().begin();
    for (const auto& [v, a] : ref.open) {  // same nodes, ascending
      ASSERT_EQ(it->first, v);
      EXPECT_EQ(it->second.level, a.level);
      EXPECT_EQ(it->second.probability, a.probability);
      EXPECT_EQ(it->second.eta, a.eta);
      EXPECT_EQ(it->second.raised_journal_seq, a.raised_journal_seq);
      ++it;
    }
    for (NodeIndex v = 0; v < kNodes + 20; ++v) {
      ASSERT_EQ(t.open().count(v), ref.open.count(v)) << v;
      if (ref.open.count(v)) {
        EXPECT_EQ(t.open().find(v)->first, v);
        EXPECT_EQ(t.open().at(v).level, ref.open.at(v).level);
      } else {
        EXPECT_EQ(t.open().find(v), t.open().end());
        EXPECT_THROW((void)t.open().at(v), std::out_of_range);
      }
    }
  }
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
