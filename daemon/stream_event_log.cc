#include "daemon/stream_event_log.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "connectors/codec/protobuf_log.h"
#include "daemon/follower_pacing.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {
namespace {

// How long the follower waits without a message before it checks that the
// stream has nothing more for it.
constexpr std::chrono::seconds kStallCheck{3};
// The pause after a refused read before the consumer is re-created again:
// doubling from the first to the last while the refusals last.
constexpr std::chrono::milliseconds kRefusalPauseFirst{200};
constexpr std::chrono::milliseconds kRefusalPauseMax{5000};

using connectors::nats::StreamMessage;

// Why a stream message is not an event the daemon applies; OK if it is.
Status CheckMessage(const StreamMessage& m, const DaemonSettings& s,
                    const connectors::NodeDirectory& directory, riskd::v1::Envelope* env) {
  if (m.payload.size() > s.max_message_bytes) {
    return Status::ResourceExhausted("envelope of " + std::to_string(m.payload.size()) +
                                     " bytes exceeds ingest.max_message_bytes (" +
                                     std::to_string(s.max_message_bytes) + ")");
  }
  (void)connectors::TakeProtobufLogMessage();
  if (!env->ParseFromString(m.payload)) {
    const std::string detail = connectors::TakeProtobufLogMessage();
    return Status::InvalidArgument("payload: cannot parse " + std::to_string(m.payload.size()) +
                                   " bytes as riskd.v1.Envelope" +
                                   (detail.empty() ? "" : ": " + detail));
  }
  if (env->has_query())
    return Status::InvalidArgument("query: queries go to the ingest endpoint, not the stream");
  // The same limits as the ingest endpoint's (IngestLoop).
  connectors::ValidationLimits limits;
  limits.max_place_area_km2 = s.max_place_area_km2;
  return ValidateEnvelope(*env, directory, s.risk_type_resolver, limits);
}

}  // namespace

Result<std::unique_ptr<StreamEventLog>> StreamEventLog::Open(
    const DaemonSettings& settings, const connectors::nats::NatsConnection* connection,
    connectors::Journal* mirror, const engine::Network& network,
    connectors::nats::LeaderLookUp leader_lookup) {
  const NatsSettings& n = settings.nats;
  // A state directory keeps its event log: a journal of local events (or
  // of another stream) must not continue as this stream's mirror.
  const Status origin = mirror->SetOrigin("nats:" + n.stream);
  if (!origin.ok()) {
    return Status::FailedPrecondition(
        origin.message() +
        "; a state directory does not change its event log: start this instance with an "
        "empty state_dir to replay stream '" +
        n.stream + "'");
  }
  connectors::nats::StreamOptions so;
  so.stream = n.stream;
  so.subject = n.subject;
  so.replicas = n.replicas;
  so.duplicate_window = n.duplicate_window;
  RISKD_RETURN_IF_ERROR(connectors::nats::EnsureStream(*connection, so));
  std::unique_ptr<StreamEventLog> log(
      new StreamEventLog(settings, mirror, connectors::NodeDirectory(network)));
  auto producer = connectors::nats::StreamLog::Open(connection, so);
  if (!producer.ok()) return producer.status();
  log->producer_ = std::move(*producer);
  connectors::nats::ConsumerOptions co;
  co.stream = n.stream;
  co.subject = n.subject;
  co.durable = n.durable();
  co.max_batch = static_cast<int>(std::min<std::size_t>(settings.max_batch, 4096));
  co.stop = &log->stop_;
  co.leader_lookup = std::move(leader_lookup);
  auto consumer = connectors::nats::StreamConsumer::Open(connection, co);
  if (!consumer.ok()) return consumer.status();
  log->consumer_ = std::move(*consumer);
  // The ingest thread's own connection to the mirror, for look-ups.
  auto lookups = connectors::Journal::OpenReadOnly(settings.database);
  if (!lookups.ok()) return lookups.status();
  log->lookups_ = std::move(*lookups);
  log->stats_.mirrored_seq = mirror->last_seq();
  log->stats_.read_seq = mirror->last_seq();
  return log;
}

StreamEventLog::~StreamEventLog() { Stop(); }

void StreamEventLog::Start(zmq::context_t* context, std::optional<std::int64_t> manual_clock_ns) {
  clock_.Set(manual_clock_ns);  // before the thread: it owns clock_ from here on
  stop_ = false;
  thread_ = std::thread([this, context] { Follow(context); });
}

void StreamEventLog::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::optional<std::uint64_t>> StreamEventLog::Lookup(const std::string& event_id) {
  return lookups_->LookupInDatabase(event_id);
}

Result<std::vector<connectors::AppendResult>> StreamEventLog::Append(
    std::span<const connectors::JournalEntry> entries) {
  std::vector<connectors::nats::OutgoingEvent> events;
  events.reserve(entries.size());
  for (const auto& e : entries) events.push_back({e.event_id, e.payload});
  auto published = producer_->Publish(events);
  if (!published.ok()) return published.status();
  std::vector<connectors::AppendResult> out;
  out.reserve(published->size());
  for (const auto& p : *published) out.push_back({p.seq, p.duplicate});
  return out;
}

void StreamEventLog::SyncDirectory(connectors::NodeDirectory* directory) {
  std::lock_guard<std::mutex> lock(changes_mu_);
  for (const auto& change : changes_) directory->Apply(change);
  changes_.clear();
}

void StreamEventLog::SyncClock(IngestClock* clock) {
  std::lock_guard<std::mutex> lock(changes_mu_);
  if (manual_clock_ns_ && (!clock->manual_ns() || *clock->manual_ns() < *manual_clock_ns_)) {
    clock->Set(manual_clock_ns_);
  }
}

void StreamEventLog::Pause(std::chrono::milliseconds pause) {
  const auto until = std::chrono::steady_clock::now() + pause;
  while (!stop_) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

bool StreamEventLog::Send(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  // Blocks while the engine's queue is full (backpressure), but not past a
  // stop request.
  while (!stop_) {
    try {
      if (zmq::send_multipart(socket, frames)) return true;
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return false;
    }
  }
  return false;
}

// The events of one fetched batch the follower applies, in stream order,
// and what undoes the batch's changes to the follower's state if it
// cannot be mirrored (then it is read again).
struct StreamEventLog::TakenBatch {
  explicit TakenBatch(std::optional<std::int64_t> manual_clock_ns)
      : clock_before(manual_clock_ns) {}
  std::vector<connectors::JournalEntry> entries;
  std::vector<std::uint64_t> seqs;                // the entries' stream sequences
  std::vector<riskd::v1::NetworkChange> changes;  // for the ingest directory
  std::unordered_set<std::string> event_ids;      // the batch's, to skip repeats within it
  std::uint64_t rejected = 0;
  std::uint64_t late = 0;
  // The follower's directory before the batch's first network change
  // (null before one), and its manual clock before the batch.
  std::unique_ptr<connectors::NodeDirectory> directory_before;
  const std::optional<std::int64_t> clock_before;
};

// A batch is checked and mirrored as one unit: Admit() moves the follower's
// directory and clock on as the batch does, and Undo() puts them back if the
// batch cannot be mirrored.
bool StreamEventLog::Take(std::vector<StreamMessage>& batch, zmq::socket_t& to_engine) {
  TakenBatch taken(clock_.manual_ns());
  if (!Admit(batch, taken)) {
    Undo(taken);
    return false;
  }
  if (!taken.entries.empty()) {
    auto results = mirror_->AppendAt(taken.entries, taken.seqs);
    if (!results.ok()) {
      spdlog::error("stream mirror write failed (will read again): {}",
                    results.status().ToString());
      Undo(taken);
      return false;
    }
  }
  HandOver(taken, batch.back(), to_engine);
  return true;
}

bool StreamEventLog::Admit(std::vector<StreamMessage>& batch, TakenBatch& taken) {
  for (auto& m : batch) {
    riskd::v1::Envelope env;
    const Status st = CheckMessage(m, settings_, directory_, &env);
    if (!st.ok()) {
      ++taken.rejected;
      spdlog::warn("stream {} seq {}: skipped, not an event riskd applies: {}",
                   settings_.nats.stream, m.seq, st.ToString());
      continue;
    }
    auto seen = mirror_->Lookup(env.event_id());
    if (!seen.ok()) {
      spdlog::error("stream mirror look-up failed: {}", seen.status().ToString());
      return false;
    }
    if (seen->has_value() || !taken.event_ids.insert(env.event_id()).second) {
      ++taken.late;
      spdlog::info("stream {} seq {}: event '{}' is already applied (at seq {}); skipped",
                   settings_.nats.stream, m.seq, env.event_id(), seen->value_or(0));
      continue;
    }
    // Event time, decided from the stream alone: the same on every instance.
    auto timed = clock_.Admit(&env, m.time_ns);
    if (!timed.ok()) {
      ++taken.rejected;
      spdlog::warn("stream {} seq {}: skipped, not an event riskd applies: {}",
                   settings_.nats.stream, m.seq, timed.status().ToString());
      continue;
    }
    if (*timed) m.payload = env.SerializeAsString();
    if (env.has_network_change()) {
      if (!taken.directory_before)
        taken.directory_before = std::make_unique<connectors::NodeDirectory>(directory_);
      directory_.Apply(env.network_change());
      taken.changes.push_back(env.network_change());
    }
    taken.entries.push_back({env.event_id(), m.time_ns, std::move(m.payload)});
    taken.seqs.push_back(m.seq);
  }
  return true;
}

void StreamEventLog::Undo(TakenBatch& taken) {
  if (taken.directory_before) directory_ = std::move(*taken.directory_before);
  clock_.Set(taken.clock_before);
}

void StreamEventLog::HandOver(TakenBatch& taken, const StreamMessage& last,
                              zmq::socket_t& to_engine) {
  // Durable in the mirror: the stream need not deliver these again.
  const Status acked = consumer_->Ack(last.seq);
  if (!acked.ok()) spdlog::debug("{}", acked.ToString());
  stats_.rejected.fetch_add(taken.rejected, std::memory_order_relaxed);
  stats_.late_duplicates.fetch_add(taken.late, std::memory_order_relaxed);
  stats_.read_seq.store(last.seq);
  stats_.pending.store(last.pending);
  if (!taken.changes.empty() || clock_.manual_ns() != taken.clock_before) {
    std::lock_guard<std::mutex> lock(changes_mu_);
    for (auto& c : taken.changes) changes_.push_back(std::move(c));
    manual_clock_ns_ = clock_.manual_ns();
  }
  if (taken.entries.empty()) return;
  const auto& seqs = taken.seqs;
  stats_.mirrored_seq.store(seqs.back());
  stats_.mirrored.fetch_add(taken.entries.size(), std::memory_order_relaxed);
  EventBatch events;  // receipt time 0: the engine takes the journaled event time
  for (std::size_t i = 0; i < taken.entries.size(); ++i)
    events.Add(seqs[i], 0, taken.entries[i].payload);
  auto message = events.Message();
  // Only a stop leaves a batch unsent: the mirror holds it for the next
  // start's replay. Anything else would leave it journaled, unapplied.
  if (!Send(to_engine, message) && !stop_) {
    spdlog::critical(
        "stream {}: events at seq {}..{} are mirrored but could not be handed to the engine "
        "thread; this instance's state lacks them until it restarts",
        settings_.nats.stream, seqs.front(), seqs.back());
  }
}

struct StreamEventLog::FollowerState {
  explicit FollowerState(const connectors::nats::ConsumerStats& consumer)
      : seeks(consumer.seeks),
        reads_refused(consumer.reads_refused),
        jump_mismatches(consumer.jump_mismatches) {}
  // The consumer's counts after the last fetch.
  std::uint64_t seeks;
  std::uint64_t reads_refused;
  std::uint64_t jump_mismatches;
  std::uint64_t refusals_not_logged = 0;
  std::uint64_t jump_mismatches_not_logged = 0;
  std::chrono::steady_clock::time_point last_message = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_error_log{};
  std::chrono::steady_clock::time_point last_refusal_log{};
  std::chrono::steady_clock::time_point last_jump_mismatch_log{};
  std::chrono::steady_clock::time_point last_behind_log{};
  RetryBackoff refusal_pause{kRefusalPauseFirst, kRefusalPauseMax};
  FailureRun failing{kStallCheck};
};

void StreamEventLog::Follow(zmq::context_t* context) {
  zmq::socket_t to_engine = ConnectToEngine(context);
  const Status st = consumer_->Seek(mirror_->last_seq() + 1);
  FollowerState state(consumer_->stats());
  if (!st.ok()) Report(state, st);
  spdlog::info("following stream {} from seq {} (consumer {})", settings_.nats.stream,
               mirror_->last_seq() + 1, settings_.nats.durable());
  while (!stop_) {
    auto batch = consumer_->Fetch(std::chrono::milliseconds(200));
    // A stop request may have ended the fetch (or its look-up): no stall
    // check or re-creation while the daemon shuts down.
    if (stop_) break;
    const bool refused_read = TakeRefusals(state);
    TakeJumps(state);
    const bool sought = TakeSeeks(state, refused_read);
    if (!batch.ok()) {
      FetchFailed(state, batch.status());
      continue;
    }
    state.failing.Clear();
    if (batch->empty()) {
      // A fetch that re-created the consumer (a gap) or refused a read
      // (re-created at the next fetch, after the pause) says nothing about
      // the stream's end.
      if (!sought && !refused_read) NothingNew(state);
      continue;
    }
    state.last_message = std::chrono::steady_clock::now();
    state.refusal_pause.Reset();  // this read was taken
    if (!Take(*batch, to_engine)) {
      // Read the batch again once the mirror can be written.
      Pause(std::chrono::milliseconds(500));
      const Status sought_again = consumer_->Seek(mirror_->last_seq() + 1);
      if (!sought_again.ok()) Report(state, sought_again);
    }
  }
}

zmq::socket_t StreamEventLog::ConnectToEngine(zmq::context_t* context) {
  zmq::socket_t to_engine(*context, zmq::socket_type::push);
  to_engine.set(zmq::sockopt::sndhwm, static_cast<int>(std::max<std::size_t>(
                                          1, settings_.queue_capacity / settings_.max_batch)));
  to_engine.set(zmq::sockopt::sndtimeo, 200);
  to_engine.set(zmq::sockopt::linger, 0);
  to_engine.connect(kEventsEndpoint);
  return to_engine;
}

void StreamEventLog::Report(FollowerState& state, const Status& st) {
  stats_.read_errors.fetch_add(1, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_error_log >= std::chrono::seconds(5)) {
    spdlog::warn("stream {}: {} (retrying)", settings_.nats.stream, st.ToString());
    state.last_error_log = now;
  }
}

bool StreamEventLog::TakeRefusals(FollowerState& state) {
  const auto& consumer = consumer_->stats();
  if (consumer.reads_refused == state.reads_refused) return false;
  const std::uint64_t refused = consumer.reads_refused - state.reads_refused;
  state.reads_refused = consumer.reads_refused;
  stats_.reads_refused.fetch_add(refused, std::memory_order_relaxed);
  const std::string& stream = settings_.nats.stream;
  // This instance cannot read past the gap: not caught up (a standby does
  // not take the lease) until it reads to the stream's end again.
  if (caught_up_.exchange(false)) {
    spdlog::warn("stream {}: no longer caught up (a read from seq {} was refused)", stream,
                 consumer.refused_from);
  }
  // Not a line per attempt while it persists, and not a tight loop of
  // consumer re-creations either: the pause doubles up to
  // kRefusalPauseMax until a read is taken.
  const auto pause = state.refusal_pause.Next();
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_refusal_log >= std::chrono::seconds(5)) {
    spdlog::warn(
        "stream {}: consumer {} reading from seq {} delivered seq {}, but {}: not taken, "
        "re-creating it in {} ms ({} time(s) since the last such line)",
        stream, settings_.nats.durable(), consumer.refused_from, consumer.refused_at,
        consumer.refused_why, pause.count(), refused + state.refusals_not_logged);
    state.last_refusal_log = now;
    state.refusals_not_logged = 0;
  } else {
    state.refusals_not_logged += refused;
  }
  Pause(pause);
  return true;
}

void StreamEventLog::TakeJumps(FollowerState& state) {
  const auto& consumer = consumer_->stats();
  stats_.jumps_taken.store(consumer.jumps_taken, std::memory_order_relaxed);
  stats_.lost_deliveries.store(consumer.lost_deliveries, std::memory_order_relaxed);
  stats_.jump_mismatches.store(consumer.jump_mismatches, std::memory_order_relaxed);
  if (consumer.jump_mismatches == state.jump_mismatches) return;
  const std::uint64_t mismatches = consumer.jump_mismatches - state.jump_mismatches;
  state.jump_mismatches = consumer.jump_mismatches;
  // Delivered in turn (a delivery lost on the way is no mismatch, only a
  // gap: StreamConsumer), so a replica that lacks or diverged from the
  // leader's messages: told at warn. Not a refusal: the re-created
  // consumer's start is checked (and refused if still wrong).
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_jump_mismatch_log >= std::chrono::seconds(5)) {
    spdlog::warn(
        "stream {}: consumer {} expected seq {} delivered seq {} past a jump, but {}: not "
        "taken, re-reading from seq {} ({} time(s) since the last such line)",
        settings_.nats.stream, settings_.nats.durable(), consumer.jump_mismatch_from,
        consumer.jump_mismatch_at, consumer.jump_mismatch_why, consumer.jump_mismatch_from,
        mismatches + state.jump_mismatches_not_logged);
    state.last_jump_mismatch_log = now;
    state.jump_mismatches_not_logged = 0;
  } else {
    state.jump_mismatches_not_logged += mismatches;
  }
}

bool StreamEventLog::TakeSeeks(FollowerState& state, bool refused_read) {
  if (consumer_->stats().seeks == state.seeks) return false;
  state.seeks = consumer_->stats().seeks;
  // (The fetch that re-created it may have read on already.) A refused
  // read's re-creation is in the throttled warning (TakeRefusals), not a
  // line per attempt.
  if (!refused_read) {
    spdlog::info("stream {}: consumer {} re-created at seq {}", settings_.nats.stream,
                 settings_.nats.durable(), consumer_->stats().last_seek_from);
  }
  return true;
}

void StreamEventLog::FetchFailed(FollowerState& state, const Status& st) {
  Report(state, st);
  if (state.failing.Fail(std::chrono::steady_clock::now())) {
    // Every fetch failed for kStallCheck since the first: also what a
    // consumer deleted or changed on the server answers (no other fetch
    // would ever succeed). Re-create it after the last sequence read (if
    // the server is unreachable, the next fetches retry that).
    spdlog::warn("stream {}: consumer {} failing at seq {} for {} s ({}); re-creating it",
                 settings_.nats.stream, settings_.nats.durable(), consumer_->position(),
                 kStallCheck.count(), st.ToString());
    const Status sought = consumer_->Seek(consumer_->position() + 1);
    if (!sought.ok()) Report(state, sought);
  }
  Pause(std::chrono::milliseconds(100));
}

void StreamEventLog::NothingNew(FollowerState& state) {
  const auto now = std::chrono::steady_clock::now();
  if (now - state.last_message >= kStallCheck) {
    // Nothing for a while: make sure that is because there is nothing.
    state.last_message = now;
    if (RecreatedIfStalled(state)) return;
  }
  // Nothing more within the wait: at the end of the stream, if the
  // stream's leader holds nothing more for this consumer (a consumer that
  // holds back is re-created by the stall check above).
  if (!caught_up_.load() && !CaughtUpNow(state, now)) return;
  stats_.pending.store(0);
}

bool StreamEventLog::RecreatedIfStalled(FollowerState& state) {
  // A consumer whose deliveries were lost in a leader change waits for its
  // ack timeout; re-creating it reads on at once.
  auto last = consumer_->StreamLastSeq();
  if (!last.ok() || *last <= consumer_->position()) return false;
  spdlog::warn(
      "stream {}: consumer {} stalled at seq {} while the stream is at {} ({}); re-creating it",
      settings_.nats.stream, settings_.nats.durable(), consumer_->position(), *last,
      consumer_->Describe());
  const Status sought = consumer_->Seek(consumer_->position() + 1);
  if (!sought.ok()) Report(state, sought);
  return true;
}

bool StreamEventLog::CaughtUpNow(FollowerState& state, std::chrono::steady_clock::time_point now) {
  const std::string& stream = settings_.nats.stream;
  auto next = consumer_->FirstToDeliverFrom(consumer_->position() + 1);
  if (!next.ok()) {
    // Never caught up while the leader cannot be asked (e.g. the NATS user
    // may not publish to $JS.API.STREAM.MSG.GET.<stream>): counted and
    // logged, not silent.
    if (next.status().code() != Status::Code::kAborted) Report(state, next.status());
    return false;
  }
  if (next->has_value()) {
    if (now - state.last_behind_log >= std::chrono::seconds(5)) {
      spdlog::info(
          "stream {}: not caught up: the stream's leader holds seq {} after seq {}, which "
          "consumer {} has not delivered (the stall check re-creates it)",
          stream, **next, consumer_->position(), settings_.nats.durable());
      state.last_behind_log = now;
    }
    return false;
  }
  caught_up_ = true;
  state.refusal_pause.Reset();
  spdlog::info("caught up with stream {} at seq {}", stream, stats_.read_seq.load());
  return true;
}

}  // namespace riskd::daemon
