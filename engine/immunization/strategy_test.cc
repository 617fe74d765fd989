#include "engine/immunization/strategy.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/immunization/components.h"
#include "engine/immunization/testing/dismantling.h"
#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::MakeNetwork;

TEST(StrategyTest, NamesRoundTrip) {
  ASSERT_EQ(AllStrategies().size(), 8u);
  std::set<std::string_view> names;
  for (Strategy s : AllStrategies()) {
    names.insert(StrategyName(s));
    auto parsed = ParseStrategy(StrategyName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"random", "degree", "strength", "eigenvector",
                                               "betweenness", "acquaintance",
                                               "collective_influence", "corehd"}));
  EXPECT_EQ(ParseStrategy("pagerank").status().code(), Status::Code::kNotFound);
}

TEST(StrategyTest, ValidatesOptions) {
  EXPECT_TRUE(ValidateStrategyOptions({}).ok());
  EXPECT_FALSE(ValidateStrategyOptions({.giant_fraction = 0}).ok());
  EXPECT_FALSE(ValidateStrategyOptions({.giant_fraction = 1.5}).ok());
  EXPECT_FALSE(ValidateStrategyOptions({.ci_radius = 0}).ok());
  EXPECT_FALSE(ValidateStrategyOptions({.eigen_tolerance = -1}).ok());
  Network net = MakeNetwork(3, {{0, 1, 1}});
  EXPECT_EQ(SelectTargets(Strategy::kDegree, net, kAllLayers, 1, {.ci_radius = 0}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(SelectTargets(Strategy::kDegree, net, kAllLayers, -1, {}).status().code(),
            Status::Code::kInvalidArgument);
}

// Every strategy: k distinct present nodes (removed slots skipped), k
// capped at the node count, the same targets for the same seed.
TEST(StrategyTest, EveryStrategyReturnsDistinctPresentNodes) {
  Network net = testing::RandomGraph(60, 120, 3);
  ASSERT_TRUE(net.RemoveNode("n7").ok());
  net.Compact();
  for (Strategy s : AllStrategies()) {
    for (bool reinsertion : {false, true}) {
      const StrategyOptions o{.seed = 5, .reinsertion = reinsertion};
      auto t = SelectTargets(s, net, kAllLayers, 10, o);
      ASSERT_TRUE(t.ok()) << StrategyName(s);
      EXPECT_EQ(t->size(), 10u);
      const std::set<NodeIndex> distinct(t->begin(), t->end());
      EXPECT_EQ(distinct.size(), 10u);
      EXPECT_FALSE(distinct.count(7)) << StrategyName(s);
      EXPECT_EQ(*SelectTargets(s, net, kAllLayers, 10, o), *t);
      EXPECT_TRUE(SelectTargets(s, net, kAllLayers, 0, o)->empty());
      EXPECT_EQ(SelectTargets(s, net, kAllLayers, 100, o)->size(), 59u);
    }
  }
}

// Two K4s joined through a path 3-8-4: the path node 8 carries every
// cross pair, the cliques' door nodes 3 and 4 the most edges.
Network Barbell() {
  std::vector<std::tuple<int, int, double>> e{{3, 8, 1}, {8, 4, 1}};
  for (int base : {0, 4}) {
    for (int i = 0; i < 4; ++i) {
      for (int j = i + 1; j < 4; ++j) e.emplace_back(base + i, base + j, 1);
    }
  }
  return MakeNetwork(9, e);
}

TEST(StrategyTest, CentralitiesPickTheirOwnCentre) {
  Network net = Barbell();
  EXPECT_EQ(*SelectTargets(Strategy::kBetweenness, net, kAllLayers, 1, {}),
            (std::vector<NodeIndex>{8}));
  const auto by_degree = *SelectTargets(Strategy::kDegree, net, kAllLayers, 2, {});
  EXPECT_EQ(std::set<NodeIndex>(by_degree.begin(), by_degree.end()), (std::set<NodeIndex>{3, 4}));
  const auto by_eigen = *SelectTargets(Strategy::kEigenvector, net, kAllLayers, 2, {});
  EXPECT_EQ(std::set<NodeIndex>(by_eigen.begin(), by_eigen.end()), (std::set<NodeIndex>{3, 4}));
}

TEST(StrategyTest, RanksOnlyTheChosenLayers) {
  // The material layer is a star on 0; the data layer a star on 5.
  Network net = MakeNetwork(10, {{0, 1, 1}, {0, 2, 1}, {0, 3, 1}});
  for (int leaf : {6, 7, 8, 9}) ASSERT_TRUE(net.AddEdge(5, leaf, Layer::kData, 1).ok());
  net.Compact();
  EXPECT_EQ(*SelectTargets(Strategy::kDegree, net, LayerBit(Layer::kMaterial), 1, {}),
            (std::vector<NodeIndex>{0}));
  EXPECT_EQ(*SelectTargets(Strategy::kDegree, net, LayerBit(Layer::kData), 1, {}),
            (std::vector<NodeIndex>{5}));
  EXPECT_EQ(*SelectTargets(Strategy::kDegree, net, kAllLayers, 1, {}), (std::vector<NodeIndex>{5}));
}

TEST(StrategyTest, ReinsertionPrunesTheDismantlingSetAndRanksItFirst) {
  Network net = testing::RandomGraph(500, 900, 12);
  const auto g = UndirectedGraph::FromNetwork(net, kAllLayers);
  for (Strategy s : {Strategy::kDegree, Strategy::kCollectiveInfluence, Strategy::kCoreHd}) {
    const auto plain = *Dismantle(s, net, g, {.seed = 2, .giant_fraction = 0.05});
    const auto pruned =
        *Dismantle(s, net, g, {.seed = 2, .reinsertion = true, .giant_fraction = 0.05});
    EXPECT_EQ(plain.max_giant, 25u);
    EXPECT_LE(pruned.removed, plain.removed) << StrategyName(s);
    // The reduced set is a subset of the original one, ranked first.
    const std::set<NodeIndex> original(
        plain.order.begin(), plain.order.begin() + static_cast<std::ptrdiff_t>(plain.removed));
    for (std::size_t i = 0; i < pruned.removed; ++i) EXPECT_TRUE(original.count(pruned.order[i]));
    // And the targets are that ranking's head.
    const auto k = *SelectTargets(s, net, kAllLayers, 5,
                                  {.seed = 2, .reinsertion = true, .giant_fraction = 0.05});
    EXPECT_EQ(k, std::vector<NodeIndex>(pruned.order.begin(), pruned.order.begin() + 5));
  }
}

}  // namespace
}  // namespace riskd::engine::immunization
