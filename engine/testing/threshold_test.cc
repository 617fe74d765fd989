#include "engine/testing/threshold.h"

#include <gtest/gtest.h>

#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

class ThresholdTest : public ::testing::Test {
 protected:
  // 0 -> 2 (weight 1), 1 -> 2 (weight 3), 2 -> 3, 3 -> 4: node 2 depends
  // 25% on 0 and 75% on 1.
  ThresholdTest() : net_(testing::MakeNetwork(5, {{0, 2, 1}, {1, 2, 3}, {2, 3, 1}, {3, 4, 1}})) {
    VulnerabilityOptions vo;
    vo.mode = VulnerabilityOptions::Mode::kUniform;  // rho = 1 everywhere
    vul_ = ComputeVulnerability(net_, kAllLayers, vo);
    graph_ = BuildTransmissionGraph(net_, RiskType{}, vul_);
  }
  ThresholdResult Run(std::vector<std::pair<NodeIndex, double>> sources, double kappa,
                      int horizon = 30) {
    ThresholdOptions o;
    o.resistance_scale = kappa;
    o.horizon = horizon;
    return RunThresholdRule(graph_, vul_, sources, o);
  }
  Network net_;
  Vulnerability vul_;
  TransmissionGraph graph_;
};

TEST_F(ThresholdTest, InterferenceAboveResistanceInfectsAndAttenuates) {
  // I_2 = 1 * 0.75 > 0.5: infected, passes 0.25; I_3 = 0.25 < 0.5: stops.
  auto r = Run({{1, 1.0}}, 0.5);
  EXPECT_EQ(r.infected_at, (std::vector<int>{-1, 0, 1, -1, -1}));
  EXPECT_DOUBLE_EQ(r.risk_value[2], 0.25);
  EXPECT_DOUBLE_EQ(r.interference[3], 0.25);
  EXPECT_EQ(r.infected_count, 2u);
  // The 25% supplier alone is absorbed.
  EXPECT_EQ(Run({{0, 1.0}}, 0.5).infected_count, 1u);
  // Both suppliers: I_2 = 1, passes 0.5; I_3 = 0.5 does not exceed 0.5.
  r = Run({{0, 1.0}, {1, 1.0}}, 0.5);
  EXPECT_DOUBLE_EQ(r.risk_value[2], 0.5);
  EXPECT_EQ(r.infected_at[3], -1);
}

TEST_F(ThresholdTest, LowerResistanceCascadesFurtherWithDecayingRisk) {
  const auto r = Run({{1, 1.0}}, 0.2);
  EXPECT_EQ(r.infected_at, (std::vector<int>{-1, 0, 1, 2, 3}));
  EXPECT_DOUBLE_EQ(r.risk_value[2], 0.55);
  EXPECT_DOUBLE_EQ(r.risk_value[3], 0.35);
  EXPECT_NEAR(r.risk_value[4], 0.15, 1e-15);
  // The horizon cuts the cascade.
  EXPECT_EQ(Run({{1, 1.0}}, 0.2, 2).infected_at[4], -1);
  // A weaker shock at the source stops earlier: 0.5 * 0.75 - 0.2 = 0.175.
  EXPECT_EQ(Run({{1, 0.5}}, 0.2).infected_count, 2u);
}

TEST_F(ThresholdTest, ResistanceComesFromTheNodesResilience) {
  vul_.rho[2] = 2.0;  // a resilient node 2 absorbs up to 1.0
  EXPECT_EQ(Run({{1, 1.0}}, 0.5).infected_at[2], -1);
  ThresholdOptions bad;
  bad.resistance_scale = 0;
  EXPECT_FALSE(ValidateThresholdOptions(bad).ok());
}

}  // namespace
}  // namespace riskd::engine
