#include "connectors/feeds/usgs_geojson_adapter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "connectors/feeds/seen_feed_ids.h"
#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::ReadDataFile;

const riskd::v1::Envelope* FindEvent(const FeedBatch& batch, const std::string& event_id) {
  for (const auto& e : batch.envelopes) {
    if (e.event_id() == event_id) return &e;
  }
  return nullptr;
}

// The real feed with `from` (which must be in it) made `to`.
void ReplaceOnce(std::string& doc, const std::string& from, const std::string& to) {
  const auto at = doc.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  doc.replace(at, from.size(), to);
}

TEST(UsgsGeoJsonAdapterTest, EveryEarthquakeOfTheRealFeed) {
  auto batch =
      UsgsGeoJsonAdapter().Parse(ReadDataFile("usgs_quakes/usgs_4.5_month_2014-04-01.geojson"));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->entries, 465u);
  EXPECT_EQ(batch->envelopes.size(), 465u);
  EXPECT_TRUE(batch->rejected.empty());
  std::map<double, int> by_severity;
  for (const auto& e : batch->envelopes) {
    ASSERT_TRUE(e.has_disruption());
    EXPECT_EQ(e.disruption().hazard(), riskd::v1::HAZARD_EARTHQUAKE);
    EXPECT_EQ(e.source(), "usgs_geojson");
    EXPECT_EQ(e.event_id(), "usgs:" + e.disruption().feed_event_id());
    ++by_severity[e.disruption().severity()];
  }
  EXPECT_EQ(by_severity[0.2], 48);  // PAGER green
  EXPECT_EQ(by_severity[0.4], 3);   // PAGER yellow

  // M4.5 63km NW of Iquique at 23.97 km depth, no PAGER alert.
  const auto* iquique = FindEvent(*batch, "usgs:usc000ny83");
  ASSERT_NE(iquique, nullptr);
  EXPECT_DOUBLE_EQ(iquique->disruption().severity(), 0.05);
  EXPECT_DOUBLE_EQ(iquique->disruption().place().circle().radius_km(), 10.0);
  EXPECT_DOUBLE_EQ(iquique->disruption().place().circle().center().lat(), -19.8363);
  EXPECT_DOUBLE_EQ(iquique->disruption().place().circle().center().lon(), -70.5966);
  EXPECT_EQ(iquique->occurred_at().seconds(), 1396310284);
  EXPECT_EQ(iquique->occurred_at().nanos(), 840000000);
  EXPECT_EQ(iquique->disruption().title(), "M 4.5 - 63km NW of Iquique, Chile");

  // M5.1 La Habra, yellow alert, 7.46 km deep: R = 10^(0.4*5.1-0.8) km.
  const auto* habra = FindEvent(*batch, "usgs:ci15481673");
  ASSERT_NE(habra, nullptr);
  EXPECT_DOUBLE_EQ(habra->disruption().severity(), 0.4);
  const double reach = std::pow(10.0, 0.4 * 5.1 - 0.8);
  EXPECT_NEAR(habra->disruption().place().circle().radius_km(),
              std::sqrt(reach * reach - 7.46 * 7.46), 1e-9);
}

TEST(UsgsGeoJsonAdapterTest, MalformedFeaturesAreRejectedTheRestKept) {
  std::string doc = ReadDataFile("usgs_quakes/usgs_4.5_month_2014-04-01.geojson");
  const auto replace = [&doc](const std::string& from, const std::string& to) {
    ReplaceOnce(doc, from, to);
  };
  replace("\"mag\":4.5,\"place\":\"63km NW of Iquique",
          "\"mag\":null,\"place\":\"63km NW of Iquique");
  replace("\"coordinates\":[-27.6971,47.9578,10]", "\"coordinates\":[-27.6971,147.9578,10]");
  replace("\"alert\":\"yellow\"", "\"alert\":\"mauve\"");
  auto batch = UsgsGeoJsonAdapter().Parse(doc);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->envelopes.size(), 462u);
  ASSERT_EQ(batch->rejected.size(), 3u);
  EXPECT_EQ(batch->rejected[0].index, 0u);
  EXPECT_EQ(batch->rejected[0].feed_id, "usc000ny83");
  EXPECT_EQ(batch->rejected[0].reason, "magnitude missing or not a number");
  EXPECT_EQ(batch->rejected[1].feed_id, "usc000nxvn");
  EXPECT_EQ(batch->rejected[1].reason, "coordinates out of range");
  EXPECT_NE(batch->rejected[2].reason.find("mauve"), std::string::npos);

  EXPECT_FALSE(UsgsGeoJsonAdapter().Parse("{\"type\":\"FeatureCollection\"").ok());
  EXPECT_FALSE(UsgsGeoJsonAdapter().Parse("[1,2,3]").ok());
  EXPECT_FALSE(UsgsGeoJsonAdapter().Parse("\x00\xff garbage").ok());
}

// A quake is not lost over its title: ingest refuses text with control
// characters or past its bound, so the feed's text is sanitized (control
// characters become spaces) and cut (disruption.title: 1024 bytes) before
// the event is sent. Both quakes used to be rejected.
TEST(UsgsGeoJsonAdapterTest, ATitleWithControlCharactersOrTooLongIsSanitizedNotLost) {
  std::string doc = ReadDataFile("usgs_quakes/usgs_4.5_month_2014-04-01.geojson");
  const auto replace = [&doc](const std::string& from, const std::string& to) {
    ReplaceOnce(doc, from, to);
  };
  replace("\"title\":\"M 4.5 - 63km NW of Iquique, Chile\"",
          "\"title\":\"M 4.5 - 63km NW of\\nIquique,\\u001b[2J Chile\\u0085\"");
  replace("\"title\":\"M 5.1 - 1km S of La Habra, California\"",
          "\"title\":\"M 5.1 - " + std::string(1100, 'h') + "\"");
  auto batch = UsgsGeoJsonAdapter().Parse(doc);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->envelopes.size(), 465u);
  EXPECT_TRUE(batch->rejected.empty()) << batch->rejected[0].reason;
  const auto* iquique = FindEvent(*batch, "usgs:usc000ny83");
  ASSERT_NE(iquique, nullptr);
  EXPECT_EQ(iquique->disruption().title(), "M 4.5 - 63km NW of Iquique, [2J Chile ");
  const auto* habra = FindEvent(*batch, "usgs:ci15481673");
  ASSERT_NE(habra, nullptr);
  EXPECT_EQ(habra->disruption().title(), "M 5.1 - " + std::string(1024 - 8, 'h'));
}

TEST(UsgsGeoJsonAdapterTest, ReplayingOverlappingFeedsDeliversEachEventOnce) {
  // The March and April snapshots of the past-month feed share 272 events.
  const UsgsGeoJsonAdapter adapter;
  SeenFeedIds seen;
  std::size_t delivered = 0;
  for (const char* file : {"usgs_quakes/usgs_4.5_month_2014-03-older.geojson",
                           "usgs_quakes/usgs_4.5_month_2014-04-01.geojson",
                           "usgs_quakes/usgs_4.5_month_2014-04-01.geojson"}) {
    auto batch = adapter.Parse(ReadDataFile(file));
    ASSERT_TRUE(batch.ok());
    for (const auto& e : seen.Unseen(batch->envelopes)) {
      EXPECT_TRUE(seen.Insert(e.event_id()));
      ++delivered;
    }
  }
  EXPECT_EQ(delivered, 409u + 465u - 272u);
  // Parsing is deterministic: same bytes, same envelopes.
  auto a = adapter.Parse(ReadDataFile("usgs_quakes/usgs_4.5_month_2014-04-01.geojson"));
  auto b = adapter.Parse(ReadDataFile("usgs_quakes/usgs_4.5_month_2014-04-01.geojson"));
  ASSERT_EQ(a->envelopes.size(), b->envelopes.size());
  for (std::size_t i = 0; i < a->envelopes.size(); ++i) {
    EXPECT_EQ(a->envelopes[i].SerializeAsString(), b->envelopes[i].SerializeAsString());
  }
}

}  // namespace
}  // namespace riskd::connectors
