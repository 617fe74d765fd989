#include "daemon/config_reload.h"

#include <gtest/gtest.h>

namespace riskd::daemon {
namespace {

const char kBase[] = R"(
  network { csv { nodes: 'n' edges: 'e' } }
  risk_types { name: 'supply' alpha: 0.8 }
  risk_types { name: 'data' alpha: 1.2 layers: LAYER_DATA }
  alert_policy { warning_raise: 0.3 }
  projection { horizon_steps: 30 }
  logging { level: 'info' }
)";

DaemonSettings Parse(const std::string& text) {
  auto s = ParseSettings(text, "/cfg");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : DaemonSettings{};
}

TEST(ConfigReloadTest, LiveKeysApplyAndRestartKeysAreNamedAndKept) {
  const DaemonSettings running = Parse(kBase);
  std::string changed = kBase;
  changed.replace(changed.find("alpha: 1.2"), 10, "alpha: 2.5");                  // live
  changed.replace(changed.find("warning_raise: 0.3"), 18, "warning_raise: 0.4");  // live
  changed.replace(changed.find("horizon_steps: 30"), 17, "horizon_steps: 12");    // restart
  changed.replace(changed.find("'info'"), 6, "'debug'");                          // live
  auto plan = PlanReload(running, Parse(changed));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->live, (std::vector<std::string>{"risk_types[].alpha",
                                                  "alert_policy.warning_raise", "logging.level"}));
  EXPECT_EQ(plan->restart, std::vector<std::string>{"projection.horizon_steps"});
  EXPECT_DOUBLE_EQ(plan->applied.engine.risk_types[1].alpha, 2.5);
  EXPECT_DOUBLE_EQ(plan->applied.engine.risk_types[0].alpha, 0.8);
  EXPECT_DOUBLE_EQ(plan->applied.engine.alerts.warning_raise, 0.4);
  EXPECT_EQ(plan->applied.log_level, "debug");
  EXPECT_EQ(plan->applied.engine.dmp.horizon, 30);  // kept until a restart
}

TEST(ConfigReloadTest, RenamedOrAddedRiskTypesNeedARestart) {
  const DaemonSettings running = Parse(kBase);
  auto plan = PlanReload(running, Parse(std::string(kBase) + "risk_types { name: 'credit' }"));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->restart, std::vector<std::string>{"risk_types[].name"});
  EXPECT_TRUE(plan->live.empty());
  EXPECT_EQ(plan->applied.engine.risk_types.size(), 2u);
}

TEST(ConfigReloadTest, NothingChangedMeansAnEmptyPlan) {
  const DaemonSettings running = Parse(kBase);
  auto plan = PlanReload(running, Parse(kBase));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->live.empty());
  EXPECT_TRUE(plan->restart.empty());
}

TEST(ConfigReloadTest, FeedsComeAndGoLive) {
  const DaemonSettings running =
      Parse(std::string(kBase) + "feeds { name: 'a' adapter: 'gdacs_rss' url: 'a.xml' }");
  auto plan =
      PlanReload(running, Parse(std::string(kBase) +
                                "feeds { name: 'a' adapter: 'gdacs_rss' url: 'a2.xml' }\n"
                                "feeds { name: 'b' adapter: 'usgs_geojson' url: 'b.json' }"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->live, (std::vector<std::string>{"feeds[].name", "feeds[].url"}));
  ASSERT_EQ(plan->applied.config.feeds_size(), 2);
  EXPECT_EQ(plan->applied.config.feeds(0).url(), "a2.xml");
  EXPECT_EQ(plan->applied.config.feeds(1).name(), "b");
  auto none = PlanReload(running, Parse(kBase));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->applied.config.feeds_size(), 0);
}

TEST(ConfigReloadTest, KeyValueTextFollowsRepeatedElementsByName) {
  const DaemonSettings s = Parse(kBase);
  EXPECT_EQ(KeyValueText(s.config, "risk_types[].alpha"), "[supply]alpha: 0.8;[data]alpha: 1.2;");
  EXPECT_EQ(KeyValueText(s.config, "alert_policy.warning_raise"), "warning_raise: 0.3");
  EXPECT_EQ(KeyValueText(s.config, "metrics.listen"), "");
}

}  // namespace
}  // namespace riskd::daemon
