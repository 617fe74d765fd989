#include "daemon/ingest_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include "connectors/codec/protobuf_log.h"
#include "connectors/zmq/socket_io.h"
#include "daemon/feed_poller.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {
namespace {

using riskd::v1::Ack;

// One request read from the ROUTER: its routing frames (identity, and the
// empty delimiter a REQ socket adds) and the payload.
struct Request {
  std::vector<zmq::message_t> routing;
  zmq::message_t payload;
};

// Never blocks: a ROUTER drops a reply to a peer that is gone or not reading.
void SendAck(zmq::socket_t& router, std::vector<zmq::message_t>& routing, const Ack& ack,
             std::uint64_t* interrupted) {
  std::vector<zmq::message_t> frames;
  frames.reserve(routing.size() + 1);
  for (auto& r : routing) frames.emplace_back(r.data(), r.size());
  frames.emplace_back(ack.SerializeAsString());
  (void)connectors::SendFrames(router, frames, zmq::send_flags::dontwait, interrupted);
}

}  // namespace

IngestLoop::IngestLoop(const DaemonSettings& settings, connectors::Journal* journal,
                       connectors::NodeDirectory directory)
    : settings_(settings), journal_(journal), directory_(std::move(directory)) {}

Status IngestLoop::Bind(zmq::context_t* context) {
  try {
    to_engine_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::push);
    // One message per journaled batch: the bound in events divided by the
    // largest batch.
    to_engine_->set(zmq::sockopt::sndhwm,
                    static_cast<int>(std::max<std::size_t>(1, settings_.queue_capacity / settings_.max_batch)));
    to_engine_->connect(kEventsEndpoint);
    replies_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pull);
    replies_->connect(kRepliesEndpoint);
    router_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::router);
    if (!settings_.server_key.public_key.empty()) ApplyCurveServer(*router_, settings_.server_key);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(settings_.max_message_bytes) + 4096);
    router_->set(zmq::sockopt::rcvhwm, 100000);
    router_->set(zmq::sockopt::sndhwm, 100000);
    router_->bind(settings_.ingest_endpoint);
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
    // In-process producers (the feed poller) reach the same ROUTER.
    router_->bind(kInprocIngestEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot bind ingest endpoint '" + settings_.ingest_endpoint +
                               "': " + e.what());
  }
  return Status::Ok();
}

void IngestLoop::ForwardReplies() {
  while (true) {
    std::vector<zmq::message_t> frames;
    if (!connectors::RecvFrames(*replies_, &frames, zmq::recv_flags::dontwait, &interrupted_)) return;
    (void)connectors::SendFrames(*router_, frames, zmq::send_flags::dontwait, &interrupted_);
  }
}

void IngestLoop::ReadBatch() {
  std::vector<Request> requests;
  for (std::size_t n = 0; n < settings_.max_batch; ++n) {
    Request req;
    std::vector<zmq::message_t> frames;
    if (!connectors::RecvFrames(*router_, &frames, zmq::recv_flags::dontwait, &interrupted_)) break;
    req.payload = std::move(frames.back());
    frames.pop_back();
    req.routing = std::move(frames);
    requests.push_back(std::move(req));
  }
  if (requests.empty()) return;
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.received.fetch_add(requests.size(), std::memory_order_relaxed);

  struct Pending {
    std::size_t request;
    std::size_t entry;  // index into entries
  };
  std::vector<Ack> acks(requests.size());
  std::vector<connectors::JournalEntry> entries;
  std::vector<Pending> pending;
  std::unordered_map<std::string, std::size_t> batch_ids;  // event id -> entry
  std::unique_ptr<connectors::NodeDirectory> directory_before;
  const std::int64_t now = NowUnixNs();

  auto reject = [&](std::size_t i, const Status& st) {
    acks[i].set_result(Ack::RESULT_REJECTED);
    acks[i].set_reason(st.ToString());
    stats_.rejected.fetch_add(1, std::memory_order_relaxed);
  };

  for (std::size_t i = 0; i < requests.size(); ++i) {
    Request& req = requests[i];
    if (req.routing.empty()) continue;  // cannot happen on a ROUTER; nothing to reply to
    if (req.payload.size() > settings_.max_message_bytes) {
      reject(i, Status::ResourceExhausted("envelope of " + std::to_string(req.payload.size()) +
                                          " bytes exceeds ingest.max_message_bytes (" +
                                          std::to_string(settings_.max_message_bytes) + ")"));
      continue;
    }
    riskd::v1::Envelope env;
    (void)connectors::TakeProtobufLogMessage();
    if (!env.ParseFromArray(req.payload.data(), static_cast<int>(req.payload.size()))) {
      const std::string detail = connectors::TakeProtobufLogMessage();
      reject(i, Status::InvalidArgument("payload: cannot parse " +
                                        std::to_string(req.payload.size()) +
                                        " bytes as riskd.v1.Envelope" +
                                        (detail.empty() ? "" : ": " + detail)));
      continue;
    }
    acks[i].set_event_id(env.event_id());
    // With CURVE, the ZAP handler put the client's role on the message.
    if (auto role = connectors::RoleOfMessage(req.payload)) {
      const bool admin_only = env.has_network_change() || env.has_intervention();
      const bool producer_up = env.has_supplier_status() || env.has_disruption();
      if ((admin_only && *role != connectors::ClientRole::kAdmin) ||
          (producer_up && *role == connectors::ClientRole::kSubscriber)) {
        reject(i, Status::PermissionDenied(
                      "role '" + std::string(connectors::RoleName(*role)) + "' may not send " +
                      (env.has_network_change() ? "network_change"
                       : env.has_intervention() ? "intervention"
                       : env.has_disruption()   ? "disruption"
                                                : "supplier_status")));
        continue;
      }
    }
    if (env.has_query()) {
      const Status st = ValidateEnvelope(env, directory_, settings_.risk_types);
      if (!st.ok()) {
        reject(i, st);
        continue;
      }
      stats_.queries.fetch_add(1, std::memory_order_relaxed);
      std::vector<zmq::message_t> query;
      query.emplace_back(&kQueryFrame, 1);
      query.push_back(std::move(req.payload));
      for (auto& r : req.routing) query.push_back(std::move(r));
      // Blocks while the engine's queue is full (backpressure).
      (void)connectors::SendFrames(*to_engine_, query, zmq::send_flags::none, &interrupted_);
      acks[i].Clear();  // answered by the engine thread
      req.routing.clear();
      continue;
    }
    // Duplicates first: a retried event must be answered DUPLICATE even when
    // its content would no longer validate (e.g. a repeated add_node).
    if (auto it = batch_ids.find(env.event_id()); it != batch_ids.end()) {
      pending.push_back({i, it->second});
      continue;
    }
    auto seen = journal_->Lookup(env.event_id());
    if (!seen.ok()) {
      reject(i, seen.status());
      continue;
    }
    if (seen->has_value()) {
      acks[i].set_result(Ack::RESULT_DUPLICATE);
      acks[i].set_journal_seq(**seen);
      stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const Status st = ValidateEnvelope(env, directory_, settings_.risk_types);
    if (!st.ok()) {
      reject(i, st);
      continue;
    }
    if (env.has_network_change()) {
      if (!directory_before) directory_before = std::make_unique<connectors::NodeDirectory>(directory_);
      directory_.Apply(env.network_change());
    }
    batch_ids.emplace(env.event_id(), entries.size());
    pending.push_back({i, entries.size()});
    entries.push_back({env.event_id(), now, req.payload.to_string()});
  }

  if (!entries.empty()) {
    auto results = journal_->Append(entries);
    if (!results.ok()) {
      spdlog::error("journal append failed: {}", results.status().ToString());
      if (directory_before) directory_ = std::move(*directory_before);
      for (const auto& p : pending) {
        reject(p.request, Status::Unavailable("journal write failed; retry later"));
      }
    } else {
      std::vector<char> forwarded(entries.size(), 0);
      // The whole batch goes to the engine as one message.
      std::vector<zmq::message_t> batch;
      batch.emplace_back(&kEventFrame, 1);
      for (const auto& p : pending) {
        const auto& r = (*results)[p.entry];
        Ack& ack = acks[p.request];
        ack.set_journal_seq(r.seq);
        const bool first = !r.duplicate && !forwarded[p.entry];
        ack.set_result(first ? Ack::RESULT_ACCEPTED : Ack::RESULT_DUPLICATE);
        (first ? stats_.accepted : stats_.duplicates).fetch_add(1, std::memory_order_relaxed);
        if (!first) continue;
        forwarded[p.entry] = 1;
        const std::string seq = EncodeSeq(r.seq);
        batch.emplace_back(seq.data(), seq.size());
        batch.emplace_back(entries[p.entry].payload.data(), entries[p.entry].payload.size());
      }
      // Blocks while the engine's queue is full (backpressure). The batch is
      // committed: it must reach the engine whatever signal arrives meanwhile.
      if (batch.size() > 1) {
        (void)connectors::SendFrames(*to_engine_, batch, zmq::send_flags::none, &interrupted_);
      }
    }
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].routing.empty()) continue;
    SendAck(*router_, requests[i].routing, acks[i], &interrupted_);
  }
  PublishInterruptions();
}

void IngestLoop::PublishInterruptions() {
  const std::uint64_t seen = stats_.interrupted.load(std::memory_order_relaxed);
  if (interrupted_ == seen) return;
  spdlog::debug("ingest: {} socket call(s) interrupted by a signal and retried", interrupted_ - seen);
  stats_.interrupted.store(interrupted_, std::memory_order_relaxed);
}

void IngestLoop::Run(const std::atomic<bool>* stop, const std::function<void()>& tick) {
  zmq::pollitem_t items[] = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                             {replies_->handle(), 0, ZMQ_POLLIN, 0}};
  auto last_tick = std::chrono::steady_clock::now();
  while (!stop->load()) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(100));
      if (items[1].revents & ZMQ_POLLIN) ForwardReplies();
      if (items[0].revents & ZMQ_POLLIN) ReadBatch();
    } catch (const zmq::error_t& e) {
      // A signal (stop, reload) interrupted a blocking call: the tick below
      // acts on it. Anything else is a bug worth a log line, not a crash.
      if (e.num() != EINTR) spdlog::error("ingest loop: {}", e.what());
      items[0].revents = items[1].revents = 0;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= std::chrono::milliseconds(100)) {
      tick();
      last_tick = now;
    }
  }
  // Drain: the engine applies everything already journaled, then stops.
  std::vector<zmq::message_t> stop_frame;
  stop_frame.emplace_back(&kStopFrame, 1);
  (void)connectors::SendFrames(*to_engine_, stop_frame, zmq::send_flags::none, &interrupted_);
}

}  // namespace riskd::daemon
