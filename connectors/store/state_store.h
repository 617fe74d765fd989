// StateStore: what the daemon keeps in SQLite besides the journal: the base
// network (imported once, on first start), every published alert (latest
// state per alert id plus the full history), the incidents as last
// published and small counters such as the last publication sequence.
//
// Storage: its own database file beside the journal's (`<database>.state`),
// so the engine thread's recording never waits for the write lock the
// ingest thread's journal takes every group commit and holds through its
// fsync (bench/README.md, "pubprof" and "ownstore"). Nothing here is ahead
// of the journal: the engine thread only sees events the journal has
// committed, so a state row can only refer to a committed journal row.
//
// Before the state file existed the same tables lived in `<database>`
// itself. Open() moves them once: it copies them into the state file in one
// transaction that also writes a marker (a crash leaves the copy whole or
// absent), then drops them from `<database>`; a start that finds the marker
// and the old tables (a crash between the two steps) drops them again if
// the journal has not moved since the copy. State tables beside a state
// file that was not moved from them (e.g. a backup from before the move
// restored over `<database>` alone) fail Open with FailedPrecondition: the
// operator decides which copy is right.
//
// The state file belongs to one journal: CheckJournal binds it to the
// journal's first row (sequence and hash) and refuses a journal that does
// not begin with that row, or that ends before a row the stored alerts and
// incidents refer to (state and journal restored from different backups).
#ifndef RISKD_CONNECTORS_STORE_STATE_STORE_H_
#define RISKD_CONNECTORS_STORE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "connectors/store/sqlite_db.h"
#include "engine/network.h"

namespace riskd::connectors {

struct StoredAlert {
  std::string alert_id;
  std::string risk_type;
  std::string node_id;
  int lifecycle = 0;  // riskd.v1.Alert.Lifecycle
  int level = 0;      // riskd.v1.Severity
  double probability = 0;
  int eta_steps = -1;
  std::uint64_t raised_journal_seq = 0;  // column raised_tag
  std::uint64_t sequence = 0;            // Publication sequence that carried it
  std::string payload;                   // serialized riskd.v1.Alert
  // A Publication of its own (the history keeps one row per publication);
  // false for an alert resolved in bulk with its incident, whose sequence
  // is then the incident's publication.
  bool published = true;
};

// The latest published Incident of an incident.
struct StoredIncident {
  std::uint64_t key = 0;  // journal sequence of its opening event
  std::string incident_id;
  int lifecycle = 0;           // riskd.v1.Incident.Lifecycle
  std::uint64_t sequence = 0;  // Publication sequence that carried it
  std::string payload;         // serialized riskd.v1.Incident
};

class StateStore {
 public:
  // The state file beside the daemon's database (the journal's file).
  static std::string PathFor(const std::string& database) { return database + ".state"; }
  // Opens (creating) the state file of `database`, moving the state tables
  // out of `database` first if it still holds them (see above).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& database);
  // Opens the state file of `database` for reading only (a tool beside a
  // running daemon, e.g. riskctl calibrate): creates nothing and moves
  // nothing, so a daemon of the earlier layout keeps its tables. NotFound,
  // saying to start riskd once, when there is no state file yet.
  static Result<std::unique_ptr<StateStore>> OpenReadOnly(const std::string& database);

  // True once a base network has been saved.
  Result<bool> HasNetwork();
  // Replaces the stored base network, as it is with every change (one not
  // compacted is saved from a compacted copy; `network` is not changed).
  // Both hand the page cache their bulk work filled back (CacheBytes()).
  Status SaveNetwork(const engine::Network& network);
  Result<engine::Network> LoadNetwork();
  // The tables Open() moved out of `database` (none when there was nothing
  // to move, or it was moved before), for the daemon's log.
  const std::vector<std::string>& moved_tables() const { return moved_tables_; }
  // The journal's last sequence when Open() created the state file beside
  // a journal that already held events and no state to move (a journal
  // restored without its state file): the publication sequence starts
  // again from 0, which the daemon warns about. 0 otherwise.
  std::uint64_t created_beside_journal_seq() const { return created_beside_journal_seq_; }
  // State tables Open() found in `database` beside this file's own copy of
  // them and dropped as leftovers of an unfinished move, and why it took
  // them for that (for the daemon's log; empty when none).
  const std::vector<std::string>& dropped_leftover_tables() const {
    return dropped_leftover_tables_;
  }
  const std::string& dropped_leftovers_why() const { return dropped_leftovers_why_; }
  // Checks that this state file belongs to the journal in `database` (after
  // the journal is opened): FailedPrecondition, naming the files and what to
  // do, when the journal does not begin with the row this file was bound to
  // or ends before a journal row its alerts or incidents refer to. Binds an
  // unbound file to the journal's first row once the journal has one.
  Status CheckJournal(const std::string& database);
  // Whether the last CheckJournal found this file bound (or bound it). The
  // daemon checks again once its first events are applied, so a state file
  // begun beside an empty journal is bound from its first run on.
  bool bound() const { return bound_; }
  // Bytes the connection's SQLite page cache holds now.
  std::int64_t CacheBytes() const { return db_->CacheBytes(); }
  // Digest of the source the base network was imported from ("" if none
  // was recorded; daemon/base_network.h).
  Result<std::string> NetworkDigest();
  Status SetNetworkDigest(const std::string& digest);

  // Records published alerts and the publication sequence reached, in one
  // transaction.
  Status RecordAlerts(const std::vector<StoredAlert>& alerts, std::uint64_t last_sequence);
  // Alerts whose latest lifecycle is not RESOLVED.
  Result<std::vector<StoredAlert>> OpenAlerts();
  // Full history, oldest first (for audits and tests).
  Result<std::vector<StoredAlert>> AlertHistory();

  // Records published incidents (latest per key) and forgets the given
  // keys, in one transaction.
  Status RecordIncidents(const std::vector<StoredIncident>& incidents,
                         const std::vector<std::uint64_t>& forget);
  // Every stored incident, by key.
  Result<std::vector<StoredIncident>> Incidents();

  // The last publication sequence that may have been used: the larger of
  // the one recorded with alerts and the reserved ceiling below.
  Result<std::uint64_t> LastSequence();
  Status SetLastSequence(std::uint64_t sequence);
  // Records that sequences up to `ceiling` may be used, durably (fsync, even
  // though the rest of this store is synchronous=NORMAL), so a restart never
  // reuses one, whatever publication kind carried it.
  Status ReserveSequences(std::uint64_t ceiling);
  // Makes every commit so far durable (one synced commit: the WAL's fsync
  // covers the earlier synchronous=NORMAL ones). Before an engine
  // checkpoint is written, so that after a power loss the checkpoint file
  // is never ahead of this one (the two files sync independently).
  Status Sync();

 private:
  explicit StateStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status Init();
  // Moves the state tables out of `database` (the layout before the state
  // file), once.
  Status MoveFrom(const std::string& database);
  // MoveFrom's work with `database` attached as "old"; `marker` is the
  // meta value kMovedKey (none before the first look).
  Status MoveFromAttached(const std::string& database, std::optional<std::int64_t> marker);
  // The attached journal's last sequence and hash (0 and "" without one).
  Result<std::pair<std::uint64_t, std::string>> OldJournalLast();
  // A row of table journal_rows (a journal row this file recorded).
  Result<std::optional<std::pair<std::uint64_t, std::string>>> JournalRow(const std::string& key);
  Status SetJournalRow(const std::string& key, std::uint64_t seq, const std::string& hash);
  Status CopyOldTable(const std::string& table);
  Result<std::optional<std::int64_t>> MetaValue(const std::string& key);
  Status SetMeta(const std::string& key, std::int64_t value);
  Result<std::vector<StoredAlert>> QueryAlerts(const std::string& sql);
  // `*statement`, prepared from `sql` at its first use and kept: the
  // recording statements run every round, and preparing one parses and
  // plans its SQL again.
  Result<SqliteStatement*> Cached(SqliteStatement* statement, const char* sql);

  std::unique_ptr<SqliteDb> db_;
  // Prepared on db_ by Cached(); declared after it, so they are finalized
  // (destroyed) before the connection is closed.
  SqliteStatement upsert_alert_;
  SqliteStatement insert_alert_history_;
  SqliteStatement set_last_sequence_;
  SqliteStatement upsert_incident_;
  SqliteStatement delete_incident_;
  std::vector<std::string> moved_tables_;
  std::uint64_t created_beside_journal_seq_ = 0;
  std::vector<std::string> dropped_leftover_tables_;
  std::string dropped_leftovers_why_;
  bool bound_ = false;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_STATE_STORE_H_
