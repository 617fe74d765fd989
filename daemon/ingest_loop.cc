#include "daemon/ingest_loop.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <unordered_map>

#include "connectors/codec/protobuf_log.h"
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

void SendAck(zmq::socket_t& router, std::vector<zmq::message_t>& routing, const Ack& ack) {
  const std::string bytes = ack.SerializeAsString();
  for (auto& r : routing) {
    zmq::message_t copy(r.data(), r.size());
    (void)router.send(copy, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  }
  (void)router.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

}  // namespace

IngestLoop::IngestLoop(const DaemonSettings& settings, EventLog* log,
                       connectors::NodeDirectory directory)
    : settings_(settings), log_(log), directory_(std::move(directory)) {}

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
    if (!zmq::recv_multipart(*replies_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    (void)zmq::send_multipart(*router_, frames, zmq::send_flags::dontwait);
  }
}

void IngestLoop::ReadBatch() {
  std::vector<Request> requests;
  for (std::size_t n = 0; n < settings_.max_batch; ++n) {
    Request req;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(*router_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
    req.payload = std::move(frames.back());
    frames.pop_back();
    req.routing = std::move(frames);
    requests.push_back(std::move(req));
  }
  if (requests.empty()) return;
  log_->SyncDirectory(&directory_);
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
      (void)to_engine_->send(zmq::buffer(&kQueryFrame, 1), zmq::send_flags::sndmore);
      const auto flags = req.routing.empty() ? zmq::send_flags::none : zmq::send_flags::sndmore;
      (void)to_engine_->send(req.payload, flags);
      for (std::size_t r = 0; r < req.routing.size(); ++r) {
        (void)to_engine_->send(req.routing[r], r + 1 < req.routing.size() ? zmq::send_flags::sndmore
                                                                          : zmq::send_flags::none);
      }
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
    auto seen = log_->Lookup(env.event_id());
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
    auto results = log_->Append(entries);
    if (!results.ok()) {
      spdlog::error("event log append failed: {}", results.status().ToString());
      if (directory_before) directory_ = std::move(*directory_before);
      for (const auto& p : pending) {
        reject(p.request, Status::Unavailable("event log write failed; retry later"));
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
      if (batch.size() > 1 && log_->ingest_feeds_engine()) (void)zmq::send_multipart(*to_engine_, batch);
    }
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].routing.empty()) continue;
    SendAck(*router_, requests[i].routing, acks[i]);
  }
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
  (void)to_engine_->send(zmq::buffer(&kStopFrame, 1), zmq::send_flags::none);
}

}  // namespace riskd::daemon
