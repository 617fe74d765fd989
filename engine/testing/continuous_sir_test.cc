#include "engine/testing/continuous_sir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/testing/digest.h"
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

// FNV-1a over the outcome of `runs` realizations: each run's size, the
// edges it examined and every node's infection time (its bits).
std::uint64_t OutcomeDigest(ContinuousSir& sim, std::size_t nodes, int runs,
                            const std::vector<NodeIndex>& sources, double horizon) {
  testing::Fnv1aDigest digest;
  for (int k = 0; k < runs; ++k) {
    std::vector<NodeIndex> s = sources;
    for (NodeIndex& v : s) v = static_cast<NodeIndex>((v + 37 * k) % nodes);
    digest.Mix(sim.Run(static_cast<std::uint32_t>(k), s, horizon));
    digest.Mix(sim.last_work());
    for (NodeIndex v = 0; v < nodes; ++v) digest.MixBits(sim.infection_time(v));
  }
  return digest.value();
}

// A source with two customers: the hub H (index 1, 20,000 customers of its
// own) after 2 days of inventory and X (index 2) after 1,000, near-instant
// transmission. Their onsets share the radix heap's top bucket, which is
// sorted into a run whose largest key is X's; every onset H then pushes
// lies below it, so all of them join the run.
Network HubBehindALateSibling() {
  const int leaves = 20000;
  std::vector<std::tuple<int, int, double>> edges = {{0, 1, 1}, {0, 2, 1}};
  for (int v = 3; v < 3 + leaves; ++v) edges.emplace_back(1, v, 1);
  Network net = testing::MakeNetwork(3 + leaves, edges);
  for (auto [v, days] : {std::pair<NodeIndex, double>{1, 2.0}, {2, 1000.0}}) {
    NodeAttributes a = net.node(v);
    a.inventory_days = days;
    EXPECT_TRUE(net.UpdateNode(a).ok());
  }
  return net;
}

// The outcomes are pure functions of (seed, realization, node or edge): any
// change of the implementation (data layout, node order, heap) must keep
// these digests, recorded with main 44c45e7's implementation (run sizes,
// work and times).
TEST(ContinuousSirTest, OutcomesAreThoseOfTheReference) {
  {
    const Network net = BarabasiAlbert(3000, 3, {.seed = 4});
    const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
    ContinuousSir sim(g, UniformRates(g, 0.25, 1.0), 21);
    EXPECT_EQ(OutcomeDigest(sim, g.node_count, 200, {0}, std::numeric_limits<double>::infinity()),
              12832856936212169164u);
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
    EXPECT_EQ(OutcomeDigest(sim, g.node_count, 300, {3, 200, 3}, 6.0), 12693434766242499823u);
  }
  {
    const Network net = HubBehindALateSibling();
    const auto g = testing::BuildGraph(net, Direction::kDownstream, 0.8, 0.3);
    ASSERT_TRUE(g.has_latency);
    ContinuousSir sim(g, UniformRates(g, 50.0, 0.01), 3);
    const std::uint64_t digest =
        OutcomeDigest(sim, g.node_count, 3, {0}, std::numeric_limits<double>::infinity());
    // Most leaves infected, after H and before X: the run's order held.
    ASSERT_GT(sim.Run(2, std::vector<NodeIndex>{0}), 15000u);
    EXPECT_LT(sim.infection_time(1), sim.infection_time(3));
    EXPECT_GT(sim.infection_time(2), 1000.0);
    EXPECT_EQ(digest, 6420885560575787610u);
  }
}

// After 2^32 runs the stamps wrap: the run after the wrap must not take a
// node stamped long ago for one reached now.
TEST(ContinuousSirTest, StampsWrappingAroundLeaveNoStaleTimes) {
  const Network net = BarabasiAlbert(2000, 3, {.seed = 9});
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
  const auto rates = UniformRates(g, 0.3, 1.0);
  const NodeIndex source = 5;
  ContinuousSir fresh(g, rates, 4), wrapped(g, rates, 4);
  // The wrapped object's first run (stamp 1) reaches many nodes: their
  // times would look current after a wrap that did not reset the stamps
  // (the run after it is stamped 1 again).
  std::uint32_t big = 0;
  while (fresh.Run(big, {&source, 1}) < 200) ++big;
  ASSERT_GE(wrapped.Run(big, {&source, 1}), 200u);
  wrapped.SetRunStampForTesting(std::numeric_limits<std::uint32_t>::max());
  for (std::uint32_t r = 1000; r < 1010; ++r) {
    // A run reaching few nodes, so most of the first run's would show.
    const std::size_t a = fresh.Run(r, {&source, 1}), b = wrapped.Run(r, {&source, 1});
    EXPECT_EQ(a, b) << r;
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      ASSERT_EQ(fresh.infection_time(v), wrapped.infection_time(v)) << "run " << r << " node " << v;
    }
  }
}

}  // namespace
}  // namespace riskd::engine
