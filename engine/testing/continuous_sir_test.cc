#include "engine/testing/continuous_sir.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/testing/graphs.h"
#include "engine/testing/statistics.h"

namespace riskd::engine {
namespace {

TEST(ContinuousSirTest, SingleEdgeTransmitsWithProbabilityLambdaOverLambdaPlusGamma) {
  Network net = testing::MakeNetwork(2, {{0, 1, 1}});
  const auto g = testing::BuildGraph(net, Direction::kDownstream, 0.8, 0.3);
  const auto rates = UniformRates(g, 0.7, 0.5);
  ContinuousSir sim(g, rates, 9);
  const NodeIndex source = 0;
  const int runs = 20000;
  int hit = 0;
  double time_sum = 0;
  for (int k = 0; k < runs; ++k) {
    if (sim.Run(static_cast<std::uint32_t>(k), {&source, 1}) == 2) {
      ++hit;
      time_sum += sim.infection_time(1);
    }
  }
  const double p = 0.7 / 1.2;
  EXPECT_NEAR(hit / double(runs), p, testing::BinomialBound(p, runs, 4.5));
  // Given transmission, the delay is Exp(lambda + gamma): mean 1/1.2.
  EXPECT_NEAR(time_sum / hit, 1 / 1.2, 4.5 * (1 / 1.2) / std::sqrt(hit));
}

TEST(ContinuousSirTest, HorizonLatencyAndDeterminism) {
  Network net = testing::MakeNetwork(3, {{0, 1, 1}, {1, 2, 1}});
  NodeAttributes a = net.node(2);
  a.inventory_days = 5;
  ASSERT_TRUE(net.UpdateNode(a).ok());
  const auto g = testing::BuildGraph(net, Direction::kDownstream, 0.8, 0.3);
  const auto rates = UniformRates(g, 50.0, 1e-9);  // near-instant, near-permanent
  ContinuousSir sim(g, rates, 1);
  const NodeIndex source = 0;
  EXPECT_EQ(sim.Run(0, {&source, 1}), 3u);
  EXPECT_GT(sim.infection_time(2), 5.0);  // the cover delays onset
  EXPECT_LT(sim.infection_time(2), 5.5);
  const double t2 = sim.infection_time(2);
  EXPECT_EQ(sim.Run(0, {&source, 1}, 4.0), 2u);  // onset of 2 is past the horizon
  EXPECT_EQ(sim.Run(0, {&source, 1}), 3u);
  EXPECT_EQ(sim.infection_time(2), t2);  // same realization, same times
}

TEST(ContinuousSirTest, ModelRatesUseTheSharesAndResilience) {
  Network net = testing::MakeNetwork(3, {{0, 2, 1.0}, {1, 2, 3.0}});
  RiskType t;
  t.alpha = 2;
  t.beta = 0.5;
  VulnerabilityOptions vo;
  vo.mode = VulnerabilityOptions::Mode::kUniform;
  const auto vul = ComputeVulnerability(net, t.layers, vo);
  const auto g = BuildTransmissionGraph(net, t, vul);
  const auto rates = ModelRates(g, t, vul);
  EXPECT_DOUBLE_EQ(rates.edge_rate[g.in_begin(2)], 2 * 0.25);
  EXPECT_DOUBLE_EQ(rates.edge_rate[g.in_begin(2) + 1], 2 * 0.75);
  EXPECT_DOUBLE_EQ(rates.recovery_rate[0], 0.5);
}

}  // namespace
}  // namespace riskd::engine
