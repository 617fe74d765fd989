// The ingest thread reuses its batch (requests' acks, journal entries, the
// parsed Envelope, the frame to the engine thread) from one batch to the
// next: each batch must journal, forward and answer only its own events,
// however much the batches before it held. Every Send waits for its ack, so
// each event here is a batch of its own, and the largest comes first.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "connectors/codec/output_codec.h"
#include "connectors/store/journal.h"
#include "daemon/pipeline.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

Envelope StatusReport(const std::string& id, const std::string& node, std::int64_t occurred_ns) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_supplier_status()->set_node_id(node);
  e.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_DISRUPTED);
  if (occurred_ns) connectors::SetTimestamp(occurred_ns, e.mutable_occurred_at());
  return e;
}

TEST(IngestBatchesE2ETest, EachBatchJournalsForwardsAndAnswersOnlyItsOwnEvents) {
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start()) << h.log();
  const std::int64_t minute_ago = daemon::NowUnixNs() - 60'000'000'000;

  // 1: the largest: a long id, every demo node, a time of its own (so
  // journaled as sent, byte for byte).
  Envelope big;
  big.set_event_id("big-" + std::string(200, 'x'));
  big.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  big.mutable_disruption()->set_severity(0.9);
  for (const auto& node : DemoNodes()) big.mutable_disruption()->add_node_ids(node);
  connectors::SetTimestamp(minute_ago, big.mutable_occurred_at());
  // 2: a small one with its own time; 3: one the daemon gives its receipt
  // time (journaled re-serialized).
  const Envelope small = StatusReport("s-2", "RES-RAY", minute_ago);
  const Envelope untimed = StatusReport("s-3", "STL-DUI", 0);
  // 4: refused (reason), 5: a place that matches nothing (warning),
  // 6: accepted after both.
  const Envelope unknown = StatusReport("s-4", "NO-SUCH-NODE", minute_ago);
  Envelope nowhere;
  nowhere.set_event_id("s-5");
  nowhere.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  nowhere.mutable_disruption()->set_severity(0.5);
  auto* circle = nowhere.mutable_disruption()->mutable_place()->mutable_circle();
  circle->mutable_center()->set_lat(0);
  circle->mutable_center()->set_lon(-30);  // mid-Atlantic
  circle->set_radius_km(1);
  connectors::SetTimestamp(minute_ago, nowhere.mutable_occurred_at());
  const Envelope last = StatusReport("s-6", "MAG-BAO", minute_ago);

  std::map<std::string, Ack> acks;
  for (const Envelope* e :
       std::vector<const Envelope*>{&big, &small, &untimed, &unknown, &nowhere, &last}) {
    auto ack = h.Send(*e);
    ASSERT_TRUE(ack) << e->event_id() << "\n" << h.log();
    acks[e->event_id()] = *ack;
  }
  for (const Envelope* e : std::vector<const Envelope*>{&big, &small, &untimed, &last}) {
    const Ack& ack = acks[e->event_id()];
    EXPECT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << e->event_id() << ": " << ack.reason();
    EXPECT_EQ(ack.event_id(), e->event_id());
    // Nothing of an earlier batch's answer.
    EXPECT_EQ(ack.reason(), "") << e->event_id();
    EXPECT_EQ(ack.warning(), "") << e->event_id();
    EXPECT_EQ(ack.place_matched_ids_size(), 0) << e->event_id();
  }
  EXPECT_EQ(acks["s-4"].result(), Ack::RESULT_REJECTED);
  EXPECT_NE(acks["s-4"].reason(), "");
  EXPECT_EQ(acks["s-5"].result(), Ack::RESULT_ACCEPTED) << acks["s-5"].reason();
  EXPECT_NE(acks["s-5"].warning(), "");
  EXPECT_EQ(acks["s-5"].place_matched_nodes(), 0u);

  // The journal: one row per accepted event, in order, each holding its own
  // bytes only.
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  std::vector<std::pair<std::string, std::string>> rows;  // event id, payload
  ASSERT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& e) {
                              rows.emplace_back(e.event_id, e.payload);
                              return Status::Ok();
                            })
                  .ok());
  const std::vector<const Envelope*> accepted = {&big, &small, &untimed, &nowhere, &last};
  ASSERT_EQ(rows.size(), accepted.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Envelope& sent = *accepted[i];
    EXPECT_EQ(rows[i].first, sent.event_id());
    if (&sent == &untimed) {
      // Exactly the event with the receipt time added, serialized (a parse
      // alone would hide bytes of an earlier event before it: protobuf
      // merges concatenated messages).
      Envelope journaled;
      ASSERT_TRUE(journaled.ParseFromString(rows[i].second));
      ASSERT_TRUE(journaled.has_occurred_at());
      Envelope expected = sent;
      *expected.mutable_occurred_at() = journaled.occurred_at();
      EXPECT_EQ(rows[i].second, expected.SerializeAsString());
    } else {
      EXPECT_EQ(rows[i].second, sent.SerializeAsString()) << sent.event_id();
    }
  }
  const auto verified = (*journal)->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;

  // The engine thread applied each accepted event once (none forwarded
  // again with a later batch).
  std::optional<double> applied, not_applied;
  for (int i = 0; i < 100; ++i) {
    applied = h.Metric("riskd_engine_events_applied_total");
    not_applied = h.Metric("riskd_engine_events_not_applied_total");
    if (applied.value_or(0) + not_applied.value_or(0) >= static_cast<double>(accepted.size())) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // anything more would show
  EXPECT_EQ(h.Metric("riskd_engine_events_applied_total"), static_cast<double>(accepted.size()));
  EXPECT_EQ(h.Metric("riskd_engine_events_not_applied_total"), 0);
  EXPECT_EQ(h.Stop(), 0) << h.log();
}

}  // namespace
}  // namespace riskd::testing
