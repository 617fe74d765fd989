// IngestLoop: the daemon's socket thread (the main thread). It owns the
// ROUTER endpoint and serves it in batches, each in five steps with one job
// each (ReadBatch):
//   Receive    up to ingest.max_batch requests, framing checked, no more
//              than the engine's queue has room for (counted in events);
//   Parse      one request's bytes as an Envelope (size limit, protobuf);
//   Authorize  the sender's rate (ingest.peer_rate, peer_rate_limiter.h)
//              and CURVE role against the body (curve_auth.h); refusals
//              counted and logged (refusal_log.h);
//   Admit      duplicates answered, events validated, given their event
//              time and checked against the model clock (ingest_clock.h),
//              staged for the journal (a place's matches put in the Ack, an
//              operator action's incident checked and its CURVE client
//              stamped), queries set aside;
//   Commit     the staged events in one journal transaction (group commit),
//              or into the JetStream stream (daemon/event_log.h);
//   Forward    the committed events (unless the event log feeds the engine
//              itself), then the queries, to the engine thread;
// and finally replies to every request with an Ack (queries are answered by
// the engine thread, whose replies it relays). It never waits for a
// projection; while the queue to the engine holds ingest.queue_capacity
// events and queries it reads nothing more (backpressure) but keeps
// relaying replies. It also reads the socket monitors of both endpoints:
// producer disconnects, and handshakes refused (a plain-text client on a
// CURVE socket, any other failure; unknown keys are the ZAP handler's).
//
// Thread-safety: everything but stats() belongs to the thread that calls
// Run().
#ifndef RISKD_DAEMON_INGEST_LOOP_H_
#define RISKD_DAEMON_INGEST_LOOP_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "connectors/codec/event_codec.h"
#include "connectors/metrics/latency_histogram.h"
#include "daemon/event_log.h"
#include "daemon/incident_ids.h"
#include "daemon/ingest_clock.h"
#include "daemon/log_text.h"
#include "daemon/peer_rate_limiter.h"
#include "daemon/pipeline.h"
#include "daemon/refusal_log.h"
#include "daemon/settings.h"

namespace riskd::daemon {

struct IngestStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> batches{0};
  // Socket calls a signal interrupted, each retried (never a lost message).
  std::atomic<std::uint64_t> interrupted{0};
  // Batches the journal could not commit (every event answered unavailable).
  std::atomic<std::uint64_t> journal_failures{0};
  // Producer connections closed: by the producer, or by libzmq for a message
  // over IngestTransportLimit().
  std::atomic<std::uint64_t> disconnects{0};
  // Without CURVE: connections the peer closed before the ZMTP greeting was
  // done (a TCP health check, a client that gave up), on endpoints.ingest
  // [0] and endpoints.publish [1]. Not security refusals: with nothing to
  // authenticate, such a peer was refused nothing.
  std::array<std::atomic<std::uint64_t>, 2> aborted_handshakes{};
  // Rejections by Status code (riskd_ingest_rejected_by_reason_total).
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Status::Code::kInternal) + 1>
      rejected_by_code{};
  // Duration of each journal append (group commit).
  connectors::LatencyHistogram journal_commit;
};

// The largest message the ingest socket reads at all: 8 x
// ingest.max_message_bytes, and at least 64 KiB more. A message up to it but
// over max_message_bytes is answered resource_exhausted; a larger one makes
// libzmq close the sender's connection before the daemon sees it (counted in
// IngestStats::disconnects, logged), which also loses the acks still queued
// for that connection. The bound keeps one hostile message from costing the
// daemon gigabytes.
std::size_t IngestTransportLimit(std::size_t max_message_bytes);

class IngestLoop {
 public:
  // `settings` must outlive the loop (or the next UseSettings).
  // `incidents`: the ids OperatorActions may name (the engine thread adds
  // them).
  IngestLoop(const DaemonSettings* settings, EventLog* log, connectors::NodeDirectory directory,
             const IncidentIds* incidents);

  // Binds the ROUTER endpoint and connects to the engine thread's channels.
  // `engine_done` counts the events and queries the engine thread has
  // finished with (the queue's other end); `publish_monitor`, if set, is the
  // PUB socket's monitor endpoint (its refused handshakes are logged here).
  // `refusals` must outlive the loop.
  Status Bind(zmq::context_t* context, const std::atomic<std::uint64_t>* engine_done,
              RefusalLog* refusals, const char* publish_monitor = nullptr);
  const std::string& endpoint() const { return endpoint_; }

  // Serves until *stop becomes true; calls `tick` about every 100 ms (signal
  // flags, watchdog).
  void Run(const std::atomic<bool>* stop, const std::function<void()>& tick);
  // After Run(): events still queued on the socket are refused unavailable
  // (not journaled: the producer sends them again after the restart),
  // queries still go to the engine; then the engine thread is told to stop,
  // applies every committed event, answers its queries, and its replies
  // are relayed until it says it is done. The socket lingers 2 s at close
  // so the last acks reach their peers. Idempotent.
  void Drain();

  // Settings of the keys that reload live, from the next batch on.
  void UseSettings(const DaemonSettings* settings) { settings_ = settings; }
  // Hands new settings to the engine thread, after every event before them.
  void ForwardSettings(const DaemonSettings* settings);

  const IngestStats& stats() const { return stats_; }
  // From now on every event is rejected with `why` (queries are still
  // answered): the journal must not be appended to.
  void RefuseEvents(Status why) { refuse_events_ = std::move(why); }
  // CLOCK_MANUAL: the model time the journal's replay ended at (unset: no
  // tick yet). Before Run().
  void SetModelClock(std::optional<std::int64_t> unix_ns) { clock_.Set(unix_ns); }
  // Answers StatusQuery (called on this thread); unset: rejected.
  void SetStatusSource(std::function<riskd::v1::DaemonStatus()> source) {
    status_source_ = std::move(source);
  }

 private:
  // One request read from the ROUTER: its routing frames (identity, and the
  // empty delimiter a REQ socket adds) and the payload; `framing` is not OK
  // when the message had another shape.
  struct Request {
    std::vector<zmq::message_t> routing;
    zmq::message_t payload;
    Status framing;
  };
  // A batch on its way through the steps. One Batch serves every batch
  // (Reset between them): its vectors, acks and journal entries keep their
  // capacity, so a steady stream of events allocates little per event.
  struct Batch {
    std::vector<Request> requests;
    // One per request; acks.size() may be larger (kept from an earlier,
    // larger batch), only the first requests.size() are this batch's.
    std::vector<riskd::v1::Ack> acks;
    std::vector<std::size_t> queries;  // requests for the engine to answer
    // Events to commit: the first entry_count; the rest are kept for their
    // strings' capacity (up to a bound, Reset) and hold stale bytes.
    std::vector<connectors::JournalEntry> entries;
    std::size_t entry_count = 0;
    struct Staged {
      std::size_t request;
      std::size_t entry;  // index into entries
    };
    std::vector<Staged> staged;
    // Event id -> entry: open addressing, a slot holds k + 1 for
    // entries[k] (whose event_id is the key), 0 when empty. Sized and
    // emptied for each batch (PrepareIds), its allocation kept: no node
    // per event as a map would allocate.
    std::vector<std::uint32_t> id_slots;
    // Routing vectors of answered requests, emptied, for the next batch's
    // requests: their allocations are kept (two per request otherwise).
    std::vector<std::vector<zmq::message_t>> spare_routing;
    // The directory before the batch's network changes, and the manual
    // clock before its ticks, restored if the commit fails.
    std::unique_ptr<connectors::NodeDirectory> directory_before;
    std::optional<std::optional<std::int64_t>> clock_before;

    // Empties the batch once it is answered (so an idle daemon holds none
    // of its frames), keeping small strings' capacity and the routing
    // vectors for the next one.
    void Reset();
    // Room for n ids, all slots empty.
    void PrepareIds(std::size_t n);
    // The entry staged with this id in this batch, if any.
    std::optional<std::size_t> FindId(std::string_view id) const;
    // Indexes entries[k] by its event id (not in the index yet).
    void AddId(std::size_t k);
    // The entries to commit.
    std::span<const connectors::JournalEntry> committed() const {
      return {entries.data(), entry_count};
    }
  };

  void ReadBatch();
  // Empties an ack for the next batch; one that grew large is replaced.
  static void ResetAck(riskd::v1::Ack* ack);
  bool Receive(Batch* batch);
  // Parses into *envelope (cleared first by protobuf).
  Status Parse(const Request& request, riskd::v1::Envelope* envelope) const;
  // May change *envelope (its event time, an operator action's client):
  // what is journaled is then its serialization.
  void Admit(Batch* batch, std::size_t i, riskd::v1::Envelope* envelope);
  // Admit's steps, in its order. A query: validated, then set aside for
  // the engine thread, or a status query answered here.
  void AdmitQuery(Batch* batch, std::size_t i, const riskd::v1::Envelope& envelope);
  // Whether request i was answered as a duplicate of an event staged in
  // this batch or journaled before (or refused: the journal could not say).
  bool AnsweredAsDuplicate(Batch* batch, std::size_t i, const riskd::v1::Envelope& envelope);
  // A timed event given its event time by the model clock (the clock kept
  // for a failed commit at the batch's first tick); whether it changed.
  Result<bool> TimeEvent(Batch* batch, riskd::v1::Envelope* envelope, std::int64_t received);
  // An operator action's incident checked (not_found) and its CURVE client
  // stamped; whether it changed.
  Result<bool> StampOperatorAction(Request& request, riskd::v1::Envelope* envelope) const;
  // The nodes a disruption's place matches, told in the ack.
  void TellPlaceMatches(const riskd::v1::Envelope& envelope, riskd::v1::Ack* ack) const;
  // A network change applied to the directory now (later events in the
  // batch see it), the directory kept for a failed commit.
  void ApplyNetworkChange(Batch* batch, const riskd::v1::Envelope& envelope);
  // The event staged for the journal: its serialization if `changed`, else
  // the bytes as received.
  void Stage(Batch* batch, std::size_t i, const riskd::v1::Envelope& envelope,
             std::int64_t received, bool changed);
  void Commit(Batch* batch);
  void Forward(Batch* batch, const std::vector<connectors::AppendResult>& results);
  void ForwardQueries(Batch* batch);
  void Reply(Batch* batch);
  void Reject(Batch* batch, std::size_t i, const Status& status);

  void ForwardReplies();
  // Reads one socket monitor: disconnects (ingest) and refused handshakes.
  void ReadMonitor(zmq::socket_t& monitor, const char* key);
  // The sender's rate limit and CURVE role; refusals recorded.
  Status Authorize(Request& request, const riskd::v1::Envelope& envelope);
  // Requests the engine's queue can take now (0: full).
  std::size_t QueueRoom() const;
  // Mirrors interrupted_ into stats_ (with a debug line).
  void PublishInterruptions();

  const DaemonSettings* settings_;
  bool drained_ = false;
  // Reused by every ReadBatch (their allocations are kept).
  Batch batch_;
  riskd::v1::Envelope envelope_;
  EventBatch forward_events_;
  EventLog* log_;
  connectors::NodeDirectory directory_;
  const IncidentIds* incidents_;
  connectors::ValidationLimits limits_;
  IngestClock clock_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> to_engine_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::unique_ptr<zmq::socket_t> monitor_;          // the ROUTER's disconnects and handshakes
  std::unique_ptr<zmq::socket_t> publish_monitor_;  // the PUB's handshakes
  // The engine's queue: requests forwarded by this thread, finished by the
  // engine thread.
  std::uint64_t forwarded_ = 0;
  const std::atomic<std::uint64_t>* engine_done_ = nullptr;
  RefusalLog* refusals_ = nullptr;
  PeerRateLimiter rate_limiter_;
  std::string endpoint_;
  IngestStats stats_;
  std::uint64_t interrupted_ = 0;
  Status refuse_events_;
  std::function<riskd::v1::DaemonStatus()> status_source_;
  LogRateLimiter journal_errors_;
  LogRateLimiter disconnect_lines_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INGEST_LOOP_H_
