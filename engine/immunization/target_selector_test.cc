#include "engine/immunization/target_selector.h"

#include <gtest/gtest.h>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

// Star on 0 (leaves 1..4) and a smaller star on 5 (leaves 6, 7).
Network TwoStars() {
  return testing::MakeNetwork(8,
                              {{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 1}, {5, 6, 1}, {5, 7, 1}});
}

TEST(TargetSelectorTest, MakesStrategiesByName) {
  auto selector = MakeStrategySelector("degree", {});
  ASSERT_TRUE(selector.ok());
  EXPECT_EQ((*selector)->name(), "degree");
  EXPECT_EQ(MakeStrategySelector("nope", {}).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(MakeStrategySelector("degree", {.ci_radius = 0}).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(TargetSelectorTest, StaticStrategyRanksAndExplains) {
  Network net = TwoStars();
  const auto selector = MakeStrategySelector(Strategy::kDegree, {});
  auto targets = selector->Select({.network = &net}, 2);
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].node, 0u);
  EXPECT_EQ((*targets)[0].score, 4.0);
  EXPECT_EQ((*targets)[0].reason, "degree rank 1: degree 4");
  EXPECT_FALSE((*targets)[0].expected_averted.has_value());
  EXPECT_EQ((*targets)[1].node, 5u);
}

TEST(TargetSelectorTest, SkipsNodesThatAreNotSusceptible) {
  Network net = TwoStars();
  std::vector<Observation> observed(8);
  observed[0].state = NodeState::kDisrupted;  // certain: P_S = 0
  observed[5].state = NodeState::kImmunized;
  const InitialState state = InitialState::FromObservations(net, observed);
  const auto selector = MakeStrategySelector(Strategy::kDegree, {});
  auto targets = selector->Select({.network = &net, .state = &state}, 2);
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 2u);
  for (const Target& t : *targets) {
    EXPECT_NE(t.node, 0u);
    EXPECT_NE(t.node, 5u);
    EXPECT_EQ(t.score, 1.0);  // leaves come next
  }
  EXPECT_EQ((*targets)[0].reason.rfind("degree rank 3:", 0), 0u) << (*targets)[0].reason;
  // A partly uncertain disruption (P_S > 0) stays eligible.
  observed[0].severity = 0.5;
  const InitialState unsure = InitialState::FromObservations(net, observed);
  EXPECT_EQ((*selector->Select({.network = &net, .state = &unsure}, 1))[0].node, 0u);
}

TEST(TargetSelectorTest, RejectsBadInput) {
  Network net = TwoStars();
  const auto selector = MakeStrategySelector(Strategy::kRandom, {});
  EXPECT_EQ(selector->Select({.network = &net}, -1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(selector->Select({}, 1).status().code(), Status::Code::kInvalidArgument);
  InitialState wrong;
  wrong.p_s.assign(3, 1.0);
  EXPECT_EQ(selector->Select({.network = &net, .state = &wrong}, 1).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace riskd::engine::immunization
