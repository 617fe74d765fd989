// NatsReplication: the daemon's NATS side, built from the `nats` config:
// one connection, the event log on the JetStream stream (stream follower
// included), the lease when active/standby is on, and the publications on
// subjects. The daemon hands event_log() to the ingest loop and fence() and
// sink() to the engine thread's publisher, starts it once the engine
// thread's channel is bound, stops the follower before the engine drains
// and everything else after.
//
// Thread-safety: Open/Start/Stop* from the main thread; what it hands out
// is documented where it is declared.
#ifndef RISKD_DAEMON_NATS_REPLICATION_H_
#define RISKD_DAEMON_NATS_REPLICATION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <zmq.hpp>

#include "connectors/metrics/metrics_server.h"
#include "connectors/nats/lease.h"
#include "connectors/nats/nats_connection.h"
#include "connectors/nats/subject_publisher.h"
#include "daemon/settings.h"
#include "daemon/stream_event_log.h"

namespace riskd::daemon {

class NatsReplication {
 public:
  // Connects, makes sure the stream (and the lease bucket) exist.
  static Result<std::unique_ptr<NatsReplication>> Open(const DaemonSettings& settings,
                                                       connectors::Journal* mirror,
                                                       const engine::Network& network);
  ~NatsReplication();

  EventLog* event_log() { return log_.get(); }
  // Null without active/standby: the instance always publishes.
  const connectors::PublicationFence* fence() const { return lease_.get(); }
  connectors::PublicationSink* sink() { return subjects_.get(); }

  // Starts the stream follower (its manual model clock at
  // `manual_clock_ns`, where the replay left it) and the election.
  void Start(zmq::context_t* context, std::optional<std::int64_t> manual_clock_ns);
  // Stops reading the stream (before the engine thread drains).
  void StopFollower();
  // Stops the election; an active instance releases its lease, so a standby
  // takes over at once (a clean stop, not a crash).
  void Stop();

  void UpdateMetrics(connectors::MetricsServer* metrics) const;
  // For DaemonStatus: instance, follower position (the epoch is the
  // publisher's: EngineWorker::publishing_epoch).
  void FillStatus(riskd::v1::DaemonStatus* status) const;

 private:
  NatsReplication() = default;
  const DaemonSettings* settings_ = nullptr;
  std::unique_ptr<connectors::nats::NatsConnection> connection_;
  std::unique_ptr<StreamEventLog> log_;
  std::unique_ptr<connectors::nats::Lease> lease_;
  std::unique_ptr<connectors::nats::SubjectPublisher> subjects_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_NATS_REPLICATION_H_
