// StreamConsumer: reads a JetStream stream in stream order through a durable
// pull consumer (acknowledge-all policy). The reader keeps its own position:
// Seek(next) re-creates the durable consumer to deliver from sequence `next`,
// so what was fetched but never acknowledged before a crash is read again at
// once (not after the ack wait). Fetch() returns messages in increasing
// stream sequence; when the server skips ahead of the expected sequence
// (a batch lost in a reconnect, to be redelivered later) it seeks back to
// the position by itself, unless the stream leader confirms the jump
// passed over nothing of the subject (below), so no message is ever
// returned out of order or missing, except those deleted from the stream.
// What a consumer delivers is checked against the stream's leader, since a
// consumer led from a replica that lacks messages the leader has, or holds
// others (nats-server 2.9.10, nats-server#4174, #4365), delivers something
// else, and no other message tells:
//   - the first message after every seek must be the leader's first on the
//     subject from the sequence sought: the same sequence (a start past the
//     one sought only over messages the leader no longer holds: deleted, or
//     before its first) and the same message (its payload);
//   - a message past a jump in the sequence (position + 1 expected) must
//     be the leader's first on the subject after the position: then the
//     jump passed over nothing of the subject (messages of the stream's
//     other subjects, deleted ones), and the message is taken without a
//     re-creation. Anything else (another message, or an answer that is
//     not the message, which is not asked again) is taken for a gap, read
//     again from a re-created consumer (whose start is checked, and
//     refused if it is not the leader's); another message is counted in
//     jump_mismatches (in lost_deliveries after a lost delivery: below),
//     not as a refusal;
//   - every batch's last message must be the leader's at its sequence: a
//     replica that lacks a message delivers every later one under the
//     sequence before its own (one that holds an extra one, every later one
//     a sequence high), so such a shift anywhere in a batch shows at the
//     next message checked, at the latest its end. A single other message
//     inside a batch, with the sequences lined up again after it, is not
//     seen.
// Either refused (or when the leader cannot say within the connection's
// timeout), nothing of the batch is returned, and the consumer is
// re-created from the position at the next Fetch. One request to the
// leader per fetch that delivers new messages (two when a batch of more
// than one starts after a seek) and one per jump in the sequence, whatever
// the distance (LeaderFirstFrom); the batch-end request is skipped when
// the last message was already checked (a start or a jump). Each is a
// blocking round trip inside Fetch(): a stream shared with other subjects
// costs one per message delivered after a jump (once the connection's
// timeout has been spent on them in one Fetch, the next jump is taken for
// a gap). A diverged stream leader
// shows as refusals of every consumer led from a healthy replica. Ack(seq)
// acknowledges every message up to seq.
//
// Why a jump is checked with the leader and not with the consumer
// sequence (the delivery count in each message's metadata): nats-server
// counts every delivery, redeliveries included (consumer.go deliverMsg:
// dseq++ for each message getNextMsg hands out, redeliveries first), so
// consecutive consumer sequences show that no delivery was lost on the
// way, but not that the consumer passed over nothing of the subject: a
// consumer led from a replica that lacks a message (without a shift)
// delivers the next one under a consecutive consumer sequence, and in a
// stream shared with other subjects that looks like any other jump. Only
// the leader can tell; its next_by_subj look-up from the position does
// with one request.
//
// The consumer sequence does tell the two kinds of jump the leader
// contradicts apart. One past a lost delivery (a fetch lost in a
// reconnect: the server counted its messages delivered and redelivers
// them after the ack wait) skips consumer sequences too, and the lost
// message is the leader's first: the usual gap, harmless, counted in
// lost_deliveries and not told as a mismatch. One delivered in turn
// passed over a message the leader holds with no delivery lost, which
// only a replica that lacks or diverged from the leader's messages does:
// a jump mismatch, which the follower logs at warn. Both are gaps the
// same way (the consumer re-created, its start checked): a gap is never
// unsafe, and the lost messages would otherwise come only after the ack
// wait (30 s). A consumer sequence out of turn for another
// reason (a consumer leader change that numbers some deliveries again)
// only moves a mismatch to lost_deliveries: the start of a consumer
// re-created on a replica that lacks the message is still refused.
//
// A start whose first delivery was lost on the way (the first delivery
// received has a consumer sequence past 1, which a new consumer gives its
// first) is not the leader's first either, but that says nothing of the
// replica: the message that would show it never arrived. Such a start is
// a gap, counted in lost_deliveries and re-created at once, not a refusal
// (which warns, stops counting the follower as caught up and pauses) as
// long as the start before it was not forgiven so too: two in a row are
// refused. That keeps the refusal the protection against a replica that
// lacks messages (nats-server#4365) is: nothing unchecked is ever
// returned (the message is taken only if it is the leader's first, as any
// start), and a consumer led from such a replica is refused at the latest
// at its second start in a row, one re-creation later, however its
// deliveries are numbered.
//
// Thread-safety: one thread (the daemon's stream follower) uses it.
#ifndef RISKD_CONNECTORS_NATS_STREAM_CONSUMER_H_
#define RISKD_CONNECTORS_NATS_STREAM_CONSUMER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/nats/nats_connection.h"

namespace riskd::connectors::nats {

// A message as the stream's leader holds it (LeaderFirstFrom).
struct LeaderMessage {
  std::uint64_t seq = 0;
  std::string msg_id;  // its Nats-Msg-Id header, empty without one
  std::string payload;
};

// The stream leader's first message on the consumer's subject at or after
// sequence `from` (the answers: StreamConsumer::LeaderFirstFrom). Every
// check of a delivery against the leader asks it. The default is the
// request to the leader (RequestLeaderFirstFrom); tests inject another to
// answer what one real server cannot (another message at a sequence, "no
// leader" for a while), usually over the real one. Called on the thread
// that calls Fetch(), FirstToDeliverFrom() and LeaderFirstFrom(); it need
// not heed the stop request (the consumer checks it between asks), but
// should not block beyond the connection's timeout.
using LeaderLookUp = std::function<Result<std::optional<LeaderMessage>>(std::uint64_t from)>;

struct ConsumerOptions {
  std::string stream = "RISKD_EVENTS";
  std::string subject = "riskd.events";  // filter
  // Durable consumer name ([A-Za-z0-9_-]{1,64}).
  std::string durable;
  // Most messages per fetch (the consumer's max ack pending is 4 times it).
  int max_batch = 1024;
  // The owner's stop request (may be null): a look-up in progress returns
  // `aborted` within 100 ms (a batch whose check it ended is not returned,
  // and no refusal counted), and Fetch() re-creates no consumer then.
  const std::atomic<bool>* stop = nullptr;
  // The leader look-up; empty: the request to the leader (set by Open()).
  LeaderLookUp leader_lookup;
};

// The look-up of LeaderLookUp, as a request to the stream's leader:
// JetStream's message-get API with next_by_subj (`$JS.API.STREAM.MSG.GET.
// <stream>`, nats-server 2.9+), answered by the leader alone. Waits up to
// the connection's timeout, and returns `aborted` within 100 ms of a stop
// request (`stop` may be null).
Result<std::optional<LeaderMessage>> RequestLeaderFirstFrom(const NatsConnection& connection,
                                                            const std::string& stream,
                                                            const std::string& subject,
                                                            std::uint64_t from,
                                                            const std::atomic<bool>* stop);

struct StreamMessage {
  std::uint64_t seq = 0;      // stream sequence
  std::int64_t time_ns = 0;   // when the stream stored it (Unix ns, server clock)
  std::uint64_t pending = 0;  // messages after this one not yet delivered
  std::string payload;
};

struct ConsumerStats {
  std::uint64_t seeks = 0;           // consumer (re-)creations
  std::uint64_t last_seek_from = 0;  // the sequence the last one delivers from
  std::uint64_t seek_failures = 0;   // attempts the server did not answer
  std::uint64_t redelivered = 0;     // messages at or below the position, dropped
  // Messages past a jump in the sequence (over other subjects' messages or
  // deleted ones) taken on the leader's word, without a re-creation, and
  // returned (a batch refused at its end counts none).
  std::uint64_t jumps_taken = 0;
  // Jumps the leader contradicted, past deliveries lost on the way (the
  // consumer sequence skipped too: a fetch lost in a reconnect, its
  // messages redelivered after the ack wait): gaps, re-created, and
  // harmless; the usual cause of a jump in a stream of one subject. Also
  // starts whose first delivery was lost so (not the leader's first, the
  // consumer sequence past 1), unless the start before was one too
  // (refused then).
  std::uint64_t lost_deliveries = 0;
  // Jumps the leader contradicted although no delivery was lost (the
  // consumer sequence in turn): it holds another message first on the
  // subject after the position, which the consumer passed over (a replica
  // that lacks or diverged from its messages). Each is a gap (re-created,
  // the start checked), not a refusal. The last one's first sequence
  // expected, the delivered sequence, and what the leader holds instead.
  std::uint64_t jump_mismatches = 0;
  std::uint64_t jump_mismatch_from = 0;
  std::uint64_t jump_mismatch_at = 0;
  std::string jump_mismatch_why;
  // Reads refused: a start after a seek whose first message is not the
  // stream leader's first from the sequence sought (another sequence or
  // another message; past a lost first delivery only if the start before
  // was one too: lost_deliveries), or a batch whose last message is not the leader's at
  // its sequence, or either when the leader could not say (nothing
  // returned; the consumer re-created). The last one's first sequence
  // sought (read again from there), the delivered sequence compared, and
  // why: the message the leader holds (sequence and id), or its error.
  std::uint64_t reads_refused = 0;
  std::uint64_t refused_from = 0;
  std::uint64_t refused_at = 0;
  std::string refused_why;
};

class StreamConsumer {
 public:
  static Result<std::unique_ptr<StreamConsumer>> Open(const NatsConnection* connection,
                                                      ConsumerOptions options);
  ~StreamConsumer();
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // (Re-)creates the durable consumer delivering from stream sequence
  // `next` (>= 1) and binds a pull subscription to it.
  Status Seek(std::uint64_t next);
  // Up to max_batch messages after the position, waiting up to `wait` for
  // the first; empty when none arrived. Retries a failed Seek() first
  // (not while the stop request is set: then it returns nothing).
  Result<std::vector<StreamMessage>> Fetch(std::chrono::milliseconds wait);
  // Acknowledges every fetched message up to and including `seq`.
  Status Ack(std::uint64_t seq);
  // The stream's last sequence, as its leader says now.
  Result<std::uint64_t> StreamLastSeq() const;
  // The sequence of the first message at or after `from` that the
  // consumer's subject filter delivers, as the stream's leader says now
  // (one request, answered by the leader alone); nullopt if the leader
  // holds none ("no message found"). Any other answer is an error, not
  // "none": `unavailable` (no answer, no leader), `not_found` (no such
  // stream), `aborted` (a stop request), `internal`.
  Result<std::optional<std::uint64_t>> FirstToDeliverFrom(std::uint64_t from) const;
  // The same look-up, with the message itself (id and payload), through
  // the options' leader look-up.
  Result<std::optional<LeaderMessage>> LeaderFirstFrom(std::uint64_t from) const;
  // The server's view of the consumer, for the log: delivered and
  // acknowledged sequences, pending counts, leader.
  std::string Describe() const;

  // The last sequence Fetch() returned (the position), 0 before any.
  std::uint64_t position() const { return position_; }
  const ConsumerStats& stats() const { return stats_; }

 private:
  StreamConsumer(const NatsConnection* connection, ConsumerOptions options)
      : connection_(connection), options_(std::move(options)) {}
  // One batch on its way through Fetch(): the messages taken so far (in
  // order, each the next one or checked against the leader's) and what is
  // known of them.
  struct FetchedBatch {
    std::vector<StreamMessage> out;
    natsMsg* last = nullptr;  // the last message taken, held for the ack
    std::uint64_t last_seq = 0;
    std::uint64_t read_from = 0;        // the position + 1 before the batch
    std::uint64_t refusals_before = 0;  // stats_.reads_refused before it
    // The last message of the batch checked against the leader's.
    std::uint64_t checked = 0;
    // Jumps taken in the batch: counted once it is returned (not if its
    // end is refused, and not again when it is read again).
    std::uint64_t jumps = 0;
    // Something before a message is still to come: read again from the
    // position (the rest of the batch is not taken).
    bool gap = false;
  };

  void DropSubscription();
  // Takes `msg` into `batch` if it may follow the position (and moves the
  // position to it); drops a status or a redelivery; else marks a gap.
  void TakeDelivery(natsMsg* msg, FetchedBatch* batch);
  // The batch-end check (BatchEndIsLeaders) unless its last message was
  // checked already; if refused, nothing of the batch is taken (a gap).
  void CheckBatchEnd(FetchedBatch* batch);
  // Takes `last` out of `list` and keeps it for Ack().
  void HoldForAck(natsMsgList* list, natsMsg* last, std::uint64_t last_seq);
  // After a gap: re-creates the consumer from the position now, or at the
  // next Fetch() if the read was `refused` or a stop is requested.
  void ReadAgainFromPosition(bool refused);
  // Whether the leader's first message on the subject from `from` is `m`
  // (`delivered`, for its id in the reason): ok if so; `aborted` if a stop
  // request ended the look-up; otherwise `unavailable`, saying why not.
  Status SameAsLeaders(std::uint64_t from, natsMsg* delivered, const StreamMessage& m) const;
  // Why `l`, the leader's answer, is not `m` (`delivered`, for its id).
  static std::string NotTheDelivered(const LeaderMessage& l, natsMsg* delivered,
                                     const StreamMessage& m);
  void Refuse(std::uint64_t from, std::uint64_t at, std::string why);
  // Whether `first`, the first message after a seek, is the leader's first
  // on the subject from the position on. If not (refused, or a stop ended
  // the look-up: no refusal then), false; if not and not `in_turn` (the
  // consumer's first delivery was lost), counted in lost_deliveries
  // instead of refused, unless the start before was so too.
  bool StartIsLeaders(natsMsg* first, const StreamMessage& m, bool in_turn);
  // Whether `msg` (`m`) may follow the position: the next sequence, or
  // the leader's (StartIsLeaders after a seek, JumpIsLeaders past a jump,
  // with `in_turn`; then `checked` is its sequence).
  bool InOrderOrLeaders(natsMsg* msg, const StreamMessage& m, bool in_turn, std::uint64_t* checked);
  // Whether `m` (`msg`), delivered past the position + 1, is the leader's
  // first on the subject after the position (asked once; not during a
  // stop request, nor once the connection's timeout has been spent in such
  // look-ups in this Fetch). If not, or if the answer is not a message,
  // false (a gap: no refusal); another message is counted in
  // jump_mismatches if `m` was delivered `in_turn` (its consumer sequence
  // the one after the last delivery received), else in lost_deliveries.
  bool JumpIsLeaders(natsMsg* msg, const StreamMessage& m, bool in_turn);
  // Whether the last message of `batch` (`last`), read from `read_from` on,
  // is the leader's at its sequence. If not (refused, or a stop ended the
  // look-up: no refusal then), empties the batch and puts the position
  // back before it.
  bool BatchEndIsLeaders(std::vector<StreamMessage>* batch, natsMsg* last, std::uint64_t read_from);
  bool stopping() const { return options_.stop != nullptr && options_.stop->load(); }

  const NatsConnection* connection_;
  ConsumerOptions options_;
  natsSubscription* subscription_ = nullptr;
  std::uint64_t position_ = 0;
  // The first message after a seek is checked against the leader's (and
  // may start past `next` over deleted ones).
  bool accept_any_next_ = true;
  // The consumer is to be re-created from the position (the last Seek()
  // failed, a read was refused, or a stop ended one): Fetch() does it first.
  bool needs_seek_ = true;
  // The consumer sequence of the last delivery received from the current
  // consumer (0 before any): the server numbers every delivery, so a
  // delivery that is not the next one follows one that was lost.
  std::uint64_t last_delivery_ = 0;
  // The last start checked was taken for a gap past a lost first delivery
  // (StartIsLeaders): the next one that is not the leader's is refused.
  bool start_lost_ = false;
  // Time spent in JumpIsLeaders' look-ups in this Fetch().
  std::chrono::steady_clock::duration jump_checks_{};
  // Fetched messages kept for their acknowledgement subject, by sequence.
  std::vector<std::pair<std::uint64_t, natsMsg*>> unacked_;
  ConsumerStats stats_;
};

}  // namespace riskd::connectors::nats

#endif  // RISKD_CONNECTORS_NATS_STREAM_CONSUMER_H_
