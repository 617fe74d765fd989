#include "connectors/testing/fake_ingest.h"

#include <zmq.hpp>

#include "base/status.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

FakeIngest::FakeIngest(std::set<std::string> known_nodes, std::set<std::string> drop_first_copy)
    : known_nodes_(std::move(known_nodes)), drop_first_copy_(std::move(drop_first_copy)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("tcp://127.0.0.1:*");
  endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  thread_ = std::thread([this] { Serve(); });
}

FakeIngest::~FakeIngest() {
  stop_ = true;
  thread_.join();
}

std::vector<std::string> FakeIngest::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

void FakeIngest::Serve() {
  zmq::socket_t& socket = socket_;
  while (!stop_) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> frames;
    do {
      zmq::message_t frame;
      if (!socket.recv(frame, zmq::recv_flags::none)) break;
      frames.push_back(std::move(frame));
    } while (socket.get(zmq::sockopt::rcvmore));
    if (frames.size() < 2) continue;
    riskd::v1::Envelope env;
    riskd::v1::Ack ack;
    const auto& payload = frames.back();
    // Reasons as the daemon words them (docs/protocol.md, "Ingest").
    if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      ack.set_result(riskd::v1::Ack::RESULT_REJECTED);
      ack.set_reason(Status::InvalidArgument("payload: cannot parse " +
                                             std::to_string(payload.size()) +
                                             " bytes as riskd.v1.Envelope")
                         .ToString());
    } else if (env.event_id().empty()) {
      ack.set_result(riskd::v1::Ack::RESULT_REJECTED);
      ack.set_reason(Status::InvalidArgument("event_id: is required").ToString());
    } else {
      ack.set_event_id(env.event_id());
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(env.event_id());
      if (drop_first_copy_.erase(env.event_id())) continue;  // lost on the way
      if (env.has_supplier_status() && !known_nodes_.empty() &&
          !known_nodes_.count(env.supplier_status().node_id())) {
        ack.set_result(riskd::v1::Ack::RESULT_REJECTED);
        ack.set_reason(Status::NotFound("supplier_status.node_id: node '" +
                                        env.supplier_status().node_id() + "' is not in the network")
                           .ToString());
      } else if (journal_.insert(env.event_id()).second) {
        ack.set_result(riskd::v1::Ack::RESULT_ACCEPTED);
        ack.set_journal_seq(journal_.size());
      } else {
        ack.set_result(riskd::v1::Ack::RESULT_DUPLICATE);
      }
    }
    socket.send(frames.front(), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(ack.SerializeAsString()), zmq::send_flags::none);
  }
}

}  // namespace riskd::connectors
