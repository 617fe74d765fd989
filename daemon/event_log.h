// EventLog: where the daemon keeps accepted events, in order, as the ingest
// thread sees it. The seam between ingest and the engine thread's feed:
//
//   JournalEventLog (default)  the SQLite journal. The ingest thread appends
//                              each batch (group commit) and hands it to the
//                              engine thread itself.
//   StreamEventLog (nats.*)    a JetStream stream (daemon/stream_event_log.h).
//                              The ingest thread forwards batches into the
//                              stream; the engine thread is fed by the stream's
//                              follower, in stream order, with every producer's
//                              events, never by the ingest thread.
//
// Sequences ("journal seq") are the log's: 1, 2, ... in the journal; the
// stream sequence on JetStream.
//
// Thread-safety: Lookup, Append, SyncDirectory and SyncClock are called by
// the ingest thread only; last_seq() from any thread.
#ifndef RISKD_DAEMON_EVENT_LOG_H_
#define RISKD_DAEMON_EVENT_LOG_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connectors/codec/event_codec.h"
#include "connectors/store/journal.h"
#include "daemon/ingest_clock.h"

namespace riskd::daemon {

class EventLog {
 public:
  virtual ~EventLog() = default;
  // The sequence of an event id already in the log, if known.
  virtual Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id) = 0;
  // A hint that Lookup(event_id) follows soon (see Journal::PrefetchLookup).
  virtual void PrefetchLookup(std::string_view event_id) const { (void)event_id; }
  // The payload logged at `seq` (a sequence Lookup answered), if this
  // instance has it. For duplicates only: one read, not on the normal path.
  virtual Result<std::optional<std::string>> Payload(std::uint64_t seq) = 0;
  // Appends durably, in order; duplicates are reported with the earlier
  // sequence. Fails as a whole (nothing is acknowledged).
  virtual Result<std::vector<connectors::AppendResult>> Append(
      std::span<const connectors::JournalEntry> entries) = 0;
  // Whether the ingest thread passes appended events to the engine thread
  // (false: the log feeds the engine itself).
  virtual bool ingest_feeds_engine() const = 0;
  // Brings the ingest thread's node directory up to date with network
  // changes that reached the engine another way (other producers').
  virtual void SyncDirectory(connectors::NodeDirectory* directory) { (void)directory; }
  // Brings the ingest thread's manual model clock up to the ticks that
  // reached the engine another way (other producers').
  virtual void SyncClock(IngestClock* clock) { (void)clock; }
  // The last sequence in the log as this instance knows it (metrics).
  virtual std::uint64_t last_seq() const = 0;
};

// The SQLite journal as the event log.
class JournalEventLog final : public EventLog {
 public:
  explicit JournalEventLog(connectors::Journal* journal) : journal_(journal) {}
  Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id) override {
    return journal_->Lookup(event_id);
  }
  void PrefetchLookup(std::string_view event_id) const override {
    journal_->PrefetchLookup(event_id);
  }
  Result<std::optional<std::string>> Payload(std::uint64_t seq) override {
    return journal_->Payload(seq);
  }
  Result<std::vector<connectors::AppendResult>> Append(
      std::span<const connectors::JournalEntry> entries) override {
    return journal_->Append(entries);
  }
  bool ingest_feeds_engine() const override { return true; }
  std::uint64_t last_seq() const override { return journal_->last_seq(); }

 private:
  connectors::Journal* journal_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_EVENT_LOG_H_
