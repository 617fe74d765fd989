// Publisher: the daemon's ZeroMQ PUB output. Each message is two frames,
// [topic, riskd.v1.Publication], and carries the next sequence number, so
// subscribers can detect gaps and line up with a snapshot. Sending never
// blocks: a slow subscriber loses messages at its high-water mark instead of
// stalling the daemon.
#ifndef RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
#define RISKD_CONNECTORS_ZMQ_PUBLISHER_H_

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "connectors/zmq/curve_auth.h"
#include "engine/status.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

class Publisher {
 public:
  // Binds a PUB socket to `endpoint` and, when not empty, to
  // `inproc_endpoint` (for the daemon's own subscribers). `last_sequence` is
  // the last sequence already used (0 for a fresh daemon).
  // With `curve`, the socket is a CURVE server with that key pair.
  static Result<std::unique_ptr<Publisher>> Bind(zmq::context_t* context,
                                                 const std::string& endpoint,
                                                 const std::string& inproc_endpoint,
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

 private:
  explicit Publisher(zmq::socket_t socket, std::string endpoint, std::uint64_t last)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)), last_sequence_(last) {}
  zmq::socket_t socket_;
  std::string endpoint_;
  std::uint64_t last_sequence_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
