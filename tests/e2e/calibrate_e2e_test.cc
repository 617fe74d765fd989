// `riskctl calibrate` end to end: cascades simulated with known rates on a
// real network (willems_20, imported by the daemon from data/) are sent to
// the real daemon as the events a monitoring centre would see (a quake at
// the sources, suppliers reporting disrupted, recovered and normal, each
// with its occurred_at), journaled in its SQLite database; then the riskctl
// process calibrates from that database while the daemon runs, and its
// estimates, intervals and config snippet are checked against the known
// rates and against calibrating the same cascades in this process.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <regex>
#include <string>

#include "connectors/importers/importer.h"
#include "daemon/settings.h"
#include "engine/calibration.h"
#include "engine/testing/cascade_simulator.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

// The truth: the rates, and the daemon's default heterogeneity bound.
constexpr double kAlpha = 1.5, kBeta = 0.35, kKappa = 2.0;
// Calibrating 20 cascade sets like these (in process, seeds 1..20), the 95%
// intervals covered alpha, beta and kappa every time.
constexpr std::uint64_t kSeed = 1;
constexpr int kCascades = 20, kEnd = 30;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kStart = 1672531200;  // 2023-01-01T00:00:00Z

std::string NetworkSourceText() {
  return "willems2008 { file: \"" + SourceDir() + "/data/willems2008/willems_20.csv\" }";
}

// The cascades span 2023-2028: the daemon's model clock (a manual one)
// stands after the last, so every event is in its past (later than the clock
// they would be rejected as ahead of it; docs/protocol.md, "The model
// clock").
std::string Config() {
  return "network { " + NetworkSourceText() +
         " }\n"
         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 direction: DIRECTION_DOWNSTREAM }\n"
         "projection { method: METHOD_DMP }\n"
         "clock { mode: MODE_MANUAL start { seconds: " +
         std::to_string(kStart + static_cast<std::int64_t>(kCascades) * 100 * kDay) + " } }\n";
}

// The events a cascade produces, at their times: the quake at the sources,
// each disruption and recovery during its step (half a day before the
// step's end), every other node reporting normal at the end.
std::vector<Envelope> Events(const engine::Network& net, const engine::ObservedCascade& c, int k) {
  const std::int64_t t0 = kStart + static_cast<std::int64_t>(k) * 100 * kDay;
  std::vector<Envelope> out;
  auto at = [&](double days, const std::string& id) {
    Envelope e;
    e.set_event_id("c" + std::to_string(k) + "-" + std::to_string(out.size()) + "-" + id);
    e.set_source("calibrate_e2e_test");
    const double s = static_cast<double>(t0) + days * kDay;
    e.mutable_occurred_at()->set_seconds(static_cast<std::int64_t>(s));
    return e;
  };
  auto status = [&](engine::NodeIndex v, riskd::v1::NodeState state, double days) {
    const std::string id(net.id(v));
    Envelope e = at(days, id);
    e.mutable_supplier_status()->set_node_id(id);
    e.mutable_supplier_status()->set_state(state);
    out.push_back(e);
  };
  Envelope quake = at(0, "quake");
  quake.mutable_disruption()->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  quake.mutable_disruption()->set_severity(1.0);
  for (const auto& s : c.sources)
    quake.mutable_disruption()->add_node_ids(std::string(net.id(s.node)));
  out.push_back(quake);
  for (const auto* list : {&c.sources, &c.disrupted}) {
    for (const auto& r : *list) {
      if (list == &c.disrupted) status(r.node, riskd::v1::NODE_STATE_DISRUPTED, r.onset - 0.5);
      if (r.recovery >= 0) status(r.node, riskd::v1::NODE_STATE_RECOVERED, r.recovery - 0.5);
    }
  }
  for (const auto& n : c.normal) status(n.node, riskd::v1::NODE_STATE_SUSCEPTIBLE, n.step);
  return out;
}

// Sends every envelope on one DEALER, up to 256 outstanding; true when all
// were accepted.
bool SendAll(DaemonHarness& h, const std::vector<Envelope>& envelopes) {
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  std::size_t sent = 0, acked = 0;
  while (acked < envelopes.size()) {
    while (sent < envelopes.size() && sent - acked < 256) {
      dealer.send(zmq::buffer(envelopes[sent++].SerializeAsString()), zmq::send_flags::none);
    }
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::seconds(20)) <= 0) return false;
    zmq::message_t reply;
    (void)dealer.recv(reply, zmq::recv_flags::none);
    Ack ack;
    if (!ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) ||
        ack.result() != Ack::RESULT_ACCEPTED) {
      ADD_FAILURE() << ack.event_id() << ": " << ack.reason();
      return false;
    }
    ++acked;
  }
  return true;
}

struct Printed {
  double value = 0, lower = 0, upper = 0, current = 0;
};

// "alpha      1.473      [1.21, 1.794]      0.8        4.5"
std::optional<Printed> Row(const std::string& out, const std::string& name) {
  const std::regex row(
      "\\n" + name + R"( +([0-9.e+-]+) +\[([0-9.e+-]+), ([0-9.e+-]+)\] +([0-9.e+-]+) +[0-9.]+\n)");
  std::smatch m;
  if (!std::regex_search(out, m, row)) return std::nullopt;
  return Printed{std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])};
}

TEST(CalibrateE2ETest, RiskctlFitsTheJournaledCascadesAndPrintsAConfigTheDaemonAccepts) {
  riskd::v1::NetworkSource source;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(NetworkSourceText(), &source));
  auto imported = connectors::ImportNetwork(source, "");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  const engine::Network& net = *imported;

  // The truth: the engine's model with known rates, cascades from two
  // random suppliers each.
  engine::RiskType truth;
  truth.alpha = kAlpha;
  truth.beta = kBeta;
  engine::VulnerabilityOptions vulnerability;
  vulnerability.kappa = kKappa;
  const engine::TransmissionGraph g = engine::BuildTransmissionGraph(
      net, truth, engine::ComputeVulnerability(net, truth.layers, vulnerability));
  const engine::testing::SimModel model = engine::testing::ModelOf(g);
  std::mt19937_64 rng(kSeed);
  std::vector<engine::ObservedCascade> cascades;
  std::vector<Envelope> envelopes;
  std::size_t disrupted = 0;
  while (static_cast<int>(cascades.size()) < kCascades) {
    std::vector<engine::NodeIndex> sources;
    while (sources.size() < 2) {
      const auto s = static_cast<engine::NodeIndex>(rng() % g.node_count);
      if (!g.out(s).empty() && (sources.empty() || sources[0] != s)) sources.push_back(s);
    }
    const auto sim = engine::testing::Simulate(model, sources, kEnd, rng);
    cascades.push_back(engine::testing::Observe(sim, sources, {.end = kEnd}, rng));
    disrupted += cascades.back().disrupted.size();
    const auto events = Events(net, cascades.back(), static_cast<int>(cascades.size()) - 1);
    envelopes.insert(envelopes.end(), events.begin(), events.end());
  }
  ASSERT_GT(disrupted, 60u);  // informative cascades

  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(SendAll(h, envelopes)) << h.log();

  // Every node reports at day 30: cascades (100 days apart) end after 31
  // quiet days, not the default 14.
  const CommandResult run =
      RunCommand(std::string(RISKCTL_BINARY) + " calibrate --db " + h.database() + " --config " +
                 h.config_path() + " --gap-days 31");
  const std::string& out = run.out;
  ASSERT_EQ(run.exit_code, 0) << out;
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_NE(out.find("in 20 cascades"), std::string::npos) << out;
  EXPECT_NE(
      out.find("0 status changes outside any cascade, 0 reports of nodes no longer in the network"),
      std::string::npos)
      << out;

  // The known rates lie inside the printed intervals, the start outside.
  const auto alpha = Row(out, "alpha"), beta = Row(out, "beta"), kappa = Row(out, "kappa");
  ASSERT_TRUE(alpha && beta && kappa) << out;
  EXPECT_LT(alpha->lower, kAlpha);
  EXPECT_GT(alpha->upper, kAlpha);
  EXPECT_LT(beta->lower, kBeta);
  EXPECT_GT(beta->upper, kBeta);
  EXPECT_LT(kappa->lower, kKappa);
  EXPECT_GT(kappa->upper, kKappa);
  EXPECT_EQ(alpha->current, 0.8);
  EXPECT_EQ(beta->current, 0.3);
  EXPECT_EQ(kappa->current, kKappa);
  // The likelihood at the estimate against the current config's.
  const std::regex ll(
      R"(at the estimate +(-[0-9.]+)\nlog-likelihood at the current config +(-[0-9.]+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, ll)) << out;
  EXPECT_GT(std::stod(m[1]), std::stod(m[2]));

  // The journal round trip loses nothing: the same fit as calibrating the
  // simulated cascades here.
  const auto direct = engine::Calibrate(net, engine::RiskType{}, {}, cascades);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_NEAR(alpha->value, direct->estimate.alpha, 1e-3 * direct->estimate.alpha);
  EXPECT_NEAR(beta->value, direct->estimate.beta, 1e-3 * direct->estimate.beta);
  EXPECT_NEAR(kappa->value, direct->estimate.kappa, 1e-3 * direct->estimate.kappa);
  EXPECT_NEAR(alpha->lower, direct->parameters[0].lower, 1e-3 * direct->parameters[0].lower);

  // The snippet replaces the risk type in the daemon's config.
  const auto snippet_at = out.find("# Config snippet");
  ASSERT_NE(snippet_at, std::string::npos) << out;
  const std::string snippet = out.substr(snippet_at);
  auto settings = daemon::ParseSettings(
      "network { " + NetworkSourceText() + " }\n" + "projection { method: METHOD_DMP }\n" + snippet,
      h.dir().string());
  ASSERT_TRUE(settings.ok()) << settings.status().ToString() << "\n" << snippet;
  ASSERT_EQ(settings->engine.risk_types.size(), 1u);
  const engine::RiskType& fitted = settings->engine.risk_types[0];
  EXPECT_EQ(fitted.name, "supply");
  EXPECT_EQ(fitted.alpha, alpha->value);
  EXPECT_EQ(fitted.beta, beta->value);
  EXPECT_EQ(fitted.direction, engine::Direction::kDownstream);
  EXPECT_EQ(settings->engine.vulnerability.kappa, kappa->value);
}

TEST(CalibrateE2ETest, RiskctlSaysWhyWhenThereIsNothingToFit) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Stop(), 0);
  CommandResult r = RunCommand(std::string(RISKCTL_BINARY) + " calibrate --db " + h.database());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("no cascades of risk type 'supply' in the journal: nothing to fit"),
            std::string::npos)
      << r.out;
  r = RunCommand(std::string(RISKCTL_BINARY) + " calibrate --db " + h.database() +
                 " --risk-type credit");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("risk type 'credit' is not configured (pass the daemon's --config)"),
            std::string::npos)
      << r.out;
  r = RunCommand(std::string(RISKCTL_BINARY) + " calibrate --db " + h.database() +
                 " --gap-days -1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--gap-days: '-1' is not a number"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace riskd::testing
