// CheckpointStore: periodic checkpoints of the daemon's engine state in
// SQLite, so a restart loads the newest one and replays only the journal's
// tail instead of every event (DESIGN section 8: restart in seconds).
//
// A checkpoint is the network (every node slot, dead ones included, so
// indices stay the same; every edge in CSR order; its version, so
// Snapshot.network_version goes on from it), the engine's state inputs
// (engine/engine_checkpoint.h), the manual model clock, what the daemon
// rebuilds on replay besides the engine (the incident book's event-derived
// state, engine/incidents.h; the disruption footprints it follows), and the journal
// sequence it covers with that journal row's hash: a checkpoint only counts
// for the journal it was taken from (a restored backup, a replaced database
// or a rewritten journal make it stale, and the daemon replays in full).
// A fingerprint of the configuration the state depends on is stored too;
// the daemon compares it before trusting the checkpoint.
//
// Storage: its own database file (`<database>.checkpoint`), so writing one
// never holds the journal's write lock; one header row and the encoded
// state in parts of about 1 MiB, each with its SHA-256, written in one
// transaction (a crash keeps the previous checkpoint whole). Encoding and
// decoding stream part by part: writing one holds about a part in memory
// besides the engine's copy of its reports. Bad parts (a hash mismatch,
// truncated or malformed bytes) are reported as Corruption, never a crash.
//
// Thread-safety: one thread at a time per instance (the engine thread saves;
// start-up loads before it runs).
#ifndef RISKD_CONNECTORS_STORE_CHECKPOINT_STORE_H_
#define RISKD_CONNECTORS_STORE_CHECKPOINT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "connectors/store/sqlite_db.h"
#include "engine/engine_checkpoint.h"
#include "engine/incidents.h"
#include "engine/network.h"

namespace riskd::connectors {

struct CheckpointHeader {
  std::uint64_t journal_seq = 0;  // every event up to it is in the state
  std::string journal_hash;       // that journal row's hash (32 bytes)
  std::string fingerprint;        // the configuration's (daemon-defined)
  std::int64_t written_unix_ns = 0;
  std::uint64_t bytes = 0;  // encoded size
};

// A disruption footprint the daemon follows (daemon/footprint_tracker.h).
struct CheckpointedFootprint {
  std::string footprint;  // riskd.v1.DisruptionFootprint as last judged, serialized
  bool announced = false;
  int risk_type = 0;
  engine::Step at = 0;
  engine::Step duration = 0;
  std::vector<engine::NodeIndex> hit;  // sorted, distinct
};

// What the daemon's engine thread rebuilds from the journal besides the
// engine: the incident book and the footprints it follows.
struct DaemonCheckpointState {
  engine::IncidentBookCheckpoint incidents;
  std::vector<CheckpointedFootprint> footprints;
};

// The same, read in place for saving: the live incident book's view
// (engine::IncidentBook::View()) and the footprints; both must outlive the
// Save() they are passed to.
struct DaemonCheckpointView {
  const engine::IncidentBookView& incidents;
  const std::vector<CheckpointedFootprint>& footprints;
};

struct DaemonCheckpoint {
  CheckpointHeader header;
  std::optional<std::int64_t> manual_clock_ns;  // CLOCK_MANUAL's last tick
  engine::Network network;
  engine::EngineCheckpoint engine;
  DaemonCheckpointState daemon;
};

class CheckpointStore {
 public:
  // The checkpoint file beside the daemon's database.
  static std::string PathFor(const std::string& database) { return database + ".checkpoint"; }
  // Opens (creating) the checkpoint file for `database`, whose journal it
  // reads hashes from.
  static Result<std::unique_ptr<CheckpointStore>> Open(const std::string& database);

  // The newest checkpoint's header; nullopt when there is none.
  Result<std::optional<CheckpointHeader>> Header();
  // Whether the journal's row `header.journal_seq` still has the hash the
  // checkpoint recorded (false when the row is gone or differs).
  Result<bool> MatchesJournal(const CheckpointHeader& header);
  // The newest checkpoint, decoded. NotFound when there is none;
  // Corruption when its parts do not decode; FailedPrecondition when it was
  // written in another format (an earlier version of riskd).
  Result<DaemonCheckpoint> Load();

  // Replaces the checkpoint with one covering the journal up to
  // `journal_seq` (> 0: its row must exist). A network not compacted is
  // written from a compacted copy (pass a compacted one to avoid the copy).
  // Returns the header written.
  Result<CheckpointHeader> Save(std::uint64_t journal_seq, const std::string& fingerprint,
                                std::optional<std::int64_t> manual_clock_ns,
                                const engine::Network& network,
                                const engine::EngineCheckpoint& engine,
                                const DaemonCheckpointState& daemon = {});
  // The same bytes, written from views rather than copies (the daemon's
  // engine thread saves its live book this way).
  Result<CheckpointHeader> Save(std::uint64_t journal_seq, const std::string& fingerprint,
                                std::optional<std::int64_t> manual_clock_ns,
                                const engine::Network& network,
                                const engine::EngineCheckpoint& engine,
                                const DaemonCheckpointView& daemon);
  // Drops the checkpoint (the next start replays in full).
  Status Clear();

 private:
  CheckpointStore(std::unique_ptr<SqliteDb> db, std::string database)
      : db_(std::move(db)), database_(std::move(database)) {}
  Status Init();
  Result<std::string> JournalHash(std::uint64_t seq);

  std::unique_ptr<SqliteDb> db_;
  std::string database_;
  std::unique_ptr<SqliteDb> journal_;  // read-only, opened on first use
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_CHECKPOINT_STORE_H_
