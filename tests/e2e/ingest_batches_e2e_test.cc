// The ingest thread reuses its batch (requests' acks, journal entries, the
// parsed Envelope, the frame to the engine thread) from one batch to the
// next: each batch must journal, forward and answer only its own events,
// however much the batches before it held. Every Send waits for its ack, so
// each event here is a batch of its own, and the largest comes first.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/codec/output_codec.h"
#include "connectors/store/journal.h"
#include "daemon/pipeline.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/server_process.h"

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

// A sanitizer's allocator keeps what is freed resident a while (ASan's
// quarantine holds 256 MB), so the daemon's RssAnon says nothing there of
// what it still holds: the memory tests below run in the Release build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kResidentMemoryTells = false;
#else
constexpr bool kResidentMemoryTells = true;
#endif

// The daemon's anonymous resident memory (heap and thread stacks, not
// mapped files such as the journal's), in MB; -1 if unreadable.
double RssAnonMb(pid_t pid) { return ProcStatusMb(pid, "RssAnon"); }

// Waits until the engine thread has applied (or found not applicable)
// `events` events.
void WaitApplied(DaemonHarness& h, double events) {
  for (int i = 0; i < 300; ++i) {
    if (h.Metric("riskd_engine_events_applied_total").value_or(0) +
            h.Metric("riskd_engine_events_not_applied_total").value_or(0) >=
        events) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// An ack echoes the event id as sent, also a refused one far over the
// 256-byte limit. The reused acks must not keep such ids: 256 refused
// requests with 1 MB ids would otherwise leave ~256 MB allocated for good.
TEST(IngestBatchesE2ETest, LongRefusedIdsDoNotStayAllocated) {
  if (!kResidentMemoryTells) GTEST_SKIP() << "a sanitizer keeps freed memory resident";
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start()) << h.log();
  const std::int64_t minute_ago = daemon::NowUnixNs() - 60'000'000'000;
  ASSERT_TRUE(h.Send(StatusReport("warm", "RES-RAY", minute_ago)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double before = RssAnonMb(h.pid());
  ASSERT_GT(before, 0);

  std::vector<std::string> payloads;
  for (int i = 0; i < 256; ++i) {
    std::string id(1'000'000, 'i');
    id.replace(0, 8, "long-" + std::to_string(1000 + i).substr(1));
    payloads.push_back(StatusReport(id, "RES-RAY", minute_ago).SerializeAsString());
  }
  const auto acks = SendPipelined(h, payloads);
  ASSERT_EQ(acks.size(), payloads.size()) << h.log();
  for (const Ack& ack : acks) {
    EXPECT_EQ(ack.result(), Ack::RESULT_REJECTED);
    // As main answers: the id as sent.
    EXPECT_EQ(ack.event_id().size(), 1'000'000u);
  }
  payloads.clear();
  // One small batch after them.
  const auto small = h.Send(StatusReport("small", "STL-DUI", minute_ago));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->result(), Ack::RESULT_ACCEPTED) << small->reason();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double after = RssAnonMb(h.pid());
  EXPECT_LT(after - before, 64) << "RssAnon " << before << " MB before, " << after << " MB after";
  EXPECT_EQ(h.Stop(), 0) << h.log();
}

// A batch of large accepted events (request frames, journal entries, the
// frame to the engine thread) is freed when it has been answered, not when
// the next request arrives: an idle daemon holds none of it.
TEST(IngestBatchesE2ETest, LargeAcceptedEventsAreFreedWithoutAnotherRequest) {
  if (!kResidentMemoryTells) GTEST_SKIP() << "a sanitizer keeps freed memory resident";
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start()) << h.log();
  const std::int64_t minute_ago = daemon::NowUnixNs() - 60'000'000'000;
  ASSERT_TRUE(h.Send(StatusReport("warm", "RES-RAY", minute_ago)));
  WaitApplied(h, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double before = RssAnonMb(h.pid());
  ASSERT_GT(before, 0);

  // ~1 MB each: a node's update listing 4000 alternates of 250 bytes
  // (journaled; the engine keeps only the last update's, 1 MB). Free text
  // is too short for this: an intervention's reason is at most 1024 bytes.
  constexpr int kEvents = 96;
  std::vector<std::string> payloads;
  for (int i = 0; i < kEvents; ++i) {
    Envelope e;
    e.set_event_id("large-" + std::to_string(i));
    connectors::SetTimestamp(minute_ago, e.mutable_occurred_at());
    auto* node = e.mutable_network_change()->mutable_update_node();
    node->set_id("RES-RAY");
    for (int k = 0; k < 4000; ++k) {
      node->add_alternates(std::string(246, static_cast<char>('a' + i % 26)) +
                           std::to_string(1000 + k));
    }
    payloads.push_back(e.SerializeAsString());
  }
  const auto acks = SendPipelined(h, payloads);
  ASSERT_EQ(acks.size(), payloads.size()) << h.log();
  for (const Ack& ack : acks) EXPECT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
  payloads.clear();
  WaitApplied(h, 1 + kEvents);
  EXPECT_EQ(h.Metric("riskd_engine_events_applied_total").value_or(0) +
                h.Metric("riskd_engine_events_not_applied_total").value_or(0),
            1 + kEvents);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double after = RssAnonMb(h.pid());
  EXPECT_LT(after - before, 48) << "RssAnon " << before << " MB before, " << after
                                << " MB after; batches "
                                << h.Metric("riskd_journal_batches_total").value_or(-1);
  EXPECT_EQ(h.Stop(), 0) << h.log();
}

// Several requests in one batch, each id twice: the batch journals each id
// once; its first request is ACCEPTED, the other DUPLICATE, both with the
// id's journal_seq. Rounds are repeated until one was batched (a fast
// producer's requests queue up behind the first batch's commit).
TEST(IngestBatchesE2ETest, DuplicatesWithinABatchAreAnsweredWithTheSameSeq) {
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start()) << h.log();
  const std::int64_t minute_ago = daemon::NowUnixNs() - 60'000'000'000;
  const auto& nodes = DemoNodes();
  bool batched = false;
  std::set<std::uint64_t> all_seqs;
  int ids_sent = 0;
  for (int round = 0; round < 5 && !batched; ++round) {
    const double batches_before = h.Metric("riskd_journal_batches_total").value_or(0);
    // a0 a1 a0 a2 a1 a3 a2 ...: each id twice, the second after the next id's first.
    constexpr int kIds = 20;
    std::vector<std::string> order;
    const std::string prefix = "r" + std::to_string(round) + "-";
    for (int i = 0; i < kIds; ++i) {
      order.push_back(prefix + std::to_string(i));
      if (i > 0) order.push_back(prefix + std::to_string(i - 1));
    }
    order.push_back(prefix + std::to_string(kIds - 1));
    ASSERT_EQ(order.size(), 2u * kIds);
    std::vector<std::string> payloads;
    for (std::size_t k = 0; k < order.size(); ++k) {
      // The same content for both copies of an id (a producer's retry).
      const std::size_t node = std::hash<std::string>()(order[k]) % nodes.size();
      payloads.push_back(StatusReport(order[k], nodes[node], minute_ago).SerializeAsString());
    }
    const auto acks = SendPipelined(h, payloads);
    ASSERT_EQ(acks.size(), payloads.size()) << h.log();
    std::map<std::string, std::vector<const Ack*>> by_id;
    for (std::size_t k = 0; k < acks.size(); ++k) {
      EXPECT_EQ(acks[k].event_id(), order[k]);  // a DEALER's replies come in order
      by_id[acks[k].event_id()].push_back(&acks[k]);
    }
    ASSERT_EQ(by_id.size(), static_cast<std::size_t>(kIds));
    for (const auto& [id, answers] : by_id) {
      ASSERT_EQ(answers.size(), 2u) << id;
      EXPECT_EQ(answers[0]->result(), Ack::RESULT_ACCEPTED) << id << ": " << answers[0]->reason();
      EXPECT_EQ(answers[1]->result(), Ack::RESULT_DUPLICATE) << id << ": " << answers[1]->reason();
      EXPECT_GT(answers[0]->journal_seq(), 0u) << id;
      EXPECT_EQ(answers[0]->journal_seq(), answers[1]->journal_seq()) << id;
      EXPECT_TRUE(all_seqs.insert(answers[0]->journal_seq()).second) << id;
    }
    ids_sent += kIds;
    const double batches = h.Metric("riskd_journal_batches_total").value_or(0) - batches_before;
    batched = batches < static_cast<double>(order.size());
  }
  EXPECT_TRUE(batched) << "no round had two requests in one batch";
  // The journal: each id once, with the seq its acks gave.
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  std::set<std::uint64_t> rows;
  ASSERT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t seq, const connectors::JournalEntry&) {
                              rows.insert(seq);
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(ids_sent));
  EXPECT_EQ(rows, all_seqs);
  EXPECT_EQ(h.Stop(), 0) << h.log();
}

}  // namespace
}  // namespace riskd::testing
