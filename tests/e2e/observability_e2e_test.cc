// The daemon against real monitoring servers on loopback: a real Prometheus
// scrapes its metrics endpoint, and a real Alertmanager receives its alerts
// (raised, then resolved).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/server_process.h"

namespace riskd::testing {
namespace {

namespace fs = std::filesystem;
using riskd::v1::Ack;
using riskd::v1::Envelope;

std::string DemoConfig() {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo + "edges.csv\" } }\n";
}

Envelope Disrupt(const std::string& id, const std::string& node) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  e.mutable_disruption()->set_severity(1.0);
  e.mutable_disruption()->add_node_ids(node);
  return e;
}

TEST(ObservabilityE2ETest, PrometheusScrapesTheDaemonsMetrics) {
  ASSERT_TRUE(fs::exists("/usr/bin/prometheus")) << "install prometheus (scripts/install-deps.sh)";
  DaemonHarness h(DemoConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  std::smatch m;
  const std::string log = h.log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("metrics on .* \\(port ([0-9]+)\\)"))) << log;
  const std::string metrics_port = m[1];

  ASSERT_EQ(h.Send(Disrupt("m-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(Disrupt("m-1", "FAB-KUM"))->result(), Ack::RESULT_DUPLICATE);
  ASSERT_EQ(h.Send(Disrupt("m-2", "NOPE"))->result(), Ack::RESULT_REJECTED);

  // The endpoint itself, in the Prometheus text format.
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto body = HttpGet("http://127.0.0.1:" + metrics_port + "/metrics");
        text = body.value_or("");
        return text.find("riskd_ingest_accepted_total 1") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << text;
  EXPECT_NE(text.find("# TYPE riskd_ingest_rejected_total counter"), std::string::npos);
  EXPECT_NE(text.find("riskd_ingest_rejected_total 1"), std::string::npos);
  EXPECT_NE(text.find("riskd_ingest_duplicates_total 1"), std::string::npos);

  // A real Prometheus scraping it.
  const fs::path dir = h.dir() / "prometheus";
  fs::create_directories(dir);
  const int prom_port = FreeLoopbackPort();
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n"
                                           "scrape_configs:\n  - job_name: riskd\n"
                                           "    static_configs:\n      - targets: ['127.0.0.1:"
                                        << metrics_port << "']\n";
  ServerProcess prometheus({"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                            "--storage.tsdb.path=" + (dir / "data").string(),
                            "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                           dir / "prometheus.log");
  const std::string query = "http://127.0.0.1:" + std::to_string(prom_port) +
                            "/api/v1/query?query=riskd_ingest_accepted_total";
  std::string answer;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto body = HttpGet(query);
        if (!body) return false;
        answer = *body;
        auto j = nlohmann::json::parse(*body, nullptr, false);
        return !j.is_discarded() && j["status"] == "success" && !j["data"]["result"].empty() &&
               j["data"]["result"][0]["value"][1] == "1";
      },
      std::chrono::seconds(40)))
      << answer;
  EXPECT_EQ(h.Stop(), 0);
}

TEST(ObservabilityE2ETest, AlertmanagerReceivesRaisedThenResolvedAlerts) {
  ASSERT_TRUE(fs::exists("/usr/bin/prometheus-alertmanager"))
      << "install prometheus-alertmanager (scripts/install-deps.sh)";
  const fs::path dir = fs::temp_directory_path() / ("riskd_am_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "am.yml") << "route:\n  receiver: 'null'\n  group_wait: 0s\nreceivers:\n  - name: 'null'\n";
  const int am_port = FreeLoopbackPort();
  const std::string am = "http://127.0.0.1:" + std::to_string(am_port);
  ServerProcess alertmanager({"/usr/bin/prometheus-alertmanager",
                              "--config.file=" + (dir / "am.yml").string(),
                              "--storage.path=" + (dir / "data").string(),
                              "--web.listen-address=127.0.0.1:" + std::to_string(am_port),
                              "--cluster.listen-address="},
                             dir / "alertmanager.log");
  ASSERT_TRUE(WaitFor([&] { return HttpGet(am + "/-/ready").has_value(); }, std::chrono::seconds(30)));

  // The daemon starts without Alertmanager; the target arrives with a
  // reload (it reloads live).
  DaemonHarness h(DemoConfig());
  ASSERT_TRUE(h.Start());
  std::ofstream(h.config_path(), std::ios::app) << "alertmanager { url: \"" << am << "\" }\n";
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(h.WaitForLog("config reloaded: applied: alertmanager.url")) << h.log();
  ASSERT_EQ(h.Send(Disrupt("am-1", "FAB-KUM"))->result(), Ack::RESULT_ACCEPTED);

  auto active_for = [&](const std::string& node) -> nlohmann::json {
    auto body = HttpGet(am + "/api/v2/alerts?active=true&silenced=false&inhibited=false");
    if (!body) return nullptr;
    for (const auto& a : nlohmann::json::parse(*body)) {
      if (a["labels"]["node"] == node) return a;
    }
    return nullptr;
  };
  nlohmann::json alert;
  ASSERT_TRUE(WaitFor([&] { return !(alert = active_for("ECU-NGO")).is_null(); }, std::chrono::seconds(20)))
      << h.log();
  EXPECT_EQ(alert["labels"]["alertname"], "RiskdNodeAtRisk");
  EXPECT_EQ(alert["labels"]["risk_type"], "supply");
  EXPECT_EQ(alert["annotations"]["riskd_alert_id"], "supply/ECU-NGO/1");
  EXPECT_EQ(alert["status"]["state"], "active");

  // Protecting the node resolves its alert; Alertmanager stops listing it.
  Envelope protect;
  protect.set_event_id("am-2");
  protect.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  protect.mutable_intervention()->add_node_ids("ECU-NGO");
  ASSERT_EQ(h.Send(protect)->result(), Ack::RESULT_ACCEPTED);
  EXPECT_TRUE(WaitFor([&] { return active_for("ECU-NGO").is_null(); }, std::chrono::seconds(20)));
  EXPECT_EQ(h.Stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace riskd::testing
