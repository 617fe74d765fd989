#include "daemon/settings.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "connectors/importers/importer.h"
#include "daemon/config_duration.h"
#include "daemon/listener_rule.h"

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
    case riskd::v1::DIRECTION_UPSTREAM:
      return engine::Direction::kUpstream;
    case riskd::v1::DIRECTION_BOTH:
      return engine::Direction::kBoth;
    default:
      return engine::Direction::kDownstream;
  }
}

}  // namespace

namespace {

using Config = riskd::v1::DaemonConfig;

double Seconds(const google::protobuf::Duration& d) {
  return static_cast<double>(d.seconds()) + d.nanos() * 1e-9;
}

Status Bad(const std::string& key, const std::string& rule) {
  return Status::InvalidArgument("config: " + key + " " + rule);
}

Status ReadRiskTypes(const Config& c, const std::string&, DaemonSettings* s) {
  s->engine.risk_types.clear();
  if (c.risk_types().empty()) s->engine.risk_types.push_back(engine::RiskType{});
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
    s->engine.risk_types.push_back(t);
  }
  for (const auto& t : s->engine.risk_types) s->risk_type_resolver.names.insert(t.name);
  return Status::Ok();
}

Status ReadDefaultRiskType(const Config& c, const std::string&, DaemonSettings* s) {
  s->risk_type_resolver.default_risk_type =
      c.default_risk_type().empty() ? s->engine.risk_types.front().name : c.default_risk_type();
  if (!s->risk_type_resolver.names.count(s->risk_type_resolver.default_risk_type)) {
    return Status::InvalidArgument("config: default_risk_type '" +
                                   s->risk_type_resolver.default_risk_type +
                                   "' is not one of risk_types");
  }
  return Status::Ok();
}

Status ReadHazardRiskTypes(const Config& c, const std::string&, DaemonSettings* s) {
  for (const auto& h : c.hazard_risk_types()) {
    if (h.hazard() == riskd::v1::HAZARD_UNSPECIFIED) {
      return Status::InvalidArgument("config: hazard_risk_types: hazard is required");
    }
    if (!s->risk_type_resolver.names.count(h.risk_type())) {
      return Status::InvalidArgument("config: hazard_risk_types: unknown risk type '" +
                                     h.risk_type() + "'");
    }
    s->risk_type_resolver.hazard_risk_types[h.hazard()] = h.risk_type();
  }
  return Status::Ok();
}

Status ReadHazardDurations(const Config& c, const std::string&, DaemonSettings* s) {
  for (const auto& h : c.hazard_durations()) {
    if (h.hazard() == riskd::v1::HAZARD_UNSPECIFIED || !riskd::v1::Hazard_IsValid(h.hazard())) {
      return Status::InvalidArgument("config: hazard_durations: hazard is required");
    }
    const std::optional<std::int64_t> ns = DurationNs(h.duration());
    if (!ns || *ns <= 0) {
      return Status::InvalidArgument(
          "config: hazard_durations: duration must be > 0 and at most 100 years");
    }
    s->timing.hazard_duration_ns[h.hazard()] = *ns;
  }
  return Status::Ok();
}

Status ReadServerCert(const Config& c, const std::string& dir, DaemonSettings* s) {
  const auto& sec = c.security();
  if (sec.server_cert().empty()) {
    if (!sec.clients().empty()) return Bad("security.clients", "needs security.server_cert");
    return Status::Ok();
  }
  auto cert = connectors::LoadCurveCert(connectors::ResolvePath(dir, sec.server_cert()));
  if (!cert.ok()) return cert.status().WithContext("config: security.server_cert");
  if (cert->secret_key.empty()) return Bad("security.server_cert", "has no secret-key");
  s->server_key = *cert;
  for (const auto& client : sec.clients()) {
    if (!connectors::IsCurveKey(client.public_key())) {
      return Status::InvalidArgument("config: security.clients '" + client.name() +
                                     "': public_key is not a Z85 CURVE key");
    }
    if (client.role() == riskd::v1::CLIENT_ROLE_UNSPECIFIED ||
        !riskd::v1::ClientRole_IsValid(client.role())) {
      return Status::InvalidArgument("config: security.clients '" + client.name() +
                                     "': role is required");
    }
    s->allowed_clients[client.public_key()] = {static_cast<connectors::ClientRole>(client.role()),
                                               client.name()};
  }
  return Status::Ok();
}

Status ReadMetricsUsers(const Config& c, const std::string&, DaemonSettings* s) {
  const auto& m = c.metrics();
  std::set<std::string> names;
  for (const auto& u : m.users()) {
    const std::string where = "metrics.users '" + u.name() + "'";
    if (u.name().empty() || u.name().find(':') != std::string::npos) {
      return Bad("metrics.users", "need a name without ':'");
    }
    if (!names.insert(u.name()).second) return Bad(where, "is listed twice");
    auto digest = connectors::ParseSha256Hex(u.password_sha256());
    if (!digest) return Bad(where, "password_sha256 must be 64 hex digits");
    s->metrics_users.push_back({u.name(), *digest});
  }
  if (m.has_anonymous_read()) {
    if (m.anonymous_read() && !m.users().empty()) {
      return Bad("metrics.anonymous_read", "cannot be true with metrics.users");
    }
    s->metrics_anonymous_read = m.anonymous_read();
  }
  return Status::Ok();
}

// Live: changes apply on SIGHUP; kRestart: at the next start.
constexpr bool kLive = true;
constexpr bool kRestart = false;
// Keys read together with the row above them (apply == nullptr).
constexpr SettingRow::Apply kReadAbove = nullptr;

// clang-format off
const SettingRow kSettings[] = {
  {"state_dir", "state", "path", kRestart, [](const Config& c, const std::string& dir, DaemonSettings* s) {
     s->state_dir = connectors::ResolvePath(dir, c.state_dir().empty() ? "state" : c.state_dir());
     return Status::Ok(); }},
  {"database", "<state_dir>/riskd.db", "path", kRestart, [](const Config& c, const std::string& dir, DaemonSettings* s) {
     s->database = c.database().empty() ? s->state_dir + "/riskd.db" : connectors::ResolvePath(dir, c.database());
     return Status::Ok(); }},
  {"endpoints.ingest", "tcp://127.0.0.1:7750", "tcp://, ipc://; local unless security is on", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.endpoints().ingest().empty()) s->ingest_endpoint = c.endpoints().ingest();
     return Status::Ok(); }},
  {"endpoints.allow_unauthenticated", "false", "the listener rule's opt-out", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) {
     s->endpoints_allow_unauthenticated = c.endpoints().allow_unauthenticated();
     return Status::Ok(); }},
  {"endpoints.publish", "tcp://127.0.0.1:7751", "differs from ingest", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.endpoints().publish().empty()) s->publish_endpoint = c.endpoints().publish();
     // "tcp://host:*" asks the kernel for a free port, so two wildcards differ.
     if (s->ingest_endpoint == s->publish_endpoint && s->ingest_endpoint.find('*') == std::string::npos) {
       return Status::InvalidArgument("config: endpoints.ingest and endpoints.publish must differ");
     }
     return Status::Ok(); }},
  {"network", "required", "one source", kRestart, [](const Config& c, const std::string&, DaemonSettings*) {
     if (c.network().format_case() == riskd::v1::NetworkSource::FORMAT_NOT_SET) {
       return Status::InvalidArgument("config: network: a source (e.g. network { csv { ... } }) is required");
     }
     return Status::Ok(); }},
  {"network.csv.nodes", "", "path", kRestart, kReadAbove},
  {"network.csv.edges", "", "path", kRestart, kReadAbove},
  {"network.willems2008.file", "", "path", kRestart, kReadAbove},
  {"network.supplygraph.directory", "", "path", kRestart, kReadAbove},
  {"network.bea_io.directory", "", "path", kRestart, kReadAbove},
  {"network.bea_io.table", "TABLE_USE", "TABLE_USE, TABLE_DIRECT_REQUIREMENTS", kRestart, kReadAbove},
  {"network.locations_csv", "none", "path", kRestart, kReadAbove},
  {"risk_types[].name", "supply", "[a-z0-9_]{1,32}, unique", kRestart, ReadRiskTypes},
  {"risk_types[].alpha", "0.8", "finite, >= 0", kLive, kReadAbove},
  {"risk_types[].beta", "0.3", "finite, >= 0", kLive, kReadAbove},
  {"risk_types[].layers", "[LAYER_MATERIAL]", "repeatable", kRestart, kReadAbove},
  {"risk_types[].direction", "DIRECTION_DOWNSTREAM", "UPSTREAM, BOTH", kRestart, kReadAbove},
  {"risk_types[].inventory_delays_onset", "true", "", kRestart, kReadAbove},
  {"default_risk_type", "first risk type", "one of risk_types", kRestart, ReadDefaultRiskType},
  {"hazard_risk_types[]", "none", "{hazard, risk_type}", kRestart, ReadHazardRiskTypes},
  {"hazard_durations[]", "none", "{hazard, duration > 0}", kRestart, ReadHazardDurations},
  {"projection.horizon_steps", "30", "1..1000", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().horizon_steps() != 0) s->engine.dmp.horizon = c.projection().horizon_steps();
     return Status::Ok(); }},
  {"projection.step", "1 day", ">= 1 s", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_step()) s->step_seconds = Seconds(c.projection().step());
     // At least a second: event times and durations stay far from int64
     // limits when counted in steps.
     if (!(s->step_seconds >= 1)) return Bad("projection.step", "must be >= 1 s");
     s->engine.step_days = s->step_seconds / 86400.0;
     s->timing.step_ns = std::llround(s->step_seconds * 1e9);
     return Status::Ok(); }},
  {"projection.tolerance", "1e-06", ">= 0", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_tolerance()) s->engine.dmp.tolerance = c.projection().tolerance();
     return Status::Ok(); }},
  {"projection.method", "METHOD_AUTO", "METHOD_DMP, METHOD_MONTE_CARLO", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) {
     using M = riskd::v1::ProjectionConfig;
     using C = engine::ProjectionOptions::Choice;
     const auto m = c.projection().method();
     s->engine.projection.method = m == M::METHOD_DMP ? C::kDmp : m == M::METHOD_MONTE_CARLO ? C::kMonteCarlo : C::kAuto;
     return Status::Ok(); }},
  {"projection.check_realizations", "1000", ">= 2", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_check_realizations()) s->engine.projection.check_realizations = c.projection().check_realizations();
     return Status::Ok(); }},
  {"projection.serve_realizations", "2000", ">= check_realizations", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_serve_realizations()) s->engine.projection.serve_realizations = c.projection().serve_realizations();
     return Status::Ok(); }},
  {"projection.max_dmp_error", "0.01", "(0, 1)", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_max_dmp_error()) s->engine.projection.max_dmp_error = c.projection().max_dmp_error();
     return Status::Ok(); }},
  {"projection.min_check_risk", "0.01", "[0, 1)", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_min_check_risk()) s->engine.projection.min_check_risk = c.projection().min_check_risk();
     return Status::Ok(); }},
  {"projection.seed", "0x7269736b64", "", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_seed()) s->engine.projection.seed = c.projection().seed();
     return Status::Ok(); }},
  {"projection.max_check_work", "20000000", "edges examined per region", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_max_check_work()) s->engine.projection.max_check_work = c.projection().max_check_work();
     return Status::Ok(); }},
  {"projection.max_serve_work", "50000000", "edges examined per region", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_max_serve_work()) s->engine.projection.max_serve_work = c.projection().max_serve_work();
     return Status::Ok(); }},
  {"projection.min_realizations", "50", ">= 1", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_min_realizations()) s->engine.projection.min_realizations = c.projection().min_realizations();
     return Status::Ok(); }},
  {"projection.spectral_max_iterations", "300", ">= 0; 0: off", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_spectral_max_iterations()) s->engine.spectral.max_iterations = c.projection().spectral_max_iterations();
     return Status::Ok(); }},
  {"projection.spectral_tolerance", "1e-06", "> 0", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_spectral_tolerance()) s->engine.spectral.tolerance = c.projection().spectral_tolerance();
     return Status::Ok(); }},
  {"projection.defer_check", "true", "METHOD_AUTO only", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     s->engine.projection.defer_check = c.projection().has_defer_check() ? c.projection().defer_check() : true;
     return Status::Ok(); }},
  {"projection.refine_work", "2000000", ">= 1 edges examined per slice", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_refine_work()) s->refine.slice_work = c.projection().refine_work();
     if (s->refine.slice_work < 1) return Bad("projection.refine_work", "must be >= 1");
     return Status::Ok(); }},
  {"projection.refine_share", "0", "[0, 1)", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.projection().has_refine_share()) s->refine.busy_share = c.projection().refine_share();
     if (!(s->refine.busy_share >= 0 && s->refine.busy_share < 1)) return Bad("projection.refine_share", "must be in [0, 1)");
     return Status::Ok(); }},
  // The model clock (after projection.step: it counts in steps).
  {"clock.mode", "MODE_WALL", "MODE_MANUAL", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     s->clock.manual = c.clock().mode() == riskd::v1::ClockConfig::MODE_MANUAL;
     return Status::Ok(); }},
  {"clock.history_window", "30 days", "1..100000 steps", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.clock().has_history_window()) s->clock.history_window_seconds = Seconds(c.clock().history_window());
     const double steps = std::ceil(s->clock.history_window_seconds / s->step_seconds);
     if (!(steps >= 1 && steps <= 100000)) return Bad("clock.history_window", "must be 1..100000 projection steps");
     s->engine.clock.history_window_steps = static_cast<int>(steps);
     return Status::Ok(); }},
  {"clock.max_skew", "5 min", ">= 0", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.clock().has_max_skew()) s->clock.max_skew_seconds = Seconds(c.clock().max_skew());
     if (!(s->clock.max_skew_seconds >= 0)) return Bad("clock.max_skew", "must be >= 0");
     return Status::Ok(); }},
  {"clock.start", "unset", "MODE_MANUAL only", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.clock().has_start()) return Status::Ok();
     if (!s->clock.manual) return Bad("clock.start", "needs clock.mode MODE_MANUAL");
     const auto& t = c.clock().start();
     if (t.seconds() < 0 || t.nanos() < 0 || t.nanos() > 999999999) return Bad("clock.start", "is not a valid timestamp");
     // As ingest refuses a tick past it (event_codec.h): the clock would stop at 2262.
     if (t.seconds() >= connectors::kEndOfEventTimeSeconds) return Bad("clock.start", "must be before 2162-01-01T00:00:00Z");
     s->clock.start_ns = connectors::UnixNs(t);
     return Status::Ok(); }},
  {"vulnerability.mode", "MODE_SEED003", "MODE_UNIFORM", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().mode() == riskd::v1::VulnerabilityConfig::MODE_UNIFORM) {
       s->engine.vulnerability.mode = engine::VulnerabilityOptions::Mode::kUniform;
     }
     return Status::Ok(); }},
  {"vulnerability.centrality_weight", "0.5", "[0, 1]", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().has_centrality_weight()) s->engine.vulnerability.centrality_weight = c.vulnerability().centrality_weight();
     return Status::Ok(); }},
  {"vulnerability.floor", "0.05", "> 0", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().has_floor()) s->engine.vulnerability.floor = c.vulnerability().floor();
     return Status::Ok(); }},
  {"vulnerability.kappa", "2", "finite, >= 1", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().has_kappa()) s->engine.vulnerability.kappa = c.vulnerability().kappa();
     return Status::Ok(); }},
  {"vulnerability.refresh_changes", "256", ">= 0", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().has_refresh_changes()) s->engine.vulnerability_refresh_changes = c.vulnerability().refresh_changes();
     return Status::Ok(); }},
  {"vulnerability.refresh_edge_fraction", "0.05", "[0, 1]", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.vulnerability().has_refresh_edge_fraction()) s->engine.vulnerability_refresh_edge_fraction = c.vulnerability().refresh_edge_fraction();
     return Status::Ok(); }},
  {"alert_policy.warning_raise", "0.3", "0 < clear < raise <= 1", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alert_policy().has_warning_raise()) s->engine.alerts.warning_raise = c.alert_policy().warning_raise();
     return Status::Ok(); }},
  {"alert_policy.warning_clear", "0.2", "0 < clear < raise", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alert_policy().has_warning_clear()) s->engine.alerts.warning_clear = c.alert_policy().warning_clear();
     return Status::Ok(); }},
  {"alert_policy.critical_raise", "0.7", ">= warning_raise, <= 1", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alert_policy().has_critical_raise()) s->engine.alerts.critical_raise = c.alert_policy().critical_raise();
     return Status::Ok(); }},
  {"alert_policy.critical_clear", "0.6", "0 < clear < raise", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alert_policy().has_critical_clear()) s->engine.alerts.critical_clear = c.alert_policy().critical_clear();
     return Status::Ok(); }},
  {"alert_policy.min_update_delta", "0.05", "[0, 1]", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alert_policy().has_min_update_delta()) s->engine.alerts.min_update_delta = c.alert_policy().min_update_delta();
     return Status::Ok(); }},
  {"ingest.max_message_bytes", "1048576", ">= 0; 0: default", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.ingest().max_message_bytes() < 0) return Bad("ingest.max_message_bytes", "must be >= 0");
     if (c.ingest().max_message_bytes() > 0) s->max_message_bytes = static_cast<std::size_t>(c.ingest().max_message_bytes());
     return Status::Ok(); }},
  {"ingest.max_batch", "1024", ">= 0; 0: default", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.ingest().max_batch() < 0) return Bad("ingest.max_batch", "must be >= 0");
     if (c.ingest().max_batch() > 0) s->max_batch = static_cast<std::size_t>(c.ingest().max_batch());
     return Status::Ok(); }},
  {"ingest.queue_capacity", "65536", ">= 0; 0: default", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.ingest().queue_capacity() < 0) return Bad("ingest.queue_capacity", "must be >= 0");
     if (c.ingest().queue_capacity() > 0) s->queue_capacity = static_cast<std::size_t>(c.ingest().queue_capacity());
     return Status::Ok(); }},
  {"ingest.max_nodes_per_event", "100000", "1..10000000", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.ingest().has_max_nodes_per_event()) return Status::Ok();
     const int n = c.ingest().max_nodes_per_event();
     if (n < 1 || n > 10'000'000) return Bad("ingest.max_nodes_per_event", "must be in 1..10000000");
     s->limits.max_ids_per_event = static_cast<std::size_t>(n);
     return Status::Ok(); }},
  {"ingest.max_place_vertices", "10000", "3..1000000", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.ingest().has_max_place_vertices()) return Status::Ok();
     const int n = c.ingest().max_place_vertices();
     if (n < 3 || n > 1'000'000) return Bad("ingest.max_place_vertices", "must be in 3..1000000");
     s->limits.max_polygon_vertices = static_cast<std::size_t>(n);
     return Status::Ok(); }},
  {"ingest.peer_rate", "50000", "finite, >= 0; 0: off", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.ingest().has_peer_rate()) s->peer_rate = c.ingest().peer_rate();
     if (!(s->peer_rate >= 0) || !std::isfinite(s->peer_rate)) return Bad("ingest.peer_rate", "must be finite and >= 0");
     return Status::Ok(); }},
  {"ingest.peer_burst", "100000", "finite, >= 1", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.ingest().has_peer_burst()) s->peer_burst = c.ingest().peer_burst();
     if (!(s->peer_burst >= 1) || !std::isfinite(s->peer_burst)) return Bad("ingest.peer_burst", "must be finite and >= 1");
     return Status::Ok(); }},
  {"checkpoint.interval_events", "100000", "0..1e9; 0: off", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.checkpoint().has_interval_events()) return Status::Ok();
     if (c.checkpoint().interval_events() < 0 || c.checkpoint().interval_events() > 1'000'000'000) {
       return Bad("checkpoint.interval_events", "must be in 0..1000000000");
     }
     s->checkpoint_interval_events = static_cast<std::uint64_t>(c.checkpoint().interval_events());
     return Status::Ok(); }},
  {"publish.send_high_water_mark", "1000", "1..1000000", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.publish().has_send_high_water_mark()) return Status::Ok();
     if (c.publish().send_high_water_mark() < 1 || c.publish().send_high_water_mark() > 1'000'000) {
       return Bad("publish.send_high_water_mark", "must be in 1..1000000");
     }
     s->publish_send_hwm = c.publish().send_high_water_mark();
     return Status::Ok(); }},
  {"ingest.max_place_area_km2", "3200000", "finite, >= 0; 0: no limit", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.ingest().has_max_place_area_km2()) return Status::Ok();
     const double area = c.ingest().max_place_area_km2();
     if (!(area >= 0) || !std::isfinite(area)) return Bad("ingest.max_place_area_km2", "must be finite and >= 0");
     s->max_place_area_km2 = area;
     return Status::Ok(); }},
  {"logging.level", "info", "trace, debug, info, warn, error", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.logging().level().empty()) s->log_level = c.logging().level();
     static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
     if (!kLevels.count(s->log_level)) return Bad("logging.level", "must be trace, debug, info, warn or error");
     return Status::Ok(); }},
  // Feeds are checked where they are built (FeedPoller::Create), at start
  // and on reload.
  {"feeds[].name", "required", "[a-z0-9_-]{1,64}, unique", kLive, kReadAbove},
  {"feeds[].adapter", "required unless settings", "usgs_geojson, gdacs_rss, nws_cap_atom, scms_csv", kLive, kReadAbove},
  {"feeds[].url", "required", "path, http(s)://, file://", kLive, kReadAbove},
  {"feeds[].poll_interval", "once", ">= 0", kLive, kReadAbove},
  {"feeds[].risk_type", "logistics", "scms_csv", kLive, kReadAbove},
  {"feeds[].vendor_nodes", "none", "scms_csv", kLive, kReadAbove},
  // One settings member per adapter (feeds[].settings oneof): the member's
  // presence names the adapter; its fields are read by the adapter's own
  // factory (connectors/feeds/feed_registry.h).
  {"feeds[].usgs_geojson", "none", "no settings yet", kLive, kReadAbove},
  {"feeds[].gdacs_rss", "none", "no settings yet", kLive, kReadAbove},
  {"feeds[].nws_cap_atom", "none", "no settings yet", kLive, kReadAbove},
  {"feeds[].scms_csv.risk_type", "logistics", "a configured risk type", kLive, kReadAbove},
  {"feeds[].scms_csv.vendor_nodes", "none", "vendor name -> node id", kLive, kReadAbove},
  {"feeds[].scms_csv.as_of", "none", "ISO 8601 date or time", kLive, kReadAbove},
  {"feeds[].scms_csv.lookback_days", "30", "0..100000", kLive, kReadAbove},
  {"metrics.listen", "off", "host:port; port 0 picks one", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     s->metrics_listen = c.metrics().listen();
     if (s->metrics_listen.empty()) return Status::Ok();
     if (auto hp = ParseHostPort(s->metrics_listen); !hp.ok()) return hp.status().WithContext("config: metrics.listen");
     return Status::Ok(); }},
  {"metrics.users[]", "none", "{name, password_sha256}", kRestart, ReadMetricsUsers},
  {"metrics.anonymous_read", "on loopback", "true off loopback: the explicit opt-out", kRestart, kReadAbove},
  {"alertmanager.url", "off", "http:// or https://", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     s->alertmanager_url = c.alertmanager().url();
     if (!s->alertmanager_url.empty() && s->alertmanager_url.rfind("http://", 0) != 0 &&
         s->alertmanager_url.rfind("https://", 0) != 0) {
       return Bad("alertmanager.url", "must start with http:// or https://");
     }
     while (!s->alertmanager_url.empty() && s->alertmanager_url.back() == '/') s->alertmanager_url.pop_back();
     return Status::Ok(); }},
  {"alertmanager.resend_interval", "60 s", ">= 1 s", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alertmanager().has_resend_interval()) s->alertmanager_resend_s = Seconds(c.alertmanager().resend_interval());
     if (!(s->alertmanager_resend_s >= 1)) return Bad("alertmanager.resend_interval", "must be >= 1 s");
     return Status::Ok(); }},
  {"alertmanager.timeout", "5 s", "> 0", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.alertmanager().has_timeout()) s->alertmanager_timeout_s = Seconds(c.alertmanager().timeout());
     if (!(s->alertmanager_timeout_s > 0)) return Bad("alertmanager.timeout", "must be > 0");
     return Status::Ok(); }},
  {"alertmanager.generator_url", "none", "", kLive, kReadAbove},
  {"security.server_cert", "off", "zcert file with secret key", kRestart, ReadServerCert},
  {"security.clients[]", "none", "{name, public_key, role}", kRestart, kReadAbove},
  {"planner.k", "5", "0..1000", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_k()) s->planner.k = c.planner().k();
     if (s->planner.k < 0 || s->planner.k > 1000) return Bad("planner.k", "must be in 0..1000");
     return Status::Ok(); }},
  {"planner.min_interval", "30 s", ">= 0", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_min_interval()) s->planner.min_interval_seconds = Seconds(c.planner().min_interval());
     if (!(s->planner.min_interval_seconds >= 0)) return Bad("planner.min_interval", "must be >= 0");
     return Status::Ok(); }},
  {"planner.min_change_nodes", "0.5", "finite, >= 0", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_min_change_nodes()) s->planner.min_change_nodes = c.planner().min_change_nodes();
     if (!(s->planner.min_change_nodes >= 0) || !std::isfinite(s->planner.min_change_nodes)) {
       return Bad("planner.min_change_nodes", "must be finite and >= 0");
     }
     return Status::Ok(); }},
  {"planner.min_change_fraction", "0.1", "finite, >= 0", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_min_change_fraction()) s->planner.min_change_fraction = c.planner().min_change_fraction();
     if (!(s->planner.min_change_fraction >= 0) || !std::isfinite(s->planner.min_change_fraction)) {
       return Bad("planner.min_change_fraction", "must be finite and >= 0");
     }
     return Status::Ok(); }},
  {"planner.realizations", "1000", "1..100000", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (!c.planner().has_realizations()) return Status::Ok();
     if (c.planner().realizations() < 1 || c.planner().realizations() > 100000) {
       return Bad("planner.realizations", "must be in 1..100000");
     }
     s->planner.options.realizations = static_cast<std::uint32_t>(c.planner().realizations());
     return Status::Ok(); }},
  {"planner.min_realizations", "10", "1..realizations", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     auto& o = s->planner.options;
     if (!c.planner().has_min_realizations()) {
       o.min_realizations = std::min(o.min_realizations, o.realizations);
       return Status::Ok();
     }
     if (c.planner().min_realizations() < 1 ||
         static_cast<std::uint32_t>(c.planner().min_realizations()) > o.realizations) {
       return Bad("planner.min_realizations", "must be in 1..realizations");
     }
     o.min_realizations = static_cast<std::uint32_t>(c.planner().min_realizations());
     return Status::Ok(); }},
  {"planner.sample_work", "2000000", "edges examined", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_sample_work()) s->planner.options.sample_work = c.planner().sample_work();
     return Status::Ok(); }},
  {"planner.max_work", "10000000", "edges examined", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_max_work()) s->planner.options.max_work = c.planner().max_work();
     return Status::Ok(); }},
  {"planner.seed", "1886151022", "", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_seed()) s->planner.options.seed = c.planner().seed();
     return Status::Ok(); }},
  {"planner.max_query_k", "100", "1..10000", kLive, [](const Config& c, const std::string&, DaemonSettings* s) {
     if (c.planner().has_max_query_k()) s->planner.max_query_k = c.planner().max_query_k();
     if (s->planner.max_query_k < 1 || s->planner.max_query_k > 10000) {
       return Bad("planner.max_query_k", "must be in 1..10000");
     }
     return Status::Ok(); }},
  {"nats.servers[]", "off", "nats:// or tls:// URLs; one turns the NATS event log on", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) { return ParseNatsSettings(c.nats(), &s->nats); }},
  {"nats.instance", "required with servers", "[A-Za-z0-9_-]{1,64}, unique per stream", kRestart, kReadAbove},
  {"nats.stream", "RISKD_EVENTS", "[A-Za-z0-9_-]{1,64}", kRestart, kReadAbove},
  {"nats.subject", "riskd.events", "a subject without wildcards", kRestart, kReadAbove},
  {"nats.replicas", "3", "1..5", kRestart, kReadAbove},
  {"nats.duplicate_window", "2 min", ">= 1 s", kRestart, kReadAbove},
  {"nats.publish_prefix", "riskd.out", "a subject without wildcards", kRestart, kReadAbove},
  {"nats.timeout", "5 s", ">= 100 ms", kRestart, kReadAbove},
  {"nats.lease", "off", "set: active/standby", kRestart, kReadAbove},
  {"nats.lease.bucket", "riskd_lease", "[A-Za-z0-9_-]{1,64}", kRestart, kReadAbove},
  {"nats.lease.key", "active", "[A-Za-z0-9_-]{1,64}", kRestart, kReadAbove},
  {"nats.lease.ttl", "10 s", "1 s..1 h", kRestart, kReadAbove},
  {"nats.lease.renew_interval", "ttl / 3", "(0, ttl/2]", kRestart, kReadAbove},
  {"nats.lease.acquire_interval", "250 ms", "(0, renew_interval]", kRestart, kReadAbove},
  // Incidents, plans and watchlists: daemon/incident_settings.h, after the
  // risk types and the alert policy they refer to.
  {"incidents.top_nodes", "10", "0..100", kRestart, [](const Config& c, const std::string&, DaemonSettings* s) {
     auto incidents = ParseIncidentSettings(c, s->engine.risk_types, s->engine.alerts);
     if (!incidents.ok()) return incidents.status();
     s->incidents = std::move(*incidents);
     return Status::Ok(); }},
  {"incidents.alert_top_n", "20", "0..10000", kRestart, kReadAbove},
  {"incidents.alert_max_tier", "1", "-1..1000; -1: none by tier", kRestart, kReadAbove},
  {"incidents.max_alerts_per_incident", "50", "0..10000", kRestart, kReadAbove},
  {"incidents.close_after", "1 day", ">= 0", kRestart, kReadAbove},
  {"incidents.retain_closed", "1000", "0..100000", kRestart, kReadAbove},
  {"incidents.retain_restored", "1000", "0..100000", kRestart, kReadAbove},
  {"incidents.min_change_fraction", "0.1", "[0, 1]", kRestart, kReadAbove},
  {"plans[]", "none", "{id, title, risk_type, node_kinds, max_tier, min_level, actions}", kRestart, kReadAbove},
  {"watchlists[]", "none", "{name, node_ids, risk_type, thresholds}", kRestart, kReadAbove},
  // The dashboard's keys are checked together (connectors/http/dashboard_settings.h).
  {"dashboard.listen", "off", "host:port (IPv4); port 0 picks one", kRestart,
   [](const Config& c, const std::string&, DaemonSettings* s) {
     auto dashboard = connectors::ParseDashboardConfig(c.dashboard());
     if (!dashboard.ok()) return dashboard.status().WithContext("config");
     s->dashboard = std::move(*dashboard);
     return Status::Ok(); }},
  {"dashboard.users[]", "none", "{name, role, token_sha256}", kRestart, kReadAbove},
  {"dashboard.anonymous_read", "on loopback", "true off loopback: the explicit opt-out", kRestart, kReadAbove},
  {"dashboard.max_clients", "16", "1..256", kRestart, kReadAbove},
  {"dashboard.max_queued_bytes", "67108864", "1 MiB..4 GiB", kRestart, kReadAbove},
};
// clang-format on

// Rules across keys, after the walk.
Status CheckAcrossKeys(DaemonSettings* s) {
  const Status engine_ok = engine::ValidateEngineOptions(s->engine);
  if (!engine_ok.ok()) return engine_ok.WithContext("config");
  const Status planner_ok = engine::immunization::ValidatePlannerOptions(s->planner.options);
  if (!planner_ok.ok()) return planner_ok.WithContext("config");
  // Every listener: loopback, authenticated, or explicitly opted out.
  for (const Listener& l : ConfiguredListeners(*s)) RISKD_RETURN_IF_ERROR(CheckListener(l));
  return Status::Ok();
}

}  // namespace

std::span<const SettingRow> SettingsTable() { return kSettings; }

const SettingRow* FindSetting(std::string_view key) {
  for (const auto& row : kSettings) {
    if (row.key == key) return &row;
  }
  return nullptr;
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
  RISKD_RETURN_IF_ERROR(CheckConfigDurations(s.config));
  for (const SettingRow& row : kSettings) {
    if (row.apply) RISKD_RETURN_IF_ERROR(row.apply(s.config, config_dir, &s));
  }
  RISKD_RETURN_IF_ERROR(CheckAcrossKeys(&s));
  return s;
}

bool MaterialChange(const PlannerSettings& planner, double previous, double current) {
  const double change = std::abs(current - previous);
  return change > 0 && change >= planner.min_change_nodes &&
         change >= planner.min_change_fraction * std::max(previous, current);
}

Result<DaemonSettings> LoadSettings(const std::string& path) {
  // Checked on the descriptor that is read (no race with a rename between
  // the check and the read), opened without blocking: a FIFO would block
  // open() until a writer came (a SIGHUP reload or --check-config hanging),
  // a directory reads as empty ("a network source is required" would
  // mislead) and a device may never end (the running daemon read
  // /dev/zero on SIGHUP until memory ran out). Symlinks are followed.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return Status::NotFound("cannot open config file '" + path + "': " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status::IoError("cannot read config file '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("config file '" + path + "' is not a regular file");
  }
  const auto too_large = [&] {
    return Status::ResourceExhausted("config file '" + path + "' is larger than " +
                                     std::to_string(kMaxConfigBytes) + " bytes");
  };
  if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigBytes) return too_large();
  // Up to one byte over the limit: a file that grew since fstat is refused.
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t got = 0;
  while (got <= kMaxConfigBytes) {
    if (got == text.size())
      text.resize(std::min<std::size_t>(text.size() * 2, kMaxConfigBytes + 1));
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status::IoError("cannot read config file '" + path + "': " + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxConfigBytes) return too_large();
  text.resize(got);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  auto s = ParseSettings(text, dir);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

}  // namespace riskd::daemon
