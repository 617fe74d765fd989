#include "engine/immunization/basic_strategies.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::MakeNetwork;

UndirectedGraph Graph(int n, const std::vector<std::tuple<int, int, double>>& edges) {
  return UndirectedGraph::FromNetwork(MakeNetwork(n, edges), kAllLayers);
}

// Hubs A = 0 and D = 1 (degree 6) share the neighbour B = 2 (degree 5); C = 3
// has degree 4. Static degree ranks B third; once A and D are gone B has 3
// neighbours left, so adaptive degree takes C third.
UndirectedGraph TwoHubsAndABridge() {
  std::vector<std::tuple<int, int, double>> e{{0, 2, 1}, {1, 2, 1}};
  int next = 4;
  for (int i = 0; i < 5; ++i) e.emplace_back(0, next++, 1);
  for (int i = 0; i < 5; ++i) e.emplace_back(1, next++, 1);
  for (int i = 0; i < 3; ++i) e.emplace_back(2, next++, 1);
  for (int i = 0; i < 4; ++i) e.emplace_back(3, next++, 1);
  return Graph(next, e);
}

TEST(BasicStrategiesTest, StaticDegreeRanksByInitialDegree) {
  const auto g = TwoHubsAndABridge();
  const auto ranked = DegreeOrder(g, 4, 1, /*adaptive=*/false);
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ((std::set<NodeIndex>{ranked[0].node, ranked[1].node}), (std::set<NodeIndex>{0, 1}));
  EXPECT_EQ(ranked[2].node, 2u);
  EXPECT_EQ(ranked[2].score, 5.0);
  EXPECT_EQ(ranked[3].node, 3u);
}

TEST(BasicStrategiesTest, AdaptiveDegreeRecomputesAfterEachRemoval) {
  const auto g = TwoHubsAndABridge();
  const auto ranked = DegreeOrder(g, 4, 1, /*adaptive=*/true);
  EXPECT_EQ((std::set<NodeIndex>{ranked[0].node, ranked[1].node}), (std::set<NodeIndex>{0, 1}));
  EXPECT_EQ(ranked[0].score, 6.0);
  EXPECT_EQ(ranked[1].score, 6.0);  // the hubs are not adjacent
  EXPECT_EQ(ranked[2].node, 3u);
  EXPECT_EQ(ranked[2].score, 4.0);
  EXPECT_EQ(ranked[3].node, 2u);
  EXPECT_EQ(ranked[3].score, 3.0);
}

TEST(BasicStrategiesTest, AdaptiveDegreeMatchesRecomputingEverything) {
  Network net = testing::RandomGraph(120, 300, 4);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  const auto ranked = DegreeOrder(g, 120, 9, true);
  // Brute force: residual degrees recounted from scratch before each pick,
  // ties by the same keys.
  std::vector<std::uint8_t> removed(120, 0);
  for (const RankedNode& r : ranked) {
    NodeIndex best = kNoNode;
    std::size_t best_degree = 0;
    for (NodeIndex v = 0; v < 120; ++v) {
      if (removed[v]) continue;
      std::size_t d = 0;
      for (NodeIndex w : g.neighbors(v)) d += !removed[w];
      const bool wins = best == kNoNode || d > best_degree ||
                        (d == best_degree && NodeKey(9, KeyStream::kTieBreak, v) <
                                                 NodeKey(9, KeyStream::kTieBreak, best));
      if (wins) {
        best = v;
        best_degree = d;
      }
    }
    ASSERT_EQ(r.node, best);
    EXPECT_EQ(r.score, static_cast<double>(best_degree));
    removed[best] = 1;
  }
}

TEST(BasicStrategiesTest, StrengthFollowsWeightsNotNeighbourCounts) {
  // 0 has three light edges (strength 3); 4 has two heavy ones (strength 11).
  const auto g = Graph(7, {{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {4, 5, 10}, {6, 4, 1}});
  EXPECT_EQ(DegreeOrder(g, 1, 1, false)[0].node, 0u);
  const auto fixed = StrengthOrder(g, 2, 1, false);
  EXPECT_EQ(NodesOf(fixed), (std::vector<NodeIndex>{4, 5}));
  EXPECT_EQ(fixed[0].score, 11.0);
  // Without 4, node 5 has nothing left: adaptive strength moves on to 0.
  const auto adaptive = StrengthOrder(g, 2, 1, true);
  EXPECT_EQ(NodesOf(adaptive), (std::vector<NodeIndex>{4, 0}));
  EXPECT_EQ(adaptive[1].score, 3.0);
}

TEST(BasicStrategiesTest, RandomOrderIsAUniformPermutation) {
  const auto g = Graph(5, {{0, 1, 1}, {1, 2, 1}});
  std::map<NodeIndex, int> first;
  const int runs = 5000;
  for (int seed = 0; seed < runs; ++seed) {
    const auto order = NodesOf(RandomOrder(g, 5, static_cast<std::uint64_t>(seed)));
    ASSERT_EQ(std::set<NodeIndex>(order.begin(), order.end()).size(), 5u);
    ++first[order[0]];
  }
  // Binomial(5000, 0.2): sd 28.3; 4.5 sd.
  for (NodeIndex v = 0; v < 5; ++v) EXPECT_NEAR(first[v], runs / 5, 128) << v;
  EXPECT_NE(NodesOf(RandomOrder(g, 5, 1)), NodesOf(RandomOrder(g, 5, 2)));
  EXPECT_EQ(NodesOf(RandomOrder(g, 5, 1)), NodesOf(RandomOrder(g, 5, 1)));
}

TEST(BasicStrategiesTest, AcquaintanceFindsTheHubOfAStar) {
  // Star on 10 nodes: a random node's random neighbour is the hub unless
  // the node is the hub itself: P = 9/10.
  std::vector<std::tuple<int, int, double>> e;
  for (int i = 1; i < 10; ++i) e.emplace_back(0, i, 1);
  const auto g = Graph(10, e);
  int hub_first = 0;
  const int runs = 4000;
  for (int seed = 0; seed < runs; ++seed) {
    hub_first += AcquaintanceOrder(g, 1, static_cast<std::uint64_t>(seed))[0].node == 0;
  }
  // Binomial sd sqrt(4000 * 0.09) = 19.
  EXPECT_NEAR(hub_first, 0.9 * runs, 80);
  // Scores are the weights w_j: 9 * (1/1) for the hub, 1/9 for a leaf.
  for (const RankedNode& r : AcquaintanceOrder(g, 10, 3)) {
    EXPECT_DOUBLE_EQ(r.score, r.node == 0 ? 9.0 : 1.0 / 9.0);
  }
}

// Cohen et al.'s procedure as written: random node, random neighbour, draw
// again if that neighbour is already a target.
std::vector<NodeIndex> LiteralAcquaintance(const UndirectedGraph& g, std::size_t k,
                                           std::mt19937_64& rng) {
  std::vector<NodeIndex> out;
  const auto nodes = g.Nodes();
  std::uniform_int_distribution<std::size_t> pick(0, nodes.size() - 1);
  while (out.size() < k) {
    const NodeIndex i = nodes[pick(rng)];
    if (g.degree(i) == 0) continue;
    std::uniform_int_distribution<std::size_t> nb(0, g.degree(i) - 1);
    const NodeIndex j = g.neighbors(i)[nb(rng)];
    if (std::find(out.begin(), out.end(), j) == out.end()) out.push_back(j);
  }
  return out;
}

TEST(BasicStrategiesTest, AcquaintanceOrderHasTheLiteralProceduresDistribution) {
  // Path 0-1-2-3 with a pendant 4 on 1: irregular enough that the pair
  // frequencies depend on the 1/k_i weights.
  const auto g = Graph(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {1, 4, 1}});
  std::map<std::pair<NodeIndex, NodeIndex>, double> ours, literal;
  std::mt19937_64 rng(11);
  const int runs = 20000;
  for (int seed = 0; seed < runs; ++seed) {
    const auto a = NodesOf(AcquaintanceOrder(g, 2, static_cast<std::uint64_t>(seed)));
    ours[{a[0], a[1]}] += 1.0 / runs;
    const auto b = LiteralAcquaintance(g, 2, rng);
    literal[{b[0], b[1]}] += 1.0 / runs;
  }
  // Exact: w = (1/3, 1/1+1/2+1, 1/3+1, 1/2, 1/3) = (1/3, 5/2, 4/3, 1/2, 1/3), sum 5.
  EXPECT_NEAR((ours[{1, 2}]), 0.5 * (4.0 / 3) / (5 - 2.5), 0.012);
  for (const auto& [pair, p] : literal) {
    // Two independent estimates: sd of the difference <= sqrt(2 * 0.25 / 20000) = 0.005.
    EXPECT_NEAR(ours[pair], p, 0.02) << pair.first << "," << pair.second;
  }
}

TEST(BasicStrategiesTest, AcquaintancePutsIsolatedNodesLast) {
  const auto g = Graph(6, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}});
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto order = NodesOf(AcquaintanceOrder(g, 6, seed));
    EXPECT_EQ((std::set<NodeIndex>(order.begin() + 4, order.end())), (std::set<NodeIndex>{4, 5}));
  }
}

}  // namespace
}  // namespace riskd::engine::immunization
