// NatsSettings: the `nats` section of the daemon's configuration (NATS
// JetStream as the event log, active/standby with a lease), with defaults
// applied and every value checked. Schema: riskd.v1.NatsConfig.
#ifndef RISKD_DAEMON_NATS_SETTINGS_H_
#define RISKD_DAEMON_NATS_SETTINGS_H_

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "riskd/v1/config.pb.h"

namespace riskd::daemon {

struct NatsSettings {
  bool enabled = false;  // nats.servers set
  std::vector<std::string> servers;
  std::string instance;
  std::string stream = "RISKD_EVENTS";
  std::string subject = "riskd.events";
  int replicas = 3;
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  std::string publish_prefix = "riskd.out";
  std::chrono::milliseconds timeout{5000};
  // Active/standby (nats.lease set).
  bool lease = false;
  std::string lease_bucket = "riskd_lease";
  std::string lease_key = "active";
  std::chrono::milliseconds lease_ttl{10000};
  std::chrono::milliseconds lease_renew_interval{3333};
  std::chrono::milliseconds lease_acquire_interval{250};

  // The durable consumer's name: "riskd_<instance>".
  std::string durable() const { return "riskd_" + instance; }
};

// Fills `out` from `config`; errors say which key and why ("config: nats...").
Status ParseNatsSettings(const riskd::v1::NatsConfig& config, NatsSettings* out);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_NATS_SETTINGS_H_
