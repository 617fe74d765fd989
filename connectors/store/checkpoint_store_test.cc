#include "connectors/store/checkpoint_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "connectors/store/journal.h"
#include "engine/engine.h"
#include "engine/testing/graphs.h"
#include "engine/testing/random_changes.h"

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;

engine::EngineOptions TwoTypes() {
  engine::EngineOptions o;
  engine::RiskType leak;
  leak.name = "leak";
  leak.layers = engine::LayerBit(engine::Layer::kData) | engine::LayerBit(engine::Layer::kMaterial);
  leak.direction = engine::Direction::kUpstream;
  o.risk_types.push_back(leak);
  o.dmp.horizon = 10;
  o.vulnerability_refresh_changes = 5;
  o.clock.history_window_steps = 6;
  return o;
}

// The daemon's side: an incident book with a grouped event, an operator's
// actions and a restored incident, and a footprint.
DaemonCheckpointState DaemonState(const engine::Engine& engine) {
  engine::IncidentBook book({}, {"default", "leak"});
  engine::Trigger t;
  t.event_id = "quake-1";
  t.seq = 1;
  t.time_ns = 100;
  t.risk_type = 1;
  t.kind = engine::TriggerKind::kNamed;
  t.title = "M 6.1";
  t.feed_event_id = "usgs-1";
  t.nodes = {3, 7};
  EXPECT_NE(book.AddTrigger(t), nullptr);
  t.event_id = "quake-2";
  t.seq = 2;
  t.nodes = {9};
  t.feed_event_id = "";
  t.risk_type = 0;
  EXPECT_NE(book.AddTrigger(t), nullptr);
  engine::OperatorAction a;
  a.event_id = "op-1";
  a.seq = 3;
  a.time_ns = 200;
  a.kind = engine::OperatorActionKind::kOverrideLevel;
  a.incident_id = "leak/1";
  a.operator_name = "ana";
  a.level = engine::AlertLevel::kCritical;
  a.note = "plant 3 matters";
  EXPECT_TRUE(book.Apply(a).ok());
  a.kind = engine::OperatorActionKind::kMarkRestored;
  a.incident_id = "default/2";
  a.level.reset();
  EXPECT_TRUE(book.Apply(a).ok());
  book.AdvanceTime(200);
  DaemonCheckpointState state;
  state.incidents = book.Checkpoint();
  EXPECT_TRUE(book.Restore(state.incidents, engine.network().node_slots()).ok());
  state.footprints.push_back({std::string("\x0a\x07quake-1", 9), true, 1, 48, 3, {3, 7}});
  return state;
}

// A book with every part of its checkpoint filled and more than a part
// (1 MiB) of it: ten incidents of both risk types, two with 20,000 events (a
// site re-reported all day), feed events, several sources per incident,
// operator actions of every kind, restored and closed incidents.
engine::IncidentBook RichBook() {
  engine::IncidentOptions options;
  options.close_after_ns = 1000;
  engine::IncidentBook book(options, {"default", "leak"});
  std::vector<std::string> ids;
  for (std::uint64_t i = 0; i < 40'200; ++i) {
    engine::Trigger t;
    t.seq = i + 1;
    t.time_ns = 100 + static_cast<std::int64_t>(i);
    t.risk_type = static_cast<int>(i % 2);
    t.kind = static_cast<engine::TriggerKind>(1 + i % 3);
    t.hazard = static_cast<int>(i % 4);
    t.title = "title " + std::to_string(i % 13);
    if (i < 200) {
      t.event_id = "event-" + std::to_string(i);
      if (i % 5 == 0) t.feed_event_id = "feed-" + std::to_string(i / 10);
      t.nodes = {static_cast<engine::NodeIndex>(i % 7), static_cast<engine::NodeIndex>(i * 3 % 11)};
    } else {
      t.event_id = "evt-" + std::to_string(1'000'000'000'000 + i);  // 17 bytes, as the bench's
      t.nodes = {static_cast<engine::NodeIndex>(20 + i % 2)};
    }
    const engine::Incident* inc = book.AddTrigger(t);
    EXPECT_NE(inc, nullptr);
    if (inc && std::find(ids.begin(), ids.end(), inc->id) == ids.end()) ids.push_back(inc->id);
  }
  std::uint64_t seq = 50'000;
  auto act = [&](engine::OperatorActionKind kind, const std::string& id) {
    engine::OperatorAction a;
    a.event_id = "op-" + std::to_string(seq);
    a.seq = ++seq;
    a.time_ns = static_cast<std::int64_t>(seq);
    a.kind = kind;
    a.incident_id = id;
    a.operator_name = "ana";
    a.authenticated_client = "client-" + std::to_string(seq % 3);
    if (kind == engine::OperatorActionKind::kAssign) a.assignee = "bo";
    if (kind == engine::OperatorActionKind::kOverrideLevel) a.level = engine::AlertLevel::kWarning;
    a.note = "note " + std::to_string(seq);
    EXPECT_TRUE(book.Apply(a).ok()) << id;
  };
  EXPECT_GE(ids.size(), 6u);
  for (std::size_t k = 0; k < ids.size(); ++k) {
    act(engine::OperatorActionKind::kAcknowledge, ids[k]);
    if (k % 2 == 0) act(engine::OperatorActionKind::kAssign, ids[k]);
    if (k % 3 == 0) act(engine::OperatorActionKind::kOverrideLevel, ids[k]);
  }
  act(engine::OperatorActionKind::kMarkRestored, ids[1]);
  act(engine::OperatorActionKind::kMarkNoImpact, ids[2]);
  act(engine::OperatorActionKind::kMarkRestored, ids[3]);
  const auto restored_at = static_cast<std::int64_t>(seq);
  book.AdvanceTime(restored_at + 10);  // ids[1] and ids[3] wait to close
  seq += 500;
  act(engine::OperatorActionKind::kMarkRestored, ids[4]);
  book.AdvanceTime(restored_at + 1000);  // ids[1], ids[3] closed; ids[4] waits
  return book;
}

// The network, slot by slot and edge by edge, and its version: as it was,
// not the count of changes the decoder's rebuild made (the daemon's
// Snapshot.network_version went back across a restart).
void ExpectSameNetwork(const engine::Network& got, const engine::Network& want) {
  ASSERT_EQ(got.node_slots(), want.node_slots());
  EXPECT_EQ(got.node_count(), want.node_count());
  EXPECT_EQ(got.version(), want.version());
  for (engine::NodeIndex v = 0; v < want.node_slots(); ++v) {
    ASSERT_EQ(got.alive(v), want.alive(v)) << v;
    EXPECT_TRUE(got.node(v) == want.node(v)) << want.id(v);  // every attribute, value too
  }
  const auto want_edges = want.Edges(), got_edges = got.Edges();
  ASSERT_EQ(got_edges.size(), want_edges.size());
  for (std::size_t i = 0; i < want_edges.size(); ++i) {
    EXPECT_EQ(got_edges[i].from, want_edges[i].from);
    EXPECT_EQ(got_edges[i].to, want_edges[i].to);
    EXPECT_EQ(got_edges[i].layer, want_edges[i].layer);
    EXPECT_EQ(got_edges[i].weight, want_edges[i].weight);
  }
}

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riskd_checkpoint_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    database_ = (dir_ / "riskd.db").string();
    auto journal = Journal::Open(database_);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(*journal);
    ASSERT_TRUE(journal_->Append(std::vector<JournalEntry>{{"a", 1, "x"}, {"b", 2, "y"}}).ok());
    // An engine after random events of every kind on the clock (nodes and
    // edges added and removed: dead slots; a stale vulnerability snapshot).
    auto created = engine::Engine::Create(TwoTypes(), engine::testing::RandomGraph(150, 300, 9));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    engine_ = std::move(*created);
    ASSERT_TRUE(engine_->AdvanceClock(50).ok());
    engine::testing::RandomChanges changes({.seed = 4, .clock = true});
    for (int i = 0; i < 80; ++i) changes.ApplyBatch(*engine_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    const std::string path = CheckpointStore::PathFor(database_);
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  // The bytes of the saved checkpoint's first part, and a replacement of
  // them with a hash to match (a well-formed part as far as hashes go).
  std::string FirstPart() { return Parts("SELECT data FROM checkpoint_parts WHERE part = 0"); }
  // The bytes of the parts `sql` selects, concatenated.
  std::string Parts(const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(CheckpointStore::PathFor(database_).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* read = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &read, nullptr), SQLITE_OK);
    std::string data;
    while (sqlite3_step(read) == SQLITE_ROW) {
      data.append(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                  static_cast<std::size_t>(sqlite3_column_bytes(read, 0)));
    }
    sqlite3_finalize(read);
    sqlite3_close(db);
    return data;
  }
  void ReplaceFirstPart(const std::string& data) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(CheckpointStore::PathFor(database_).c_str(), &db), SQLITE_OK);
    const std::string digest = Sha256(data);
    sqlite3_stmt* write = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "UPDATE checkpoint_parts SET data = ?1, hash = ?2 WHERE part = 0",
                           -1, &write, nullptr),
        SQLITE_OK);
    sqlite3_bind_blob(write, 1, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(write, 2, digest.data(), static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(db);
  }
  // The engine restored from `loaded` (the checkpoint of engine_ as it is
  // now), after both projected: the same projections, network version too.
  // Null when it is not restored.
  std::unique_ptr<engine::Engine> RestoreAndProject(DaemonCheckpoint loaded) {
    auto restored =
        engine::Engine::Restore(TwoTypes(), std::move(loaded.network), std::move(loaded.engine));
    EXPECT_TRUE(restored.ok()) << restored.status().ToString();
    if (!restored.ok()) return nullptr;
    EXPECT_EQ((*restored)->network().version(), engine_->network().version());
    EXPECT_EQ(engine_->Project(7), (*restored)->Project(7));
    for (int r = 0; r < engine_->risk_type_count(); ++r) {
      EXPECT_EQ(engine_->risk_state(r).projection().risk,
                (*restored)->risk_state(r).projection().risk);
      EXPECT_EQ(engine_->risk_state(r).projection().eta,
                (*restored)->risk_state(r).projection().eta);
    }
    return std::move(*restored);
  }
  std::unique_ptr<CheckpointStore> Store() {
    auto s = CheckpointStore::Open(database_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  fs::path dir_;
  std::string database_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(CheckpointStoreTest, SavedStateLoadsBackAndRestoresTheSameEngine) {
  auto store = Store();
  ASSERT_TRUE(store);
  auto none = store->Header();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_EQ(store->Load().status().code(), Status::Code::kNotFound);

  // A node with every attribute set, its value among them (the checkpoint
  // dropped the value: after a restart its value at risk fell back to the
  // volume through it).
  engine::NodeAttributes full{.id = "full",
                              .name = "Full node",
                              .kind = "plant",
                              .tier = 2,
                              .region = "JP",
                              .location = engine::GeoPoint{35.0, 139.0},
                              .inventory_days = 4.5,
                              .alternates = {"alt-1", "alt-2"},
                              .emergency_plan_id = "plan-7",
                              .value = 1000.0};
  ASSERT_TRUE(engine_->AddNode(full).ok());
  const engine::Network& net = engine_->CompactNetwork();  // as after the daemon's projection
  ASSERT_LT(net.node_count(), net.node_slots()) << "the events should have removed nodes";
  auto saved = store->Save(2, "config-a", 1'700'000'000'000'000'000, net, engine_->Checkpoint(),
                           DaemonState(*engine_));
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->journal_seq, 2u);
  EXPECT_GT(saved->bytes, 0u);

  auto loaded = Store()->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->header.journal_seq, 2u);
  EXPECT_EQ(loaded->header.fingerprint, "config-a");
  EXPECT_EQ(loaded->header.bytes, saved->bytes);
  EXPECT_EQ(loaded->manual_clock_ns, 1'700'000'000'000'000'000);
  auto match = store->MatchesJournal(loaded->header);
  ASSERT_TRUE(match.ok());
  EXPECT_TRUE(*match);

  const engine::Network& got = loaded->network;
  ASSERT_NO_FATAL_FAILURE(ExpectSameNetwork(got, net));
  const auto full_at = got.Find("full");
  ASSERT_TRUE(full_at);
  EXPECT_EQ(got.node(*full_at).value, std::optional<double>(1000.0));

  // The daemon's state: the incident book restores, the footprint is back.
  const auto& incidents = loaded->daemon.incidents;
  ASSERT_EQ(incidents.incidents.size(), 2u);
  const engine::Incident& leak = incidents.incidents[0];
  EXPECT_EQ(leak.id, "leak/1");
  EXPECT_EQ(leak.sources, (std::vector<engine::NodeIndex>{3, 7}));
  EXPECT_EQ(leak.feed_event_ids, std::vector<std::string>{"usgs-1"});
  EXPECT_EQ(leak.op().level_override, engine::AlertLevel::kCritical);
  ASSERT_EQ(leak.op().history.size(), 1u);
  EXPECT_EQ(leak.op().history[0].note, "plant 3 matters");
  EXPECT_EQ(leak.EventsOf(7), std::vector<std::uint32_t>{0});
  EXPECT_EQ(incidents.incidents[1].lifecycle, engine::IncidentLifecycle::kRestored);
  EXPECT_EQ(incidents.restored, (std::vector<std::pair<std::int64_t, std::uint64_t>>{{200, 2}}));
  engine::IncidentBook book({}, {"default", "leak"});
  ASSERT_TRUE(book.Restore(loaded->daemon.incidents, net.node_slots()).ok());
  EXPECT_EQ(book.OwnerOf(1, 7), 1u);
  EXPECT_EQ(book.Find("leak/1")->level(), engine::AlertLevel::kCritical);
  EXPECT_EQ(book.now_ns(), 200);
  ASSERT_EQ(loaded->daemon.footprints.size(), 1u);
  EXPECT_EQ(loaded->daemon.footprints[0].footprint, std::string("\x0a\x07quake-1", 9));
  EXPECT_EQ(loaded->daemon.footprints[0].hit, (std::vector<engine::NodeIndex>{3, 7}));
  EXPECT_EQ(loaded->daemon.footprints[0].at, 48);

  // The engine restored from it projects what the original does.
  auto restored = RestoreAndProject(std::move(*loaded));
  ASSERT_TRUE(restored);
  // Changes after the restore go on from the same version.
  ASSERT_TRUE(engine_->RemoveNode("full").ok());
  ASSERT_TRUE(restored->RemoveNode("full").ok());
  EXPECT_EQ(restored->network().version(), engine_->network().version());
}

// Saved right after changes not yet compacted (a node added with an edge
// into it, a node without edges, a node removed): the checkpoint holds the
// network as it is, not its last compacted adjacency. The encoder read the
// CSR arrays as they were, which have no row for a node added since: the
// checkpoint did not decode ("a count of 3206594560 vulnerability
// snapshots").
// The checkpoint's bytes are those the encoder wrote before it read the
// live book (riskdck5 unchanged): the incident book's and the footprints'
// section as a hash of what final a1dd013 wrote for RichBook(), and the
// rest as with an empty book.
TEST_F(CheckpointStoreTest, TheBookIsWrittenAsBefore) {
  const engine::Network& net = engine_->CompactNetwork();
  std::string part_sizes;  // of the latest save
  auto stream = [&](const auto& daemon) {
    auto store = Store();
    EXPECT_TRUE(store);
    if (!store) return std::string();
    auto saved = store->Save(2, "f", 1'700'000'000'000'000'000, net, engine_->Checkpoint(), daemon);
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    store.reset();
    const std::string data = Parts("SELECT data FROM checkpoint_parts ORDER BY part");
    part_sizes = Parts("SELECT printf('%d ', length(data)) FROM checkpoint_parts ORDER BY part");
    EXPECT_EQ(data.size(), saved.ok() ? saved->bytes : 0);
    return data;
  };
  const std::string empty = stream(DaemonCheckpointState{});
  engine::IncidentBook book = RichBook();
  DaemonCheckpointState state{book.Checkpoint(), {}};
  ASSERT_EQ(state.incidents.incidents.size(), 10u);
  ASSERT_EQ(state.incidents.closed.size(), 3u);    // ids[1], ids[2], ids[3]
  ASSERT_EQ(state.incidents.restored.size(), 1u);  // ids[4]
  ASSERT_FALSE(state.incidents.risk_types[0].feed_events.empty());
  state.footprints.push_back({std::string("\x0a\x07quake-1", 9), true, 1, 48, 3, {3, 7}});
  state.footprints.push_back({std::string(300, 'f'), false, 0, -2, 0, {}});
  const std::string full = stream(state);
  ASSERT_GT(full.size(), std::size_t{1} << 20) << "more than one part";
  const std::string full_parts = part_sizes;
  // Written from the live book in place, as the daemon saves it: the same
  // bytes in the same parts.
  const engine::IncidentBookView view = book.View();
  EXPECT_EQ(stream(DaemonCheckpointView{view, state.footprints}), full);
  EXPECT_EQ(part_sizes, full_parts);
  // An empty book is i64 now, three u32 counts (incidents, risk types,
  // restored) and one (closed); no footprints a u32; then "riskdend".
  ASSERT_GT(empty.size(), 36u);
  const std::size_t prefix = empty.size() - 36;
  EXPECT_EQ(full.substr(0, prefix), empty.substr(0, prefix));
  const std::string digest = Sha256(std::string_view(full).substr(prefix));
  std::string hex;
  for (unsigned char c : digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  EXPECT_EQ(full.size() - prefix, 1'171'170u);
  EXPECT_EQ(hex, "bcbf0ddeedc97ff7712a84902ecba0ab755b3b2f41833a736a9c289f48c8536c");
}

TEST_F(CheckpointStoreTest, AChangeNotYetCompactedIsSavedAndRestoresTheSameEngine) {
  auto store = Store();
  ASSERT_TRUE(store);
  engine_->CompactNetwork();
  const engine::Network& net = engine_->network();
  engine::NodeIndex from = 0;
  while (!net.alive(from)) ++from;
  engine::NodeAttributes fresh;
  fresh.id = "fresh";
  fresh.value = 7.0;
  ASSERT_TRUE(engine_->AddNode(fresh).ok());
  ASSERT_TRUE(engine_->AddEdge(net.id(from), "fresh", engine::Layer::kData, 3.5).ok());
  engine::NodeAttributes lonely;
  lonely.id = "lonely";
  ASSERT_TRUE(engine_->AddNode(lonely).ok());
  engine::NodeIndex removed = from + 1;
  while (!net.alive(removed)) ++removed;
  ASSERT_TRUE(engine_->RemoveNode(std::string(net.id(removed))).ok());
  ASSERT_FALSE(net.compacted());
  const std::uint64_t version = net.version();
  auto saved = store->Save(2, "f", std::nullopt, net, engine_->Checkpoint());
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  // Saving compacts a copy, not the engine's network.
  EXPECT_FALSE(net.compacted());
  EXPECT_EQ(net.version(), version);

  auto loaded = Store()->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  engine::Network want = net;
  want.Compact();
  const engine::Network& got = loaded->network;
  ASSERT_NO_FATAL_FAILURE(ExpectSameNetwork(got, want));
  EXPECT_EQ(got.FindEdge(from, *got.Find("fresh"), engine::Layer::kData),
            std::optional<double>(3.5));
  EXPECT_TRUE(RestoreAndProject(std::move(*loaded)));
}

TEST_F(CheckpointStoreTest, ACheckpointOfAnotherJournalDoesNotMatch) {
  auto store = Store();
  ASSERT_TRUE(store);
  auto saved = store->Save(2, "f", std::nullopt, engine_->network(), engine_->Checkpoint());
  ASSERT_TRUE(saved.ok());
  CheckpointHeader other = *saved;
  other.journal_hash[0] ^= 1;
  EXPECT_FALSE(*store->MatchesJournal(other));
  other = *saved;
  other.journal_seq = 3;  // not journaled
  EXPECT_FALSE(*store->MatchesJournal(other));
  EXPECT_EQ(
      store->Save(9, "f", std::nullopt, engine_->network(), engine_->Checkpoint()).status().code(),
      Status::Code::kNotFound);
  // The failed save left the previous checkpoint whole.
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->header.journal_seq, 2u);
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_FALSE(*store->Header());
}

// A checkpoint written by an earlier format (its marker, "riskdck4", had
// no network version; "riskdck3" no node values) is refused as a whole, with a reason, rather than
// decoded field by field: the daemon then replays the whole journal (daemon/checkpoints.cc).
TEST_F(CheckpointStoreTest, ACheckpointOfAnEarlierFormatIsRefused) {
  auto store = Store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Save(2, "f", std::nullopt, engine_->network(), engine_->Checkpoint()).ok());
  store.reset();
  ASSERT_TRUE(Store()->Load().ok());
  std::string data = FirstPart();
  ASSERT_EQ(data.substr(0, 8), "riskdck5");
  data.replace(0, 8, "riskdck4");
  ASSERT_NO_FATAL_FAILURE(ReplaceFirstPart(data));
  const auto loaded = Store()->Load();
  EXPECT_EQ(loaded.status().code(), Status::Code::kFailedPrecondition)
      << loaded.status().ToString();
  EXPECT_NE(loaded.status().message().find("format marker"), std::string::npos)
      << loaded.status().ToString();
}

TEST_F(CheckpointStoreTest, DamagedCheckpointsAreCorruptionNeverACrash) {
  auto store = Store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Save(2, "f", std::nullopt, engine_->network(), engine_->Checkpoint()).ok());
  store.reset();
  // A part whose bytes changed: its hash says so.
  Sql("UPDATE checkpoint_parts SET data = zeroblob(length(data)) WHERE part = 0");
  auto damaged = Store()->Load();
  EXPECT_EQ(damaged.status().code(), Status::Code::kCorruption) << damaged.status().ToString();
  EXPECT_NE(damaged.status().message().find("hash"), std::string::npos)
      << damaged.status().ToString();

  // Malformed bytes with matching hashes (a bug, or a deliberate edit):
  // random damage anywhere decodes to an error or to a state Restore then
  // checks, never to a crash or a runaway allocation.
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    auto fresh = Store();
    ASSERT_TRUE(fresh
                    ->Save(2, "f", std::nullopt, engine_->network(), engine_->Checkpoint(),
                           DaemonState(*engine_))
                    .ok());
    auto header = fresh->Header();
    const auto bytes = static_cast<long long>((*header)->bytes);
    fresh.reset();
    std::string data = FirstPart();
    ASSERT_EQ(static_cast<long long>(data.size()), bytes) << "one part";
    for (int k = 0; k < 1 + trial % 4; ++k) data[rng() % data.size()] = static_cast<char>(rng());
    ASSERT_NO_FATAL_FAILURE(ReplaceFirstPart(data));
    auto loaded = Store()->Load();
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption) << loaded.status().ToString();
      continue;
    }
    const std::size_t slots = loaded->network.node_slots();
    (void)engine::Engine::Restore(TwoTypes(), std::move(loaded->network),
                                  std::move(loaded->engine));
    engine::IncidentBook book({}, {"default", "leak"});
    (void)book.Restore(std::move(loaded->daemon.incidents), slots);
  }

  // A missing part.
  auto fresh = Store();
  ASSERT_TRUE(fresh->Save(2, "f", std::nullopt, engine_->network(), engine_->Checkpoint()).ok());
  fresh.reset();
  Sql("DELETE FROM checkpoint_parts WHERE part = 0");
  EXPECT_EQ(Store()->Load().status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace riskd::connectors
