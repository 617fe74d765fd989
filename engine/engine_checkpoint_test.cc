// Engine::Checkpoint / Engine::Restore: an engine restored from a
// checkpoint, given the same events afterwards, is the engine that took it
// (the daemon's "checkpoint plus the journal's tail equals a full replay").
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/engine.h"
#include "engine/testing/graphs.h"
#include "engine/testing/random_changes.h"

namespace riskd::engine {
namespace {

EngineOptions TwoTypes() {
  EngineOptions o;
  o.risk_types[0].alpha = 1.5;
  o.risk_types[0].beta = 0.4;
  RiskType leak;
  leak.name = "leak";
  leak.layers = LayerBit(Layer::kData) | LayerBit(Layer::kMaterial);
  leak.direction = Direction::kUpstream;
  leak.alpha = 2.0;
  o.risk_types.push_back(leak);
  o.dmp.horizon = 12;
  // Refreshed every few changes: the snapshot in use is usually stale, as
  // the checkpoint must keep it.
  o.vulnerability_refresh_changes = 7;
  o.clock.history_window_steps = 8;
  return o;
}

void ExpectSameCheckpoint(const EngineCheckpoint& a, const EngineCheckpoint& b) {
  EXPECT_EQ(a.now, b.now);
  EXPECT_EQ(a.report_order, b.report_order);
  EXPECT_EQ(a.network_changes_since_refresh, b.network_changes_since_refresh);
  ASSERT_EQ(a.vulnerability.size(), b.vulnerability.size());
  for (std::size_t i = 0; i < a.vulnerability.size(); ++i) {
    EXPECT_EQ(a.vulnerability[i].first, b.vulnerability[i].first);
    EXPECT_EQ(a.vulnerability[i].second.sigma, b.vulnerability[i].second.sigma);
    EXPECT_EQ(a.vulnerability[i].second.rho, b.vulnerability[i].second.rho);
    EXPECT_EQ(a.vulnerability[i].second.omega, b.vulnerability[i].second.omega);
  }
  ASSERT_EQ(a.risk_types.size(), b.risk_types.size());
  for (std::size_t r = 0; r < a.risk_types.size(); ++r) {
    EXPECT_EQ(a.risk_types[r].immunized, b.risk_types[r].immunized);
    // Reports may still hold ones the window has passed (pruned lazily):
    // what counts is what each node's reports say, compared below through
    // the observations; here, the nodes with reports in the window.
  }
}

void ExpectSameState(const Engine& a, const Engine& b) {
  ASSERT_EQ(a.network().node_slots(), b.network().node_slots());
  ASSERT_EQ(a.network().edge_count(), b.network().edge_count());
  // Snapshot.network_version: the same changes, the same version.
  EXPECT_EQ(a.network().version(), b.network().version());
  EXPECT_EQ(a.now(), b.now());
  for (int r = 0; r < a.risk_type_count(); ++r) {
    const RiskTypeState& x = a.risk_state(r);
    const RiskTypeState& y = b.risk_state(r);
    for (NodeIndex v = 0; v < a.network().node_slots(); ++v) {
      ASSERT_EQ(x.observed()[v].state, y.observed()[v].state) << "type " << r << " node " << v;
      ASSERT_EQ(x.observed()[v].severity, y.observed()[v].severity);
      ASSERT_EQ(x.observed()[v].since, y.observed()[v].since);
      ASSERT_EQ(x.observed()[v].until, y.observed()[v].until);
    }
    ASSERT_EQ(x.projected(), y.projected());
    if (!x.projected()) continue;
    // Bit for bit: the same inputs through the same arithmetic.
    EXPECT_EQ(x.projection().risk, y.projection().risk) << "type " << r;
    EXPECT_EQ(x.projection().eta, y.projection().eta);
    EXPECT_EQ(x.projection().expected_disrupted, y.projection().expected_disrupted);
    ASSERT_EQ(x.last_changes().size(), y.last_changes().size());
    for (std::size_t i = 0; i < x.last_changes().size(); ++i) {
      EXPECT_EQ(x.last_changes()[i].node, y.last_changes()[i].node);
      EXPECT_EQ(x.last_changes()[i].probability, y.last_changes()[i].probability);
    }
  }
}

TEST(EngineCheckpointTest, RestoredEngineGivenTheSameEventsEqualsTheOriginal) {
  for (std::uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto created = Engine::Create(TwoTypes(), testing::RandomGraph(200, 400, 70 + seed));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Engine& original = **created;
    ASSERT_TRUE(original.AdvanceClock(100).ok());
    testing::RandomChanges changes({.seed = seed, .clock = true});
    // The journal's head: applied without projecting, as a replay does.
    for (int i = 0; i < 60; ++i) changes.ApplyBatch(original);

    auto restored = Engine::Restore(TwoTypes(), original.network(), original.Checkpoint());
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    ExpectSameCheckpoint(original.Checkpoint(), (*restored)->Checkpoint());
    ExpectSameState(original, **restored);

    // The tail, then live events: every projection the same.
    testing::RandomChanges same = changes;
    for (int i = 0; i < 30; ++i) {
      changes.ApplyBatch(original);
      same.ApplyBatch(**restored);
      SCOPED_TRACE("batch " + std::to_string(i));
      EXPECT_EQ(original.Project(static_cast<std::uint64_t>(i)),
                (*restored)->Project(static_cast<std::uint64_t>(i)));
      ExpectSameState(original, **restored);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ExpectSameCheckpoint(original.Checkpoint(), (*restored)->Checkpoint());
  }
}

TEST(EngineCheckpointTest, ACheckpointThatDoesNotFitIsRefusedSayingWhy) {
  auto created = Engine::Create(TwoTypes(), testing::RandomGraph(50, 90, 5));
  ASSERT_TRUE(created.ok());
  Engine& engine = **created;
  const NodeIndex v = 3;
  ASSERT_TRUE(engine.Disrupt(0, {&v, 1}, 0.5).ok());
  const EngineCheckpoint good = engine.Checkpoint();

  EngineOptions one_type = TwoTypes();
  one_type.risk_types.pop_back();
  auto other_types = Engine::Restore(one_type, engine.network(), good);
  EXPECT_FALSE(other_types.ok());
  EXPECT_NE(other_types.status().message().find("risk types"), std::string::npos)
      << other_types.status().ToString();

  auto small = Engine::Restore(TwoTypes(), testing::RandomGraph(10, 12, 5), good);
  EXPECT_FALSE(small.ok());

  EngineCheckpoint bad = good;
  bad.risk_types[0].reports[0].second[0].severity = 7;
  auto bad_report = Engine::Restore(TwoTypes(), engine.network(), bad);
  EXPECT_FALSE(bad_report.ok());
  EXPECT_NE(bad_report.status().message().find("report"), std::string::npos);

  ASSERT_FALSE(good.vulnerability.empty());
  ASSERT_FALSE(good.vulnerability[0].second.omega.empty());
  for (double omega : {std::nan(""), -1.0, std::numeric_limits<double>::infinity()}) {
    bad = good;
    bad.vulnerability[0].second.omega[2] = omega;
    auto bad_omega = Engine::Restore(TwoTypes(), engine.network(), bad);
    EXPECT_FALSE(bad_omega.ok()) << omega;
    EXPECT_NE(bad_omega.status().message().find("vulnerability of slot 2"), std::string::npos)
        << bad_omega.status().ToString();
  }
  bad = good;
  bad.vulnerability[0].second.omega_geometric_mean = 0;
  auto bad_mean = Engine::Restore(TwoTypes(), engine.network(), bad);
  EXPECT_FALSE(bad_mean.ok());
  EXPECT_NE(bad_mean.status().message().find("geometric mean"), std::string::npos)
      << bad_mean.status().ToString();

  bad = good;
  bad.risk_types[1].immunized.push_back(10'000);
  EXPECT_FALSE(Engine::Restore(TwoTypes(), engine.network(), bad).ok());

  EXPECT_TRUE(Engine::Restore(TwoTypes(), engine.network(), good).ok());
}

}  // namespace
}  // namespace riskd::engine
