// Incidents through the real daemon: one earthquake opens one incident,
// node alerts hang under it within the budget, value at risk ranks them,
// the Ack says what the place matched, recoveries restore the incident in
// bulk, and a restart rebuilds the incidents from the journal.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "connectors/store/state_store.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;
using riskd::v1::Incident;

std::string DemoConfig(const std::string& extra = "") {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo + "edges.csv\" } }\n" +
         extra;
}

// A quake felt within 50 km of the Kumamoto fab (and nowhere else).
Envelope Quake(const std::string& id, const std::string& feed_id, double radius_km = 50) {
  Envelope e;
  e.set_event_id(id);
  e.set_source("usgs");
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(1.0);
  d->set_feed_event_id(feed_id);
  d->set_title("M 7.0 - Kumamoto, Japan");
  auto* c = d->mutable_place()->mutable_circle();
  c->mutable_center()->set_lat(32.79);
  c->mutable_center()->set_lon(130.74);
  c->set_radius_km(radius_km);
  return e;
}

// A fire at the Kumamoto fab, named by id (a confirming disruption).
Envelope Fire(const std::string& id) {
  Envelope e;
  e.set_event_id(id);
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_WILDFIRE);
  d->set_severity(1.0);
  d->add_node_ids("FAB-KUM");
  d->set_title("fire at the Kumamoto fab");
  return e;
}

// An operator's acknowledgement of an incident.
Envelope Acknowledge(const std::string& id, const std::string& incident) {
  Envelope e;
  e.set_event_id(id);
  auto* a = e.mutable_operator_action();
  a->set_incident_id(incident);
  a->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  a->set_operator_("ana");
  return e;
}

// The ids of the incidents the state file stores, by key, a line each.
std::string StoredIncidentIds(const DaemonHarness& h) {
  return RunCommand("sqlite3 -cmd '.timeout 10000' " +
                    connectors::StateStore::PathFor(h.database()) +
                    " 'SELECT incident_id FROM incidents ORDER BY key'")
      .out;
}

Envelope Status(const std::string& id, const std::string& node, riskd::v1::NodeState state) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_supplier_status()->set_node_id(node);
  e.mutable_supplier_status()->set_state(state);
  return e;
}

Envelope Query(const std::string& id) {
  Envelope e;
  e.set_event_id(id);
  return e;
}

// The incident `incident_id` as an IncidentQuery (event id `id`) answers.
Incident QueryIncident(DaemonHarness& h, const std::string& id, const std::string& incident_id) {
  Envelope q = Query(id);
  q.mutable_query()->mutable_incident()->set_incident_id(incident_id);
  auto answer = h.Send(q);
  EXPECT_TRUE(answer && answer->result() == Ack::RESULT_ACCEPTED);
  return answer ? answer->response().incident() : Incident{};
}

// Every publication until `done` says so (or the timeout).
template <typename Done>
std::vector<std::pair<std::string, riskd::v1::Publication>> CollectUntil(
    Subscriber& sub, Done done, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  std::vector<std::pair<std::string, riskd::v1::Publication>> got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto msg = sub.Next(std::chrono::milliseconds(200));
    if (!msg) continue;
    got.push_back(std::move(*msg));
    if (done(got.back())) break;
  }
  return got;
}

TEST(IncidentsE2ETest, OneQuakeOneIncidentBudgetedAlertsAndABulkRestoration) {
  // One round per event, read up to its summary: checked before publishing
  // (refinements would add rounds; DeferredCheckE2ETest covers them).
  DaemonHarness h(
      DemoConfig("incidents { alert_top_n: 2 alert_max_tier: 0 max_alerts_per_incident: 3 }\n"
                 "projection { defer_check: false }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "");

  auto ack = h.Send(Quake("q-1", "us7000abcd"));
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  EXPECT_EQ(ack->place_matched_nodes(), 1u);
  ASSERT_EQ(ack->place_matched_ids_size(), 1);
  EXPECT_EQ(ack->place_matched_ids(0), "FAB-KUM");
  EXPECT_TRUE(ack->warning().empty());

  auto got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });
  ASSERT_FALSE(got.empty());
  ASSERT_TRUE(got.back().second.has_projection_summary());
  const auto summary = got.back().second.projection_summary();
  // The incident comes before its alerts (after the hazard's footprint),
  // then the summary.
  const auto first = std::find_if(got.begin(), got.end(), [](const auto& m) {
    return m.second.has_incident() || m.second.has_alert();
  });
  ASSERT_NE(first, got.end());
  ASSERT_TRUE(first->second.has_incident()) << first->first;
  // Every alert after its incident (not only the round's first message).
  std::set<std::string> incidents_seen;
  for (const auto& [topic, publication] : got) {
    if (publication.has_incident()) incidents_seen.insert(publication.incident().incident_id());
    if (publication.has_alert() && !publication.alert().incident_id().empty()) {
      EXPECT_EQ(incidents_seen.count(publication.alert().incident_id()), 1u)
          << topic << " before its incident " << publication.alert().incident_id();
    }
  }
  const Incident incident = first->second.incident();
  EXPECT_EQ(first->first, "incident.critical.supply");
  EXPECT_EQ(incident.incident_id(), "supply/1");
  EXPECT_EQ(incident.lifecycle(), Incident::LIFECYCLE_POTENTIAL);
  EXPECT_EQ(incident.hazard(), riskd::v1::HAZARD_EARTHQUAKE);
  EXPECT_EQ(incident.title(), "M 7.0 - Kumamoto, Japan");
  ASSERT_EQ(incident.event_ids_size(), 1);
  EXPECT_EQ(incident.event_ids(0), "q-1");
  EXPECT_EQ(incident.feed_event_ids(0), "us7000abcd");
  EXPECT_EQ(incident.sources_hit(), 1);
  EXPECT_EQ(incident.source_ids(0), "FAB-KUM");
  // One incident owns every source: its figures are the projection's.
  EXPECT_DOUBLE_EQ(incident.expected_disrupted(), summary.expected_disrupted());
  EXPECT_DOUBLE_EQ(incident.disrupted_p05(), summary.disrupted_p05());
  EXPECT_DOUBLE_EQ(incident.disrupted_p95(), summary.disrupted_p95());
  EXPECT_EQ(incident.nodes_at_risk(), summary.nodes_at_risk());
  ASSERT_GT(incident.nodes_at_risk(), 3) << "the scenario needs more alerts than the budget";
  ASSERT_GE(incident.top_nodes_size(), 3);
  for (int i = 1; i < incident.top_nodes_size(); ++i) {
    EXPECT_GE(incident.top_nodes(i - 1).value_at_risk(), incident.top_nodes(i).value_at_risk());
  }
  EXPECT_GT(incident.value_at_risk(), 0);

  // Alerts: children of the incident, only within the budget.
  std::map<std::string, riskd::v1::Alert> alerts;
  for (const auto& [topic, pub] : got) {
    if (!pub.has_alert()) continue;
    EXPECT_EQ(pub.alert().incident_id(), "supply/1");
    EXPECT_EQ(pub.alert().lifecycle(), riskd::v1::Alert::LIFECYCLE_RAISED);
    alerts[pub.alert().node_id()] = pub.alert();
  }
  EXPECT_EQ(alerts.size(), 3u);
  EXPECT_EQ(incident.alerts_pushed(), 3);

  // The query answers the rest, ranked by value at risk.
  Envelope q = Query("q-incident");
  q.mutable_query()->mutable_incident()->set_incident_id("supply/1");
  auto answer = h.Send(q);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->result(), Ack::RESULT_ACCEPTED) << answer->reason();
  const auto& nodes = answer->response().incident_nodes();
  // The demo network gives no value column: the business volume through
  // each node, max(in, out) over every layer.
  const std::map<std::string, double> volume{{"CHP-SND", 80},  {"ECU-NGO", 115}, {"COK-CHI", 125},
                                             {"OEM-TOY", 110}, {"HUB-RTM", 50},  {"OEM-AUS", 125},
                                             {"OEM-LEI", 225}};
  // Every node at alert level with its value at risk and tier: the nodes
  // listed, and the fab itself (a source, P = 1, worth its 65 out).
  struct Candidate {
    std::string id;
    double value_at_risk;
    int tier;
  };
  std::vector<Candidate> candidates{{"FAB-KUM", 65.0, 3}};
  for (int i = 0; i < nodes.size(); ++i) {
    if (i > 0) {
      EXPECT_GE(nodes[i - 1].value_at_risk(), nodes[i].value_at_risk());
    }
    ASSERT_TRUE(volume.count(nodes[i].node_id())) << nodes[i].node_id();
    EXPECT_DOUBLE_EQ(nodes[i].value_at_risk(),
                     nodes[i].probability() * volume.at(nodes[i].node_id()));
    EXPECT_EQ(nodes[i].alert_pushed(), alerts.count(nodes[i].node_id()) == 1) << nodes[i].node_id();
    if (nodes[i].level() != riskd::v1::SEVERITY_INFO) {
      candidates.push_back({nodes[i].node_id(), nodes[i].value_at_risk(), nodes[i].tier()});
    }
  }
  EXPECT_EQ(static_cast<int>(candidates.size()), incident.nodes_at_risk());
  // Pushed: the two most valuable (top 2), then the most valuable tier-0
  // node left (the cap of 3 stops there).
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& x, const auto& y) { return x.value_at_risk > y.value_at_risk; });
  std::set<std::string> expected{candidates[0].id, candidates[1].id};
  for (std::size_t i = 2; i < candidates.size(); ++i) {
    if (candidates[i].tier == 0) {
      expected.insert(candidates[i].id);
      break;
    }
  }
  std::set<std::string> pushed;
  for (const auto& [id, alert] : alerts) pushed.insert(id);
  EXPECT_EQ(pushed, expected);

  // The snapshot holds the incident and the pushed alerts only.
  Envelope snap = Query("q-snap");
  snap.mutable_query()->mutable_snapshot();
  auto s = h.Send(snap);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);
  EXPECT_EQ(s->response().snapshot().incidents(0).incident_id(), "supply/1");
  EXPECT_EQ(s->response().snapshot().open_alerts_size(), 3);

  // The fab's own report confirms it: same incident, one event more.
  ASSERT_EQ(h.Send(Status("erp-1", "FAB-KUM", riskd::v1::NODE_STATE_DISRUPTED))->result(),
            Ack::RESULT_ACCEPTED);
  got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });
  auto confirmed =
      std::find_if(got.begin(), got.end(), [](const auto& m) { return m.second.has_incident(); });
  ASSERT_NE(confirmed, got.end());
  EXPECT_EQ(confirmed->second.incident().lifecycle(), Incident::LIFECYCLE_CONFIRMED);
  EXPECT_EQ(confirmed->second.incident().event_count(), 2);

  // The fab is back: the incident is restored, and its 3 alerts are
  // resolved with it, not one message per node.
  ASSERT_EQ(h.Send(Status("erp-2", "FAB-KUM", riskd::v1::NODE_STATE_RECOVERED))->result(),
            Ack::RESULT_ACCEPTED);
  got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });
  int alert_messages = 0;
  const Incident* restored = nullptr;
  for (const auto& [topic, pub] : got) {
    if (pub.has_alert()) ++alert_messages;
    if (pub.has_incident()) restored = &pub.incident();
  }
  EXPECT_EQ(alert_messages, 0);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->lifecycle(), Incident::LIFECYCLE_RESTORED);
  EXPECT_EQ(restored->resolution(), Incident::RESOLUTION_SOURCES_RECOVERED);
  EXPECT_EQ(restored->alerts_resolved(), 3);
  EXPECT_EQ(restored->sources_disrupted(), 0);
  s = h.Send(snap);
  EXPECT_EQ(s->response().snapshot().open_alerts_size(), 0);
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);
  EXPECT_EQ(s->response().snapshot().incidents(0).lifecycle(), Incident::LIFECYCLE_RESTORED);

  // A restart rebuilds the same incident from the journal.
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  s = h.Send(snap);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);
  const Incident& again = s->response().snapshot().incidents(0);
  EXPECT_EQ(again.incident_id(), "supply/1");
  EXPECT_EQ(again.lifecycle(), Incident::LIFECYCLE_RESTORED);
  EXPECT_EQ(std::vector<std::string>(again.event_ids().begin(), again.event_ids().end()),
            (std::vector<std::string>{"q-1", "erp-1"}));
  EXPECT_EQ(again.restored_at().seconds(), restored->restored_at().seconds());
  EXPECT_EQ(s->response().snapshot().open_alerts_size(), 0);
  EXPECT_EQ(h.Stop(), 0);
}

// Snapshots read the published incidents back from the state store. When
// that read fails, the snapshot is refused with the reason, not sent without
// them: a subscriber re-syncing from it would drop live incidents.
TEST(IncidentsE2ETest, ASnapshotThatCannotReadTheStoredIncidentsIsRefusedWithTheReason) {
  DaemonHarness h(DemoConfig("projection { defer_check: false }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "");
  ASSERT_EQ(h.Send(Quake("q-1", "us7000abcd"))->result(), Ack::RESULT_ACCEPTED);
  auto got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });
  ASSERT_TRUE(
      std::any_of(got.begin(), got.end(), [](const auto& m) { return m.second.has_incident(); }));
  Envelope snap = Query("q-snap");
  snap.mutable_query()->mutable_snapshot();
  auto s = h.Send(snap);
  ASSERT_TRUE(s && s->result() == Ack::RESULT_ACCEPTED);
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);

  // The table out of the way (another connection, as an operator's sqlite3
  // would): the read fails.
  const std::string sqlite =
      "sqlite3 -cmd '.timeout 10000' " + connectors::StateStore::PathFor(h.database()) + " ";
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents RENAME TO incidents_away'").c_str()), 0);
  s = h.Send(snap);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(s->reason().find("snapshot: cannot read the published incidents"), std::string::npos)
      << s->reason();
  EXPECT_FALSE(s->has_response() && s->response().has_snapshot());

  // Back in place: the same incident again.
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents_away RENAME TO incidents'").c_str()), 0);
  s = h.Send(snap);
  ASSERT_TRUE(s && s->result() == Ack::RESULT_ACCEPTED) << (s ? s->reason() : "no answer");
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);
  EXPECT_EQ(s->response().snapshot().incidents(0).incident_id(), "supply/1");
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, AcksSayWhatAPlaceMatchedWarnWhenNothingAndRefuseHugePlaces) {
  DaemonHarness h(DemoConfig("ingest { max_place_area_km2: 1000000 }\n"));
  ASSERT_TRUE(h.Start());
  // The German sites: within 400 km of Schweinfurt.
  Envelope de = Quake("de-1", "");
  de.mutable_disruption()->mutable_place()->mutable_circle()->mutable_center()->set_lat(50.05);
  de.mutable_disruption()->mutable_place()->mutable_circle()->mutable_center()->set_lon(10.23);
  de.mutable_disruption()->mutable_place()->mutable_circle()->set_radius_km(400);
  auto ack = h.Send(de);
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  // Schweinfurt and Stuttgart (160 km), Regensburg (178), Leipzig (208),
  // Duisburg (288); not Rotterdam (453) nor Wroclaw (494).
  EXPECT_EQ(ack->place_matched_nodes(), 5u);
  EXPECT_EQ(
      std::vector<std::string>(ack->place_matched_ids().begin(), ack->place_matched_ids().end()),
      (std::vector<std::string>{"BRG-SWF", "DRV-REG", "OEM-LEI", "STL-DUI", "STP-STR"}));
  // A region place counts too.
  Envelope th = Quake("th-1", "");
  th.mutable_disruption()->mutable_place()->set_region("th");
  ack = h.Send(th);
  EXPECT_EQ(ack->place_matched_nodes(), 2u);
  // In the sea: accepted, with a warning, and no incident.
  Envelope sea = Quake("sea-1", "");
  sea.mutable_disruption()->mutable_place()->mutable_circle()->mutable_center()->set_lat(-40);
  sea.mutable_disruption()->mutable_place()->mutable_circle()->mutable_center()->set_lon(-140);
  ack = h.Send(sea);
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(ack->place_matched_nodes(), 0u);
  EXPECT_EQ(ack->warning(), "place_empty: disruption.place matches no node in the network");
  // Larger than 1,000,000 km^2: a 600 km circle (1.13 million km^2).
  Envelope huge = Quake("huge-1", "", 600);
  ack = h.Send(huge);
  ASSERT_EQ(ack->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(ack->reason(),
            "resource_exhausted: disruption.place.circle: covers 1.13e+06 km^2, more than "
            "ingest.max_place_area_km2 (1e+06)");
  // A polygon of 20 x 20 degrees at the equator (about 4.9 million km^2).
  Envelope poly = Quake("poly-1", "");
  auto* p = poly.mutable_disruption()->mutable_place()->mutable_polygon();
  for (auto [lat, lon] : {std::pair{0.0, 0.0}, {0.0, 20.0}, {20.0, 20.0}, {20.0, 0.0}}) {
    auto* v = p->add_vertices();
    v->set_lat(lat);
    v->set_lon(lon);
  }
  ack = h.Send(poly);
  ASSERT_EQ(ack->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(ack->reason(),
            "resource_exhausted: disruption.place.polygon: covers 4.85e+06 km^2, more than "
            "ingest.max_place_area_km2 (1e+06)");
  // Incidents: the German quake and the Thai region, nothing for the sea.
  Envelope snap = Query("snap");
  snap.mutable_query()->mutable_snapshot();
  std::set<std::string> ids;
  for (int attempt = 0; attempt < 50 && ids.size() < 2; ++attempt) {
    ids.clear();
    const auto answer = h.Send(snap);
    ASSERT_TRUE(answer);
    for (const auto& inc : answer->response().snapshot().incidents()) ids.insert(inc.incident_id());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"supply/1", "supply/2"}));
  EXPECT_EQ(h.Stop(), 0);
}

// Material in-weights of the demo network: the dependency shares of the
// supply risk type (downstream, material layer).
double DemoShare(const std::string& from, const std::string& to) {
  static const std::map<std::pair<std::string, std::string>, double> kEdges{
      {{"FAB-KUM", "CHP-SND"}, 40}, {{"FAB-KUM", "ECU-NGO"}, 25}, {{"CHP-SND", "ECU-NGO"}, 60},
      {{"CHP-SND", "COK-CHI"}, 20}, {{"ECU-NGO", "COK-CHI"}, 50}, {{"ECU-NGO", "OEM-TOY"}, 30},
      {{"ECU-NGO", "HUB-RTM"}, 30}, {{"PLS-BKK", "COK-CHI"}, 30}, {{"PLS-BKK", "HUB-RTM"}, 20},
      {{"HRN-CEB", "COK-CHI"}, 25}, {{"COK-CHI", "OEM-TOY"}, 80}, {{"COK-CHI", "OEM-AUS"}, 30},
      {{"HRN-CEB", "OEM-AUS"}, 15}, {{"MOT-SUZ", "OEM-AUS"}, 40}, {{"CEL-OCH", "OEM-AUS"}, 40},
      {{"HUB-RTM", "OEM-LEI"}, 40}, {{"PCK-WRO", "OEM-LEI"}, 70}, {{"STP-STR", "OEM-LEI"}, 60},
      {{"DRV-REG", "OEM-LEI"}, 50}};
  double in = 0;
  for (const auto& [edge, w] : kEdges) {
    if (edge.second == to) in += w;
  }
  auto it = kEdges.find({from, to});
  return it == kEdges.end() || in == 0 ? 0.0 : it->second / in;
}

TEST(IncidentsE2ETest, OperatorsActThroughRiskctlAndAlertsExplainThemselves) {
  const std::string riskctl = RISKCTL_BINARY;
  DaemonHarness h(DemoConfig(
      "plans { id: \"TIER2-SUPPLIER\" title: \"Tier-2 supplier at risk\" node_kinds: \"supplier\" "
      "max_tier: 2 activate_alternates: true release_safety_stock: true "
      "notify: \"buyers@example.com\" }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "");
  ASSERT_EQ(h.Send(Fire("fire-1"))->result(), Ack::RESULT_ACCEPTED);
  auto got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });

  // Explainable alerts: the cause with names and the dependency share of
  // each step, the event that started it, the plan for the node.
  std::map<std::string, riskd::v1::Alert> alerts;
  for (const auto& [topic, pub] : got) {
    if (pub.has_alert()) alerts[pub.alert().node_id()] = pub.alert();
  }
  ASSERT_TRUE(alerts.count("ECU-NGO") && alerts.count("CHP-SND"));
  for (const auto& [id, a] : alerts) {
    ASSERT_GE(a.cause_size(), 1) << id;
    ASSERT_EQ(a.cause_size(), a.cause_path_size()) << id;
    EXPECT_EQ(a.cause(0).node_id(), "FAB-KUM") << id;
    EXPECT_EQ(a.cause(0).node_name(), "Kumamoto wafer fab");
    EXPECT_EQ(a.cause(0).share(), 0.0);
    EXPECT_EQ(a.cause(a.cause_size() - 1).node_id(), id);
    for (int i = 1; i < a.cause_size(); ++i) {
      EXPECT_DOUBLE_EQ(a.cause(i).share(),
                       DemoShare(a.cause(i - 1).node_id(), a.cause(i).node_id()))
          << id << " step " << i;
      EXPECT_GT(a.cause(i).probability(), 0.0);
    }
    EXPECT_EQ(std::vector<std::string>(a.trigger_event_ids().begin(), a.trigger_event_ids().end()),
              std::vector<std::string>{"fire-1"})
        << id;
  }
  // CHP-SND lists FAB-KUM as its alternate; both are tier <= 2 suppliers.
  const auto& chp = alerts["CHP-SND"].plan();
  EXPECT_EQ(chp.plan_id(), "TIER2-SUPPLIER");
  ASSERT_EQ(chp.actions_size(), 3);
  EXPECT_EQ(chp.actions(0).kind(), riskd::v1::PlanAction::KIND_ACTIVATE_ALTERNATES);
  EXPECT_EQ(chp.actions(0).description(),
            "activate alternate suppliers FAB-KUM for CHP-SND (Sendai chip packaging)");
  EXPECT_EQ(chp.actions(1).description(),
            "release safety stock for CHP-SND (Sendai chip packaging)");
  EXPECT_EQ(chp.actions(2).description(), "notify buyers@example.com");
  EXPECT_EQ(alerts["ECU-NGO"].plan().actions_size(), 2);                  // no alternates listed
  EXPECT_FALSE(alerts.count("OEM-TOY") && alerts["OEM-TOY"].has_plan());  // an OEM: no plan

  // Operator actions through riskctl, journaled, reflected in the incident.
  const std::string at = " --endpoint " + h.ingest();
  auto run = [&](const std::string& args) { return RunCommand(riskctl + " " + args + at); };
  auto ack = run("incident ack supply/1 --operator ana --note 'on it'");
  EXPECT_EQ(ack.exit_code, 0) << ack.out;
  EXPECT_NE(ack.out.find("ACCEPTED"), std::string::npos) << ack.out;
  EXPECT_EQ(run("incident assign supply/1 apac-procurement --operator ana").exit_code, 0);
  EXPECT_EQ(run("incident level supply/1 warning --operator bo").exit_code, 0);
  auto unknown = run("incident ack supply/99 --operator ana");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("not_found: operator_action.incident_id: no incident 'supply/99'"),
            std::string::npos)
      << unknown.out;
  EXPECT_EQ(run("incident level supply/1 loud").exit_code, 2);  // usage error

  // Each action re-publishes the incident; the last one says it all.
  Incident last;
  std::string last_topic;
  CollectUntil(sub, [&](const auto& m) {
    if (!m.second.has_incident()) return false;
    last = m.second.incident();
    last_topic = m.first;
    return last.operator_state().history_size() == 3;
  });
  EXPECT_EQ(last_topic, "incident.warning.supply");
  EXPECT_EQ(last.level(), riskd::v1::SEVERITY_WARNING);
  EXPECT_EQ(last.computed_level(), riskd::v1::SEVERITY_CRITICAL);
  const auto& op = last.operator_state();
  EXPECT_TRUE(op.acknowledged());
  EXPECT_EQ(op.acknowledged_by(), "ana");
  EXPECT_EQ(op.assignee(), "apac-procurement");
  EXPECT_EQ(op.level_override(), riskd::v1::SEVERITY_WARNING);
  ASSERT_EQ(op.history_size(), 3);
  EXPECT_EQ(op.history(0).action().kind(), riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  EXPECT_EQ(op.history(0).action().note(), "on it");
  EXPECT_EQ(op.history(2).action().operator_(), "bo");
  EXPECT_EQ(op.history(2).journal_seq(), 4u);  // fire, ack, assign, level
  EXPECT_EQ(last.plans_size(), 1);             // the tier-2 suppliers' plan

  // riskctl text: names, incidents before nodes.
  auto show = run("incident show supply/1");
  EXPECT_EQ(show.exit_code, 0) << show.out;
  EXPECT_NE(show.out.find("INCIDENT WARNING  confirmed supply/1 \"fire at the Kumamoto fab\""),
            std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("acknowledged by ana; assigned to apac-procurement"), std::string::npos);
  EXPECT_NE(show.out.find("ECU-NGO (Nagoya ECU assembly)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("plan TIER2-SUPPLIER (Tier-2 supplier at risk): "), std::string::npos)
      << show.out;
  EXPECT_NE(
      show.out.find("; activate alternate suppliers FAB-KUM for CHP-SND (Sendai chip packaging); "),
      std::string::npos)
      << show.out;
  auto text = RunCommand(riskctl + " query --text" + at + " snapshot");
  EXPECT_EQ(text.exit_code, 0) << text.out;
  const auto incidents_at = text.out.find("Incidents (1):");
  const auto hit_at = text.out.find("Hit directly");
  const auto warned_at = text.out.find("Warned (");
  ASSERT_NE(incidents_at, std::string::npos) << text.out;
  EXPECT_LT(incidents_at, hit_at);
  EXPECT_LT(hit_at, warned_at);
  EXPECT_NE(text.out.find("FAB-KUM (Kumamoto wafer fab)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("via Kumamoto wafer fab > "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("events fire-1"), std::string::npos) << text.out;

  // Marked restored: its alerts resolve with it; later evidence other than
  // the same feed event opens a new incident.
  EXPECT_EQ(run("incident restored supply/1 --operator ana").exit_code, 0);
  CollectUntil(sub, [&](const auto& m) {
    if (!m.second.has_incident()) return false;
    last = m.second.incident();
    return last.lifecycle() == Incident::LIFECYCLE_RESTORED;
  });
  EXPECT_EQ(last.resolution(), Incident::RESOLUTION_OPERATOR_RESTORED);
  EXPECT_EQ(last.alerts_resolved(), static_cast<int>(alerts.size()));
  EXPECT_EQ(last.resolved_alert_ids_size(), static_cast<int>(alerts.size()));

  // The journal holds every action; a restart replays them.
  EXPECT_EQ(h.Stop(), 0);
  auto verify = RunCommand(riskctl + " verify-journal --db " + h.database());
  EXPECT_NE(verify.out.find("journal OK: 5 rows"), std::string::npos) << verify.out;
  ASSERT_TRUE(h.Start());
  Envelope snap = Query("snap");
  snap.mutable_query()->mutable_snapshot();
  auto s = h.Send(snap);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->response().snapshot().incidents_size(), 1);
  const auto& replayed = s->response().snapshot().incidents(0);
  EXPECT_EQ(replayed.lifecycle(), Incident::LIFECYCLE_RESTORED);
  EXPECT_EQ(replayed.operator_state().history_size(), 4);
  EXPECT_EQ(replayed.operator_state().assignee(), "apac-procurement");
  EXPECT_EQ(replayed.level(), riskd::v1::SEVERITY_WARNING);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, AWatchlistedNodeIsPushedAtItsOwnThresholdAndNoImpactClosesTheIncident) {
  const std::string riskctl = RISKCTL_BINARY;
  // A budget of one alert, nothing by tier, a warning from P 0.5; Leipzig
  // (far downstream) on a watchlist with a low threshold of its own.
  DaemonHarness h(
      DemoConfig("alert_policy { warning_raise: 0.5 warning_clear: 0.4 critical_raise: 0.8 "
                 "critical_clear: 0.7 }\n"
                 "incidents { alert_top_n: 1 alert_max_tier: -1 max_alerts_per_incident: 1 }\n"
                 "watchlists { name: \"key-oems\" node_ids: [\"OEM-LEI\", \"NOT-A-NODE\"] "
                 "risk_type: \"supply\" "
                 "warning_raise: 0.02 warning_clear: 0.01 }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "");
  ASSERT_EQ(h.Send(Quake("q-1", "us7000abcd"))->result(), Ack::RESULT_ACCEPTED);
  auto got = CollectUntil(sub, [](const auto& m) { return m.second.has_projection_summary(); });
  std::map<std::string, riskd::v1::Alert> alerts;
  for (const auto& [topic, pub] : got) {
    if (pub.has_alert()) alerts[pub.alert().node_id()] = pub.alert();
  }
  // The budget's one alert, and the watchlisted node, below the policy's
  // warning threshold (0.5) but above its own.
  ASSERT_EQ(alerts.size(), 2u);
  ASSERT_TRUE(alerts.count("OEM-LEI"));
  const auto& lei = alerts.at("OEM-LEI");
  EXPECT_EQ(std::vector<std::string>(lei.watchlists().begin(), lei.watchlists().end()),
            std::vector<std::string>{"key-oems"});
  EXPECT_EQ(lei.severity(), riskd::v1::SEVERITY_WARNING);
  EXPECT_GE(lei.probability(), 0.02);
  EXPECT_LT(lei.probability(), 0.5);
  EXPECT_EQ(lei.incident_id(), "supply/1");
  EXPECT_NE(h.log().find("watchlist key-oems: 1 node id(s) not in the network, ignored"),
            std::string::npos)
      << h.log();

  // No impact after all: the incident closes and its two alerts resolve
  // with it, no message per node.
  const std::string at = " --endpoint " + h.ingest();
  auto closed = RunCommand(
      riskctl + " incident no-impact supply/1 --operator ana --note 'fab says fine'" + at);
  EXPECT_EQ(closed.exit_code, 0) << closed.out;
  int alert_messages = 0;
  Incident last;
  CollectUntil(sub, [&](const auto& m) {
    if (m.second.has_alert()) ++alert_messages;
    if (!m.second.has_incident()) return false;
    last = m.second.incident();
    return last.lifecycle() == Incident::LIFECYCLE_CLOSED;
  });
  EXPECT_EQ(last.lifecycle(), Incident::LIFECYCLE_CLOSED);
  EXPECT_EQ(last.resolution(), Incident::RESOLUTION_NO_IMPACT);
  EXPECT_EQ(last.alerts_resolved(), 2);
  EXPECT_EQ(last.alerts_pushed(), 0);
  EXPECT_EQ(alert_messages, 0);
  ASSERT_EQ(last.operator_state().history_size(), 1);
  EXPECT_EQ(last.operator_state().history(0).action().kind(),
            riskd::v1::OperatorAction::KIND_MARK_NO_IMPACT);
  EXPECT_EQ(last.operator_state().history(0).action().note(), "fab says fine");
  Envelope snap = Query("snap");
  snap.mutable_query()->mutable_snapshot();
  auto s = h.Send(snap);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->response().snapshot().open_alerts_size(), 0);
  // `incident list` shows open incidents only; --all the closed one too.
  auto list = RunCommand(riskctl + " incident list" + at);
  EXPECT_NE(list.out.find("no incidents"), std::string::npos) << list.out;
  list = RunCommand(riskctl + " incident list --all" + at);
  EXPECT_NE(list.out.find("closed    supply/1"), std::string::npos) << list.out;
  EXPECT_EQ(h.Stop(), 0);
}

// An operator action on supply/1 from "ana".
Envelope Action(const std::string& id, riskd::v1::OperatorAction::Kind kind) {
  Envelope e;
  e.set_event_id(id);
  auto* a = e.mutable_operator_action();
  a->set_incident_id("supply/1");
  a->set_kind(kind);
  a->set_operator_("ana");
  if (kind == riskd::v1::OperatorAction::KIND_ASSIGN) a->set_assignee("apac-procurement");
  if (kind == riskd::v1::OperatorAction::KIND_OVERRIDE_LEVEL) {
    a->set_level(riskd::v1::SEVERITY_CRITICAL);
  }
  return e;
}

// Once an operator closed an incident (no impact), what acts on an open
// incident is refused failed_precondition, and not journaled; an
// acknowledgment (with its note) is still recorded. The same after a
// restart, which replays the journal.
TEST(IncidentsE2ETest, ActionsForAnOpenIncidentAreRefusedOnAClosedOne) {
  using riskd::v1::OperatorAction;
  DaemonHarness h(DemoConfig());
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "");
  ASSERT_EQ(h.Send(Quake("q-1", "us7000abcd"))->result(), Ack::RESULT_ACCEPTED);
  // The ingest thread knows the incident once the engine applied the quake
  // (a query is answered after it): an action sent on the Ack alone could
  // meet not_found.
  ASSERT_EQ(QueryIncident(h, "inc-open", "supply/1").incident_id(), "supply/1");
  ASSERT_EQ(h.Send(Action("a-1", OperatorAction::KIND_MARK_NO_IMPACT))->result(),
            Ack::RESULT_ACCEPTED);
  // Refused once the closing is published (before, the engine refuses it).
  CollectUntil(sub, [](const auto& m) {
    return m.second.has_incident() && m.second.incident().lifecycle() == Incident::LIFECYCLE_CLOSED;
  });
  for (int pass = 0; pass < 2; ++pass) {
    int n = 0;
    for (const auto kind :
         {OperatorAction::KIND_OVERRIDE_LEVEL, OperatorAction::KIND_ASSIGN,
          OperatorAction::KIND_MARK_RESTORED, OperatorAction::KIND_MARK_NO_IMPACT}) {
      const std::string id = "r-" + std::to_string(pass) + "-" + std::to_string(++n);
      const auto ack = h.Send(Action(id, kind));
      ASSERT_TRUE(ack);
      EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED) << OperatorAction::Kind_Name(kind);
      EXPECT_EQ(ack->reason(),
                "failed_precondition: operator_action: incident 'supply/1' is "
                "closed; " +
                    OperatorAction::Kind_Name(kind) +
                    " acts on an open incident (only KIND_ACKNOWLEDGE, with a "
                    "note, is recorded on a closed one)");
    }
    if (pass == 0) {
      Envelope ack = Action("a-2", OperatorAction::KIND_ACKNOWLEDGE);
      ack.mutable_operator_action()->set_note("reviewed");
      ASSERT_EQ(h.Send(ack)->result(), Ack::RESULT_ACCEPTED);
    }
    const Incident inc = QueryIncident(h, "inc-" + std::to_string(pass), "supply/1");
    EXPECT_EQ(inc.lifecycle(), Incident::LIFECYCLE_CLOSED);
    EXPECT_EQ(inc.resolution(), Incident::RESOLUTION_NO_IMPACT);
    EXPECT_EQ(inc.operator_state().level_override(), riskd::v1::SEVERITY_UNSPECIFIED);
    EXPECT_EQ(inc.operator_state().assignee(), "");
    ASSERT_EQ(inc.operator_state().history_size(), 2) << inc.DebugString();
    EXPECT_EQ(inc.operator_state().history(1).action().kind(), OperatorAction::KIND_ACKNOWLEDGE);
    EXPECT_EQ(inc.operator_state().history(1).action().note(), "reviewed");
    if (pass == 0) {
      ASSERT_EQ(h.Stop(), 0);
      ASSERT_TRUE(h.Start()) << h.log();
    }
  }
  EXPECT_EQ(h.Stop(), 0);
}

// An action sent with the one that closes the incident, before the ingest
// thread learns of the closing: accepted and journaled, but the engine
// refuses it at its place in the journal, live and on replay alike.
TEST(IncidentsE2ETest, AnActionJournaledAfterTheClosingIsNotApplied) {
  using riskd::v1::OperatorAction;
  DaemonHarness h(DemoConfig());
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Quake("q-1", "us7000abcd"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(QueryIncident(h, "inc-0", "supply/1").incident_id(), "supply/1");
  const auto acks =
      SendPipelined(h, {Action("a-1", OperatorAction::KIND_MARK_NO_IMPACT).SerializeAsString(),
                        Action("a-2", OperatorAction::KIND_OVERRIDE_LEVEL).SerializeAsString()});
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].result(), Ack::RESULT_ACCEPTED);
  // Refused at ingest when the closing was published first, else here.
  if (acks[1].result() == Ack::RESULT_ACCEPTED) {
    EXPECT_TRUE(
        h.WaitForLog("(a-2) not applied: failed_precondition: operator_action: incident "
                     "'supply/1' is closed"))
        << h.log();
  } else {
    EXPECT_EQ(acks[1].result(), Ack::RESULT_REJECTED);
  }
  for (int pass = 0; pass < 2; ++pass) {
    const Incident inc = QueryIncident(h, "inc-" + std::to_string(pass + 1), "supply/1");
    EXPECT_EQ(inc.lifecycle(), Incident::LIFECYCLE_CLOSED);
    EXPECT_EQ(inc.operator_state().level_override(), riskd::v1::SEVERITY_UNSPECIFIED);
    EXPECT_EQ(inc.operator_state().history_size(), 1) << inc.DebugString();
    if (pass == 0) {
      ASSERT_EQ(h.Stop(), 0);
      ASSERT_TRUE(h.Start()) << h.log();
    }
  }
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, AnActionIsJudgedAgainstTheIncidentAsOfItsOwnTime) {
  // Restored, then close_after passes with no event and (a step of a day)
  // no tick: the book still holds the incident restored when the next
  // action arrives. Live a wall-clock tick could have closed it first, a
  // replay has no such tick: the engine judges the action against the
  // incident as of the action's time, closed by then, either way.
  using riskd::v1::OperatorAction;
  DaemonHarness h(DemoConfig("incidents { close_after { seconds: 1 } }\n"));
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Send(Quake("q-1", "us7000abcd"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(QueryIncident(h, "inc-0", "supply/1").incident_id(), "supply/1");
  ASSERT_EQ(h.Send(Action("a-1", OperatorAction::KIND_MARK_RESTORED))->result(),
            Ack::RESULT_ACCEPTED);
  ASSERT_EQ(QueryIncident(h, "inc-1", "supply/1").lifecycle(), Incident::LIFECYCLE_RESTORED);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto ack = h.Send(Action("a-2", OperatorAction::KIND_ASSIGN));
  ASSERT_TRUE(ack);
  // Refused at ingest when a tick closed and published it first, else by
  // the engine.
  if (ack->result() == Ack::RESULT_ACCEPTED) {
    EXPECT_TRUE(
        h.WaitForLog("(a-2) not applied: failed_precondition: operator_action: incident "
                     "'supply/1' is closed"))
        << h.log();
  } else {
    EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED);
  }
  for (int pass = 0; pass < 2; ++pass) {
    const Incident inc = QueryIncident(h, "inc-" + std::to_string(pass + 2), "supply/1");
    EXPECT_EQ(inc.lifecycle(), Incident::LIFECYCLE_CLOSED);
    EXPECT_EQ(inc.resolution(), Incident::RESOLUTION_OPERATOR_RESTORED);
    EXPECT_EQ(inc.operator_state().assignee(), "") << inc.DebugString();
    if (pass == 0) {
      ASSERT_EQ(h.Stop(), 0);
      ASSERT_TRUE(h.Start()) << h.log();
    }
  }
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, UnderTheWallClockARestoredIncidentClosesWithoutFurtherEvents) {
  // Steps of one second and close_after of two: the wall clock's ticks
  // close the incident, no event needed.
  DaemonHarness h(
      DemoConfig("projection { step { seconds: 1 } }\n"
                 "clock { history_window { seconds: 3600 } }\n"
                 "incidents { close_after { seconds: 2 } }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "incident.");
  ASSERT_EQ(h.Send(Fire("fire-1"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(Status("erp-1", "FAB-KUM", riskd::v1::NODE_STATE_RECOVERED))->result(),
            Ack::RESULT_ACCEPTED);
  Incident restored, closed;
  CollectUntil(sub, [&](const auto& m) {
    const Incident& inc = m.second.incident();
    if (inc.lifecycle() == Incident::LIFECYCLE_RESTORED) restored = inc;
    if (inc.lifecycle() == Incident::LIFECYCLE_CLOSED) closed = inc;
    return inc.lifecycle() == Incident::LIFECYCLE_CLOSED;
  });
  ASSERT_EQ(restored.lifecycle(), Incident::LIFECYCLE_RESTORED);
  ASSERT_EQ(closed.lifecycle(), Incident::LIFECYCLE_CLOSED);
  EXPECT_EQ(closed.incident_id(), "supply/1");
  EXPECT_EQ(closed.resolution(), Incident::RESOLUTION_SOURCES_RECOVERED);
  EXPECT_EQ(closed.event_count(), 1);  // the recovery is not a trigger; no other event came
  // Closed close_after (2 s) after it was restored, in event time.
  const auto ns = [](const google::protobuf::Timestamp& t) {
    return t.seconds() * 1'000'000'000LL + t.nanos();
  };
  EXPECT_EQ(ns(closed.closed_at()) - ns(restored.restored_at()), 2'000'000'000LL);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, ARunOfShortDisruptionsKeepsOnlyTheRetainedIncidents) {
  // Each node disrupted then recovered opens and restores its own
  // incident. With room for one restored and one closed incident, the one
  // restored longest ago closes at once and the oldest closed one is
  // forgotten: operator actions about it are refused, naming the key.
  DaemonHarness h(DemoConfig("incidents { retain_restored: 1 retain_closed: 1 }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "incident.");
  int n = 0;
  for (const char* node : {"FAB-KUM", "RES-RAY", "STL-DUI"}) {
    for (auto state : {riskd::v1::NODE_STATE_DISRUPTED, riskd::v1::NODE_STATE_RECOVERED}) {
      const auto ack = h.Send(Status("erp-" + std::to_string(++n), node, state));
      ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
    }
  }
  // Journal sequences 1, 3 and 5 opened supply/1, /3 and /5.
  std::map<std::string, Incident> last;
  CollectUntil(sub, [&](const auto& m) {
    const Incident& inc = m.second.incident();
    last[inc.incident_id()] = inc;
    return inc.incident_id() == "supply/3" && inc.lifecycle() == Incident::LIFECYCLE_CLOSED;
  });
  ASSERT_EQ(last["supply/1"].lifecycle(), Incident::LIFECYCLE_CLOSED);
  ASSERT_EQ(last["supply/3"].lifecycle(), Incident::LIFECYCLE_CLOSED);
  const auto forgotten = h.Send(Acknowledge("op-1", "supply/1"));
  EXPECT_EQ(forgotten->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(forgotten->reason(),
            "not_found: operator_action.incident_id: no incident 'supply/1' (closed incidents "
            "beyond incidents.retain_closed are forgotten)");
  EXPECT_EQ(h.Send(Acknowledge("op-2", "supply/3"))->result(), Ack::RESULT_ACCEPTED);
  // Queries agree: supply/1 is gone, supply/5 waits restored.
  Envelope q = Query("q-1");
  q.mutable_query()->mutable_incident()->set_incident_id("supply/1");
  EXPECT_EQ(h.Send(q)->result(), Ack::RESULT_REJECTED);
  q = Query("q-2");
  q.mutable_query()->mutable_incident()->set_incident_id("supply/5");
  const auto restored = h.Send(q);
  ASSERT_EQ(restored->result(), Ack::RESULT_ACCEPTED) << restored->reason();
  EXPECT_EQ(restored->response().incident().lifecycle(), Incident::LIFECYCLE_RESTORED);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, AFullReplayForgetsWhatLiveForgotAndRepublishesNoneOfIt) {
  // Without checkpoints every start replays the whole journal. The replay
  // forgets the incidents live forgot (retain_closed) as it goes, rather
  // than keeping them all until its first round, which then published
  // every one of them again (closed) before forgetting them once more.
  DaemonHarness h(DemoConfig(
      "incidents { retain_restored: 1 retain_closed: 1 }\ncheckpoint { interval_events: 0 }\n"
      "metrics { listen: \"127.0.0.1:0\" }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "incident.");
  int n = 0;
  for (const char* node : {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO"}) {
    for (auto state : {riskd::v1::NODE_STATE_DISRUPTED, riskd::v1::NODE_STATE_RECOVERED}) {
      const auto ack = h.Send(Status("erp-" + std::to_string(++n), node, state));
      ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
    }
  }
  // supply/1 and /3 forgotten, /5 closed, /7 restored.
  CollectUntil(sub, [&](const auto& m) {
    return m.second.incident().incident_id() == "supply/5" &&
           m.second.incident().lifecycle() == Incident::LIFECYCLE_CLOSED;
  });
  ASSERT_EQ(StoredIncidentIds(h), "supply/5\nsupply/7\n");
  EXPECT_EQ(h.Stop(), 0);

  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.log().find("restored the checkpoint"), std::string::npos);  // a full replay
  EXPECT_EQ(StoredIncidentIds(h), "supply/5\nsupply/7\n");
  // Its first round published supply/7 (restored: published again after
  // every start) and nothing else: supply/5's closing is stored as
  // published, supply/1 and /3 are gone.
  EXPECT_EQ(h.Metric("riskd_incidents_published_total"), 1.0);
  EXPECT_EQ(h.Send(Acknowledge("op-1", "supply/1"))->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(h.Send(Acknowledge("op-2", "supply/5"))->result(), Ack::RESULT_ACCEPTED);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(IncidentsE2ETest, RowsOfForgottenIncidentsGoWhenAFailedRecordingIsRetriedOrAtStart) {
  // Forgetting an incident (retain_closed) deletes its stored row in the
  // round's recording transaction. When that transaction fails the row must
  // still go: with the next recording that succeeds, and, for a row left
  // over from before a stop, at the next start. One round per event: no
  // refinement round may retry the deletion early.
  DaemonHarness h(DemoConfig(
      "incidents { retain_restored: 1 retain_closed: 1 }\nprojection { defer_check: false }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "incident.");
  const std::string sqlite =
      "sqlite3 -cmd '.timeout 10000' " + connectors::StateStore::PathFor(h.database()) + " ";
  const auto stored_ids = [&] { return StoredIncidentIds(h); };
  const auto closed = [&](const std::string& id) {
    CollectUntil(sub, [&](const auto& m) {
      return m.second.incident().incident_id() == id &&
             m.second.incident().lifecycle() == Incident::LIFECYCLE_CLOSED;
    });
  };
  int n = 0;
  const auto disrupt_and_recover = [&](const std::string& node) {
    for (auto state : {riskd::v1::NODE_STATE_DISRUPTED, riskd::v1::NODE_STATE_RECOVERED}) {
      const auto ack = h.Send(Status("erp-" + std::to_string(++n), node, state));
      ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
    }
  };
  // supply/1 closes when supply/3 is restored (room for one restored).
  disrupt_and_recover("FAB-KUM");
  disrupt_and_recover("RES-RAY");
  closed("supply/1");
  ASSERT_EQ(stored_ids(), "supply/1\nsupply/3\n");

  // The table away while supply/3 closes and supply/1 is forgotten: that
  // round's recording fails, supply/1's row with it.
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents RENAME TO incidents_away'").c_str()), 0);
  disrupt_and_recover("STL-DUI");
  closed("supply/3");
  ASSERT_TRUE(h.WaitForLog("cannot record incidents", std::chrono::seconds(10)));
  ASSERT_EQ(std::system((sqlite + "'ALTER TABLE incidents_away RENAME TO incidents'").c_str()), 0);

  // The next round's recording deletes it.
  disrupt_and_recover("MAG-BAO");
  closed("supply/5");
  // supply/5 closed and supply/7 restored in it; supply/3 forgotten.
  EXPECT_EQ(stored_ids(), "supply/5\nsupply/7\n");
  EXPECT_EQ(h.Stop(), 0);

  // Rows the book does not hold, as a stop right after a failed recording
  // leaves: a closed one is deleted at the next start; any other (the
  // book could lack it for another reason, e.g. a changed configuration)
  // is the last copy of what was published and stays. (Keyed by rows of
  // the journal, the recoveries at 6 and 8: a key beyond its end would make
  // the state file ahead of the journal, which the start refuses.)
  ASSERT_EQ(std::system((sqlite + "\"INSERT INTO incidents(key, incident_id, lifecycle, sequence, "
                                  "payload) VALUES(6, 'supply/6', 3, 1, x''), "
                                  "(8, 'supply/8', 4, 1, x'')\"")
                            .c_str()),
            0);
  ASSERT_EQ(stored_ids(), "supply/5\nsupply/6\nsupply/7\nsupply/8\n");
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(h.WaitForLog("deleted 1 stored closed incident(s) the book no longer holds: supply/8",
                           std::chrono::seconds(10)));
  EXPECT_EQ(stored_ids(), "supply/5\nsupply/6\nsupply/7\n");
  EXPECT_EQ(h.Stop(), 0);
}

// An incident that ended before a restart lists its sources after it too.
// The live daemon listed them in the projection round that saw the fire;
// a restart's replay ends the episode before any round, and the incident
// came back with sources_hit 1 and no source_ids.
TEST(IncidentsE2ETest, AnIncidentEndedBeforeARestartStillListsItsSources) {
  constexpr std::int64_t kStart = 1'710'720'000;  // 2024-03-18T00:00Z
  DaemonHarness h(DemoConfig(
      "clock { mode: MODE_MANUAL start { seconds: " + std::to_string(kStart) + " } }\n"));
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "incident.");
  ASSERT_EQ(h.Send(Fire("fire-1"))->result(), Ack::RESULT_ACCEPTED);
  CollectUntil(sub, [](const auto& m) { return m.second.incident().incident_id() == "supply/1"; });
  // Sixty days on: the fire's episode is over, the incident restored.
  Envelope tick = Query("tick-60d");
  tick.mutable_clock_tick()->mutable_advance_to()->set_seconds(kStart + 60 * 86400);
  ASSERT_EQ(h.Send(tick)->result(), Ack::RESULT_ACCEPTED);
  CollectUntil(sub, [](const auto& m) {
    return m.second.incident().lifecycle() == Incident::LIFECYCLE_RESTORED;
  });
  auto incident = [&](const std::string& id) { return QueryIncident(h, id, "supply/1"); };
  const Incident before = incident("q-before");
  ASSERT_EQ(before.lifecycle(), Incident::LIFECYCLE_RESTORED);
  ASSERT_EQ(before.source_ids_size(), 1);
  EXPECT_EQ(before.source_ids(0), "FAB-KUM");
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  const Incident after = incident("q-after");
  EXPECT_EQ(after.lifecycle(), Incident::LIFECYCLE_RESTORED);
  EXPECT_EQ(after.sources_hit(), 1);
  ASSERT_EQ(after.source_ids_size(), 1);
  EXPECT_EQ(after.source_ids(0), "FAB-KUM");
  EXPECT_EQ(h.Stop(), 0);
}

// A site re-reported 130 times: its incident lists the first 100 events
// and counts all 130, before a restart (from the checkpoint its stop
// writes) and after it, where a further report counts on from there. The
// daemon keeps only the events listed and each source's first 8.
TEST(IncidentsE2ETest, AnIncidentListsItsFirstHundredEventsAndCountsAll) {
  DaemonHarness h(DemoConfig());
  ASSERT_TRUE(h.Start());
  std::vector<std::string> first;
  for (int i = 1; i <= 130; ++i) {
    const std::string id = "fire-" + std::to_string(i);
    ASSERT_EQ(h.Send(Fire(id))->result(), Ack::RESULT_ACCEPTED);
    if (i <= 100) first.push_back(id);
  }
  auto incident = [&](const std::string& id) { return QueryIncident(h, id, "supply/1"); };
  auto listed = [](const Incident& i) {
    return std::vector<std::string>(i.event_ids().begin(), i.event_ids().end());
  };
  const Incident before = incident("q-before");
  EXPECT_EQ(before.event_count(), 130);
  EXPECT_EQ(listed(before), first);
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  Envelope status = Query("q-status");
  status.mutable_query()->mutable_status();
  auto st = h.Send(status);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->response().status().restored_checkpoint_seq(), 130u);  // not a replay
  const Incident after = incident("q-after");
  EXPECT_EQ(after.event_count(), 130);
  EXPECT_EQ(listed(after), first);
  ASSERT_EQ(h.Send(Fire("fire-131"))->result(), Ack::RESULT_ACCEPTED);
  const Incident more = incident("q-more");
  EXPECT_EQ(more.event_count(), 131);
  EXPECT_EQ(listed(more), first);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
