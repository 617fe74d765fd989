// riskd on NATS JetStream, end to end: real riskd processes, real
// nats-server processes (Debian's) on loopback, faults by signals.
//
//  - The stream is the event log: events from the ingest endpoint and from
//    producers publishing to the stream directly are applied in stream order;
//    the stream sequence is the journal sequence; invalid stream messages
//    are skipped; publications also go out on subjects; a restart resumes
//    from the mirror.
//  - Active/standby on a three-node cluster: kill -9 the active riskd, kill
//    -9 the stream's leader, SIGSTOP a server (the lease bucket's leader)
//    beyond the election timeout, while a producer keeps publishing. Every
//    event the stream acknowledged is applied exactly once, the states equal
//    a single-node replay of the stream, and no two instances ever publish
//    under one epoch.
//  - A stale leader (the active instance frozen beyond its lease) never
//    publishes under a newer epoch and stands by once it resumes, and its
//    Alertmanager forwarder stops posting.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/store/journal.h"
#include "connectors/store/state_store.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/nats_client.h"
#include "tests/support/nats_cluster.h"

namespace riskd::testing {
namespace {

namespace fs = std::filesystem;
using riskd::v1::Ack;
using riskd::v1::Envelope;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kStream = "RISKD_EVENTS";
constexpr const char* kSubject = "riskd.events";

const std::vector<std::string> kNodes = {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO", "CEL-OCH",
                                         "ECU-NGO", "CHP-SND", "PLS-BKK", "HRN-CEB", "BRG-SWF"};

// Config of one riskd instance on the cluster; `lease_ttl_ms` 0: no lease.
std::string Config(const NatsCluster& cluster, const std::string& instance, int replicas,
                   int lease_ttl_ms) {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
         "edges.csv\" } }\n"
         "projection { method: METHOD_DMP }\nplanner { k: 0 }\nlogging { level: \"info\" }\n"
         "metrics { listen: \"127.0.0.1:0\" }\n" +
         RiskdNatsConfig(cluster, instance, replicas, lease_ttl_ms);
}

Envelope Status(const std::string& id, int i) {
  Envelope e;
  e.set_event_id(id);
  auto* s = e.mutable_supplier_status();
  s->set_node_id(kNodes[static_cast<std::size_t>(i) % kNodes.size()]);
  switch (i % 4) {
    case 0:
      s->set_state(riskd::v1::NODE_STATE_DISRUPTED);
      s->set_severity(0.5 + 0.05 * (i % 10));
      break;
    case 1:
      s->set_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
      break;
    case 2:
      s->set_state(riskd::v1::NODE_STATE_RECOVERED);
      break;
    default:
      s->set_state(riskd::v1::NODE_STATE_DISRUPTED);
      break;
  }
  return e;
}

// The answer to a query (the Query `fill` sets up), or nullopt.
template <typename Fill>
std::optional<riskd::v1::QueryResponse> Ask(DaemonHarness& h, Fill fill) {
  Envelope q;
  q.set_event_id("query");
  fill(q.mutable_query());
  auto ack = h.Send(q);
  if (!ack || ack->result() != Ack::RESULT_ACCEPTED) return std::nullopt;
  return ack->response();
}

std::optional<riskd::v1::Snapshot> Snapshot(DaemonHarness& h) {
  auto r = Ask(h, [](riskd::v1::Query* q) { q->mutable_snapshot(); });
  return r ? std::optional(r->snapshot()) : std::nullopt;
}

std::optional<riskd::v1::DaemonStatus> DaemonStatus(DaemonHarness& h) {
  auto r = Ask(h, [](riskd::v1::Query* q) { q->mutable_status(); });
  return r ? std::optional(r->status()) : std::nullopt;
}

// The state as far as the events determine it: every node's observed state
// and projected risk, by risk type (alert ids depend on when projections ran
// and are left out).
std::string Digest(const riskd::v1::Snapshot& snap) {
  std::vector<std::string> rows;
  for (const auto& r : snap.node_risks()) {
    char line[256];
    std::snprintf(line, sizeof line, "%s/%s %d %.12g %d", r.risk_type().c_str(),
                  r.node_id().c_str(), static_cast<int>(r.observed_state()), r.probability(),
                  r.eta_steps());
    rows.emplace_back(line);
  }
  std::sort(rows.begin(), rows.end());
  std::string out = "journal_seq " + std::to_string(snap.journal_seq()) + "\n";
  for (const auto& r : rows) out += r + "\n";
  return out;
}

// Waits until the instance has applied the stream up to `seq`.
bool WaitApplied(DaemonHarness& h, std::uint64_t seq, seconds timeout = seconds(30)) {
  return WaitFor(
      [&] {
        auto snap = Snapshot(h);
        return snap && snap->journal_seq() >= seq;
      },
      timeout);
}

// A counter of the instance's metrics endpoint (its port is in the log).
std::optional<double> Metric(DaemonHarness& h, const std::string& name) {
  // The last start's port.
  const std::string log = h.log();
  const std::regex port_line(R"(metrics on http://\S+ \(port (\d+)\))");
  std::string port;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), port_line);
       it != std::sregex_iterator(); ++it) {
    port = (*it)[1].str();
  }
  if (port.empty()) return std::nullopt;
  auto body = HttpGet("http://127.0.0.1:" + port + "/metrics");
  if (!body) return std::nullopt;
  std::smatch v;
  if (!std::regex_search(*body, v, std::regex("\n" + name + " ([0-9.e+]+)"))) return std::nullopt;
  return std::stod(v[1].str());
}

// Waits until the instance's follower has read the stream up to `seq`
// (messages it skips leave the applied journal_seq behind).
bool WaitRead(DaemonHarness& h, std::uint64_t seq, seconds timeout = seconds(60)) {
  return WaitFor(
      [&] {
        const auto read = Metric(h, "riskd_stream_read_seq");
        return read && *read >= static_cast<double>(seq);
      },
      timeout);
}

// The mirror journal of an instance: (seq, event id) rows, verified.
std::vector<std::pair<std::uint64_t, std::string>> Mirror(DaemonHarness& h) {
  std::vector<std::pair<std::uint64_t, std::string>> rows;
  auto journal = connectors::Journal::Open(h.database());
  EXPECT_TRUE(journal.ok());
  if (!journal.ok()) return rows;
  auto report = (*journal)->Verify();
  EXPECT_TRUE(report.ok() && report->ok)
      << (report.ok() ? report->problem : report.status().ToString());
  EXPECT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t seq, const connectors::JournalEntry& e) {
                              rows.emplace_back(seq, e.event_id);
                              return riskd::Status::Ok();
                            })
                  .ok());
  return rows;
}

// Config of an Alertmanager at `r` (re-posted every second).
std::string AlertmanagerConfig(const HttpReceiver& r) {
  return "alertmanager { url: \"http://127.0.0.1:" + std::to_string(r.port()) +
         "\" resend_interval { seconds: 1 } }\n";
}

// Instances a and b on a one-server cluster (lease ttl 1 s), each posting
// to an Alertmanager of its own.
struct AlertmanagerPair {
  static constexpr int kTtlMs = 1000;
  explicit AlertmanagerPair(const NatsCluster& cluster)
      : a(Config(cluster, "a", 1, kTtlMs) + AlertmanagerConfig(am_a)),
        b(Config(cluster, "b", 1, kTtlMs) + AlertmanagerConfig(am_b)) {}
  HttpReceiver am_a, am_b;
  DaemonHarness a, b;
};

// NATS servers in a fresh temp dir and the test's own client, which
// collects every publication from the start.
class NatsE2ETest : public ::testing::Test {
 protected:
  void Up(int nodes, const std::string& extra_config = "") {
    ASSERT_TRUE(fs::exists(kNatsServerBinary)) << "install nats-server (scripts/install-deps.sh)";
    dir_ = FreshTempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    cluster_ = NatsCluster::Start(dir_, nodes, std::chrono::seconds(60), extra_config);
    ASSERT_NE(cluster_, nullptr);
    client_ = NatsTestClient::Connect(cluster_->urls());
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->Subscribe("riskd.out.>"));
  }
  // Starts `active` (instance `active_name`) and waits until it publishes,
  // then `standby` and waits until it has caught up with the stream.
  void StartActiveThenStandby(DaemonHarness& active, const std::string& active_name,
                              DaemonHarness& standby) {
    ASSERT_TRUE(active.Start());
    ASSERT_TRUE(WaitFor([&] { return client_->LatestEpoch(active_name) > 0; }, seconds(30)))
        << active.log();
    ASSERT_TRUE(standby.Start());
    ASSERT_TRUE(
        WaitFor([&] { return standby.log().find("caught up with stream") != std::string::npos; },
                seconds(30)))
        << standby.log();
  }
  // Starts a pair's a (active) and b (standby), then publishes two
  // disruptions, of two nodes: alerts raised, incidents opened.
  void StartWithAlerts(AlertmanagerPair& pair) {
    ASSERT_GT(pair.am_a.port(), 0);
    ASSERT_GT(pair.am_b.port(), 0);
    ASSERT_NO_FATAL_FAILURE(StartActiveThenStandby(pair.a, "a", pair.b));
    for (int i = 0; i < 8; i += 4) {
      auto ack = client_->Publish(kSubject, Status("am-" + std::to_string(i), i));
      ASSERT_TRUE(ack && ack->seq > 0);
    }
  }
  void TearDown() override {
    client_.reset();
    cluster_.reset();
    // The servers' logs and stores stay for a failure's post-mortem (which
    // server led what, when: a failure seen once in many runs cannot be
    // rerun at will).
    if (!dir_.empty() && HasFailure()) {
      std::cerr << "nats-server logs and stores kept in " << dir_.string() << "\n";
    } else if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }
  fs::path dir_;
  std::unique_ptr<NatsCluster> cluster_;
  std::unique_ptr<NatsTestClient> client_;
};

TEST_F(NatsE2ETest, TheStreamIsTheEventLogOfEveryProducer) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsCluster* cluster = cluster_.get();
  NatsTestClient* client = client_.get();
  DaemonHarness h(Config(*cluster, "solo", 1, 0));
  ASSERT_TRUE(h.Start());
  // Through the ingest endpoint: forwarded into the stream, acknowledged
  // with the stream sequence; a retry is a duplicate of the same sequence.
  auto ack = h.Send(Status("zmq-1", 0));
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  EXPECT_EQ(ack->journal_seq(), 1u);
  ack = h.Send(Status("zmq-1", 0));
  EXPECT_EQ(ack->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(ack->journal_seq(), 1u);
  // Straight into the stream: a valid event, garbage, an event for a node
  // that does not exist, a query, then a valid one again.
  const auto wall_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before_direct = wall_ns();
  auto direct = client->Publish(kSubject, Status("direct-1", 1));
  const std::int64_t after_direct = wall_ns();
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->seq, 2u);
  ASSERT_TRUE(client->PublishBytes(kSubject, "garbage", "\xff\xfe not protobuf"));
  Envelope unknown = Status("unknown-node", 0);
  unknown.mutable_supplier_status()->set_node_id("NOPE");
  ASSERT_TRUE(client->Publish(kSubject, unknown));
  Envelope query;
  query.set_event_id("query-in-stream");
  query.mutable_query()->mutable_snapshot();
  ASSERT_TRUE(client->Publish(kSubject, query));
  ASSERT_TRUE(client->Publish(kSubject, Status("direct-2", 4)));  // seq 6
  ASSERT_TRUE(WaitApplied(h, 6));
  auto snap = Snapshot(h);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->journal_seq(), 6u);
  EXPECT_EQ(snap->epoch(), 0u);  // no lease
  auto status = DaemonStatus(h);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->nats_instance(), "solo");
  EXPECT_EQ(status->stream_read_seq(), 6u);
  EXPECT_EQ(status->journal_last_seq(), 6u);
  EXPECT_EQ(status->epoch(), 0u);
  const std::string log = h.log();
  EXPECT_NE(
      log.find(
          "seq 3: skipped, not an event riskd applies: invalid_argument: payload: cannot parse"),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("seq 4: skipped, not an event riskd applies: not_found"), std::string::npos);
  EXPECT_NE(log.find("seq 5: skipped, not an event riskd applies: invalid_argument: query"),
            std::string::npos);
  // The mirror holds the applied events at their stream sequences.
  const auto rows = Mirror(h);
  EXPECT_EQ(rows, (std::vector<std::pair<std::uint64_t, std::string>>{
                      {1, "zmq-1"}, {2, "direct-1"}, {6, "direct-2"}}));
  // A duplicate of a mirrored id: a retry says nothing more; another event
  // under the id says so (compared with the mirror's payload).
  ack = h.Send(Status("zmq-1", 0));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(ack->reason(), "");
  ack = h.Send(Status("direct-1", 2));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(ack->journal_seq(), 2u);
  EXPECT_EQ(ack->reason(),
            "already_exists: event_id 'direct-1' was journaled with a different body; this "
            "envelope changed nothing (a new event needs a new event_id)");
  // An event published without occurred_at gets the time the stream stored
  // it, written into the mirrored envelope (every instance decides the same).
  {
    auto journal = connectors::Journal::Open(h.database());
    ASSERT_TRUE(journal.ok());
    Envelope mirrored;
    ASSERT_TRUE((*journal)
                    ->ForEach(1,
                              [&](std::uint64_t seq, const connectors::JournalEntry& e) {
                                if (seq == 2) {
                                  EXPECT_TRUE(mirrored.ParseFromString(e.payload));
                                }
                                return riskd::Status::Ok();
                              })
                    .ok());
    ASSERT_TRUE(mirrored.has_occurred_at()) << mirrored.DebugString();
    const std::int64_t at =
        mirrored.occurred_at().seconds() * 1000000000 + mirrored.occurred_at().nanos();
    EXPECT_GE(at, before_direct);
    EXPECT_LE(at, after_direct);
  }
  // Publications on subjects too, the same as on the PUB socket.
  ASSERT_TRUE(WaitFor([&] { return !client->publications().empty(); }, seconds(10)));
  for (const auto& p : client->publications()) {
    EXPECT_EQ(p.subject.rfind("riskd.out.", 0), 0u) << p.subject;
    EXPECT_EQ(p.publication.publisher(), "solo");
    EXPECT_EQ(p.publication.epoch(), 0u);
  }
  const std::string before = Digest(*snap);

  // kill -9 and restart: the mirror is replayed, the stream read on.
  h.Kill();
  ASSERT_TRUE(client->Publish(kSubject, Status("while-down", 2)));  // seq 7
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitApplied(h, 7));
  snap = Snapshot(h);
  EXPECT_EQ(snap->journal_seq(), 7u);
  EXPECT_NE(Digest(*snap), before);
  EXPECT_EQ(Mirror(h).back(), std::make_pair(std::uint64_t{7}, std::string("while-down")));
  // A late retry of an applied event (after the server's duplicate window,
  // simulated with another message id) is skipped: applied once.
  ASSERT_TRUE(client->PublishBytes(kSubject, "direct-1-late-retry",
                                   Status("direct-1", 1).SerializeAsString()));
  ASSERT_TRUE(client->Publish(kSubject, Status("after-retry", 3)));  // seq 9
  ASSERT_TRUE(WaitApplied(h, 9));
  // (The metrics endpoint is refreshed every 100 ms.)
  EXPECT_TRUE(WaitFor([&] { return Metric(h, "riskd_stream_late_duplicates_total") == 1.0; },
                      seconds(5), milliseconds(50)))
      << Metric(h, "riskd_stream_late_duplicates_total").value_or(-1);
  // A stream of riskd's subject alone: no jump in the sequence to take.
  EXPECT_EQ(Metric(h, "riskd_stream_jumps_taken_total"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_stream_jump_mismatches_total"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_stream_lost_deliveries_total"), 0.0);
  EXPECT_EQ(Mirror(h).size(), 5u);
  EXPECT_EQ(h.Stop(), 0);

  // The state directory mirrors the stream: without the nats config the
  // daemon refuses it rather than continue the journal as a local one.
  std::string config;
  {
    std::ifstream in(h.config_path());
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(h.config_path()) << config.substr(0, config.find("nats {"));
  EXPECT_FALSE(h.Start());
  EXPECT_NE(h.log().find("this state directory mirrors a NATS stream"), std::string::npos)
      << h.log();
}

// Publishes events "s-<first>".."s-<last>" straight into the stream.
void PublishRange(NatsTestClient* client, int first, int last) {
  for (int i = first; i <= last; ++i) {
    ASSERT_TRUE(client->Publish(kSubject, Status("s-" + std::to_string(i), i)));
  }
}

// One instance ("solo") on a one-node cluster reads s-1..s-20; then `spoil`
// replaces its consumer on the server, and s-21..s-50 follow. The instance
// applies every event once, at its sequence, and logs each of `lines`.
void FollowAcrossASpoiledConsumer(NatsCluster* cluster, NatsTestClient* client,
                                  const std::function<bool()>& spoil,
                                  const std::vector<std::string>& lines) {
  DaemonHarness h(Config(*cluster, "solo", 1, 0));
  ASSERT_TRUE(h.Start());
  ASSERT_NO_FATAL_FAILURE(PublishRange(client, 1, 20));
  ASSERT_TRUE(WaitApplied(h, 20)) << h.log();
  ASSERT_TRUE(spoil());
  ASSERT_NO_FATAL_FAILURE(PublishRange(client, 21, 50));
  ASSERT_TRUE(WaitApplied(h, 50)) << h.log();
  const std::string log = h.log();
  for (const auto& line : lines) EXPECT_NE(log.find(line), std::string::npos) << line << log;
  std::vector<std::pair<std::uint64_t, std::string>> expected;
  for (std::uint64_t i = 1; i <= 50; ++i) expected.emplace_back(i, "s-" + std::to_string(i));
  EXPECT_EQ(Mirror(h), expected);
  double applied = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto ok = Metric(h, "riskd_engine_events_applied_total");
        applied = ok ? *ok : -1;
        return applied >= 50;
      },
      seconds(5)));
  EXPECT_EQ(applied, 50);
  EXPECT_EQ(Snapshot(h)->journal_seq(), 50u);
  EXPECT_EQ(h.Stop(), 0);
}

// A consumer that delivers nothing more (here: replaced on the server by
// one that holds back everything after a message the follower drops as
// read) while the stream grows: the follower's stall check re-creates it
// after the last sequence read.
TEST_F(NatsE2ETest, AStalledConsumerIsRecreatedAfterTheLastSequenceRead) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  FollowAcrossASpoiledConsumer(
      cluster_.get(), client_.get(),
      [&] { return client_->StallConsumer(kStream, "riskd_solo", kSubject, 20); },
      {"consumer riskd_solo stalled at seq 20 while the stream is at ",
       "consumer riskd_solo re-created at seq 21"});
}

// A consumer every fetch fails on (here: replaced on the server by a push
// consumer of the same name; also a consumer deleted on the server) is
// re-created after the last sequence read once the fetches have failed for
// the stall check's while. (Before, the follower retried the fetch forever.)
TEST_F(NatsE2ETest, AConsumerThatFailsEveryFetchIsRecreatedAfterTheLastSequenceRead) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  FollowAcrossASpoiledConsumer(
      cluster_.get(), client_.get(),
      [&] { return client_->BreakConsumer(kStream, "riskd_solo", kSubject); },
      {"consumer riskd_solo failing at seq 20", "consumer riskd_solo re-created at seq 21"});
}

// Server configuration with a user "blind" that may not use the
// message-get API on the event stream (as if the stream's leader never
// answered its look-ups); anyone else connects without a password.
std::string BlindUserServerConfig() {
  return std::string("authorization { users: [\n") +
         "  { user: blind, password: blind, permissions: { publish: "
         "{ deny: [\"$JS.API.STREAM.MSG.GET." +
         kStream +
         "\"] } } }\n"
         "  { user: anyone, password: anyone } ] }\n"
         "no_auth_user: anyone\n";
}

// s-1..s-3 into the stream (created by another instance, stopped after),
// and riskd instance "blind" (lease 1 s) connecting as the blind user.
std::string FeedThreeAndConfigBlind(NatsCluster& cluster, NatsTestClient* client) {
  DaemonHarness feeder(Config(cluster, "feeder", 1, 0));
  EXPECT_TRUE(feeder.Start());
  PublishRange(client, 1, 3);
  EXPECT_TRUE(WaitApplied(feeder, 3)) << feeder.log();
  EXPECT_EQ(feeder.Stop(), 0);
  std::string config = Config(cluster, "blind", 1, 1000);
  for (std::size_t at = 0; (at = config.find("nats://", at)) != std::string::npos; at += 7) {
    config.insert(at + 7, "blind:blind@");
  }
  return config;
}

// An instance the stream's leader cannot answer whether a start past the
// sequence sought passes over messages refuses every such start (seq 1
// deleted: its consumer delivers 2 first), counts them, and, never caught
// up, does not take the lease, though nobody holds it. (Before, the start
// was taken: 1 is before the stream's first message.)
TEST_F(NatsE2ETest, AnInstanceThatCannotHaveAStartCheckedRefusesItAndStaysStandby) {
  ASSERT_NO_FATAL_FAILURE(Up(1, BlindUserServerConfig()));
  const std::string config = FeedThreeAndConfigBlind(*cluster_, client_.get());
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(client_->DeleteMessage(kStream, 1));
  DaemonHarness h(config);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(
      WaitFor([&] { return Metric(h, "riskd_stream_reads_refused_total") >= 3.0; }, seconds(40)))
      << h.log();
  EXPECT_EQ(Metric(h, "riskd_lease_active"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_lease_acquisitions_total"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_stream_read_seq"), 0.0);
  const std::string log = h.log();
  for (const std::string line :
       {"consumer riskd_blind reading from seq 1 delivered seq 2, but the leader did not say",
        "re-creating it in 200 ms"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << log;
  }
  EXPECT_EQ(log.find("caught up with stream"), std::string::npos) << log;
  const auto line = log.find("consumer riskd_blind reading");
  if (line != std::string::npos) {
    std::printf("%s\n", log.substr(line, log.find('\n', line) - line).c_str());
  }
  EXPECT_EQ(h.Stop(), 0);
}

// The same user with nothing deleted: every start is checked against the
// stream's leader, which cannot be asked, so every start is refused (the
// refusal names the permission needed), nothing is applied, and the
// instance is never caught up and stays standby. (Before the check ran at
// every start, starts at the sequence sought were taken unchecked, and
// before that the caught-up look-up's error was dropped: no active
// instance, and no sign of why.)
TEST_F(NatsE2ETest, AnInstanceThatCannotAskTheLeaderSaysSoAndStaysStandby) {
  ASSERT_NO_FATAL_FAILURE(Up(1, BlindUserServerConfig()));
  const std::string config = FeedThreeAndConfigBlind(*cluster_, client_.get());
  ASSERT_FALSE(HasFailure());
  DaemonHarness h(config);
  ASSERT_TRUE(h.Start());
  // Both the refusal's warning (it names the permission) and its count
  // (the metrics lag the log).
  const std::string refusal =
      "consumer riskd_blind reading from seq 1 delivered seq 1, but the leader did not say";
  const std::string permission =
      "may this NATS user publish to '$JS.API.STREAM.MSG.GET." + std::string(kStream) + "'?";
  ASSERT_TRUE(WaitFor(
      [&] {
        return h.log().find(refusal) != std::string::npos &&
               Metric(h, "riskd_stream_reads_refused_total") >= 1.0;
      },
      seconds(40)))
      << h.log();
  EXPECT_EQ(Metric(h, "riskd_lease_active"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_lease_acquisitions_total"), 0.0);
  EXPECT_EQ(Metric(h, "riskd_stream_read_seq"), 0.0);
  const std::string log = h.log();
  const auto line = log.find(refusal);
  ASSERT_NE(line, std::string::npos) << log;
  EXPECT_NE(log.substr(line, log.find('\n', line) - line).find(permission), std::string::npos)
      << log;
  EXPECT_EQ(log.find("caught up with stream"), std::string::npos) << log;
  EXPECT_EQ(h.Stop(), 0);
}

// The manual model clock on a stream: ticks and statuses published straight
// into the stream are timed by the follower in stream order (a status
// without occurred_at happens at the clock's time), a tick back in time is
// skipped, and the ingest endpoint's clock follows the stream's ticks.
TEST_F(NatsE2ETest, TicksInTheStreamMoveTheManualClock) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsTestClient* client = client_.get();
  DaemonHarness h(Config(*cluster_, "solo", 1, 0) + "clock { mode: MODE_MANUAL }\n");
  ASSERT_TRUE(h.Start());
  constexpr std::int64_t kDay = 86400LL * 1000000000LL;
  constexpr std::int64_t kT0 = 19800 * kDay;  // 2024-03-18T00:00Z
  const auto tick = [](const std::string& id, std::int64_t to_ns) {
    Envelope e;
    e.set_event_id(id);
    e.mutable_clock_tick()->mutable_advance_to()->set_seconds(to_ns / 1000000000);
    return e;
  };
  // No tick yet: the ingest endpoint refuses a status.
  auto ack = h.Send(Status("too-early", 0));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(ack->reason().find("send a clock_tick first"), std::string::npos) << ack->reason();

  ASSERT_TRUE(client->Publish(kSubject, tick("tick-1", kT0)));             // seq 1
  ASSERT_TRUE(client->Publish(kSubject, Status("direct-1", 0)));           // seq 2
  ASSERT_TRUE(client->Publish(kSubject, tick("tick-back", kT0 - kDay)));   // seq 3: skipped
  ASSERT_TRUE(client->Publish(kSubject, tick("tick-2", kT0 + 2 * kDay)));  // seq 4
  ASSERT_TRUE(WaitApplied(h, 4));
  // The ingest endpoint's clock has followed: a status is accepted now, at
  // the clock's time.
  ack = h.Send(Status("via-ingest", 1));
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  EXPECT_EQ(ack->journal_seq(), 5u);
  ASSERT_TRUE(WaitApplied(h, 5));
  EXPECT_NE(
      h.log().find(
          "seq 3: skipped, not an event riskd applies: invalid_argument: clock_tick.advance_to"),
      std::string::npos)
      << h.log();
  std::map<std::string, std::int64_t> occurred_at;
  {
    auto journal = connectors::Journal::Open(h.database());
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)
                    ->ForEach(0,
                              [&](std::uint64_t, const connectors::JournalEntry& e) {
                                Envelope env;
                                EXPECT_TRUE(env.ParseFromString(e.payload));
                                if (env.has_occurred_at()) {
                                  occurred_at[e.event_id] =
                                      env.occurred_at().seconds() * 1000000000LL;
                                }
                                return riskd::Status::Ok();
                              })
                    .ok());
  }
  EXPECT_EQ(occurred_at, (std::map<std::string, std::int64_t>{{"direct-1", kT0},
                                                              {"via-ingest", kT0 + 2 * kDay}}));
  auto snap = Snapshot(h);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->model_time().seconds() * 1000000000LL, kT0 + 2 * kDay);
  // A restart replays the mirror to the same clock and keeps following.
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  ack = h.Send(Status("after-restart", 2));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  ASSERT_TRUE(client->Publish(kSubject, tick("tick-back-again", kT0 + kDay)));  // skipped
  ASSERT_TRUE(client->Publish(kSubject, Status("direct-2", 3)));                // seq 8
  ASSERT_TRUE(WaitApplied(h, 8));
  EXPECT_EQ(Mirror(h).size(), 6u);
  EXPECT_EQ(h.Stop(), 0);
}

// Publishes events into the stream from its own thread, as a producer
// would: every event until the stream acknowledges it (retrying the same id
// through leader elections), every seventh through an instance's ingest
// endpoint instead (forwarded into the stream). Records what was
// acknowledged. No id is sent again once acknowledged: with Debian's
// nats-server 2.9.10 such repeats around the thaw's leader change made a
// replica drop an acknowledged message (nats-server#4365, fixed in 2.9.21;
// docs/operations.md "Known server defect"; 2 runs in 48 when every fifth
// event was repeated), a server fault this test cannot tell from riskd's.
// A repeat's answer is checked in TheStreamIsTheEventLogOfEveryProducer.
class Producer {
 public:
  Producer(NatsTestClient* client, std::vector<DaemonHarness*> instances)
      : client_(client), instances_(std::move(instances)), thread_([this] { Run(); }) {}
  ~Producer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t acked() const { return acked_count_.load(); }
  // event id -> stream sequence, for every acknowledged event.
  std::map<std::string, std::uint64_t> acks() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }
  // How an event was acknowledged, for a failure's message.
  std::string HowAcked(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = how_.find(id);
    return it == how_.end() ? "not acknowledged" : it->second;
  }

 private:
  void Record(const std::string& id, std::uint64_t seq, std::string how) {
    std::lock_guard<std::mutex> lock(mu_);
    if (acks_.emplace(id, seq).second) how_.emplace(id, std::move(how));  // the first
    acked_count_ = acks_.size();
  }
  void Run() {
    std::size_t via = 0;
    for (int i = 0; !stop_; ++i) {
      const Envelope e = Status("p-" + std::to_string(i), i);
      bool done = false;
      while (!done && !stop_) {
        if (i % 7 == 3) {
          DaemonHarness* h = instances_[via++ % instances_.size()];
          auto ack = h->SendBytes(e.SerializeAsString(), milliseconds(2000));
          if (ack &&
              (ack->result() == Ack::RESULT_ACCEPTED || ack->result() == Ack::RESULT_DUPLICATE)) {
            Record(e.event_id(), ack->journal_seq(),
                   std::string(h == instances_[0] ? "instance a" : "instance b") + " answered " +
                       Ack::Result_Name(ack->result()) + " at " +
                       std::to_string(ack->journal_seq()));
            done = true;
          }
        } else if (auto ack = client_->Publish(kSubject, e); ack && ack->seq > 0) {
          // (Some servers answer an id in flight "duplicate at 0": no
          // acknowledgement, retried.)
          Record(e.event_id(), ack->seq,
                 "the stream answered " + std::string(ack->duplicate ? "duplicate" : "stored") +
                     " at " + std::to_string(ack->seq));
          done = true;
        }
        if (!done) std::this_thread::sleep_for(milliseconds(50));
      }
      std::this_thread::sleep_for(milliseconds(15));
    }
  }

  NatsTestClient* client_;
  std::vector<DaemonHarness*> instances_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> acks_;
  std::map<std::string, std::string> how_;  // event id -> how it was acknowledged
  std::atomic<std::size_t> acked_count_{0};
  std::thread thread_;
};

TEST_F(NatsE2ETest, ActiveStandbySurvivesKilledInstancesKilledLeadersAndFrozenServers) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  NatsCluster* cluster = cluster_.get();
  NatsTestClient* client = client_.get();
  constexpr int kTtlMs = 2000;

  DaemonHarness a(Config(*cluster, "a", 3, kTtlMs));
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(WaitFor([&] { return client->LatestEpoch("a") > 0; }, seconds(30))) << a.log();
  DaemonHarness b(Config(*cluster, "b", 3, kTtlMs));
  ASSERT_TRUE(b.Start());
  Producer producer(client, {&a, &b});
  ASSERT_TRUE(WaitFor([&] { return producer.acked() >= 50; }, seconds(30)));

  // 1. kill -9 the active instance: the standby takes over.
  const std::uint64_t epoch_a = client->LatestEpoch("a");
  const auto killed_at = std::chrono::steady_clock::now();
  a.Kill();
  ASSERT_TRUE(WaitFor([&] { return client->FirstAbove("b", epoch_a).has_value(); }, seconds(30)))
      << b.log();
  const double failover_s =
      std::chrono::duration<double>(*client->FirstAbove("b", epoch_a) - killed_at).count();
  std::printf("failover after kill -9 of the active instance: %.2f s (lease ttl %.1f s)\n",
              failover_s, kTtlMs / 1000.0);
  ASSERT_TRUE(a.Start());  // back as the standby

  // 2. kill -9 the server leading the stream: the others elect a leader.
  auto leader_of = [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (!cluster->Running(i)) continue;
      const std::string leader = cluster->StreamLeader(kStream, i);
      if (!leader.empty()) return cluster->index(leader);
    }
    return -1;
  };
  int leader = leader_of();
  ASSERT_GE(leader, 0);
  std::size_t before = producer.acked();
  std::printf("kill -9 %s (stream leader) after %zu events\n", cluster->name(leader).c_str(),
              before);
  cluster->Kill(leader);
  EXPECT_TRUE(WaitFor([&] { return producer.acked() >= before + 30; }, seconds(40)))
      << "no progress after killing the stream leader " << cluster->name(leader);
  cluster->Restart(leader);
  ASSERT_TRUE(
      WaitFor([&] { return cluster->JetStreamReady(leader, milliseconds(500)); }, seconds(30)))
      << cluster->log(leader);

  // 3. SIGSTOP a server beyond the election timeout: the lease bucket's
  // leader (it elects anew while the active instance renews), or another
  // server that does not lead the stream. The others carry on; it rejoins
  // when continued. (Not the stream's leader: with nats-server 2.9.10 a
  // stream leader frozen while it takes publishes can come back with
  // replica contents the others do not hold, nats-server#4174; a consumer
  // led from it then delivers those, and no client can tell.)
  const int stream_leader = leader_of();
  ASSERT_GE(stream_leader, 0);
  leader = -1;
  for (int i = 0; i < cluster->size() && leader < 0; ++i) {
    const int lease_leader = cluster->index(cluster->StreamLeader("KV_riskd_lease", i));
    if (lease_leader >= 0 && lease_leader != stream_leader) leader = lease_leader;
  }
  if (leader < 0) leader = (stream_leader + 1) % cluster->size();
  before = producer.acked();
  const auto frozen_at = std::chrono::steady_clock::now();
  std::printf("SIGSTOP %s (not the stream leader %s) after %zu events\n",
              cluster->name(leader).c_str(), cluster->name(stream_leader).c_str(), before);
  cluster->Freeze(leader);
  EXPECT_TRUE(WaitFor([&] { return producer.acked() >= before + 30; }, seconds(40)))
      << "no progress while " << cluster->name(leader) << " was frozen";
  std::this_thread::sleep_until(frozen_at + seconds(8));
  cluster->Thaw(leader);
  before = producer.acked();
  // The thaw can cost the stream its leader for a while (seen: 30 events
  // took 11 s; the lease bucket once had no leader for 15 s, below).
  const auto thawed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return producer.acked() >= before + 30; }, seconds(60)));
  std::printf("30 more events acknowledged %.1f s after the thaw\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - thawed_at).count());
  producer.Stop();

  // Both instances read the stream to its end.
  const auto last = client->StreamLastSeq(kStream);
  ASSERT_TRUE(last);
  ASSERT_TRUE(WaitRead(a, *last)) << a.log();
  ASSERT_TRUE(WaitRead(b, *last)) << b.log();

  // Every acknowledged event is in the stream, and mirrored and applied
  // exactly once by each instance, at the first sequence that holds it:
  // JetStream may store a publish twice when it is retried across a leader
  // change (its de-duplication does not always survive one), and riskd
  // skips the later copy. (With nats-server before 2.9.21, Debian 12's
  // 2.9.10, a replica can drop an acknowledged message where an id is
  // published again around a leader change, nats-server#4365: then an
  // instance whose consumer that replica leads mirrors a history without
  // it, or, if that replica leads the stream, the event is not in it. The
  // producer above repeats no acknowledged id for that reason.)
  std::optional<std::vector<StreamRecord>> stream;
  ASSERT_TRUE(
      WaitFor([&] { return (stream = client->ReadStream(kStream)).has_value(); }, seconds(30)));
  ASSERT_EQ(stream->size(), *last);  // nothing deleted, nothing lost
  std::map<std::string, std::uint64_t> first_seq;
  std::map<std::uint64_t, const StreamRecord*> by_seq;
  std::vector<std::pair<std::uint64_t, std::string>> expected_rows;
  std::size_t stored_twice = 0;
  for (const auto& r : *stream) {
    by_seq[r.seq] = &r;
    auto [it, first] = first_seq.emplace(r.event_id, r.seq);
    if (first) {
      expected_rows.emplace_back(r.seq, r.event_id);
    } else {
      ++stored_twice;
      EXPECT_EQ(r.payload, by_seq[it->second]->payload)
          << "two different events with id " << r.event_id;
    }
  }
  const auto acks = producer.acks();
  EXPECT_GT(acks.size(), 100u);
  for (const auto& [id, seq] : acks) {
    ASSERT_TRUE(first_seq.count(id)) << [&] {
      // What the stream holds about there, and both instances' logs.
      std::string out = "acknowledged event " + id + " is not in the stream (" +
                        producer.HowAcked(id) + "); the stream around it:";
      for (const auto& r : *stream) {
        if (r.seq + 5 >= seq && r.seq <= seq + 5) {
          out += " " + std::to_string(r.seq) + ":" + r.event_id;
        }
      }
      return out + "\n--- a\n" + a.log() + "\n--- b\n" + b.log();
    }();
    ASSERT_TRUE(by_seq.count(seq)) << id << " acknowledged at " << seq;
    EXPECT_EQ(by_seq[seq]->event_id, id) << "acknowledged at " << seq;
  }
  std::printf(
      "%zu event(s) stored twice by the stream (a publish retried across a leader change)\n",
      stored_twice);
  for (DaemonHarness* h : {&a, &b}) {
    // On a mismatch, which rows differ (gtest shows only the first 32 of
    // each) and the instance's log.
    const auto mirror = Mirror(*h);
    EXPECT_EQ(mirror, expected_rows) << [&] {
      std::vector<std::pair<std::uint64_t, std::string>> missing, extra;
      std::set_difference(expected_rows.begin(), expected_rows.end(), mirror.begin(), mirror.end(),
                          std::back_inserter(missing));
      std::set_difference(mirror.begin(), mirror.end(), expected_rows.begin(), expected_rows.end(),
                          std::back_inserter(extra));
      std::string out = (h == &a ? "a" : "b") + std::string(" mirrors ") +
                        std::to_string(mirror.size()) + " rows; not mirrored:";
      for (const auto& [seq, id] : missing) out += " " + std::to_string(seq) + ":" + id;
      out += "; mirrored but not expected:";
      for (const auto& [seq, id] : extra) out += " " + std::to_string(seq) + ":" + id;
      return out + "\n" + h->log();
    }();
    // The metrics endpoint is refreshed every 100 ms.
    double applied = 0;
    EXPECT_TRUE(WaitFor(
        [&] {
          const auto ok = Metric(*h, "riskd_engine_events_applied_total");
          const auto failed = Metric(*h, "riskd_engine_events_not_applied_total");
          applied = ok && failed ? *ok + *failed : -1;
          return applied >= static_cast<double>(expected_rows.size());
        },
        seconds(5)));
    EXPECT_EQ(applied, static_cast<double>(expected_rows.size()));
    EXPECT_EQ(Snapshot(*h)->journal_seq(), expected_rows.back().first);
  }
  // One of them is active (its status says under which epoch) once the
  // lease bucket has a leader again. The frozen server's return can cost
  // the cluster its leaders for longer than the lease's ttl (seen: the
  // bucket without a leader for 15 s after the thaw, nats-server 2.9.10 on
  // a loaded 2-core machine), and while it has none no instance can take
  // the lease or keep it: both stand by, as they must.
  const auto lease_led = [&] {
    for (int i = 0; i < cluster->size(); ++i) {
      if (!cluster->StreamLeader("KV_riskd_lease", i).empty()) return true;
    }
    return false;
  };
  const auto asked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor(lease_led, seconds(120))) << "the lease bucket has no leader";
  std::printf("the lease bucket has a leader %.1f s after the checks above\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - asked_at).count());
  // From then a standby takes the lease within about ttl (the last
  // holder's key expires) plus acquire_interval, unless the cluster
  // elects again; the bound leaves room for that on a loaded machine.
  std::string seen;
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto sa = DaemonStatus(a), sb = DaemonStatus(b);
        seen = "a: " + (sa ? std::to_string(sa->epoch()) : std::string("no answer")) +
               ", b: " + (sb ? std::to_string(sb->epoch()) : std::string("no answer"));
        return sa && sb && (sa->epoch() > 0) != (sb->epoch() > 0);
      },
      seconds(30)))
      << "not exactly one instance active (epochs " << seen << ")\n--- a's log:\n"
      << a.log() << "\n--- b's log:\n"
      << b.log();
  // b stood by while a was active: it applied everything and sent nothing.
  const auto fenced = Metric(b, "riskd_publications_fenced_total");
  ASSERT_TRUE(fenced);
  EXPECT_GT(*fenced, 0);
  // Their states agree, and equal a single instance's replay of the stream.
  const std::string digest_a = Digest(*Snapshot(a));
  const std::string digest_b = Digest(*Snapshot(b));
  EXPECT_EQ(digest_a, digest_b);
  DaemonHarness replay(Config(*cluster, "replay", 3, 0));
  ASSERT_TRUE(replay.Start());
  ASSERT_TRUE(WaitRead(replay, *last)) << replay.log();
  EXPECT_EQ(Digest(*Snapshot(replay)), digest_b);
  EXPECT_GT(Snapshot(replay)->node_risks_size(), 0);

  // Fencing: every publication of a and b carries an epoch; no epoch was
  // used by two instances; in each instance's own order (its publication
  // sequence, one counter across its epochs and restarts) its epochs only
  // grow, and no sequence went out twice. The order publications arrive in
  // is not the order they were sent across a reconnect: what an instance
  // sent to a server just before that server was frozen reaches
  // subscribers when it resumes, after what the instance sent meanwhile
  // through another server, possibly under a newer epoch (seen: b's epoch 4
  // after its epoch 16). Subscribers drop a publication whose epoch is
  // older than one they have seen (docs/operations.md).
  std::map<std::uint64_t, std::set<std::string>> publishers_of;
  std::map<std::string, std::map<std::uint64_t, std::uint64_t>> epoch_of;  // by sequence
  std::map<std::string, std::uint64_t> latest_arrived;
  std::size_t counted = 0, arrived_late = 0;
  for (const auto& p : client->publications()) {
    const auto& pub = p.publication;
    if (pub.publisher() == "replay") continue;  // no lease: epoch 0
    ++counted;
    EXPECT_GT(pub.epoch(), 0u) << pub.publisher();
    publishers_of[pub.epoch()].insert(pub.publisher());
    EXPECT_TRUE(epoch_of[pub.publisher()].emplace(pub.sequence(), pub.epoch()).second)
        << pub.publisher() << " sent sequence " << pub.sequence() << " twice";
    auto& latest = latest_arrived[pub.publisher()];
    if (pub.epoch() < latest) ++arrived_late;
    latest = std::max(latest, pub.epoch());
  }
  for (const auto& [publisher, epochs] : epoch_of) {
    std::uint64_t prev_seq = 0, prev_epoch = 0;
    for (const auto& [seq, epoch] : epochs) {
      EXPECT_GE(epoch, prev_epoch)
          << publisher << " sent sequence " << seq << " under epoch " << epoch << " after sequence "
          << prev_seq << " under epoch " << prev_epoch;
      prev_seq = seq;
      prev_epoch = epoch;
    }
  }
  std::printf("%zu publication(s) arrived after one of a newer epoch of the same instance\n",
              arrived_late);
  EXPECT_GT(counted, 20u);
  EXPECT_GE(publishers_of.size(), 2u);  // a's term and b's at least
  std::printf("%zu events in the stream, %zu publications; epochs:", stream->size(), counted);
  for (const auto& [epoch, who] : publishers_of)
    std::printf(" %llu:%s", static_cast<unsigned long long>(epoch), who.begin()->c_str());
  std::printf("\n");
  for (const auto& [epoch, who] : publishers_of) {
    EXPECT_EQ(who.size(), 1u) << "epoch " << epoch << " used by " << who.size() << " instances";
  }
  // What the followers had to recover from, for the record.
  for (DaemonHarness* h : {&a, &b}) {
    std::istringstream log(h->log());
    for (std::string line; std::getline(log, line);) {
      if (line.find("stalled") != std::string::npos ||
          line.find("re-created") != std::string::npos ||
          line.find("skipped") != std::string::npos || line.find("mirror") != std::string::npos ||
          line.find("not taken") != std::string::npos ||
          line.find("no longer caught up") != std::string::npos) {
        std::printf("  %s\n", line.c_str());
      }
    }
  }
  EXPECT_EQ(replay.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  EXPECT_EQ(a.Stop(), 0);
}

// A stale leader: the active instance is frozen (SIGSTOP) beyond its lease,
// the standby takes over, and the frozen one resumes believing nothing
// happened. Its local deadline has passed, so it publishes nothing under
// its old epoch once resumed except what was already on its way out, and
// nothing ever under a newer one; it steps down when its renewal finds the
// new holder's key, and then stands by (fenced) while the other publishes.
TEST_F(NatsE2ETest, AFrozenActiveInstanceStepsDownAndNeverPublishesUnderANewerEpoch) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsTestClient* client = client_.get();
  constexpr int kTtlMs = 1000;
  DaemonHarness a(Config(*cluster_, "a", 1, kTtlMs));
  DaemonHarness b(Config(*cluster_, "b", 1, kTtlMs));
  ASSERT_NO_FATAL_FAILURE(StartActiveThenStandby(a, "a", b));
  Producer producer(client, {&b});
  ASSERT_TRUE(WaitFor([&] { return producer.acked() >= 20; }, seconds(30)));
  const std::uint64_t epoch_a = client->LatestEpoch("a");
  const double fenced_before = Metric(a, "riskd_publications_fenced_total").value_or(-1);

  ASSERT_EQ(::kill(a.pid(), SIGSTOP), 0);
  ASSERT_TRUE(WaitFor([&] { return client->FirstAbove("b", epoch_a).has_value(); }, seconds(30),
                      milliseconds(20)))
      << b.log();
  const std::uint64_t epoch_b = client->LatestEpoch("b");
  std::this_thread::sleep_for(milliseconds(500));  // b publishes meanwhile
  ASSERT_EQ(::kill(a.pid(), SIGCONT), 0);

  // a resumes, reads on, and is fenced: it stands by.
  EXPECT_TRUE(
      WaitFor([&] { return a.log().find("standing by") != std::string::npos; }, seconds(10)))
      << a.log();
  const std::size_t acked = producer.acked();
  ASSERT_TRUE(WaitFor([&] { return producer.acked() >= acked + 20; }, seconds(30)));
  producer.Stop();
  const auto last = client->StreamLastSeq(kStream);
  ASSERT_TRUE(last);
  ASSERT_TRUE(WaitRead(a, *last)) << a.log();
  EXPECT_TRUE(WaitFor(
      [&] { return Metric(a, "riskd_publications_fenced_total").value_or(-1) > fenced_before; },
      seconds(5)))
      << "a never tried to publish after it resumed";
  const auto status_a = DaemonStatus(a), status_b = DaemonStatus(b);
  ASSERT_TRUE(status_a && status_b);
  EXPECT_EQ(status_a->epoch(), 0u);
  EXPECT_EQ(status_b->epoch(), epoch_b);
  EXPECT_GT(epoch_b, epoch_a);

  // Every publication of a is under its own epoch; b's under a newer one.
  std::size_t from_a = 0, from_b = 0;
  for (const auto& p : client->publications()) {
    const auto& pub = p.publication;
    if (pub.publisher() == "a") {
      ++from_a;
      EXPECT_EQ(pub.epoch(), epoch_a) << "a published under epoch " << pub.epoch();
    } else {
      ++from_b;
      EXPECT_EQ(pub.publisher(), "b");
      EXPECT_EQ(pub.epoch(), epoch_b);
    }
  }
  EXPECT_GT(from_a, 0u);
  EXPECT_GT(from_b, 0u);
  // Their states agree all the same (a kept reading while standing by).
  ASSERT_TRUE(WaitRead(b, *last)) << b.log();
  EXPECT_EQ(Digest(*Snapshot(a)), Digest(*Snapshot(b)));
  EXPECT_EQ(b.Stop(), 0);
  EXPECT_EQ(a.Stop(), 0);
}

// The Alertmanager forwarder posts only while its instance publishes: an
// active instance frozen beyond its lease, which resumes as a standby,
// re-posts none of its open alerts and incidents (the new active instance
// posts its own; one it resolved must not keep firing), and forgets them
// when it publishes under a new epoch again.
TEST_F(NatsE2ETest, AnInstanceThatLostTheLeaseStopsPostingToAlertmanager) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsTestClient* client = client_.get();
  AlertmanagerPair pair(*cluster_);
  auto& [am_a, am_b, a, b] = pair;
  // Disruptions that raise alerts and open incidents, posted by a.
  ASSERT_NO_FATAL_FAILURE(StartWithAlerts(pair));
  auto posted_alerts = [](const HttpReceiver& r) {
    std::size_t n = 0;
    for (const auto& req : r.Requests()) n += req.body.find("alertname") != std::string::npos;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return posted_alerts(am_a) >= 2; }, seconds(30)))
      << "a never re-posted its open alerts\n"
      << a.log();
  EXPECT_EQ(posted_alerts(am_b), 0u) << "a standby posted";
  const std::uint64_t epoch_a = client->LatestEpoch("a");

  ASSERT_EQ(::kill(a.pid(), SIGSTOP), 0);
  ASSERT_TRUE(WaitFor([&] { return client->FirstAbove("b", epoch_a).has_value(); }, seconds(30),
                      milliseconds(20)))
      << b.log();
  ASSERT_EQ(::kill(a.pid(), SIGCONT), 0);
  ASSERT_TRUE(
      WaitFor([&] { return a.log().find("standing by") != std::string::npos; }, seconds(10)))
      << a.log();
  // b announced the open incidents: its forwarder posts them.
  EXPECT_TRUE(WaitFor([&] { return posted_alerts(am_b) > 0; }, seconds(10))) << b.log();

  // a, standing by, posts nothing more: not over three resend intervals.
  std::this_thread::sleep_for(milliseconds(500));
  const std::size_t posted_by_a = am_a.Requests().size();
  std::this_thread::sleep_for(milliseconds(3500));
  EXPECT_EQ(am_a.Requests().size(), posted_by_a) << "a re-posted its alerts as a standby";
  // Standing by, it keeps them (a lapse under the same epoch only pauses
  // it); publishing under a new epoch, it forgets its earlier term's.
  EXPECT_EQ(Metric(a, "riskd_alertmanager_forgotten_total").value_or(-1), 0) << a.log();
  const std::uint64_t epoch_b = client->LatestEpoch("b");
  EXPECT_EQ(b.Stop(), 0);  // releases the lease: a takes it
  EXPECT_TRUE(WaitFor([&] { return client->FirstAbove("a", epoch_b).has_value(); }, seconds(30)))
      << a.log();
  EXPECT_TRUE(WaitFor(
      [&] { return Metric(a, "riskd_alertmanager_forgotten_total").value_or(0) > 0; }, seconds(10)))
      << a.log();
  EXPECT_EQ(a.Stop(), 0);
}

// The node alerts of the Alertmanager requests `r` received, by the
// "node" label (ToAlertmanagerJson writes compact JSON).
std::set<std::string> PostedNodes(const HttpReceiver& r) {
  static const std::regex kNode("\"alertname\":\"RiskdNodeAtRisk\"[^}]*\"node\":\"([^\"]+)\"");
  std::set<std::string> nodes;
  for (const auto& req : r.Requests()) {
    for (std::sregex_iterator m(req.body.begin(), req.body.end(), kNode), end; m != end; ++m) {
      nodes.insert((*m)[1]);
    }
  }
  return nodes;
}

// A takeover: the new active instance announces the open node alerts after
// their incidents, so its Alertmanager forwarder posts them at once, with
// no change of theirs (the previous active's Alertmanager entries expire
// 4 resend intervals after its last post: an alert still open would
// otherwise lapse in Alertmanager until it changes).
TEST_F(NatsE2ETest, ANewActiveInstancePostsTheOpenNodeAlertsToAlertmanagerAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsTestClient* client = client_.get();
  AlertmanagerPair pair(*cluster_);
  auto& [am_a, am_b, a, b] = pair;
  ASSERT_NO_FATAL_FAILURE(StartWithAlerts(pair));
  // a posts its node alerts; b, standing by, nothing.
  ASSERT_TRUE(WaitFor([&] { return PostedNodes(am_a).size() >= 2; }, seconds(30))) << a.log();
  const auto last = client->StreamLastSeq(kStream);
  ASSERT_TRUE(last);
  ASSERT_TRUE(WaitRead(b, *last)) << b.log();
  EXPECT_TRUE(PostedNodes(am_b).empty()) << "a standby posted";
  // The open alerts b holds (as a does: no event follows).
  const auto snap = Snapshot(b);
  ASSERT_TRUE(snap);
  std::set<std::string> open_nodes;
  for (const auto& alert : snap->open_alerts()) open_nodes.insert(alert.node_id());
  ASSERT_FALSE(open_nodes.empty());

  EXPECT_EQ(a.Stop(), 0);  // releases the lease: b takes it
  ASSERT_TRUE(WaitFor([&] { return client->LatestEpoch("b") > 0; }, seconds(30))) << b.log();
  EXPECT_TRUE(WaitFor([&] { return PostedNodes(am_b) == open_nodes; }, seconds(10)))
      << "b posted node alerts of " << PostedNodes(am_b).size() << " of the " << open_nodes.size()
      << " node(s) with open alerts\n"
      << b.log();
  EXPECT_EQ(b.Stop(), 0);
}

// A new term whose open incidents cannot be read from the state store (its
// table out of the way, as an operator's sqlite3 could) is not announced
// for a bounded time (5 s), then published without them: an active
// instance never holds the lease without publishing, which would keep the
// standby out too. Until then its status's epoch is 0 (it publishes under
// none), although it holds the lease.
TEST_F(NatsE2ETest, ANewTermWhoseIncidentsCannotBeReadIsPublishedWithoutThemAfterABoundedWait) {
  ASSERT_NO_FATAL_FAILURE(Up(1));
  NatsTestClient* client = client_.get();
  constexpr int kTtlMs = 1000;
  DaemonHarness b(Config(*cluster_, "b", 1, kTtlMs));
  DaemonHarness a(Config(*cluster_, "a", 1, kTtlMs));
  ASSERT_NO_FATAL_FAILURE(StartActiveThenStandby(b, "b", a));
  const std::string sqlite =
      "sqlite3 -cmd '.timeout 10000' " + connectors::StateStore::PathFor(a.database()) + " ";
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents RENAME TO incidents_away'").c_str()), 0);
  EXPECT_EQ(b.Stop(), 0);  // releases the lease: a takes it
  ASSERT_TRUE(
      WaitFor([&] { return a.log().find("acquired: active") != std::string::npos; }, seconds(30)))
      << a.log();
  // Granted, not announced: its status says it publishes under no epoch,
  // unless the bounded wait had ended when it answered (then its log says
  // so, at once or a moment later).
  const auto waiting = DaemonStatus(a);
  ASSERT_TRUE(waiting);
  if (waiting->epoch() != 0) {
    EXPECT_TRUE(
        WaitFor([&] { return a.log().find("publishing without announcing") != std::string::npos; },
                seconds(5)))
        << "status says epoch " << waiting->epoch() << " before the bounded wait ended\n"
        << a.log();
  }
  EXPECT_TRUE(WaitFor([&] { return client->LatestEpoch("a") > 0; }, seconds(30)))
      << "a holds the lease and publishes nothing\n"
      << a.log();
  const std::string log = a.log();
  EXPECT_NE(log.find("incidents not announced yet"), std::string::npos) << log;
  EXPECT_NE(log.find("publishing without announcing the open incidents"), std::string::npos) << log;
  EXPECT_TRUE(WaitFor(
      [&] { return Metric(a, "riskd_announcements_without_incidents_total").value_or(0) >= 1; },
      seconds(5)));
  const auto publishing = DaemonStatus(a);
  ASSERT_TRUE(publishing);
  EXPECT_EQ(publishing->epoch(), client->LatestEpoch("a"));
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents_away RENAME TO incidents'").c_str()), 0);
  EXPECT_EQ(a.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
