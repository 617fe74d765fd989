#include "engine/testing/continuous_sir.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "engine/testing/generators.h"

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

// FNV-1a over the outcome of `runs` realizations: each run's size and every
// node's infection time (its bits).
std::uint64_t OutcomeDigest(ContinuousSir& sim, std::size_t nodes, int runs,
                            const std::vector<NodeIndex>& sources, double horizon) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::uint64_t x) {
    for (int b = 0; b < 8; ++b) {
      h ^= (x >> (8 * b)) & 0xff;
      h *= 1099511628211ULL;
    }
  };
  for (int k = 0; k < runs; ++k) {
    std::vector<NodeIndex> s = sources;
    for (NodeIndex& v : s) v = static_cast<NodeIndex>((v + 37 * k) % nodes);
    mix(sim.Run(static_cast<std::uint32_t>(k), s, horizon));
    for (NodeIndex v = 0; v < nodes; ++v) mix(std::bit_cast<std::uint64_t>(sim.infection_time(v)));
  }
  return h;
}

// The outcomes are pure functions of (seed, realization, node or edge): any
// change of the implementation (data layout, node order, heap) must keep
// these digests, recorded on main 44c45e7.
TEST(ContinuousSirTest, OutcomesAreThoseOfTheReference) {
  {
    const Network net = BarabasiAlbert(3000, 3, {.seed = 4});
    const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
    ContinuousSir sim(g, UniformRates(g, 0.25, 1.0), 21);
    EXPECT_EQ(OutcomeDigest(sim, g.node_count, 200, {0}, std::numeric_limits<double>::infinity()),
              10491343730254037022u);
  }
  {
    Network net = testing::RandomGraph(400, 1200, 5);
    for (NodeIndex v = 0; v < 400; v += 7) {
      NodeAttributes a = net.node(v);
      a.inventory_days = 0.5 + v % 3;
      ASSERT_TRUE(net.UpdateNode(a).ok());
    }
    RiskType t;
    t.alpha = 1.5;
    t.beta = 0.7;
    t.direction = Direction::kBoth;
    TransmissionOptions keep;
    keep.keep_shares = true;
    const Vulnerability vul = ComputeVulnerability(net, t.layers, {});
    const auto g = BuildTransmissionGraph(net, t, vul, keep);
    ASSERT_TRUE(g.has_latency);  // and the rates differ by edge and node: every path is used
    ContinuousSir sim(g, ModelRates(g, t, vul), 8);
    EXPECT_EQ(OutcomeDigest(sim, g.node_count, 300, {3, 200, 3}, 6.0), 14546975721528833516u);
  }
}

}  // namespace
}  // namespace riskd::engine
