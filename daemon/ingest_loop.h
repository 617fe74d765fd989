// IngestLoop: the daemon's socket thread (the main thread). It owns the
// ROUTER endpoint: reads Envelopes in batches, validates them, group-commits
// the events to the journal, hands them to the engine thread and replies to
// every request with an Ack. It never waits for a projection; it does wait
// when the bounded queue to the engine is full (backpressure).
#ifndef RISKD_DAEMON_INGEST_LOOP_H_
#define RISKD_DAEMON_INGEST_LOOP_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "connectors/codec/event_codec.h"
#include "connectors/metrics/latency_histogram.h"
#include "connectors/store/journal.h"
#include "daemon/incident_ids.h"
#include "daemon/settings.h"

namespace riskd::daemon {

struct IngestStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> batches{0};
  // Rejections by Status code (riskd_ingest_rejected_by_reason_total).
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Status::Code::kInternal) + 1>
      rejected_by_code{};
  // Duration of each journal append (group commit).
  connectors::LatencyHistogram journal_commit;
};

class IngestLoop {
 public:
  // `incidents`: the ids OperatorActions may name (the engine thread adds
  // them).
  IngestLoop(const DaemonSettings& settings, connectors::Journal* journal,
             connectors::NodeDirectory directory, const IncidentIds* incidents);

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
  connectors::Journal* journal_;
  connectors::NodeDirectory directory_;
  const IncidentIds* incidents_;
  connectors::ValidationLimits limits_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> to_engine_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::string endpoint_;
  IngestStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INGEST_LOOP_H_
