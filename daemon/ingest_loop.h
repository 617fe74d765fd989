// IngestLoop: the daemon's socket thread (the main thread). It owns the
// ROUTER endpoint: reads Envelopes in batches, validates them, group-commits
// the events to the event log (the journal, or the JetStream stream: see
// daemon/event_log.h), hands them to the engine thread (unless the log feeds
// it) and replies to every request with an Ack. It never waits for a
// projection; it does wait when the bounded queue to the engine is full
// (backpressure).
#ifndef RISKD_DAEMON_INGEST_LOOP_H_
#define RISKD_DAEMON_INGEST_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "connectors/codec/event_codec.h"
#include "daemon/event_log.h"
#include "daemon/settings.h"

namespace riskd::daemon {

struct IngestStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> batches{0};
};

class IngestLoop {
 public:
  IngestLoop(const DaemonSettings& settings, EventLog* log, connectors::NodeDirectory directory);

  // Binds the ROUTER endpoint and connects to the engine thread's channels.
  Status Bind(zmq::context_t* context);
  const std::string& endpoint() const { return endpoint_; }

  // Serves until *stop becomes true; calls `tick` about every 100 ms (signal
  // flags, watchdog). Then tells the engine thread to drain and stop.
  void Run(const std::atomic<bool>* stop, const std::function<void()>& tick);

  const IngestStats& stats() const { return stats_; }

 private:
  void ReadBatch();
  void ForwardReplies();

  const DaemonSettings& settings_;
  EventLog* log_;
  connectors::NodeDirectory directory_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> to_engine_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::string endpoint_;
  IngestStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INGEST_LOOP_H_
