// SubjectPublisher: the daemon's publications on NATS subjects, alongside
// the ZeroMQ PUB socket: topic "alert.critical.supply.N1" is published on
// "<prefix>.alert.critical.supply.N1" with the same Publication bytes. Core
// NATS (not JetStream): at most once, like PUB; a subscriber that needs
// every message reads a snapshot and follows the sequence numbers.
//
// Thread-safety: Send() may be called from any thread (the NATS client's
// connection is thread-safe).
#ifndef RISKD_CONNECTORS_NATS_SUBJECT_PUBLISHER_H_
#define RISKD_CONNECTORS_NATS_SUBJECT_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/nats/nats_connection.h"
#include "connectors/zmq/publisher.h"

namespace riskd::connectors::nats {

// "<prefix>.<topic>" as a valid subject: characters NATS reserves inside a
// token (space, tab, CR, LF, '*', '>') become '_', and empty tokens
// (a node id ending in '.', "..") become "_".
std::string SubjectFor(std::string_view prefix, std::string_view topic);

class SubjectPublisher final : public PublicationSink {
 public:
  SubjectPublisher(const NatsConnection* connection, std::string prefix)
      : connection_(connection), prefix_(std::move(prefix)) {}

  // Never waits for the server; while disconnected, the client buffers (up
  // to its reconnect buffer) and then drops.
  void Send(const std::string& topic, const std::string& payload) override;

  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  const NatsConnection* connection_;
  std::string prefix_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace riskd::connectors::nats

#endif  // RISKD_CONNECTORS_NATS_SUBJECT_PUBLISHER_H_
