#include "connectors/importers/csv_importer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;

class CsvImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("riskd_csv_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(CsvImporterTest, ReadsNodesAndEdgesWithAllAttributes) {
  auto nodes = Write("nodes.csv",
                     "id,name,kind,tier,region,lat,lon,inventory_days,alternates,value\n"
                     "S1,Steel One,supplier,2,JP,35.0,139.0,4.5,S2;S3,\n"
                     "S2,,supplier,2,JP,,,,,\n"
                     "P1,Plant,plant,1,US-TX,30.2,-97.7,,,2500\n");
  auto edges =
      Write("edges.csv", "from,to,weight,layer\nS1,P1,10,material\nS2,P1,5,\nP1,S1,1,data\n");
  engine::Network net;
  ASSERT_TRUE(CsvImporter(nodes, edges).Import(&net).ok());
  net.Compact();
  EXPECT_EQ(net.node_count(), 3u);
  EXPECT_EQ(net.edge_count(), 3u);
  const auto& s1 = net.node(*net.Find("S1"));
  EXPECT_EQ(s1.name, "Steel One");
  EXPECT_EQ(s1.tier, 2);
  EXPECT_EQ(s1.region, "JP");
  EXPECT_DOUBLE_EQ(s1.location->lat, 35.0);
  EXPECT_DOUBLE_EQ(s1.inventory_days, 4.5);
  EXPECT_EQ(s1.alternates, (std::vector<std::string>{"S2", "S3"}));
  EXPECT_FALSE(s1.value.has_value());
  EXPECT_EQ(net.node(*net.Find("P1")).value, 2500.0);
  EXPECT_EQ(net.node(*net.Find("S2")).name, "S2");
  EXPECT_FALSE(net.node(*net.Find("S2")).location.has_value());
  EXPECT_EQ(*net.FindEdge(*net.Find("S2"), *net.Find("P1"), engine::Layer::kMaterial), 5.0);
  EXPECT_EQ(*net.FindEdge(*net.Find("P1"), *net.Find("S1"), engine::Layer::kData), 1.0);
}

TEST_F(CsvImporterTest, ErrorsNameFileLineAndReason) {
  auto nodes = Write("nodes.csv", "id,colour\nA,red\n");
  auto edges = Write("edges.csv", "from,to,weight\n");
  engine::Network net;
  Status st = CsvImporter(nodes, edges).Import(&net);
  EXPECT_NE(st.message().find("unknown column 'colour'"), std::string::npos) << st.ToString();

  nodes = Write("nodes.csv", "id\nA\nB\n");
  edges = Write("edges.csv", "from,to,weight\nA,B,1\nA,C,2\n");
  engine::Network net2;
  st = CsvImporter(nodes, edges).Import(&net2);
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_NE(st.message().find("edges.csv:3"), std::string::npos) << st.ToString();

  edges = Write("edges.csv", "from,to,weight\nA,B,-1\n");
  engine::Network net3;
  st = CsvImporter(nodes, edges).Import(&net3);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();

  edges = Write("edges.csv", "from,to,weight\nA,B,1\nB,A,1\nA,B,2\n");
  engine::Network net5;
  st = CsvImporter(nodes, edges).Import(&net5);
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_NE(st.message().find("edges.csv:4"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("repeats line 2"), std::string::npos) << st.ToString();

  engine::Network net4;
  st = CsvImporter((dir_ / "missing.csv").string(), edges).Import(&net4);
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
}

TEST_F(CsvImporterTest, LocationsFileAttachesCoordinatesAndRegions) {
  auto nodes = Write("nodes.csv", "id\nA\nB\n");
  auto edges = Write("edges.csv", "from,to,weight\nA,B,1\n");
  auto locs = Write("locations.csv", "id,lat,lon,region\nA,10.5,20.25,XX\nB,,,YY\n");
  riskd::v1::NetworkSource src;
  src.mutable_csv()->set_nodes(nodes);
  src.mutable_csv()->set_edges(edges);
  src.set_locations_csv(locs);
  auto net = ImportNetwork(src, "");
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_DOUBLE_EQ(net->node(0).location->lon, 20.25);
  EXPECT_EQ(net->node(0).region, "XX");
  EXPECT_EQ(net->node(1).region, "YY");
  EXPECT_FALSE(net->node(1).location.has_value());
  Write("locations.csv", "id,lat,lon\nZ,1,2\n");
  EXPECT_EQ(ImportNetwork(src, "").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace riskd::connectors
