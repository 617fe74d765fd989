// Publish first, refine after, end to end (docs/protocol.md "Publish first,
// refine after"): the real riskd with projection.defer_check publishes an
// event's alerts at once, served by DMP and marked unchecked, then refines
// them in slices; once refined its state is the state of a riskd that
// checks before publishing, given the same events, and nothing more is
// published.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "connectors/codec/output_codec.h"
#include "engine/testing/generators.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;
using riskd::v1::Publication;

constexpr std::int64_t kT0 = 1'767'225'600LL * 1'000'000'000LL;  // 2026-01-01T00:00Z

// A clustered network (triangles everywhere) on which DMP overestimates, so
// the check replaces it by Monte Carlo: n0 ... n1999, written as CSV into
// the daemon's directory (its config names them relative to itself).
void WriteClusteredNetwork(const std::filesystem::path& dir) {
  const engine::Network net = engine::WattsStrogatz(2000, 3, 0.05, {.seed = 3});
  std::filesystem::create_directories(dir);
  std::ofstream nodes(dir / "nodes.csv"), edges(dir / "edges.csv");
  nodes << "id\n";
  edges << "from,to,weight,layer\n";
  char weight[32];
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    nodes << net.id(v) << "\n";
    for (const engine::Edge& e : net.EdgesOf(v)) {
      if (e.from != v) continue;
      std::snprintf(weight, sizeof weight, "%.17g", e.weight);
      edges << net.id(e.from) << "," << net.id(e.to) << "," << weight << ",material\n";
    }
  }
}

std::string Config(bool defer_check) {
  return "network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n"
         "risk_types { name: \"supply\" alpha: 0.9 beta: 0.3 direction: DIRECTION_BOTH }\n"
         "vulnerability { mode: MODE_UNIFORM }\n"
         "projection { check_realizations: 400 serve_realizations: 800 max_dmp_error: 0.02\n"
         "             refine_work: 1 defer_check: " +
         std::string(defer_check ? "true" : "false") +
         " }\n"
         // Every alert pushed: the budget's ranking is not what is tested.
         "incidents { alert_top_n: 10000 max_alerts_per_incident: 10000 }\n"
         // Thousands of alerts in one burst: the subscriber must get them
         // all (the default high-water mark drops past 1000 queued).
         "publish { send_high_water_mark: 100000 }\n"
         "planner { k: 0 }\n"
         "clock { mode: MODE_MANUAL start { seconds: 1767225600 } }\n";
}

Envelope Quake(const std::string& id, std::initializer_list<const char*> nodes) {
  Envelope e;
  e.set_event_id(id);
  connectors::SetTimestamp(kT0, e.mutable_occurred_at());
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(1.0);
  for (const char* n : nodes) d->add_node_ids(n);
  return e;
}

riskd::v1::Snapshot TakeSnapshot(DaemonHarness& h) {
  bool accepted = false;
  riskd::v1::Snapshot s = QuerySnapshot(h, &accepted);
  EXPECT_TRUE(accepted);
  return s;
}

// Everything a daemon published, in order.
struct Stream {
  std::vector<std::pair<std::string, Publication>> messages;
  // Reads until a summary of "supply" with checked == `checked` arrived.
  bool ReadUntilSummary(Subscriber& sub, bool checked) {
    while (true) {
      auto msg = sub.Next(std::chrono::seconds(30));
      if (!msg) return false;
      messages.push_back(*msg);
      if (msg->second.has_projection_summary() &&
          msg->second.projection_summary().checked() == checked) {
        return true;
      }
    }
  }
};

TEST(DeferredCheckE2ETest, AlertsComeFirstUncheckedAndRefineToTheCheckingDaemonsState) {
  // The daemon that checks before publishing: the reference.
  DaemonHarness check_first(Config(false));
  WriteClusteredNetwork(check_first.dir());
  ASSERT_TRUE(check_first.Start());
  Subscriber check_first_sub(check_first.context(), check_first.publish());
  auto ack = check_first.Send(Quake("quake-1", {"n0", "n1000"}));
  ASSERT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  Stream reference;
  ASSERT_TRUE(reference.ReadUntilSummary(check_first_sub, true));
  const auto& reference_summary = reference.messages.back().second.projection_summary();
  EXPECT_EQ(reference_summary.unchecked_regions(), 0u);
  EXPECT_FALSE(reference_summary.refinement());
  std::size_t reference_alerts = 0;
  for (const auto& [topic, pub] : reference.messages) {
    if (!pub.has_alert()) continue;
    ++reference_alerts;
    EXPECT_TRUE(pub.alert().checked()) << pub.alert().alert_id();
    EXPECT_FALSE(pub.alert().refinement());
  }
  ASSERT_GT(reference_alerts, 0u);
  // DMP is off here: the check made Monte Carlo serve somewhere.
  EXPECT_NE(reference_summary.method(), riskd::v1::PROJECTION_METHOD_DMP);
  const riskd::v1::Snapshot reference_state = TakeSnapshot(check_first);
  EXPECT_EQ(check_first.Stop(), 0);

  // The same event on a daemon that publishes first.
  DaemonHarness h(Config(true));
  WriteClusteredNetwork(h.dir());
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish());
  ack = h.Send(Quake("quake-1", {"n0", "n1000"}));
  ASSERT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  Stream first;
  ASSERT_TRUE(first.ReadUntilSummary(sub, false));
  const auto& unchecked = first.messages.back().second.projection_summary();
  EXPECT_EQ(unchecked.method(), riskd::v1::PROJECTION_METHOD_DMP);
  EXPECT_GT(unchecked.unchecked_regions(), 0u);
  EXPECT_FALSE(unchecked.refinement());
  std::size_t first_alerts = 0;
  for (const auto& [topic, pub] : first.messages) {
    if (!pub.has_alert()) continue;
    ++first_alerts;
    EXPECT_EQ(pub.alert().lifecycle(), riskd::v1::Alert::LIFECYCLE_RAISED);
    EXPECT_EQ(pub.alert().method(), riskd::v1::PROJECTION_METHOD_DMP) << pub.alert().alert_id();
    EXPECT_FALSE(pub.alert().checked()) << pub.alert().alert_id();
    EXPECT_FALSE(pub.alert().refinement());
  }
  ASSERT_GT(first_alerts, 0u);
  // Then the refinements, until the summary says checked.
  Stream refined;
  ASSERT_TRUE(refined.ReadUntilSummary(sub, true));
  std::uint64_t sequence = first.messages.back().second.sequence();
  std::size_t refined_alerts = 0;
  for (const auto& [topic, pub] : refined.messages) {
    EXPECT_EQ(pub.sequence(), ++sequence) << topic;  // the same numbering, no gap
    if (pub.has_alert()) {
      ++refined_alerts;
      EXPECT_TRUE(pub.alert().refinement()) << pub.alert().alert_id();
      EXPECT_TRUE(pub.alert().checked()) << pub.alert().alert_id();
      EXPECT_EQ(pub.alert().journal_seq(), ack->journal_seq());
    }
    if (pub.has_projection_summary()) {
      EXPECT_TRUE(pub.projection_summary().refinement());
    }
  }
  // DMP overestimated: the check moved some alerts materially.
  EXPECT_GT(refined_alerts, 0u);
  const auto& checked = refined.messages.back().second.projection_summary();
  EXPECT_EQ(checked.unchecked_regions(), 0u);
  EXPECT_EQ(checked.method(), reference_summary.method());
  EXPECT_EQ(checked.expected_disrupted(), reference_summary.expected_disrupted());
  EXPECT_EQ(checked.disrupted_p05(), reference_summary.disrupted_p05());
  EXPECT_EQ(checked.disrupted_p95(), reference_summary.disrupted_p95());
  EXPECT_EQ(checked.nodes_at_risk(), reference_summary.nodes_at_risk());
  // Nothing pending: nothing more is published.
  EXPECT_FALSE(sub.Next(std::chrono::milliseconds(1500)));
  // And the operator's log says so at the default level (debug is off).
  EXPECT_TRUE(h.WaitForLog(", 0 region(s) pending,", std::chrono::milliseconds(2000)))
      << "the last refinement is not logged at info level:\n"
      << h.log();

  // The state is the reference's: every node's risk and ETA bit for bit.
  const riskd::v1::Snapshot state = TakeSnapshot(h);
  EXPECT_EQ(SnapshotStateDigest(state), SnapshotStateDigest(reference_state));
  // Alerts within the documented rule: every alert the reference opened is
  // open at a level at least as high, and every open alert stands on the
  // checked risk (above its clear threshold, not up by min_update_delta
  // since published, which would have republished it).
  std::map<std::string, double> risk;
  for (const auto& r : state.node_risks()) risk[r.node_id()] = r.probability();
  std::map<std::string, riskd::v1::Alert> open;
  for (const auto& a : state.open_alerts()) open[a.alert_id()] = a;
  for (const auto& a : reference_state.open_alerts()) {
    ASSERT_TRUE(open.count(a.alert_id())) << a.alert_id();
    EXPECT_GE(open[a.alert_id()].severity(), a.severity()) << a.alert_id();
  }
  for (const auto& [id, a] : open) {
    const double clear = a.severity() == riskd::v1::SEVERITY_CRITICAL ? 0.6 : 0.2;
    EXPECT_GE(risk[a.node_id()], clear) << id;
    EXPECT_LT(risk[a.node_id()], a.probability() + 0.05) << id;
  }
  EXPECT_EQ(h.Stop(), 0);
}

// The alert budget under publish first, refine after (bench/README.md
// "Alerts per incident, again"): a quake on 40 sites of a generated
// network, then each site reports itself recovered. After every event a
// query waits for the refinements (queries see checked values), so the
// deferred daemon alternates DMP rounds and refinements as when idle. Its
// pushed alerts are the checking daemon's: the same 10 distinct alerts
// (the cap), and the recovery resolves them in bulk and pushes none.
struct BudgetRun {
  std::set<std::string> alert_ids;  // distinct pushed
  int raised_in_recovery = 0;
  int messages_in_recovery = 0;
  int incidents = 0;
};

BudgetRun QuakeAndRecovery(bool defer_check) {
  BudgetRun run;
  DaemonHarness h(
      "network { csv { nodes: \"nodes.csv\" edges: \"edges.csv\" } }\n"
      // One region per refinement slice, each slice a round.
      "projection { refine_work: 1 defer_check: " +
      std::string(defer_check ? "true" : "false") +
      " }\n"
      "incidents { alert_top_n: 10 alert_max_tier: -1 max_alerts_per_incident: 10 }\n"
      "planner { k: 0 }\n"
      "clock { mode: MODE_MANUAL start { seconds: 1767225600 } }\n");
  const engine::Network net =
      engine::BarabasiAlbert(2000, 3, {.seed = 20261201, .min_weight = 1, .max_weight = 10});
  {
    std::ofstream nodes(h.dir() / "nodes.csv"), edges(h.dir() / "edges.csv");
    nodes << "id\n";
    edges << "from,to,weight\n";
    for (const auto& e : net.Edges()) {
      edges << net.id(e.from) << "," << net.id(e.to) << "," << e.weight << "\n";
    }
    for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) nodes << net.id(v) << "\n";
  }
  EXPECT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish());
  std::set<std::string> incidents;
  bool recovery = false;
  // Reads what is published until a second passes without a message.
  auto drain = [&] {
    while (auto msg = sub.Next(std::chrono::milliseconds(1000))) {
      const Publication& pub = msg->second;
      if (pub.has_incident()) incidents.insert(pub.incident().incident_id());
      if (!pub.has_alert()) continue;
      run.alert_ids.insert(pub.alert().alert_id());
      if (!recovery) continue;
      ++run.messages_in_recovery;
      if (pub.alert().lifecycle() == riskd::v1::Alert::LIFECYCLE_RAISED) ++run.raised_in_recovery;
    }
  };
  // Answered once the pending checks ran and published.
  int queries = 0;
  auto wait_for_checks = [&] {
    Envelope q;
    q.set_event_id("query-" + std::to_string(++queries));
    q.mutable_query()->mutable_projection();
    auto answer = h.Send(q);
    EXPECT_TRUE(answer && answer->result() == Ack::RESULT_ACCEPTED)
        << (answer ? Ack::Result_Name(answer->result()) + ": " + answer->reason() : "no answer");
  };
  std::vector<std::string> sites;
  for (engine::NodeIndex v = 7; v < 2000; v += 50) sites.emplace_back(net.id(v));
  Envelope quake;
  quake.set_event_id("quake-1");
  connectors::SetTimestamp(kT0, quake.mutable_occurred_at());
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(1.0);
  for (const auto& id : sites) quake.mutable_disruption()->add_node_ids(id);
  auto ack = h.Send(quake);
  EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  wait_for_checks();
  drain();
  recovery = true;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    Envelope e;
    e.set_event_id("recovered-" + std::to_string(i));
    connectors::SetTimestamp(kT0, e.mutable_occurred_at());
    e.mutable_supplier_status()->set_node_id(sites[i]);
    e.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_RECOVERED);
    ack = h.Send(e);
    EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED) << sites[i];
    wait_for_checks();
  }
  drain();
  run.incidents = static_cast<int>(incidents.size());
  EXPECT_EQ(h.Stop(), 0);
  return run;
}

TEST(DeferredCheckE2ETest, RefinementsPushNoAlertTheCheckingDaemonWouldNot) {
  const BudgetRun reference = QuakeAndRecovery(/*defer_check=*/false);
  EXPECT_EQ(reference.incidents, 1);
  EXPECT_EQ(reference.alert_ids.size(), 10u);
  EXPECT_EQ(reference.raised_in_recovery, 0);
  EXPECT_EQ(reference.messages_in_recovery, 1);  // one resolution of its own, the rest in bulk
  const BudgetRun deferred = QuakeAndRecovery(/*defer_check=*/true);
  EXPECT_EQ(deferred.incidents, 1);
  EXPECT_EQ(deferred.alert_ids, reference.alert_ids);
  EXPECT_EQ(deferred.raised_in_recovery, 0);
  EXPECT_EQ(deferred.messages_in_recovery, reference.messages_in_recovery);
}

}  // namespace
}  // namespace riskd::testing
