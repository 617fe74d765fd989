#include "connectors/alertmanager/alertmanager_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace riskd::connectors {
namespace {

TEST(AlertmanagerClientTest, PostableAlertsCarryLabelsAnnotationsAndTimes) {
  riskd::v1::Alert a;
  a.set_alert_id("supply/ECU-NGO/7");
  a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RAISED);
  a.set_severity(riskd::v1::SEVERITY_CRITICAL);
  a.set_risk_type("supply");
  a.set_node_id("ECU-NGO");
  a.set_node_name("Nagoya ECU assembly");
  a.set_probability(0.75);
  a.set_eta_steps(2);
  a.set_horizon_steps(30);
  a.add_cause_path("FAB-KUM");
  a.add_cause_path("ECU-NGO");
  a.mutable_computed_at()->set_seconds(1795000000);
  const std::int64_t now = 1795000010LL * 1000000000;
  auto resolved = a;
  resolved.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RESOLVED);
  const auto j = nlohmann::json::parse(ToAlertmanagerJson(
      {{a, false}, {resolved, false}, {a, true}}, now, std::chrono::seconds(240), "http://dash"));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "RiskdNodeAtRisk");
  EXPECT_EQ(j[0]["labels"]["node"], "ECU-NGO");
  EXPECT_EQ(j[0]["labels"]["severity"], "critical");
  EXPECT_EQ(j[0]["labels"]["risk_type"], "supply");
  EXPECT_EQ(j[0]["annotations"]["cause_path"], "FAB-KUM > ECU-NGO");
  EXPECT_EQ(j[0]["annotations"]["riskd_alert_id"], "supply/ECU-NGO/7");
  EXPECT_EQ(j[0]["startsAt"], "2026-11-18T11:06:40.000Z");
  EXPECT_EQ(j[0]["endsAt"], "2026-11-18T11:10:50.000Z");  // now + 240 s
  EXPECT_EQ(j[0]["generatorURL"], "http://dash");
  EXPECT_EQ(j[1]["endsAt"], "2026-11-18T11:06:50.000Z");  // resolved: now
  EXPECT_EQ(j[2]["endsAt"], "2026-11-18T11:06:50.000Z");  // forced resolved
}

TEST(AlertmanagerClientTest, AlertsNameTheirIncidentAndPlanAndIncidentsAreAlertsOfTheirOwn) {
  riskd::v1::Alert a;
  a.set_alert_id("supply/CHP-SND/1");
  a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RAISED);
  a.set_severity(riskd::v1::SEVERITY_CRITICAL);
  a.set_risk_type("supply");
  a.set_node_id("CHP-SND");
  a.set_node_name("Sendai chip packaging");
  a.set_incident_id("supply/1");
  a.set_value_at_risk(72.5);
  for (auto [id, share] : {std::pair{"FAB-KUM", 0.0}, {"CHP-SND", 1.0}}) {
    auto* step = a.add_cause();
    step->set_node_id(id);
    step->set_share(share);
  }
  a.add_trigger_event_ids("fire-1");
  auto* plan = a.mutable_plan();
  plan->set_plan_id("TIER2");
  plan->set_title("Tier-2 supplier at risk");
  plan->add_actions()->set_description("release safety stock for CHP-SND");
  plan->add_actions()->set_description("notify buyers@example.com");
  riskd::v1::Incident inc;
  inc.set_incident_id("supply/1");
  inc.set_lifecycle(riskd::v1::Incident::LIFECYCLE_CONFIRMED);
  inc.set_level(riskd::v1::SEVERITY_WARNING);
  inc.set_risk_type("supply");
  inc.set_title("fire at the Kumamoto fab");
  inc.set_hazard(riskd::v1::HAZARD_WILDFIRE);
  inc.set_sources_hit(1);
  inc.set_sources_disrupted(1);
  inc.add_source_ids("FAB-KUM");
  inc.set_expected_disrupted(6.25);
  inc.set_value_at_risk(637.5);
  inc.set_horizon_steps(30);
  *inc.add_plans() = *plan;
  inc.mutable_operator_state()->set_assignee("apac");
  inc.mutable_opened_at()->set_seconds(1795000000);
  const std::int64_t now = 1795000010LL * 1000000000;
  auto over = inc;
  over.set_lifecycle(riskd::v1::Incident::LIFECYCLE_RESTORED);
  const auto j = nlohmann::json::parse(ToAlertmanagerJson(
      {{a, false}, {{}, false, inc}, {{}, false, over}}, now, std::chrono::seconds(240), ""));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["labels"]["incident"], "supply/1");
  EXPECT_EQ(j[0]["annotations"]["cause_path"], "FAB-KUM > CHP-SND (1)");
  EXPECT_EQ(j[0]["annotations"]["trigger_events"], "fire-1");
  EXPECT_EQ(j[0]["annotations"]["value_at_risk"], "72.5");
  EXPECT_EQ(j[0]["annotations"]["plan"], "TIER2: Tier-2 supplier at risk");
  EXPECT_EQ(j[0]["annotations"]["plan_actions"],
            "release safety stock for CHP-SND; notify buyers@example.com");
  EXPECT_EQ(j[1]["labels"]["alertname"], "RiskdIncident");
  EXPECT_EQ(j[1]["labels"]["incident"], "supply/1");
  EXPECT_EQ(j[1]["labels"]["severity"], "warning");
  EXPECT_EQ(j[1]["annotations"]["summary"], "fire at the Kumamoto fab");
  EXPECT_EQ(j[1]["annotations"]["description"],
            "confirmed: 1 of 1 site(s) disrupted, expected 6.25 node(s) disrupted within 30 "
            "steps, value at risk 637.5");
  EXPECT_EQ(j[1]["annotations"]["plan"], "TIER2: Tier-2 supplier at risk");
  EXPECT_EQ(j[1]["annotations"]["assignee"], "apac");
  EXPECT_EQ(j[1]["annotations"]["hazard"], "HAZARD_WILDFIRE");
  EXPECT_EQ(j[1]["startsAt"], "2026-11-18T11:06:40.000Z");  // opened at
  EXPECT_EQ(j[1]["endsAt"], "2026-11-18T11:10:50.000Z");    // open: now + 240 s
  EXPECT_EQ(j[2]["endsAt"], "2026-11-18T11:06:50.000Z");    // restored: now
}

TEST(AlertmanagerClientTest, UnreachableServerIsUnavailable) {
  AlertmanagerClient client({"http://127.0.0.1:9", std::chrono::milliseconds(500)});
  EXPECT_EQ(client.Post("[]").code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace riskd::connectors
