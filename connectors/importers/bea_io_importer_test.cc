#include "connectors/importers/bea_io_importer.h"

#include <gtest/gtest.h>

#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::DataPath;
using testing::MaterialWeight;

TEST(BeaIoImporterTest, UseTableIndustriesAndDollarWeights) {
  riskd::v1::NetworkSource source;
  source.mutable_bea_io()->set_directory("bea_io_1997");
  auto net = ImportNetwork(source, DataPath(""));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  // 131 industries (the industry-by-industry table is 131 x 131); 11,500
  // positive industry cells of which 115 on the diagonal.
  EXPECT_EQ(net->node_count(), 131u);
  EXPECT_EQ(net->edge_count(), 11385u);
  // "1110,1120,1997,4,26093.6,...": crops to animal production, $M.
  EXPECT_DOUBLE_EQ(MaterialWeight(*net, "1110", "1120"), 26093.6);
  EXPECT_DOUBLE_EQ(MaterialWeight(*net, "1110", "1150"), 696.3);
  EXPECT_LT(MaterialWeight(*net, "1110", "1110"), 0);  // diagonal dropped
  EXPECT_FALSE(net->Find("F010").has_value());         // final use
  EXPECT_FALSE(net->Find("V001").has_value());         // value added
  EXPECT_FALSE(net->Find("S003").has_value());         // noncomparable imports
  const auto& crops = net->node(*net->Find("1110"));
  EXPECT_EQ(crops.name, "Crop production");
  EXPECT_EQ(crops.region, "US");
  EXPECT_EQ(net->node(*net->Find("S008")).name, "Owner-occupied dwellings");
}

TEST(BeaIoImporterTest, ConfigChoosesTheDirectRequirementsTable) {
  riskd::v1::NetworkSource source;
  source.mutable_bea_io()->set_directory("bea_io_1997");
  source.mutable_bea_io()->set_table(riskd::v1::BeaIoNetwork::TABLE_DIRECT_REQUIREMENTS);
  auto net = ImportNetwork(source, DataPath(""));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(net->edge_count(), 11087u);
  // "1110,1120,5,0.2483400"
  EXPECT_DOUBLE_EQ(MaterialWeight(*net, "1110", "1120"), 0.24834);
}

TEST(BeaIoImporterTest, DirectRequirementsCoefficients) {
  engine::Network net;
  BeaIoImporter::Options options;
  options.table = BeaIoImporter::Table::kDirectRequirements;
  const Status imported = BeaIoImporter(DataPath("bea_io_1997"), options).Import(&net);
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  EXPECT_EQ(net.node_count(), 131u);
  // 11,201 positive coefficients between industries, 114 of them diagonal
  // (the table rounds the smallest to 0.0000000).
  EXPECT_EQ(net.edge_count(), 11087u);
  EXPECT_DOUBLE_EQ(MaterialWeight(net, "1110", "1120"), 0.24834);
}

TEST(BeaIoImporterTest, FileNamesMatchIgnoringCase) {
  auto path = FindFileIgnoringCase(DataPath("bea_io_1997"), "IOUseSummary.txt");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_NE(path->find("iousesummary.txt"), std::string::npos);
  EXPECT_EQ(FindFileIgnoringCase(DataPath("bea_io_1997"), "IOMakeSummary.txt").status().code(),
            Status::Code::kNotFound);
}

}  // namespace
}  // namespace riskd::connectors
