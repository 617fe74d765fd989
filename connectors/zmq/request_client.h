// RequestClient: sends one Envelope to the daemon's ingest ROUTER and waits
// for its Ack, for components that ask the daemon on a user's behalf (the
// dashboard's snapshot, network and action requests). Each call uses a
// DEALER socket of its own, so calls from several threads never share one.
//
// Thread-safe.
#ifndef RISKD_CONNECTORS_ZMQ_REQUEST_CLIENT_H_
#define RISKD_CONNECTORS_ZMQ_REQUEST_CLIENT_H_

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "base/status.h"
#include "connectors/zmq/curve_auth.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

class RequestClient {
 public:
  struct Options {
    // The ingest endpoint (inproc:// needs the daemon's own context).
    std::string endpoint;
    zmq::context_t* context = nullptr;
    // CURVE client keys when the ingest requires them.
    std::optional<CurveClientKeys> curve;
  };

  explicit RequestClient(Options options) : options_(std::move(options)) {}

  // The Ack answering `envelope` (matched by event_id), or Unavailable when
  // none arrives within `timeout` or once *cancel (if given) becomes true.
  Result<riskd::v1::Ack> Ask(const riskd::v1::Envelope& envelope, std::chrono::milliseconds timeout,
                             const std::atomic<bool>* cancel = nullptr) const;

 private:
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_REQUEST_CLIENT_H_
