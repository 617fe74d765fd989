// Daemon: riskd assembled, with a linear lifecycle (after Mosquitto and
// Redis), one step each:
//
//   Start():  OpenStore    state directory, database, journal (chain verified)
//             LoadNetwork  the engine from the newest usable checkpoint
//                          (daemon/checkpoints.h), or the stored base
//                          network, or the source imported
//             Replay       every journaled event after the checkpoint (all
//                          of them without one) into the engine
//             OpenEventLog the journal, or (nats.*) the JetStream stream it
//                          mirrors, with the lease and the subjects
//             Bind         CURVE handler, PUB, ROUTER, metrics; alert
//                          recovery; helper threads and the dashboard
//                          started
//   Serve():  the socket thread's loop, until Stop()
//             Drain        requests still queued refused, the engine applies
//                          every committed event and answers every query it
//                          has, replies flushed, helper threads joined
//
// Reload() applies a re-read config between batches (config_reload.h).
//
// Thread-safety: Stop() from any thread (or a signal handler's flag read by
// the tick); everything else on the thread that called Start().
#ifndef RISKD_DAEMON_DAEMON_H_
#define RISKD_DAEMON_DAEMON_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "connectors/http/dashboard_server.h"
#include "connectors/metrics/metrics_server.h"
#include "connectors/store/checkpoint_store.h"
#include "connectors/store/journal.h"
#include "connectors/store/state_store.h"
#include "daemon/alert_forwarder.h"
#include "daemon/engine_worker.h"
#include "daemon/event_log.h"
#include "daemon/feed_poller.h"
#include "daemon/ingest_loop.h"
#include "daemon/nats_replication.h"
#include "daemon/refusal_log.h"
#include "daemon/settings.h"

namespace riskd::daemon {

class Daemon {
 public:
  // Called now and then while a long start step (replay) makes progress.
  using Progress = std::function<void(const std::string& what)>;
  // Asked between the start's steps and every 1,000 events replayed: true
  // ends the start there with Aborted (SIGTERM while starting), rather than
  // after a replay of minutes, a bind and READY=1, only to drain at once.
  // Nothing is served or checkpointed; the next start does what a start
  // after kill -9 would.
  using StopRequested = std::function<bool()>;

  static Result<std::unique_ptr<Daemon>> Start(DaemonSettings settings, Progress progress = {},
                                               StopRequested stop_requested = {});
  ~Daemon();

  // Serves until Stop(), then drains. `tick` runs about every 100 ms on the
  // socket thread (signal flags, watchdog, status).
  void Serve(const std::function<void()>& tick);
  // Asks Serve() to drain and return. Idempotent.
  void Stop() { stop_.store(true); }

  // Re-reads `config_path` and applies its live keys (config_reload.h). An
  // invalid file, or live values the running daemon cannot take, change
  // nothing. Returns what happened, for the log.
  Result<std::string> Reload(const std::string& config_path);

  const std::string& ingest_endpoint() const { return ingest_->endpoint(); }
  const std::string& publish_endpoint() const { return worker_->publish_endpoint(); }
  const DaemonSettings& settings() const { return *settings_; }
  // Port of the metrics endpoint, 0 when off.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  // URL of the web dashboard, empty when off.
  std::string dashboard_url() const { return dashboard_ ? dashboard_->url() : ""; }
  riskd::v1::DaemonStatus MakeStatus() const;

 private:
  Daemon() = default;
  Status OpenStore();
  Status LoadNetwork();
  Status Replay(const Progress& progress, const StopRequested& stop_requested);
  Status OpenEventLog();
  Status Bind();
  void Drain();

  Status StartFeeds(const DaemonSettings& s);
  Status StartAlertForwarder(const DaemonSettings& s);
  // The web dashboard, when dashboard.listen is set (restart-only keys).
  Status StartDashboard(const DaemonSettings& s);
  // Mirrors every thread's counters into the metrics endpoint.
  void UpdateMetrics();

  // The settings in force; earlier generations stay alive because the
  // engine thread may still read them until it takes the new ones.
  std::unique_ptr<DaemonSettings> settings_;
  std::vector<std::unique_ptr<DaemonSettings>> retired_settings_;
  // Refused handshakes, role denials, rate-limited requests (from the ZAP
  // handler's thread and the socket thread); outlives every user.
  RefusalLog refusals_;
  zmq::context_t context_{1};
  std::unique_ptr<connectors::Journal> journal_;
  // The event log the ingest loop appends to: the journal, or (nats.*) the
  // JetStream stream, which nats_ owns with the lease and the subjects.
  std::unique_ptr<JournalEventLog> journal_log_;
  std::unique_ptr<NatsReplication> nats_;
  EventLog* event_log_ = nullptr;
  std::unique_ptr<IncidentIds> incident_ids_;
  std::unique_ptr<connectors::StateStore> store_;             // until handed to the worker
  std::unique_ptr<engine::Engine> engine_;                    // likewise
  std::unique_ptr<connectors::CheckpointStore> checkpoints_;  // likewise
  std::string checkpoint_fingerprint_;
  // The checkpoint the engine was restored from (0: none), and what the
  // start replayed after it.
  std::uint64_t restored_seq_ = 0;
  std::optional<std::int64_t> restored_manual_clock_ns_;
  // The incident book and footprints of the restored checkpoint.
  std::optional<connectors::DaemonCheckpointState> restored_state_;
  std::uint64_t replayed_ = 0;
  std::unique_ptr<EngineWorker> worker_;
  std::unique_ptr<IngestLoop> ingest_;
  std::unique_ptr<FeedPoller> feeds_;
  std::unique_ptr<AlertForwarder> alertmanager_;
  std::unique_ptr<connectors::MetricsServer> metrics_;
  std::unique_ptr<connectors::ZapHandler> zap_;
  std::unique_ptr<connectors::DashboardServer> dashboard_;
  // Keys of the daemon's own in-process clients when CURVE is on; the
  // dashboard has its own, with the admin role (it checks its users' roles
  // itself).
  std::optional<connectors::CurveClientKeys> internal_client_;
  std::optional<connectors::CurveClientKeys> dashboard_client_;
  std::thread engine_thread_;
  std::atomic<bool> stop_{false};
  bool drained_ = false;
  bool journal_intact_ = true;
  std::int64_t started_unix_ns_ = 0;
  std::uint64_t reloads_ = 0;
  std::uint64_t reloads_failed_ = 0;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_DAEMON_H_
