#include "engine/immunization/undirected_graph.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

std::vector<NodeIndex> Neighbors(const UndirectedGraph& g, NodeIndex n) {
  return {g.neighbors(n).begin(), g.neighbors(n).end()};
}
std::vector<double> Weights(const UndirectedGraph& g, NodeIndex n) {
  return {g.weights(n).begin(), g.weights(n).end()};
}

Network ThreeLayerNetwork() {
  Network net = testing::MakeNetwork(4, {{0, 1, 2.0}});  // material
  EXPECT_TRUE(net.AddEdge(1, 0, Layer::kData, 3.0).ok());
  EXPECT_TRUE(net.AddEdge(1, 2, Layer::kFinancial, 1.0).ok());
  EXPECT_TRUE(net.AddEdge(3, 1, Layer::kMaterial, 0.5).ok());
  net.Compact();
  return net;
}

TEST(UndirectedGraphTest, MergesDirectionsLayersAndParallelEdges) {
  const auto g = UndirectedGraph::FromNetwork(ThreeLayerNetwork(), kAllLayers);
  EXPECT_EQ(g.node_count(), 4u);
  EXPECT_EQ(g.edge_count(), 3u);
  EXPECT_EQ(Neighbors(g, 0), (std::vector<NodeIndex>{1}));
  EXPECT_EQ(Weights(g, 0), (std::vector<double>{5.0}));
  EXPECT_EQ(Neighbors(g, 1), (std::vector<NodeIndex>{0, 2, 3}));
  EXPECT_EQ(Weights(g, 1), (std::vector<double>{5.0, 1.0, 0.5}));
  EXPECT_EQ(Neighbors(g, 3), (std::vector<NodeIndex>{1}));
  EXPECT_EQ(g.layers(), kAllLayers);
}

TEST(UndirectedGraphTest, RestrictsToLayers) {
  const auto g = UndirectedGraph::FromNetwork(ThreeLayerNetwork(), LayerBit(Layer::kMaterial));
  EXPECT_EQ(g.edge_count(), 2u);
  EXPECT_EQ(Weights(g, 0), (std::vector<double>{2.0}));
  EXPECT_EQ(Neighbors(g, 1), (std::vector<NodeIndex>{0, 3}));
  EXPECT_EQ(g.degree(2), 0u);
  EXPECT_TRUE(g.present(2));  // isolated, still a node
}

TEST(UndirectedGraphTest, SkipsRemovedNodeSlots) {
  Network net = testing::MakeNetwork(4, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}});
  ASSERT_TRUE(net.RemoveNode("n1").ok());
  net.Compact();
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  EXPECT_EQ(g.node_slots(), 4u);
  EXPECT_EQ(g.node_count(), 3u);
  EXPECT_FALSE(g.present(1));
  EXPECT_EQ(g.degree(0), 0u);
  EXPECT_EQ(Neighbors(g, 2), (std::vector<NodeIndex>{3}));
  EXPECT_EQ(g.Nodes(), (std::vector<NodeIndex>{0, 2, 3}));
}

}  // namespace
}  // namespace riskd::engine::immunization
