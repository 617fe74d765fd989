// Daemon: riskd assembled. Start() opens the state directory and database,
// loads the network (importing the configured source on first start),
// replays the journal into a fresh engine, recovers alert state and binds
// every endpoint; Run() serves until asked to stop, then drains.
#ifndef RISKD_DAEMON_DAEMON_H_
#define RISKD_DAEMON_DAEMON_H_

#include <atomic>
#include <functional>
#include <optional>
#include <memory>
#include <thread>
#include <zmq.hpp>

#include "connectors/store/journal.h"
#include "connectors/metrics/metrics_server.h"
#include "daemon/alert_forwarder.h"
#include "daemon/engine_worker.h"
#include "daemon/event_log.h"
#include "daemon/feed_poller.h"
#include "daemon/ingest_loop.h"
#include "daemon/nats_replication.h"
#include "daemon/settings.h"

namespace riskd::daemon {

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> Start(DaemonSettings settings);
  ~Daemon();

  // Serves until *stop is true. `tick` runs about every 100 ms on the socket
  // thread (signal flags, watchdog).
  void Run(const std::atomic<bool>* stop, const std::function<void()>& tick);

  const std::string& ingest_endpoint() const { return ingest_->endpoint(); }
  const std::string& publish_endpoint() const { return worker_->publish_endpoint(); }
  const DaemonSettings& settings() const { return *settings_; }
  // Port of the metrics endpoint, 0 when off.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

 private:
  Daemon() = default;
  // Mirrors every thread's counters into the metrics endpoint.
  void UpdateMetrics();
  // What StatusQuery answers (socket thread).
  riskd::v1::DaemonStatus MakeStatus() const;

  std::unique_ptr<DaemonSettings> settings_;
  zmq::context_t context_{1};
  std::unique_ptr<connectors::Journal> journal_;
  // The event log the ingest loop appends to: the journal, or (nats.*) the
  // JetStream stream, which nats_ owns with the lease and the subjects.
  std::unique_ptr<JournalEventLog> journal_log_;
  std::unique_ptr<NatsReplication> nats_;
  EventLog* event_log_ = nullptr;
  std::unique_ptr<EngineWorker> worker_;
  std::unique_ptr<IngestLoop> ingest_;
  std::unique_ptr<FeedPoller> feeds_;
  std::unique_ptr<AlertForwarder> alertmanager_;
  std::unique_ptr<connectors::MetricsServer> metrics_;
  std::unique_ptr<connectors::ZapHandler> zap_;
  // Keys of the daemon's own in-process clients when CURVE is on.
  std::optional<connectors::CurveClientKeys> internal_client_;
  std::thread engine_thread_;
  bool journal_intact_ = true;
  std::int64_t started_unix_ns_ = 0;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_DAEMON_H_
