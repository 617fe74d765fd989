// What a SIGHUP changes: the running settings and a freshly read file are
// compared key by key along the settings table (settings.h). Changed keys
// whose row reloads live are taken from the new file; changed keys that
// need a restart keep their running value and are named, so the operator
// knows what the next start will bring. The generic part works on the
// config message by reflection, so a key added to the table with
// "reloads live" needs nothing here; what applies it (the engine thread,
// the feed poller, the Alertmanager forwarder) reads the new settings.
//
// Thread-safety: functions of their arguments.
#ifndef RISKD_DAEMON_CONFIG_RELOAD_H_
#define RISKD_DAEMON_CONFIG_RELOAD_H_

#include <string>
#include <vector>

#include "daemon/settings.h"

namespace riskd::daemon {

struct ReloadPlan {
  std::vector<std::string> live;     // changed keys taken from the new file
  std::vector<std::string> restart;  // changed keys kept until the next start
  DaemonSettings applied;            // the running settings with `live` changed
};

// REQUIRES: both parsed from the same config path (same config_dir).
// Errors when the merged config does not validate (e.g. a live threshold
// that contradicts a kept one).
Result<ReloadPlan> PlanReload(const DaemonSettings& running, const DaemonSettings& fresh);

// The key's value in `config` as text, for comparing ("" when unset). Keys
// through repeated messages ("risk_types[].alpha") list each element by its
// `name` field.
std::string KeyValueText(const riskd::v1::DaemonConfig& config, std::string_view key);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_CONFIG_RELOAD_H_
