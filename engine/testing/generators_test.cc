#include "engine/testing/generators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace riskd::engine {
namespace {

std::vector<std::size_t> Degrees(const Network& net) {
  std::vector<std::size_t> k(net.node_slots(), 0);
  for (const Edge& e : net.Edges()) {
    ++k[e.from];
    ++k[e.to];
  }
  return k;
}

TEST(GeneratorsTest, BarabasiAlbertIsDeterministicScaleFreeAndSimple) {
  const Network a = BarabasiAlbert(2000, 3, {.seed = 5});
  EXPECT_EQ(a.node_count(), 2000u);
  EXPECT_EQ(a.edge_count(), 3u * (2000 - 4) + 6);
  EXPECT_EQ(BarabasiAlbert(2000, 3, {.seed = 5}).Edges().size(), a.Edges().size());
  const auto ea = a.Edges(), eb = BarabasiAlbert(2000, 3, {.seed = 5}).Edges();
  EXPECT_TRUE(std::equal(ea.begin(), ea.end(), eb.begin(), [](const Edge& x, const Edge& y) {
    return x.from == y.from && x.to == y.to && x.weight == y.weight;
  }));
  const auto ec = BarabasiAlbert(2000, 3, {.seed = 6}).Edges();
  EXPECT_FALSE(std::equal(ea.begin(), ea.end(), ec.begin(), [](const Edge& x, const Edge& y) {
    return x.to == y.to && x.from == y.from;
  }));
  std::set<std::pair<NodeIndex, NodeIndex>> pairs;
  for (const Edge& e : ea) {
    EXPECT_LT(e.from, e.to);  // earlier node supplies the later one
    EXPECT_TRUE(pairs.insert({e.from, e.to}).second);
  }
  const auto k = Degrees(a);
  const double mean = 2.0 * static_cast<double>(a.edge_count()) / 2000;
  EXPECT_GT(static_cast<double>(*std::max_element(k.begin(), k.end())), 10 * mean);  // hubs
}

TEST(GeneratorsTest, WattsStrogatzRingIsClusteredAndRewiringKeepsEdges) {
  const Network ring = WattsStrogatz(100, 3, 0.0, {.seed = 1, .min_weight = 0.5, .max_weight = 2});
  EXPECT_EQ(ring.edge_count(), 300u);
  for (const Edge& e : ring.Edges()) {
    EXPECT_GE(e.weight, 0.5);
    EXPECT_LE(e.weight, 2.0);
  }
  // Node 0 links to 1, 2, 3 and 97, 98, 99: 1-2 and 2-3 ... are linked too.
  EXPECT_TRUE(ring.FindEdge(0, 1, Layer::kMaterial));
  EXPECT_TRUE(ring.FindEdge(1, 2, Layer::kMaterial));
  EXPECT_TRUE(ring.FindEdge(97, 0, Layer::kMaterial));
  const Network rewired = WattsStrogatz(100, 3, 0.3, {.seed = 1});
  EXPECT_EQ(rewired.edge_count(), 300u);
  int moved = 0;
  for (const Edge& e : rewired.Edges()) moved += !ring.FindEdge(e.from, e.to, Layer::kMaterial);
  EXPECT_GT(moved, 40);
  EXPECT_LT(moved, 140);
}

}  // namespace
}  // namespace riskd::engine
