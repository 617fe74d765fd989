#include "connectors/feeds/feed_adapter.h"

#include <gtest/gtest.h>

#include "connectors/codec/event_codec.h"

namespace riskd::connectors {
namespace {

// Every adapter's output goes through FeedBatchBuilder, which makes a
// feed's text what ingest accepts rather than lose the event (ingest
// refuses control characters and over-long text): the ids, title, detail
// and source come out one line, the title and detail within their bounds.
TEST(FeedBatchBuilderTest, TheFeedsTextIsSanitizedAndBoundedNotRefused) {
  FeedBatchBuilder out("scms\ncsv");
  riskd::v1::Envelope late;
  late.set_event_id("scms:\x1bSH-1");
  late.mutable_supplier_status()->set_node_id("FAB-KUM");
  late.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_DISRUPTED);
  late.mutable_supplier_status()->set_detail("shipment SH-1\r\n" + std::string(5000, 'd'));
  out.Add(0, late);
  riskd::v1::Envelope quake;
  quake.set_event_id("usgs:q\t1");
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(0.5);
  quake.mutable_disruption()->add_node_ids("FAB-KUM");
  quake.mutable_disruption()->set_feed_event_id("q\t1");
  quake.mutable_disruption()->set_title(
      "M 7.1\n\xc2\x9b"
      "31mFORGED");
  out.Add(1, quake);
  const FeedBatch batch = std::move(out).Finish();
  ASSERT_TRUE(batch.rejected.empty()) << batch.rejected[0].reason;
  ASSERT_EQ(batch.envelopes.size(), 2u);
  const auto& s = batch.envelopes[0];
  EXPECT_EQ(s.event_id(), "scms: SH-1");
  EXPECT_EQ(s.source(), "scms csv");
  EXPECT_EQ(s.supplier_status().detail(),
            "shipment SH-1  " + std::string(kMaxDetailBytes - 15, 'd'));
  const auto& d = batch.envelopes[1];
  EXPECT_EQ(d.event_id(), "usgs:q 1");
  EXPECT_EQ(d.disruption().feed_event_id(), "q 1");
  EXPECT_EQ(d.disruption().title(), "M 7.1  31mFORGED");
  // What comes out passes ingest's text checks (only the node is unknown
  // here).
  RiskTypeResolver types;
  types.default_risk_type = "supply";
  types.names = {"supply"};
  for (const auto& e : batch.envelopes) {
    EXPECT_EQ(ValidateEnvelope(e, NodeDirectory(), types).code(), Status::Code::kNotFound)
        << ValidateEnvelope(e, NodeDirectory(), types).ToString();
  }
}

// An id is not cut (two ids would become one): one too long is still
// refused, with the reason.
TEST(FeedBatchBuilderTest, AnIdTooLongIsRefusedNotCut) {
  FeedBatchBuilder out("usgs_geojson");
  riskd::v1::Envelope quake;
  quake.set_event_id("usgs:" + std::string(300, 'q'));
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(0.5);
  quake.mutable_disruption()->add_node_ids("FAB-KUM");
  out.Add(0, quake);
  const FeedBatch batch = std::move(out).Finish();
  EXPECT_TRUE(batch.envelopes.empty());
  ASSERT_EQ(batch.rejected.size(), 1u);
  EXPECT_EQ(batch.rejected[0].reason, "event id must be 1..256 bytes");
}

}  // namespace
}  // namespace riskd::connectors
