// The daemon against real monitoring servers on loopback: a real Prometheus
// scrapes its metrics endpoint, and a real Alertmanager receives its alerts
// (raised, then resolved).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/server_process.h"

namespace riskd::testing {
namespace {

// An alert's label, or "" when it has none of that name (an incident's alert
// carries no node label): a const json's operator[] must never be given a
// missing key (it asserts in Debug builds).
std::string Label(const nlohmann::json& alert, const std::string& name) {
  return alert.value(nlohmann::json::json_pointer("/labels/" + name), std::string());
}

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

  // The endpoint itself, in the Prometheus text format. The daemon copies
  // its counters into the endpoint once per tick, so a copy taken between
  // two of the answers above shows only some of them: wait for all three.
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto body = HttpGet("http://127.0.0.1:" + metrics_port + "/metrics");
        text = body.value_or("");
        return text.find("riskd_ingest_accepted_total 1") != std::string::npos &&
               text.find("riskd_ingest_rejected_total 1") != std::string::npos &&
               text.find("riskd_ingest_duplicates_total 1") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << text;
  EXPECT_NE(text.find("# TYPE riskd_ingest_rejected_total counter"), std::string::npos);

  // A real Prometheus scraping it.
  const fs::path dir = h.dir() / "prometheus";
  fs::create_directories(dir);
  const int prom_port = FreeLoopbackPort();
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n"
                                           "scrape_configs:\n  - job_name: riskd\n"
                                           "    static_configs:\n      - targets: ['127.0.0.1:"
                                        << metrics_port << "']\n";
  ServerProcess prometheus(
      {"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      dir / "prometheus.log");
  // One PromQL instant query: the result vector (null until it answers).
  auto promql = [&](const std::string& expression) -> nlohmann::json {
    std::string encoded;
    for (char c : expression) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        encoded += c;
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
        encoded += hex;
      }
    }
    auto body =
        HttpGet("http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=" + encoded);
    if (!body) return nullptr;
    auto j = nlohmann::json::parse(*body, nullptr, false);
    if (j.is_discarded() || j["status"] != "success") return nullptr;
    return j["data"]["result"];
  };
  // The value of a query answering one series.
  auto scalar = [&](const std::string& expression) -> std::optional<double> {
    auto r = promql(expression);
    if (r.is_null() || r.size() != 1) return std::nullopt;
    return std::stod(r[0]["value"][1].get<std::string>());
  };
  // Counted at ingest, the gauges after the projection: wait for a scrape
  // that holds both.
  EXPECT_TRUE(WaitFor(
      [&] {
        return scalar("riskd_ingest_accepted_total") == 1.0 &&
               scalar("riskd_incidents_open{risk_type=\"supply\",level=\"critical\"}") == 1.0;
      },
      std::chrono::seconds(40)))
      << promql("riskd_ingest_accepted_total").dump();
  // Rejections by reason code, latency histograms, open incidents and alerts
  // by level, expected disrupted per risk type.
  EXPECT_EQ(scalar("riskd_ingest_rejected_by_reason_total{code=\"not_found\"}"), 1.0);
  EXPECT_GE(scalar("riskd_journal_commit_seconds_count").value_or(0), 1.0);
  EXPECT_GT(scalar("riskd_journal_commit_seconds_bucket{le=\"+Inf\"}").value_or(0), 0.0);
  EXPECT_GE(scalar("riskd_projection_seconds_count").value_or(0), 1.0);
  EXPECT_EQ(scalar("riskd_incidents_open{risk_type=\"supply\",level=\"critical\"}"), 1.0);
  EXPECT_EQ(scalar("riskd_incidents_open{risk_type=\"supply\",level=\"warning\"}"), 0.0);
  EXPECT_GT(scalar("riskd_alerts_open{risk_type=\"supply\",level=\"critical\"}").value_or(0), 0.0);
  EXPECT_GT(scalar("riskd_alerts_pushed_open{risk_type=\"supply\",level=\"critical\"}").value_or(0),
            0.0);
  EXPECT_GT(scalar("riskd_expected_disrupted{risk_type=\"supply\"}").value_or(0), 1.0);
  // No series is labelled by node (labels stay few and bounded).
  const auto by_node = promql("{__name__=~\"riskd_.*\", node!=\"\"}");
  EXPECT_TRUE(by_node.is_array() && by_node.empty()) << by_node.dump();
  const auto labels = promql("count by (__name__) ({__name__=~\"riskd_.*\"})");
  ASSERT_TRUE(labels.is_array());
  EXPECT_GT(labels.size(), 20u);
  EXPECT_EQ(h.Stop(), 0);
}

// A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback
// port, with `config` as its YAML, in a fresh directory; killed at the end.
class Alertmanager {
 public:
  Alertmanager(const std::string& name, const std::string& config)
      : dir_(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))),
        port_(FreeLoopbackPort()) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "am.yml") << config;
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{
            "/usr/bin/prometheus-alertmanager", "--config.file=" + (dir_ / "am.yml").string(),
            "--storage.path=" + (dir_ / "data").string(),
            "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
        dir_ / "alertmanager.log");
  }
  ~Alertmanager() {
    server_.reset();
    fs::remove_all(dir_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool Ready() {
    return WaitFor([&] { return HttpGet(url() + "/-/ready").has_value(); },
                   std::chrono::seconds(30));
  }

 private:
  fs::path dir_;
  int port_;
  std::unique_ptr<ServerProcess> server_;
};

TEST(ObservabilityE2ETest, AlertmanagerReceivesRaisedThenResolvedAlerts) {
  ASSERT_TRUE(fs::exists("/usr/bin/prometheus-alertmanager"))
      << "install prometheus-alertmanager (scripts/install-deps.sh)";
  Alertmanager alertmanager(
      "riskd_am", "route:\n  receiver: 'null'\n  group_wait: 0s\nreceivers:\n  - name: 'null'\n");
  ASSERT_TRUE(alertmanager.Ready());
  const std::string am = alertmanager.url();

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
      if (Label(a, "node") == node) return a;
    }
    return nullptr;
  };
  nlohmann::json alert;
  ASSERT_TRUE(
      WaitFor([&] { return !(alert = active_for("ECU-NGO")).is_null(); }, std::chrono::seconds(20)))
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
}

TEST(ObservabilityE2ETest, AlertmanagerGroupsByIncidentAndTheWebhookGetsTheIncidentWithItsPlan) {
  ASSERT_TRUE(fs::exists("/usr/bin/prometheus-alertmanager"))
      << "install prometheus-alertmanager (scripts/install-deps.sh)";
  // The workflow engine: a webhook receiver Alertmanager notifies, one
  // notification per incident (group_by: incident).
  HttpReceiver workflow;
  ASSERT_GT(workflow.port(), 0);
  Alertmanager alertmanager(
      "riskd_amw",
      "route:\n  receiver: workflow\n  group_by: ['incident']\n  group_wait: 1s\n"
      "  group_interval: 1s\n  repeat_interval: 1h\n"
      "receivers:\n  - name: workflow\n    webhook_configs:\n"
      "      - url: 'http://127.0.0.1:" +
          std::to_string(workflow.port()) + "/riskd'\n        send_resolved: true\n");
  ASSERT_TRUE(alertmanager.Ready());
  const std::string am = alertmanager.url();

  DaemonHarness h(DemoConfig() + "alertmanager { url: \"" + am + "\" }\n" +
                  "plans { id: \"TIER2-SUPPLIER\" title: \"Tier-2 supplier at risk\" "
                  "node_kinds: \"supplier\" max_tier: 2 activate_alternates: true "
                  "release_safety_stock: true notify: \"buyers@example.com\" }\n");
  ASSERT_TRUE(h.Start());
  Envelope fire = Disrupt("wf-1", "FAB-KUM");
  fire.mutable_disruption()->set_title("fire at the Kumamoto fab");
  ASSERT_EQ(h.Send(fire)->result(), Ack::RESULT_ACCEPTED);

  // The receiver gets the incident, grouped by it, with its plan.
  auto notification = [&](const std::string& status) -> nlohmann::json {
    for (const auto& r : workflow.Requests()) {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_discarded() || r.path != "/riskd" || j["status"] != status) continue;
      if (j["groupLabels"]["incident"] != "supply/1") continue;
      for (const auto& a : j["alerts"]) {
        if (Label(a, "alertname") == "RiskdIncident") return j;
      }
    }
    return nullptr;
  };
  nlohmann::json firing;
  ASSERT_TRUE(WaitFor([&] { return !(firing = notification("firing")).is_null(); },
                      std::chrono::seconds(30)))
      << h.log();
  EXPECT_EQ(firing["receiver"], "workflow");
  nlohmann::json incident, chp;
  for (const auto& a : firing["alerts"]) {
    EXPECT_EQ(Label(a, "incident"), "supply/1") << a.dump();
    if (Label(a, "alertname") == "RiskdIncident") incident = a;
    if (Label(a, "node") == "CHP-SND") chp = a;
  }
  ASSERT_FALSE(incident.is_null());
  EXPECT_EQ(incident["annotations"]["summary"], "fire at the Kumamoto fab");
  EXPECT_EQ(incident["annotations"]["riskd_incident_id"], "supply/1");
  EXPECT_EQ(incident["annotations"]["sources"], "FAB-KUM");
  EXPECT_EQ(incident["annotations"]["plan"], "TIER2-SUPPLIER: Tier-2 supplier at risk");
  const std::string actions = incident["annotations"]["plan_actions"];
  EXPECT_NE(
      actions.find("activate alternate suppliers FAB-KUM for CHP-SND (Sendai chip packaging)"),
      std::string::npos)
      << actions;
  EXPECT_NE(actions.find("notify buyers@example.com"), std::string::npos) << actions;
  ASSERT_FALSE(chp.is_null()) << firing.dump();
  EXPECT_EQ(chp["labels"]["alertname"], "RiskdNodeAtRisk");
  EXPECT_EQ(chp["annotations"]["plan"], "TIER2-SUPPLIER: Tier-2 supplier at risk");
  EXPECT_EQ(chp["annotations"]["trigger_events"], "wf-1");

  // The operator marks it restored: the receiver hears that the incident
  // and its alerts are resolved.
  Envelope restored;
  restored.set_event_id("wf-2");
  restored.mutable_operator_action()->set_incident_id("supply/1");
  restored.mutable_operator_action()->set_kind(riskd::v1::OperatorAction::KIND_MARK_RESTORED);
  restored.mutable_operator_action()->set_operator_("ana");
  ASSERT_EQ(h.Send(restored)->result(), Ack::RESULT_ACCEPTED);
  nlohmann::json resolved;
  EXPECT_TRUE(WaitFor([&] { return !(resolved = notification("resolved")).is_null(); },
                      std::chrono::seconds(30)));
  if (!resolved.is_null()) {
    for (const auto& a : resolved["alerts"]) EXPECT_EQ(a["status"], "resolved") << a.dump();
  }
  EXPECT_EQ(h.Stop(), 0);
}

// A client that opens the metrics port and never finishes its request (a
// stuck scraper, a port scanner) held the endpoint's only HTTP worker for
// civetweb's 30 s request timeout: every scrape meanwhile went unanswered.
// More stuck clients than the server's 4 workers: the scrape is answered
// only because the 5 s request timeout frees the workers (with 4 workers
// and civetweb's 30 s, it waits past the bound below).
TEST(ObservabilityE2ETest, AClientThatNeverFinishesItsRequestDoesNotHoldUpAScrape) {
  DaemonHarness h(DemoConfig() + "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  std::smatch m;
  const std::string log = h.log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("metrics on .* \\(port ([0-9]+)\\)"))) << log;
  const int port = std::stoi(m[1]);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string partial = "GET /metrics HTTP/1.1\r\nHost: x\r\n";  // no blank line
  std::vector<int> stuck;
  for (int i = 0; i < 6; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    stuck.push_back(fd);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  }
  // Let the server's workers take the stuck connections first.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto body = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics", 20000);
  for (const int fd : stuck) ::close(fd);
  ASSERT_TRUE(body.has_value());
  EXPECT_NE(body->find("riskd_ingest_accepted_total"), std::string::npos);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
