// End-to-end: observations are evidence, not overrides (docs/model.md section 3),
// through the real daemon. A weak region report neither lowers a node's risk
// nor closes an alert the projection supports, and every node hit directly
// reports at least the severity it was hit with, also where Monte Carlo (which
// samples partly disrupted sources) serves.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

Envelope RegionDisruption(const std::string& id, const std::string& region, double severity) {
  Envelope e;
  e.set_event_id(id);
  e.set_source("e2e");
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(severity);
  d->mutable_place()->set_region(region);
  return e;
}

const std::vector<std::string>& AllDemoNodes() {
  static const std::vector<std::string> kNodes = {
      "FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO", "CEL-OCH", "ECU-NGO", "CHP-SND",
      "PLS-BKK", "HRN-CEB", "BRG-SWF", "MOT-SUZ", "PCK-WRO", "STP-STR", "DRV-REG",
      "COK-CHI", "HUB-RTM", "OEM-TOY", "OEM-LEI", "OEM-AUS"};
  return kNodes;
}

// Node id -> P(disrupted within the horizon), from a NodeRiskQuery.
std::map<std::string, double> Risks(DaemonHarness& h, const std::string& id) {
  Envelope q;
  q.set_event_id(id);
  for (const auto& node : AllDemoNodes())
    q.mutable_query()->mutable_node_risk()->add_node_ids(node);
  q.mutable_query()->mutable_node_risk()->set_risk_type("supply");
  auto ack = h.Send(q);
  EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED) << (ack ? ack->reason() : "no answer");
  std::map<std::string, double> out;
  if (!ack) return out;
  for (const auto& r : ack->response().node_risks()) out[r.node_id()] = r.probability();
  return out;
}

std::set<std::string> OpenAlerts(DaemonHarness& h, const std::string& id) {
  Envelope q;
  q.set_event_id(id);
  q.mutable_query()->mutable_snapshot();
  auto ack = h.Send(q);
  EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  std::set<std::string> out;
  if (!ack) return out;
  for (const auto& a : ack->response().snapshot().open_alerts()) out.insert(a.alert_id());
  return out;
}

TEST(EvidenceE2ETest, AWeakRegionReportKeepsSupportedAlertsAndHitNodesKeepTheirSeverity) {
  // Monte Carlo serves everything, on few runs: its sampling of the sources'
  // initial states is what used to publish P below the severity.
  DaemonHarness h(DemoNetworkConfig() +
                  "risk_types { name: \"supply\" alpha: 2.0 beta: 0.2 }\n"
                  "projection { method: METHOD_MONTE_CARLO check_realizations: 150 "
                  "serve_realizations: 150 min_realizations: 50 }\n");
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "alert.");

  Envelope quake;
  quake.set_event_id("strong-1");
  auto* d = quake.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(1.0);
  d->add_node_ids("FAB-KUM");
  ASSERT_EQ(h.Send(quake)->result(), Ack::RESULT_ACCEPTED);
  const auto before = Risks(h, "risks-1");
  const auto open_before = OpenAlerts(h, "open-1");
  ASSERT_TRUE(open_before.count("supply/ECU-NGO/1"));  // downstream, projected
  ASSERT_TRUE(open_before.count("supply/FAB-KUM/1"));  // the source itself (P = 1)
  EXPECT_EQ(before.at("FAB-KUM"), 1.0);
  while (sub.Next(std::chrono::milliseconds(300))) {
  }

  // A weak report over the whole region (every JP node, the ones at risk
  // among them).
  const auto ack = h.Send(RegionDisruption("weak-jp", "JP", 0.1));
  ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << ack->reason();
  const auto after = Risks(h, "risks-2");
  for (const auto& [node, p] : before) {
    EXPECT_GE(after.at(node), p - 1e-12) << node;  // never lowered
  }
  for (const char* jp : {"FAB-KUM", "ECU-NGO", "CHP-SND", "COK-CHI", "OEM-TOY"}) {
    EXPECT_GE(after.at(jp), 0.1) << jp;
  }
  // No alert was resolved; every open one still is.
  while (auto msg = sub.Next(std::chrono::milliseconds(500))) {
    EXPECT_NE(msg->second.alert().lifecycle(), riskd::v1::Alert::LIFECYCLE_RESOLVED)
        << msg->second.alert().alert_id();
  }
  const auto open_after = OpenAlerts(h, "open-2");
  for (const auto& id : open_before) EXPECT_TRUE(open_after.count(id)) << id;

  // Nodes hit directly with a sizeable severity: P >= severity, each one.
  ASSERT_EQ(h.Send(RegionDisruption("mid-de", "DE", 0.45))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(RegionDisruption("mid-th", "TH", 0.65))->result(), Ack::RESULT_ACCEPTED);
  const auto hit = Risks(h, "risks-3");
  for (const char* de : {"STL-DUI", "BRG-SWF", "STP-STR", "DRV-REG", "OEM-LEI"}) {
    EXPECT_GE(hit.at(de), 0.45) << de;
  }
  for (const char* th : {"RES-RAY", "PLS-BKK"}) EXPECT_GE(hit.at(th), 0.65) << th;
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
