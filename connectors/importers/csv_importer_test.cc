#include "connectors/importers/csv_importer.h"

#include <google/protobuf/stubs/common.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <tuple>

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;
using std::string_literals::operator""s;

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
  // ImportNetwork's answer for a Willems (2008) chain of these stage rows.
  std::string ImportWillems(const std::string& rows) {
    riskd::v1::NetworkSource source;
    source.mutable_willems2008()->set_file(
        Write("willems.csv",
              "stage_id,lead_time,max_s_time,cost_rate,risk_pool,ext_demand_mean,ext_demand_std,"
              "ext_demand_thres,up_stages\n" +
                  rows));
    return ImportNetwork(source, "").status().ToString();
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

// Node values and edge weights over 1e15, as ingest refuses them
// (connectors/codec/event_codec.cc): a node's in-weights near DBL_MAX
// summed to infinity and its risk to 0. 1e15 itself is accepted.
TEST_F(CsvImporterTest, ValuesAndWeightsOver1e15AreRefusedNamingTheLine) {
  auto nodes = Write("nodes.csv", "id,value\nA,1e15\nB,1e308\n");
  auto edges = Write("edges.csv", "from,to,weight\n");
  engine::Network net;
  Status st = CsvImporter(nodes, edges).Import(&net);
  EXPECT_EQ(st.ToString(), "invalid_argument: " + nodes + ":3: value: must be at most 1e15");

  nodes = Write("nodes.csv", "id,value\nA,1e15\nB,1\n");
  edges = Write("edges.csv", "from,to,weight\nA,B,1e15\nB,A,1e308\n");
  engine::Network net2;
  st = CsvImporter(nodes, edges).Import(&net2);
  EXPECT_EQ(st.ToString(), "invalid_argument: " + edges + ":3: weight: must be at most 1e15");

  edges = Write("edges.csv", "from,to,weight\nA,B,1e15\n");
  engine::Network net3;
  EXPECT_TRUE(CsvImporter(nodes, edges).Import(&net3).ok());
}

// The other importers compute weights (Willems: quantity times rolled-up
// cost) or read them from fixed formats: their networks are checked whole.
TEST_F(CsvImporterTest, AnyImportedWeightOver1e15IsRefused) {
  EXPECT_EQ(
      ImportWillems("Manuf_0001,10,,1,2,,,,Part_0001,1\nPart_0001,10,,1e300,1,,,,\n"),
      "invalid_argument: edge node 'Part_0001' -> 'Manuf_0001': weight: must be at most 1e15");
}

// Protobuf refuses a string field that is not UTF-8 when it parses a
// message: one node id or name from a Latin-1 file made every snapshot,
// alert and incident naming it unreadable to every subscriber (riskctl:
// "no answer"). The import refuses such text, naming the line.
TEST_F(CsvImporterTest, TextThatIsNotUtf8IsRefusedNamingTheLine) {
  const auto edges = Write("edges.csv", "from,to,weight\n");
  const auto import = [&](const std::string& rows) {
    engine::Network net;
    return CsvImporter(Write("nodes.csv", "id,name,kind,region,alternates\n" + rows), edges)
        .Import(&net)
        .ToString();
  };
  const std::string nodes = (dir_ / "nodes.csv").string();
  EXPECT_EQ(import("Soci\xc3\xa9t\xc3\xa9,\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x8f\xad,,,\n"), "ok");
  EXPECT_EQ(import("A,ok,,,\nB\xe9,x,,,\n"),
            "invalid_argument: " + nodes +
                ":3: node 'B\\xe9': id is not valid UTF-8 (byte 0xe9 at byte 1; save the file as "
                "UTF-8)");
  EXPECT_EQ(import("A,Soci\xe9t\xe9,,,\n"),
            "invalid_argument: " + nodes +
                ":2: node 'A': name is not valid UTF-8 (byte 0xe9 at byte 4; save the file as "
                "UTF-8)");
  EXPECT_NE(import("A,,pl\xe4nt,,\n").find(":2: node 'A': kind is not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(import("A,,,M\xfcnchen,\n").find(":2: node 'A': region is not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(import("A,,,,B;C\xff\n").find(":2: node 'A': alternates is not valid UTF-8"),
            std::string::npos);
  // Ids carry no control characters (C0, DEL, C1), as at ingest; a name may.
  EXPECT_EQ(import("A\x01,,,,\n"),
            "invalid_argument: " + nodes + ":2: node 'A\\x01': id contains a control character");
  EXPECT_NE(import("A\xc2\x85,,,,\n").find("id contains a control character"), std::string::npos);
  EXPECT_EQ(import("A,tab\there,,,\n"), "ok");
}

// The same rule as protobuf's, byte string by byte string (overlong forms,
// surrogates, code points past U+10FFFF and truncated sequences refused).
TEST_F(CsvImporterTest, NodeTextIsRefusedExactlyWhenProtobufWouldRefuseIt) {
  std::mt19937 rng(20261202);
  const std::string interesting = "\x00\x7f\x80\xbf\xc0\xc1\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff"s;
  for (int i = 0; i < 200000; ++i) {
    std::string text(1 + rng() % 5, '\0');
    for (char& c : text) {
      c = rng() % 2 ? interesting[rng() % interesting.size()] : static_cast<char>(rng() & 0xff);
    }
    engine::NodeAttributes a;
    a.id = "A";
    a.name = text;
    ASSERT_EQ(CheckNodeText(a).ok(), google::protobuf::internal::IsStructurallyValidUTF8(
                                         text.data(), static_cast<int>(text.size())))
        << ::testing::PrintToString(text);
  }
}

// Every importer's network, and the locations file, are checked too.
TEST_F(CsvImporterTest, TextOfOtherImportersAndOfTheLocationsFileIsChecked) {
  const std::string willems =
      ImportWillems("Manuf_0001,10,,1,2,,,,Part_\xe9,1\nPart_\xe9,10,,1,1,,,,\n");
  EXPECT_NE(willems.find("node 'Part_\\xe9': id is not valid UTF-8"), std::string::npos) << willems;

  riskd::v1::NetworkSource src;
  src.mutable_csv()->set_nodes(Write("nodes.csv", "id\nA\nB\n"));
  src.mutable_csv()->set_edges(Write("edges.csv", "from,to,weight\nA,B,1\n"));
  const auto locs = Write("locations.csv", "id,lat,lon,region\nA,1,2,XX\nB,,,D\xfcsseldorf\n");
  src.set_locations_csv(locs);
  EXPECT_EQ(ImportNetwork(src, "").status().ToString(),
            "invalid_argument: " + locs +
                ":3: node 'B': region is not valid UTF-8 (byte 0xfc at byte 1; save the file as "
                "UTF-8)");
}

// A network of some size as rows, and the two files that list them the
// way real files come: rows in no order, CRLF line ends, blank lines, names
// quoted (commas, doubled quotes), layers spelled several ways, numbers
// written to round-trip exactly.
struct GeneratedCsv {
  std::vector<engine::NodeAttributes> nodes;
  std::vector<engine::Edge> edges;      // in file order
  std::vector<std::string> edge_rows;   // each edge's row, without its line end
  std::vector<std::size_t> edge_lines;  // each edge's line in edges.csv
};

std::string Exact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

GeneratedCsv Generate(std::size_t node_count, std::size_t edge_count, std::uint64_t seed) {
  GeneratedCsv g;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  for (std::size_t i = 0; i < node_count; ++i) {
    engine::NodeAttributes a;
    a.id = "s" + std::to_string(i);
    if (i % 3 == 0) a.name = "Plant \"" + std::to_string(i) + "\", Inc";
    a.kind = i % 2 ? "supplier" : "plant";
    if (i % 4) a.tier = static_cast<int>(i % 4);
    a.region = i % 5 ? "R" + std::to_string(i % 5) : "";
    if (i % 6) a.location = engine::GeoPoint{unit(rng) * 180 - 90, unit(rng) * 360 - 180};
    if (i % 7) a.inventory_days = unit(rng) * 30;
    if (i % 8 == 0) a.value = unit(rng) * 1e6;
    if (i % 9 == 0 && i > 0) a.alternates = {"s" + std::to_string(i - 1), "s0"};
    g.nodes.push_back(std::move(a));
  }
  std::set<std::tuple<engine::NodeIndex, engine::NodeIndex, engine::Layer>> keys;
  const char* const spellings[3][3] = {{"", "material", "Material"},
                                       {"data", "DATA", "Data"},
                                       {"financial", "FINANCIAL", "financial"}};
  std::size_t line = 2;
  while (g.edges.size() < edge_count) {
    engine::Edge e;
    e.from = static_cast<engine::NodeIndex>(rng() % node_count);
    e.to = static_cast<engine::NodeIndex>(rng() % node_count);
    const auto layer = rng() % 5;  // mostly material
    e.layer = static_cast<engine::Layer>(layer < 3 ? 0 : layer - 2);
    e.weight = 0.01 + unit(rng) * 100;
    if (e.from == e.to || !keys.insert({e.from, e.to, e.layer}).second) continue;
    g.edges.push_back(e);
    g.edge_rows.push_back(g.nodes[e.from].id + "," + g.nodes[e.to].id + "," + Exact(e.weight) +
                          "," + spellings[static_cast<int>(e.layer)][rng() % 3]);
    if (g.edges.size() % 1000 == 0) ++line;  // a blank line before it
    g.edge_lines.push_back(line++);
  }
  return g;
}

std::string NodesCsv(const std::vector<engine::NodeAttributes>& nodes) {
  std::string out = "id,name,kind,tier,region,lat,lon,inventory_days,alternates,value\r\n";
  for (const auto& a : nodes) {
    std::string name = a.name;
    for (std::size_t at = name.find('"'); at != std::string::npos; at = name.find('"', at + 2)) {
      name.insert(at, 1, '"');
    }
    std::string alternates;
    for (const auto& alt : a.alternates) alternates += (alternates.empty() ? "" : ";") + alt;
    out += a.id + ",\"" + name + "\"," + a.kind + "," +
           (a.tier >= 0 ? std::to_string(a.tier) : "") + "," + a.region + "," +
           (a.location ? Exact(a.location->lat) : "") + "," +
           (a.location ? Exact(a.location->lon) : "") + "," +
           (a.inventory_days != 0 ? Exact(a.inventory_days) : "") + "," + alternates + "," +
           (a.value ? Exact(*a.value) : "") + "\r\n";
  }
  return out;
}

std::string EdgesCsv(const GeneratedCsv& g) {
  std::string out = "from,to,weight,layer\r\n";
  for (std::size_t k = 0; k < g.edge_rows.size(); ++k) {
    if ((k + 1) % 1000 == 0) out += "\r\n";
    out += g.edge_rows[k] + "\r\n";
  }
  return out;
}

void ExpectSameNetwork(const engine::Network& got, const engine::Network& want) {
  ASSERT_EQ(got.node_slots(), want.node_slots());
  ASSERT_EQ(got.edge_count(), want.edge_count());
  for (engine::NodeIndex n = 0; n < want.node_slots(); ++n) {
    const engine::NodeAttributes a = got.node(n), b = want.node(n);
    ASSERT_EQ(a.id, b.id) << "node " << n;
    EXPECT_EQ(a.name, b.name) << a.id;
    EXPECT_EQ(a.kind, b.kind) << a.id;
    EXPECT_EQ(a.tier, b.tier) << a.id;
    EXPECT_EQ(a.region, b.region) << a.id;
    EXPECT_EQ(a.location.has_value(), b.location.has_value()) << a.id;
    if (a.location && b.location) {
      EXPECT_EQ(a.location->lat, b.location->lat) << a.id;
      EXPECT_EQ(a.location->lon, b.location->lon) << a.id;
    }
    EXPECT_EQ(a.inventory_days, b.inventory_days) << a.id;
    EXPECT_EQ(a.alternates, b.alternates) << a.id;
    EXPECT_EQ(a.emergency_plan_id, b.emergency_plan_id) << a.id;
    EXPECT_EQ(a.value, b.value) << a.id;
  }
  const std::vector<engine::Edge> got_edges = got.Edges(), want_edges = want.Edges();
  ASSERT_EQ(got_edges.size(), want_edges.size());
  for (std::size_t k = 0; k < want_edges.size(); ++k) {
    const engine::Edge &a = got_edges[k], &b = want_edges[k];
    ASSERT_TRUE(a.from == b.from && a.to == b.to && a.layer == b.layer && a.weight == b.weight)
        << "CSR edge " << k << ": " << a.from << " -> " << a.to << " w " << a.weight << ", want "
        << b.from << " -> " << b.to << " w " << b.weight;
  }
}

TEST_F(CsvImporterTest, AGeneratedNetworkImportsAsItsRowsBuildIt) {
  // ~1.6 MB of edges: many of the reader's 64 KiB chunks.
  const GeneratedCsv g = Generate(4000, 40000, 7);
  const auto nodes = Write("nodes.csv", NodesCsv(g.nodes));
  const auto edges = Write("edges.csv", EdgesCsv(g));
  engine::Network want;
  for (const auto& a : g.nodes) ASSERT_TRUE(want.AddNode(a).ok());
  ASSERT_TRUE(want.AddEdges(g.edges).ok());
  want.Compact();

  riskd::v1::NetworkSource source;
  source.mutable_csv()->set_nodes(nodes);
  source.mutable_csv()->set_edges(edges);
  auto got = ImportNetwork(source, "");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->edge_count(), 40000u);
  ExpectSameNetwork(*got, want);
  // The layers really vary, and quoted names came through.
  EXPECT_EQ(got->name(0), "Plant \"0\", Inc");
  EXPECT_TRUE(std::any_of(g.edges.begin(), g.edges.end(),
                          [](const engine::Edge& e) { return e.layer == engine::Layer::kData; }));
}

TEST_F(CsvImporterTest, ErrorsDeepInALargeFileNameItsLineAndReason) {
  const GeneratedCsv g = Generate(2000, 30000, 11);
  const auto nodes = Write("nodes.csv", NodesCsv(g.nodes));
  auto import_with = [&](GeneratedCsv rows) {
    const auto edges = Write("edges.csv", EdgesCsv(rows));
    engine::Network net;
    const Status st = CsvImporter(nodes, edges).Import(&net);
    return st.ToString();
  };
  const std::string path = (dir_ / "edges.csv").string();
  const std::size_t k = 25000;  // a row far past the first chunks
  const std::string at = path + ":" + std::to_string(g.edge_lines[k]) + ": ";

  GeneratedCsv bad = g;
  bad.edge_rows[k] = "s1,nowhere,1";
  EXPECT_EQ(import_with(bad), "not_found: " + at + "node 'nowhere' is not in the network");
  bad.edge_rows[k] = "s1,s2,heavy";
  EXPECT_EQ(import_with(bad), "invalid_argument: " + at + "weight is not a number");
  bad.edge_rows[k] = "s1,s2,-3";
  EXPECT_EQ(import_with(bad), "invalid_argument: " + at + "edge weight must be finite and > 0");
  bad.edge_rows[k] = "s1,s2,1,plastic";
  EXPECT_EQ(import_with(bad),
            "invalid_argument: " + at + "unknown layer 'plastic' (material, data or financial)");
  bad.edge_rows[k] = "s7,s7,1";
  EXPECT_EQ(import_with(bad), "invalid_argument: " + at + "self-loop on node 's7'");
  bad.edge_rows[k] = "s1,\"s2,1";
  EXPECT_EQ(import_with(bad), "invalid_argument: " + path + ": line " +
                                  std::to_string(g.edge_lines[k]) + ": unterminated quoted field");

  // Rows listed twice: the error names both lines of the edge with the
  // smallest (from, to, layer) key listed twice, whatever the file order.
  auto repeat = [&](std::size_t copy, std::size_t over) {
    GeneratedCsv twice = g;
    twice.edge_rows[over] = g.edge_rows[copy];
    twice.edges[over] = g.edges[copy];
    return twice;
  };
  auto key = [&](std::size_t i) {
    return std::make_tuple(g.edges[i].from, g.edges[i].to, g.edges[i].layer);
  };
  // Two rows repeated, the one with the larger key first in the file.
  std::size_t small = 20000, large = 3000;
  if (key(small) > key(large)) std::swap(small, large);
  GeneratedCsv twice = repeat(small, 26000);
  twice.edge_rows[k] = g.edge_rows[large];
  const std::size_t first = std::min(small, std::size_t{26000});
  const std::size_t second = std::max(small, std::size_t{26000});
  EXPECT_EQ(import_with(twice),
            "already_exists: " + path + ":" + std::to_string(g.edge_lines[second]) + ": edge '" +
                g.nodes[g.edges[small].from].id + "' -> '" + g.nodes[g.edges[small].to].id +
                "' repeats line " + std::to_string(g.edge_lines[first]));
  // The same edge in another layer is another edge.
  GeneratedCsv layered = g;
  const engine::Edge& e = g.edges[k];
  for (const char* layer : {"material", "data", "financial"}) {
    if (ParseLayerName(layer).value() == e.layer) continue;
    const std::string row = g.nodes[e.from].id + "," + g.nodes[e.to].id + ",2," + layer;
    if (std::find(g.edge_rows.begin(), g.edge_rows.end(), row) != g.edge_rows.end()) continue;
    layered.edge_rows.push_back(row);
    layered.edge_lines.push_back(layered.edge_lines.back() + 1);
  }
  EXPECT_EQ(import_with(layered), "ok");
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
