// End-to-end tests: the real riskd binary, real ZeroMQ sockets (ipc://), a
// real SQLite file.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "connectors/codec/output_codec.h"
#include "connectors/importers/importer.h"
#include "connectors/store/journal.h"
#include "daemon/settings.h"
#include "engine/engine.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

std::string DemoNetworkConfig() {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
         "edges.csv\" } }\n"
         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 }\n"
         "risk_types { name: \"data\" alpha: 1.2 beta: 0.5 layers: LAYER_DATA direction: "
         "DIRECTION_BOTH }\n";
}

Envelope Disrupt(const std::string& id, const std::string& node, double severity = 1.0) {
  Envelope e;
  e.set_event_id(id);
  e.set_source("e2e");
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(severity);
  d->add_node_ids(node);
  return e;
}

// The engine the daemon runs, built directly from the same config.
std::unique_ptr<engine::Engine> DirectEngine(const DaemonHarness& h) {
  auto settings = daemon::LoadSettings(h.config_path());
  EXPECT_TRUE(settings.ok()) << settings.status().ToString();
  auto net = connectors::ImportNetwork(settings->config.network(), settings->config_dir);
  EXPECT_TRUE(net.ok()) << net.status().ToString();
  auto engine = engine::Engine::Create(settings->engine, std::move(*net));
  EXPECT_TRUE(engine.ok());
  return std::move(*engine);
}

TEST(DaemonE2ETest, DisruptionAtASupplierAlertsItsCustomerWithTheEngineProbability) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "alert.");

  auto ack = h.Send(Disrupt("quake-1", "FAB-KUM"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  EXPECT_EQ(ack->journal_seq(), 1u);

  // Expected: the engine computed directly on the same network and config.
  auto direct = DirectEngine(h);
  const engine::NodeIndex src = *direct->network().Find("FAB-KUM");
  ASSERT_TRUE(direct->Disrupt(0, {&src, 1}, 1.0).ok());
  direct->Project(1);
  const auto& state = direct->risk_state(0);
  std::map<std::string, double> expected;
  for (const auto& c : state.last_changes())
    expected[direct->network().node(c.node).id] = c.probability;
  ASSERT_TRUE(expected.count("ECU-NGO"));  // FAB-KUM's direct customer

  std::map<std::string, riskd::v1::Alert> got;
  std::uint64_t last_seq = 0;
  while (got.size() < expected.size()) {
    auto msg = sub.Next(std::chrono::seconds(10));
    ASSERT_TRUE(msg) << "only " << got.size() << " of " << expected.size() << " alerts arrived";
    const auto& a = msg->second.alert();
    EXPECT_GT(msg->second.sequence(), last_seq);  // strictly increasing
    last_seq = msg->second.sequence();
    got[a.node_id()] = a;
    EXPECT_EQ(
        msg->first,
        "alert." +
            std::string(a.severity() == riskd::v1::SEVERITY_CRITICAL ? "critical" : "warning") +
            ".supply." + a.node_id());
  }
  for (const auto& [node, p] : expected) {
    ASSERT_TRUE(got.count(node)) << node;
    EXPECT_DOUBLE_EQ(got[node].probability(), p) << node;
    EXPECT_EQ(got[node].lifecycle(), riskd::v1::Alert::LIFECYCLE_RAISED);
  }
  const auto& ecu = got["ECU-NGO"];
  EXPECT_EQ(ecu.risk_type(), "supply");
  EXPECT_EQ(ecu.alert_id(), "supply/ECU-NGO/1");
  ASSERT_GE(ecu.cause_path_size(), 2);
  EXPECT_EQ(ecu.cause_path(0), "FAB-KUM");
  EXPECT_EQ(ecu.cause_path(ecu.cause_path_size() - 1), "ECU-NGO");
  EXPECT_EQ(ecu.journal_seq(), 1u);
  // The observed source is alerted on its own evidence (certain: P = 1).
  ASSERT_TRUE(got.count("FAB-KUM"));
  EXPECT_EQ(got["FAB-KUM"].severity(), riskd::v1::SEVERITY_CRITICAL);
  EXPECT_EQ(got["FAB-KUM"].probability(), 1.0);
  ASSERT_EQ(got["FAB-KUM"].cause_path_size(), 1);
  EXPECT_EQ(got["FAB-KUM"].cause_path(0), "FAB-KUM");
  EXPECT_EQ(h.Stop(), 0);
}

TEST(DaemonE2ETest, BadInputIsRejectedWithAReasonAndTheDaemonKeepsServing) {
  DaemonHarness h(DemoNetworkConfig() + "ingest { max_message_bytes: 4096 }\n");
  ASSERT_TRUE(h.Start());

  auto garbage = h.SendBytes(std::string("\xff\xfe\x00garbage\x01", 11));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(garbage->reason().find("cannot parse"), std::string::npos) << garbage->reason();

  // A valid protobuf of another message type.
  riskd::v1::Alert alert;
  alert.set_alert_id("not-an-envelope");
  alert.set_probability(0.5);
  alert.set_horizon_steps(30);
  auto wrong = h.SendBytes(alert.SerializeAsString());
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->result(), Ack::RESULT_REJECTED);
  EXPECT_FALSE(wrong->reason().empty());

  auto unknown = h.Send(Disrupt("bad-node", "NO-SUCH-NODE"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(unknown->reason(),
            "not_found: disruption.node_ids[0]: node 'NO-SUCH-NODE' is not in the network");

  auto nan = h.Send(Disrupt("nan", "FAB-KUM", std::nan("")));
  ASSERT_TRUE(nan);
  EXPECT_EQ(nan->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(nan->reason().find("severity"), std::string::npos);

  Envelope negative;
  negative.set_event_id("neg-weight");
  auto* edge = negative.mutable_network_change()->mutable_add_edge();
  edge->set_from("FAB-KUM");
  edge->set_to("OEM-TOY");
  edge->set_weight(-3);
  auto neg = h.Send(negative);
  ASSERT_TRUE(neg);
  EXPECT_EQ(neg->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(neg->reason().find("weight"), std::string::npos);

  auto huge = h.SendBytes(std::string(8000, 'x'));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(huge->reason().find("max_message_bytes"), std::string::npos) << huge->reason();

  // Invalid UTF-8 in a string field: the reason says so, and the daemon's
  // log is not flooded by libprotobuf.
  Envelope utf8 = Disrupt("x", "FAB-KUM");
  std::string bytes = utf8.SerializeAsString();
  bytes[bytes.find('x')] = '\xff';
  auto bad_utf8 = h.SendBytes(bytes);
  ASSERT_TRUE(bad_utf8);
  EXPECT_EQ(bad_utf8->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(bad_utf8->reason().find("invalid UTF-8"), std::string::npos) << bad_utf8->reason();
  EXPECT_EQ(h.log().find("libprotobuf ERROR"), std::string::npos) << h.log();

  auto empty = h.SendBytes("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->result(), Ack::RESULT_REJECTED);

  // Still serving, and nothing rejected reached the journal.
  auto ok = h.Send(Disrupt("good-1", "FAB-KUM"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result(), Ack::RESULT_ACCEPTED) << ok->reason();
  EXPECT_EQ(ok->journal_seq(), 1u);
  auto dup = h.Send(Disrupt("good-1", "FAB-KUM"));
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(dup->journal_seq(), 1u);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(DaemonE2ETest, KillNineThenRestartRestoresEveryAcknowledgedEvent) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disrupt("k-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  Envelope immunize;
  immunize.set_event_id("k-2");
  immunize.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  immunize.mutable_intervention()->add_node_ids("COK-CHI");
  ASSERT_EQ(h.Send(immunize)->result(), Ack::RESULT_ACCEPTED);
  Envelope add;
  add.set_event_id("k-3");
  add.mutable_network_change()->mutable_add_node()->set_id("NEW-1");
  ASSERT_EQ(h.Send(add)->result(), Ack::RESULT_ACCEPTED);
  Envelope link;
  link.set_event_id("k-4");
  auto* e = link.mutable_network_change()->mutable_add_edge();
  e->set_from("ECU-NGO");
  e->set_to("NEW-1");
  e->set_weight(10);
  ASSERT_EQ(h.Send(link)->result(), Ack::RESULT_ACCEPTED);

  Envelope snap_q;
  snap_q.set_event_id("snap");
  snap_q.mutable_query()->mutable_snapshot();
  auto before = h.Send(snap_q);
  ASSERT_TRUE(before && before->result() == Ack::RESULT_ACCEPTED)
      << (before ? before->reason() : "");
  h.Kill();

  ASSERT_TRUE(h.Start());
  auto after = h.Send(snap_q);
  ASSERT_TRUE(after && after->result() == Ack::RESULT_ACCEPTED);
  const auto& b = before->response().snapshot();
  const auto& a = after->response().snapshot();
  EXPECT_EQ(a.journal_seq(), 4u);
  ASSERT_EQ(a.node_risks_size(), b.node_risks_size());
  for (int i = 0; i < a.node_risks_size(); ++i) {
    EXPECT_EQ(a.node_risks(i).node_id(), b.node_risks(i).node_id());
    EXPECT_EQ(a.node_risks(i).observed_state(), b.node_risks(i).observed_state());
    EXPECT_DOUBLE_EQ(a.node_risks(i).probability(), b.node_risks(i).probability());
  }
  std::set<std::string> open_before, open_after;
  for (const auto& x : b.open_alerts()) open_before.insert(x.alert_id());
  for (const auto& x : a.open_alerts()) open_after.insert(x.alert_id());
  EXPECT_EQ(open_before, open_after);
  EXPECT_TRUE(open_after.count("supply/NEW-1/4")) << "the node added by event k-3 is at risk";
  // Idempotent retries survive the restart; new events continue the sequence.
  EXPECT_EQ(h.Send(add)->result(), Ack::RESULT_DUPLICATE);
  auto next = h.Send(Disrupt("k-5", "MAG-BAO"));
  EXPECT_EQ(next->journal_seq(), 5u);
  EXPECT_EQ(h.Stop(), 0);

  auto journal = connectors::Journal::Open(h.database());
  ASSERT_TRUE(journal.ok());
  auto report = (*journal)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->rows, 5u);
}

// Over TCP the daemon binds ports the kernel picks, at each start anew: a
// restart is reached at the ports of its own ready line, not the first
// start's (the log spans both; those ports are closed by then).
TEST(DaemonE2ETest, ARestartOverTcpIsReachedAtItsNewPorts) {
  DaemonHarness h(DemoNetworkConfig(), DaemonHarness::Transport::kTcpLoopback);
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disrupt("t-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
  h.set_start_timeout(std::chrono::seconds(20));
  ASSERT_TRUE(h.Start()) << h.log();
  const auto ack = h.Send(Disrupt("t-2", "RES-RAY"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->journal_seq(), 2u);
  const std::string text = h.log();
  EXPECT_EQ(text.rfind("riskd ready: ingest " + h.ingest() + " "),
            text.rfind("riskd ready: ingest "))
      << "not the last start's endpoint " << h.ingest() << ":\n"
      << text;
  EXPECT_EQ(h.Stop(), 0);
}

TEST(DaemonE2ETest, QueriesSeeEveryEventAcknowledgedBeforeThem) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Disrupt("q-1", "CEL-OCH"))->result(), Ack::RESULT_ACCEPTED);
  Envelope q;
  q.set_event_id("q-node");
  q.mutable_query()->mutable_node_risk()->add_node_ids("PCK-WRO");
  q.mutable_query()->mutable_node_risk()->set_risk_type("supply");
  auto ack = h.Send(q);
  ASSERT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED) << (ack ? ack->reason() : "");
  ASSERT_EQ(ack->response().node_risks_size(), 1);
  EXPECT_GT(ack->response().node_risks(0).probability(), 0.3);
  EXPECT_EQ(ack->response().node_risks(0).observed_state(), riskd::v1::NODE_STATE_SUSCEPTIBLE);
  Envelope bad;
  bad.set_event_id("q-bad");
  bad.mutable_query()->mutable_node_risk()->add_node_ids("NOPE");
  EXPECT_EQ(h.Send(bad)->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(h.Stop(), 0);
}

Envelope PlanQuery(const std::string& id, int k, const std::string& risk_type = "") {
  Envelope q;
  q.set_event_id(id);
  q.mutable_query()->mutable_plan()->set_k(k);
  q.mutable_query()->mutable_plan()->set_risk_type(risk_type);
  return q;
}

// Every target distinct, averting something, explained; never a source.
void ExpectUsefulTargets(const riskd::v1::ImmunizationPlan& plan) {
  std::set<std::string> nodes;
  double averted = 0;
  for (const auto& t : plan.targets()) {
    EXPECT_GT(t.expected_averted(), 0.0) << t.node_id();
    EXPECT_FALSE(t.reason().empty()) << t.node_id();
    // Disrupted for certain: nothing to protect.
    EXPECT_TRUE(t.node_id() != "FAB-KUM" && t.node_id() != "RES-RAY") << t.node_id();
    EXPECT_TRUE(nodes.insert(t.node_id()).second) << t.node_id();
    averted += t.expected_averted();
  }
  EXPECT_NEAR(plan.expected_disrupted_before() - plan.expected_disrupted_after(), averted, 1e-9);
  EXPECT_EQ(plan.strategy().rfind("state_aware/", 0), 0u) << plan.strategy();
}

TEST(DaemonE2ETest, PublishesAnImmunizationPlanAfterADisruptionAndAnswersPlanQueries) {
  DaemonHarness h(DemoNetworkConfig() +
                  "planner { k: 2 min_interval { seconds: 0 } realizations: 400 }\n");
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "immunization.");
  // Two suppliers whose customers (CHP-SND, ECU-NGO; PLS-BKK) lead to the
  // rest of the chain.
  Envelope event = Disrupt("plan-1", "FAB-KUM");
  event.mutable_disruption()->add_node_ids("RES-RAY");
  ASSERT_EQ(h.Send(event)->result(), Ack::RESULT_ACCEPTED);

  auto msg = sub.Next(std::chrono::seconds(10));
  ASSERT_TRUE(msg) << "no plan published after the disruption";
  EXPECT_EQ(msg->first, "immunization.supply");
  const auto& published = msg->second.immunization_plan();
  EXPECT_EQ(published.risk_type(), "supply");
  EXPECT_EQ(published.k(), 2);
  EXPECT_EQ(published.targets_size(), 2);
  EXPECT_EQ(published.journal_seq(), 1u);
  EXPECT_GE(published.expected_disrupted_before(), 2.0);  // the sources count
  ExpectUsefulTargets(published);

  // A plan for another k, computed on demand (default risk type).
  auto answer = h.Send(PlanQuery("plan-q", 3));
  ASSERT_TRUE(answer && answer->result() == Ack::RESULT_ACCEPTED)
      << (answer ? answer->reason() : "no answer");
  const auto& plan = answer->response().plan();
  EXPECT_EQ(plan.k(), 3);
  EXPECT_EQ(plan.targets_size(), 3);
  ExpectUsefulTargets(plan);
  // Same state and seed: the same sampled outbreaks.
  EXPECT_DOUBLE_EQ(plan.expected_disrupted_before(), published.expected_disrupted_before());
  EXPECT_LT(plan.expected_disrupted_after(), published.expected_disrupted_after());

  // Late joiners get the published plan in the snapshot.
  Envelope snap;
  snap.set_event_id("plan-snap");
  snap.mutable_query()->mutable_snapshot();
  auto snapshot = h.Send(snap);
  ASSERT_TRUE(snapshot && snapshot->result() == Ack::RESULT_ACCEPTED);
  ASSERT_EQ(snapshot->response().snapshot().plans_size(), 1);
  EXPECT_EQ(snapshot->response().snapshot().plans(0).targets_size(), 2);

  EXPECT_EQ(h.Send(PlanQuery("plan-k0", 0))->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(h.Send(PlanQuery("plan-k-big", 101))->result(), Ack::RESULT_REJECTED);
  auto unknown = h.Send(PlanQuery("plan-rt", 2, "nope"));
  EXPECT_EQ(unknown->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(unknown->reason().find("unknown risk type"), std::string::npos) << unknown->reason();
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// Frames in, Acks out on one DEALER.
std::vector<Ack> Exchange(zmq::socket_t& dealer, std::size_t replies) {
  std::vector<Ack> out;
  while (out.size() < replies) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::seconds(10)) <= 0) break;
    zmq::message_t reply;
    (void)dealer.recv(reply, zmq::recv_flags::none);
    EXPECT_FALSE(reply.more()) << "an Ack is one frame";
    Ack ack;
    EXPECT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    out.push_back(ack);
  }
  return out;
}

TEST(DaemonE2ETest, OversizedAndMultiFrameMessagesAreAnsweredAndEarlierAcksKept) {
  DaemonHarness h(DemoNetworkConfig() +
                  "ingest { max_message_bytes: 4096 }\n"
                  "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  // An event, a message over max_message_bytes (but under the transport
  // limit), a two-frame message, and another event, back to back.
  dealer.send(zmq::buffer(Disrupt("fr-1", "FAB-KUM").SerializeAsString()), zmq::send_flags::none);
  dealer.send(zmq::buffer(std::string(20000, 'x')), zmq::send_flags::none);
  dealer.send(zmq::buffer(Disrupt("fr-2", "RES-RAY").SerializeAsString()),
              zmq::send_flags::sndmore);
  dealer.send(zmq::buffer(std::string("trailer")), zmq::send_flags::none);
  dealer.send(zmq::buffer(Disrupt("fr-3", "MAG-BAO").SerializeAsString()), zmq::send_flags::none);
  auto acks = Exchange(dealer, 4);
  ASSERT_EQ(acks.size(), 4u);
  EXPECT_EQ(acks[0].event_id(), "fr-1");
  EXPECT_EQ(acks[0].result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(acks[1].result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(acks[1].reason(),
            "resource_exhausted: envelope of 20000 bytes exceeds ingest.max_message_bytes (4096)");
  EXPECT_EQ(acks[2].result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(acks[2].reason(), "invalid_argument: an Envelope is one frame; the message had 2");
  EXPECT_EQ(acks[3].event_id(), "fr-3");
  EXPECT_EQ(acks[3].result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(acks[3].journal_seq(), 2u);  // fr-2 was never journaled

  // Past the transport limit (4096 + 64 KiB here) libzmq closes the
  // connection: counted and logged, and the daemon keeps serving.
  zmq::socket_t hostile(h.context(), zmq::socket_type::dealer);
  hostile.set(zmq::sockopt::linger, 0);
  hostile.connect(h.ingest());
  hostile.send(zmq::buffer(std::string(200000, 'x')), zmq::send_flags::none);
  std::optional<double> disconnects;
  for (int i = 0; i < 100 && disconnects.value_or(0) < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    disconnects = h.Metric("riskd_ingest_disconnects_total");
  }
  EXPECT_GE(disconnects.value_or(0), 1) << h.log();
  EXPECT_NE(h.log().find("a message over 69632 bytes also closes it"), std::string::npos)
      << h.log();
  EXPECT_EQ(h.Send(Disrupt("fr-4", "STL-DUI"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

TEST(DaemonE2ETest, IdsFromProducersCannotForgeLogLines) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  // An id with control characters is refused, and the refusal logs nothing
  // raw of it.
  Envelope e;
  e.set_event_id("evil\n[2026-01-01 00:00:00.000] [critical] forged\x1b[2J");
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  e.mutable_disruption()->set_severity(1.0);
  e.mutable_disruption()->mutable_place()->set_region("JP");
  auto ack = h.Send(e);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(ack->reason(),
            "invalid_argument: event_id: contains a control character (0x0a at byte 4)");
  // Printable ids that look like a log line are logged quoted, on one line.
  e.set_event_id("evil [2026-01-01 00:00:00.000] [critical] forged");
  ack = h.Send(e);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  EXPECT_EQ(h.Stop(), 0);
  const std::string log = h.log();
  EXPECT_NE(log.find("(evil [2026-01-01 00:00:00.000] [critical] forged): disruption place"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("\n[2026-01-01 00:00:00.000] [critical] forged"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// What a late-joining dashboard keeps (the ZeroMQ guide's Clone pattern):
// the snapshot, then every publication with a larger sequence.
struct CloneReplica {
  std::uint64_t sequence = 0;
  std::map<std::string, std::string> alerts;     // open, by id: the Alert's bytes
  std::map<std::string, std::string> summaries;  // by risk type
  std::map<std::string, std::string> plans;      // by risk type
  std::map<std::string, std::string> incidents;  // by incident id

  void Apply(const riskd::v1::Snapshot& s) {
    sequence = s.sequence();
    for (const auto& a : s.open_alerts()) alerts[a.alert_id()] = a.SerializeAsString();
    for (const auto& i : s.incidents()) incidents[i.incident_id()] = i.SerializeAsString();
    for (const auto& p : s.projections()) summaries[p.risk_type()] = p.SerializeAsString();
    for (const auto& p : s.plans()) plans[p.risk_type()] = p.SerializeAsString();
  }
  // False on a gap: the replica would need a new snapshot.
  bool Apply(const riskd::v1::Publication& pub) {
    if (pub.sequence() <= sequence) return true;  // already in the snapshot
    if (pub.sequence() != sequence + 1) return false;
    sequence = pub.sequence();
    if (pub.has_alert()) {
      if (pub.alert().lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
        alerts.erase(pub.alert().alert_id());
      } else {
        alerts[pub.alert().alert_id()] = pub.alert().SerializeAsString();
      }
    } else if (pub.has_projection_summary()) {
      summaries[pub.projection_summary().risk_type()] =
          pub.projection_summary().SerializeAsString();
    } else if (pub.has_immunization_plan()) {
      plans[pub.immunization_plan().risk_type()] = pub.immunization_plan().SerializeAsString();
    } else if (pub.has_incident()) {
      // An incident replaces its previous version and closes the alerts it
      // resolved in bulk (docs/protocol.md, "Incidents").
      incidents[pub.incident().incident_id()] = pub.incident().SerializeAsString();
      for (const auto& id : pub.incident().resolved_alert_ids()) alerts.erase(id);
    }
    return true;
  }
};

TEST(DaemonE2ETest, ALateJoinerAppliesTheSnapshotThenTheStreamAndHoldsTheDaemonsState) {
  DaemonHarness h(DemoNetworkConfig() +
                  "planner { k: 2 min_interval { seconds: 0 } realizations: 200 }\n");
  ASSERT_TRUE(h.Start());
  const auto& nodes = DemoNodes();
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < 60; ++i) {
      Envelope e;
      e.set_event_id("clone-" + std::to_string(i));
      auto* s = e.mutable_supplier_status();
      s->set_node_id(nodes[static_cast<std::size_t>(i * 3) % nodes.size()]);
      if (i % 4 == 3) {
        s->set_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
      } else {
        s->set_state(riskd::v1::NODE_STATE_DISRUPTED);
        s->set_severity(0.5 + 0.005 * i);
      }
      auto ack = h.Send(e);
      EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED) << (ack ? ack->reason() : "no ack");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    done = true;
  });
  // Join mid-stream: subscribe first, then ask for the snapshot.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Subscriber sub(h.context(), h.publish());
  Envelope q;
  q.set_event_id("clone-snapshot");
  q.mutable_query()->mutable_snapshot();
  auto first = h.Send(q);
  ASSERT_TRUE(first && first->result() == Ack::RESULT_ACCEPTED);
  CloneReplica replica;
  replica.Apply(first->response().snapshot());
  EXPECT_GT(replica.sequence, 0u) << "joined before anything was published";
  std::size_t applied = 0;
  while (true) {
    auto msg = sub.Next(std::chrono::milliseconds(1500));
    if (!msg) {
      if (done) break;
      continue;
    }
    ASSERT_TRUE(replica.Apply(msg->second)) << "gap before sequence " << msg->second.sequence();
    ++applied;
  }
  producer.join();
  EXPECT_GT(applied, 0u);
  // The daemon's own view now, with nothing in flight.
  auto last = h.Send(q);
  ASSERT_TRUE(last && last->result() == Ack::RESULT_ACCEPTED);
  const auto& s = last->response().snapshot();
  EXPECT_EQ(replica.sequence, s.sequence());
  CloneReplica truth;
  truth.Apply(s);
  EXPECT_EQ(replica.alerts, truth.alerts);
  EXPECT_EQ(replica.summaries, truth.summaries);
  EXPECT_EQ(replica.plans, truth.plans);
  EXPECT_EQ(replica.incidents, truth.incidents);
  EXPECT_FALSE(truth.alerts.empty());
  EXPECT_FALSE(truth.incidents.empty());
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// The spectral radius waits while events do (engine_worker.h
// RefreshSpectral): whatever a burst's rounds postponed, every summary says
// which state its radius holds for, and once the queue is idle the last
// summary carries the radius of the final state, the one a restarted daemon
// computes from scratch.
TEST(DaemonE2ETest, ASummaryNamesTheStateOfItsSpectralRadiusAndTheLastOneIsCurrent) {
  DaemonHarness h(DemoNetworkConfig());
  ASSERT_TRUE(h.Start());
  // "data" spreads both ways over the data links between OEM-TOY, ECU-NGO
  // and OEM-LEI: a transmission operator with cycles (on the material
  // layer, a DAG, every radius is 0).
  Subscriber sub(h.context(), h.publish(), connectors::SummaryTopic("data"));
  // Back to back, so that events wait while rounds project: statuses that
  // disrupt and recover suppliers (every recovery changes the set of
  // removed nodes, so the radius goes stale every round).
  const std::vector<std::string> nodes = {"FAB-KUM", "RES-RAY", "OEM-TOY", "MAG-BAO", "CEL-OCH",
                                          "CHP-SND", "PLS-BKK", "OEM-LEI", "BRG-SWF", "ECU-NGO"};
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  constexpr int kEvents = 400;
  for (int i = 0; i < kEvents; ++i) {
    Envelope e;
    e.set_event_id("burst-" + std::to_string(i));
    auto* s = e.mutable_supplier_status();
    s->set_node_id(nodes[static_cast<std::size_t>(i) % nodes.size()]);
    s->set_risk_type("data");
    // Ending disrupted: a recovered node no longer takes part, and with
    // the three linked ones recovered the radius would be 0.
    s->set_state((i / 10) % 2 == 1 ? riskd::v1::NODE_STATE_DISRUPTED
                                   : riskd::v1::NODE_STATE_RECOVERED);
    dealer.send(zmq::buffer(e.SerializeAsString()), zmq::send_flags::none);
  }
  const std::vector<Ack> acks = Exchange(dealer, kEvents);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kEvents));
  std::uint64_t last_seq = 0;
  for (const Ack& a : acks) {
    ASSERT_EQ(a.result(), Ack::RESULT_ACCEPTED) << a.reason();
    last_seq = std::max(last_seq, a.journal_seq());
  }
  std::optional<riskd::v1::ProjectionSummary> current;
  while (!current) {
    auto msg = sub.Next(std::chrono::seconds(20));
    ASSERT_TRUE(msg) << "no summary of journal seq " << last_seq << " with its radius\n" << h.log();
    const auto& s = msg->second.projection_summary();
    // 0 (the base network's state) when the first rounds postponed it.
    EXPECT_LE(s.spectral_radius_journal_seq(), s.journal_seq());
    if (s.journal_seq() == last_seq && s.spectral_radius_journal_seq() == last_seq) current = s;
  }
  EXPECT_GT(current->spectral_radius(), 0);
  ASSERT_EQ(h.Stop(), 0);

  ASSERT_TRUE(h.Start());
  bool accepted = false;
  const riskd::v1::Snapshot snap = QuerySnapshot(h, &accepted);
  ASSERT_TRUE(accepted);
  bool found = false;
  for (const auto& p : snap.projections()) {
    if (p.risk_type() != "data") continue;
    found = true;
    EXPECT_EQ(p.journal_seq(), last_seq);
    EXPECT_EQ(p.spectral_radius_journal_seq(), last_seq);
    EXPECT_DOUBLE_EQ(p.spectral_radius(), current->spectral_radius());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
