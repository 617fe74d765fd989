#include "connectors/feeds/feed_sender.h"

#include <optional>

#include <algorithm>
#include <unordered_map>
#include <zmq.hpp>

namespace riskd::connectors {
namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  std::size_t index = 0;
  int attempts = 0;
  Clock::time_point deadline;
};

}  // namespace

std::string_view ResultName(SendOutcome::Result result) {
  switch (result) {
    case SendOutcome::Result::kAccepted:
      return "accepted";
    case SendOutcome::Result::kDuplicate:
      return "duplicate";
    case SendOutcome::Result::kRejected:
      return "rejected";
    case SendOutcome::Result::kUnanswered:
      return "unanswered";
  }
  return "unknown";
}

// Long on purpose: the windowed send/await/resend loop over one socket and
// its pending map (lambdas share them); its steps only make sense together.
Result<SendTotals> FeedSender::Send(
    const std::vector<riskd::v1::Envelope>& envelopes,
    const std::function<void(const SendOutcome&)>& on_outcome) const {
  // inproc:// endpoints only reach sockets of the same context.
  std::optional<zmq::context_t> own_context;
  zmq::context_t* context = options_.context;
  if (context == nullptr) context = &own_context.emplace(1);
  zmq::socket_t socket(*context, zmq::socket_type::dealer);
  if (options_.curve) ApplyCurveClient(socket, *options_.curve);
  socket.set(zmq::sockopt::linger, 0);
  try {
    socket.connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("cannot connect to '" + options_.endpoint + "': " + e.what());
  }
  std::vector<std::string> payloads(envelopes.size());
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    if (!envelopes[i].SerializeToString(&payloads[i])) {
      return Status::Internal("cannot serialize envelope " + envelopes[i].event_id());
    }
  }
  SendTotals totals;
  std::unordered_map<std::string, Pending> pending;
  auto finish = [&](const std::string& id, SendOutcome::Result result, std::string reason) {
    const Pending p = pending.at(id);
    pending.erase(id);
    switch (result) {
      case SendOutcome::Result::kAccepted:
        ++totals.accepted;
        break;
      case SendOutcome::Result::kDuplicate:
        ++totals.duplicate;
        break;
      case SendOutcome::Result::kRejected:
        ++totals.rejected;
        break;
      case SendOutcome::Result::kUnanswered:
        ++totals.unanswered;
        break;
    }
    on_outcome(SendOutcome{p.index, id, result, std::move(reason), p.attempts});
  };
  auto transmit = [&](std::size_t index) {
    Pending& p = pending[envelopes[index].event_id()];
    p.index = index;
    ++p.attempts;
    p.deadline = Clock::now() + options_.ack_timeout;
    // DEALER send only queues; it does not block while the peer is away.
    (void)socket.send(zmq::buffer(payloads[index]), zmq::send_flags::dontwait);
  };

  std::size_t next = 0;
  while (next < envelopes.size() || !pending.empty()) {
    while (next < envelopes.size() && pending.size() < std::max<std::size_t>(1, options_.window)) {
      transmit(next++);
    }
    auto earliest = Clock::time_point::max();
    for (const auto& [id, p] : pending) earliest = std::min(earliest, p.deadline);
    const auto wait =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::duration_cast<std::chrono::milliseconds>(earliest - Clock::now()));
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, wait);
    while (item.revents & ZMQ_POLLIN) {
      std::vector<zmq::message_t> frames;
      zmq::message_t frame;
      while (socket.recv(frame, zmq::recv_flags::dontwait)) {
        const bool more = socket.get(zmq::sockopt::rcvmore);
        frames.push_back(std::move(frame));
        if (!more) break;
      }
      if (frames.empty()) break;
      // A REQ-style empty delimiter may precede the Ack.
      if (frames.front().size() == 0) frames.erase(frames.begin());
      riskd::v1::Ack ack;
      if (frames.size() == 1 &&
          ack.ParseFromArray(frames[0].data(), static_cast<int>(frames[0].size())) &&
          pending.count(ack.event_id())) {
        if (ack.result() == riskd::v1::Ack::RESULT_ACCEPTED) {
          finish(ack.event_id(), SendOutcome::Result::kAccepted, "");
        } else if (ack.result() == riskd::v1::Ack::RESULT_DUPLICATE) {
          finish(ack.event_id(), SendOutcome::Result::kDuplicate, "");
        } else {
          finish(ack.event_id(), SendOutcome::Result::kRejected, ack.reason());
        }
      }
    }
    const auto now = Clock::now();
    std::vector<std::string> expired;
    for (const auto& [id, p] : pending) {
      if (p.deadline <= now) expired.push_back(id);
    }
    std::sort(expired.begin(), expired.end(), [&](const std::string& a, const std::string& b) {
      return pending.at(a).index < pending.at(b).index;
    });
    for (const auto& id : expired) {
      if (pending.at(id).attempts < options_.max_attempts) {
        transmit(pending.at(id).index);
      } else {
        finish(id, SendOutcome::Result::kUnanswered,
               "no Ack after " + std::to_string(pending.at(id).attempts) + " sends");
      }
    }
  }
  return totals;
}

}  // namespace riskd::connectors
