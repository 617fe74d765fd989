#include "connectors/zmq/publisher.h"

#include "connectors/codec/output_codec.h"

namespace riskd::connectors {

Result<std::unique_ptr<Publisher>> Publisher::Bind(zmq::context_t* context,
                                                   const std::string& endpoint,
                                                   const std::string& inproc_endpoint,
                                                   std::uint64_t last_sequence,
                                                   const CurveKeyPair* curve,
                                                   SequenceReserver reserve, int send_hwm) {
  try {
    zmq::socket_t socket(*context, zmq::socket_type::pub);
    if (curve) ApplyCurveServer(socket, *curve);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, send_hwm);
    socket.bind(endpoint);
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    if (!inproc_endpoint.empty()) socket.bind(inproc_endpoint);
    return std::unique_ptr<Publisher>(
        new Publisher(std::move(socket), bound, last_sequence, std::move(reserve)));
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot bind publish endpoint '" + endpoint + "': " + e.what());
  }
}

Status Publisher::Monitor(const char* monitor_endpoint, int events) {
  if (zmq_socket_monitor(socket_.handle(), monitor_endpoint, events) != 0) {
    return Status::Internal(std::string("cannot monitor the publish socket: ") +
                            zmq_strerror(zmq_errno()));
  }
  return Status::Ok();
}

void Publisher::SetOutputs(const PublicationFence* fence, PublicationSink* sink, std::string name) {
  fence_ = fence;
  sink_ = sink;
  name_ = std::move(name);
}

std::uint64_t Publisher::current_epoch() const {
  const std::uint64_t adopted = epoch_.load(std::memory_order_relaxed);
  return fence_ != nullptr && adopted != 0 && fence_->CurrentEpoch() == adopted ? adopted : 0;
}

Publisher::Adoption Publisher::adoption() const {
  Adoption a;
  {
    std::lock_guard lock(adoption_mu_);
    a.epoch = epoch_.load(std::memory_order_relaxed);
    a.after_sequence = adopted_after_;
  }
  a.granted = fence_ != nullptr && a.epoch != 0 && fence_->CurrentEpoch() == a.epoch;
  return a;
}

std::uint64_t Publisher::Stamp(riskd::v1::Publication* pub, std::int64_t now_unix_ns) {
  const std::uint64_t seq = ++last_sequence_;
  if (seq > reserved_) {
    reserve_error_ = reserve_(seq - 1 + kSequenceBlock);
    if (reserve_error_.ok()) reserved_ = seq - 1 + kSequenceBlock;
  }
  pub->set_sequence(seq);
  SetTimestamp(now_unix_ns, pub->mutable_published_at());
  if (fence_) pub->set_epoch(HeldEpoch());
  if (!name_.empty()) pub->set_publisher(name_);
  return seq;
}

bool Publisher::Send(const std::string& topic, const riskd::v1::Publication& pub) {
  if (pub.sequence() > reserved_) {
    ++unsent_;
    return false;
  }
  if (fence_) {
    // Checked at the last moment: an instance that lost its lease (or was
    // frozen past its deadline) never sends, and never under an epoch other
    // than the one it was granted and adopted (the class comment).
    // Stamped before the latest adoption: of an earlier one, even under
    // the same epoch, and the new announcement went out first.
    if (pub.epoch() == 0 || pub.sequence() <= adopted_after_ || HeldEpoch() != pub.epoch()) {
      ++fenced_off_;
      return false;
    }
  }
  // Into the buffer the previous message left (SerializeToString replaces
  // its contents and keeps its capacity): a risk changes chunk is ~200 KB,
  // and a fresh string per message was a malloc, its page faults, a free
  // and a heap trim each (bench/README.md "pubcost").
  if (!pub.SerializeToString(&payload_)) payload_.clear();
  // PUB never blocks: with no subscriber or a full queue the message drops.
  (void)socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  (void)socket_.send(zmq::buffer(payload_), zmq::send_flags::dontwait);
  if (sink_) sink_->Send(topic, payload_);
  return true;
}

std::uint64_t Publisher::Publish(const std::string& topic, riskd::v1::Publication* pub,
                                 std::int64_t now_unix_ns) {
  const std::uint64_t seq = Stamp(pub, now_unix_ns);
  Send(topic, *pub);
  return seq;
}

}  // namespace riskd::connectors
