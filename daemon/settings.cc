#include "daemon/settings.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "connectors/importers/importer.h"

namespace riskd::daemon {
namespace {

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!text_.empty()) text_ += "; ";
    text_ += "line " + std::to_string(line + 1) + " column " + std::to_string(column + 1) + ": " +
             message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

engine::Direction ToDirection(riskd::v1::Direction d) {
  switch (d) {
    case riskd::v1::DIRECTION_UPSTREAM: return engine::Direction::kUpstream;
    case riskd::v1::DIRECTION_BOTH: return engine::Direction::kBoth;
    default: return engine::Direction::kDownstream;
  }
}

}  // namespace

bool IsLocalEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  std::string host = endpoint.substr(6);
  host = host.substr(0, host.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
}

Result<DaemonSettings> ParseSettings(const std::string& text, const std::string& config_dir) {
  DaemonSettings s;
  s.config_dir = config_dir;
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &s.config)) {
    return Status::InvalidArgument("config: " + errors.text());
  }
  auto& c = s.config;

  s.state_dir = connectors::ResolvePath(config_dir, c.state_dir().empty() ? "state" : c.state_dir());
  s.database = c.database().empty() ? s.state_dir + "/riskd.db"
                                    : connectors::ResolvePath(config_dir, c.database());
  s.ingest_endpoint = c.endpoints().ingest().empty() ? "tcp://127.0.0.1:7750" : c.endpoints().ingest();
  s.publish_endpoint =
      c.endpoints().publish().empty() ? "tcp://127.0.0.1:7751" : c.endpoints().publish();
  // "tcp://host:*" asks the kernel for a free port, so two wildcards differ.
  if (s.ingest_endpoint == s.publish_endpoint && s.ingest_endpoint.find('*') == std::string::npos) {
    return Status::InvalidArgument("config: endpoints.ingest and endpoints.publish must differ");
  }
  if (c.network().format_case() == riskd::v1::NetworkSource::FORMAT_NOT_SET) {
    return Status::InvalidArgument("config: network: a source (e.g. network { csv { ... } }) is required");
  }

  // Risk types.
  s.engine.risk_types.clear();
  if (c.risk_types().empty()) s.engine.risk_types.push_back(engine::RiskType{});
  for (const auto& rt : c.risk_types()) {
    engine::RiskType t;
    t.name = rt.name();
    if (rt.has_alpha()) t.alpha = rt.alpha();
    if (rt.has_beta()) t.beta = rt.beta();
    if (!rt.layers().empty()) {
      t.layers = 0;
      for (int l : rt.layers()) {
        if (l == riskd::v1::LAYER_UNSPECIFIED) {
          return Status::InvalidArgument("config: risk_types '" + t.name + "': layer unspecified");
        }
        t.layers |= engine::LayerBit(connectors::ToLayer(static_cast<riskd::v1::Layer>(l)));
      }
    }
    t.direction = ToDirection(rt.direction());
    if (rt.has_inventory_delays_onset()) t.inventory_delays_onset = rt.inventory_delays_onset();
    s.engine.risk_types.push_back(t);
  }
  for (const auto& t : s.engine.risk_types) s.risk_types.names.insert(t.name);
  s.risk_types.default_risk_type =
      c.default_risk_type().empty() ? s.engine.risk_types.front().name : c.default_risk_type();
  if (!s.risk_types.names.count(s.risk_types.default_risk_type)) {
    return Status::InvalidArgument("config: default_risk_type '" + s.risk_types.default_risk_type +
                                   "' is not one of risk_types");
  }
  for (const auto& h : c.hazard_risk_types()) {
    if (h.hazard() == riskd::v1::HAZARD_UNSPECIFIED) {
      return Status::InvalidArgument("config: hazard_risk_types: hazard is required");
    }
    if (!s.risk_types.names.count(h.risk_type())) {
      return Status::InvalidArgument("config: hazard_risk_types: unknown risk type '" +
                                     h.risk_type() + "'");
    }
    s.risk_types.hazard_risk_types[h.hazard()] = h.risk_type();
  }

  // Projection.
  const auto& p = c.projection();
  s.engine.dmp.horizon = p.horizon_steps() == 0 ? 30 : p.horizon_steps();
  // Regions end where risk stays below the tolerance: 1e-6 changes no
  // published digit and keeps regions 2-3x smaller than 1e-9 (docs/model.md).
  s.engine.dmp.tolerance = p.has_tolerance() ? p.tolerance() : 1e-6;
  if (p.has_step()) {
    s.step_seconds = static_cast<double>(p.step().seconds()) + p.step().nanos() * 1e-9;
    if (!(s.step_seconds > 0)) return Status::InvalidArgument("config: projection.step must be > 0");
  }
  s.engine.step_days = s.step_seconds / 86400.0;
  auto& po = s.engine.projection;
  switch (p.method()) {
    case riskd::v1::ProjectionConfig::METHOD_DMP: po.method = engine::ProjectionOptions::Choice::kDmp; break;
    case riskd::v1::ProjectionConfig::METHOD_MONTE_CARLO:
      po.method = engine::ProjectionOptions::Choice::kMonteCarlo;
      break;
    default: po.method = engine::ProjectionOptions::Choice::kAuto;
  }
  if (p.has_check_realizations()) po.check_realizations = p.check_realizations();
  if (p.has_serve_realizations()) po.serve_realizations = p.serve_realizations();
  if (p.has_max_dmp_error()) po.max_dmp_error = p.max_dmp_error();
  if (p.has_min_check_risk()) po.min_check_risk = p.min_check_risk();
  if (p.has_seed()) po.seed = p.seed();
  if (p.has_max_check_work()) po.max_check_work = p.max_check_work();
  if (p.has_max_serve_work()) po.max_serve_work = p.max_serve_work();
  if (p.has_min_realizations()) po.min_realizations = p.min_realizations();
  if (p.has_spectral_max_iterations()) s.engine.spectral.max_iterations = p.spectral_max_iterations();
  if (p.has_spectral_tolerance()) s.engine.spectral.tolerance = p.spectral_tolerance();

  // Vulnerability.
  const auto& v = c.vulnerability();
  if (v.mode() == riskd::v1::VulnerabilityConfig::MODE_UNIFORM) {
    s.engine.vulnerability.mode = engine::VulnerabilityOptions::Mode::kUniform;
  }
  if (v.has_centrality_weight()) s.engine.vulnerability.centrality_weight = v.centrality_weight();
  if (v.has_floor()) s.engine.vulnerability.floor = v.floor();
  if (v.has_kappa()) s.engine.vulnerability.kappa = v.kappa();
  if (v.has_refresh_changes()) s.engine.vulnerability_refresh_changes = v.refresh_changes();

  // Alert policy.
  const auto& a = c.alert_policy();
  auto& ao = s.engine.alerts;
  if (a.has_warning_raise()) ao.warning_raise = a.warning_raise();
  if (a.has_warning_clear()) ao.warning_clear = a.warning_clear();
  if (a.has_critical_raise()) ao.critical_raise = a.critical_raise();
  if (a.has_critical_clear()) ao.critical_clear = a.critical_clear();
  if (a.has_min_update_delta()) ao.min_update_delta = a.min_update_delta();

  const Status engine_ok = engine::ValidateEngineOptions(s.engine);
  if (!engine_ok.ok()) return engine_ok.WithContext("config");

  // Ingest.
  const auto& in = c.ingest();
  if (in.max_message_bytes() < 0 || in.max_batch() < 0 || in.queue_capacity() < 0) {
    return Status::InvalidArgument("config: ingest limits must be >= 0");
  }
  if (in.max_message_bytes() > 0) s.max_message_bytes = static_cast<std::size_t>(in.max_message_bytes());
  if (in.max_batch() > 0) s.max_batch = static_cast<std::size_t>(in.max_batch());
  if (in.queue_capacity() > 0) s.queue_capacity = static_cast<std::size_t>(in.queue_capacity());

  s.metrics_listen = c.metrics().listen();
  s.alertmanager_url = c.alertmanager().url();
  if (!s.alertmanager_url.empty() && s.alertmanager_url.rfind("http://", 0) != 0 &&
      s.alertmanager_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("config: alertmanager.url must start with http:// or https://");
  }
  while (!s.alertmanager_url.empty() && s.alertmanager_url.back() == '/') s.alertmanager_url.pop_back();
  auto seconds = [](const google::protobuf::Duration& d) {
    return static_cast<double>(d.seconds()) + d.nanos() * 1e-9;
  };
  if (c.alertmanager().has_resend_interval()) {
    s.alertmanager_resend_s = seconds(c.alertmanager().resend_interval());
  }
  if (c.alertmanager().has_timeout()) s.alertmanager_timeout_s = seconds(c.alertmanager().timeout());
  if (!(s.alertmanager_resend_s >= 1) || !(s.alertmanager_timeout_s > 0)) {
    return Status::InvalidArgument(
        "config: alertmanager.resend_interval must be >= 1 s and timeout > 0");
  }
  // Security: CURVE is mandatory off loopback.
  const auto& sec = c.security();
  if (!sec.server_cert().empty()) {
    auto cert = connectors::LoadCurveCert(connectors::ResolvePath(config_dir, sec.server_cert()));
    if (!cert.ok()) return cert.status().WithContext("config: security.server_cert");
    if (cert->secret_key.empty()) {
      return Status::InvalidArgument("config: security.server_cert has no secret-key");
    }
    s.server_key = *cert;
    for (const auto& client : sec.clients()) {
      if (!connectors::IsCurveKey(client.public_key())) {
        return Status::InvalidArgument("config: security.clients '" + client.name() +
                                       "': public_key is not a Z85 CURVE key");
      }
      if (client.role() == riskd::v1::CLIENT_ROLE_UNSPECIFIED || !riskd::v1::ClientRole_IsValid(client.role())) {
        return Status::InvalidArgument("config: security.clients '" + client.name() + "': role is required");
      }
      s.allowed_clients[client.public_key()] = {static_cast<connectors::ClientRole>(client.role()),
                                                client.name()};
    }
  } else if (!sec.clients().empty()) {
    return Status::InvalidArgument("config: security.clients needs security.server_cert");
  }
  for (const std::string* ep : {&s.ingest_endpoint, &s.publish_endpoint}) {
    if (s.server_key.public_key.empty() && !IsLocalEndpoint(*ep)) {
      return Status::InvalidArgument("config: endpoint '" + *ep +
                                     "' is not local: configure security.server_cert (CURVE) "
                                     "and security.clients, or bind to 127.0.0.1 / ipc://");
    }
  }
  // Planner.
  const auto& pl = c.planner();
  auto& ps = s.planner;
  if (pl.has_k()) ps.k = pl.k();
  if (ps.k < 0 || ps.k > 1000) return Status::InvalidArgument("config: planner.k must be in 0..1000");
  if (pl.has_min_interval()) {
    ps.min_interval_seconds =
        static_cast<double>(pl.min_interval().seconds()) + pl.min_interval().nanos() * 1e-9;
    if (!(ps.min_interval_seconds >= 0)) {
      return Status::InvalidArgument("config: planner.min_interval must be >= 0");
    }
  }
  if (pl.has_min_change_nodes()) ps.min_change_nodes = pl.min_change_nodes();
  if (pl.has_min_change_fraction()) ps.min_change_fraction = pl.min_change_fraction();
  if (!(ps.min_change_nodes >= 0) || !(ps.min_change_fraction >= 0) ||
      !std::isfinite(ps.min_change_nodes) || !std::isfinite(ps.min_change_fraction)) {
    return Status::InvalidArgument(
        "config: planner.min_change_nodes and min_change_fraction must be finite and >= 0");
  }
  if (pl.has_realizations()) {
    if (pl.realizations() < 1 || pl.realizations() > 100000) {
      return Status::InvalidArgument("config: planner.realizations must be in 1..100000");
    }
    ps.options.realizations = static_cast<std::uint32_t>(pl.realizations());
  }
  if (pl.has_min_realizations()) {
    if (pl.min_realizations() < 1 ||
        static_cast<std::uint32_t>(pl.min_realizations()) > ps.options.realizations) {
      return Status::InvalidArgument("config: planner.min_realizations must be in 1..realizations");
    }
    ps.options.min_realizations = static_cast<std::uint32_t>(pl.min_realizations());
  } else {
    ps.options.min_realizations = std::min(ps.options.min_realizations, ps.options.realizations);
  }
  if (pl.has_sample_work()) ps.options.sample_work = pl.sample_work();
  if (pl.has_max_work()) ps.options.max_work = pl.max_work();
  if (pl.has_seed()) ps.options.seed = pl.seed();
  if (pl.has_max_query_k()) ps.max_query_k = pl.max_query_k();
  if (ps.max_query_k < 1 || ps.max_query_k > 10000) {
    return Status::InvalidArgument("config: planner.max_query_k must be in 1..10000");
  }
  const Status planner_ok = engine::immunization::ValidatePlannerOptions(ps.options);
  if (!planner_ok.ok()) return planner_ok.WithContext("config");

  RISKD_RETURN_IF_ERROR(ParseNatsSettings(c.nats(), &s.nats));

  if (!c.logging().level().empty()) s.log_level = c.logging().level();
  static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
  if (!kLevels.count(s.log_level)) {
    return Status::InvalidArgument("config: logging.level must be trace, debug, info, warn or error");
  }
  return s;
}

bool MaterialChange(const PlannerSettings& planner, double previous, double current) {
  const double change = std::abs(current - previous);
  return change > 0 && change >= planner.min_change_nodes &&
         change >= planner.min_change_fraction * std::max(previous, current);
}

Result<DaemonSettings> LoadSettings(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  auto s = ParseSettings(text.str(), dir);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

}  // namespace riskd::daemon
