#include "daemon/ingest_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "connectors/codec/protobuf_log.h"
#include "connectors/zmq/curve_auth.h"
#include "connectors/zmq/socket_io.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {

using riskd::v1::Ack;

std::size_t IngestTransportLimit(std::size_t max_message_bytes) {
  return std::max(8 * max_message_bytes, max_message_bytes + (std::size_t{64} << 10));
}

namespace {

// The ROUTER's monitor events: closed producer connections, and refused
// handshakes (kHandshakeMonitorEvents, pipeline.h).
constexpr int kMonitorEvents = ZMQ_EVENT_DISCONNECTED | kHandshakeMonitorEvents;

// Who sent a request, for the rate limit and the log: the CURVE client's
// name, else the peer's address (an IP address over TCP, a process over
// ipc://), else the connection.
std::string PeerOf(zmq::message_t& payload, const std::vector<zmq::message_t>& routing) {
  if (auto name = connectors::ClientNameOfMessage(payload)) return "client '" + *name + "'";
  const char* address = zmq_msg_gets(payload.handle(), "Peer-Address");
  if (address && *address) return std::string("address ") + address;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "connection ";
  if (!routing.empty()) {
    for (unsigned char c : routing.front().to_string_view()) {
      id += kHex[c >> 4];
      id += kHex[c & 0xf];
    }
  }
  return id;
}

// The event id at the start of a serialized Envelope: field 1 (tag 0x0a),
// its length in one varint byte. Nothing when the bytes start otherwise.
std::optional<std::string_view> PeekEventId(const zmq::message_t& payload) {
  const auto bytes = payload.to_string_view();
  if (bytes.size() < 2 || bytes[0] != '\x0a') return std::nullopt;
  const auto length = static_cast<unsigned char>(bytes[1]);
  if (length >= 0x80 || bytes.size() < 2 + std::size_t{length}) return std::nullopt;
  return bytes.substr(2, length);
}

// A setting for a message: "0.5", "50000", "1e+06".
std::string Compact(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

// A DUPLICATE's reason when `env` is not a retry of the event journaled
// under its id (as `journaled`, at the Ack's journal_seq): the producer
// reused an id, and its new event changed nothing. Empty when it is a
// retry, or when the journaled bytes do not parse (nothing better to say).
std::string DifferentEventReason(const riskd::v1::Envelope& env, std::string_view journaled) {
  riskd::v1::Envelope first;
  if (!first.ParseFromArray(journaled.data(), static_cast<int>(journaled.size()))) return "";
  const std::string what = connectors::DuplicateDifference(env, first);
  if (what.empty()) return "";
  return "already_exists: event_id '" + env.event_id() + "' was journaled with a different " +
         what + "; this envelope changed nothing (a new event needs a new event_id)";
}

}  // namespace

IngestLoop::IngestLoop(const DaemonSettings* settings, EventLog* log,
                       connectors::NodeDirectory directory, const IncidentIds* incidents)
    : settings_(settings),
      log_(log),
      directory_(std::move(directory)),
      incidents_(incidents),
      limits_(settings->limits),
      clock_(settings->clock),
      rate_limiter_(settings->peer_rate, settings->peer_burst) {
  limits_.max_place_area_km2 = settings->max_place_area_km2;
}

Status IngestLoop::Bind(zmq::context_t* context, const std::atomic<std::uint64_t>* engine_done,
                        RefusalLog* refusals, const char* publish_monitor) {
  engine_done_ = engine_done;
  refusals_ = refusals;
  try {
    to_engine_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::push);
    // The queue is bounded in events by QueueRoom(); every message holds at
    // least one, so this high-water mark is never what stops a send.
    to_engine_->set(zmq::sockopt::sndhwm, static_cast<int>(settings_->queue_capacity + 16));
    to_engine_->connect(kEventsEndpoint);
    replies_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pull);
    replies_->connect(kRepliesEndpoint);
    router_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::router);
    if (!settings_->server_key.public_key.empty())
      ApplyCurveServer(*router_, settings_->server_key);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::maxmsgsize,
                 static_cast<std::int64_t>(IngestTransportLimit(settings_->max_message_bytes)));
    router_->set(zmq::sockopt::rcvhwm, 100000);
    router_->set(zmq::sockopt::sndhwm, 100000);
    router_->bind(settings_->ingest_endpoint);
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
    // In-process producers (the feed poller) reach the same ROUTER.
    router_->bind(kInprocIngestEndpoint);
    if (zmq_socket_monitor(router_->handle(), kIngestMonitorEndpoint, kMonitorEvents) != 0) {
      throw zmq::error_t();
    }
    monitor_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pair);
    monitor_->connect(kIngestMonitorEndpoint);
    if (publish_monitor) {
      publish_monitor_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pair);
      publish_monitor_->connect(publish_monitor);
    }
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

void IngestLoop::ReadMonitor(zmq::socket_t& monitor, const char* key) {
  // [event id (uint16) + value (uint32), the socket's own endpoint]
  std::vector<zmq::message_t> event;
  while (connectors::RecvFrames(monitor, &event, zmq::recv_flags::dontwait, &interrupted_)) {
    if (event.empty() || event[0].size() < 6) continue;
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    std::memcpy(&id, event[0].data(), sizeof id);
    std::memcpy(&value, event[0].data<char>() + 2, sizeof value);
    const std::string endpoint = event.size() > 1 ? event[1].to_string() : "";
    if (id == ZMQ_EVENT_DISCONNECTED) {
      const auto total = stats_.disconnects.fetch_add(1, std::memory_order_relaxed) + 1;
      if (auto held = disconnect_lines_.Allow()) {
        spdlog::info(
            "ingest: a producer connection closed ({} so far; a message over {} bytes also "
            "closes it){}",
            total, IngestTransportLimit(settings_->max_message_bytes),
            *held ? ", " + std::to_string(*held) + " similar line(s) not logged" : "");
      }
      continue;
    }
    const bool curve = !settings_->server_key.public_key.empty();
    const bool peer_closed =
        id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && (value == EPIPE || value == ECONNRESET);
    if (peer_closed && !curve) {
      // libzmq reports a peer that closed before or during the greeting
      // (EPIPE: it hung up; ECONNRESET: it reset) as a failed handshake. With
      // nothing to authenticate that is a disconnect, e.g. a TCP health check
      // or a riskctl that gave up; counting it as a refusal would page whoever
      // alerts on riskd_security_refusals_total.
      const bool publish = std::strcmp(key, "endpoints.publish") == 0;
      stats_.aborted_handshakes[publish ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("ingest: a connection to {} ({}) closed before its handshake ({})", key,
                    endpoint, std::strerror(static_cast<int>(value)));
      continue;
    }
    if (!refusals_) continue;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH && curve) {
      refusals_->Record(RefusalReason::kPlaintextClient,
                        std::string("a client without CURVE connected to ") + key + " (" +
                            endpoint + "); the handshake failed (security mechanism mismatch)");
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
               id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
      char detail[128];
      if (peer_closed) {
        // With CURVE, a peer that hung up mid-handshake: e.g. a client
        // without CURVE whose own side noticed the mismatch first.
        std::snprintf(detail, sizeof detail, "the peer closed the connection (%s)",
                      std::strerror(static_cast<int>(value)));
      } else {
        std::snprintf(detail, sizeof detail, "%s 0x%x",
                      id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "ZMTP protocol error" : "errno",
                      value);
      }
      refusals_->Record(
          RefusalReason::kHandshakeFailed,
          std::string("a handshake on ") + key + " (" + endpoint + ") failed: " + detail);
    }
  }
}

void IngestLoop::Batch::Reset() {
  // Entries and acks keep their strings' capacity for the next batch, but
  // not that of a large event or id: a batch of max_batch events of
  // max_message_bytes must not stay allocated after it. (An ack holds the
  // id as sent, also a refused one far over CheckId's 256 bytes.)
  constexpr std::size_t kKeepPayloadBytes = 4096;
  for (std::size_t k = 0; k < entry_count; ++k) {
    if (entries[k].payload.capacity() > kKeepPayloadBytes) std::string().swap(entries[k].payload);
  }
  for (std::size_t i = 0; i < std::min(requests.size(), acks.size()); ++i) ResetAck(&acks[i]);
  // A routing vector holds a few frames (identity, delimiter, the ack);
  // one that grew large (a long proxy chain) is not kept.
  constexpr std::size_t kKeepRoutingFrames = 4;
  for (Request& req : requests) {
    if (req.routing.capacity() == 0 || req.routing.capacity() > kKeepRoutingFrames) continue;
    req.routing.clear();
    spare_routing.push_back(std::move(req.routing));
  }
  requests.clear();
  queries.clear();
  entry_count = 0;
  staged.clear();
  directory_before.reset();
  clock_before.reset();
}

void IngestLoop::Batch::PrepareIds(std::size_t n) {
  std::size_t slots = 16;
  while (slots < 2 * n) slots <<= 1;  // at most half full: short probes
  id_slots.assign(slots, 0);
}

std::optional<std::size_t> IngestLoop::Batch::FindId(std::string_view id) const {
  const std::size_t mask = id_slots.size() - 1;
  for (std::size_t s = std::hash<std::string_view>()(id) & mask; id_slots[s] != 0;
       s = (s + 1) & mask) {
    if (entries[id_slots[s] - 1].event_id == id) return id_slots[s] - 1;
  }
  return std::nullopt;
}

void IngestLoop::Batch::AddId(std::size_t k) {
  const std::size_t mask = id_slots.size() - 1;
  std::size_t s = std::hash<std::string_view>()(entries[k].event_id) & mask;
  while (id_slots[s] != 0) s = (s + 1) & mask;
  id_slots[s] = static_cast<std::uint32_t>(k + 1);
}

void IngestLoop::ResetAck(Ack* ack) {
  // Clear() keeps every string's capacity (protobuf reuses them): an ack
  // that held a long id, reason or a status response is replaced instead.
  constexpr std::size_t kKeepIdBytes = 256;  // CheckId's limit
  constexpr std::size_t kKeepReasonBytes = 4096;
  if (ack->event_id().capacity() > kKeepIdBytes || ack->reason().capacity() > kKeepReasonBytes ||
      ack->has_response()) {
    Ack().Swap(ack);
  } else {
    ack->Clear();
  }
}

void IngestLoop::ReadBatch() {
  Batch& batch = batch_;
  batch.Reset();  // a no-op unless the last batch was cut short (an exception)
  if (!Receive(&batch)) return;
  // Whether envelope_ parsed a large request: its strings keep their
  // capacity, so it is replaced after the batch.
  constexpr std::size_t kKeepEnvelopeBytes = std::size_t{64} << 10;
  bool large_envelope = false;
  log_->SyncDirectory(&directory_);
  log_->SyncClock(&clock_);
  for (std::size_t i = 0; i < batch.requests.size(); ++i) {
    Request& req = batch.requests[i];
    if (!req.framing.ok()) {
      Reject(&batch, i, req.framing);
      continue;
    }
    riskd::v1::Envelope& env = envelope_;
    if (req.payload.size() > kKeepEnvelopeBytes) large_envelope = true;
    if (const Status st = Parse(req, &env); !st.ok()) {
      Reject(&batch, i, st);
      continue;
    }
    batch.acks[i].set_event_id(env.event_id());
    if (const Status st = Authorize(req, env); !st.ok()) {
      Reject(&batch, i, st);
      continue;
    }
    Admit(&batch, i, &env);
  }
  Commit(&batch);
  ForwardQueries(&batch);
  Reply(&batch);
  PublishInterruptions();
  // Nothing of the batch's content stays allocated while the daemon waits
  // for the next one (request frames, large payloads and ids); the empty
  // routing vectors do (at most max_batch x 4 frames' room, 256 KB at
  // 1,024).
  batch.Reset();
  if (large_envelope) riskd::v1::Envelope().Swap(&envelope_);
}

std::size_t IngestLoop::QueueRoom() const {
  const std::uint64_t done =
      engine_done_ ? engine_done_->load(std::memory_order_acquire) : forwarded_;
  const std::uint64_t queued = forwarded_ - std::min(forwarded_, done);
  return queued >= settings_->queue_capacity ? 0 : settings_->queue_capacity - queued;
}

bool IngestLoop::Receive(Batch* batch) {
  std::vector<zmq::message_t> frames;
  // A request forwards at most one event or query: reading no more than
  // the room keeps the queue within ingest.queue_capacity. Draining reads
  // regardless (events are refused then, queries few).
  const std::size_t most =
      drained_ ? settings_->max_batch : std::min(settings_->max_batch, QueueRoom());
  while (batch->requests.size() < most &&
         connectors::RecvFrames(*router_, &frames, zmq::recv_flags::dontwait, &interrupted_)) {
    // [identity, payload] from a DEALER; [identity, "", payload] from a REQ
    // (and, through a proxy, more routing frames up to the last empty one).
    std::size_t body = 1;
    for (std::size_t f = 1; f + 1 < frames.size(); ++f) {
      if (frames[f].size() == 0) body = f + 1;
    }
    Request req;
    if (!batch->spare_routing.empty()) {
      req.routing = std::move(batch->spare_routing.back());
      batch->spare_routing.pop_back();
    }
    // The routing frames and the ack Reply() adds to them.
    req.routing.reserve(std::min(body, frames.size()) + 1);
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
  // The journal's duplicate check per event costs a cache miss in its
  // Bloom filter; hinted for the whole batch now, the misses overlap. The
  // ids are peeked from the bytes as a producer's protobuf library writes
  // them (event_id first); another encoding merely goes without the hint.
  for (const Request& req : batch->requests) {
    if (auto id = PeekEventId(req.payload)) log_->PrefetchLookup(*id);
  }
  const std::size_t n = batch->requests.size();
  if (batch->acks.size() < n) batch->acks.resize(n);
  // acks[0, n) were reset (ResetAck) when the batch before ended.
  // At most one entry per request: never resized while Admit runs (the
  // id index's keys are the entries' strings).
  if (batch->entries.size() < n) batch->entries.resize(n);
  batch->PrepareIds(n);
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.received.fetch_add(batch->requests.size(), std::memory_order_relaxed);
  return true;
}

Status IngestLoop::Parse(const Request& req, riskd::v1::Envelope* env) const {
  if (req.payload.size() > settings_->max_message_bytes) {
    return Status::ResourceExhausted("envelope of " + std::to_string(req.payload.size()) +
                                     " bytes exceeds ingest.max_message_bytes (" +
                                     std::to_string(settings_->max_message_bytes) + ")");
  }
  (void)connectors::TakeProtobufLogMessage();
  // ParseFromArray clears *env first: nothing of the previous request stays.
  if (!env->ParseFromArray(req.payload.data(), static_cast<int>(req.payload.size()))) {
    const std::string detail = connectors::TakeProtobufLogMessage();
    return Status::InvalidArgument("payload: cannot parse " + std::to_string(req.payload.size()) +
                                   " bytes as riskd.v1.Envelope" +
                                   (detail.empty() ? "" : ": " + detail));
  }
  return Status::Ok();
}

Status IngestLoop::Authorize(Request& req, const riskd::v1::Envelope& env) {
  if (rate_limiter_.enabled()) {
    const std::string peer = PeerOf(req.payload, req.routing);
    if (!rate_limiter_.Admit(peer)) {
      if (refusals_) {
        refusals_->Record(RefusalReason::kRateLimited,
                          peer + " is over ingest.peer_rate; refused '" + env.event_id() + "'");
      }
      return Status::ResourceExhausted("over ingest.peer_rate (" + Compact(settings_->peer_rate) +
                                       " requests/s, bursts of " + Compact(settings_->peer_burst) +
                                       ") for this peer; retry later");
    }
  }
  // With CURVE, the ZAP handler put the client's role on the message.
  const auto role = connectors::RoleOfMessage(req.payload);
  if (!role) return Status::Ok();
  Status st = connectors::AuthorizeEnvelope(*role, env);
  if (!st.ok() && refusals_) {
    const char* address = zmq_msg_gets(req.payload.handle(), "Peer-Address");
    refusals_->Record(RefusalReason::kRoleDenied, PeerOf(req.payload, req.routing) + " (" +
                                                      std::string(connectors::RoleName(*role)) +
                                                      ") at " + (address ? address : "?") +
                                                      " sent '" + env.event_id() +
                                                      "': " + st.ToString());
  }
  return st;
}

void IngestLoop::Admit(Batch* batch, std::size_t i, riskd::v1::Envelope* envelope) {
  riskd::v1::Envelope& env = *envelope;
  if (env.has_query()) return AdmitQuery(batch, i, env);
  if (!refuse_events_.ok()) return Reject(batch, i, refuse_events_);
  // Duplicates first: a retried event must be answered DUPLICATE even when
  // its content would no longer validate (e.g. a repeated add_node).
  if (AnsweredAsDuplicate(batch, i, env)) return;
  const Status st = ValidateEnvelope(env, directory_, settings_->risk_type_resolver, limits_);
  if (!st.ok()) return Reject(batch, i, st);
  // Event time: what the journal records is where the engine places it.
  const std::int64_t received = NowUnixNs();
  const auto timed = TimeEvent(batch, &env, received);
  if (!timed.ok()) return Reject(batch, i, timed.status());
  const auto stamped = StampOperatorAction(batch->requests[i], &env);
  if (!stamped.ok()) return Reject(batch, i, stamped.status());
  TellPlaceMatches(env, &batch->acks[i]);
  ApplyNetworkChange(batch, env);
  Stage(batch, i, env, received, /*changed=*/*timed || *stamped);
}

void IngestLoop::AdmitQuery(Batch* batch, std::size_t i, const riskd::v1::Envelope& env) {
  const Status st = ValidateEnvelope(env, directory_, settings_->risk_type_resolver, limits_);
  if (!st.ok()) return Reject(batch, i, st);
  stats_.queries.fetch_add(1, std::memory_order_relaxed);
  if (!env.query().has_status()) {
    batch->queries.push_back(i);
    return;
  }
  // A status query needs nothing from the engine thread: answered here.
  if (!status_source_) return Reject(batch, i, Status::Unavailable("query.status: not available"));
  Ack& ack = batch->acks[i];
  ack.set_result(Ack::RESULT_ACCEPTED);
  *ack.mutable_response()->mutable_status() = status_source_();
  // As for every query, the events the answer reflects: the engine's
  // (the journal may hold more, not yet applied: journal_last_seq).
  ack.set_journal_seq(ack.response().status().engine_applied_seq());
}

bool IngestLoop::AnsweredAsDuplicate(Batch* batch, std::size_t i, const riskd::v1::Envelope& env) {
  Ack& ack = batch->acks[i];
  if (auto k = batch->FindId(env.event_id())) {
    // Answered with the entry's result once the batch is committed (Forward).
    ack.set_reason(DifferentEventReason(env, batch->entries[*k].payload));
    batch->staged.push_back({i, *k});
    return true;
  }
  auto seen = log_->Lookup(env.event_id());
  if (!seen.ok()) {
    Reject(batch, i, seen.status());
    return true;
  }
  if (!seen->has_value()) return false;
  ack.set_result(Ack::RESULT_DUPLICATE);
  ack.set_journal_seq(**seen);
  stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
  // Only here, on the duplicate path: one read of the journaled payload.
  if (auto journaled = log_->Payload(**seen); journaled.ok() && journaled->has_value()) {
    ack.set_reason(DifferentEventReason(env, **journaled));
  }
  return true;
}

Result<bool> IngestLoop::TimeEvent(Batch* batch, riskd::v1::Envelope* env, std::int64_t received) {
  if (!env->has_supplier_status() && !env->has_disruption() && !env->has_clock_tick()) return false;
  if (env->has_clock_tick() && !batch->clock_before) batch->clock_before = clock_.manual_ns();
  return clock_.Admit(env, received);
}

Result<bool> IngestLoop::StampOperatorAction(Request& req, riskd::v1::Envelope* env) const {
  if (!env->has_operator_action()) return false;
  if (!incidents_ || !incidents_->Has(env->operator_action().incident_id())) {
    return Status::NotFound("operator_action.incident_id: no incident '" +
                            env->operator_action().incident_id() +
                            "' (closed incidents beyond incidents.retain_closed are forgotten)");
  }
  if (incidents_->Closed(env->operator_action().incident_id())) {
    RISKD_RETURN_IF_ERROR(CheckActionOnClosedIncident(env->operator_action().kind(),
                                                      env->operator_action().incident_id()));
  }
  // The journal records who acted as CURVE authenticated them.
  auto client = connectors::ClientNameOfMessage(req.payload);
  if (!client) return false;
  env->mutable_operator_action()->set_authenticated_client(*client);
  return true;
}

void IngestLoop::TellPlaceMatches(const riskd::v1::Envelope& env, Ack* ack) const {
  if (!env.has_disruption() || !env.disruption().has_place()) return;
  const auto match = directory_.Match(env.disruption().place(), 10);
  ack->set_place_matched_nodes(static_cast<std::uint32_t>(match.count));
  for (const auto& id : match.first_ids) ack->add_place_matched_ids(id);
  if (match.count == 0) {
    ack->set_warning("place_empty: disruption.place matches no node in the network");
  }
}

void IngestLoop::ApplyNetworkChange(Batch* batch, const riskd::v1::Envelope& env) {
  if (!env.has_network_change()) return;
  if (!batch->directory_before) {
    batch->directory_before = std::make_unique<connectors::NodeDirectory>(directory_);
  }
  directory_.Apply(env.network_change());
}

void IngestLoop::Stage(Batch* batch, std::size_t i, const riskd::v1::Envelope& env,
                       std::int64_t received, bool changed) {
  const std::size_t k = batch->entry_count++;
  connectors::JournalEntry& entry = batch->entries[k];  // reused: every field set
  entry.event_id.assign(env.event_id());
  entry.received_unix_ns = received;
  if (changed) {
    (void)env.SerializeToString(&entry.payload);  // replaces what the string held
  } else {
    const zmq::message_t& payload = batch->requests[i].payload;
    entry.payload.assign(payload.data<char>(), payload.size());
  }
  batch->AddId(k);
  batch->staged.push_back({i, k});
}

void IngestLoop::Commit(Batch* batch) {
  if (batch->entry_count == 0) return;
  const auto start = std::chrono::steady_clock::now();
  auto results = log_->Append(batch->committed());
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
                  batch->entry_count, LogSafe(results.status().ToString()),
                  *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
  }
  if (batch->directory_before) directory_ = std::move(*batch->directory_before);
  if (batch->clock_before) clock_.Set(*batch->clock_before);
  for (const auto& s : batch->staged) {
    Reject(batch, s.request, Status::Unavailable("journal write failed; retry later"));
  }
}

void IngestLoop::Forward(Batch* batch, const std::vector<connectors::AppendResult>& results) {
  std::vector<char> forwarded(batch->entry_count, 0);
  // The whole batch goes to the engine as one message of one frame.
  EventBatch& events = forward_events_;
  events.Clear();
  const bool feeds_engine = log_->ingest_feeds_engine();
  for (const auto& s : batch->staged) {
    const auto& r = results[s.entry];
    Ack& ack = batch->acks[s.request];
    ack.set_journal_seq(r.seq);
    const bool first = !r.duplicate && !forwarded[s.entry];
    ack.set_result(first ? Ack::RESULT_ACCEPTED : Ack::RESULT_DUPLICATE);
    (first ? stats_.accepted : stats_.duplicates).fetch_add(1, std::memory_order_relaxed);
    if (!first) continue;
    forwarded[s.entry] = 1;
    // A stream-backed log feeds the engine itself, in stream order.
    if (feeds_engine) {
      events.Add(r.seq, batch->entries[s.entry].received_unix_ns, batch->entries[s.entry].payload);
    }
    ++forwarded_;
  }
  // Blocks while the engine's queue is full (backpressure). The batch is
  // committed: it must reach the engine whatever signal arrives meanwhile.
  if (!events.empty()) {
    auto message = events.Message();
    events.Clear();  // views of the batch's entries, which Reset frees
    (void)connectors::SendFrames(*to_engine_, message, zmq::send_flags::none, &interrupted_);
  }
}

void IngestLoop::ForwardQueries(Batch* batch) {
  // After the batch's events: a query sees every event received before it.
  for (std::size_t i : batch->queries) {
    Request& req = batch->requests[i];
    auto message = QueryMessage(std::move(req.payload), std::move(req.routing));
    req.routing.clear();  // answered by the engine thread
    ++forwarded_;
    (void)connectors::SendFrames(*to_engine_, message, zmq::send_flags::none, &interrupted_);
  }
}

void IngestLoop::Reply(Batch* batch) {
  for (std::size_t i = 0; i < batch->requests.size(); ++i) {
    auto& routing = batch->requests[i].routing;
    if (routing.empty()) continue;  // a query, or nothing to reply to
    // Never blocks: a ROUTER drops a reply to a peer that is gone or not reading.
    // Serialized straight into the frame (no string in between).
    const riskd::v1::Ack& ack = batch->acks[i];
    zmq::message_t& frame = routing.emplace_back(ack.ByteSizeLong());
    ack.SerializeWithCachedSizesToArray(frame.data<std::uint8_t>());
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
  spdlog::debug("ingest: {} socket call(s) interrupted by a signal and retried",
                interrupted_ - seen);
  stats_.interrupted.store(interrupted_, std::memory_order_relaxed);
}

void IngestLoop::Run(const std::atomic<bool>* stop, const std::function<void()>& tick) {
  auto last_tick = std::chrono::steady_clock::now();
  while (!stop->load()) {
    try {
      // While the engine's queue is full the router is not read (its
      // requests wait in the socket); replies and monitors are, and the
      // queue is looked at again soon.
      const bool room = QueueRoom() > 0;
      zmq::pollitem_t items[4] = {{replies_->handle(), 0, ZMQ_POLLIN, 0},
                                  {monitor_->handle(), 0, ZMQ_POLLIN, 0}};
      int n = 2;
      const int publish_at = publish_monitor_ ? n++ : -1;
      if (publish_at >= 0) items[publish_at] = {publish_monitor_->handle(), 0, ZMQ_POLLIN, 0};
      const int router_at = room ? n++ : -1;
      if (router_at >= 0) items[router_at] = {router_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(items, static_cast<std::size_t>(n), std::chrono::milliseconds(room ? 100 : 5));
      if (items[1].revents & ZMQ_POLLIN) ReadMonitor(*monitor_, "endpoints.ingest");
      if (publish_at >= 0 && (items[publish_at].revents & ZMQ_POLLIN)) {
        ReadMonitor(*publish_monitor_, "endpoints.publish");
      }
      if (items[0].revents & ZMQ_POLLIN) ForwardReplies();
      if (router_at >= 0 && (items[router_at].revents & ZMQ_POLLIN)) ReadBatch();
    } catch (const zmq::error_t& e) {
      // A signal (stop, reload) interrupted the poll: the tick below acts on
      // it. Every other socket call retries (socket_io.h). Anything else is
      // a bug worth a log line, not a crash.
      if (e.num() == EINTR) {
        ++interrupted_;
      } else {
        spdlog::error("ingest loop: {}", e.what());
      }
    }
    PublishInterruptions();
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
