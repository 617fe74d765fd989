// Publisher: the daemon's ZeroMQ PUB output. Each message is two frames,
// [topic, riskd.v1.Publication], and carries the next sequence number, so
// subscribers can detect gaps and line up with a snapshot. Sending never
// blocks: a slow subscriber loses messages at its high-water mark instead of
// stalling the daemon.
//
// Optionally (active/standby, docs/operations.md) a PublicationFence says
// whether this instance may publish and under which epoch, and a
// PublicationSink receives every sent message too (NATS subjects). A
// message is sent only if the fence grants, at the moment of sending, the
// epoch it was stamped with; otherwise it is dropped and counted.
//
// Thread-safety: one thread (the engine thread) uses a Publisher; the fence
// and the sink are called from it.
#ifndef RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
#define RISKD_CONNECTORS_ZMQ_PUBLISHER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "connectors/zmq/curve_auth.h"
#include "engine/status.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

inline constexpr const char* kInprocPublishEndpoint = "inproc://riskd.publish";

// Who may publish now (active/standby). Thread-safe.
class PublicationFence {
 public:
  virtual ~PublicationFence() = default;
  // The epoch to publish under now, or nullopt while this instance must not
  // publish (a standby, or an active instance whose lease may have lapsed).
  virtual std::optional<std::uint64_t> CurrentEpoch() const = 0;
};

// A second destination of every message sent (e.g. NATS subjects).
class PublicationSink {
 public:
  virtual ~PublicationSink() = default;
  // Must not block for long; may drop (at most once, like PUB).
  virtual void Send(const std::string& topic, const std::string& payload) = 0;
};

class Publisher {
 public:
  // Binds a PUB socket to `endpoint` and to kInprocPublishEndpoint (for the
  // daemon's own subscribers). `last_sequence` is the last sequence already
  // used (0 for a fresh daemon).
  // With `curve`, the socket is a CURVE server with that key pair.
  static Result<std::unique_ptr<Publisher>> Bind(zmq::context_t* context,
                                                 const std::string& endpoint,
                                                 std::uint64_t last_sequence,
                                                 const CurveKeyPair* curve = nullptr);

  // The sequence the next Publish() will use.
  std::uint64_t next_sequence() const { return last_sequence_ + 1; }
  std::uint64_t last_sequence() const { return last_sequence_; }

  // Stamps `pub` with the next sequence and the time; returns the sequence.
  // Separate from Send() so the daemon can persist what it is about to
  // publish first.
  std::uint64_t Stamp(riskd::v1::Publication* pub, std::int64_t now_unix_ns);
  // Sends a stamped publication under `topic`.
  void Send(const std::string& topic, const riskd::v1::Publication& pub);
  // Stamp() then Send().
  std::uint64_t Publish(const std::string& topic, riskd::v1::Publication* pub,
                        std::int64_t now_unix_ns);
  // The endpoint actually bound (resolves tcp://...:* wildcards).
  const std::string& endpoint() const { return endpoint_; }

  // Active/standby outputs; null: always publish, epoch 0, no sink.
  // `name` goes into Publication.publisher. REQUIRES: before Stamp().
  void SetOutputs(const PublicationFence* fence, PublicationSink* sink, std::string name);
  // The epoch the fence grants now (0 without a fence or while fenced off).
  std::uint64_t current_epoch() const;
  // Messages stamped but not sent because the fence did not grant their
  // epoch when they were sent.
  std::uint64_t fenced_off() const { return fenced_off_; }

 private:
  explicit Publisher(zmq::socket_t socket, std::string endpoint, std::uint64_t last)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)), last_sequence_(last) {}
  zmq::socket_t socket_;
  std::string endpoint_;
  std::uint64_t last_sequence_;
  const PublicationFence* fence_ = nullptr;
  PublicationSink* sink_ = nullptr;
  std::string name_;
  std::uint64_t fenced_off_ = 0;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
