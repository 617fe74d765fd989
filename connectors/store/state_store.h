// StateStore: what the daemon keeps in SQLite besides the journal: the base
// network (imported once, on first start), every published alert (latest
// state per alert id plus the full history) and small counters such as the
// last publication sequence.
#ifndef RISKD_CONNECTORS_STORE_STATE_STORE_H_
#define RISKD_CONNECTORS_STORE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
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
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);

  // True once a base network has been saved.
  Result<bool> HasNetwork();
  // Replaces the stored base network. REQUIRES: network.compacted()
  // Both hand the page cache their bulk work filled back (CacheBytes()).
  Status SaveNetwork(const engine::Network& network);
  Result<engine::Network> LoadNetwork();
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

 private:
  explicit StateStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status Init();
  Status Migrate();
  Result<std::vector<StoredAlert>> QueryAlerts(const std::string& sql);

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_STATE_STORE_H_
