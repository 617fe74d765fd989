// IncidentSettings: the `incidents`, `plans` and `watchlists` sections of
// the daemon config (riskd.v1.IncidentConfig, EmergencyPlanConfig,
// WatchlistConfig) with defaults applied and every value checked. Watchlist
// node ids are resolved against the network at start-up (the daemon does
// it; ids missing then are logged and ignored).
#ifndef RISKD_DAEMON_INCIDENT_SETTINGS_H_
#define RISKD_DAEMON_INCIDENT_SETTINGS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/alert_policy.h"
#include "engine/emergency_plans.h"
#include "engine/incidents.h"
#include "engine/risk_type.h"
#include "riskd/v1/config.pb.h"

namespace riskd::daemon {

struct Watchlist {
  std::string name;
  std::vector<std::string> node_ids;
  int risk_type = -1;  // index; -1: every type
  engine::AlertPolicyOptions thresholds;
};

struct IncidentSettings {
  engine::IncidentOptions options;
  std::vector<engine::PlanRule> plans;
  std::vector<Watchlist> watchlists;
};

// `alerts` gives the defaults of watchlist thresholds and of the pushed
// alerts' min_update_delta; risk types are resolved by name.
Result<IncidentSettings> ParseIncidentSettings(const riskd::v1::DaemonConfig& config,
                                               const std::vector<engine::RiskType>& risk_types,
                                               const engine::AlertPolicyOptions& alerts);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INCIDENT_SETTINGS_H_
