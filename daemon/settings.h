// DaemonSettings: the daemon's configuration, read from a protobuf text-format
// file (schema riskd.v1.DaemonConfig in proto/riskd/v1/config.proto), with
// every default applied, every value checked, and relative paths resolved
// against the config file's directory.
//
// Every key is a row of one table (SettingsTable(), after Redis's
// static_configs[]): its name, default, bounds, whether a SIGHUP applies it
// live, and the function that reads and checks it. ParseSettings walks the
// table; the daemon's reload diffs two configs row by row (config_reload.h);
// docs/configuration.md is checked against it by a test. A default lives in
// one place: the option structs (engine::*Options, DaemonSettings below);
// rows only override what the config sets.
//
// Thread-safety: values; a DaemonSettings is not changed once parsed (a
// reload makes a new one).
#ifndef RISKD_DAEMON_SETTINGS_H_
#define RISKD_DAEMON_SETTINGS_H_

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/codec/event_codec.h"
#include "connectors/http/dashboard_settings.h"
#include "connectors/metrics/metrics_server.h"
#include "connectors/zmq/curve_auth.h"
#include "daemon/incident_settings.h"
#include "daemon/nats_settings.h"
#include "daemon/refinement.h"
#include "engine/engine.h"
#include "engine/immunization/planner.h"
#include "riskd/v1/config.pb.h"

namespace riskd::daemon {

// When and how the daemon plans immunization (config PlannerConfig).
struct PlannerSettings {
  int k = 5;  // 0: no published plans
  double min_interval_seconds = 30;
  double min_change_nodes = 0.5;
  double min_change_fraction = 0.1;
  int max_query_k = 100;
  engine::immunization::PlannerOptions options;
};

// Whether the expected number disrupted moved materially from `previous`
// (at the last published plan; 0 before any) to `current`: by at least
// min_change_nodes and at least min_change_fraction of the larger value.
bool MaterialChange(const PlannerSettings& planner, double previous, double current);

// The model clock (config ClockConfig; docs/protocol.md, "The model clock").
struct ClockSettings {
  // CLOCK_MANUAL: only journaled ClockTick envelopes move the clock.
  bool manual = false;
  double history_window_seconds = 30 * 86400.0;
  double max_skew_seconds = 300;
  // CLOCK_MANUAL: where the clock starts (config clock.start).
  std::optional<std::int64_t> start_ns;
};

struct DaemonSettings {
  riskd::v1::DaemonConfig config;  // as written, defaults filled in
  std::string config_dir;
  std::string state_dir;
  std::string database;
  std::string ingest_endpoint = "tcp://127.0.0.1:7750";
  std::string publish_endpoint = "tcp://127.0.0.1:7751";
  engine::EngineOptions engine;
  // How events name risk types (names, default_risk_type,
  // hazard_risk_types); the risk types themselves are engine.risk_types.
  connectors::RiskTypeResolver risk_type_resolver;
  double step_seconds = 86400;
  ClockSettings clock;
  // Event times to model steps, hazard durations (from projection.step and
  // hazard_durations).
  connectors::EventTiming timing;
  std::size_t max_message_bytes = 1 << 20;
  std::size_t max_batch = 1024;
  // Requests waiting for the engine thread, in events (and queries).
  std::size_t queue_capacity = 65536;
  // ingest.max_nodes_per_event, ingest.max_place_vertices.
  connectors::ValidationLimits limits;
  // ingest.peer_rate (per second; 0: off) and ingest.peer_burst.
  double peer_rate = 50000;
  double peer_burst = 100000;
  // endpoints.allow_unauthenticated: the listener rule's opt-out for the
  // ZeroMQ endpoints (daemon/listener_rule.h).
  bool endpoints_allow_unauthenticated = false;
  std::string log_level = "info";
  std::string metrics_listen;  // empty: off
  // metrics.users (empty: no authentication) and metrics.anonymous_read
  // (unset: the default, loopback only).
  std::vector<connectors::MetricsUser> metrics_users;
  std::optional<bool> metrics_anonymous_read;
  std::string alertmanager_url;  // empty: off
  double alertmanager_resend_s = 60;
  double alertmanager_timeout_s = 5;
  // CURVE: the server key pair (empty public key: off) and the allow list.
  connectors::CurveKeyPair server_key;
  std::map<std::string, connectors::AllowedClient> allowed_clients;
  PlannerSettings planner;
  // Journaled events between engine checkpoints; 0: none (config
  // checkpoint.interval_events).
  std::uint64_t checkpoint_interval_events = 100000;
  // Publications queued per subscriber (config publish.send_high_water_mark).
  int publish_send_hwm = 1000;
  // Refinement slices (projection.refine_work, projection.refine_share).
  RefineSettings refine;
  // Incidents, alert budget, emergency plans, watchlists.
  IncidentSettings incidents;
  // ingest.max_place_area_km2; 0: no limit.
  double max_place_area_km2 = 3.2e6;
  NatsSettings nats;  // event log on JetStream, active/standby
  // The web dashboard (off unless dashboard.listen is set).
  connectors::DashboardSettings dashboard;
  // Command line, not config: accept events although the journal's hash
  // chain is broken (riskd --accept-broken-journal).
  bool accept_broken_journal = false;
  // Command line: replace the stored base network by the configured source
  // (riskd --reimport-network; daemon/base_network.h).
  bool reimport_network = false;
};

// One configuration key.
struct SettingRow {
  using Apply = Status (*)(const riskd::v1::DaemonConfig& config, const std::string& config_dir,
                           DaemonSettings* settings);
  std::string_view key;           // e.g. "projection.horizon_steps", "risk_types[].alpha"
  std::string_view default_text;  // as docs/configuration.md shows it
  std::string_view bounds;        // the rule checked, for people
  bool reloads_live;              // SIGHUP applies it; else at the next start
  // Reads the key into *settings (leaving the struct's default when unset)
  // and checks it; nullptr for keys read by the row above (a repeated
  // group, a network source) or checked where they are used (feeds).
  Apply apply;
};
std::span<const SettingRow> SettingsTable();
// The row of `key`, or nullptr.
const SettingRow* FindSetting(std::string_view key);

// ipc://, inproc://, or tcp:// on a loopback host (listener_rule.h).
bool IsLocalEndpoint(const std::string& endpoint);

// Parses `text` (text format). Errors name the line and column.
Result<DaemonSettings> ParseSettings(const std::string& text, const std::string& config_dir);
// Reads and parses the config file at `path`: a regular file of at most
// kMaxConfigBytes (a directory, device or FIFO is refused with the reason,
// not read without bound on a SIGHUP).
inline constexpr std::size_t kMaxConfigBytes = 16 << 20;
Result<DaemonSettings> LoadSettings(const std::string& path);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_SETTINGS_H_
