#include "connectors/store/state_store.h"

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
