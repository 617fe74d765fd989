#include "daemon/settings.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace riskd::daemon {
namespace {

TEST(SettingsTest, DefaultsApplyToAMinimalConfig) {
  auto s = ParseSettings("network { csv { nodes: 'n.csv' edges: 'e.csv' } }", "/etc/riskd");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->state_dir, "/etc/riskd/state");
  EXPECT_EQ(s->database, "/etc/riskd/state/riskd.db");
  EXPECT_EQ(s->ingest_endpoint, "tcp://127.0.0.1:7750");
  EXPECT_EQ(s->publish_endpoint, "tcp://127.0.0.1:7751");
  ASSERT_EQ(s->engine.risk_types.size(), 1u);
  EXPECT_EQ(s->engine.risk_types[0].name, "supply");
  EXPECT_DOUBLE_EQ(s->engine.risk_types[0].alpha, 0.8);
  EXPECT_EQ(s->risk_type_resolver.default_risk_type, "supply");
  EXPECT_EQ(s->engine.dmp.horizon, 30);
  EXPECT_DOUBLE_EQ(s->engine.dmp.tolerance, 1e-6);
  EXPECT_EQ(s->engine.projection.method, engine::ProjectionOptions::Choice::kAuto);
  EXPECT_TRUE(s->engine.projection.defer_check);
  EXPECT_EQ(s->refine.slice_work, 2'000'000u);
  EXPECT_DOUBLE_EQ(s->refine.busy_share, 0.0);
  EXPECT_DOUBLE_EQ(s->step_seconds, 86400);
  EXPECT_DOUBLE_EQ(s->engine.alerts.warning_raise, 0.3);
  EXPECT_EQ(s->planner.k, 5);
  EXPECT_DOUBLE_EQ(s->planner.min_interval_seconds, 30);
  EXPECT_EQ(s->planner.options.realizations, 1000u);
  EXPECT_EQ(s->planner.options.sample_work, 2'000'000u);
  EXPECT_EQ(s->planner.max_query_k, 100);
}

TEST(SettingsTest, ReadsEveryKey) {
  auto s = ParseSettings(R"(
    state_dir: "/var/lib/riskd"
    endpoints { ingest: "ipc:///tmp/i" publish: "ipc:///tmp/p" }
    network { csv { nodes: "n" edges: "e" } }
    risk_types { name: "supply" alpha: 1.5 beta: 0.25 layers: LAYER_MATERIAL direction: DIRECTION_DOWNSTREAM }
    risk_types { name: "data" alpha: 0.5 layers: LAYER_DATA direction: DIRECTION_BOTH }
    default_risk_type: "data"
    hazard_risk_types { hazard: HAZARD_EARTHQUAKE risk_type: "supply" }
    projection { horizon_steps: 14 step { seconds: 3600 } tolerance: 1e-7 method: METHOD_MONTE_CARLO
                 check_realizations: 500 serve_realizations: 800 max_dmp_error: 0.02 min_check_risk: 0.05
                 seed: 42 max_check_work: 1000 max_serve_work: 2000 min_realizations: 20
                 spectral_max_iterations: 50 spectral_tolerance: 1e-4
                 defer_check: false refine_work: 5000 refine_share: 0.5 }
    vulnerability { mode: MODE_UNIFORM centrality_weight: 0.7 floor: 0.1 refresh_changes: 9 refresh_edge_fraction: 0.25 kappa: 3 }
    clock { mode: MODE_MANUAL history_window { seconds: 36000 } max_skew { seconds: 60 }
            start { seconds: 1700000000 } }
    hazard_durations { hazard: HAZARD_FLOOD duration { seconds: 7200 } }
    alert_policy { warning_raise: 0.4 warning_clear: 0.3 critical_raise: 0.8 critical_clear: 0.7 min_update_delta: 0.01 }
    ingest { max_message_bytes: 2048 max_batch: 64 queue_capacity: 100 }
    logging { level: "debug" }
    planner { k: 7 min_interval { seconds: 2 nanos: 500000000 } min_change_nodes: 2
              min_change_fraction: 0.25 realizations: 300 min_realizations: 30
              sample_work: 1000 max_work: 2000 seed: 9 max_query_k: 40 }
  )",
                         "/cfg");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->state_dir, "/var/lib/riskd");
  EXPECT_EQ(s->ingest_endpoint, "ipc:///tmp/i");
  ASSERT_EQ(s->engine.risk_types.size(), 2u);
  EXPECT_DOUBLE_EQ(s->engine.risk_types[0].beta, 0.25);
  EXPECT_DOUBLE_EQ(s->engine.risk_types[1].beta, 0.3);  // default
  EXPECT_EQ(s->engine.risk_types[1].layers, engine::LayerBit(engine::Layer::kData));
  EXPECT_EQ(s->engine.risk_types[1].direction, engine::Direction::kBoth);
  EXPECT_EQ(s->risk_type_resolver.default_risk_type, "data");
  EXPECT_EQ(s->risk_type_resolver.hazard_risk_types.at(riskd::v1::HAZARD_EARTHQUAKE), "supply");
  EXPECT_EQ(s->engine.dmp.horizon, 14);
  EXPECT_DOUBLE_EQ(s->engine.dmp.tolerance, 1e-7);
  EXPECT_DOUBLE_EQ(s->step_seconds, 3600);
  EXPECT_DOUBLE_EQ(s->engine.step_days, 3600.0 / 86400);
  const auto& po = s->engine.projection;
  EXPECT_EQ(po.method, engine::ProjectionOptions::Choice::kMonteCarlo);
  EXPECT_EQ(po.check_realizations, 500);
  EXPECT_EQ(po.serve_realizations, 800);
  EXPECT_DOUBLE_EQ(po.max_dmp_error, 0.02);
  EXPECT_DOUBLE_EQ(po.min_check_risk, 0.05);
  EXPECT_EQ(po.seed, 42u);
  EXPECT_EQ(po.max_check_work, 1000u);
  EXPECT_EQ(po.max_serve_work, 2000u);
  EXPECT_EQ(po.min_realizations, 20);
  EXPECT_EQ(s->engine.spectral.max_iterations, 50);
  EXPECT_DOUBLE_EQ(s->engine.spectral.tolerance, 1e-4);
  EXPECT_EQ(s->engine.vulnerability_refresh_changes, 9);
  EXPECT_FALSE(s->engine.projection.defer_check);
  EXPECT_EQ(s->refine.slice_work, 5000u);
  EXPECT_DOUBLE_EQ(s->refine.busy_share, 0.5);
  EXPECT_EQ(s->engine.vulnerability_refresh_edge_fraction, 0.25);
  EXPECT_EQ(s->engine.vulnerability.mode, engine::VulnerabilityOptions::Mode::kUniform);
  EXPECT_DOUBLE_EQ(s->engine.vulnerability.centrality_weight, 0.7);
  EXPECT_DOUBLE_EQ(s->engine.vulnerability.kappa, 3);
  EXPECT_TRUE(s->clock.manual);
  EXPECT_EQ(s->engine.clock.history_window_steps, 10);  // 10 hours of 1-hour steps
  EXPECT_DOUBLE_EQ(s->clock.max_skew_seconds, 60);
  EXPECT_EQ(s->clock.start_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(s->timing.step_ns, 3'600'000'000'000);
  EXPECT_EQ(s->timing.hazard_duration_ns.at(riskd::v1::HAZARD_FLOOD), 7'200'000'000'000);
  EXPECT_DOUBLE_EQ(s->engine.alerts.critical_clear, 0.7);
  EXPECT_EQ(s->max_message_bytes, 2048u);
  EXPECT_EQ(s->max_batch, 64u);
  EXPECT_EQ(s->log_level, "debug");
  EXPECT_EQ(s->planner.k, 7);
  EXPECT_DOUBLE_EQ(s->planner.min_interval_seconds, 2.5);
  EXPECT_DOUBLE_EQ(s->planner.min_change_nodes, 2);
  EXPECT_DOUBLE_EQ(s->planner.min_change_fraction, 0.25);
  EXPECT_EQ(s->planner.options.realizations, 300u);
  EXPECT_EQ(s->planner.options.min_realizations, 30u);
  EXPECT_EQ(s->planner.options.sample_work, 1000u);
  EXPECT_EQ(s->planner.options.max_work, 2000u);
  EXPECT_EQ(s->planner.options.seed, 9u);
  EXPECT_EQ(s->planner.max_query_k, 40);
}

TEST(SettingsTest, RejectsBadConfigsWithReasons) {
  auto msg = [](const std::string& text) { return ParseSettings(text, ".").status().ToString(); };
  EXPECT_NE(msg("bogus_key: 1").find("line 1"), std::string::npos);
  EXPECT_NE(msg("").find("network"), std::string::npos);
  const std::string net = "network { csv { nodes: 'n' edges: 'e' } } ";
  EXPECT_NE(msg(net + "risk_types { name: 'Bad Name' }").find("[a-z0-9_]"), std::string::npos);
  EXPECT_NE(msg(net + "risk_types { name: 'a' alpha: -1 }").find("alpha"), std::string::npos);
  EXPECT_NE(msg(net + "default_risk_type: 'x'").find("default_risk_type"), std::string::npos);
  EXPECT_NE(msg(net + "alert_policy { warning_clear: 0.5 }").find("warning_clear"),
            std::string::npos);
  EXPECT_NE(msg(net + "projection { horizon_steps: 5000 }").find("horizon"), std::string::npos);
  EXPECT_FALSE(ParseSettings(net + "projection { check_realizations: 1 }", ".").ok());
  EXPECT_FALSE(ParseSettings(net + "projection { max_dmp_error: 2 }", ".").ok());
  EXPECT_NE(msg(net + "projection { refine_work: 0 }").find("projection.refine_work"),
            std::string::npos);
  EXPECT_NE(msg(net + "projection { refine_share: 1 }").find("projection.refine_share"),
            std::string::npos);
  EXPECT_NE(msg(net + "projection { refine_share: -0.1 }").find("projection.refine_share"),
            std::string::npos);
  EXPECT_NE(msg(net + "logging { level: 'loud' }").find("logging.level"), std::string::npos);
  EXPECT_NE(msg(net + "vulnerability { kappa: 0.5 }").find("vulnerability.kappa"),
            std::string::npos);
  EXPECT_NE(msg(net + "clock { history_window { seconds: 0 } }").find("clock.history_window"),
            std::string::npos);
  EXPECT_NE(msg(net + "clock { max_skew { seconds: -5 } }").find("clock.max_skew"),
            std::string::npos);
  EXPECT_NE(msg(net + "clock { start { seconds: 5 } }").find("MODE_MANUAL"), std::string::npos);
  EXPECT_EQ(msg(net + "clock { mode: MODE_MANUAL start { seconds: 253370764800 } }"),
            "invalid_argument: config: clock.start must be before 2162-01-01T00:00:00Z");
  EXPECT_NE(msg(net + "projection { step { nanos: 5000 } }").find("projection.step must be >= 1 s"),
            std::string::npos);
  EXPECT_NE(msg(net + "hazard_durations { hazard: HAZARD_FLOOD }").find("hazard_durations"),
            std::string::npos);
  // Seconds whose nanoseconds overflow int64 (found by the config fuzzer).
  EXPECT_NE(
      msg(net +
          "hazard_durations { hazard: HAZARD_FLOOD duration { seconds: 120960044444444444 } }")
          .find("at most 100 years"),
      std::string::npos);
  EXPECT_NE(msg(net + "incidents { close_after { seconds: 9223372036854775807 } }")
                .find("incidents.close_after must be in 0..100 years"),
            std::string::npos);
  EXPECT_NE(msg(net + "endpoints { ingest: 'tcp://x:1' publish: 'tcp://x:1' }").find("differ"),
            std::string::npos);
  EXPECT_NE(msg(net + "planner { k: -1 }").find("planner.k"), std::string::npos);
  EXPECT_NE(msg(net + "planner { min_change_nodes: -1 }").find("min_change"), std::string::npos);
  EXPECT_NE(msg(net + "planner { realizations: 0 }").find("planner.realizations"),
            std::string::npos);
  EXPECT_NE(msg(net + "planner { realizations: 10 min_realizations: 11 }").find("min_realizations"),
            std::string::npos);
  EXPECT_NE(msg(net + "planner { max_query_k: 0 }").find("max_query_k"), std::string::npos);
  EXPECT_NE(msg(net + "planner { min_interval { seconds: -1 } }").find("min_interval"),
            std::string::npos);
  // Any Duration: nanos 0..999999999 (it was read as 32 s), seconds >= 0.
  EXPECT_EQ(msg(net + "planner { min_interval { seconds: 30 nanos: 2000000000 } }"),
            "invalid_argument: config: planner.min_interval has nanos 2000000000, outside "
            "0..999999999 (whole seconds go in seconds)");
  EXPECT_EQ(msg(net + "alertmanager { timeout { nanos: -5 } }"),
            "invalid_argument: config: alertmanager.timeout has nanos -5, outside "
            "0..999999999 (whole seconds go in seconds)");
  EXPECT_EQ(msg(net + "nats { lease { ttl { seconds: -2 } } }"),
            "invalid_argument: config: nats.lease.ttl has seconds -2, must be >= 0");
  EXPECT_EQ(msg(net + "hazard_durations { hazard: HAZARD_FLOOD duration { seconds: 5 } }\n"
                      "hazard_durations { hazard: HAZARD_STORM duration { nanos: 1000000000 } }"),
            "invalid_argument: config: hazard_durations[1].duration has nanos 1000000000, "
            "outside 0..999999999 (whole seconds go in seconds)");
}

TEST(SettingsTest, MaterialChangeNeedsBothTheAbsoluteAndTheRelativeStep) {
  PlannerSettings p;                          // 0.5 nodes and 10%
  EXPECT_TRUE(MaterialChange(p, 0, 1));       // the first disruption
  EXPECT_FALSE(MaterialChange(p, 0, 0.4));    // under half a node
  EXPECT_FALSE(MaterialChange(p, 100, 108));  // 8 nodes, but under 10%
  EXPECT_TRUE(MaterialChange(p, 100, 112));
  EXPECT_TRUE(MaterialChange(p, 112, 100));  // falling counts too
  EXPECT_FALSE(MaterialChange(p, 3, 3));
  p.min_change_nodes = 0;
  p.min_change_fraction = 0;
  EXPECT_TRUE(MaterialChange(p, 3, 3.01));  // every change
  EXPECT_FALSE(MaterialChange(p, 3, 3));
}

TEST(SettingsTest, NonLocalEndpointsRequireCurve) {
  // The rule itself: listener_rule_test.cc.
  auto s = ParseSettings(
      "network { csv { nodes: 'n' edges: 'e' } } endpoints { ingest: 'tcp://*:7750' }", ".");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a loopback address"), std::string::npos)
      << s.status().ToString();
  s = ParseSettings(
      "network { csv { nodes: 'n' edges: 'e' } } security { server_cert: '/nonexistent.cert' }",
      ".");
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound) << s.status().ToString();
  s = ParseSettings("network { csv { nodes: 'n' edges: 'e' } } security { clients { name: 'x' } }",
                    ".");
  EXPECT_NE(s.status().message().find("server_cert"), std::string::npos);
}

TEST(SettingsTest, TheShippedExampleConfigIsValid) {
  const char* src = std::getenv("RISKD_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto s = LoadSettings(std::string(src) + "/config/riskd.conf");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->config.network().supplygraph().directory(), "../data/supplygraph");
  EXPECT_EQ(s->config.network().locations_csv(), "demo/supplygraph_locations.csv");
  EXPECT_FALSE(s->clock.manual);
  // The demo's (scripts/demo.sh): the same network, a manual clock.
  auto demo = LoadSettings(std::string(src) + "/config/demo/replay.conf");
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  EXPECT_TRUE(demo->clock.manual);
  EXPECT_TRUE(demo->clock.start_ns.has_value());
  EXPECT_EQ(demo->timing.hazard_duration_ns.size(), 3u);
}

// A config path that names a directory, a device or a runaway file is
// refused with the reason, not read without bound (SIGHUP re-reads it in
// the running daemon; /dev/zero once took 16 GB before anyone noticed).
TEST(SettingsTest, OnlyARegularFileOfBoundedSizeIsReadAsTheConfig) {
  const std::string dir = ::testing::TempDir() + "/settings_test_config_dir";
  std::filesystem::create_directories(dir);
  auto as_dir = LoadSettings(dir);
  ASSERT_FALSE(as_dir.ok());
  EXPECT_EQ(as_dir.status().ToString(),
            "invalid_argument: config file '" + dir + "' is not a regular file");

  const std::string big = dir + "/big.conf";
  {
    std::ofstream out(big);
    out << "network { csv { nodes: 'n.csv' edges: 'e.csv' } }\n";
    out << std::string(kMaxConfigBytes, '#') << "\n";
  }
  auto over = LoadSettings(big);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().ToString(),
            "resource_exhausted: config file '" + big + "' is larger than 16777216 bytes");
  std::filesystem::remove_all(dir);
  auto device = LoadSettings("/dev/zero");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().ToString(),
            "invalid_argument: config file '/dev/zero' is not a regular file");
}

}  // namespace
}  // namespace riskd::daemon

namespace riskd::daemon {
namespace {

// docs/configuration.md's key table, as {key -> (default, live)}.
std::map<std::string, std::pair<std::string, bool>> DocumentedKeys(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::pair<std::string, bool>> out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::size_t start = 1;
    for (std::size_t bar = line.find('|', start); bar != std::string::npos;
         bar = line.find('|', start)) {
      std::string cell = line.substr(start, bar - start);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
      start = bar + 1;
    }
    if (cells.size() < 4) continue;
    auto unquote = [](std::string s) {
      if (s.size() >= 2 && s.front() == '`' && s.back() == '`') s = s.substr(1, s.size() - 2);
      return s;
    };
    out[unquote(cells[0])] = {unquote(cells[1]), cells[2] == "yes"};
  }
  return out;
}

TEST(SettingsTableTest, DocsListEveryKeyWithItsDefaultAndWhetherItReloads) {
  const char* src = std::getenv("RISKD_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const auto documented = DocumentedKeys(std::string(src) + "/docs/configuration.md");
  ASSERT_FALSE(documented.empty());
  std::set<std::string> keys;
  for (const SettingRow& row : SettingsTable()) {
    const std::string key(row.key);
    EXPECT_TRUE(keys.insert(key).second) << key << " is in the table twice";
    auto it = documented.find(key);
    if (it == documented.end()) {
      ADD_FAILURE() << "docs/configuration.md does not list " << key;
      continue;
    }
    EXPECT_EQ(it->second.first, row.default_text) << key;
    EXPECT_EQ(it->second.second, row.reloads_live) << key;
  }
  for (const auto& [key, unused] : documented) {
    EXPECT_TRUE(keys.count(key)) << "docs/configuration.md lists " << key << ", the table does not";
  }
}

TEST(SettingsTableTest, EveryTableKeyNamesAConfigField) {
  // "a.b[].c" -> DaemonConfig field a, its message's b (repeated), then c.
  for (const SettingRow& row : SettingsTable()) {
    const google::protobuf::Descriptor* message = riskd::v1::DaemonConfig::descriptor();
    std::string key(row.key);
    std::size_t start = 0;
    while (message != nullptr && start <= key.size()) {
      const auto dot = key.find('.', start);
      std::string name =
          key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (name.size() > 2 && name.substr(name.size() - 2) == "[]") name.resize(name.size() - 2);
      const auto* field = message->FindFieldByName(name);
      ASSERT_NE(field, nullptr) << row.key << ": no field " << name;
      message = field->message_type();
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
}

TEST(SettingsTableTest, OneDefaultPerKnob) {
  // The DMP tolerance had two: 1e-9 in the engine, 1e-6 in the daemon.
  auto s = ParseSettings("network { csv { nodes: 'n' edges: 'e' } }", ".");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->engine.dmp.tolerance, engine::DmpOptions{}.tolerance);
  EXPECT_EQ(std::to_string(engine::DmpOptions{}.tolerance), std::to_string(1e-06));
  EXPECT_EQ(FindSetting("projection.tolerance")->default_text, "1e-06");
  EXPECT_EQ(s->engine.alerts.warning_raise, engine::AlertPolicyOptions{}.warning_raise);
  EXPECT_EQ(s->engine.projection.check_realizations,
            engine::ProjectionOptions{}.check_realizations);
}

// A FIFO at the config path: opening it blocked until a writer came, so
// `riskd --check-config` and a SIGHUP reload hung. Refused at once now; a
// symlink to a regular file is still read (the file it names).
TEST(SettingsTest, AFifoIsRefusedAtOnceAndASymlinkToAFileIsRead) {
  const std::string dir = ::testing::TempDir() + "/settings_test_fifo";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string fifo = dir + "/riskd.conf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto as_fifo = LoadSettings(fifo);
  ASSERT_FALSE(as_fifo.ok());
  EXPECT_EQ(as_fifo.status().ToString(),
            "invalid_argument: config file '" + fifo + "' is not a regular file");

  const std::string file = dir + "/real.conf";
  {
    std::ofstream out(file);
    out << "network { csv { nodes: 'n.csv' edges: 'e.csv' } }\n";
  }
  const std::string link = dir + "/link.conf";
  std::filesystem::create_symlink(file, link);
  auto linked = LoadSettings(link);
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  EXPECT_EQ(linked->config.network().csv().nodes(), "n.csv");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace riskd::daemon
