// The daemon's use of engine-state checkpoints (connectors/store/
// checkpoint_store.h): which configuration a checkpoint is valid for, and
// restoring the engine from the newest usable one at start.
//
// A checkpoint is used only when all of these hold, else the start replays
// the whole journal as before (and says why in the log):
//   - checkpoints are on (checkpoint.interval_events > 0) and the start is
//     not a re-import (--reimport-network);
//   - its fingerprint equals this configuration's: the network source's
//     digest and every setting the engine's state inputs depend on (risk
//     type names and layers, how events map to risk types and steps, the
//     history window, vulnerability); rates and alert thresholds do not
//     count (they are applied to the restored state like a reload);
//   - the journal still holds the row it covers, with the same hash;
//   - it decodes and the engine accepts it (engine::Engine::Restore).
// Checkpoints also hold what the engine thread rebuilds on replay besides
// the engine: the incident book's event-derived state (engine/incidents.h)
// and the disruption footprints it follows; they must fit the
// configuration too (risk types, nodes), else the whole journal is
// replayed.
//
// Thread-safety: functions of their arguments; call at start-up.
#ifndef RISKD_DAEMON_CHECKPOINTS_H_
#define RISKD_DAEMON_CHECKPOINTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connectors/store/checkpoint_store.h"
#include "daemon/settings.h"
#include "engine/engine.h"

namespace riskd::daemon {

// SHA-256 (hex) of what a checkpoint's state depends on besides the journal.
std::string CheckpointFingerprint(const DaemonSettings& settings,
                                  const std::string& network_digest);

struct RestoredEngine {
  std::unique_ptr<engine::Engine> engine;
  connectors::CheckpointHeader header;
  std::optional<std::int64_t> manual_clock_ns;
  // Checked against the configuration (EngineWorker::UseCheckpoints
  // restores it).
  connectors::DaemonCheckpointState daemon;
};

// The engine from the newest usable checkpoint, or nullopt (the reason
// logged) when there is none that can be used. Errors only for failures
// to read the store at all.
Result<std::optional<RestoredEngine>> RestoreFromCheckpoint(connectors::CheckpointStore* store,
                                                            const DaemonSettings& settings,
                                                            const std::string& fingerprint,
                                                            std::uint64_t journal_last_seq);

// What to do with the checkpoint file after `error` from its store (opening,
// reading or writing it). The checkpoint is derived data
// (docs/operations.md: deleting it is always safe). Damage (`error` is a
// Corruption: SQLite found the file malformed, or its contents do not
// decode) moves the file aside, with its WAL and shared-memory files, to
// `<file>.damaged-<unix time>` (never over an earlier one), and returns a new
// store. Any other error (a lock held by another process, a full disk, a
// failed read, the journal unreadable) may pass: the file is left as it is
// and nullptr returned, so this run replays the journal without
// checkpoints rather than refusing to start (under systemd, a restart loop
// for a file that is not needed) or throwing a good checkpoint away.
std::unique_ptr<connectors::CheckpointStore> RecoverCheckpointStore(const std::string& database,
                                                                    const Status& error);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_CHECKPOINTS_H_
