#include "connectors/importers/willems_importer.h"

#include <gtest/gtest.h>

#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::DataPath;
using testing::MaterialWeight;

TEST(WillemsImporterTest, ChainOneStagesPairsAndRolledUpCosts) {
  engine::Network net;
  const Status imported = WillemsImporter(DataPath("willems2008/willems_01.csv")).Import(&net);
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  EXPECT_EQ(net.node_count(), 8u);
  EXPECT_EQ(net.edge_count(), 10u);
  // Part_0001 (cost 12, no upstream) feeds Manuf_0001 with quantity 1.
  EXPECT_DOUBLE_EQ(MaterialWeight(net, "Part_0001", "Manuf_0001"), 12.0);
  // Manuf_0001: 39 + Part_0001 12 + Part_0002 5 + Part_0003 9 = 65.
  EXPECT_DOUBLE_EQ(MaterialWeight(net, "Manuf_0001", "Retail_0001"), 65.0);
  // Manuf_0002: 36 + 12 + 5 + 9 = 62.
  EXPECT_DOUBLE_EQ(MaterialWeight(net, "Manuf_0002", "Retail_0002"), 62.0);
  EXPECT_LT(MaterialWeight(net, "Retail_0001", "Manuf_0001"), 0);  // no reverse edge
  const auto& part = net.node(*net.Find("Part_0002"));
  EXPECT_EQ(part.kind, "part");
  EXPECT_EQ(part.tier, 2);
  EXPECT_EQ(net.node(*net.Find("Manuf_0002")).tier, 1);
  EXPECT_EQ(net.node(*net.Find("Retail_0003")).tier, 0);
}

TEST(WillemsImporterTest, ZeroCostPartsGetTheMinimumWeight) {
  // willems_23: Part_0163 is recorded with cost_rate 0 and no upstream.
  engine::Network net;
  WillemsImporter::Options options;
  options.min_weight = 0.5;
  const Status imported =
      WillemsImporter(DataPath("willems2008/willems_23.csv"), options).Import(&net);
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  EXPECT_EQ(net.node_count(), 271u);
  EXPECT_EQ(net.edge_count(), 524u);
  EXPECT_DOUBLE_EQ(MaterialWeight(net, "Part_0163", "Manuf_0046"), 0.5);
}

TEST(WillemsImporterTest, LargestChainThroughTheFactory) {
  riskd::v1::NetworkSource source;
  source.mutable_willems2008()->set_file("willems2008/willems_38.csv");
  auto net = ImportNetwork(source, DataPath(""));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(net->node_count(), 2025u);
  EXPECT_EQ(net->edge_count(), 16225u);
  // willems_05: Manuf_0005 (2.87) takes Dist_0001 (2.47, itself fed by
  // Manuf_0001 and its six parts) and three parts: 32.0 rolled up by hand.
  source.mutable_willems2008()->set_file("willems2008/willems_05.csv");
  auto five = ImportNetwork(source, DataPath(""));
  ASSERT_TRUE(five.ok()) << five.status().ToString();
  EXPECT_EQ(five->node_count(), 27u);
  EXPECT_EQ(five->edge_count(), 31u);
  EXPECT_NEAR(MaterialWeight(*five, "Manuf_0005", "Retail_0008"), 32.0, 1e-9);
}

}  // namespace
}  // namespace riskd::connectors
