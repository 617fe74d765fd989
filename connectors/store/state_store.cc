#include "connectors/store/state_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <tuple>

#include "connectors/store/journal.h"

namespace riskd::connectors {
namespace {

// The open alerts (3 = riskd.v1.Alert.LIFECYCLE_RESOLVED): OpenAlerts'
// condition and the partial index alerts_open's, the same text.
constexpr const char* kOpenAlertsWhere = "lifecycle != 3";

// The tables Init creates: the ones moved out of the journal's file.
constexpr const char* kTables[] = {"meta",          "nodes",     "edges",         "alerts",
                                   "alert_history", "incidents", "network_source"};
// meta keys of the move (MoveFrom).
constexpr char kMovedKey[] = "moved_from_database";
constexpr char kMovedAtKey[] = "moved_at_journal_seq";
// journal_rows keys: the journal's first row when the state file was bound
// to it (CheckJournal), its last row when the tables were moved (MoveFrom).
constexpr char kBoundRow[] = "bound_first";
constexpr char kMovedRow[] = "moved_at";

// A hash for a message: its first 8 bytes in hex (enough to tell two apart).
std::string ShortHash(const std::string& hash) {
  return hash.empty() ? "(none)" : HexBytes(hash.substr(0, 8)) + "…";
}

std::string JoinAlternates(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ';';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitAlternates(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    const auto cut = s.find(';', start);
    out.push_back(s.substr(start, cut == std::string::npos ? std::string::npos : cut - start));
    if (cut == std::string::npos) break;
    start = cut + 1;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& database) {
  // Everything here can be re-derived from the journal (the daemon re-projects
  // and re-publishes what differs after a restart), so the engine thread does
  // not wait for an fsync after every projection.
  auto db = SqliteDb::Open(PathFor(database), SqliteDb::Durability::kNormal);
  if (!db.ok()) return db.status();
  std::unique_ptr<StateStore> s(new StateStore(std::move(*db)));
  // A large write (a new index on an earlier file, a move) leaves the WAL
  // at its size until it is truncated; the file stays open as long as the
  // daemon runs: WAL resets truncate it to 4 MiB.
  RISKD_RETURN_IF_ERROR(s->db_->Exec("PRAGMA journal_size_limit=4194304"));
  RISKD_RETURN_IF_ERROR(s->Init());
  RISKD_RETURN_IF_ERROR(s->MoveFrom(database));
  return s;
}

Result<std::unique_ptr<StateStore>> StateStore::OpenReadOnly(const std::string& database) {
  const std::string path = PathFor(database);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("no state file " + path +
                            ": riskd keeps its base network, alerts and incidents there; start"
                            " riskd once on " +
                            database + " to create it (or move its state there)");
  }
  auto db = SqliteDb::OpenReadOnly(path);
  if (!db.ok()) return db.status();
  return std::unique_ptr<StateStore>(new StateStore(std::move(*db)));
}

Status StateStore::Init() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS nodes ("
      " idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT, kind TEXT, tier INTEGER,"
      " region TEXT, lat REAL, lon REAL, inventory_days REAL, alternates TEXT,"
      " emergency_plan_id TEXT, value REAL);"
      "CREATE TABLE IF NOT EXISTS edges ("
      " from_id TEXT NOT NULL, to_id TEXT NOT NULL, layer INTEGER NOT NULL, weight REAL NOT NULL,"
      " PRIMARY KEY (from_id, to_id, layer)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS alerts ("
      " alert_id TEXT PRIMARY KEY, risk_type TEXT NOT NULL, node_id TEXT NOT NULL,"
      " lifecycle INTEGER NOT NULL, level INTEGER NOT NULL, probability REAL NOT NULL,"
      " eta_steps INTEGER NOT NULL, raised_tag INTEGER NOT NULL, sequence INTEGER NOT NULL,"
      " payload BLOB NOT NULL);"
      // For CheckJournal's MAX(raised_tag) at every start: a lookup rather
      // than a scan of every alert (~0.1-0.2 s at 1M alerts). Created here
      // too in a file of an earlier riskd that lacks it (once, ~0.5 s at 1M
      // alerts). Upserts of an alert leave raised_tag, so only new alerts
      // add an entry.
      "CREATE INDEX IF NOT EXISTS alerts_raised_tag ON alerts(raised_tag);"
      // For OpenAlerts at every start and snapshot: the open alerts alone,
      // in id order, not a scan of every alert ever raised (resolved ones
      // stay; ~0.6 s at 1M). Its WHERE is OpenAlerts' own, word for word,
      // or SQLite does not use it.
      "CREATE INDEX IF NOT EXISTS alerts_open ON alerts(alert_id) WHERE " +
      std::string(kOpenAlertsWhere) +
      ";"
      "CREATE TABLE IF NOT EXISTS network_source ("
      " id INTEGER PRIMARY KEY CHECK (id = 1), digest TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS alert_history ("
      " sequence INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, lifecycle INTEGER NOT NULL,"
      " payload BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS incidents ("
      " key INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, lifecycle INTEGER NOT NULL,"
      " sequence INTEGER NOT NULL, payload BLOB NOT NULL);"
      // Rows of the journal this file belongs to (kBoundRow, kMovedRow): not
      // moved from the old layout (which had none).
      "CREATE TABLE IF NOT EXISTS journal_rows ("
      " key TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL);");
}

Status StateStore::MoveFrom(const std::string& database) {
  // Whether this file has looked at `database` already: 1 = copied its
  // tables (at journal seq `kMovedAtKey`), 0 = it held none.
  auto marker = MetaValue(kMovedKey);
  if (!marker.ok()) return marker.status();
  const bool exists = ::access(database.c_str(), F_OK) == 0;
  if (!exists) {
    if (*marker) return Status::Ok();
    return SetMeta(kMovedKey, 0);
  }
  {
    auto attach = db_->Prepare("ATTACH DATABASE ?1 AS old");
    if (!attach.ok()) return attach.status();
    attach->BindText(1, database);
    RISKD_RETURN_IF_ERROR(attach->Run().WithContext("moving the state out of " + database));
  }
  Status st = MoveFromAttached(database, *marker);
  if (st.ok() && (!moved_tables_.empty() || !dropped_leftover_tables_.empty())) {
    // The copy's pages are in this file's WAL, the drop's in the journal
    // file's, and a WAL keeps its largest size until it is truncated: this
    // file stays open as long as the daemon runs (the state of 100k nodes /
    // 1M edges is ~35 MB), and the journal file's WAL stays as large if
    // another connection has the file open at the detach (otherwise SQLite
    // removes it then). Both are committed now, so checkpointed and
    // truncated here. Best effort: the move is done either way, and a
    // checkpoint that cannot finish (a reader in the middle of a read)
    // leaves the WAL to SQLite's later checkpoints.
    // Without waiting: the connection's busy timeout would hold the start
    // for up to 5 s per file behind a reader (riskctl verify-journal).
    (void)db_->Exec("PRAGMA busy_timeout=0");
    (void)db_->Exec("PRAGMA old.wal_checkpoint(TRUNCATE)");
    (void)db_->Exec("PRAGMA main.wal_checkpoint(TRUNCATE)");
    (void)db_->Exec("PRAGMA busy_timeout=" + std::to_string(SqliteDb::kBusyTimeoutMs));
  }
  const Status detached = db_->Exec("DETACH DATABASE old");
  return st.ok() ? detached : st;
}

Status StateStore::MoveFromAttached(const std::string& database,
                                    std::optional<std::int64_t> marker) {
  std::vector<std::string> tables;
  for (const char* t : kTables) {
    auto has = db_->HasTable(t, "old");
    if (!has.ok()) return has.status();
    if (*has) tables.emplace_back(t);
  }
  auto journal_last = OldJournalLast();
  if (!journal_last.ok()) return journal_last.status();
  // Named, not a structured binding: clang 14 (the fuzz build) cannot
  // capture a binding in the lambda below.
  const std::uint64_t journal_seq = journal_last->first;
  const std::string& journal_hash = journal_last->second;
  const bool copying = !marker;
  if (copying) {
    // The copy and the marker in one transaction of this file: a crash
    // leaves both or neither, and the next start copies again. Synced
    // (synchronous=FULL for this commit, as ReserveSequences): the drop
    // below must never reach the disk without the copy.
    RISKD_RETURN_IF_ERROR(db_->Exec("PRAGMA main.synchronous=FULL"));
    Status copied = [&]() -> Status {
      SqliteTransaction tx(db_.get());
      RISKD_RETURN_IF_ERROR(tx.status());
      for (const auto& t : tables) RISKD_RETURN_IF_ERROR(CopyOldTable(t));
      RISKD_RETURN_IF_ERROR(SetMeta(kMovedKey, tables.empty() ? 0 : 1));
      RISKD_RETURN_IF_ERROR(SetMeta(kMovedAtKey, static_cast<std::int64_t>(journal_seq)));
      RISKD_RETURN_IF_ERROR(SetJournalRow(kMovedRow, journal_seq, journal_hash));
      return tx.Commit();
    }();
    const Status back = db_->Exec("PRAGMA main.synchronous=NORMAL");
    RISKD_RETURN_IF_ERROR(copied.WithContext("moving the state out of " + database));
    RISKD_RETURN_IF_ERROR(back);
    marker = tables.empty() ? 0 : 1;
    moved_tables_ = tables;
    if (tables.empty()) created_beside_journal_seq_ = journal_seq;
  }
  if (tables.empty()) return Status::Ok();
  // State tables in `database` besides a state file that has its own.
  // Left over from a move the process did not finish (the journal has not
  // moved since: the daemon opens this store before its journal): dropped.
  // Anything else (e.g. a backup from before the move restored into a
  // directory that kept its state file) is not this file's copy, and the
  // operator decides which state is right.
  const std::string refuse_tail =
      "; remove one of the two copies: the state file (the tables are moved into a new one at "
      "the next start) or the tables in " +
      database;
  auto moved_at = MetaValue(kMovedAtKey);
  if (!moved_at.ok()) return moved_at.status();
  if (*marker != 1 || !*moved_at || static_cast<std::uint64_t>(**moved_at) != journal_seq) {
    return Status::FailedPrecondition(
        database + " holds state tables (alerts, incidents, the base network) that " +
        PathFor(database) + " was not moved from" + refuse_tail);
  }
  // The same length is not the same journal: the row the move saw must
  // still end it (moves recorded it from this version on).
  auto moved_row = JournalRow(kMovedRow);
  if (!moved_row.ok()) return moved_row.status();
  if (*moved_row && (*moved_row)->second != journal_hash) {
    return Status::FailedPrecondition(
        database + " holds state tables (alerts, incidents, the base network) that " +
        PathFor(database) + " was not moved from: its journal ends at seq " +
        std::to_string(journal_seq) +
        " as when the tables were moved, but with another row (hash " + ShortHash(journal_hash) +
        ", the move's " + ShortHash((*moved_row)->second) +
        "): another journal of the same length" + refuse_tail);
  }
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  for (const auto& t : tables) RISKD_RETURN_IF_ERROR(db_->Exec("DROP TABLE old.\"" + t + "\""));
  RISKD_RETURN_IF_ERROR(
      tx.Commit().WithContext("dropping the moved state tables from " + database));
  if (copying) return Status::Ok();
  dropped_leftover_tables_ = tables;
  dropped_leftovers_why_ =
      *moved_row
          ? "left over from the move into " + PathFor(database) + " at journal seq " +
                std::to_string(journal_seq) +
                " (the journal still ends at that row: the move's process stopped before it "
                "dropped them)"
          : "taken for leftovers of the move into " + PathFor(database) + " at journal seq " +
                std::to_string(journal_seq) +
                ": the journal has that length, but a move by an earlier riskd did not record "
                "the row's hash, so a journal of the same length and another origin cannot be "
                "told apart";
  return Status::Ok();
}

Result<std::pair<std::uint64_t, std::string>> StateStore::OldJournalLast() {
  std::pair<std::uint64_t, std::string> last{0, ""};
  auto has = db_->HasTable("journal", "old");
  if (!has.ok()) return has.status();
  if (!*has) return last;
  // The journal's schema (journal.h): one row per sequence with its hash.
  auto q = db_->Prepare("SELECT seq, hash FROM old.journal ORDER BY seq DESC LIMIT 1");
  if (!q.ok()) return q.status();
  Status st;
  if (q->Step(&st)) last = {static_cast<std::uint64_t>(q->ColumnInt(0)), q->ColumnBlob(1)};
  RISKD_RETURN_IF_ERROR(st);
  return last;
}

Result<std::optional<std::pair<std::uint64_t, std::string>>> StateStore::JournalRow(
    const std::string& key) {
  auto q = db_->Prepare("SELECT seq, hash FROM main.journal_rows WHERE key = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, key);
  Status st;
  std::optional<std::pair<std::uint64_t, std::string>> row;
  if (q->Step(&st)) row.emplace(static_cast<std::uint64_t>(q->ColumnInt(0)), q->ColumnBlob(1));
  RISKD_RETURN_IF_ERROR(st);
  return row;
}

Status StateStore::SetJournalRow(const std::string& key, std::uint64_t seq,
                                 const std::string& hash) {
  auto q = db_->Prepare(
      "INSERT INTO main.journal_rows(key, seq, hash) VALUES(?1, ?2, ?3)"
      " ON CONFLICT(key) DO UPDATE SET seq = ?2, hash = ?3");
  if (!q.ok()) return q.status();
  q->BindText(1, key);
  q->BindInt(2, static_cast<std::int64_t>(seq));
  q->BindBlob(3, hash);
  return q->Run();
}

Status StateStore::CheckJournal(const std::string& database) {
  // The journal's first and last rows (its schema: journal.h).
  std::optional<std::pair<std::uint64_t, std::string>> first;
  std::uint64_t last_seq = 0;
  {
    auto journal = SqliteDb::OpenReadOnly(database);
    if (!journal.ok()) return journal.status().WithContext("checking the state file's journal");
    auto has = (*journal)->HasTable("journal");
    if (!has.ok()) return has.status();
    if (*has) {
      auto q = (*journal)->Prepare(
          "SELECT seq, hash, (SELECT MAX(seq) FROM journal) FROM journal ORDER BY seq LIMIT 1");
      if (!q.ok()) return q.status();
      Status st;
      if (q->Step(&st)) {
        first.emplace(static_cast<std::uint64_t>(q->ColumnInt(0)), q->ColumnBlob(1));
        last_seq = static_cast<std::uint64_t>(q->ColumnInt(2));
      }
      RISKD_RETURN_IF_ERROR(st);
    }
  }
  const std::string state = PathFor(database);
  const std::string what_to_do =
      ". Restore the two files from the same backup (docs/operations.md, \"Backup and "
      "restore\"), or move " +
      state + " (with its -wal and -shm files, if any) aside to rebuild the state from this " +
      "journal (the start re-derives the alerts and incidents from it and publishes them afresh, " +
      "but the alert history starts empty and the publication sequence from 0)";
  auto bound = JournalRow(kBoundRow);
  if (!bound.ok()) return bound.status();
  if (*bound && (!first || **bound != *first)) {
    return Status::FailedPrecondition(state + " belongs to another journal than " + database +
                                      ": it was bound to a journal whose first row is seq " +
                                      std::to_string((*bound)->first) + " (hash " +
                                      ShortHash((*bound)->second) + "), but " + database +
                                      (first ? " begins with seq " + std::to_string(first->first) +
                                                   " (hash " + ShortHash(first->second) + ")"
                                             : " holds no event") +
                                      what_to_do);
  }
  // Alerts and incidents refer to the journal rows that raised or opened
  // them: none may be beyond the journal's end (the state file is never
  // ahead of its journal, not even after a power loss). Both maxima are
  // lookups: raised_tag's index, and incidents' key is the rowid.
  auto q = db_->Prepare(
      "SELECT MAX(COALESCE((SELECT MAX(raised_tag) FROM alerts), 0),"
      " COALESCE((SELECT MAX(key) FROM incidents), 0))");
  if (!q.ok()) return q.status();
  Status st;
  const std::uint64_t referred = q->Step(&st) ? static_cast<std::uint64_t>(q->ColumnInt(0)) : 0;
  RISKD_RETURN_IF_ERROR(st);
  if (referred > last_seq) {
    return Status::FailedPrecondition(
        state + " is ahead of its journal " + database +
        ": it holds alerts or incidents of journal seq " + std::to_string(referred) +
        ", but the journal ends at seq " + std::to_string(last_seq) +
        " (the journal restored from an older backup than the state file, or replaced?)" +
        what_to_do + "; first look for a copy of the journal at least as new as the state file: " +
        "rebuilt from this journal, the state lacks every event after seq " +
        std::to_string(last_seq));
  }
  if (!*bound && first)
    RISKD_RETURN_IF_ERROR(SetJournalRow(kBoundRow, first->first, first->second));
  bound_ = *bound || first;
  return Status::Ok();
}

Status StateStore::CopyOldTable(const std::string& table) {
  // The columns both have: an old table may lack a newer column (nodes
  // made before nodes had a value), which is then NULL here.
  auto q = db_->Prepare(
      "SELECT o.name FROM pragma_table_info(?1, 'old') o"
      " JOIN pragma_table_info(?1, 'main') m ON m.name = o.name ORDER BY o.cid");
  if (!q.ok()) return q.status();
  q->BindText(1, table);
  std::string columns;
  Status st;
  while (q->Step(&st)) {
    if (!columns.empty()) columns += ", ";
    columns += "\"" + q->ColumnText(0) + "\"";
  }
  RISKD_RETURN_IF_ERROR(st);
  if (columns.empty()) return Status::Corruption("table old." + table + " has no known column");
  return db_->Exec("INSERT INTO main.\"" + table + "\"(" + columns + ") SELECT " + columns +
                   " FROM old.\"" + table + "\"");
}

Result<std::optional<std::int64_t>> StateStore::MetaValue(const std::string& key) {
  auto q = db_->Prepare("SELECT value FROM main.meta WHERE key = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, key);
  Status st;
  std::optional<std::int64_t> value;
  if (q->Step(&st)) value = q->ColumnInt(0);
  RISKD_RETURN_IF_ERROR(st);
  return value;
}

Status StateStore::SetMeta(const std::string& key, std::int64_t value) {
  auto q = db_->Prepare(
      "INSERT INTO main.meta(key, value) VALUES(?1, ?2)"
      " ON CONFLICT(key) DO UPDATE SET value = ?2");
  if (!q.ok()) return q.status();
  q->BindText(1, key);
  q->BindInt(2, value);
  return q->Run();
}

Result<bool> StateStore::HasNetwork() {
  auto q = db_->Prepare("SELECT value FROM meta WHERE key = 'network_saved'");
  if (!q.ok()) return q.status();
  Status st;
  const bool found = q->Step(&st);
  RISKD_RETURN_IF_ERROR(st);
  return found && q->ColumnInt(0) == 1;
}

Status StateStore::SaveNetwork(const engine::Network& given) {
  // The edges are read from the CSR rows, which hold changes only after
  // Compact(): a network changed since is saved from a compacted copy (as
  // CheckpointStore does); its rows as they are lacked the new edges and
  // read past the arrays for a node added since. The daemon saves the
  // network ImportNetwork just compacted, so it never pays for the copy.
  std::optional<engine::Network> copy;
  if (!given.compacted()) copy.emplace(given).Compact();
  const engine::Network& net = copy ? *copy : given;
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  RISKD_RETURN_IF_ERROR(db_->Exec("DELETE FROM nodes; DELETE FROM edges;"));
  auto ins = db_->Prepare(
      "INSERT INTO nodes(idx, id, name, kind, tier, region, lat, lon, inventory_days, alternates,"
      " emergency_plan_id, value) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  if (!ins.ok()) return ins.status();
  std::int64_t row = 0;
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (!net.alive(v)) continue;
    const auto& a = net.node(v);
    ins->BindInt(1, row++);
    ins->BindText(2, a.id);
    ins->BindText(3, a.name);
    ins->BindText(4, a.kind);
    ins->BindInt(5, a.tier);
    ins->BindText(6, a.region);
    if (a.location) {
      ins->BindDouble(7, a.location->lat);
      ins->BindDouble(8, a.location->lon);
    }
    ins->BindDouble(9, a.inventory_days);
    ins->BindText(10, JoinAlternates(a.alternates));
    ins->BindText(11, a.emergency_plan_id);
    if (a.value) ins->BindDouble(12, *a.value);
    RISKD_RETURN_IF_ERROR(ins->Run());
  }
  auto edge = db_->Prepare("INSERT INTO edges(from_id, to_id, layer, weight) VALUES(?1,?2,?3,?4)");
  if (!edge.ok()) return edge.status();
  // Straight from the CSR rows (Edges() would copy every edge first).
  for (engine::NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (engine::EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      edge->BindText(1, net.id(u));
      edge->BindText(2, net.id(net.edge_target(e)));
      edge->BindInt(3, static_cast<int>(net.edge_layer(e)));
      edge->BindDouble(4, net.edge_weight(e));
      RISKD_RETURN_IF_ERROR(edge->Run());
    }
  }
  RISKD_RETURN_IF_ERROR(
      db_->Exec("INSERT INTO meta(key, value) VALUES('network_saved', 1)"
                " ON CONFLICT(key) DO UPDATE SET value = 1"));
  Status committed = tx.Commit();
  // The 1M-edge write left ~2 MB of pages cached that the daemon does not
  // read again (bench/README.md, "Where the daemon's memory goes").
  db_->ReleaseCache();
  return committed;
}

Result<engine::Network> StateStore::LoadNetwork() {
  engine::Network net;
  auto q = db_->Prepare(
      "SELECT id, name, kind, tier, region, lat, lon, inventory_days, alternates,"
      " emergency_plan_id, value FROM nodes ORDER BY idx");
  if (!q.ok()) return q.status();
  Status st;
  while (q->Step(&st)) {
    engine::NodeAttributes a;
    a.id = q->ColumnText(0);
    a.name = q->ColumnText(1);
    a.kind = q->ColumnText(2);
    a.tier = static_cast<int>(q->ColumnInt(3));
    a.region = q->ColumnText(4);
    if (!q->ColumnIsNull(5)) a.location = engine::GeoPoint{q->ColumnDouble(5), q->ColumnDouble(6)};
    a.inventory_days = q->ColumnDouble(7);
    a.alternates = SplitAlternates(q->ColumnText(8));
    a.emergency_plan_id = q->ColumnText(9);
    if (!q->ColumnIsNull(10)) a.value = q->ColumnDouble(10);
    auto added = net.AddNode(std::move(a));
    if (!added.ok()) return added.status().WithContext("stored network");
  }
  RISKD_RETURN_IF_ERROR(st);
  std::vector<engine::Edge> edges;
  {
    auto count = db_->Prepare("SELECT COUNT(*) FROM edges");
    if (!count.ok()) return count.status();
    if (count->Step(&st)) edges.reserve(static_cast<std::size_t>(count->ColumnInt(0)));
    RISKD_RETURN_IF_ERROR(st);
  }
  auto e = db_->Prepare("SELECT from_id, to_id, layer, weight FROM edges");
  if (!e.ok()) return e.status();
  while (e->Step(&st)) {
    const auto layer = e->ColumnInt(2);
    if (layer < 0 || layer >= engine::kLayerCount) {
      return Status::Corruption("stored network: bad layer " + std::to_string(layer));
    }
    const auto from = net.Find(e->ColumnText(0)), to = net.Find(e->ColumnText(1));
    if (!from || !to) return Status::Corruption("stored network: edge with an unknown node");
    edges.push_back({*from, *to, static_cast<engine::Layer>(layer), e->ColumnDouble(3)});
  }
  RISKD_RETURN_IF_ERROR(st);
  db_->ReleaseCache();  // as after SaveNetwork, before the CSR is built
  // Rows come in id order; sorted by index here, AddEdges merges them
  // without a second copy.
  std::sort(edges.begin(), edges.end(), [](const engine::Edge& a, const engine::Edge& b) {
    return std::tie(a.from, a.to, a.layer) < std::tie(b.from, b.to, b.layer);
  });
  RISKD_RETURN_IF_ERROR(net.AddEdges(edges).WithContext("stored network"));
  net.Compact();
  return net;
}

Result<std::string> StateStore::NetworkDigest() {
  auto q = db_->Prepare("SELECT digest FROM network_source WHERE id = 1");
  if (!q.ok()) return q.status();
  Status st;
  std::string digest;
  if (q->Step(&st)) digest = q->ColumnText(0);
  RISKD_RETURN_IF_ERROR(st);
  return digest;
}

Status StateStore::SetNetworkDigest(const std::string& digest) {
  auto q = db_->Prepare(
      "INSERT INTO network_source(id, digest) VALUES(1, ?1)"
      " ON CONFLICT(id) DO UPDATE SET digest = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, digest);
  return q->Run();
}

Result<SqliteStatement*> StateStore::Cached(SqliteStatement* statement, const char* sql) {
  if (!statement->prepared()) {
    auto prepared = db_->Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *statement = std::move(*prepared);
  }
  // Every use ends in Run(), which resets it: no bindings or step left over.
  return statement;
}

Status StateStore::RecordAlerts(const std::vector<StoredAlert>& alerts,
                                std::uint64_t last_sequence) {
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  auto up_or = Cached(
      &upsert_alert_,
      "INSERT INTO alerts(alert_id, risk_type, node_id, lifecycle, level, probability, eta_steps,"
      " raised_tag, sequence, payload) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
      " ON CONFLICT(alert_id) DO UPDATE SET lifecycle=?4, level=?5, probability=?6,"
      " eta_steps=?7, sequence=?9, payload=?10");
  if (!up_or.ok()) return up_or.status();
  SqliteStatement* up = *up_or;
  auto hist_or = Cached(&insert_alert_history_,
                        "INSERT INTO alert_history(sequence, alert_id, lifecycle, payload)"
                        " VALUES(?1,?2,?3,?4)");
  if (!hist_or.ok()) return hist_or.status();
  SqliteStatement* hist = *hist_or;
  for (const auto& a : alerts) {
    up->BindText(1, a.alert_id);
    up->BindText(2, a.risk_type);
    up->BindText(3, a.node_id);
    up->BindInt(4, a.lifecycle);
    up->BindInt(5, a.level);
    up->BindDouble(6, a.probability);
    up->BindInt(7, a.eta_steps);
    up->BindInt(8, static_cast<std::int64_t>(a.raised_journal_seq));
    up->BindInt(9, static_cast<std::int64_t>(a.sequence));
    up->BindBlob(10, a.payload);
    RISKD_RETURN_IF_ERROR(up->Run());
    if (!a.published) continue;
    hist->BindInt(1, static_cast<std::int64_t>(a.sequence));
    hist->BindText(2, a.alert_id);
    hist->BindInt(3, a.lifecycle);
    hist->BindBlob(4, a.payload);
    RISKD_RETURN_IF_ERROR(hist->Run());
  }
  RISKD_RETURN_IF_ERROR(SetLastSequence(last_sequence));
  return tx.Commit();
}

Result<std::vector<StoredAlert>> StateStore::QueryAlerts(const std::string& sql) {
  auto q = db_->Prepare(sql);
  if (!q.ok()) return q.status();
  std::vector<StoredAlert> out;
  Status st;
  while (q->Step(&st)) {
    StoredAlert a;
    a.alert_id = q->ColumnText(0);
    a.risk_type = q->ColumnText(1);
    a.node_id = q->ColumnText(2);
    a.lifecycle = static_cast<int>(q->ColumnInt(3));
    a.level = static_cast<int>(q->ColumnInt(4));
    a.probability = q->ColumnDouble(5);
    a.eta_steps = static_cast<int>(q->ColumnInt(6));
    a.raised_journal_seq = static_cast<std::uint64_t>(q->ColumnInt(7));
    a.sequence = static_cast<std::uint64_t>(q->ColumnInt(8));
    a.payload = q->ColumnBlob(9);
    out.push_back(std::move(a));
  }
  RISKD_RETURN_IF_ERROR(st);
  return out;
}

Result<std::vector<StoredAlert>> StateStore::OpenAlerts() {
  return QueryAlerts(
      "SELECT alert_id, risk_type, node_id, lifecycle, level, probability, eta_steps, raised_tag,"
      " sequence, payload FROM alerts WHERE " +
      std::string(kOpenAlertsWhere) + " ORDER BY alert_id");
}

Result<std::vector<StoredAlert>> StateStore::AlertHistory() {
  return QueryAlerts(
      "SELECT h.alert_id, a.risk_type, a.node_id, h.lifecycle, a.level, a.probability,"
      " a.eta_steps, a.raised_tag, h.sequence, h.payload FROM alert_history h"
      " JOIN alerts a ON a.alert_id = h.alert_id ORDER BY h.sequence");
}

Status StateStore::RecordIncidents(const std::vector<StoredIncident>& incidents,
                                   const std::vector<std::uint64_t>& forget) {
  if (incidents.empty() && forget.empty()) return Status::Ok();
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  auto up_or =
      Cached(&upsert_incident_,
             "INSERT INTO incidents(key, incident_id, lifecycle, sequence, payload)"
             " VALUES(?1,?2,?3,?4,?5) ON CONFLICT(key) DO UPDATE SET incident_id=?2, lifecycle=?3,"
             " sequence=?4, payload=?5");
  if (!up_or.ok()) return up_or.status();
  SqliteStatement* up = *up_or;
  for (const auto& i : incidents) {
    up->BindInt(1, static_cast<std::int64_t>(i.key));
    up->BindText(2, i.incident_id);
    up->BindInt(3, i.lifecycle);
    up->BindInt(4, static_cast<std::int64_t>(i.sequence));
    up->BindBlob(5, i.payload);
    RISKD_RETURN_IF_ERROR(up->Run());
  }
  auto del_or = Cached(&delete_incident_, "DELETE FROM incidents WHERE key = ?1");
  if (!del_or.ok()) return del_or.status();
  SqliteStatement* del = *del_or;
  for (std::uint64_t key : forget) {
    del->BindInt(1, static_cast<std::int64_t>(key));
    RISKD_RETURN_IF_ERROR(del->Run());
  }
  return tx.Commit();
}

Result<std::vector<StoredIncident>> StateStore::Incidents() {
  auto q = db_->Prepare(
      "SELECT key, incident_id, lifecycle, sequence, payload FROM incidents ORDER BY key");
  if (!q.ok()) return q.status();
  std::vector<StoredIncident> out;
  Status st;
  while (q->Step(&st)) {
    StoredIncident i;
    i.key = static_cast<std::uint64_t>(q->ColumnInt(0));
    i.incident_id = q->ColumnText(1);
    i.lifecycle = static_cast<int>(q->ColumnInt(2));
    i.sequence = static_cast<std::uint64_t>(q->ColumnInt(3));
    i.payload = q->ColumnBlob(4);
    out.push_back(std::move(i));
  }
  RISKD_RETURN_IF_ERROR(st);
  return out;
}

Result<std::uint64_t> StateStore::LastSequence() {
  auto q = db_->Prepare(
      "SELECT MAX(value) FROM meta WHERE key IN ('last_sequence', 'sequence_ceiling')");
  if (!q.ok()) return q.status();
  Status st;
  if (q->Step(&st) && !q->ColumnIsNull(0)) return static_cast<std::uint64_t>(q->ColumnInt(0));
  RISKD_RETURN_IF_ERROR(st);
  return std::uint64_t{0};
}

Status StateStore::ReserveSequences(std::uint64_t ceiling) {
  // The pragma applies to this connection's next commits; outside a
  // transaction it takes effect at once.
  RISKD_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=FULL"));
  auto q = db_->Prepare(
      "INSERT INTO meta(key, value) VALUES('sequence_ceiling', ?1)"
      " ON CONFLICT(key) DO UPDATE SET value = MAX(value, ?1)");
  Status st = q.ok() ? Status::Ok() : q.status();
  if (q.ok()) {
    q->BindInt(1, static_cast<std::int64_t>(ceiling));
    st = q->Run();
  }
  const Status back = db_->Exec("PRAGMA synchronous=NORMAL");
  return st.ok() ? back : st;
}

Status StateStore::Sync() {
  RISKD_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=FULL"));
  // A commit with something in it (an empty one writes no WAL frame, so
  // nothing would be synced): a counter only this method writes.
  Status st = db_->Exec(
      "INSERT INTO meta(key, value) VALUES('syncs', 1)"
      " ON CONFLICT(key) DO UPDATE SET value = value + 1");
  const Status back = db_->Exec("PRAGMA synchronous=NORMAL");
  return st.ok() ? back : st;
}

Status StateStore::SetLastSequence(std::uint64_t sequence) {
  // Cached: RecordAlerts calls it every round.
  auto q = Cached(&set_last_sequence_,
                  "INSERT INTO meta(key, value) VALUES('last_sequence', ?1)"
                  " ON CONFLICT(key) DO UPDATE SET value = ?1");
  if (!q.ok()) return q.status();
  (*q)->BindInt(1, static_cast<std::int64_t>(sequence));
  return (*q)->Run();
}

}  // namespace riskd::connectors
