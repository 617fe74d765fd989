// AlertForwarder: sends the daemon's alerts and incidents to a Prometheus
// Alertmanager (config `alertmanager`; node alerts carry an `incident` label
// so Alertmanager groups them by incident, and each open incident is an
// alert of its own). It subscribes to the daemon's own PUB socket over
// inproc, so it sees exactly what dashboards see and can never slow the
// engine down: if Alertmanager is slow or down, the forwarder's pending list
// grows up to a bound (then the oldest changes are dropped and counted), it
// retries with backoff, and it re-posts every open alert each
// resend_interval, as Alertmanager expects of firing alerts.
#ifndef RISKD_DAEMON_ALERT_FORWARDER_H_
#define RISKD_DAEMON_ALERT_FORWARDER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "base/status.h"
#include "connectors/alertmanager/alertmanager_client.h"
#include "connectors/zmq/curve_auth.h"

namespace riskd::daemon {

struct AlertForwarderStats {
  std::atomic<std::uint64_t> posted{0};  // alerts delivered
  std::atomic<std::uint64_t> post_failures{0};
  std::atomic<std::uint64_t> dropped{0};  // changes dropped at the bound
};

class AlertForwarder {
 public:
  struct Options {
    connectors::AlertmanagerClient::Options client;
    // Re-post open alerts this often; they are valid for 4 intervals.
    std::chrono::seconds resend_interval{60};
    std::string generator_url;
    // Most alert changes kept while Alertmanager is unreachable.
    std::size_t max_pending = 10000;
  };

  AlertForwarder(zmq::context_t* context, Options options);
  ~AlertForwarder();

  // Subscribes to `publish_endpoint` (the daemon's inproc PUB) and starts
  // the thread.
  Status Start(const std::string& publish_endpoint,
               const std::optional<connectors::CurveClientKeys>& curve = std::nullopt);
  void Stop();
  const AlertForwarderStats& stats() const { return stats_; }

 private:
  void Run();
  void Take(const riskd::v1::Alert& alert);
  // An incident: posted as an alert of its own (RiskdIncident), and the
  // alerts it resolves in bulk posted resolved.
  void Take(const riskd::v1::Incident& incident);
  void Queue(connectors::PostableAlert alert);

  zmq::context_t* context_;
  Options options_;
  std::unique_ptr<zmq::socket_t> sub_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::map<std::string, riskd::v1::Alert> open_;          // by riskd alert id
  std::map<std::string, riskd::v1::Incident> incidents_;  // open, by incident id
  std::deque<connectors::PostableAlert> pending_;
  AlertForwarderStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ALERT_FORWARDER_H_
