#include "engine/immunization/components.h"

#include <gtest/gtest.h>

#include "engine/immunization/basic_strategies.h"
#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

UndirectedGraph Path(int n) {
  std::vector<std::tuple<int, int, double>> e;
  for (int i = 0; i + 1 < n; ++i) e.emplace_back(i, i + 1, 1);
  return UndirectedGraph::FromNetwork(testing::MakeNetwork(n, e), kAllLayers);
}

TEST(ComponentsTest, DisjointSets) {
  DisjointSets s(5);
  EXPECT_EQ(s.Union(0, 1), 2u);
  EXPECT_EQ(s.Union(3, 4), 2u);
  EXPECT_EQ(s.Union(1, 4), 4u);
  EXPECT_EQ(s.Union(0, 3), 4u);  // already together
  EXPECT_EQ(s.Find(0), s.Find(4));
  EXPECT_NE(s.Find(0), s.Find(2));
  EXPECT_EQ(s.root_size(s.Find(2)), 1u);
}

TEST(ComponentsTest, CurveAndPointOnAPath) {
  const auto g = Path(10);
  const std::vector<NodeIndex> order{5, 2, 8};
  // Left after each removal: 0..9 | 0..4, 6..9 | 0-1, 3-4, 6..9 | 0-1, 3-4, 6-7, 9.
  EXPECT_EQ(GiantComponentCurve(g, order), (std::vector<std::size_t>{10, 5, 4, 2}));
  EXPECT_EQ(DismantlingPoint(g, order, 4), 2u);
  EXPECT_EQ(DismantlingPoint(g, order, 2), 3u);
  EXPECT_EQ(DismantlingPoint(g, order, 10), 0u);
  EXPECT_EQ(DismantlingPoint(g, order, 1), std::nullopt);
}

TEST(ComponentsTest, CurveAgreesWithBreadthFirstSearch) {
  Network net = testing::RandomGraph(300, 420, 6);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  const std::vector<NodeIndex> order = NodesOf(RandomOrder(g, 300, 3));
  const auto curve = GiantComponentCurve(g, order);
  ASSERT_EQ(curve.size(), 301u);
  for (std::size_t q = 0; q <= order.size(); q += 7) {
    EXPECT_EQ(curve[q], LargestComponentWithout(g, std::span(order).first(q))) << q;
  }
  EXPECT_EQ(curve.back(), 0u);
}

TEST(ComponentsTest, MaxGiantSizeFloors) {
  EXPECT_EQ(MaxGiantSize(0.01, 78125), 781u);
  EXPECT_EQ(MaxGiantSize(0.5, 7), 3u);
  EXPECT_EQ(MaxGiantSize(1.0, 7), 7u);
}

}  // namespace
}  // namespace riskd::engine::immunization
