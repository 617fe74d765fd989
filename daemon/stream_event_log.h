// StreamEventLog: the event log on a JetStream stream (config nats.*).
//
// Ingest side (the ingest thread): Append() forwards the events the ingest
// endpoint accepted into the stream (message id = event id) and answers
// with their stream sequences once the stream acknowledged them (stored on a
// majority of its replicas); Lookup() asks the local mirror.
//
// Follower (a thread of its own, Start()): reads the stream in order through
// the instance's durable consumer, from the mirror's position on. Producers
// may publish to the stream directly, so every message is validated as the
// ingest endpoint would (against the network as the stream has changed it
// so far); valid events are mirrored into the SQLite journal at their stream
// sequence (group commit per fetch), then acknowledged, then handed to the
// engine thread as journaled batches. An event id already mirrored (a
// producer's retry after the server's duplicate window) is skipped: each
// event is applied once, at its first stream sequence. Invalid messages are
// skipped and logged. Statuses and disruptions get their event time as at
// the ingest endpoint (ingest_clock.h), with the time the stream stored the
// message as the time received, and the mirror keeps the timed envelope.
// Every instance reading the stream makes the same decisions, so their
// states agree, and a replay of the mirror places every event where the
// live follower did. Network changes and the manual clock's ticks the
// follower passes on reach the ingest thread through SyncDirectory() and
// SyncClock().
//
// On restart the daemon replays the mirror (fast) and the follower resumes
// after its last sequence. A consumer that stalls (nothing for a while, the
// stream has more) is re-created after the last sequence read; one whose
// start or batch is not what the stream's leader holds is refused and
// re-created (StreamConsumer), so no message is passed over unread or read
// under another's sequence.
//
// Thread-safety and ownership: Lookup/Append/SyncDirectory/SyncClock on the
// ingest thread (producer_, lookups_); Start/Stop on the main thread; the
// follower thread alone uses consumer_, mirror_ (from Start() on),
// directory_ and clock_; what it hands to the ingest thread goes through
// changes_ and manual_clock_ns_ under changes_mu_; last_seq(), caught_up()
// and stats (atomics) from any thread.
#ifndef RISKD_DAEMON_STREAM_EVENT_LOG_H_
#define RISKD_DAEMON_STREAM_EVENT_LOG_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "connectors/nats/stream_consumer.h"
#include "connectors/nats/stream_log.h"
#include "daemon/event_log.h"
#include "daemon/settings.h"
#include "engine/network.h"

namespace riskd::daemon {

struct StreamFollowerStats {
  std::atomic<std::uint64_t> mirrored_seq{0};     // last stream sequence in the mirror
  std::atomic<std::uint64_t> read_seq{0};         // last stream sequence read
  std::atomic<std::uint64_t> pending{0};          // stream messages not read yet
  std::atomic<std::uint64_t> mirrored{0};         // events mirrored and passed to the engine
  std::atomic<std::uint64_t> rejected{0};         // invalid messages skipped
  std::atomic<std::uint64_t> late_duplicates{0};  // event ids already mirrored, skipped
  std::atomic<std::uint64_t> read_errors{0};      // failed fetches (server unreachable...)
  // Reads refused: a re-created consumer's start, or a batch, that is not
  // what the stream's leader holds there (or when it could not say).
  std::atomic<std::uint64_t> reads_refused{0};
  // Messages past a jump in the stream sequence (other subjects' messages,
  // deleted ones) taken on the stream leader's word, without a re-creation.
  std::atomic<std::uint64_t> jumps_taken{0};
  // Jumps the stream's leader contradicted past deliveries lost on the way
  // (the consumer sequence skipped too: a fetch lost in a reconnect), and
  // consumer starts past a lost first delivery: gaps, each re-created the
  // consumer, harmless (not mismatches, no refusal).
  std::atomic<std::uint64_t> lost_deliveries{0};
  // Jumps the stream's leader contradicted although no delivery was lost:
  // it holds another message first (a replica that lacks or diverged from
  // its messages); each re-created the consumer (a gap, not a refusal).
  std::atomic<std::uint64_t> jump_mismatches{0};
};

class StreamEventLog final : public EventLog {
 public:
  // `mirror` is the journal the daemon replayed (used by the follower
  // thread from Start() on); `network` is the engine's after that replay.
  // `leader_lookup`: the consumer's (ConsumerOptions; empty: the request
  // to the stream's leader), for tests that script the leader's answers.
  static Result<std::unique_ptr<StreamEventLog>> Open(
      const DaemonSettings& settings, const connectors::nats::NatsConnection* connection,
      connectors::Journal* mirror, const engine::Network& network,
      connectors::nats::LeaderLookUp leader_lookup = {});
  ~StreamEventLog() override;

  // Starts the follower; `manual_clock_ns` is the manual model clock after
  // the replay of the mirror (CLOCK_MANUAL). REQUIRES: the engine thread's
  // channel is bound.
  void Start(zmq::context_t* context, std::optional<std::int64_t> manual_clock_ns);
  // Stops the follower (what it handed over stays with the engine).
  void Stop();

  Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id) override;
  // From the local mirror, as Lookup.
  Result<std::optional<std::string>> Payload(std::uint64_t seq) override {
    return lookups_->Payload(seq);
  }
  Result<std::vector<connectors::AppendResult>> Append(
      std::span<const connectors::JournalEntry> entries) override;
  bool ingest_feeds_engine() const override { return false; }
  void SyncDirectory(connectors::NodeDirectory* directory) override;
  void SyncClock(IngestClock* clock) override;
  std::uint64_t last_seq() const override { return stats_.mirrored_seq.load(); }

  // Whether the follower has read to the end of the stream (the stream's
  // leader holds nothing after its position for it) and has not had a
  // read refused since: a standby that is not may not take the lease.
  bool caught_up() const { return caught_up_.load(); }
  const StreamFollowerStats& stats() const { return stats_; }

 private:
  StreamEventLog(const DaemonSettings& settings, connectors::Journal* mirror,
                 connectors::NodeDirectory directory)
      : settings_(settings),
        mirror_(mirror),
        directory_(std::move(directory)),
        clock_(settings.clock) {}
  // The follower thread's state across fetches (defined in the .cc).
  struct FollowerState;
  // The follower thread: a loop of fetches, each answered by the steps
  // below.
  void Follow(zmq::context_t* context);
  // The follower's socket to the engine thread, connected.
  zmq::socket_t ConnectToEngine(zmq::context_t* context);
  // Counts a failed read or re-creation and logs it (at most every 5 s).
  void Report(FollowerState& state, const Status& st);
  // After a fetch: reads the consumer refused since the last one (counted,
  // logged at most every 5 s, then a pause that doubles while they last);
  // whether there were any.
  bool TakeRefusals(FollowerState& state);
  // After a fetch: the jumps the consumer took and those the leader
  // contradicted with no delivery lost (both counted; the latter logged
  // at most every 5 s; each also re-created the consumer, not a refusal).
  void TakeJumps(FollowerState& state);
  // After a fetch: whether the consumer was re-created (logged unless a
  // refusal's).
  bool TakeSeeks(FollowerState& state, bool refused_read);
  // A fetch failed: the consumer is re-created once fetches have failed
  // for the stall check's while.
  void FetchFailed(FollowerState& state, const Status& st);
  // A fetch delivered nothing (and neither re-created the consumer nor
  // refused a read): the stall check, then whether caught up.
  void NothingNew(FollowerState& state);
  // Whether the consumer held back while the stream has more for the stall
  // check's while: then it is re-created, and true.
  bool RecreatedIfStalled(FollowerState& state);
  // Whether the stream's leader holds nothing after the position for this
  // consumer: then caught up (logged once). False also when the leader
  // cannot be asked.
  bool CaughtUpNow(FollowerState& state, std::chrono::steady_clock::time_point now);
  // Validates, mirrors and hands over one fetched batch; false if the
  // mirror could not be written (the batch is read again).
  bool Take(std::vector<connectors::nats::StreamMessage>& batch, zmq::socket_t& to_engine);
  // Take's steps, over the batch's events (defined in the .cc).
  struct TakenBatch;
  // Validates `batch` (whose payloads move into `taken`), skipping invalid
  // messages and event ids already applied, and moves directory_ and clock_
  // on as its events do; false if the mirror could not be asked.
  bool Admit(std::vector<connectors::nats::StreamMessage>& batch, TakenBatch& taken);
  // Puts directory_ and clock_ back as they were before `taken`.
  void Undo(TakenBatch& taken);
  // Once `taken` is mirrored: acknowledges the batch up to `last`, counts
  // it, and hands its changes to the ingest thread and its events to the
  // engine thread.
  void HandOver(TakenBatch& taken, const connectors::nats::StreamMessage& last,
                zmq::socket_t& to_engine);
  bool Send(zmq::socket_t& socket, std::vector<zmq::message_t>& frames);
  // Sleeps for `pause`, or until a stop request.
  void Pause(std::chrono::milliseconds pause);

  const DaemonSettings& settings_;
  std::unique_ptr<connectors::nats::StreamLog> producer_;       // ingest thread
  std::unique_ptr<connectors::Journal> lookups_;                // ingest thread
  std::unique_ptr<connectors::nats::StreamConsumer> consumer_;  // follower
  connectors::Journal* mirror_;                                 // follower
  connectors::NodeDirectory directory_;                         // follower
  IngestClock clock_;                                           // follower

  std::mutex changes_mu_;
  std::vector<riskd::v1::NetworkChange> changes_;  // for the ingest directory
  std::optional<std::int64_t> manual_clock_ns_;    // for the ingest clock

  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  std::thread thread_;
  StreamFollowerStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_STREAM_EVENT_LOG_H_
