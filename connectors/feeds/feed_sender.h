// FeedSender: delivers Envelopes to the daemon's ingest ROUTER endpoint over
// a ZeroMQ DEALER socket and collects one Ack per Envelope.
//
// Up to Options::window Envelopes are in flight at once; an Envelope whose
// Ack has not arrived within ack_timeout is sent again (event ids make
// retries idempotent: a copy the daemon already journaled is answered
// DUPLICATE), up to max_attempts sends, after which it is reported
// unanswered. Acks are matched by event_id; stray ones (a late answer to an
// earlier copy) are ignored.
#ifndef RISKD_CONNECTORS_FEEDS_FEED_SENDER_H_
#define RISKD_CONNECTORS_FEEDS_FEED_SENDER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "base/status.h"
#include "connectors/zmq/curve_auth.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

struct SendOutcome {
  enum class Result { kAccepted, kDuplicate, kRejected, kUnanswered };
  std::size_t index = 0;  // position in the vector given to Send
  std::string event_id;
  Result result = Result::kUnanswered;
  std::string reason;  // Ack.reason for kRejected
  int attempts = 0;    // sends made
};

std::string_view ResultName(SendOutcome::Result result);

struct SendTotals {
  std::size_t accepted = 0, duplicate = 0, rejected = 0, unanswered = 0;
};

class FeedSender {
 public:
  struct Options {
    // The daemon's ingest endpoint. Default "tcp://127.0.0.1:7750".
    std::string endpoint = "tcp://127.0.0.1:7750";
    // How long to wait for an Ack before sending again. Default 2 s.
    std::chrono::milliseconds ack_timeout{2000};
    // Sends per Envelope, first included. Default 3.
    int max_attempts = 3;
    // Envelopes awaiting an Ack at once. Default 32.
    std::size_t window = 32;
    // ZeroMQ context to use; needed for inproc:// endpoints (the daemon's
    // own poller). Default nullptr: a context of its own.
    zmq::context_t* context = nullptr;
    // CURVE client keys when the daemon's ingest requires them.
    std::optional<CurveClientKeys> curve;
  };

  explicit FeedSender(Options options) : options_(std::move(options)) {}

  // Sends every envelope and calls on_outcome once per envelope, in the order
  // Acks arrive. REQUIRES: event ids are distinct.
  Result<SendTotals> Send(const std::vector<riskd::v1::Envelope>& envelopes,
                          const std::function<void(const SendOutcome&)>& on_outcome) const;

 private:
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_FEED_SENDER_H_
