#include "daemon/ingest_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "connectors/codec/protobuf_log.h"
#include "connectors/zmq/curve_auth.h"
#include "connectors/zmq/socket_io.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {

using riskd::v1::Ack;

std::size_t IngestTransportLimit(std::size_t max_message_bytes) {
  return std::max(8 * max_message_bytes, max_message_bytes + (std::size_t{64} << 10));
}

IngestLoop::IngestLoop(const DaemonSettings* settings, EventLog* log,
                       connectors::NodeDirectory directory, const IncidentIds* incidents)
    : settings_(settings),
      log_(log),
      directory_(std::move(directory)),
      incidents_(incidents),
      clock_(settings->clock) {
  limits_.max_place_area_km2 = settings->max_place_area_km2;
}

Status IngestLoop::Bind(zmq::context_t* context) {
  try {
    to_engine_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::push);
    // One message per journaled batch: the bound in events divided by the
    // largest batch.
    to_engine_->set(zmq::sockopt::sndhwm,
                    static_cast<int>(std::max<std::size_t>(1, settings_->queue_capacity / settings_->max_batch)));
    to_engine_->connect(kEventsEndpoint);
    replies_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pull);
    replies_->connect(kRepliesEndpoint);
    router_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::router);
    if (!settings_->server_key.public_key.empty()) ApplyCurveServer(*router_, settings_->server_key);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::maxmsgsize,
                 static_cast<std::int64_t>(IngestTransportLimit(settings_->max_message_bytes)));
    router_->set(zmq::sockopt::rcvhwm, 100000);
    router_->set(zmq::sockopt::sndhwm, 100000);
    router_->bind(settings_->ingest_endpoint);
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
    // In-process producers (the feed poller) reach the same ROUTER.
    router_->bind(kInprocIngestEndpoint);
    if (zmq_socket_monitor(router_->handle(), kIngestMonitorEndpoint, ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    monitor_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pair);
    monitor_->connect(kIngestMonitorEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot bind ingest endpoint '" + settings_->ingest_endpoint +
                               "': " + e.what());
  }
  return Status::Ok();
}

void IngestLoop::ForwardReplies() {
  std::vector<zmq::message_t> frames;
  while (connectors::RecvFrames(*replies_, &frames, zmq::recv_flags::dontwait, &interrupted_)) {
    (void)connectors::SendFrames(*router_, frames, zmq::send_flags::dontwait, &interrupted_);
  }
}

void IngestLoop::CountDisconnects() {
  std::vector<zmq::message_t> event;  // [event id (2 bytes) + value (4), endpoint]
  while (connectors::RecvFrames(*monitor_, &event, zmq::recv_flags::dontwait, &interrupted_)) {
    const auto total = stats_.disconnects.fetch_add(1, std::memory_order_relaxed) + 1;
    if (auto held = disconnect_lines_.Allow()) {
      spdlog::info("ingest: a producer connection closed ({} so far; a message over {} bytes also "
                   "closes it){}",
                   total, IngestTransportLimit(settings_->max_message_bytes),
                   *held ? ", " + std::to_string(*held) + " similar line(s) not logged" : "");
    }
  }
}

void IngestLoop::ReadBatch() {
  Batch batch;
  if (!Receive(&batch)) return;
  log_->SyncDirectory(&directory_);
  log_->SyncClock(&clock_);
  for (std::size_t i = 0; i < batch.requests.size(); ++i) {
    Request& req = batch.requests[i];
    if (!req.framing.ok()) {
      Reject(&batch, i, req.framing);
      continue;
    }
    auto env = Parse(req);
    if (!env.ok()) {
      Reject(&batch, i, env.status());
      continue;
    }
    batch.acks[i].set_event_id(env->event_id());
    if (const Status st = Authorize(req, *env); !st.ok()) {
      Reject(&batch, i, st);
      continue;
    }
    Admit(&batch, i, *env);
  }
  Commit(&batch);
  ForwardQueries(&batch);
  Reply(&batch);
  PublishInterruptions();
}

bool IngestLoop::Receive(Batch* batch) {
  std::vector<zmq::message_t> frames;
  while (batch->requests.size() < settings_->max_batch &&
         connectors::RecvFrames(*router_, &frames, zmq::recv_flags::dontwait, &interrupted_)) {
    // [identity, payload] from a DEALER; [identity, "", payload] from a REQ
    // (and, through a proxy, more routing frames up to the last empty one).
    std::size_t body = 1;
    for (std::size_t f = 1; f + 1 < frames.size(); ++f) {
      if (frames[f].size() == 0) body = f + 1;
    }
    Request req;
    const std::size_t parts = frames.size() - std::min(body, frames.size());
    if (parts != 1) {
      req.framing = Status::InvalidArgument("an Envelope is one frame; the message had " +
                                            std::to_string(parts));
    }
    if (frames.size() > body) req.payload = std::move(frames[body]);
    for (std::size_t f = 0; f < std::min(body, frames.size()); ++f) {
      req.routing.push_back(std::move(frames[f]));
    }
    batch->requests.push_back(std::move(req));
  }
  if (batch->requests.empty()) return false;
  batch->acks.resize(batch->requests.size());
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.received.fetch_add(batch->requests.size(), std::memory_order_relaxed);
  return true;
}

Result<riskd::v1::Envelope> IngestLoop::Parse(const Request& req) const {
  if (req.payload.size() > settings_->max_message_bytes) {
    return Status::ResourceExhausted("envelope of " + std::to_string(req.payload.size()) +
                                     " bytes exceeds ingest.max_message_bytes (" +
                                     std::to_string(settings_->max_message_bytes) + ")");
  }
  riskd::v1::Envelope env;
  (void)connectors::TakeProtobufLogMessage();
  if (!env.ParseFromArray(req.payload.data(), static_cast<int>(req.payload.size()))) {
    const std::string detail = connectors::TakeProtobufLogMessage();
    return Status::InvalidArgument("payload: cannot parse " + std::to_string(req.payload.size()) +
                                   " bytes as riskd.v1.Envelope" +
                                   (detail.empty() ? "" : ": " + detail));
  }
  return env;
}

Status IngestLoop::Authorize(Request& req, const riskd::v1::Envelope& env) const {
  // With CURVE, the ZAP handler put the client's role on the message.
  const auto role = connectors::RoleOfMessage(req.payload);
  return role ? connectors::AuthorizeEnvelope(*role, env) : Status::Ok();
}

void IngestLoop::Admit(Batch* batch, std::size_t i, const riskd::v1::Envelope& env) {
  Request& req = batch->requests[i];
  Ack& ack = batch->acks[i];
  if (env.has_query()) {
    const Status st = ValidateEnvelope(env, directory_, settings_->risk_types, limits_);
    if (!st.ok()) return Reject(batch, i, st);
    stats_.queries.fetch_add(1, std::memory_order_relaxed);
    if (env.query().has_status()) {  // needs nothing from the engine thread
      if (!status_source_) return Reject(batch, i, Status::Unavailable("query.status: not available"));
      ack.set_result(Ack::RESULT_ACCEPTED);
      ack.set_journal_seq(log_->last_seq());
      *ack.mutable_response()->mutable_status() = status_source_();
      return;
    }
    batch->queries.push_back(i);
    return;
  }
  if (!refuse_events_.ok()) return Reject(batch, i, refuse_events_);
  // Duplicates first: a retried event must be answered DUPLICATE even when
  // its content would no longer validate (e.g. a repeated add_node).
  if (auto it = batch->ids.find(env.event_id()); it != batch->ids.end()) {
    batch->staged.push_back({i, it->second});
    return;
  }
  auto seen = log_->Lookup(env.event_id());
  if (!seen.ok()) return Reject(batch, i, seen.status());
  if (seen->has_value()) {
    ack.set_result(Ack::RESULT_DUPLICATE);
    ack.set_journal_seq(**seen);
    stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Status st = ValidateEnvelope(env, directory_, settings_->risk_types, limits_);
  if (!st.ok()) return Reject(batch, i, st);
  // Event time: what the journal records is where the engine places it.
  const std::int64_t received = NowUnixNs();
  std::string payload = req.payload.to_string();
  if (env.has_supplier_status() || env.has_disruption() || env.has_clock_tick()) {
    if (env.has_clock_tick() && !batch->clock_before) batch->clock_before = clock_.manual_ns();
    riskd::v1::Envelope timed = env;
    auto changed = clock_.Admit(&timed, received);
    if (!changed.ok()) return Reject(batch, i, changed.status());
    if (*changed) payload = timed.SerializeAsString();
  }
  if (env.has_operator_action()) {
    if (!incidents_ || !incidents_->Has(env.operator_action().incident_id())) {
      return Reject(batch, i,
                    Status::NotFound("operator_action.incident_id: no incident '" +
                                     env.operator_action().incident_id() + "'"));
    }
    // The journal records who acted as CURVE authenticated them.
    if (auto client = connectors::ClientNameOfMessage(req.payload)) {
      riskd::v1::Envelope stamped = env;
      stamped.mutable_operator_action()->set_authenticated_client(*client);
      payload = stamped.SerializeAsString();
    }
  }
  if (env.has_disruption() && env.disruption().has_place()) {
    // Tell the producer what the place matched.
    const auto match = directory_.Match(env.disruption().place(), 10);
    ack.set_place_matched_nodes(static_cast<std::uint32_t>(match.count));
    for (const auto& id : match.first_ids) ack.add_place_matched_ids(id);
    if (match.count == 0) {
      ack.set_warning("place_empty: disruption.place matches no node in the network");
    }
  }
  if (env.has_network_change()) {
    if (!batch->directory_before) {
      batch->directory_before = std::make_unique<connectors::NodeDirectory>(directory_);
    }
    directory_.Apply(env.network_change());
  }
  batch->ids.emplace(env.event_id(), batch->entries.size());
  batch->staged.push_back({i, batch->entries.size()});
  batch->entries.push_back({env.event_id(), received, std::move(payload)});
}

void IngestLoop::Commit(Batch* batch) {
  if (batch->entries.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  auto results = log_->Append(batch->entries);
  stats_.journal_commit.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (results.ok()) return Forward(batch, *results);
  stats_.journal_failures.fetch_add(1, std::memory_order_relaxed);
  if (results.status().code() == Status::Code::kCorruption) {
    // Whether the batch is journaled is unknown: answering "refused" could
    // be a lie that surfaces after a restart. Stop without answering; the
    // producers retry against the restarted daemon (Restart=on-failure).
    spdlog::critical("{}; stopping at once", LogSafe(results.status().ToString()));
    spdlog::shutdown();
    std::_Exit(70);
  }
  if (auto held = journal_errors_.Allow()) {
    spdlog::error("journal append failed, {} event(s) answered unavailable: {}{}",
                  batch->entries.size(), LogSafe(results.status().ToString()),
                  *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
  }
  if (batch->directory_before) directory_ = std::move(*batch->directory_before);
  if (batch->clock_before) clock_.Set(*batch->clock_before);
  for (const auto& s : batch->staged) {
    Reject(batch, s.request, Status::Unavailable("journal write failed; retry later"));
  }
}

void IngestLoop::Forward(Batch* batch, const std::vector<connectors::AppendResult>& results) {
  std::vector<char> forwarded(batch->entries.size(), 0);
  // The whole batch goes to the engine as one message.
  std::vector<zmq::message_t> message = EventBatchMessage();
  for (const auto& s : batch->staged) {
    const auto& r = results[s.entry];
    Ack& ack = batch->acks[s.request];
    ack.set_journal_seq(r.seq);
    const bool first = !r.duplicate && !forwarded[s.entry];
    ack.set_result(first ? Ack::RESULT_ACCEPTED : Ack::RESULT_DUPLICATE);
    (first ? stats_.accepted : stats_.duplicates).fetch_add(1, std::memory_order_relaxed);
    if (!first) continue;
    forwarded[s.entry] = 1;
    AddEvent(r.seq, batch->entries[s.entry].received_unix_ns, batch->entries[s.entry].payload,
             &message);
  }
  // Blocks while the engine's queue is full (backpressure). The batch is
  // committed: it must reach the engine whatever signal arrives meanwhile.
  // (A stream-backed log feeds the engine itself, in stream order.)
  if (message.size() > 1 && log_->ingest_feeds_engine()) {
    (void)connectors::SendFrames(*to_engine_, message, zmq::send_flags::none, &interrupted_);
  }
}

void IngestLoop::ForwardQueries(Batch* batch) {
  // After the batch's events: a query sees every event received before it.
  for (std::size_t i : batch->queries) {
    Request& req = batch->requests[i];
    auto message = QueryMessage(std::move(req.payload), std::move(req.routing));
    req.routing.clear();  // answered by the engine thread
    (void)connectors::SendFrames(*to_engine_, message, zmq::send_flags::none, &interrupted_);
  }
}

void IngestLoop::Reply(Batch* batch) {
  for (std::size_t i = 0; i < batch->requests.size(); ++i) {
    auto& routing = batch->requests[i].routing;
    if (routing.empty()) continue;  // a query, or nothing to reply to
    // Never blocks: a ROUTER drops a reply to a peer that is gone or not reading.
    routing.emplace_back(batch->acks[i].SerializeAsString());
    (void)connectors::SendFrames(*router_, routing, zmq::send_flags::dontwait, &interrupted_);
  }
}

void IngestLoop::Reject(Batch* batch, std::size_t i, const Status& status) {
  Ack& ack = batch->acks[i];
  ack.set_result(Ack::RESULT_REJECTED);
  ack.set_reason(status.ToString());
  ack.clear_place_matched_nodes();
  ack.clear_place_matched_ids();
  ack.clear_warning();
  stats_.rejected.fetch_add(1, std::memory_order_relaxed);
  stats_.rejected_by_code[static_cast<std::size_t>(status.code())].fetch_add(
      1, std::memory_order_relaxed);
}

void IngestLoop::PublishInterruptions() {
  const std::uint64_t seen = stats_.interrupted.load(std::memory_order_relaxed);
  if (interrupted_ == seen) return;
  spdlog::debug("ingest: {} socket call(s) interrupted by a signal and retried", interrupted_ - seen);
  stats_.interrupted.store(interrupted_, std::memory_order_relaxed);
}

void IngestLoop::Run(const std::atomic<bool>* stop, const std::function<void()>& tick) {
  zmq::pollitem_t items[] = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                             {replies_->handle(), 0, ZMQ_POLLIN, 0},
                             {monitor_->handle(), 0, ZMQ_POLLIN, 0}};
  auto last_tick = std::chrono::steady_clock::now();
  while (!stop->load()) {
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(100));
      if (items[2].revents & ZMQ_POLLIN) CountDisconnects();
      if (items[1].revents & ZMQ_POLLIN) ForwardReplies();
      if (items[0].revents & ZMQ_POLLIN) ReadBatch();
    } catch (const zmq::error_t& e) {
      // A signal (stop, reload) interrupted the poll: the tick below acts on
      // it. Every other socket call retries (socket_io.h). Anything else is
      // a bug worth a log line, not a crash.
      if (e.num() != EINTR) spdlog::error("ingest loop: {}", e.what());
      for (auto& item : items) item.revents = 0;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= std::chrono::milliseconds(100)) {
      tick();
      last_tick = now;
    }
  }
}

void IngestLoop::ForwardSettings(const DaemonSettings* settings) {
  auto message = SettingsMessage(settings);
  (void)connectors::SendFrames(*to_engine_, message, zmq::send_flags::none, &interrupted_);
}

void IngestLoop::Drain() {
  if (drained_ || !to_engine_) return;
  drained_ = true;
  refuse_events_ = Status::Unavailable("riskd is stopping; send the event again once it is back");
  // What is queued now, in bounded passes (a producer that keeps sending
  // cannot hold the stop up).
  for (int pass = 0; pass < 64; ++pass) {
    const auto before = stats_.received.load(std::memory_order_relaxed);
    ReadBatch();
    if (stats_.received.load(std::memory_order_relaxed) == before) break;
  }
  auto stop = StopMessage();
  (void)connectors::SendFrames(*to_engine_, stop, zmq::send_flags::none, &interrupted_);
  std::vector<zmq::message_t> frames;
  while (connectors::RecvFrames(*replies_, &frames, zmq::recv_flags::none, &interrupted_) &&
         !IsStopMessage(frames)) {
    (void)connectors::SendFrames(*router_, frames, zmq::send_flags::dontwait, &interrupted_);
  }
  router_->set(zmq::sockopt::linger, 2000);
  PublishInterruptions();
}

}  // namespace riskd::daemon
