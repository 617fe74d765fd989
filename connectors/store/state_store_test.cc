#include "connectors/store/state_store.h"

#include "connectors/store/journal.h"
#include "connectors/store/sqlite_db.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test's database, removed when the test ends
// (also when an assertion returns early).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : path_(fs::temp_directory_path() / (prefix + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(StateStoreTest, NetworkRoundTripsWithAllAttributes) {
  const ScratchDir scratch("riskd_store_");
  const fs::path& dir = scratch.path();
  const std::string path = (dir / "s.db").string();
  engine::Network net;
  engine::NodeAttributes a;
  a.id = "A";
  a.name = "Alpha";
  a.kind = "plant";
  a.tier = 2;
  a.region = "JP";
  a.location = engine::GeoPoint{35.5, 139.25};
  a.inventory_days = 3.5;
  a.alternates = {"B", "C"};
  a.emergency_plan_id = "EP-1";
  a.value = 1250.5;
  ASSERT_TRUE(net.AddNode(a).ok());
  engine::NodeAttributes b;
  b.id = "B";
  ASSERT_TRUE(net.AddNode(b).ok());
  ASSERT_TRUE(net.AddEdge("A", "B", engine::Layer::kData, 2.5).ok());
  net.Compact();
  {
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_FALSE(*(*store)->HasNetwork());
    ASSERT_TRUE((*store)->SaveNetwork(net).ok());
  }
  auto store = StateStore::Open(path);
  ASSERT_TRUE(*(*store)->HasNetwork());
  auto loaded = (*store)->LoadNetwork();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->node_count(), 2u);
  const auto& la = loaded->node(*loaded->Find("A"));
  EXPECT_EQ(la.name, "Alpha");
  EXPECT_EQ(la.kind, "plant");
  EXPECT_EQ(la.tier, 2);
  EXPECT_EQ(la.region, "JP");
  EXPECT_DOUBLE_EQ(la.location->lon, 139.25);
  EXPECT_DOUBLE_EQ(la.inventory_days, 3.5);
  EXPECT_EQ(la.alternates, (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(la.emergency_plan_id, "EP-1");
  EXPECT_EQ(la.value, 1250.5);
  EXPECT_FALSE(loaded->node(*loaded->Find("B")).location.has_value());
  EXPECT_FALSE(loaded->node(*loaded->Find("B")).value.has_value());
  EXPECT_EQ(*loaded->FindEdge(0, 1, engine::Layer::kData), 2.5);

  // Alerts: latest state per id, history, sequence.
  StoredAlert raised{"supply/B/7", "supply", "B", 1, 2, 0.4, 3, 7, 11, "p1"};
  StoredAlert other{"supply/A/7", "supply", "A", 1, 3, 0.8, 1, 7, 12, "p2"};
  ASSERT_TRUE((*store)->RecordAlerts({raised, other}, 12).ok());
  StoredAlert resolved = raised;
  resolved.lifecycle = 3;
  resolved.sequence = 13;
  ASSERT_TRUE((*store)->RecordAlerts({resolved}, 14).ok());
  auto open = (*store)->OpenAlerts();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].alert_id, "supply/A/7");
  EXPECT_EQ((*open)[0].payload, "p2");
  EXPECT_EQ(*(*store)->LastSequence(), 14u);
  auto history = (*store)->AlertHistory();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[2].lifecycle, 3);
}

// Saved right after changes not yet compacted (a node added with an edge
// into it, an edge added between old nodes, a node removed with its
// edges): what is stored is the network as it is. SaveNetwork read the CSR
// rows as they were: the new edges were missing, and the new node's row
// was read past the arrays.
TEST(StateStoreTest, ANetworkNotYetCompactedIsSavedWithEveryChange) {
  const ScratchDir scratch("riskd_store_uncompacted_");
  const std::string path = (scratch.path() / "s.db").string();
  engine::Network net;
  for (const char* id : {"A", "B", "C", "D"}) {
    engine::NodeAttributes a;
    a.id = id;
    ASSERT_TRUE(net.AddNode(a).ok());
  }
  ASSERT_TRUE(net.AddEdge("A", "B", engine::Layer::kMaterial, 1).ok());
  ASSERT_TRUE(net.AddEdge("C", "D", engine::Layer::kMaterial, 2).ok());
  net.Compact();
  engine::NodeAttributes fresh;
  fresh.id = "fresh";
  ASSERT_TRUE(net.AddNode(fresh).ok());
  ASSERT_TRUE(net.AddEdge("B", "fresh", engine::Layer::kData, 3.5).ok());
  ASSERT_TRUE(net.AddEdge("fresh", "A", engine::Layer::kMaterial, 4.5).ok());
  ASSERT_TRUE(net.AddEdge("A", "C", engine::Layer::kFinancial, 5.5).ok());
  ASSERT_TRUE(net.RemoveNode("D").ok());
  ASSERT_FALSE(net.compacted());
  const std::uint64_t version = net.version();
  {
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->SaveNetwork(net).ok());
  }
  EXPECT_FALSE(net.compacted());  // a copy was compacted, not the network
  EXPECT_EQ(net.version(), version);
  auto store = StateStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto loaded = (*store)->LoadNetwork();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->node_count(), 4u);
  EXPECT_FALSE(loaded->Find("D").has_value());
  EXPECT_EQ(loaded->edge_count(), 4u);
  auto weight = [&](const char* from, const char* to, engine::Layer layer) {
    return loaded->FindEdge(*loaded->Find(from), *loaded->Find(to), layer);
  };
  EXPECT_EQ(weight("A", "B", engine::Layer::kMaterial), std::optional<double>(1));
  EXPECT_EQ(weight("B", "fresh", engine::Layer::kData), std::optional<double>(3.5));
  EXPECT_EQ(weight("fresh", "A", engine::Layer::kMaterial), std::optional<double>(4.5));
  EXPECT_EQ(weight("A", "C", engine::Layer::kFinancial), std::optional<double>(5.5));
}

TEST(StateStoreTest, SavingAndLoadingTheNetworkLeaveNoPageCacheBehind) {
  // Saving or loading a base network fills the page cache (~2 MB, the
  // default cache_size, on 100k nodes / 1M edges) with pages the daemon does
  // not read again; both hand them back.
  const ScratchDir scratch("riskd_netcache_");
  const fs::path& dir = scratch.path();
  const std::string path = (dir / "s.db").string();
  engine::Network net;
  constexpr int kNodes = 2000;
  for (int i = 0; i < kNodes; ++i) {
    engine::NodeAttributes a;
    a.id = "node-" + std::to_string(i);
    a.name = "Node number " + std::to_string(i);
    ASSERT_TRUE(net.AddNode(a).ok());
  }
  for (int i = 0; i < kNodes; ++i) {
    for (int d = 1; d <= 10; ++d) {
      ASSERT_TRUE(net.AddEdge("node-" + std::to_string(i),
                              "node-" + std::to_string((i + d) % kNodes), engine::Layer::kMaterial,
                              1.0 + d)
                      .ok());
    }
  }
  net.Compact();
  constexpr std::int64_t kLeftOver = 64 * 1024;  // a few pages at most
  {
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->SaveNetwork(net).ok());
    EXPECT_LT((*store)->CacheBytes(), kLeftOver);
  }
  auto store = StateStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto loaded = (*store)->LoadNetwork();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_LT((*store)->CacheBytes(), kLeftOver);
  ASSERT_EQ(loaded->node_count(), static_cast<std::size_t>(kNodes));
  EXPECT_EQ(loaded->node(*loaded->Find("node-1999")).name, "Node number 1999");
  EXPECT_EQ(*loaded->FindEdge(*loaded->Find("node-1999"), *loaded->Find("node-9"),
                              engine::Layer::kMaterial),
            11.0);
}

TEST(StateStoreTest, ReservedSequencesSurviveAReopenAndNeverGoBack) {
  const ScratchDir scratch("riskd_seq_");
  const fs::path& dir = scratch.path();
  const std::string path = (dir / "s.db").string();
  {
    auto store = StateStore::Open(path);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(*(*store)->LastSequence(), 0u);
    ASSERT_TRUE((*store)->SetLastSequence(7).ok());
    EXPECT_EQ(*(*store)->LastSequence(), 7u);
    ASSERT_TRUE((*store)->ReserveSequences(4096).ok());
    ASSERT_TRUE((*store)->ReserveSequences(100).ok());  // never lowers the ceiling
  }
  auto store = StateStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->LastSequence(), 4096u);
  ASSERT_TRUE((*store)->SetLastSequence(5000).ok());  // recorded with alerts past it
  EXPECT_EQ(*(*store)->LastSequence(), 5000u);
  // A sync (before each engine checkpoint) changes nothing recorded.
  ASSERT_TRUE((*store)->Sync().ok());
  ASSERT_TRUE((*store)->Sync().ok());
  EXPECT_EQ(*(*store)->LastSequence(), 5000u);
}

// A database in the layout before the state file: the journal and the
// state tables in one file, written with plain SQL as that version's
// schema was (nodes without `value`, as databases made before nodes had
// a value), with a journal of two events appended by the Journal.
void WriteOldLayout(const std::string& database) {
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    const std::vector<JournalEntry> events = {{"e1", 1, "p1"}, {"e2", 2, "p2"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  auto db = SqliteDb::Open(database);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(
      (*db)
          ->Exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                 "CREATE TABLE nodes ("
                 " idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT, kind TEXT,"
                 " tier INTEGER, region TEXT, lat REAL, lon REAL, inventory_days REAL,"
                 " alternates TEXT, emergency_plan_id TEXT);"
                 "CREATE TABLE edges ("
                 " from_id TEXT NOT NULL, to_id TEXT NOT NULL, layer INTEGER NOT NULL,"
                 " weight REAL NOT NULL, PRIMARY KEY (from_id, to_id, layer)) WITHOUT ROWID;"
                 "CREATE TABLE alerts ("
                 " alert_id TEXT PRIMARY KEY, risk_type TEXT NOT NULL, node_id TEXT NOT NULL,"
                 " lifecycle INTEGER NOT NULL, level INTEGER NOT NULL,"
                 " probability REAL NOT NULL, eta_steps INTEGER NOT NULL,"
                 " raised_tag INTEGER NOT NULL, sequence INTEGER NOT NULL,"
                 " payload BLOB NOT NULL);"
                 "CREATE TABLE network_source ("
                 " id INTEGER PRIMARY KEY CHECK (id = 1), digest TEXT NOT NULL);"
                 "CREATE TABLE alert_history ("
                 " sequence INTEGER PRIMARY KEY, alert_id TEXT NOT NULL,"
                 " lifecycle INTEGER NOT NULL, payload BLOB NOT NULL);"
                 "CREATE TABLE incidents ("
                 " key INTEGER PRIMARY KEY, incident_id TEXT NOT NULL,"
                 " lifecycle INTEGER NOT NULL, sequence INTEGER NOT NULL,"
                 " payload BLOB NOT NULL);"
                 "INSERT INTO meta VALUES('network_saved', 1), ('last_sequence', 42),"
                 " ('sequence_ceiling', 4096);"
                 "INSERT INTO nodes VALUES(0, 'A', 'Alpha', 'plant', 2, 'JP', 35.5, 139.25,"
                 " 3.5, 'B;C', 'EP-1'), (1, 'B', '', '', 0, '', NULL, NULL, 0, '', '');"
                 "INSERT INTO edges VALUES('A', 'B', 1, 2.5);"
                 "INSERT INTO network_source VALUES(1, 'digest-1');"
                 "INSERT INTO alerts VALUES('supply/A/1', 'supply', 'A', 1, 2, 0.4, 3, 1, 40,"
                 " x'0a'), ('supply/B/1', 'supply', 'B', 3, 2, 0.1, -1, 1, 41, x'0b');"
                 "INSERT INTO alert_history VALUES(40, 'supply/A/1', 1, x'0a'),"
                 " (39, 'supply/B/1', 1, x'0c'), (41, 'supply/B/1', 3, x'0b');"
                 "INSERT INTO incidents VALUES(1, 'supply/1', 1, 42, x'0d');")
          .ok());
}

// Names of the tables in a database file.
std::vector<std::string> Tables(const std::string& path) {
  std::vector<std::string> out;
  auto db = SqliteDb::OpenReadOnly(path);
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return out;
  auto q = (*db)->Prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  EXPECT_TRUE(q.ok());
  Status st;
  while (q->Step(&st)) out.push_back(q->ColumnText(0));
  EXPECT_TRUE(st.ok());
  return out;
}

TEST(StateStoreTest, TheStateHasItsOwnFileBesideTheJournal) {
  const ScratchDir scratch("riskd_own_");
  const std::string database = (scratch.path() / "riskd.db").string();
  EXPECT_EQ(StateStore::PathFor(database), database + ".state");
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(
        (*store)->RecordAlerts({{"supply/A/1", "supply", "A", 1, 2, 0.4, 3, 1, 5, "p"}}, 5).ok());
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
    const std::vector<JournalEntry> events = {{"e1", 1, "p1"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
  EXPECT_EQ(Tables(StateStore::PathFor(database)),
            (std::vector<std::string>{"alert_history", "alerts", "edges", "incidents",
                                      "journal_rows", "meta", "network_source", "nodes"}));
  // A second start finds nothing to move and keeps what was recorded.
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->LastSequence(), 5u);
  EXPECT_EQ((*store)->OpenAlerts()->size(), 1u);
}

// Which of the daemon's files is damaged: the start's error names it (it
// said only "sqlite: database disk image is malformed in: PRAGMA ...").
TEST(StateStoreTest, ADamagedFileIsNamedInTheError) {
  const ScratchDir scratch("riskd_damaged_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string state = StateStore::PathFor(database);
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  std::filesystem::resize_file(state, std::filesystem::file_size(state) / 2);
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(state + suffix);
  auto damaged = StateStore::Open(database);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().ToString(), "io_error: database '" + state +
                                             "': sqlite: database disk image is malformed in: "
                                             "PRAGMA journal_mode=WAL");
}

TEST(StateStoreTest, StateInTheJournalsFileIsMovedToTheStateFileOnce) {
  const ScratchDir scratch("riskd_move_");
  const std::string database = (scratch.path() / "riskd.db").string();
  WriteOldLayout(database);
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->moved_tables(),
              (std::vector<std::string>{"meta", "nodes", "edges", "alerts", "alert_history",
                                        "incidents", "network_source"}));
    EXPECT_EQ(*(*store)->LastSequence(), 4096u);  // the reserved ceiling
    auto open = (*store)->OpenAlerts();
    ASSERT_TRUE(open.ok());
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ((*open)[0].alert_id, "supply/A/1");
    EXPECT_EQ((*open)[0].probability, 0.4);
    EXPECT_EQ((*open)[0].eta_steps, 3);
    EXPECT_EQ((*open)[0].raised_journal_seq, 1u);
    EXPECT_EQ((*open)[0].sequence, 40u);
    EXPECT_EQ((*open)[0].payload, "\x0a");
    auto history = (*store)->AlertHistory();
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 3u);
    EXPECT_EQ((*history)[0].sequence, 39u);
    EXPECT_EQ((*history)[0].payload, "\x0c");
    EXPECT_EQ((*history)[2].lifecycle, 3);
    auto incidents = (*store)->Incidents();
    ASSERT_TRUE(incidents.ok());
    ASSERT_EQ(incidents->size(), 1u);
    EXPECT_EQ((*incidents)[0].key, 1u);
    EXPECT_EQ((*incidents)[0].incident_id, "supply/1");
    EXPECT_EQ((*incidents)[0].sequence, 42u);
    EXPECT_EQ((*incidents)[0].payload, "\x0d");
    EXPECT_TRUE(*(*store)->HasNetwork());
    EXPECT_EQ(*(*store)->NetworkDigest(), "digest-1");
    auto net = (*store)->LoadNetwork();
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    ASSERT_EQ(net->node_count(), 2u);
    const auto& a = net->node(*net->Find("A"));
    EXPECT_EQ(a.name, "Alpha");
    EXPECT_EQ(a.alternates, (std::vector<std::string>{"B", "C"}));
    EXPECT_FALSE(a.value.has_value());  // a column the old table lacked
    EXPECT_EQ(*net->FindEdge(*net->Find("A"), *net->Find("B"), engine::Layer::kData), 2.5);
    // Recording goes on in the state file, past the moved sequence.
    ASSERT_TRUE((*store)->SetLastSequence(5000).ok());
  }
  // The journal's file keeps the journal only, every row of it.
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
  {
    auto journal = Journal::OpenReadOnly(database);
    ASSERT_TRUE(journal.ok());
    auto report = (*journal)->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok);
    EXPECT_EQ(report->rows, 2u);
  }
  // Once: a second start moves nothing again and keeps what was recorded.
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->moved_tables().empty());
  EXPECT_EQ(*(*store)->LastSequence(), 5000u);
  EXPECT_EQ((*store)->OpenAlerts()->size(), 1u);
}

// The size of the file at `path`, 0 when there is none.
std::uintmax_t SizeOrZero(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// The move writes the copied tables into the state file's WAL and the
// drop into the journal file's; neither keeps that size afterwards (a WAL
// keeps its largest size until it is truncated, and the state file stays
// open as long as the daemon runs): both are checkpointed and truncated
// once the move is done.
TEST(StateStoreTest, TheMoveLeavesNoLargeWalBehind) {
  const ScratchDir scratch("riskd_movewal_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string state = StateStore::PathFor(database);
  WriteOldLayout(database);
  {
    // ~2 MB of nodes to move, more than SQLite's 1000-page autocheckpoint.
    auto db = SqliteDb::Open(database);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("WITH RECURSIVE k(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM k"
                           " WHERE i < 20001) INSERT INTO nodes(idx, id, name) SELECT i,"
                           " 'node-' || i, printf('%.80c', 'x') FROM k")
                    .ok());
  }
  ASSERT_EQ(SizeOrZero(database + "-wal"), 0u);  // closed: checkpointed and removed
  // A reader of the journal's file (riskctl verify-journal, say) keeps it
  // open through the move, so its WAL is not removed at the detach.
  auto reader = SqliteDb::OpenReadOnly(database);
  ASSERT_TRUE(reader.ok());
  {
    auto q = (*reader)->Prepare("SELECT COUNT(*) FROM journal");
    ASSERT_TRUE(q.ok());
    Status st;
    ASSERT_TRUE(q->Step(&st));
    EXPECT_EQ(q->ColumnInt(0), 2);
  }
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ((*store)->moved_tables().size(), 7u);
  EXPECT_EQ(SizeOrZero(state + "-wal"), 0u);
  EXPECT_EQ(SizeOrZero(database + "-wal"), 0u);
  // Moved whole, and still recording.
  auto net = (*store)->LoadNetwork();
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(net->node_count(), 20002u);
  ASSERT_TRUE((*store)->SetLastSequence(5000).ok());
  EXPECT_EQ(*(*store)->LastSequence(), 5000u);
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
}

// A tool beside a daemon (riskctl calibrate) reads without moving: a
// daemon of the earlier layout keeps its tables, and a wrong path creates
// no file.
TEST(StateStoreTest, ReadingOnlyMovesAndCreatesNothing) {
  const ScratchDir scratch("riskd_ro_");
  const std::string database = (scratch.path() / "riskd.db").string();
  WriteOldLayout(database);
  const std::vector<std::string> old_tables = Tables(database);
  auto absent = StateStore::OpenReadOnly(database);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), Status::Code::kNotFound);
  EXPECT_NE(absent.status().message().find("start riskd once"), std::string::npos)
      << absent.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(StateStore::PathFor(database)));
  EXPECT_EQ(Tables(database), old_tables);

  // Once the daemon has moved them, the same call reads the moved network.
  ASSERT_TRUE(StateStore::Open(database).ok());
  auto store = StateStore::OpenReadOnly(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto net = (*store)->LoadNetwork();
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(net->node_count(), 2u);
  EXPECT_FALSE((*store)->SetLastSequence(7).ok());  // read-only
}

TEST(StateStoreTest, AFailedMoveLeavesTheStateWhereItWas) {
  // The copy fails half-way (the state file already holds an alert of the
  // same id, which a build of another layout could have left): nothing of
  // it stays in the state file, the journal's file keeps its tables, and
  // the next start tries again.
  const ScratchDir scratch("riskd_movefail_");
  const std::string database = (scratch.path() / "riskd.db").string();
  WriteOldLayout(database);
  const std::string state = StateStore::PathFor(database);
  {
    auto db = SqliteDb::Open(state);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE alerts ("
                           " alert_id TEXT PRIMARY KEY, risk_type TEXT NOT NULL,"
                           " node_id TEXT NOT NULL, lifecycle INTEGER NOT NULL,"
                           " level INTEGER NOT NULL, probability REAL NOT NULL,"
                           " eta_steps INTEGER NOT NULL, raised_tag INTEGER NOT NULL,"
                           " sequence INTEGER NOT NULL, payload BLOB NOT NULL);"
                           "INSERT INTO alerts VALUES('supply/A/1', 'supply', 'A', 1, 2, 0.9, 1, 1,"
                           " 7, x'00')")
                    .ok());
  }
  auto failed = StateStore::Open(database);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("moving the state out of"), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(Tables(database),
            (std::vector<std::string>{"alert_history", "alerts", "edges", "incidents", "journal",
                                      "meta", "network_source", "nodes"}));
  {
    // meta and nodes come before alerts in the copy: rolled back with it.
    auto db = SqliteDb::OpenReadOnly(state);
    ASSERT_TRUE(db.ok());
    auto q = (*db)->Prepare("SELECT (SELECT COUNT(*) FROM meta), (SELECT COUNT(*) FROM nodes)");
    ASSERT_TRUE(q.ok());
    Status st;
    ASSERT_TRUE(q->Step(&st));
    EXPECT_EQ(q->ColumnInt(0), 0);
    EXPECT_EQ(q->ColumnInt(1), 0);
  }
  {
    auto db = SqliteDb::Open(state);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DELETE FROM alerts").ok());
  }
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->LastSequence(), 4096u);
  EXPECT_EQ((*store)->OpenAlerts()->size(), 1u);
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
}

TEST(StateStoreTest, TablesLeftBehindByAnUnfinishedMoveAreDroppedOthersRefused) {
  const ScratchDir scratch("riskd_leftover_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string old_copy = (scratch.path() / "old.db").string();
  WriteOldLayout(database);
  ASSERT_TRUE(fs::copy_file(database, old_copy));  // closed: no WAL left beside it
  ASSERT_TRUE(StateStore::Open(database).ok());
  // A crash after the copy's commit and before the drop: the journal's
  // file as it was, state tables included. They are dropped at the start.
  ASSERT_TRUE(fs::copy_file(old_copy, database, fs::copy_options::overwrite_existing));
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(*(*store)->LastSequence(), 4096u);
    EXPECT_EQ((*store)->OpenAlerts()->size(), 1u);  // not copied twice
    EXPECT_EQ((*store)->AlertHistory()->size(), 3u);
    // Said why, for the daemon's warning.
    EXPECT_EQ((*store)->dropped_leftover_tables().size(), 7u);
    EXPECT_NE((*store)->dropped_leftovers_why().find("left over from the move"), std::string::npos)
        << (*store)->dropped_leftovers_why();
  }
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
  // State tables beside a journal that moved on since (e.g. a backup from
  // before the move restored without removing the state file): not this
  // state file's copy; the start is refused, nothing dropped.
  ASSERT_TRUE(fs::copy_file(old_copy, database, fs::copy_options::overwrite_existing));
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
    const std::vector<JournalEntry> events = {{"e3", 3, "p3"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  auto refused = StateStore::Open(database);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(Tables(database).size(), 8u);
  // Without the state file the backup's tables are moved.
  ASSERT_TRUE(fs::remove(StateStore::PathFor(database)));
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->LastSequence(), 4096u);
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
}

// Replaces the journal rows of `database` by `events` (another journal).
void RewriteJournal(const std::string& database, const std::vector<JournalEntry>& events) {
  {
    auto db = SqliteDb::Open(database);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DELETE FROM journal").ok());
  }
  auto journal = Journal::Open(database);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_TRUE((*journal)->Append(events).ok());
}

// The same length is not the same journal: old tables beside a journal of
// the moved length but of another origin are not leftovers of the move.
// A move recorded the journal's last row: refused, nothing dropped. A move
// by an earlier riskd did not: dropped as before, but said why (warning).
TEST(StateStoreTest, TablesBesideAnotherJournalOfTheMovedLengthAreNotTakenForLeftovers) {
  const ScratchDir scratch("riskd_samelen_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string other = (scratch.path() / "other.db").string();
  WriteOldLayout(database);
  ASSERT_TRUE(fs::copy_file(database, other));
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(other, {{"x1", 11, "q1"}, {"x2", 12, "q2"}}));
  ASSERT_TRUE(StateStore::Open(database).ok());
  ASSERT_TRUE(fs::copy_file(other, database, fs::copy_options::overwrite_existing));
  auto refused = StateStore::Open(database);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("another journal of the same length"),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(Tables(database).size(), 8u);

  // A state file moved by an earlier riskd (no row recorded).
  {
    auto db = SqliteDb::Open(StateStore::PathFor(database));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DELETE FROM journal_rows").ok());
  }
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->dropped_leftover_tables(),
            (std::vector<std::string>{"meta", "nodes", "edges", "alerts", "alert_history",
                                      "incidents", "network_source"}));
  EXPECT_NE((*store)->dropped_leftovers_why().find("cannot be told apart"), std::string::npos)
      << (*store)->dropped_leftovers_why();
  EXPECT_EQ(Tables(database), (std::vector<std::string>{"journal"}));
}

// The state file belongs to one journal: bound to its first row once the
// journal has one; refused beside a journal that begins otherwise or ends
// before a row its alerts or incidents refer to; fine beside a longer
// journal (the state behind it, as after a power loss).
TEST(StateStoreTest, AStateFileIsCheckedAgainstItsJournal) {
  const ScratchDir scratch("riskd_bind_");
  const std::string database = (scratch.path() / "riskd.db").string();
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
  }
  ASSERT_TRUE((*store)->CheckJournal(database).ok());  // empty: nothing to bind yet
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
    const std::vector<JournalEntry> events = {{"e1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  ASSERT_TRUE(
      (*store)->RecordAlerts({{"supply/A/3", "supply", "A", 1, 2, 0.4, 3, 3, 5, "p"}}, 5).ok());
  ASSERT_TRUE((*store)->RecordIncidents({{2, "supply/2", 1, 6, "i"}}, {}).ok());
  ASSERT_TRUE((*store)->CheckJournal(database).ok());
  const std::string state = StateStore::PathFor(database);

  // Ahead: the journal ends at 2, an alert was raised by row 3.
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(database, {{"e1", 1, "p1"}, {"e2", 2, "p2"}}));
  Status st = (*store)->CheckJournal(database);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find(state + " is ahead of its journal " + database +
                              ": it holds alerts or incidents of journal seq 3, but the journal "
                              "ends at seq 2"),
            std::string::npos)
      << st.ToString();
  EXPECT_NE(st.message().find("move " + state + " (with its -wal and -shm files, if any) aside"),
            std::string::npos)
      << st.ToString();

  // Behind: the journal went on (e4); the state lost nothing it refers to.
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(
      database, {{"e1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}, {"e4", 4, "p4"}}));
  EXPECT_TRUE((*store)->CheckJournal(database).ok());

  // Another journal, longer than the state's rows: its first row differs.
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(
      database, {{"x1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}, {"e4", 4, "p4"}}));
  st = (*store)->CheckJournal(database);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find(state + " belongs to another journal than " + database),
            std::string::npos)
      << st.ToString();
  // ... or an empty one.
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(database, {}));
  st = (*store)->CheckJournal(database);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("holds no event"), std::string::npos) << st.ToString();

  // Ahead through an incident alone (opened by row 4, no alert raised by
  // it): the journal of the bound first row ends at 3.
  ASSERT_NO_FATAL_FAILURE(
      RewriteJournal(database, {{"e1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}}));
  ASSERT_TRUE((*store)->CheckJournal(database).ok());
  ASSERT_TRUE((*store)->RecordIncidents({{4, "supply/4", 1, 7, "i"}}, {}).ok());
  st = (*store)->CheckJournal(database);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("holds alerts or incidents of journal seq 4, but the journal ends "
                              "at seq 3"),
            std::string::npos)
      << st.ToString();
}

// The columns of the indexes on `table` in the file at `path`, one string
// per index ("raised_tag", "a,b"), sorted; automatic (primary key) indexes
// included.
std::vector<std::string> IndexedColumns(const std::string& path, const std::string& table) {
  std::vector<std::string> out;
  auto db = SqliteDb::OpenReadOnly(path);
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return out;
  auto q = (*db)->Prepare(
      "SELECT group_concat(i.name, ',') FROM pragma_index_list(?1) l,"
      " pragma_index_info(l.name) i GROUP BY l.name ORDER BY 1");
  EXPECT_TRUE(q.ok());
  q->BindText(1, table);
  Status st;
  while (q->Step(&st)) out.push_back(q->ColumnText(0));
  EXPECT_TRUE(st.ok());
  return out;
}

// CheckJournal's largest journal row referred to by an alert is a lookup in
// an index on raised_tag (not a scan of every alert at each start). A state
// file of an earlier riskd has no such index: the next open creates it, and
// the check finds the same row as before.
TEST(StateStoreTest, AlertsAreIndexedByTheirJournalRowAlsoInAnEarlierFile) {
  const ScratchDir scratch("riskd_tagidx_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string state = StateStore::PathFor(database);
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
    const std::vector<JournalEntry> events = {{"e1", 1, "p1"}, {"e2", 2, "p2"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  const std::string ahead_of_2 =
      "it holds alerts or incidents of journal seq 7, but the journal ends at seq 2";
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)
                    ->RecordAlerts({{"supply/A/3", "supply", "A", 1, 2, 0.4, 3, 3, 5, "p"},
                                    {"supply/B/7", "supply", "B", 1, 2, 0.4, 3, 7, 6, "p"},
                                    {"supply/C/5", "supply", "C", 1, 2, 0.4, 3, 5, 7, "p"}},
                                   7)
                    .ok());
    const Status st = (*store)->CheckJournal(database);
    EXPECT_NE(st.message().find(ahead_of_2), std::string::npos) << st.ToString();
  }
  // The primary key, alerts_open (alert_id, partial) and raised_tag.
  const std::vector<std::string> indexed = {"alert_id", "alert_id", "raised_tag"};
  EXPECT_EQ(IndexedColumns(state, "alerts"), indexed);
  {
    auto db = SqliteDb::Open(state);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP INDEX alerts_raised_tag; DROP INDEX alerts_open").ok());
  }
  ASSERT_EQ(IndexedColumns(state, "alerts"), (std::vector<std::string>{"alert_id"}));
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(IndexedColumns(state, "alerts"), indexed);
  EXPECT_EQ((*store)->OpenAlerts()->size(), 3u);
  const Status st = (*store)->CheckJournal(database);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find(ahead_of_2), std::string::npos) << st.ToString();
  // Upserts keep the entry: the alert of row 7 resolved, still of row 7.
  ASSERT_TRUE(
      (*store)->RecordAlerts({{"supply/B/7", "supply", "B", 3, 2, 0.1, -1, 7, 8, "r"}}, 8).ok());
  EXPECT_NE((*store)->CheckJournal(database).message().find(ahead_of_2), std::string::npos);
}

// The open alerts a start (and a snapshot) reads are found through the
// partial index alerts_open, not by reading every alert ever raised: the
// query plan of OpenAlerts' query says so, and the index holds exactly the
// open ones as alerts resolve and reopen.
TEST(StateStoreTest, OpenAlertsAreReadThroughAnIndexOfTheOpenOnes) {
  const ScratchDir scratch("riskd_openidx_");
  const std::string database = (scratch.path() / "riskd.db").string();
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)
                  ->RecordAlerts({{"supply/A/1", "supply", "A", 1, 2, 0.4, 3, 1, 1, "a"},
                                  {"supply/B/2", "supply", "B", 1, 2, 0.4, 3, 2, 2, "b"},
                                  {"supply/C/3", "supply", "C", 2, 2, 0.4, 3, 3, 3, "c"}},
                                 3)
                  .ok());
  ASSERT_TRUE(
      (*store)->RecordAlerts({{"supply/B/2", "supply", "B", 3, 2, 0.1, -1, 2, 4, "r"}}, 4).ok());
  auto open = (*store)->OpenAlerts();
  ASSERT_TRUE(open.ok());
  std::vector<std::string> ids;
  for (const auto& a : *open) ids.push_back(a.alert_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"supply/A/1", "supply/C/3"}));

  auto db = SqliteDb::OpenReadOnly(StateStore::PathFor(database));
  ASSERT_TRUE(db.ok());
  std::string plan;
  {
    auto q = (*db)->Prepare(
        "EXPLAIN QUERY PLAN SELECT alert_id, payload FROM alerts WHERE lifecycle != 3"
        " ORDER BY alert_id");
    ASSERT_TRUE(q.ok());
    Status st;
    while (q->Step(&st)) plan += q->ColumnText(3) + "\n";
    ASSERT_TRUE(st.ok());
  }
  EXPECT_NE(plan.find("USING INDEX alerts_open"), std::string::npos) << plan;
  {
    auto q = (*db)->Prepare(
        "SELECT group_concat(alert_id) FROM alerts INDEXED BY alerts_open"
        " WHERE lifecycle != 3");
    ASSERT_TRUE(q.ok());
    Status st;
    ASSERT_TRUE(q->Step(&st));
    EXPECT_EQ(q->ColumnText(0), "supply/A/1,supply/C/3");
  }
}

// A state file of a riskd from before the binding (no journal row
// recorded) is bound at its first start under this version; the "ahead"
// check runs first all the same: beside a journal that ends before a row
// its alerts or incidents refer to, it is refused and stays unbound.
TEST(StateStoreTest, AnUnboundStateFileAheadOfItsJournalIsRefusedNotBound) {
  const ScratchDir scratch("riskd_unbound_");
  const std::string database = (scratch.path() / "riskd.db").string();
  const std::string state = StateStore::PathFor(database);
  {
    auto journal = Journal::Open(database);
    ASSERT_TRUE(journal.ok());
    const std::vector<JournalEntry> events = {{"e1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}};
    ASSERT_TRUE((*journal)->Append(events).ok());
  }
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->RecordIncidents({{3, "supply/3", 1, 6, "i"}}, {}).ok());
  }
  // Written by the earlier riskd: no journal_rows table at all.
  {
    auto db = SqliteDb::Open(state);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP TABLE journal_rows").ok());
  }
  // Its journal restored from an older backup: it ends at row 2.
  ASSERT_NO_FATAL_FAILURE(RewriteJournal(database, {{"e1", 1, "p1"}, {"e2", 2, "p2"}}));
  auto bound_rows = [&] {
    auto db = SqliteDb::OpenReadOnly(state);
    EXPECT_TRUE(db.ok());
    auto q = (*db)->Prepare("SELECT COUNT(*) FROM journal_rows WHERE key = 'bound_first'");
    EXPECT_TRUE(q.ok());
    Status st;
    EXPECT_TRUE(q->Step(&st));
    return q->ColumnInt(0);
  };
  {
    auto store = StateStore::Open(database);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const Status st = (*store)->CheckJournal(database);
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
    EXPECT_NE(st.message().find(state + " is ahead of its journal " + database +
                                ": it holds alerts or incidents of journal seq 3, but the "
                                "journal ends at seq 2"),
              std::string::npos)
        << st.ToString();
    EXPECT_FALSE((*store)->bound());
  }
  EXPECT_EQ(bound_rows(), 0);
  // Beside the journal it belongs to (as long, or longer): bound then.
  ASSERT_NO_FATAL_FAILURE(
      RewriteJournal(database, {{"e1", 1, "p1"}, {"e2", 2, "p2"}, {"e3", 3, "p3"}}));
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CheckJournal(database).ok());
  EXPECT_TRUE((*store)->bound());
  EXPECT_EQ(bound_rows(), 1);
}

// The recording statements are prepared once and kept by the store: a
// round that fails half-way (here an alert history row of a sequence
// already recorded) leaves nothing behind, and the same statements record
// the next round.
TEST(StateStoreTest, ARecordingThatFailsHalfWayLeavesNothingAndTheNextOneRecords) {
  const ScratchDir scratch("riskd_stmts_");
  const std::string database = (scratch.path() / "riskd.db").string();
  auto store = StateStore::Open(database);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(
      (*store)->RecordAlerts({{"supply/A/1", "supply", "A", 1, 2, 0.4, 3, 1, 5, "a5"}}, 5).ok());
  ASSERT_TRUE((*store)->RecordIncidents({{1, "supply/1", 1, 6, "i6"}}, {}).ok());
  EXPECT_FALSE((*store)
                   ->RecordAlerts({{"supply/B/1", "supply", "B", 1, 2, 0.3, 3, 1, 7, "b7"},
                                   {"supply/A/1", "supply", "A", 3, 2, 0.1, -1, 1, 5, "a5!"}},
                                  7)
                   .ok());
  EXPECT_EQ(*(*store)->LastSequence(), 5u);
  auto open = (*store)->OpenAlerts();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].payload, "a5");
  ASSERT_TRUE((*store)
                  ->RecordAlerts({{"supply/B/1", "supply", "B", 1, 2, 0.3, 3, 1, 7, "b7"},
                                  {"supply/A/1", "supply", "A", 3, 2, 0.1, -1, 1, 8, "a8"}},
                                 8)
                  .ok());
  ASSERT_TRUE((*store)->RecordIncidents({{2, "supply/2", 1, 9, "i9"}}, {1}).ok());
  EXPECT_EQ(*(*store)->LastSequence(), 8u);
  open = (*store)->OpenAlerts();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].alert_id, "supply/B/1");
  EXPECT_EQ((*open)[0].payload, "b7");
  auto history = (*store)->AlertHistory();
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[2].payload, "a8");
  auto incidents = (*store)->Incidents();
  ASSERT_TRUE(incidents.ok());
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ((*incidents)[0].key, 2u);
  EXPECT_EQ((*incidents)[0].payload, "i9");
}

// SqliteDb::ReleaseCache (which SaveNetwork and LoadNetwork call after
// their bulk work): the cache shrinks, and what is read afterwards is the
// same.
TEST(StateStoreTest, ReleasedPageCacheChangesNothingRead) {
  const ScratchDir scratch("riskd_cache_");
  const fs::path& dir = scratch.path();
  auto db = SqliteDb::Open((dir / "c.db").string(), SqliteDb::Durability::kNormal);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)").ok());
  ASSERT_TRUE((*db)->Exec("BEGIN").ok());
  auto ins = (*db)->Prepare("INSERT INTO t(k, v) VALUES(?1, ?2)");
  ASSERT_TRUE(ins.ok());
  for (int k = 0; k < 20000; ++k) {
    ins->BindInt(1, k);
    ins->BindText(2, "value-" + std::to_string(k * 7));
    ASSERT_TRUE(ins->Run().ok());
  }
  ASSERT_TRUE((*db)->Exec("COMMIT").ok());
  const std::int64_t before = (*db)->CacheBytes();
  EXPECT_GT(before, 100000);  // ~600 KB of pages written
  (*db)->ReleaseCache();
  EXPECT_LT((*db)->CacheBytes(), before / 4);
  auto q = (*db)->Prepare("SELECT count(*), sum(length(v)), max(v) FROM t");
  ASSERT_TRUE(q.ok());
  Status st;
  ASSERT_TRUE(q->Step(&st));
  EXPECT_EQ(q->ColumnInt(0), 20000);
  std::int64_t chars = 0;
  for (int k = 0; k < 20000; ++k)
    chars += static_cast<std::int64_t>(("value-" + std::to_string(k * 7)).size());
  EXPECT_EQ(q->ColumnInt(1), chars);
  EXPECT_EQ(q->ColumnText(2), "value-99995");
}

}  // namespace
}  // namespace riskd::connectors
