// AlertForwarder: sends the daemon's alerts and incidents to a Prometheus
// Alertmanager (config `alertmanager`; node alerts carry an `incident` label
// so Alertmanager groups them by incident, and each open incident is an
// alert of its own). It subscribes to the daemon's own PUB socket over
// inproc, so it sees exactly what dashboards see and can never slow the
// engine down: if Alertmanager is slow or down, the forwarder's pending list
// grows up to a bound (then the oldest changes are dropped and counted), it
// retries with backoff, and it re-posts every open alert each
// resend_interval, as Alertmanager expects of firing alerts.
//
// Active/standby (docs/operations.md): it posts only while its instance
// publishes (the lease grants the epoch its publisher adopted), and only
// what was published under that adoption. While the instance stands by it
// posts nothing and keeps what it holds. When its publisher adopts another
// epoch than the one its open alerts, incidents and pending changes were
// published under, it forgets them: another instance may have held the
// lease meanwhile and resolved them (the new term's announcement re-sends
// the open incidents and alerts, EngineWorker::AnnounceEpoch). A lapse that
// comes back under the same epoch (no other instance held the lease: an
// epoch is the lease's revision at its acquisition) only pauses it, so its
// open alerts keep firing; the announcement then also re-sends what was
// closed or resolved while the lease lapsed.
#ifndef RISKD_DAEMON_ALERT_FORWARDER_H_
#define RISKD_DAEMON_ALERT_FORWARDER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "base/status.h"
#include "connectors/alertmanager/alertmanager_client.h"
#include "connectors/zmq/curve_auth.h"
#include "connectors/zmq/publisher.h"

namespace riskd::daemon {

struct AlertForwarderStats {
  std::atomic<std::uint64_t> posted{0};  // alerts delivered
  std::atomic<std::uint64_t> post_failures{0};
  std::atomic<std::uint64_t> dropped{0};  // changes dropped at the bound
  // Open alerts and incidents forgotten because the instance publishes
  // under another epoch now (another may have published meanwhile).
  std::atomic<std::uint64_t> forgotten{0};
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
    // Active/standby: the publisher's latest adoption
    // (connectors::Publisher::adoption). Called from the forwarder's
    // thread. Empty without active/standby: everything received is posted.
    std::function<connectors::Publisher::Adoption()> adoption;
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
  // The publisher adopted another epoch (Options::adoption): forgets what
  // was published under the last.
  void NewAdoption(const connectors::Publisher::Adoption& adoption);

  zmq::context_t* context_;
  Options options_;
  std::unique_ptr<zmq::socket_t> sub_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::map<std::string, riskd::v1::Alert> open_;          // by riskd alert id
  std::map<std::string, riskd::v1::Incident> incidents_;  // open, by incident id
  std::deque<connectors::PostableAlert> pending_;
  // The last adoption under an epoch (not 0): what open_ and incidents_
  // were published under.
  connectors::Publisher::Adoption adoption_;
  AlertForwarderStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ALERT_FORWARDER_H_
