#include "connectors/feeds/feed_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "connectors/feeds/feed_factory.h"
#include "connectors/feeds/feed_time.h"
#include "connectors/feeds/scms_csv_adapter.h"

namespace riskd::connectors {
namespace {

using riskd::v1::FeedConfig;

// Three late shipments of two vendors and one on time; as of 2010-02-01
// with a 20-day lookback only shipment 3 (delivered 2010-01-25) counts.
constexpr std::string_view kShipments =
    "ID,Vendor,Scheduled Delivery Date,Delivered to Client Date\n"
    "1,Acme,01-Jan-10,05-Jan-10\n"
    "2,Acme,01-Jan-10,01-Jan-10\n"
    "3,Bolt Ltd,10-Jan-10,25-Jan-10\n";

// (event id, node id, risk type, source) of every envelope.
std::vector<std::string> Summary(const FeedAdapter& adapter) {
  auto batch = adapter.Parse(kShipments);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  std::vector<std::string> out;
  if (!batch.ok()) return out;
  for (const auto& env : batch->envelopes) {
    out.push_back(env.event_id() + " " + env.supplier_status().node_id() + " " +
                  env.supplier_status().risk_type() + " " + env.source());
  }
  return out;
}

TEST(FeedRegistryTest, EveryAdapterRegistersItselfOnceWithItsOwnSettingsMember) {
  EXPECT_EQ(FeedAdapterNames(), (std::vector<std::string_view>{"gdacs_rss", "nws_cap_atom",
                                                               "scms_csv", "usgs_geojson"}));
  const std::vector<std::pair<std::string_view, FeedConfig::SettingsCase>> expected = {
      {"gdacs_rss", FeedConfig::kGdacsRss},
      {"nws_cap_atom", FeedConfig::kNwsCapAtom},
      {"scms_csv", FeedConfig::kScmsCsv},
      {"usgs_geojson", FeedConfig::kUsgsGeojson}};
  for (const auto& [name, settings_case] : expected) {
    const FeedAdapterFactory* by_name = FeedAdapterRegistry::Find(name);
    ASSERT_NE(by_name, nullptr) << name;
    EXPECT_EQ(by_name->settings_case, settings_case) << name;
    EXPECT_EQ(FeedAdapterRegistry::Find(settings_case), by_name) << name;
    // The settings member's field name is the adapter's name.
    const auto* field = FeedConfig::descriptor()->FindFieldByNumber(settings_case);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->name(), name);
    auto adapter = MakeFeedAdapter(name);
    ASSERT_TRUE(adapter.ok()) << adapter.status().ToString();
    EXPECT_EQ((*adapter)->name(), name);
  }
  EXPECT_EQ(FeedAdapterRegistry::Find("tea_leaves"), nullptr);
}

TEST(FeedRegistryTest, TheSettingsMemberAloneNamesTheAdapter) {
  FeedConfig config;
  config.mutable_gdacs_rss();
  auto adapter = MakeFeedAdapter(config);
  ASSERT_TRUE(adapter.ok()) << adapter.status().ToString();
  EXPECT_EQ((*adapter)->name(), "gdacs_rss");
  config.set_adapter("gdacs_rss");  // both, agreeing
  EXPECT_TRUE(MakeFeedAdapter(config).ok());
}

TEST(FeedRegistryTest, RejectsUnknownMissingAndDisagreeingNames) {
  FeedConfig config;
  config.set_adapter("tea_leaves");
  EXPECT_EQ(MakeFeedAdapter(config).status().ToString(),
            "invalid_argument: unknown feed adapter 'tea_leaves' (gdacs_rss, nws_cap_atom, "
            "scms_csv, usgs_geojson)");
  EXPECT_EQ(MakeFeedAdapter(FeedConfig()).status().code(), Status::Code::kInvalidArgument);
  config.set_adapter("usgs_geojson");
  config.mutable_scms_csv();
  EXPECT_EQ(MakeFeedAdapter(config).status().ToString(),
            "invalid_argument: adapter 'usgs_geojson' but settings for 'scms_csv'");
}

TEST(FeedRegistryTest, ScmsSettingsConfigureTheAdapterAsItsOptionsDo) {
  FeedConfig config;
  auto* scms = config.mutable_scms_csv();
  scms->set_risk_type("transport");
  (*scms->mutable_vendor_nodes())["Acme"] = "ACME";
  scms->set_as_of("2010-02-01");
  scms->set_lookback_days(20);
  auto adapter = MakeFeedAdapter(config, "feed:shipments");
  ASSERT_TRUE(adapter.ok()) << adapter.status().ToString();

  ScmsCsvAdapter::Options options;
  options.source = "feed:shipments";
  options.risk_type = "transport";
  options.vendor_nodes["Acme"] = "ACME";
  options.now = DaysFromCivil(2010, 2, 1) * kSecondsPerDay;
  options.lookback_days = 20;
  EXPECT_EQ(Summary(**adapter), Summary(ScmsCsvAdapter(options)));
  EXPECT_EQ(Summary(**adapter),
            (std::vector<std::string>{"scms:3 vendor-bolt-ltd transport feed:shipments"}));

  // Without as_of the whole history replays; the source defaults to the
  // adapter's name.
  scms->clear_as_of();
  auto replay = MakeFeedAdapter(config);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(Summary(**replay),
            (std::vector<std::string>{"scms:1 ACME transport scms_csv",
                                      "scms:3 vendor-bolt-ltd transport scms_csv"}));
}

TEST(FeedRegistryTest, ScmsTopLevelFieldsStillWorkButNotBesideTheSettings) {
  FeedConfig config;
  config.set_adapter("scms_csv");
  config.set_risk_type("transport");
  (*config.mutable_vendor_nodes())["Acme"] = "ACME";
  auto adapter = MakeFeedAdapter(config);
  ASSERT_TRUE(adapter.ok()) << adapter.status().ToString();
  EXPECT_EQ(Summary(**adapter),
            (std::vector<std::string>{"scms:1 ACME transport scms_csv",
                                      "scms:3 vendor-bolt-ltd transport scms_csv"}));
  config.mutable_scms_csv()->set_lookback_days(5);
  EXPECT_EQ(MakeFeedAdapter(config).status().ToString(),
            "invalid_argument: risk_type, vendor_nodes: set them inside scms_csv { }, not beside "
            "it");
}

TEST(FeedRegistryTest, ScmsSettingsOutOfRangeSayWhich) {
  FeedConfig config;
  config.mutable_scms_csv()->set_as_of("last tuesday");
  EXPECT_EQ(MakeFeedAdapter(config).status().ToString(),
            "invalid_argument: scms_csv.as_of: must be an ISO 8601 date or time");
  config.mutable_scms_csv()->clear_as_of();
  config.mutable_scms_csv()->set_lookback_days(-1);
  EXPECT_EQ(MakeFeedAdapter(config).status().ToString(),
            "invalid_argument: scms_csv.lookback_days: must be 0..100000");
}

}  // namespace
}  // namespace riskd::connectors
