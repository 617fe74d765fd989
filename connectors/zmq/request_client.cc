#include "connectors/zmq/request_client.h"

#include <algorithm>

namespace riskd::connectors {

Result<riskd::v1::Ack> RequestClient::Ask(const riskd::v1::Envelope& envelope,
                                          std::chrono::milliseconds timeout,
                                          const std::atomic<bool>* cancel) const {
  std::string payload;
  if (!envelope.SerializeToString(&payload))
    return Status::Internal("cannot serialize the request");
  try {
    zmq::socket_t socket(*options_.context, zmq::socket_type::dealer);
    if (options_.curve) ApplyCurveClient(socket, *options_.curve);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(options_.endpoint);
    (void)socket.send(zmq::buffer(payload), zmq::send_flags::dontwait);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (cancel && cancel->load()) return Status::Unavailable("the request was cancelled");
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      // Short slices, so a cancellation is seen promptly.
      if (zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(100))) <= 0) continue;
      zmq::message_t reply;
      if (!socket.recv(reply, zmq::recv_flags::dontwait)) continue;
      riskd::v1::Ack ack;
      if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
          ack.event_id() == envelope.event_id()) {
        return ack;
      }
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(std::string("ingest: ") + e.what());
  }
  return Status::Unavailable("the daemon did not answer within " + std::to_string(timeout.count()) +
                             " ms");
}

}  // namespace riskd::connectors
