#include "engine/immunization/core_hd.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::MakeNetwork;

TEST(CoreHdTest, TakesFromTheTwoCoreNotTheBiggestHub) {
  // A star on 0..5 (hub degree 5, not in the 2-core) and a 5-cycle on 6..10.
  std::vector<std::tuple<int, int, double>> e;
  for (int i = 1; i <= 5; ++i) e.emplace_back(0, i, 1);
  for (int i = 0; i < 5; ++i) e.emplace_back(6 + i, 6 + (i + 1) % 5, 1);
  const auto g = UndirectedGraph::FromNetwork(MakeNetwork(11, e), kAllLayers);
  const auto order = CoreHdOrder(g, 3, 1);
  ASSERT_EQ(order.size(), 3u);
  // Phase 1: one cycle node (core degree 2) empties the 2-core.
  const NodeIndex cut = order[0].node;
  EXPECT_GE(cut, 6u);
  EXPECT_EQ(order[0].score, 2.0);
  // Phase 2: the largest tree is the star (6 nodes); its centroid is the hub.
  EXPECT_EQ(order[1].node, 0u);
  EXPECT_EQ(order[1].score, 6.0);
  // Then the 4-node path left of the cycle: one of its two middle nodes.
  const auto at = [&](int step) { return static_cast<NodeIndex>(6 + (cut - 6 + step) % 5); };
  EXPECT_TRUE(order[2].node == at(2) || order[2].node == at(3)) << order[2].node;
  EXPECT_EQ(order[2].score, 4.0);
}

TEST(CoreHdTest, BreaksATreeAtItsCentroids) {
  // Path 0..6: the middle first, then the middles of the two halves, then
  // the four isolated nodes.
  const auto g = UndirectedGraph::FromNetwork(
      MakeNetwork(7, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}, {4, 5, 1}, {5, 6, 1}}),
      kAllLayers);
  const auto order = CoreHdOrder(g, 7, 2);
  ASSERT_EQ(order.size(), 7u);
  EXPECT_EQ(order[0].node, 3u);
  EXPECT_EQ((std::set<NodeIndex>{order[1].node, order[2].node}), (std::set<NodeIndex>{1, 5}));
  EXPECT_EQ(order[1].score, 3.0);
  EXPECT_EQ((std::set<NodeIndex>{order[3].node, order[4].node, order[5].node, order[6].node}),
            (std::set<NodeIndex>{0, 2, 4, 6}));
}

// Phase 1 by the definition: peel the residual graph to its 2-core from
// scratch before each pick; take the largest core degree (ties by key).
std::vector<NodeIndex> BruteForceDecycling(const UndirectedGraph& g, std::uint64_t seed) {
  std::vector<std::uint8_t> removed(g.node_slots(), 0);
  std::vector<NodeIndex> out;
  while (true) {
    std::vector<std::uint8_t> core(g.node_slots(), 0);
    for (NodeIndex v : g.Nodes()) core[v] = !removed[v];
    for (bool changed = true; changed;) {
      changed = false;
      for (NodeIndex v : g.Nodes()) {
        if (!core[v]) continue;
        int d = 0;
        for (NodeIndex w : g.neighbors(v)) d += core[w];
        if (d < 2) core[v] = 0, changed = true;
      }
    }
    NodeIndex best = kNoNode;
    int best_degree = -1;
    for (NodeIndex v : g.Nodes()) {
      if (!core[v]) continue;
      int d = 0;
      for (NodeIndex w : g.neighbors(v)) d += core[w];
      if (d > best_degree || (d == best_degree && NodeKey(seed, KeyStream::kTieBreak, v) <
                                                      NodeKey(seed, KeyStream::kTieBreak, best))) {
        best = v;
        best_degree = d;
      }
    }
    if (best == kNoNode) return out;
    out.push_back(best);
    removed[best] = 1;
  }
}

TEST(CoreHdTest, DecyclingMatchesRecomputingTheCore) {
  for (std::uint64_t seed : {1u, 2u}) {
    Network net = testing::RandomGraph(200, 320, seed);
    const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
    const auto expected = BruteForceDecycling(g, 7);
    ASSERT_GT(expected.size(), 10u);
    const auto order = NodesOf(CoreHdOrder(g, 200, 7));
    EXPECT_EQ(std::vector<NodeIndex>(order.begin(), order.begin() + expected.size()), expected);
    EXPECT_EQ(std::set<NodeIndex>(order.begin(), order.end()).size(), 200u);
  }
}

}  // namespace
}  // namespace riskd::engine::immunization
