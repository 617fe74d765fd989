// Journal: the daemon's append-only, hash-chained event log in SQLite.
//
// Every accepted Envelope is stored with a sequence number (1, 2, ...), its
// event id (unique: a second append of the same id is a duplicate and changes
// nothing), the time it was received and its serialized bytes. Each row also
// stores hash = SHA-256(prev_hash | seq | event_id | received_ns | payload),
// prev_hash being the previous row's hash (32 zero bytes for the first), so
// editing, deleting or reordering rows breaks the chain and Verify() says
// where. Append() commits a whole batch in one transaction (group commit):
// when it returns OK, every row of the batch is durable.
//
// A journal can also mirror another log (the JetStream stream, see
// docs/operations.md): AppendAt() keeps that log's sequences, which increase
// but may skip numbers. Such a gap is chained like any row (the row after it
// names its predecessor's hash), so Verify() tells it from a deleted row.
#ifndef RISKD_CONNECTORS_STORE_JOURNAL_H_
#define RISKD_CONNECTORS_STORE_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/store/event_id_filter.h"
#include "connectors/store/sqlite_db.h"

namespace riskd::connectors {

struct JournalEntry {
  std::string event_id;
  std::int64_t received_unix_ns = 0;
  std::string payload;  // serialized riskd.v1.Envelope
};

struct AppendResult {
  std::uint64_t seq = 0;  // the entry's sequence (the earlier one for duplicates)
  bool duplicate = false;
};

struct JournalVerifyReport {
  std::uint64_t rows = 0;
  bool ok = true;
  std::uint64_t first_bad_seq = 0;  // when !ok
  std::string problem;              // when !ok
  // The newest row (0 and empty for an empty journal): operators record
  // them elsewhere, since dropping the newest rows keeps the chain intact.
  std::uint64_t last_seq = 0;
  std::string last_hash;  // 32 bytes
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> Open(const std::string& path);
  // For audits (riskctl verify-journal): never creates or writes anything.
  // NotFound when the file does not exist, FailedPrecondition when it holds
  // no journal table. Append() fails on a journal opened this way.
  static Result<std::unique_ptr<Journal>> OpenReadOnly(const std::string& path);

  // Appends the entries in order, in one transaction. An entry whose event id
  // is already journaled (or repeated earlier in the same batch) is reported
  // duplicate with the original sequence. A failed append (IoError, e.g. an
  // fsync error or a full disk) journaled nothing, and nothing of it can
  // surface later, even after a crash: the failed commit's WAL frames are
  // discarded before the error is returned. Should discarding them fail too,
  // the outcome is unknown and the error is Corruption: the caller must not
  // tell anyone the events were refused (the daemon stops instead).
  Result<std::vector<AppendResult>> Append(std::span<const JournalEntry> entries);
  // Append() with the sequences given: seqs[i] for entries[i], strictly
  // increasing and above last_seq() (else invalid_argument, nothing
  // written). A duplicate event id is not stored (its sequence is skipped).
  Result<std::vector<AppendResult>> AppendAt(std::span<const JournalEntry> entries,
                                             std::span<const std::uint64_t> seqs);

  // The sequence of a journaled event id, if any. Ids never seen cost a
  // Bloom-filter probe, not a query.
  Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id);
  // A hint that Lookup(event_id) follows soon: its Bloom-filter block is
  // fetched into the cache now (for a batch, every id's before the first
  // lookup, so the cache misses overlap). Changes no answer.
  void PrefetchLookup(std::string_view event_id) const { filter_.Prefetch(event_id); }
  // Lookup() without the filter, for a connection that reads a journal
  // another connection appends to (its filter does not see those ids).
  Result<std::optional<std::uint64_t>> LookupInDatabase(const std::string& event_id);
  // The payload journaled at `seq`, if any: one read by primary key, for
  // the rare caller that needs it (telling a retry from a different event
  // reusing its id), so the statement is not kept prepared.
  Result<std::optional<std::string>> Payload(std::uint64_t seq);

  // Calls fn for every entry with seq > after, in order; stops at the first
  // non-OK status fn returns.
  Status ForEach(std::uint64_t after,
                 const std::function<Status(std::uint64_t seq, const JournalEntry&)>& fn);

  // Re-computes the hash chain over the whole journal.
  Result<JournalVerifyReport> Verify();

  // What the journal records, so a state directory never silently changes
  // its event log: "" for events ingested here (the default), or e.g.
  // "nats:RISKD_EVENTS" for a mirror of that JetStream stream.
  Result<std::string> Origin();
  // Records the origin. REQUIRES: the journal is empty or already has it.
  Status SetOrigin(const std::string& origin);

  std::uint64_t last_seq() const { return last_seq_; }

 private:
  explicit Journal(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status Init(bool read_only);
  // seqs: one per entry (AppendAt), or empty (the next ones).
  Result<std::vector<AppendResult>> AppendInTransaction(std::span<const JournalEntry> entries,
                                                        std::span<const std::uint64_t> seqs);
  // After a failed append: `failure` once its frames are gone, else Corruption.
  Status DiscardFailedAppend(const Status& failure);
  // Rebuilds the event id filter for `expected` ids from the table.
  Status RebuildFilter(std::size_t expected);
  // Append() (seqs empty: the next ones) or AppendAt().
  Result<std::vector<AppendResult>> AppendRows(std::span<const JournalEntry> entries,
                                               std::span<const std::uint64_t> seqs);

  std::unique_ptr<SqliteDb> db_;
  SqliteStatement insert_;
  // kRowsPerInsert rows in one INSERT, no conflict clause: a duplicate
  // among them fails it whole, and they are inserted one by one instead.
  static constexpr std::size_t kRowsPerInsert = 32;
  SqliteStatement insert_rows_;
  SqliteStatement find_;
  std::uint64_t last_seq_ = 0;
  std::string last_hash_;
  EventIdFilter filter_;
};

// Lower-case hex of bytes (hashes in reports and logs).
std::string HexBytes(std::string_view bytes);

// SHA-256 of the chained fields (exposed for tests and the verify tool).
std::string JournalRowHash(const std::string& prev_hash, std::uint64_t seq,
                           const JournalEntry& entry);
// SHA-256 of `bytes` (32 bytes). Thread-safe.
std::string Sha256(std::string_view bytes);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_JOURNAL_H_
