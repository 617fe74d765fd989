// Faults around the daemon (issue 14, point 6): the journal's disk full,
// read-only or failing fsync (the LD_PRELOAD shim in
// tests/support/fault_injection), an unreachable Alertmanager, subscribers
// that never read, a producer that disconnects mid-batch. In each: no
// acknowledged event is lost, no refused event is journaled, and the daemon
// keeps answering throughout.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

Envelope Status(const std::string& id, int i) {
  Envelope e;
  e.set_event_id(id);
  auto* s = e.mutable_supplier_status();
  s->set_node_id(DemoNodes()[static_cast<std::size_t>(i) % DemoNodes().size()]);
  s->set_state(i % 2 == 0 ? riskd::v1::NODE_STATE_DISRUPTED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e;
}

// Every event id in the journal, with how often it is there.
std::map<std::string, int> Journaled(const std::string& db) {
  std::map<std::string, int> ids;
  auto journal = connectors::Journal::OpenReadOnly(db);
  EXPECT_TRUE(journal.ok()) << journal.status().ToString();
  if (!journal.ok()) return ids;
  EXPECT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& e) {
                              ++ids[e.event_id];
                              return Status::Ok();
                            })
                  .ok());
  return ids;
}

std::map<std::string, int> Once(const std::set<std::string>& ids) {
  std::map<std::string, int> m;
  for (const auto& id : ids) m[id] = 1;
  return m;
}

bool Serving(DaemonHarness& h) {
  Envelope q;
  q.set_event_id("serving?");
  q.mutable_query()->mutable_status();
  auto ack = h.Send(q);
  return ack && ack->result() == Ack::RESULT_ACCEPTED;
}

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(FaultsE2ETest, DiskFullReadOnlyAndFsyncErrorsRefuseEventsLoseNoAckedOneAndKeepServing) {
  DaemonHarness h(DemoNetworkConfig());
  const std::string faults = (h.dir() / "faults").string();
  h.EnableFaultInjection(faults);
  ASSERT_TRUE(h.Start());
  struct Fault {
    std::string rule, strerror;
  };
  const std::vector<Fault> kFaults = {
      {"pwrite riskd.db-wal ENOSPC always", "No space left on device"},  // disk full
      {"pwrite riskd.db-wal EROFS always", "Read-only file system"},     // remounted read-only
      {"fdatasync riskd.db-wal EIO 1", "Input/output error"},            // an fsync error
  };
  std::set<std::string> acked, refused;
  int n = 0;
  for (const auto& fault : kFaults) {
    const std::string before = "ok-" + std::to_string(n++);
    auto ok = h.Send(Status(before, n));
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->result(), Ack::RESULT_ACCEPTED) << fault.rule << ": " << ok->reason();
    acked.insert(before);

    DaemonHarness::ArmFaults(faults, fault.rule + "\n");
    // "always": every event is refused while armed; "1": the first.
    const bool always = fault.rule.find("always") != std::string::npos;
    for (int i = 0; i < 3; ++i) {
      const std::string id = "during-" + std::to_string(n++);
      auto ack = h.Send(Status(id, n));
      ASSERT_TRUE(ack) << fault.rule << "\n" << h.log();
      if (always || i == 0) {
        EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED) << fault.rule;
        EXPECT_EQ(ack->reason(), "unavailable: journal write failed; retry later") << fault.rule;
        refused.insert(id);
      } else {
        EXPECT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << fault.rule << ": " << ack->reason();
        acked.insert(id);
      }
      EXPECT_TRUE(Serving(h)) << fault.rule;  // queries are answered throughout
    }
    EXPECT_NE(FileText(faults + ".log").find(h.database() + "-wal " + fault.strerror),
              std::string::npos)
        << fault.rule << ": the fault did not happen";
    DaemonHarness::ArmFaults(faults, "# disarmed\n");
    // Recovered without a restart.
    const std::string after = "ok-" + std::to_string(n++);
    ok = h.Send(Status(after, n));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result(), Ack::RESULT_ACCEPTED) << fault.rule << ": " << ok->reason() << "\n"
                                                  << h.log();
    if (ok->result() == Ack::RESULT_ACCEPTED) acked.insert(after);
  }
  // An fsync that keeps failing: the failed commit cannot be discarded
  // either, so whether its events are durable is unknown. The daemon
  // answers nothing for them and stops at once (like PostgreSQL after a
  // failed fsync) rather than go on from a journal it cannot trust.
  DaemonHarness::ArmFaults(faults, "fdatasync riskd.db-wal EIO always\n");
  auto doomed = h.SendBytes(Status("doomed", 1).SerializeAsString(), std::chrono::seconds(2));
  if (doomed) {
    EXPECT_EQ(doomed->result(), Ack::RESULT_REJECTED) << doomed->reason();
    refused.insert("doomed");
  }
  EXPECT_TRUE(h.WaitForLog("could not be discarded")) << h.log();
  EXPECT_TRUE(h.WaitForLog("stopping at once")) << h.log();
  h.Kill();
  DaemonHarness::ArmFaults(faults, "# disarmed\n");
  // Exactly the acknowledged events, each once; none of the refused ones
  // (an unanswered one may be there: its producer retries).
  auto journaled = Journaled(h.database());
  if (!doomed) journaled.erase("doomed");
  EXPECT_EQ(journaled, Once(acked));

  ASSERT_TRUE(h.Start());
  Envelope q;
  q.set_event_id("q");
  q.mutable_query()->mutable_snapshot();
  auto snap = h.Send(q);
  ASSERT_TRUE(snap && snap->result() == Ack::RESULT_ACCEPTED);
  EXPECT_EQ(snap->response().snapshot().journal_seq(), Journaled(h.database()).size());
  // A refused event sent again is new.
  auto retry = h.Send(Status(*refused.begin(), 0));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->result(), Ack::RESULT_ACCEPTED) << retry->reason();
  EXPECT_EQ(h.Stop(), 0);
}

// A group of events pipelined into one journal batch (several of the
// journal's multi-row INSERTs) on a full disk (ENOSPC on the WAL's
// writes): every event of it is answered unavailable with the reason, none
// accepted, the failure counted, the daemon serving. Once there is room
// again, the same events sent again are all new (no id of the failed
// group was remembered): accepted, each journaled once, and the daemon's
// state is what a replay of its journal gives.
TEST(FaultsE2ETest, AGroupRefusedOnAFullDiskIsAcceptedWhenResentAfterRoomIsFreed) {
  const std::string config = DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n";
  DaemonHarness h(config);
  const std::string faults = (h.dir() / "faults").string();
  h.EnableFaultInjection(faults);
  ASSERT_TRUE(h.Start());
  std::set<std::string> acked;
  for (int i = 0; i < 3; ++i) {
    auto ok = h.Send(Status("before-" + std::to_string(i), i));
    ASSERT_TRUE(ok && ok->result() == Ack::RESULT_ACCEPTED);
    acked.insert(ok->event_id());
  }
  EXPECT_EQ(h.Metric("riskd_journal_failures_total"), 0);

  constexpr int kGroup = 100;  // three full INSERTs of 32 rows and a rest
  std::vector<std::string> group;
  for (int i = 0; i < kGroup; ++i) {
    group.push_back(Status("group-" + std::to_string(i), i + 1).SerializeAsString());
  }
  DaemonHarness::ArmFaults(faults, "pwrite riskd.db-wal ENOSPC always\n");
  auto acks = SendPipelined(h, group);
  ASSERT_EQ(acks.size(), group.size()) << h.log();
  std::set<std::string> refused;
  for (const auto& ack : acks) {
    EXPECT_EQ(ack.result(), Ack::RESULT_REJECTED) << ack.event_id();
    EXPECT_EQ(ack.reason(), "unavailable: journal write failed; retry later") << ack.event_id();
    EXPECT_EQ(ack.journal_seq(), 0u) << ack.event_id();
    refused.insert(ack.event_id());
  }
  EXPECT_EQ(refused.size(), group.size());
  EXPECT_NE(FileText(faults + ".log").find(h.database() + "-wal No space left on device"),
            std::string::npos)
      << "the fault did not happen";
  EXPECT_TRUE(h.WaitForLog("journal append failed")) << h.log();
  // The metrics are refreshed every 100 ms: once they show every refusal,
  // they show every failure counted before it.
  for (int i = 0; i < 100 && h.Metric("riskd_ingest_rejected_total").value_or(0) < kGroup; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(h.Metric("riskd_ingest_rejected_total"), kGroup);
  const double failures = h.Metric("riskd_journal_failures_total").value_or(0);
  EXPECT_GE(failures, 1);  // batches: the group may have been drained in several
  EXPECT_LE(failures, kGroup);
  EXPECT_TRUE(Serving(h));
  EXPECT_EQ(Journaled(h.database()), Once(acked));
  // The operator's audit of the journal, while the daemon runs: intact.
  const auto audit =
      RunCommand(std::string(RISKCTL_BINARY) + " verify-journal --db " + h.database());
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
  EXPECT_EQ(audit.out.rfind("journal OK: 3 rows, hash chain intact; last seq 3 ", 0), 0u)
      << audit.out;

  DaemonHarness::ArmFaults(faults, "# disarmed\n");  // room again, no restart
  acks = SendPipelined(h, group);
  ASSERT_EQ(acks.size(), group.size()) << h.log();
  for (const auto& ack : acks) {
    EXPECT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.event_id() << ": " << ack.reason();
    EXPECT_GT(ack.journal_seq(), 3u) << ack.event_id();
    acked.insert(ack.event_id());
  }
  auto again = h.Send(Status("group-7", 8));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result(), Ack::RESULT_DUPLICATE);
  for (int i = 0; i < 100 && h.Metric("riskd_ingest_duplicates_total").value_or(0) < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(h.Metric("riskd_journal_failures_total"), failures);  // no more
  EXPECT_EQ(Journaled(h.database()), Once(acked));

  bool accepted = false;
  const auto live = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(live.journal_seq(), acked.size());
  EXPECT_EQ(h.Stop(), 0);
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  ASSERT_TRUE(journal.ok());
  auto report = (*journal)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->rows, acked.size());
  bool replayed_ok = false;
  const auto replayed = ReplayedSnapshot(h.database(), config, &replayed_ok);
  ASSERT_TRUE(replayed_ok);
  EXPECT_EQ(replayed.journal_seq(), acked.size());
  EXPECT_FALSE(SnapshotStateDigest(live).empty());
  EXPECT_EQ(SnapshotStateDigest(replayed), SnapshotStateDigest(live));
}

TEST(FaultsE2ETest, AnUnreachableAlertmanagerNeverSlowsIngestOrPublication) {
  const int dead_port = FreeLoopbackPort();  // nothing listens there
  DaemonHarness h(DemoNetworkConfig() +
                  "metrics { listen: \"127.0.0.1:0\" }\n"
                  "alertmanager { url: \"http://127.0.0.1:" +
                  std::to_string(dead_port) + "\" timeout { seconds: 1 } }\n");
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "alert.");
  std::set<std::string> acked;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "am-" + std::to_string(i);
    auto ack = h.Send(Status(id, i));
    ASSERT_TRUE(ack);
    ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
    acked.insert(id);
  }
  EXPECT_TRUE(sub.Next(std::chrono::seconds(10), "alert.").has_value());  // publication goes on
  double failures = 0;
  for (int i = 0; i < 100 && failures < 1; ++i) {
    failures = h.Metric("riskd_alertmanager_failures_total").value_or(0);
    if (failures < 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(failures, 1);  // it was really tried, and failed
  EXPECT_TRUE(Serving(h));
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(Journaled(h.database()), Once(acked));
}

TEST(FaultsE2ETest, SubscribersThatNeverReadDoNotHoldUpIngestOrOtherSubscribers) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  // Five subscribers that never read, with the smallest queues.
  std::vector<zmq::socket_t> stuck;
  for (int i = 0; i < 5; ++i) {
    stuck.emplace_back(h.context(), zmq::socket_type::sub);
    stuck.back().set(zmq::sockopt::rcvhwm, 1);
    stuck.back().set(zmq::sockopt::rcvbuf, 4096);
    stuck.back().set(zmq::sockopt::linger, 0);
    stuck.back().set(zmq::sockopt::subscribe, "");
    stuck.back().connect(h.publish());
  }
  Subscriber reader(h.context(), h.publish(), "alert.");
  // Pipelined: 2000 events, each flipping a node, so every one publishes.
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  constexpr int kEvents = 2000;
  for (int i = 0; i < kEvents; ++i) {
    dealer.send(zmq::buffer(Status("slow-" + std::to_string(i), i).SerializeAsString()),
                zmq::send_flags::none);
  }
  std::set<std::string> acked;
  while (acked.size() < kEvents) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, std::chrono::seconds(30)), 1) << acked.size() << " acks";
    zmq::message_t reply;
    (void)dealer.recv(reply);
    Ack ack;
    ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    ASSERT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
    acked.insert(ack.event_id());
  }
  EXPECT_TRUE(reader.Next(std::chrono::seconds(10), "alert.").has_value());
  EXPECT_TRUE(Serving(h));
  h.Kill();
  EXPECT_EQ(Journaled(h.database()), Once(acked));
}

TEST(FaultsE2ETest, AProducerThatDisconnectsMidBatchLosesNothingItCanNotRetry) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  constexpr int kEvents = 1000;
  {
    // Sends everything and hangs up without waiting for an Ack.
    zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 200);  // the requests leave; the acks find no one
    dealer.connect(h.ingest());
    for (int i = 0; i < kEvents; ++i) {
      dealer.send(zmq::buffer(Status("mid-" + std::to_string(i), i).SerializeAsString()),
                  zmq::send_flags::none);
    }
  }
  EXPECT_TRUE(Serving(h));
  // The producer comes back and retries everything: each event is journaled
  // exactly once, whether its first copy got through or not.
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  for (int i = 0; i < kEvents; ++i) {
    dealer.send(zmq::buffer(Status("mid-" + std::to_string(i), i).SerializeAsString()),
                zmq::send_flags::none);
  }
  std::set<std::string> acked;
  int duplicates = 0;
  for (int got = 0; got < kEvents; ++got) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, std::chrono::seconds(30)), 1) << got << " acks";
    zmq::message_t reply;
    (void)dealer.recv(reply);
    Ack ack;
    ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    ASSERT_TRUE(ack.result() == Ack::RESULT_ACCEPTED || ack.result() == Ack::RESULT_DUPLICATE)
        << ack.reason();
    if (ack.result() == Ack::RESULT_DUPLICATE) ++duplicates;
    acked.insert(ack.event_id());
  }
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kEvents));
  EXPECT_GT(duplicates, 0)
      << "the first producer's requests never arrived: the scenario did not happen";
  h.Kill();
  EXPECT_EQ(Journaled(h.database()), Once(acked));
}

}  // namespace
}  // namespace riskd::testing
