#include "engine/engine.h"

#include <gtest/gtest.h>

#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

std::unique_ptr<Engine> MakeEngine(Network net) {
  EngineOptions o;
  o.risk_types[0].alpha = 3.0;
  o.risk_types[0].beta = 0.1;
  o.dmp.horizon = 10;
  auto e = Engine::Create(o, std::move(net));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e.value());
}

TEST(EngineTest, DisruptionRaisesAlertsDownstreamMatchingDmp) {
  // supplier 0 -> plant 1 -> oem 2; unrelated 3 -> 4.
  auto engine = MakeEngine(testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {3, 4, 1}}));
  NodeIndex src = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  EXPECT_EQ(engine->Project(1), std::vector<int>{0});
  const auto& s = engine->risk_state(0);
  // Same as running DMP by hand on the same graph.
  auto g = engine->Graph(0);
  DmpOptions opt;
  opt.horizon = 10;
  const DmpResult direct = RunDmp(*g, s.initial, opt);
  EXPECT_DOUBLE_EQ(s.projection.risk[1], direct.risk[1]);
  ASSERT_FALSE(s.last_changes.empty());
  EXPECT_EQ(s.last_changes[0].node, 1u);
  EXPECT_EQ(s.last_changes[0].lifecycle, AlertLifecycle::kRaised);
  EXPECT_DOUBLE_EQ(s.last_changes[0].probability, direct.risk[1]);
  for (const auto& c : s.last_changes) EXPECT_NE(c.node, 0u);  // the source is observed
  EXPECT_EQ(s.projection.risk[4], 0.0);
  // Nothing changed: nothing re-projected.
  EXPECT_TRUE(engine->Project(2).empty());
}

TEST(EngineTest, ImmunizationAndRecoveryResolveAlerts) {
  auto engine = MakeEngine(testing::MakeNetwork(3, {{0, 1, 1}, {1, 2, 1}}));
  NodeIndex src = 0, mid = 1;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  ASSERT_EQ(engine->risk_state(0).alerts.open().size(), 2u);
  ASSERT_TRUE(engine->Immunize({&mid, 1}, std::nullopt, false).ok());
  engine->Project(2);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.projection.risk[2], 0.0);  // the only path is blocked
  EXPECT_TRUE(s.alerts.open().empty());
  EXPECT_EQ(s.last_changes.size(), 2u);
  for (const auto& c : s.last_changes) EXPECT_EQ(c.lifecycle, AlertLifecycle::kResolved);
}

TEST(EngineTest, NetworkChangesReprojectAndRejectBadInput) {
  auto engine = MakeEngine(testing::MakeNetwork(2, {{0, 1, 1}}));
  NodeIndex src = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  NodeAttributes c;
  c.id = "c";
  ASSERT_TRUE(engine->AddNode(c).ok());
  ASSERT_TRUE(engine->AddEdge("n1", "c", Layer::kMaterial, 1).ok());
  EXPECT_EQ(engine->Project(2), std::vector<int>{0});
  EXPECT_GT(engine->risk_state(0).projection.risk[2], 0.0);
  EXPECT_EQ(engine->AddEdge("n1", "missing", Layer::kMaterial, 1).code(), Status::Code::kNotFound);
  EXPECT_FALSE(engine->Disrupt(0, {&src, 1}, 1.5).ok());
  EXPECT_FALSE(engine->SetStatus(0, 0, NodeState::kImmunized, 1).ok());
  ASSERT_TRUE(engine->RemoveNode("n1").ok());
  engine->Project(3);
  EXPECT_EQ(engine->risk_state(0).projection.risk[2], 0.0);
}

TEST(EngineTest, RejectsInvalidOptions) {
  EngineOptions o;
  o.risk_types.push_back(o.risk_types[0]);
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.risk_types[0].alpha = -1;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.dmp.horizon = 0;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
}

}  // namespace
}  // namespace riskd::engine
