#include "engine/immunization/collective_influence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::MakeNetwork;

// 0-1-2-3-4 with a branch 2-5-6. Degrees: k = (1, 2, 3, 2, 1, 2, 1).
Network Branch() {
  return MakeNetwork(7, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}, {2, 5, 1}, {5, 6, 1}});
}

TEST(CollectiveInfluenceTest, ValuesByHand) {
  const auto g = UndirectedGraph::FromNetwork(Branch(), kAllLayers);
  // Radius 1: CI(2) = (3-1) * ((2-1) + (2-1) + (2-1)) = 6; CI(1) = 1 * (0 + 2) = 2.
  EXPECT_EQ(CollectiveInfluence(g, 1), (std::vector<std::int64_t>{0, 2, 6, 2, 0, 2, 0}));
  // Radius 2: the hub's sphere {0, 4, 6} is all leaves, so CI(2) = 0, while
  // CI(1) = 1 * ((k_3 - 1) + (k_5 - 1)) = 2.
  EXPECT_EQ(CollectiveInfluence(g, 2), (std::vector<std::int64_t>{0, 2, 0, 2, 0, 2, 0}));
  // Radius 3: CI(0) = 0 (a leaf); CI(1) = 1 * ((k_4 - 1) + (k_6 - 1)) = 0.
  EXPECT_EQ(CollectiveInfluence(g, 3), (std::vector<std::int64_t>(7, 0)));
}

TEST(CollectiveInfluenceTest, StarFallsBackToDegree) {
  // Every CI_2 is 0 on a star (no node at distance 2 from the hub, leaves
  // have k - 1 = 0): the hub still goes first, on degree.
  const auto g = UndirectedGraph::FromNetwork(
      MakeNetwork(6, {{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 1}, {0, 5, 1}}), kAllLayers);
  const auto order = CollectiveInfluenceOrder(g, 1, {});
  ASSERT_EQ(order.size(), 1u);
  EXPECT_EQ(order[0].node, 0u);
  EXPECT_EQ(order[0].score, 0.0);
}

// The definition, run naively: rebuild the residual network after each
// removal, recompute every CI, take the largest (CI, degree, tie key).
std::vector<NodeIndex> BruteForceOrder(Network net, int radius, std::size_t count,
                                       std::uint64_t seed) {
  std::vector<NodeIndex> out;
  while (out.size() < count) {
    const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
    const auto ci = CollectiveInfluence(g, radius);
    NodeIndex best = kNoNode;
    for (NodeIndex v : g.Nodes()) {
      if (best == kNoNode) {
        best = v;
        continue;
      }
      const auto a = std::make_tuple(ci[v], g.degree(v));
      const auto b = std::make_tuple(ci[best], g.degree(best));
      if (a > b || (a == b && NodeKey(seed, KeyStream::kTieBreak, v) <
                                  NodeKey(seed, KeyStream::kTieBreak, best))) {
        best = v;
      }
    }
    out.push_back(best);
    EXPECT_TRUE(net.RemoveNode(net.node(best).id).ok());
    net.Compact();
  }
  return out;
}

TEST(CollectiveInfluenceTest, AdaptiveOrderMatchesRecomputingEverything) {
  for (int radius : {1, 2, 3}) {
    Network net = testing::RandomGraph(150, 260, 8);
    const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
    const auto expected = BruteForceOrder(net, radius, 60, 4);
    const auto lazy = CollectiveInfluenceOrder(g, 60, {.radius = radius, .lazy = true, .seed = 4});
    const auto eager =
        CollectiveInfluenceOrder(g, 60, {.radius = radius, .lazy = false, .seed = 4});
    EXPECT_EQ(NodesOf(lazy), expected) << "radius " << radius;
    EXPECT_EQ(NodesOf(eager), expected) << "radius " << radius;
  }
}

TEST(CollectiveInfluenceTest, RanksEveryNodeOnce) {
  Network net = testing::RandomGraph(200, 300, 2);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  const auto order = NodesOf(CollectiveInfluenceOrder(g, 200, {}));
  EXPECT_EQ(std::set<NodeIndex>(order.begin(), order.end()).size(), 200u);
}

}  // namespace
}  // namespace riskd::engine::immunization
