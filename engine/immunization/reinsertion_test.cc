#include "engine/immunization/reinsertion.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/immunization/basic_strategies.h"
#include "engine/immunization/components.h"
#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

TEST(ReinsertionTest, PutsBackTheNodeThatMakesTheSmallestComponent) {
  // Path 0-1-2-3-4 with 1, 2, 3 removed. Costs: 2 -> 1 (alone), 1 and 3 -> 2.
  // After 2: 1 and 3 both cost 3; the later removed (3) goes first; then 1
  // would cost 5.
  const auto g = UndirectedGraph::FromNetwork(
      testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}}), kAllLayers);
  const std::vector<NodeIndex> removed{1, 2, 3};
  // Components of at most 1 node: only 2 can return; {1, 3} stay removed.
  EXPECT_EQ(ReinsertionOrder(g, removed, 1), (std::vector<NodeIndex>{1, 3, 2}));
  EXPECT_EQ(DismantlingPoint(g, ReinsertionOrder(g, removed, 1), 1), 2u);
  // At most 3: 2 and then 3 return; only 1 stays removed.
  EXPECT_EQ(ReinsertionOrder(g, removed, 3), (std::vector<NodeIndex>{1, 3, 2}));
  EXPECT_EQ(DismantlingPoint(g, ReinsertionOrder(g, removed, 3), 3), 1u);
  // Listed the other way round, the tie goes to 1 (now removed later).
  EXPECT_EQ(ReinsertionOrder(g, std::vector<NodeIndex>{3, 2, 1}, 3),
            (std::vector<NodeIndex>{3, 1, 2}));
  // At most 5: everything returns, the last returned first.
  EXPECT_EQ(ReinsertionOrder(g, removed, 5), (std::vector<NodeIndex>{1, 3, 2}));
  // Nothing fits under 0: the order is kept.
  EXPECT_EQ(ReinsertionOrder(g, removed, 0), removed);
}

TEST(ReinsertionTest, NeverNeedsMoreNodesThanTheSetItPrunes) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Network net = testing::RandomGraph(400, 700, seed);
    const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
    const std::vector<NodeIndex> order = NodesOf(DegreeOrder(g, 400, seed, false));
    const std::size_t limit = 20;
    const std::size_t d = *DismantlingPoint(g, order, limit);
    const auto pruned = ReinsertionOrder(g, std::span(order).first(d), limit);
    std::vector<NodeIndex> sorted_in(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(d));
    std::vector<NodeIndex> sorted_out = pruned;
    std::sort(sorted_in.begin(), sorted_in.end());
    std::sort(sorted_out.begin(), sorted_out.end());
    EXPECT_EQ(sorted_in, sorted_out);  // a permutation of the removed set
    const std::size_t d2 = *DismantlingPoint(g, pruned, limit);
    EXPECT_LT(d2, d) << "static degree always leaves something to prune here";
    EXPECT_LE(LargestComponentWithout(g, std::span(pruned).first(d2)), limit);
  }
}

}  // namespace
}  // namespace riskd::engine::immunization
