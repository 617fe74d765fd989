#include "engine/immunization/betweenness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/testing/graphs.h"
#include "engine/testing/igraph_peer.h"

namespace riskd::engine::immunization {
namespace {

using engine::testing::MakeNetwork;

UndirectedGraph Graph(int n, const std::vector<std::tuple<int, int, double>>& edges) {
  return UndirectedGraph::FromNetwork(MakeNetwork(n, edges), kAllLayers);
}

TEST(BetweennessTest, Path) {
  // Pairs through 1: {0,2},{0,3},{0,4}; through 2: {0,3},{0,4},{1,3},{1,4}.
  const auto b = Betweenness(Graph(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}}), {});
  EXPECT_EQ(b, (std::vector<double>{0, 3, 4, 3, 0}));
}

TEST(BetweennessTest, TwoCliquesJoinedByABridge) {
  // K4 on 0..3 and K4 on 4..7, bridge 3-4: every path between {0,1,2} and
  // {4,...,7} crosses 3 (3 * 4 pairs), and likewise 4; no one else lies on
  // a shortest path.
  std::vector<std::tuple<int, int, double>> e{{3, 4, 1}};
  for (int base : {0, 4}) {
    for (int i = 0; i < 4; ++i) {
      for (int j = i + 1; j < 4; ++j) e.emplace_back(base + i, base + j, 1);
    }
  }
  const auto b = Betweenness(Graph(8, e), {});
  EXPECT_EQ(b, (std::vector<double>{0, 0, 0, 12, 12, 0, 0, 0}));
}

TEST(BetweennessTest, SplitsOverEqualShortestPaths) {
  // 4-cycle: each pair of opposite nodes has two shortest paths, one through
  // each of the other two nodes.
  const auto b = Betweenness(Graph(4, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 0, 1}}), {});
  EXPECT_EQ(b, (std::vector<double>{0.5, 0.5, 0.5, 0.5}));
}

TEST(BetweennessTest, MatchesIgraph) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Network net = engine::testing::RandomGraph(80, 160, seed);  // several components
    const auto ours = Betweenness(UndirectedGraph::FromNetwork(net, kAllLayers), {});
    const auto peer = engine::testing::IgraphPeer(net).Betweenness();
    ASSERT_EQ(ours.size(), peer.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_NEAR(ours[i], peer[i], 1e-9 * (1 + peer[i])) << i;
    }
  }
}

TEST(BetweennessTest, SampledPivotsAreUnbiased) {
  Network net = engine::testing::RandomGraph(100, 250, 5);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  const auto exact = Betweenness(g, {});
  EXPECT_EQ(Betweenness(g, {.pivots = 100, .seed = 3}), exact);  // all sources: exact
  const NodeIndex top =
      static_cast<NodeIndex>(std::max_element(exact.begin(), exact.end()) - exact.begin());
  const int runs = 300;
  double sum = 0, sum_sq = 0;
  for (int seed = 0; seed < runs; ++seed) {
    const double b = Betweenness(g, {.pivots = 20, .seed = static_cast<std::uint64_t>(seed)})[top];
    sum += b;
    sum_sq += b * b;
  }
  const double mean = sum / runs;
  const double se = std::sqrt((sum_sq / runs - mean * mean) / runs);
  EXPECT_GT(se, 0);
  EXPECT_NEAR(mean, exact[top], 4 * se);
}

}  // namespace
}  // namespace riskd::engine::immunization
