#include "connectors/feeds/scms_csv_adapter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "connectors/feeds/feed_time.h"
#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::ReadDataFile;

const std::string& Shipments() {
  static const std::string text =
      ReadDataFile("scms_shipments/SCMS_Delivery_History_Dataset_20150929.csv");
  return text;
}

TEST(ScmsCsvAdapterTest, WholeHistoryLateLinesBecomeVendorStatuses) {
  auto batch = ScmsCsvAdapter().Parse(Shipments());
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->entries, 10324u);
  EXPECT_EQ(batch->envelopes.size(), 1186u);
  EXPECT_TRUE(batch->rejected.empty());
  // The first late line: ID 130, Orgenics, scheduled 13-Aug-07, delivered
  // 21-Aug-07 (8 days) by air to Haiti.
  const auto& env = batch->envelopes[0];
  EXPECT_EQ(env.event_id(), "scms:130");
  const auto& s = env.supplier_status();
  EXPECT_EQ(s.node_id(), "vendor-orgenics-ltd");
  EXPECT_EQ(s.risk_type(), "logistics");
  EXPECT_EQ(s.state(), riskd::v1::NODE_STATE_DISRUPTED);
  EXPECT_NEAR(s.severity(), 1 - std::exp(-8.0 / 14.0), 1e-12);
  EXPECT_EQ(
      s.detail(),
      "shipment 130 8 days late (scheduled 2007-08-13, delivered 2007-08-21) by Air to Haiti");
  EXPECT_EQ(env.occurred_at().seconds(), DaysFromCivil(2007, 8, 21) * kSecondsPerDay);
  std::set<std::string> vendors;
  for (const auto& e : batch->envelopes) vendors.insert(e.supplier_status().node_id());
  EXPECT_EQ(vendors.size(), 22u);
}

TEST(ScmsCsvAdapterTest, AsOfNowOverdueAndRecentlyLate) {
  ScmsCsvAdapter::Options options;
  options.now = DaysFromCivil(2014, 2, 3) * kSecondsPerDay;
  options.vendor_nodes["SCMS from RDC"] = "RDC";
  auto batch = ScmsCsvAdapter(options).Parse(Shipments());
  ASSERT_TRUE(batch.ok());
  // 60 shipments due before 2014-02-03 were still undelivered that day; 14
  // were delivered late in the 30 days before it.
  EXPECT_EQ(batch->envelopes.size(), 74u);
  const riskd::v1::Envelope* overdue = nullptr;
  for (const auto& e : batch->envelopes) {
    if (e.event_id() == "scms:82595") overdue = &e;
  }
  ASSERT_NE(overdue, nullptr);
  // Scheduled 27-Aug-13, delivered 08-Feb-14: 160 days overdue on 2014-02-03.
  EXPECT_EQ(overdue->supplier_status().node_id(), "RDC");
  EXPECT_NEAR(overdue->supplier_status().severity(), 1 - std::exp(-160.0 / 14.0), 1e-12);
  EXPECT_NE(overdue->supplier_status().detail().find("not delivered"), std::string::npos);
  EXPECT_EQ(overdue->occurred_at().seconds(), *options.now);
}

TEST(ScmsCsvAdapterTest, VendorIdsMapsAndMalformedRows) {
  EXPECT_EQ(VendorNodeId("MERCK SHARP & DOHME IDEA GMBH (FORMALLY MERCK SHARP & DOHME B.V.)"),
            "vendor-merck-sharp-dohme-idea-gmbh-formally-merck-sharp-dohme-b-v");
  EXPECT_EQ(VendorNodeId("  S. BUYS WHOLESALER "), "vendor-s-buys-wholesaler");
  const std::string rows =
      "ID,Vendor,Scheduled Delivery Date,Delivered to Client Date\n"
      "1,Acme,01-Jan-10,05-Jan-10\n"
      "2,,01-Jan-10,05-Jan-10\n"
      "3,Acme,Date Not Captured,05-Jan-10\n"
      "4,Acme,01-Jan-10,01-Jan-10\n";
  auto batch = ScmsCsvAdapter().Parse(rows);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->entries, 4u);
  ASSERT_EQ(batch->envelopes.size(), 1u);
  ASSERT_EQ(batch->rejected.size(), 2u);
  EXPECT_EQ(batch->rejected[0].reason, "line 3: missing ID or Vendor");
  EXPECT_EQ(batch->rejected[1].feed_id, "3");
  EXPECT_FALSE(ScmsCsvAdapter().Parse("ID,Vendor\n1,Acme\n").ok());

  // A vendor whose node id ingest would refuse (over 256 bytes) is this
  // row's fault: rejected here with ingest's reason, the others kept.
  auto long_vendor = ScmsCsvAdapter().Parse(
      "ID,Vendor,Scheduled Delivery Date,Delivered to Client Date\n"
      "1,Acme,01-Jan-10,05-Jan-10\n"
      "2," +
      std::string(300, 'v') + ",01-Jan-10,05-Jan-10\n");
  ASSERT_TRUE(long_vendor.ok());
  ASSERT_EQ(long_vendor->envelopes.size(), 1u);
  ASSERT_EQ(long_vendor->rejected.size(), 1u);
  EXPECT_EQ(long_vendor->rejected[0].feed_id, "scms:2");
  EXPECT_EQ(long_vendor->rejected[0].reason,
            "invalid_argument: supplier_status.node_id: is longer than 256 bytes");

  const auto path = std::filesystem::temp_directory_path() / "riskd_vendor_map.csv";
  std::ofstream(path) << "vendor,node_id\n\"Orgenics, Ltd\",SUP-ORG\n";
  auto map = LoadVendorNodeMap(path.string());
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->at("Orgenics, Ltd"), "SUP-ORG");
  std::ofstream(path) << "vendor,node_id\nAcme,\n";
  EXPECT_FALSE(LoadVendorNodeMap(path.string()).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace riskd::connectors
