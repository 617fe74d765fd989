#include "engine/immunization/testing/graph_generators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <utility>

#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {
namespace {

std::set<std::pair<NodeIndex, NodeIndex>> EdgeSet(const Network& net) {
  std::set<std::pair<NodeIndex, NodeIndex>> out;
  for (const Edge& e : net.Edges()) out.emplace(std::min(e.from, e.to), std::max(e.from, e.to));
  return out;
}

TEST(GraphGeneratorsTest, ErdosRenyiHasExactlyMDistinctEdges) {
  auto net = ErdosRenyiNetwork(1000, 1750, 7);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->node_count(), 1000u);
  EXPECT_EQ(net->edge_count(), 1750u);
  EXPECT_EQ(EdgeSet(*net).size(), 1750u);  // no pair twice, in either direction
  EXPECT_EQ(net->node(5).id, "n5");
}

TEST(GraphGeneratorsTest, SameSeedSameGraphOtherSeedOtherGraph) {
  auto a = ErdosRenyiNetwork(300, 500, 1), b = ErdosRenyiNetwork(300, 500, 1);
  auto c = ErdosRenyiNetwork(300, 500, 2);
  EXPECT_EQ(EdgeSet(*a), EdgeSet(*b));
  EXPECT_NE(EdgeSet(*a), EdgeSet(*c));
  auto d = BarabasiAlbertNetwork(300, 2, 1), e = BarabasiAlbertNetwork(300, 2, 1);
  auto f = BarabasiAlbertNetwork(300, 2, 2);
  EXPECT_EQ(EdgeSet(*d), EdgeSet(*e));
  EXPECT_NE(EdgeSet(*d), EdgeSet(*f));
}

TEST(GraphGeneratorsTest, ErdosRenyiDegreesArePoisson) {
  // Mean degree 3.5: P(k = 0) = exp(-3.5) = 0.0302 for large N.
  auto net = ErdosRenyiNetwork(20000, 35000, 3);
  const auto g = UndirectedGraph::FromNetwork(*net, kAllLayers);
  std::size_t isolated = 0;
  for (NodeIndex n : g.Nodes()) isolated += g.degree(n) == 0;
  // Binomial sd sqrt(20000 * 0.03 * 0.97) = 24.
  EXPECT_NEAR(static_cast<double>(isolated), 20000 * 0.0302, 100);
}

TEST(GraphGeneratorsTest, BarabasiAlbertGrowsByMEdgesPerNodeWithAPowerLawTail) {
  const std::size_t n = 20000, m = 2;
  auto net = BarabasiAlbertNetwork(n, m, 5);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->edge_count(), 3 + (n - 3) * m);  // clique on 3, then m per node
  EXPECT_EQ(EdgeSet(*net).size(), net->edge_count());
  const auto g = UndirectedGraph::FromNetwork(*net, kAllLayers);
  std::size_t min_degree = n, max_degree = 0, at_m = 0;
  for (NodeIndex v : g.Nodes()) {
    min_degree = std::min(min_degree, g.degree(v));
    max_degree = std::max(max_degree, g.degree(v));
    at_m += g.degree(v) == m;
  }
  EXPECT_EQ(min_degree, m);
  // P(k) = 2m(m+1) / (k(k+1)(k+2)) gives P(m) = 2 / (m + 2) = 0.5.
  EXPECT_NEAR(static_cast<double>(at_m) / static_cast<double>(n), 0.5, 0.03);
  // The oldest hubs grow like sqrt(N): far above the mean degree of 4.
  EXPECT_GT(max_degree, 100u);
}

TEST(GraphGeneratorsTest, RejectsImpossibleParameters) {
  EXPECT_EQ(ErdosRenyiNetwork(4, 7, 1).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(ErdosRenyiNetwork(4, 6, 1).ok());  // complete graph
  EXPECT_EQ(BarabasiAlbertNetwork(2, 2, 1).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(BarabasiAlbertNetwork(10, 0, 1).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace riskd::engine::immunization
