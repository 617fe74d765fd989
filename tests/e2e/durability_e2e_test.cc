// Durability: kill -9 the daemon while a producer streams events into it,
// restart, and check that every event it acknowledged is in the journal and
// in the engine's state, the journal verifies, and ingest continues.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "connectors/store/journal.h"
#include "connectors/store/sqlite_db.h"
#include "connectors/store/state_store.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

std::string Config() { return DemoNetworkConfig() + "logging { level: \"warn\" }\n"; }

Envelope StatusEvent(int round, int i) {
  Envelope e;
  e.set_event_id("dur-" + std::to_string(round) + "-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id(DemoNodes()[static_cast<std::size_t>(i) % DemoNodes().size()]);
  s->set_state(i % 3 == 0 ? riskd::v1::NODE_STATE_DISRUPTED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e;
}

TEST(DurabilityE2ETest, KillNineDuringIngestLosesNoAcknowledgedEvent) {
  DaemonHarness h(Config());
  std::mt19937 rng(11);
  std::set<std::string> acked;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(h.Start());
    zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(h.ingest());
    // Stream with 200 events outstanding; kill at a random moment.
    const auto kill_after = std::chrono::milliseconds(100 + rng() % 400);
    const auto start = std::chrono::steady_clock::now();
    int sent = 0, outstanding = 0;
    while (std::chrono::steady_clock::now() - start < kill_after) {
      while (outstanding < 200) {
        dealer.send(zmq::buffer(StatusEvent(round, sent++).SerializeAsString()),
                    zmq::send_flags::none);
        ++outstanding;
      }
      zmq::message_t reply;
      while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
        Ack ack;
        ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
        ASSERT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
        acked.insert(ack.event_id());
        --outstanding;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    h.Kill();
    // Acks that were in flight when the process died may still be readable.
    zmq::message_t reply;
    while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
      Ack ack;
      if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
          ack.result() == Ack::RESULT_ACCEPTED) {
        acked.insert(ack.event_id());
      }
    }
    ASSERT_GT(sent, 0);
  }
  ASSERT_GT(acked.size(), 100u);

  // Every acknowledged event is journaled exactly once, in an unbroken
  // sequence, and the chain is intact.
  std::map<std::string, int> rows;
  std::uint64_t expected_seq = 0;
  {
    auto journal = connectors::Journal::OpenReadOnly(h.database());
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)
                    ->ForEach(0,
                              [&](std::uint64_t seq, const connectors::JournalEntry& e) {
                                EXPECT_EQ(seq, ++expected_seq);
                                ++rows[e.event_id];
                                return Status::Ok();
                              })
                    .ok());
    auto report = (*journal)->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->problem;
  }
  for (const auto& id : acked) {
    EXPECT_EQ(rows[id], 1) << "acknowledged event " << id << " journaled " << rows[id] << " times";
  }
  // The restarted daemon replays them all and answers retries as duplicates.
  ASSERT_TRUE(h.Start());
  const auto& any = *acked.begin();
  const auto dash = any.rfind('-');
  auto dup =
      h.Send(StatusEvent(std::stoi(any.substr(4, dash - 4)), std::stoi(any.substr(dash + 1))));
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->result(), Ack::RESULT_DUPLICATE) << any;
  Envelope q;
  q.set_event_id("q");
  q.mutable_query()->mutable_snapshot();
  auto restarted = h.Send(q);
  ASSERT_TRUE(restarted && restarted->result() == Ack::RESULT_ACCEPTED);
  EXPECT_EQ(restarted->response().snapshot().journal_seq(), expected_seq);
  EXPECT_EQ(h.Stop(), 0);

  // A clean replay: a fresh daemon given only the journal (riskd.db, the
  // journal's file) reaches the same state as the one restarted after the
  // crashes.
  bool replayed_ok = false;
  const auto replayed = ReplayedSnapshot(h.database(), Config(), &replayed_ok);
  ASSERT_TRUE(replayed_ok);
  EXPECT_EQ(replayed.journal_seq(), expected_seq);
  const std::string digest = SnapshotStateDigest(restarted->response().snapshot());
  EXPECT_FALSE(digest.empty());
  EXPECT_EQ(digest, SnapshotStateDigest(replayed));
}

Envelope Disruption(const std::string& id, const std::string& node) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  e.mutable_disruption()->set_severity(1.0);
  e.mutable_disruption()->add_node_ids(node);
  return e;
}

// Every sequence published while `until` has not been seen and a moment
// after (all topics).
std::vector<std::uint64_t> Sequences(Subscriber& sub, const std::string& until) {
  std::vector<std::uint64_t> out;
  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto msg = sub.Next(std::chrono::milliseconds(500));
    if (!msg) {
      if (seen) break;
      continue;
    }
    out.push_back(msg->second.sequence());
    if (!seen && msg->first.rfind(until, 0) == 0) {
      seen = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
  EXPECT_TRUE(seen) << "no " << until << " publication";
  return out;
}

TEST(DurabilityE2ETest, PublicationSequencesAreNeverReusedAcrossRestarts) {
  // Plans (published last, after alerts and summaries) are what the daemon
  // used to forget: their sequences came back after a restart.
  DaemonHarness h(DemoNetworkConfig() +
                  "planner { k: 2 min_interval { seconds: 0 } realizations: 200 }\n");
  std::uint64_t highest = 0;
  const std::vector<std::string> sources = {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO"};
  for (std::size_t round = 0; round < sources.size(); ++round) {
    ASSERT_TRUE(h.Start());
    Subscriber sub(h.context(), h.publish());
    ASSERT_EQ(h.Send(Disruption("seq-" + std::to_string(round), sources[round]))->result(),
              Ack::RESULT_ACCEPTED);
    const auto seqs = Sequences(sub, "immunization.");
    ASSERT_FALSE(seqs.empty());
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_GT(seqs[i], highest) << "round " << round << ": sequence reused";
      highest = std::max(highest, seqs[i]);
    }
    // Alternately a crash and a clean stop.
    if (round % 2 == 0) {
      h.Kill();
    } else {
      EXPECT_EQ(h.Stop(), 0);
    }
  }
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

TEST(DurabilityE2ETest, ABrokenJournalChainIsReportedAndRefusesEventsUnlessAccepted) {
  DaemonHarness h(DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disruption("bj-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(Disruption("bj-2", "RES-RAY"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Metric("riskd_journal_chain_intact"), 1);
  EXPECT_EQ(h.Stop(), 0);
  // Someone edits a journaled event.
  ASSERT_EQ(std::system(("sqlite3 " + h.database() +
                         " \"UPDATE journal SET received_ns = received_ns + 1 WHERE seq = 1\"")
                            .c_str()),
            0);
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.log().find("journal hash chain broken at seq 1"), std::string::npos) << h.log();
  EXPECT_EQ(h.Metric("riskd_journal_chain_intact"), 0);
  auto refused = h.Send(Disruption("bj-3", "MAG-BAO"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(refused->reason().rfind("failed_precondition: the journal's hash chain is broken", 0),
            0u)
      << refused->reason();
  Envelope q;
  q.set_event_id("bj-q");
  q.mutable_query()->mutable_projection();
  EXPECT_EQ(h.Send(q)->result(), Ack::RESULT_ACCEPTED);  // still answers queries
  EXPECT_EQ(h.Stop(), 0);
  // The operator's word.
  h.set_extra_args({"--accept-broken-journal"});
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Send(Disruption("bj-3", "MAG-BAO"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
}

// The journal's first row deleted: the state file, bound to that row, no
// longer matches the journal. That is reported as the journal's damage (the
// operator's --accept-broken-journal keeps the state file with it), not as
// a state file of another journal (review of statesync).
TEST(DurabilityE2ETest, AJournalThatLostItsFirstRowIsReportedAsDamageNotAsAnotherJournal) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disruption("lost-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(Disruption("lost-2", "RES-RAY"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_EQ(
      std::system(("sqlite3 " + h.database() + " \"DELETE FROM journal WHERE seq = 1\"").c_str()),
      0);
  std::size_t mark = h.log().size();
  if (h.Start()) {
    ADD_FAILURE() << "started beside a damaged journal that the state file does not match";
    EXPECT_EQ(h.Stop(), 0);
  }
  EXPECT_TRUE(h.WaitForLog(
      "the journal " + h.database() + " is damaged (hash chain broken at seq 2: sequence gap",
      std::chrono::seconds(5), mark))
      << h.log().substr(mark);
  EXPECT_TRUE(h.WaitForLog("restart with --accept-broken-journal to keep this state file",
                           std::chrono::seconds(1), mark));
  mark = h.log().size();
  h.set_extra_args({"--accept-broken-journal"});
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(h.WaitForLog("the state file does not match the damaged journal, kept anyway",
                           std::chrono::seconds(5), mark))
      << h.log().substr(mark);
  EXPECT_EQ(h.Send(Disruption("lost-3", "MAG-BAO"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

std::set<std::string> JournaledIds(const std::string& db) {
  std::set<std::string> ids;
  auto journal = connectors::Journal::OpenReadOnly(db);
  EXPECT_TRUE(journal.ok()) << journal.status().ToString();
  if (!journal.ok()) return ids;
  EXPECT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& e) {
                              ids.insert(e.event_id);
                              return Status::Ok();
                            })
                  .ok());
  return ids;
}

// The journal's fsync fails (EIO): the batch is refused, and after a crash
// right then it must not come back, neither in the journal nor replayed.
TEST(DurabilityE2ETest, AFailedCommitNeverSurfacesAfterACrash) {
  DaemonHarness h(DemoNetworkConfig());
  const std::string faults = (h.dir() / "faults").string();
  h.EnableFaultInjection(faults);
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disruption("f-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);

  DaemonHarness::ArmFaults(faults, "fdatasync riskd.db-wal EIO 1\n");
  auto refused = h.Send(Disruption("f-2", "RES-RAY"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(refused->reason(), "unavailable: journal write failed; retry later");
  h.Kill();
  // The fault did happen, on the journal's WAL.
  std::ifstream log(faults + ".log");
  std::string injected((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(injected.find("fdatasync " + h.database() + "-wal Input/output error"),
            std::string::npos)
      << injected;

  DaemonHarness::ArmFaults(faults, "# disarmed\n");
  EXPECT_EQ(JournaledIds(h.database()), std::set<std::string>{"f-1"});
  ASSERT_TRUE(h.Start());
  Envelope q;
  q.set_event_id("q");
  q.mutable_query()->mutable_snapshot();
  auto snap = h.Send(q);
  ASSERT_TRUE(snap && snap->result() == Ack::RESULT_ACCEPTED);
  EXPECT_EQ(snap->response().snapshot().journal_seq(), 1u);
  for (const auto& r : snap->response().snapshot().node_risks()) {
    if (r.node_id() == "RES-RAY") {
      EXPECT_NE(r.observed_state(), riskd::v1::NODE_STATE_DISRUPTED);
    }
  }
  // The producer's retry is a new event, not a duplicate.
  auto retry = h.Send(Disruption("f-2", "RES-RAY"));
  EXPECT_EQ(retry->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(retry->journal_seq(), 2u);
  EXPECT_EQ(h.Stop(), 0);
}

// The state directory moved or deleted under the running daemon (a clean-up
// script, an operator's mistake): the journal's connection would keep
// committing to a file no path leads to, and acknowledge events the next
// start no longer has. They are refused instead (the producers retry), and
// the log says why; with the file back at its path, ingest goes on.
TEST(DurabilityE2ETest, EventsAreRefusedNotLostOnceTheJournalFileIsGone) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disruption("gone-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  const auto state = std::filesystem::path(h.database()).parent_path();
  std::filesystem::rename(state, h.dir() / "state.moved");
  auto refused = h.Send(Disruption("gone-2", "RES-RAY"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(refused->reason(), "unavailable: journal write failed; retry later");
  EXPECT_TRUE(h.WaitForLog(h.database() + " was deleted or replaced since riskd opened it"))
      << h.log();
  std::filesystem::rename(h.dir() / "state.moved", state);
  auto retry = h.Send(Disruption("gone-2", "RES-RAY"));
  EXPECT_EQ(retry->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(retry->journal_seq(), 2u);
  std::filesystem::remove_all(state);
  EXPECT_EQ(h.Send(Disruption("gone-3", "MAG-BAO"))->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// How often the state file was synced (meta 'syncs', which each
// StateStore::Sync increments), read through a connection of its own.
class StateSyncs {
 public:
  explicit StateSyncs(const std::string& database) {
    auto db = connectors::SqliteDb::OpenReadOnly(connectors::StateStore::PathFor(database));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return;
    db_ = std::move(*db);
    auto q = db_->Prepare("SELECT COALESCE(MAX(value), 0) FROM meta WHERE key = 'syncs'");
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    if (q.ok()) query_.emplace(std::move(*q));
  }
  std::int64_t Read() {
    if (!query_) return -1;
    Status st;
    EXPECT_TRUE(query_->Step(&st)) << st.ToString();
    const std::int64_t n = query_->ColumnInt(0);
    query_->Reset();
    return n;
  }
  // The count once above `than`, or as it is after 5 s.
  std::int64_t WaitAbove(std::int64_t than) {
    std::int64_t n = Read();
    for (int i = 0; i < 50 && n <= than; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      n = Read();
    }
    return n;
  }

 private:
  std::unique_ptr<connectors::SqliteDb> db_;
  std::optional<connectors::SqliteStatement> query_;
};

// The state file is written with synchronous=NORMAL; once idle, the daemon
// syncs it when publications were recorded since its last sync (at most
// once a second), so a power loss loses at most about a second of alert
// history. Checkpoints (which sync it too) are off here.
TEST(DurabilityE2ETest, TheStateFileIsSyncedOnceIdleAfterPublications) {
  DaemonHarness h(DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n");
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish());
  StateSyncs syncs(h.database());
  const std::int64_t before = syncs.Read();
  ASSERT_EQ(h.Send(Disruption("idle-sync-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_TRUE(sub.Next(std::chrono::seconds(10))) << "nothing published";
  EXPECT_GT(syncs.WaitAbove(before), before)
      << "the state file was not synced within 5 s of idling";
  EXPECT_EQ(h.Stop(), 0);
}

// Under a steady load the engine thread is never idle (events come more
// often than its 200 ms poll): the state file is synced after rounds too,
// at most once a second, rather than only once idle (which left up to the
// alert-history window of publications unsynced). The test waits for the
// idle sync after a first event, then sends events 50 ms apart and sees a
// sync while they still come.
TEST(DurabilityE2ETest, TheStateFileIsSyncedUnderASteadyLoad) {
  DaemonHarness h(Config() + "checkpoint { interval_events: 0 }\n");
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish());
  StateSyncs syncs(h.database());
  // Idle after a first publication: synced (as the test above checks).
  const std::int64_t at_start = syncs.Read();
  ASSERT_EQ(h.Send(Disruption("load-sync-0", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_TRUE(sub.Next(std::chrono::seconds(10))) << "nothing published";
  const std::int64_t before = syncs.WaitAbove(at_start);
  ASSERT_GT(before, at_start) << "no idle sync";
  // Now busy: every event changes a node's status, so each round publishes.
  std::int64_t during = before;
  int sent = 0;
  for (; sent < 200 && during == before; ++sent) {
    ASSERT_EQ(h.Send(StatusEvent(7, sent))->result(), Ack::RESULT_ACCEPTED);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    during = syncs.Read();
  }
  EXPECT_GT(during, before) << "no sync while " << sent << " events came 50 ms apart";
  EXPECT_EQ(h.Stop(), 0);
}

// Recorded before sent: the state store's rows are in their own file (not
// the journal's), and every alert and incident a subscriber receives is
// already there when it arrives: the engine thread commits a chunk's rows
// before it sends the chunk, so a read right after the receipt finds them.
// (An order reversed catches the subscriber's read before the commit in
// most runs: 3 of 5 with the alerts' flush sending first, never a false
// failure in the right order.)
TEST(DurabilityE2ETest, EveryAlertAndIncidentIsInTheStateFileBeforeItIsSent) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish());
  const std::string state_file = connectors::StateStore::PathFor(h.database());
  auto db = connectors::SqliteDb::OpenReadOnly(state_file);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto history = (*db)->Prepare("SELECT alert_id FROM alert_history WHERE sequence = ?1");
  auto incident = (*db)->Prepare("SELECT sequence FROM incidents WHERE incident_id = ?1");
  auto last = (*db)->Prepare(
      "SELECT MAX(value) FROM meta WHERE key IN ('last_sequence', 'sequence_ceiling')");
  ASSERT_TRUE(history.ok() && incident.ok() && last.ok());
  for (const auto& node : {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO"}) {
    ASSERT_EQ(h.Send(Disruption(std::string("rbs-") + node, node))->result(), Ack::RESULT_ACCEPTED);
  }
  int alerts = 0, incidents = 0;
  while (auto msg = sub.Next(std::chrono::milliseconds(1500))) {
    const riskd::v1::Publication& pub = msg->second;
    Status st;
    if (pub.has_alert()) {
      ++alerts;
      history->BindInt(1, static_cast<std::int64_t>(pub.sequence()));
      ASSERT_TRUE(history->Step(&st)) << "alert " << pub.alert().alert_id() << " at sequence "
                                      << pub.sequence() << " not recorded " << st.ToString();
      EXPECT_EQ(history->ColumnText(0), pub.alert().alert_id());
      history->Reset();
      ASSERT_TRUE(last->Step(&st));
      EXPECT_GE(static_cast<std::uint64_t>(last->ColumnInt(0)), pub.sequence());
      last->Reset();
    } else if (pub.has_incident()) {
      ++incidents;
      incident->BindText(1, pub.incident().incident_id());
      ASSERT_TRUE(incident->Step(&st))
          << "incident " << pub.incident().incident_id() << " not recorded " << st.ToString();
      // This publication's row, or a later one of the same incident.
      EXPECT_GE(static_cast<std::uint64_t>(incident->ColumnInt(0)), pub.sequence());
      incident->Reset();
    }
  }
  EXPECT_GT(alerts, 0);
  EXPECT_GT(incidents, 0);
  // The journal's file holds the journal only.
  auto journal_file = connectors::SqliteDb::OpenReadOnly(h.database());
  ASSERT_TRUE(journal_file.ok());
  for (const char* table : {"alerts", "alert_history", "incidents", "meta", "nodes"}) {
    EXPECT_FALSE(*(*journal_file)->HasTable(table)) << table;
    EXPECT_TRUE(*(*db)->HasTable(table)) << table;
  }
  EXPECT_TRUE(*(*journal_file)->HasTable("journal"));
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// Upgrade: a state directory of the layout before the state file (the state
// tables in riskd.db), made here from a running daemon's state file with
// sqlite3 .dump, as the earlier riskd wrote them. The first start moves
// them: the open alerts and incidents are the same, the publication
// sequence goes on above every one used, and riskd.db keeps the journal
// only.
TEST(DurabilityE2ETest, AStateDirectoryOfTheEarlierLayoutIsMovedAtTheFirstStart) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  for (const auto& node : {"FAB-KUM", "RES-RAY"}) {
    ASSERT_EQ(h.Send(Disruption(std::string("up-") + node, node))->result(), Ack::RESULT_ACCEPTED);
  }
  bool accepted = false;
  const riskd::v1::Snapshot before = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(h.Stop(), 0);
  std::set<std::string> alerts, incidents;
  for (const auto& a : before.open_alerts()) alerts.insert(a.alert_id());
  for (const auto& i : before.incidents()) incidents.insert(i.incident_id());
  ASSERT_FALSE(alerts.empty());
  ASSERT_FALSE(incidents.empty());

  const std::string state = connectors::StateStore::PathFor(h.database());
  ASSERT_EQ(
      std::system(("sqlite3 " + state +
                   " .dump | grep -v -e \"'moved_\" -e journal_rows | sqlite3 " + h.database())
                      .c_str()),
      0);
  ASSERT_TRUE(std::filesystem::remove(state));
  std::uint64_t ceiling = 0;  // reserved before the stop: moved, a restart goes on past it
  {
    auto old = connectors::SqliteDb::OpenReadOnly(h.database());
    ASSERT_TRUE(old.ok());
    ASSERT_TRUE(*(*old)->HasTable("alerts"));
    auto q = (*old)->Prepare("SELECT value FROM meta WHERE key = 'sequence_ceiling'");
    ASSERT_TRUE(q.ok());
    Status st;
    ASSERT_TRUE(q->Step(&st));
    ceiling = static_cast<std::uint64_t>(q->ColumnInt(0));
    ASSERT_GT(ceiling, before.sequence());
  }

  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(
      h.WaitForLog("moved the state tables (meta, nodes, edges, alerts, alert_history, "
                   "incidents, network_source) from " +
                       h.database(),
                   std::chrono::seconds(10)))
      << h.log();
  const riskd::v1::Snapshot after = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  std::set<std::string> alerts_after, incidents_after;
  for (const auto& a : after.open_alerts()) alerts_after.insert(a.alert_id());
  for (const auto& i : after.incidents()) incidents_after.insert(i.incident_id());
  EXPECT_EQ(alerts_after, alerts);
  EXPECT_EQ(incidents_after, incidents);
  EXPECT_GT(after.sequence(), ceiling);  // a fresh state would start again from 0
  EXPECT_EQ(after.journal_seq(), before.journal_seq());
  EXPECT_EQ(h.Stop(), 0);
  auto journal_file = connectors::SqliteDb::OpenReadOnly(h.database());
  ASSERT_TRUE(journal_file.ok());
  EXPECT_FALSE(*(*journal_file)->HasTable("alerts"));
  EXPECT_FALSE(*(*journal_file)->HasTable("nodes"));
  EXPECT_TRUE(std::filesystem::exists(state));
}

// Copies a SQLite file with its -wal and -shm files from one path to
// another (replacing what is there; a file absent at `from` is removed).
void CopyDbFile(const std::string& from, const std::string& to) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(to + suffix);
    if (std::filesystem::exists(from + suffix)) {
      std::filesystem::copy_file(from + suffix, to + suffix);
    }
  }
}

// An operator restores riskd.db and riskd.db.state from two backups that
// were not taken together (or from another installation): the start is
// refused, the error names the file and says what to do, and nothing is
// written. The state file older than the journal (the order the backup
// section prescribes, and the direction of a power loss) starts and
// re-derives the rest from the journal; moving the state file aside, as
// the error says, starts with a state rebuilt from the journal.
TEST(DurabilityE2ETest, AStateFileOfAnotherBackupOrJournalIsRefusedSayingWhatToDo) {
  DaemonHarness h(DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n");
  const std::string journal = h.database();
  const std::string state = connectors::StateStore::PathFor(journal);
  const std::filesystem::path backups = h.dir() / "backups";
  std::filesystem::create_directories(backups);
  const auto backup = [&](const std::string& name) {
    CopyDbFile(journal, (backups / (name + ".db")).string());
    CopyDbFile(state, (backups / (name + ".db.state")).string());
  };
  const auto restore = [&](const std::string& journal_from, const std::string& state_from) {
    CopyDbFile((backups / (journal_from + ".db")).string(), journal);
    CopyDbFile((backups / (state_from + ".db.state")).string(), state);
  };
  bool accepted = false;
  // A start that should be refused: says why in its log, or (a daemon
  // that starts anyway) what it served, and is stopped.
  const auto expect_refused = [&](const std::string& why) {
    const std::size_t mark = h.log().size();
    if (h.Start()) {
      const riskd::v1::Snapshot served = QuerySnapshot(h, &accepted);
      ADD_FAILURE() << "started, serving journal seq " << served.journal_seq() << ", "
                    << served.incidents_size() << " incident(s), " << served.open_alerts_size()
                    << " open alert(s)";
      EXPECT_EQ(h.Stop(), 0);
      return;
    }
    EXPECT_TRUE(h.WaitForLog(why, std::chrono::seconds(5), mark)) << h.log().substr(mark);
  };
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disruption("pair-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
  backup("older");
  ASSERT_TRUE(h.Start());
  for (const auto& node : {"RES-RAY", "STL-DUI"}) {
    ASSERT_EQ(h.Send(Disruption(std::string("pair-") + node, node))->result(),
              Ack::RESULT_ACCEPTED);
  }
  const riskd::v1::Snapshot newer = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  ASSERT_EQ(newer.journal_seq(), 3u);
  EXPECT_EQ(h.Stop(), 0);
  backup("newer");

  // The journal of the older backup, the state file of the newer one: the
  // state refers to incidents and alerts of events the journal lacks.
  restore("older", "newer");
  std::size_t mark = h.log().size();
  expect_refused(state + " is ahead of its journal " + journal +
                 ": it holds alerts or incidents of journal seq 3, but the journal ends at seq 1");
  EXPECT_TRUE(h.WaitForLog("move " + state + " (with its -wal and -shm files, if any) aside",
                           std::chrono::seconds(1), mark));
  {
    auto j = connectors::Journal::OpenReadOnly(journal);
    ASSERT_TRUE(j.ok());
    EXPECT_EQ((*j)->last_seq(), 1u);  // nothing appended
  }

  // The other way round (state file older): as after a power loss, the
  // journal's events are re-derived; same state as before the stop.
  restore("newer", "older");
  ASSERT_TRUE(h.Start());
  const riskd::v1::Snapshot behind = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(behind.journal_seq(), 3u);
  EXPECT_EQ(SnapshotStateDigest(behind), SnapshotStateDigest(newer));
  EXPECT_EQ(behind.incidents_size(), newer.incidents_size());
  EXPECT_EQ(h.Stop(), 0);

  // The journal of another installation (the same events, received at
  // other times: other hashes), beside this state file: refused too.
  {
    DaemonHarness other(DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n");
    ASSERT_TRUE(other.Start());
    for (const auto& node : {"FAB-KUM", "RES-RAY", "STL-DUI"}) {
      ASSERT_EQ(other.Send(Disruption(std::string("pair-") + node, node))->result(),
                Ack::RESULT_ACCEPTED);
    }
    EXPECT_EQ(other.Stop(), 0);
    CopyDbFile(other.database(), journal);
  }
  expect_refused(state + " belongs to another journal than " + journal);

  // As the error says: the state file moved aside, the state is rebuilt
  // from the journal (and the start warns that the sequence restarts).
  std::filesystem::rename(state, state + ".aside");
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(state + suffix);
  mark = h.log().size();
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(h.WaitForLog("created " + state + " beside a journal of 3 event(s)",
                           std::chrono::seconds(5), mark));
  const riskd::v1::Snapshot rebuilt = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(rebuilt.journal_seq(), 3u);
  EXPECT_EQ(SnapshotStateDigest(rebuilt), SnapshotStateDigest(newer));
  EXPECT_EQ(h.Stop(), 0);
}

// Old-layout tables in riskd.db beside a state file that was moved from
// tables of the same journal length: leftovers of an unfinished move only
// if the journal still ends at the row the move saw. Beside another
// journal of that length the start is refused; a state file moved by an
// earlier riskd (which recorded the length only) drops them as before, but
// says what it dropped and why.
TEST(DurabilityE2ETest, OldTablesBesideAnotherJournalOfTheMovedLengthAreNotDroppedSilently) {
  const std::string config = DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n";
  DaemonHarness h(config);
  const std::string state = connectors::StateStore::PathFor(h.database());
  const std::string sqlite = "sqlite3 ";
  const auto events = {"FAB-KUM", "RES-RAY"};
  ASSERT_TRUE(h.Start());
  for (const auto& node : events) {
    ASSERT_EQ(h.Send(Disruption(std::string("ol-") + node, node))->result(), Ack::RESULT_ACCEPTED);
  }
  EXPECT_EQ(h.Stop(), 0);
  // The same events journaled by another installation: the same length,
  // other hashes (received at other times); the old layout's tables put
  // into it from this state file, as an earlier riskd kept them.
  DaemonHarness other(config);
  ASSERT_TRUE(other.Start());
  for (const auto& node : events) {
    ASSERT_EQ(other.Send(Disruption(std::string("ol-") + node, node))->result(),
              Ack::RESULT_ACCEPTED);
  }
  EXPECT_EQ(other.Stop(), 0);
  const std::string foreign = (h.dir() / "foreign.db").string();
  CopyDbFile(other.database(), foreign);
  ASSERT_EQ(std::system((sqlite + state + " .dump | grep -v -e \"'moved_\" -e journal_rows | " +
                         sqlite + foreign)
                            .c_str()),
            0);
  // This state file as a move from this journal records it: moved at its
  // row 2 (sequence and hash).
  ASSERT_EQ(std::system((sqlite + state + " \"ATTACH '" + h.database() +
                         "' AS j; INSERT OR REPLACE INTO meta(key, value) VALUES"
                         " ('moved_from_database', 1), ('moved_at_journal_seq', 2);"
                         " INSERT OR REPLACE INTO journal_rows(key, seq, hash)"
                         " SELECT 'moved_at', seq, hash FROM j.journal WHERE seq = 2\"")
                            .c_str()),
            0);
  CopyDbFile(foreign, h.database());
  std::size_t mark = h.log().size();
  EXPECT_FALSE(h.Start());
  EXPECT_TRUE(h.WaitForLog("another journal of the same length", std::chrono::seconds(5), mark))
      << h.log().substr(mark);

  // A state file moved by an earlier riskd, never started by this one: no
  // row recorded (neither the move's nor its journal's first).
  ASSERT_EQ(std::system((sqlite + state + " 'DELETE FROM journal_rows'").c_str()), 0);
  mark = h.log().size();
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(h.WaitForLog(
      "dropped the state tables (meta, nodes, edges, alerts, alert_history, "
      "incidents, network_source) from " +
          h.database() + ": taken for leftovers of the move into " + state + " at journal seq 2",
      std::chrono::seconds(5), mark))
      << h.log().substr(mark);
  EXPECT_TRUE(h.WaitForLog("cannot be told apart", std::chrono::seconds(1), mark));
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
