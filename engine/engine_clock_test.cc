// The engine on its model clock (docs/model.md section 3, "Time"): event
// times place reports, ticks move now, risk and ETA are relative to now,
// durations end disruptions, alerts resolve as their windows pass, and the
// state depends on the reports and now, not on when they arrived.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "engine/engine.h"
#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

constexpr Step kDay0 = 19000;  // any step: the clock starts wherever it is set

std::unique_ptr<Engine> Chain(int n, double alpha, double beta,
                              ProjectionOptions::Choice method = ProjectionOptions::Choice::kDmp) {
  std::vector<std::tuple<int, int, double>> edges;
  for (int v = 0; v + 1 < n; ++v) edges.emplace_back(v, v + 1, 1.0);
  EngineOptions o;
  o.risk_types[0].alpha = alpha;
  o.risk_types[0].beta = beta;
  o.vulnerability.mode = VulnerabilityOptions::Mode::kUniform;
  o.dmp.horizon = 10;
  o.dmp.tolerance = 0;
  o.projection.method = method;
  auto e = Engine::Create(o, testing::MakeNetwork(n, edges));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE((*e)->AdvanceClock(kDay0).ok());
  return std::move(*e);
}

TEST(EngineClockTest, AnEtaOfFiveDaysReadsFourOneTickLater) {
  // Certain transmission along a chain: node k is disrupted k days after
  // the source.
  auto engine = Chain(8, 60.0, 0.0);
  const NodeIndex source = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0).ok());
  engine->Project(1);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.projection().eta[5], 5);
  ASSERT_TRUE(s.alerts().open().count(5));
  EXPECT_EQ(s.alerts().open().at(5).eta, 5);
  ASSERT_TRUE(engine->AdvanceClock(kDay0 + 1).ok());
  engine->Project(2);
  EXPECT_EQ(s.projection().eta[5], 4);
  EXPECT_EQ(s.projection().eta[1], 0);        // disrupted by now
  EXPECT_EQ(s.alerts().open().at(5).eta, 4);  // the alert counts down (UPDATED)
  bool updated = false;
  for (const auto& c : s.last_changes()) {
    updated |= c.node == 5 && c.lifecycle == AlertLifecycle::kUpdated && c.eta == 4;
  }
  EXPECT_TRUE(updated);
  // The same disruption reported now for a day ago reads the same.
  auto late = Chain(8, 60.0, 0.0);
  ASSERT_TRUE(late->AdvanceClock(kDay0 + 1).ok());
  ASSERT_TRUE(late->Disrupt(0, {&source, 1}, 1.0, kDay0).ok());
  late->Project(1);
  EXPECT_EQ(late->risk_state(0).projection().eta, s.projection().eta);
  EXPECT_EQ(late->risk_state(0).projection().risk, s.projection().risk);
}

TEST(EngineClockTest, ASourceWithAThreeDayExpectedDurationStopsSpreadingAfterThreeDays) {
  auto engine = Chain(2, 0.2, 0.0);  // never recovers by itself
  const double p = engine->Graph(0)->p[0];
  ASSERT_GT(p, 0.1);
  const NodeIndex source = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0, kDay0, /*duration=*/3).ok());
  const auto& s = engine->risk_state(0);
  engine->Project(1);
  // Three attempts (days 0, 1, 2), not ten: exactly 1 - (1 - p)^3, up to
  // the float rounding of the projection's messages (projection.h,
  // ProjectionMessage: ~6e-8 per stored value and step; theta and phi over
  // the three steps give a few of them: 8.4e-8 at worst for p in [0.1, 0.3]
  // in a simulation of the float chain).
  const double three = 1 - std::pow(1 - p, 3);
  constexpr double kRounding = 3e-7;
  EXPECT_NEAR(s.projection().risk[1], three, kRounding);
  EXPECT_EQ(s.observed()[0].state, NodeState::kDisrupted);
  EXPECT_EQ(s.observed()[0].until, kDay0 + 3);
  for (Step day : {2, 3, 4, 8}) {
    ASSERT_TRUE(engine->AdvanceClock(kDay0 + day).ok());
    engine->Project(static_cast<std::uint64_t>(day));
    EXPECT_NEAR(s.projection().risk[1], three, kRounding) << "day " << day;
    EXPECT_EQ(s.observed()[0].state, day < 3 ? NodeState::kDisrupted : NodeState::kRecovered);
    EXPECT_EQ(s.projection().risk[0], day < 3 ? 1.0 : 0.0) << "day " << day;
  }
  // Without a duration it keeps trying over the whole horizon.
  auto open = Chain(2, 0.2, 0.0);
  ASSERT_TRUE(open->Disrupt(0, {&source, 1}, 1.0).ok());
  open->Project(1);
  EXPECT_NEAR(open->risk_state(0).projection().risk[1], 1 - std::pow(1 - p, 10), kRounding);
}

TEST(EngineClockTest, AlertsResolveAsTheirWindowsPass) {
  auto engine = Chain(6, 60.0, 1.0);  // each node disrupted for exactly a day
  const NodeIndex source = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0, kDay0, 2).ok());
  engine->Project(1);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.alerts().open().size(), 6u);
  // The wave passes node k on day k (and the source after day 2).
  for (Step day = 1; day <= 6; ++day) {
    ASSERT_TRUE(engine->AdvanceClock(kDay0 + day).ok());
    engine->Project(static_cast<std::uint64_t>(day + 1));
    for (NodeIndex v = 0; v < 6; ++v) {
      const bool passed = v == 0 ? day >= 2 : static_cast<Step>(v) < day;
      EXPECT_EQ(s.alerts().open().count(v) == 0, passed) << "day " << day << " node " << v;
      EXPECT_EQ(s.projection().risk[v] == 0.0, passed) << "day " << day << " node " << v;
    }
  }
  EXPECT_TRUE(s.alerts().open().empty());
}

TEST(EngineClockTest, ANodeReportedNormalWasSusceptibleThen) {
  auto engine = Chain(4, 60.0, 0.0);
  const NodeIndex source = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0, kDay0).ok());
  ASSERT_TRUE(engine->AdvanceClock(kDay0 + 4).ok());
  engine->Project(1);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.projection().eta[3], 0);  // the wave passed it a day ago
  // Node 1 says it is operating normally today: nothing reached it before,
  // so the wave is only now leaving it.
  ASSERT_TRUE(engine->SetStatus(0, 1, NodeState::kSusceptible, 1, kDay0 + 4).ok());
  engine->Project(2);
  EXPECT_EQ(s.projection().eta[1], 1);
  EXPECT_EQ(s.projection().eta[2], 2);
  EXPECT_EQ(s.projection().eta[3], 3);
}

TEST(EngineClockTest, ReportsOlderThanTheHistoryWindowAreHistoryOnly) {
  auto engine = Chain(3, 60.0, 0.0);
  const int window = engine->options().clock.history_window_steps;
  const NodeIndex source = 0;
  // An open-ended report from before the window: history only.
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0, kDay0 - window - 1).ok());
  engine->Project(1);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.observed()[0].state, NodeState::kSusceptible);
  EXPECT_EQ(s.projection().expected_disrupted, 0.0);
  // One of known duration still running when the window starts counts from
  // there.
  ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0, kDay0 - window - 5, window + 10).ok());
  engine->Project(2);
  EXPECT_EQ(s.observed()[0].state, NodeState::kDisrupted);
  EXPECT_EQ(s.observed()[0].since, kDay0 - window);
  EXPECT_EQ(s.projection().risk[2], 1.0);
  // The clock never goes back.
  EXPECT_FALSE(engine->AdvanceClock(kDay0 - 1).ok());
  EXPECT_EQ(engine->now(), kDay0);
}

// Replaying an archive in event time gives the state that receiving it live
// gave: the engine's state is a function of the reports and of now.
TEST(EngineClockTest, ReplayingAnArchiveInEventTimeEqualsReceivingItLive) {
  for (auto method : {ProjectionOptions::Choice::kAuto, ProjectionOptions::Choice::kDmp}) {
    EngineOptions o;
    o.risk_types[0].alpha = 1.2;
    o.risk_types[0].beta = 0.3;
    o.dmp.horizon = 12;
    o.projection.method = method;
    o.projection.check_realizations = 200;
    o.projection.serve_realizations = 400;
    o.clock.history_window_steps = 10;
    struct Event {
      Step at;
      std::function<Status(Engine&, Step)> apply;
    };
    std::mt19937_64 rng(5);
    std::vector<Event> archive;
    for (int i = 0; i < 40; ++i) {
      const Step at = kDay0 + static_cast<Step>(i / 2);
      const auto v = static_cast<NodeIndex>(rng() % 120);
      const double severity = 0.2 + 0.8 * static_cast<double>(rng() % 100) / 100.0;
      const Step duration = static_cast<Step>(rng() % 6);
      switch (rng() % 4) {
        case 0:
        case 1:
          archive.push_back({at, [=](Engine& e, Step t) {
                               return e.Disrupt(0, {&v, 1}, severity, t, duration);
                             }});
          break;
        case 2:
          archive.push_back({at, [=](Engine& e, Step t) {
                               return e.SetStatus(0, v, NodeState::kRecovered, 1, t);
                             }});
          break;
        default:
          archive.push_back({at, [=](Engine& e, Step t) {
                               return e.SetStatus(0, v, NodeState::kSusceptible, 1, t);
                             }});
      }
    }
    auto live = std::move(Engine::Create(o, testing::RandomGraph(120, 220, 9)).value());
    auto replay = std::move(Engine::Create(o, testing::RandomGraph(120, 220, 9)).value());
    // Live: the clock ticks through the archive, projecting as events come.
    std::uint64_t journal_seq = 0;
    for (const Event& e : archive) {
      if (e.at > live->now()) {
        ASSERT_TRUE(live->AdvanceClock(e.at).ok());
      }
      ASSERT_TRUE(e.apply(*live, e.at).ok());
      live->Project(++journal_seq);
    }
    const Step end = kDay0 + 25;  // past some windows
    for (Step day = live->now() + 1; day <= end; ++day) {
      ASSERT_TRUE(live->AdvanceClock(day).ok());
      live->Project(++journal_seq);
    }
    // Replay: everything at once, long after, each at its event time.
    ASSERT_TRUE(replay->AdvanceClock(end).ok());
    for (const Event& e : archive) ASSERT_TRUE(e.apply(*replay, e.at).ok());
    replay->Project(1);
    const auto& a = live->risk_state(0);
    const auto& b = replay->risk_state(0);
    EXPECT_EQ(a.projection().risk, b.projection().risk);
    EXPECT_EQ(a.projection().eta, b.projection().eta);
    EXPECT_EQ(a.projection().expected_disrupted, b.projection().expected_disrupted);
    EXPECT_GT(a.projection().expected_disrupted, 2.0);  // something is still at risk
    for (NodeIndex v = 0; v < 120; ++v) {
      EXPECT_EQ(a.observed()[v].state, b.observed()[v].state) << v;
      EXPECT_EQ(a.observed()[v].severity, b.observed()[v].severity) << v;
    }
    // Alerts outside the hysteresis bands (which remember the path by
    // design): open and critical above critical_raise, closed below
    // warning_clear, in both.
    for (NodeIndex v = 0; v < 120; ++v) {
      const double p = a.projection().risk[v];
      const bool open_a = a.alerts().open().count(v) > 0, open_b = b.alerts().open().count(v) > 0;
      if (p >= o.alerts.critical_raise) {
        ASSERT_TRUE(open_a && open_b) << v;
        EXPECT_EQ(a.alerts().open().at(v).level, AlertLevel::kCritical) << v;
        EXPECT_EQ(b.alerts().open().at(v).level, AlertLevel::kCritical) << v;
      } else if (p < o.alerts.warning_clear) {
        EXPECT_FALSE(open_a || open_b) << v;
      }
    }
  }
}

}  // namespace
}  // namespace riskd::engine

namespace riskd::engine {
namespace {

// A node's history is kept up to date report by report when reports come
// in time order, and re-derived from all of them otherwise: either way it is
// what reducing the node's reports at now says, and its observation follows.
TEST(EngineClockTest, EveryNodesHistoryIsWhatAllItsReportsSayAtNow) {
  auto engine = Chain(6, 0.5, 0.3);
  std::mt19937 rng(42);
  const int window = engine->options().clock.history_window_steps;
  Step now = kDay0;
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    const NodeIndex v = static_cast<NodeIndex>(rng() % 6);
    // Mostly in time order, now and then late, early, ahead of now, or
    // before the window; a tick every 100 reports.
    Step at = now - static_cast<Step>(rng() % 3);
    if (rng() % 10 == 0) at = now - static_cast<Step>(rng() % (2 * window));
    if (rng() % 20 == 0) at = now + 1;
    switch (rng() % 4) {
      case 0:
        ASSERT_TRUE(
            engine
                ->Disrupt(0, {&v, 1}, 0.1 + 0.1 * (rng() % 9), at, static_cast<Step>(rng() % 3) * 2)
                .ok());
        break;
      case 1:
        ASSERT_TRUE(engine->SetStatus(0, v, NodeState::kRecovered, 1.0, at).ok());
        break;
      default:
        ASSERT_TRUE(engine->SetStatus(0, v, NodeState::kSusceptible, 1.0, at).ok());
        break;
    }
    if (i % 100 == 99) {
      ASSERT_TRUE(engine->AdvanceClock(++now).ok());
    }
    const auto& s = engine->risk_state(0);
    for (const auto& [node, entry] : s.reports()) {
      const NodeHistory want = ReduceReports(entry.reports, now, now - window);
      ASSERT_EQ(entry.history.disrupted, want.disrupted) << "report " << i << " node " << node;
      ASSERT_EQ(entry.history.onset, want.onset);
      ASSERT_EQ(entry.history.severity, want.severity);
      ASSERT_EQ(entry.history.end, want.end);
      ASSERT_EQ(entry.history.recovered_at, want.recovered_at);
      ASSERT_EQ(entry.history.normal_at, want.normal_at);
      const Observation o = ObservationAt(want, now);
      ASSERT_EQ(s.observed()[node].state, o.state);
      ASSERT_EQ(s.observed()[node].severity, o.severity);
      ASSERT_EQ(s.observed()[node].since, o.since);
      ASSERT_EQ(s.observed()[node].until, o.until);
      ++checked;
    }
  }
  EXPECT_GT(checked, 10000);
}

}  // namespace
}  // namespace riskd::engine
