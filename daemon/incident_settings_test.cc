#include "daemon/incident_settings.h"

#include <gtest/gtest.h>

#include "daemon/settings.h"

namespace riskd::daemon {
namespace {

const std::string kNet = "network { csv { nodes: 'n' edges: 'e' } } ";

TEST(IncidentSettingsTest, DefaultsAndEveryKey) {
  auto d = ParseSettings(kNet, ".");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const auto& o = d->incidents.options;
  EXPECT_EQ(o.top_nodes, 10);
  EXPECT_EQ(o.alert_top_n, 20);
  EXPECT_EQ(o.alert_max_tier, 1);
  EXPECT_EQ(o.max_alerts_per_incident, 50);
  EXPECT_EQ(o.close_after_ns, 86'400'000'000'000);
  EXPECT_EQ(o.retain_closed, 1000);
  EXPECT_EQ(o.retain_restored, 1000);
  EXPECT_DOUBLE_EQ(o.min_change_fraction, 0.1);
  EXPECT_DOUBLE_EQ(d->max_place_area_km2, 3.2e6);
  EXPECT_TRUE(d->incidents.plans.empty());

  auto s = ParseSettings(kNet + R"(
    risk_types { name: "supply" } risk_types { name: "data" layers: LAYER_DATA }
    alert_policy { min_update_delta: 0.02 }
    ingest { max_place_area_km2: 0 }
    incidents { top_nodes: 5 alert_top_n: 7 alert_max_tier: -1 max_alerts_per_incident: 9
                close_after { seconds: 3600 } retain_closed: 12 retain_restored: 7 min_change_fraction: 0.5 }
    plans { id: "P1" title: "One" risk_type: "data" node_kinds: ["plant", "oem"] max_tier: 2
            min_level: SEVERITY_CRITICAL activate_alternates: true release_safety_stock: true
            notify: "ops@example.com" }
    plans { id: "P2" notify: "duty" }
    watchlists { name: "vip" node_ids: ["A", "B"] risk_type: "supply" warning_raise: 0.1
                 warning_clear: 0.05 }
  )",
                         ".");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& i = s->incidents;
  EXPECT_EQ(i.options.top_nodes, 5);
  EXPECT_EQ(i.options.alert_top_n, 7);
  EXPECT_EQ(i.options.alert_max_tier, -1);
  EXPECT_EQ(i.options.max_alerts_per_incident, 9);
  EXPECT_EQ(i.options.close_after_ns, 3'600'000'000'000);
  EXPECT_EQ(i.options.retain_closed, 12);
  EXPECT_EQ(i.options.retain_restored, 7);
  EXPECT_DOUBLE_EQ(i.options.min_change_fraction, 0.5);
  EXPECT_DOUBLE_EQ(i.options.min_update_delta, 0.02);
  EXPECT_DOUBLE_EQ(s->max_place_area_km2, 0);
  ASSERT_EQ(i.plans.size(), 2u);
  EXPECT_EQ(i.plans[0].id, "P1");
  EXPECT_EQ(i.plans[0].risk_type, 1);
  EXPECT_EQ(i.plans[0].node_kinds, (std::vector<std::string>{"plant", "oem"}));
  EXPECT_EQ(i.plans[0].max_tier, 2);
  EXPECT_EQ(i.plans[0].min_level, engine::AlertLevel::kCritical);
  EXPECT_TRUE(i.plans[0].activate_alternates && i.plans[0].release_safety_stock);
  EXPECT_EQ(i.plans[0].notify, "ops@example.com");
  EXPECT_EQ(i.plans[1].title, "P2");  // the id when untitled
  EXPECT_EQ(i.plans[1].risk_type, -1);
  EXPECT_EQ(i.plans[1].min_level, engine::AlertLevel::kWarning);
  ASSERT_EQ(i.watchlists.size(), 1u);
  EXPECT_EQ(i.watchlists[0].risk_type, 0);
  EXPECT_DOUBLE_EQ(i.watchlists[0].thresholds.warning_raise, 0.1);
  EXPECT_DOUBLE_EQ(i.watchlists[0].thresholds.critical_raise, 0.7);  // alert_policy's
}

TEST(IncidentSettingsTest, RejectsBadValuesWithReasons) {
  auto msg = [](const std::string& text) {
    return ParseSettings(kNet + text, ".").status().ToString();
  };
  EXPECT_NE(msg("incidents { top_nodes: 101 }").find("incidents.top_nodes"), std::string::npos);
  EXPECT_NE(msg("incidents { alert_max_tier: -2 }").find("alert_max_tier"), std::string::npos);
  EXPECT_NE(msg("incidents { min_change_fraction: 2 }").find("min_change_fraction"),
            std::string::npos);
  EXPECT_NE(msg("incidents { close_after { seconds: -5 } }").find("close_after"),
            std::string::npos);
  EXPECT_NE(msg("plans { id: 'bad id' notify: 'x' }").find("[A-Za-z0-9_.-]"), std::string::npos);
  EXPECT_NE(msg("plans { id: 'A' notify: 'x' } plans { id: 'A' notify: 'y' }").find("twice"),
            std::string::npos);
  EXPECT_NE(msg("plans { id: 'A' }").find("has no action"), std::string::npos);
  EXPECT_NE(msg("plans { id: 'A' notify: 'x' risk_type: 'nope' }").find("unknown risk type"),
            std::string::npos);
  EXPECT_NE(msg("plans { id: 'A' notify: 'x' min_level: SEVERITY_INFO }").find("min_level"),
            std::string::npos);
  EXPECT_NE(msg("watchlists { name: 'w' }").find("needs node_ids"), std::string::npos);
  EXPECT_NE(msg("watchlists { name: 'w' node_ids: 'a' warning_raise: 0.9 }").find("watchlists 'w'"),
            std::string::npos);
  EXPECT_NE(msg("ingest { max_place_area_km2: -1 }").find("max_place_area_km2"), std::string::npos);
}

}  // namespace
}  // namespace riskd::daemon
