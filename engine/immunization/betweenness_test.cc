#include "engine/immunization/betweenness.h"

#include <gtest/gtest.h>
#include <igraph.h>

#include <algorithm>
#include <cmath>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::MakeNetwork;

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

std::vector<double> IgraphBetweenness(const Network& net) {
  igraph_vector_int_t edges;
  igraph_vector_int_init(&edges, 0);
  for (const Edge& e : net.Edges()) {
    igraph_vector_int_push_back(&edges, e.from);
    igraph_vector_int_push_back(&edges, e.to);
  }
  igraph_t graph;
  igraph_create(&graph, &edges, static_cast<igraph_integer_t>(net.node_slots()), IGRAPH_UNDIRECTED);
  igraph_simplify(&graph, true, true, nullptr);
  igraph_vector_t res;
  igraph_vector_init(&res, 0);
  igraph_betweenness(&graph, &res, igraph_vss_all(), IGRAPH_UNDIRECTED, nullptr);
  std::vector<double> out(static_cast<std::size_t>(igraph_vector_size(&res)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = VECTOR(res)[static_cast<igraph_integer_t>(i)];
  }
  igraph_vector_destroy(&res);
  igraph_destroy(&graph);
  igraph_vector_int_destroy(&edges);
  return out;
}

TEST(BetweennessTest, MatchesIgraph) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Network net = testing::RandomGraph(80, 160, seed);  // several components
    const auto ours = Betweenness(UndirectedGraph::FromNetwork(net, kAllLayers), {});
    const auto peer = IgraphBetweenness(net);
    ASSERT_EQ(ours.size(), peer.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_NEAR(ours[i], peer[i], 1e-9 * (1 + peer[i])) << i;
    }
  }
}

TEST(BetweennessTest, SampledPivotsAreUnbiased) {
  Network net = testing::RandomGraph(100, 250, 5);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  const auto exact = Betweenness(g, {});
  EXPECT_EQ(Betweenness(g, {.pivots = 100, .seed = 3}), exact);  // all sources: exact
  const NodeIndex top = static_cast<NodeIndex>(
      std::max_element(exact.begin(), exact.end()) - exact.begin());
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
