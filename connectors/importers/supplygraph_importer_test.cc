#include "connectors/importers/supplygraph_importer.h"

#include <gtest/gtest.h>

#include <set>

#include "connectors/csv/csv_reader.h"
#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::DataPath;
using testing::MaterialWeight;

class SupplyGraphImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status imported = SupplyGraphImporter(DataPath("supplygraph")).Import(&net_);
    ASSERT_TRUE(imported.ok()) << imported.ToString();
    net_.Compact();
  }
  double Weight(const std::string& from, const std::string& to) const {
    return MaterialWeight(net_, from, to);
  }
  engine::Network net_;
};

TEST_F(SupplyGraphImporterTest, ProductsPlantsAndStorageSites) {
  // 41 product rows with POP001L12P twice, 25 plants, 13 storage locations
  // (plus one row with none); 276 distinct product-plant and 276
  // product-storage pairs in 6,545 repeated rows.
  EXPECT_EQ(net_.node_count(), 40u + 25u + 13u);
  EXPECT_EQ(net_.edge_count(), 276u + 276u);
  EXPECT_EQ(net_.node(*net_.Find("plant-1901")).kind, "plant");
  EXPECT_EQ(net_.node(*net_.Find("storage-1430")).kind, "warehouse");
  EXPECT_EQ(net_.node(*net_.Find("SOS008L02P")).kind, "product");
  EXPECT_FALSE(net_.Find("storage-").has_value());
  EXPECT_FALSE(net_.Find("storage-130.0").has_value());
}

TEST_F(SupplyGraphImporterTest, WeightsSplitTheSeriesTotals) {
  // SOS008L02P: 1,244.00192 produced over 221 days at 10 plants, 1,225.45343936
  // issued to 10 storage locations.
  EXPECT_NEAR(Weight("plant-2103", "SOS008L02P"), 124.400192, 1e-9);
  EXPECT_NEAR(Weight("SOS008L02P", "storage-330"), 122.545343936, 1e-9);
  // ATN01K24P: 14,789.496 at 13 plants.
  EXPECT_NEAR(Weight("plant-1901", "ATN01K24P"), 14789.496 / 13, 1e-9);
  // POP001L12P's two columns (POP001L12P and POP001L12P.1) add up:
  // 3,041.96256 produced at 12 plants.
  EXPECT_NEAR(Weight("plant-2120", "POP001L12P"), 3041.96256 / 12, 1e-9);
  // POP015K was never produced: the minimum weight.
  EXPECT_DOUBLE_EQ(Weight("plant-2120", "POP015K"), 0.001);
  EXPECT_DOUBLE_EQ(Weight("POP015K", "storage-2030"), 0.001);
}

TEST_F(SupplyGraphImporterTest, SharedPlantsReproduceTheProductEdgeFile) {
  // edges_plant.csv lists a product pair once per shared plant: its row
  // count equals the number of (pair, shared plant) triples in our graph.
  auto csv = CsvReader::FromFile(DataPath("supplygraph/edges/edges_plant.csv"));
  ASSERT_TRUE(csv.ok());
  std::vector<std::string> rec;
  ASSERT_TRUE(csv->Next(&rec));
  std::set<std::tuple<std::string, std::string, std::string>> listed;
  while (csv->Next(&rec)) {
    ASSERT_EQ(rec.size(), 3u);
    auto a = rec[1], b = rec[2];
    if (b < a) std::swap(a, b);
    listed.emplace(rec[0], a, b);
  }
  std::set<std::tuple<std::string, std::string, std::string>> implied;
  for (engine::NodeIndex p = 0; p < net_.node_slots(); ++p) {
    if (net_.node(p).kind != "plant") continue;
    std::vector<std::string> made;
    for (auto e = net_.out_begin(p); e < net_.out_end(p); ++e) {
      made.push_back(net_.node(net_.edge_target(e)).id);
    }
    for (std::size_t i = 0; i < made.size(); ++i) {
      for (std::size_t j = i + 1; j < made.size(); ++j) {
        auto a = made[i], b = made[j];
        if (b < a) std::swap(a, b);
        implied.emplace(net_.node(p).id.substr(6), a, b);
      }
    }
  }
  EXPECT_EQ(listed.size(), 1647u);
  EXPECT_EQ(implied, listed);
}

}  // namespace
}  // namespace riskd::connectors
