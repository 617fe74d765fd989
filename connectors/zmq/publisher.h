// Publisher: the daemon's ZeroMQ PUB output. Each message is two frames,
// [topic, riskd.v1.Publication], and carries the next sequence number, so
// subscribers can detect gaps and line up with a snapshot. Sending never
// blocks: a slow subscriber loses messages at its high-water mark instead of
// stalling the daemon.
//
// Sequences are never reused, across restarts too, whatever the kind of
// publication: before stamping past the last reserved ceiling, the
// publisher reserves the next kSequenceBlock sequences through its
// reserver (which stores the ceiling durably), and it does not send a
// publication whose sequence it could not reserve (counted in unsent()).
// A restart continues after the stored ceiling, so subscribers see a jump
// (a gap, after which they re-sync from a snapshot).
//
// Optionally (active/standby, docs/operations.md) a PublicationFence says
// whether this instance may publish and under which epoch, and a
// PublicationSink receives every sent message too (NATS subjects). A
// message is sent only if the fence grants, at the moment of sending, the
// epoch it was stamped with; otherwise it is dropped and counted.
//
// A grant takes effect only at the caller's round boundary, a loss at once:
// messages are stamped with the epoch the caller adopted there
// (AdoptEpoch), and only while the fence still grants it. The first time
// the fence does not (at a Stamp(), a Send() or an EndLapsedAdoption()),
// the adoption ends, and everything after it is dropped until the next
// AdoptEpoch, even if the fence grants the epoch again meanwhile; and what
// was stamped before an AdoptEpoch is never sent after it (a message
// stamped before a lapse, under the epoch adopted again, would follow the
// new announcement). So a standby granted the lease in the middle of a
// round, after that round's incidents were dropped, does not send the
// round's alerts without them (docs/protocol.md: an incident is published
// before the alerts it owns); neither does an active instance whose lease
// lapsed and came back (a renewal answered after its deadline). The caller
// announces what a new term needs (the open incidents, then the open
// alerts; after a lapse under the same epoch also what Send() reported
// not sent) right after adopting it, before anything else.
//
// Thread-safety: one thread (the engine thread) at a time, which alone
// adopts and ends epochs; the fence (thread-safe: the lease's own thread
// changes it) and the sink are called from it. current_epoch() and
// adoption() may be read from any thread.
#ifndef RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
#define RISKD_CONNECTORS_ZMQ_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "base/status.h"
#include "connectors/zmq/curve_auth.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {

// Who may publish now (active/standby). Thread-safe.
class PublicationFence {
 public:
  virtual ~PublicationFence() = default;
  // The epoch to publish under now (> 0), or nullopt while this instance
  // must not publish (a standby, or an active instance whose lease may have
  // lapsed).
  virtual std::optional<std::uint64_t> CurrentEpoch() const = 0;
};

// A second destination of every message sent (e.g. NATS subjects).
class PublicationSink {
 public:
  virtual ~PublicationSink() = default;
  // Must not block for long; may drop (at most once, like PUB).
  virtual void Send(const std::string& topic, const std::string& payload) = 0;
};

class Publisher {
 public:
  // Durably records that sequences up to the argument may be used.
  using SequenceReserver = std::function<Status(std::uint64_t ceiling)>;
  static constexpr std::uint64_t kSequenceBlock = 4096;

  // Binds a PUB socket to `endpoint` and, when not empty, to
  // `inproc_endpoint` (for the daemon's own subscribers). `last_sequence` is
  // the last sequence already used (0 for a fresh daemon).
  // With `curve`, the socket is a CURVE server with that key pair.
  // `send_hwm`: publications queued per subscriber before ZeroMQ drops
  // that subscriber's (what an idle subscriber can cost).
  static constexpr int kDefaultSendHwm = 1000;
  static Result<std::unique_ptr<Publisher>> Bind(
      zmq::context_t* context, const std::string& endpoint, const std::string& inproc_endpoint,
      std::uint64_t last_sequence, const CurveKeyPair* curve = nullptr,
      SequenceReserver reserve = {}, int send_hwm = kDefaultSendHwm);

  // The sequence the next Publish() will use.
  std::uint64_t next_sequence() const { return last_sequence_ + 1; }
  std::uint64_t last_sequence() const { return last_sequence_; }

  // Stamps `pub` with the next sequence and the time; returns the sequence.
  // Separate from Send() so the daemon can persist what it is about to
  // publish first.
  std::uint64_t Stamp(riskd::v1::Publication* pub, std::int64_t now_unix_ns);
  // Sends a stamped publication under `topic` unless its sequence could not
  // be reserved or the fence keeps it back (above); returns whether it was
  // sent (the caller owes what was not when a lapsed epoch comes back).
  bool Send(const std::string& topic, const riskd::v1::Publication& pub);
  // Stamp() then Send().
  std::uint64_t Publish(const std::string& topic, riskd::v1::Publication* pub,
                        std::int64_t now_unix_ns);
  // The endpoint actually bound (resolves tcp://...:* wildcards).
  const std::string& endpoint() const { return endpoint_; }
  // Reports the socket's `events` (ZMQ_EVENT_*) on a PAIR bound at
  // `monitor_endpoint` (inproc://), for whichever thread connects to it.
  Status Monitor(const char* monitor_endpoint, int events);
  // Publications not sent because their sequence could not be reserved,
  // and the last reservation error.
  std::uint64_t unsent() const { return unsent_; }
  const Status& reserve_error() const { return reserve_error_; }

  // Active/standby outputs; null: always publish, epoch 0, no sink.
  // `name` goes into Publication.publisher. REQUIRES: before Stamp().
  void SetOutputs(const PublicationFence* fence, PublicationSink* sink, std::string name);
  // Publishes from now on under `epoch` (0: nothing), which the caller read
  // from the fence at a round boundary; what it publishes next is the new
  // term's announcement. A grant takes effect only through this, a loss at
  // once (above). REQUIRES: SetOutputs() with a fence.
  // Messages stamped before it are never sent after it, even under the
  // same epoch (one stamped before a lapse would follow the announcement).
  void AdoptEpoch(std::uint64_t epoch) {
    std::lock_guard lock(adoption_mu_);
    epoch_.store(epoch, std::memory_order_relaxed);
    adopted_after_ = last_sequence_;
  }
  // The adopted epoch while the fence still grants it, else 0 (and 0
  // without a fence): what the next Stamp() would carry, the epoch this
  // instance publishes under. Thread-safe (status and metrics read it).
  std::uint64_t current_epoch() const;
  // The latest adoption, for readers on other threads (the Alertmanager
  // forwarder): what was sent under it carries its epoch and a sequence
  // above after_sequence. Another adoption (even of the same epoch) or its
  // end changes epoch or after_sequence.
  struct Adoption {
    std::uint64_t epoch = 0;  // 0: none, or it ended
    std::uint64_t after_sequence = 0;
    bool granted = false;  // the fence grants the epoch now
  };
  Adoption adoption() const;  // thread-safe
  // Ends the adoption if the fence no longer grants its epoch, as a Stamp()
  // would: called at the caller's round boundary, so an idle instance that
  // lost its lease ends it too (its Alertmanager forwarder forgets then).
  void EndLapsedAdoption() { (void)HeldEpoch(); }
  // Messages stamped but not sent because their epoch was not the adopted
  // one, granted by the fence, when they were sent.
  std::uint64_t fenced_off() const { return fenced_off_; }

 private:
  Publisher(zmq::socket_t socket, std::string endpoint, std::uint64_t last,
            SequenceReserver reserve)
      : socket_(std::move(socket)),
        endpoint_(std::move(endpoint)),
        last_sequence_(last),
        reserved_(reserve ? last : UINT64_MAX),
        reserve_(std::move(reserve)) {}
  zmq::socket_t socket_;
  std::string endpoint_;
  std::uint64_t last_sequence_;
  std::uint64_t reserved_;  // sequences up to here are durably reserved
  SequenceReserver reserve_;
  std::uint64_t unsent_ = 0;
  Status reserve_error_;
  const PublicationFence* fence_ = nullptr;
  PublicationSink* sink_ = nullptr;
  std::string name_;
  std::uint64_t fenced_off_ = 0;
  // The adopted epoch; 0 before the first AdoptEpoch and once the fence
  // stopped granting it.
  // Atomic for current_epoch()'s readers on other threads; written by the
  // engine thread only.
  std::atomic<std::uint64_t> epoch_{0};
  // The last sequence stamped before the latest AdoptEpoch: messages up to
  // it belong to an earlier adoption and are fenced off.
  std::uint64_t adopted_after_ = 0;
  // Guards the writes of epoch_ and adopted_after_ (and adoption()'s
  // reads): adoption() reads the two as one. The engine thread reads them
  // without it (it alone writes them).
  mutable std::mutex adoption_mu_;
  // current_epoch(), ending the adoption when that is 0.
  std::uint64_t HeldEpoch() {
    const std::uint64_t held = current_epoch();
    if (held != epoch_.load(std::memory_order_relaxed)) {
      std::lock_guard lock(adoption_mu_);
      epoch_.store(held, std::memory_order_relaxed);
    }
    return held;
  }
  // The last message's bytes; reused by the next Send() (its capacity is
  // that of the largest message sent, a few hundred KB at most).
  std::string payload_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_PUBLISHER_H_
