// EngineWorker: the daemon's engine thread. It takes journaled events from
// the ingest thread, applies them to the engine in batches (coalescing what
// arrived while it was busy), re-projects, persists and publishes alert
// changes and projection summaries, and answers queries after the events
// that preceded them (read-your-writes).
#ifndef RISKD_DAEMON_ENGINE_WORKER_H_
#define RISKD_DAEMON_ENGINE_WORKER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "connectors/store/state_store.h"
#include "connectors/zmq/publisher.h"
#include "daemon/settings.h"
#include "engine/engine.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::daemon {

struct EngineWorkerStats {
  std::atomic<std::uint64_t> events_applied{0};
  std::atomic<std::uint64_t> events_not_applied{0};
  std::atomic<std::uint64_t> projections{0};
  std::atomic<std::uint64_t> alerts_published{0};
  std::atomic<std::uint64_t> last_applied_seq{0};
};

class EngineWorker {
 public:
  EngineWorker(const DaemonSettings& settings, std::unique_ptr<engine::Engine> engine,
               std::unique_ptr<connectors::StateStore> store);

  // Applies one journaled event during start-up replay (no publishing).
  void Replay(std::uint64_t seq, const std::string& payload);
  // After replay: re-opens the alerts stored as open, projects, and persists
  // and publishes whatever differs (e.g. alerts lost to a crash).
  Status Recover();

  // Binds the PUB endpoint and the inproc channels. REQUIRES: before Run().
  Status Bind(zmq::context_t* context);
  // Runs until a stop frame arrives and everything before it is applied.
  void Run();

  const std::string& publish_endpoint() const { return publisher_->endpoint(); }
  // REQUIRES: not running (start-up only).
  const engine::Network& network() const { return engine_->network(); }
  const EngineWorkerStats& stats() const { return stats_; }

 private:
  void Apply(std::uint64_t seq, std::string_view payload, bool live);
  void ProjectAndPublish();
  riskd::v1::Ack Answer(const riskd::v1::Envelope& query);
  riskd::v1::Snapshot MakeSnapshot() const;

  const DaemonSettings& settings_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<connectors::StateStore> store_;
  std::unique_ptr<connectors::Publisher> publisher_;
  std::unique_ptr<zmq::socket_t> events_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::uint64_t applied_seq_ = 0;
  std::uint64_t restored_sequence_ = 0;
  // Last published Alert of every open alert, by alert id.
  std::map<std::string, riskd::v1::Alert> open_alerts_;
  std::map<std::string, riskd::v1::ProjectionSummary> summaries_;
  EngineWorkerStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ENGINE_WORKER_H_
