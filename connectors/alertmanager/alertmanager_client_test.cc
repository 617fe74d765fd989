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
  const auto j = nlohmann::json::parse(
      ToAlertmanagerJson({{a, false}, {resolved, false}, {a, true}}, now, std::chrono::seconds(240), "http://dash"));
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

TEST(AlertmanagerClientTest, UnreachableServerIsUnavailable) {
  AlertmanagerClient client({"http://127.0.0.1:9", std::chrono::milliseconds(500)});
  EXPECT_EQ(client.Post("[]").code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace riskd::connectors
