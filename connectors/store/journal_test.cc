#include "connectors/store/journal.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace riskd::connectors {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riskd_journal_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "j.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  fs::path dir_;
  std::string path_;
};

std::vector<JournalEntry> Entries(std::initializer_list<const char*> ids) {
  std::vector<JournalEntry> out;
  std::int64_t t = 1000;
  for (const char* id : ids) out.push_back({id, t++, std::string("payload-") + id});
  return out;
}

TEST_F(JournalTest, AppendsInOrderAndDeduplicatesAcrossAndWithinBatches) {
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto r = (*j)->Append(Entries({"a", "b", "a"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].seq, 1u);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_EQ((*r)[1].seq, 2u);
  EXPECT_TRUE((*r)[2].duplicate);
  EXPECT_EQ((*r)[2].seq, 1u);
  r = (*j)->Append(Entries({"b", "c"}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].duplicate);
  EXPECT_EQ((*r)[0].seq, 2u);
  EXPECT_EQ((*r)[1].seq, 3u);
  EXPECT_EQ((*j)->last_seq(), 3u);
  EXPECT_EQ(*(*j)->Lookup("c"), std::optional<std::uint64_t>(3));
  EXPECT_FALSE((*j)->Lookup("zz")->has_value());
  // The first body of an id is what stays.
  EXPECT_EQ(*(*j)->Payload(1), std::optional<std::string>("payload-a"));
  EXPECT_EQ(*(*j)->Payload(3), std::optional<std::string>("payload-c"));
  EXPECT_FALSE((*j)->Payload(4)->has_value());
}

// Batches larger than the rows one INSERT takes: a duplicate (journaled
// before, or earlier in the same batch) among a group's rows falls back to
// rows one by one; the sequences, the answers and the chain are as for
// small batches, also for a mirror's given sequences.
TEST_F(JournalTest, LargeBatchesWithDuplicatesKeepSequencesAndTheChain) {
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  std::vector<JournalEntry> first, second;
  for (int k = 0; k < 100; ++k)
    first.push_back({"e" + std::to_string(k), k, "p" + std::to_string(k)});
  for (int k = 0; k < 100; ++k) {
    const std::string id = k == 40 ? "e5" : k == 60 ? "f3" : "f" + std::to_string(k);
    second.push_back({id, 1000 + k, "q" + std::to_string(k)});
  }
  auto r = (*j)->Append(first);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (std::size_t k = 0; k < 100; ++k) {
    EXPECT_EQ((*r)[k].seq, k + 1);
    EXPECT_FALSE((*r)[k].duplicate);
  }
  r = (*j)->Append(second);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::uint64_t expected = 101;
  for (std::size_t k = 0; k < 100; ++k) {
    if (k == 40 || k == 60) continue;
    EXPECT_EQ((*r)[k].seq, expected++) << k;
    EXPECT_FALSE((*r)[k].duplicate) << k;
  }
  EXPECT_TRUE((*r)[40].duplicate);
  EXPECT_EQ((*r)[40].seq, 6u);  // e5
  EXPECT_TRUE((*r)[60].duplicate);
  EXPECT_EQ((*r)[60].seq, 104u);  // f3, earlier in the batch
  EXPECT_EQ((*j)->last_seq(), 198u);
  EXPECT_EQ(*(*j)->Lookup("f99"), std::optional<std::uint64_t>(198));
  auto report = (*j)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->rows, 198u);
  // Every row as appended, in order (a reopened journal).
  j = Journal::Open(path_);
  ASSERT_TRUE(j.ok());
  std::vector<std::string> ids;
  ASSERT_TRUE((*j)->ForEach(0,
                            [&](std::uint64_t, const JournalEntry& e) {
                              ids.push_back(e.event_id + "/" + e.payload);
                              return Status::Ok();
                            })
                  .ok());
  ASSERT_EQ(ids.size(), 198u);
  EXPECT_EQ(ids[5], "e5/p5");
  EXPECT_EQ(ids[100 + 40], "f41/q41");  // e5's place skipped
  EXPECT_EQ(ids[197], "f99/q99");

  // A mirror's sequences, with a repeated id in the second group of 40.
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  auto m = Journal::Open(path_);
  ASSERT_TRUE(m.ok());
  std::vector<JournalEntry> mirrored;
  std::vector<std::uint64_t> seqs;
  for (int k = 0; k < 80; ++k) {
    mirrored.push_back({k == 50 ? "m2" : "m" + std::to_string(k), k, "x"});
    seqs.push_back(10 * (k + 1));
  }
  r = (*m)->AppendAt(mirrored, seqs);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[50].duplicate);
  EXPECT_EQ((*r)[50].seq, 30u);
  EXPECT_EQ((*r)[51].seq, 520u);
  EXPECT_FALSE((*r)[51].duplicate);
  EXPECT_EQ((*m)->last_seq(), 800u);
  report = (*m)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->rows, 79u);
}

// A statement of several rows keeps an undo log of its own, which SQLite
// by default moves to a file in a temporary directory once it passes
// 64 KiB (with random ids a group of rows touches many leaves of the id
// index): the journal keeps it in memory, so appending creates no
// temporary file. Without that, every batch here created one (a host
// without a writable temporary directory then fails every batch once the
// journal has grown: "disk I/O error").
TEST_F(JournalTest, AppendingCreatesNoTemporaryFile) {
  const fs::path temp = dir_ / "tmp";
  fs::create_directories(temp);
  // SQLite's first choice of temporary directory (before SQLITE_TMPDIR,
  // TMPDIR, /var/tmp, /tmp), watched for any file created in it.
  char* const saved = sqlite3_temp_directory;
  sqlite3_temp_directory = sqlite3_mprintf("%s", temp.c_str());
  const int watch = inotify_init1(IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  ASSERT_GE(inotify_add_watch(watch, temp.c_str(), IN_CREATE), 0);
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    std::uint64_t x = 88172645463325252ull;  // xorshift64: ids in no order
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<JournalEntry> entries;
      for (int k = 0; k < 1024; ++k) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        entries.push_back({"id-" + std::to_string(x), k, std::string(200, 'p')});
      }
      auto r = (*j)->Append(entries);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    EXPECT_EQ((*j)->last_seq(), 20u * 1024u);
  }
  alignas(inotify_event) char events[4096];
  const ssize_t read_bytes = ::read(watch, events, sizeof(events));
  ::close(watch);
  sqlite3_free(sqlite3_temp_directory);
  sqlite3_temp_directory = saved;
  EXPECT_LT(read_bytes, 0) << "SQLite created a temporary file while appending";
}

TEST_F(JournalTest, SurvivesReopenAndReplaysEverything) {
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE((*j)->Append(Entries({"e1", "e2"})).ok());
  }
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)->last_seq(), 2u);
  // The id filter is rebuilt from the table: earlier ids are still found.
  EXPECT_EQ(*(*j)->Lookup("e1"), std::optional<std::uint64_t>(1));
  auto again = (*j)->Append(Entries({"e2"}));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].duplicate);
  ASSERT_TRUE((*j)->Append(Entries({"e3"})).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE((*j)->ForEach(1,
                            [&](std::uint64_t seq, const JournalEntry& e) {
                              seen.push_back(std::to_string(seq) + ":" + e.event_id + ":" +
                                             e.payload);
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"2:e2:payload-e2", "3:e3:payload-e3"}));
  auto v = (*j)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->rows, 3u);
}

// A journal file deleted, or replaced by another, while open: appending
// would go to a file no path leads to (lost at the next open), so it is
// refused and nothing is written, whichever way the path changed.
TEST_F(JournalTest, AppendIsRefusedOnceTheFileWasDeletedOrReplaced) {
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_TRUE((*j)->Append(Entries({"e1"})).ok());
  fs::rename(path_, path_ + ".moved");
  auto refused = (*j)->Append(Entries({"e2"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kIoError);
  EXPECT_NE(refused.status().message().find(path_ + " was deleted or replaced"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ((*j)->last_seq(), 1u);
  // Put back (the same file): appending goes on.
  fs::rename(path_ + ".moved", path_);
  ASSERT_TRUE((*j)->Append(Entries({"e2"})).ok());
  EXPECT_EQ((*j)->last_seq(), 2u);
  // Deleted, with another file created at the path.
  fs::remove(path_);
  { std::ofstream(path_) << ""; }
  EXPECT_EQ((*j)->Append(Entries({"e3"})).status().code(), Status::Code::kIoError);
  fs::remove(path_);
  EXPECT_EQ((*j)->Append(Entries({"e3"})).status().code(), Status::Code::kIoError);
  EXPECT_EQ((*j)->last_seq(), 2u);
}

TEST_F(JournalTest, VerifyDetectsModifiedDeletedAndRechainedRows) {
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE((*j)->Append(Entries({"e1", "e2", "e3", "e4"})).ok());
  }
  Sql("UPDATE journal SET payload = X'00' WHERE seq = 2");
  {
    auto j = Journal::Open(path_);
    auto v = (*j)->Verify();
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->ok);
    EXPECT_EQ(v->first_bad_seq, 2u);
    EXPECT_NE(v->problem.find("modified"), std::string::npos);
  }
  Sql("DELETE FROM journal WHERE seq = 2");
  {
    auto j = Journal::Open(path_);
    auto v = (*j)->Verify();
    EXPECT_FALSE(v->ok);
    EXPECT_EQ(v->first_bad_seq, 3u);
    EXPECT_NE(v->problem.find("gap"), std::string::npos);
  }
  // Renumbering to hide the gap breaks the chain instead.
  Sql("UPDATE journal SET seq = seq - 1 WHERE seq > 2");
  {
    auto j = Journal::Open(path_);
    auto v = (*j)->Verify();
    EXPECT_FALSE(v->ok);
    EXPECT_EQ(v->first_bad_seq, 2u);
  }
}

TEST_F(JournalTest, MirrorKeepsTheSourceSequencesAndItsGapsVerify) {
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE(j.ok());
    const std::vector<std::uint64_t> seqs = {3, 4, 7};
    auto r = (*j)->AppendAt(Entries({"m1", "m2", "m1"}), seqs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].seq, 3u);
    EXPECT_EQ((*r)[1].seq, 4u);
    EXPECT_TRUE((*r)[2].duplicate);  // 7 is skipped, not stored
    EXPECT_EQ((*r)[2].seq, 3u);
    EXPECT_EQ((*j)->last_seq(), 4u);
    // Sequences must keep increasing; nothing is written otherwise.
    const std::vector<std::uint64_t> stale = {4};
    EXPECT_EQ((*j)->AppendAt(Entries({"m3"}), stale).status().code(),
              Status::Code::kInvalidArgument);
    const std::vector<std::uint64_t> next = {9};
    ASSERT_TRUE((*j)->AppendAt(Entries({"m3"}), next).ok());
    EXPECT_EQ(*(*j)->LookupInDatabase("m3"), std::optional<std::uint64_t>(9));
  }
  auto j = Journal::Open(path_);
  EXPECT_EQ((*j)->last_seq(), 9u);
  std::vector<std::uint64_t> replayed;
  ASSERT_TRUE((*j)->ForEach(0,
                            [&](std::uint64_t seq, const JournalEntry&) {
                              replayed.push_back(seq);
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(replayed, (std::vector<std::uint64_t>{3, 4, 9}));
  auto v = (*j)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->rows, 3u);
  // Deleting a mirrored row still breaks the chain.
  Sql("DELETE FROM journal WHERE seq = 4");
  auto again = Journal::Open(path_);
  v = (*again)->Verify();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 9u);
}

TEST_F(JournalTest, OriginIsRecordedOnceAndGuardsAgainstASwitch) {
  {
    auto j = Journal::Open(path_);
    EXPECT_EQ(*(*j)->Origin(), "");
    ASSERT_TRUE((*j)->SetOrigin("").ok());        // nothing to record
    ASSERT_TRUE((*j)->SetOrigin("nats:S").ok());  // empty: may change
    ASSERT_TRUE((*j)->SetOrigin("nats:S").ok());
    const std::vector<std::uint64_t> seqs = {5};
    ASSERT_TRUE((*j)->AppendAt(Entries({"x"}), seqs).ok());
  }
  auto j = Journal::Open(path_);
  EXPECT_EQ(*(*j)->Origin(), "nats:S");
  ASSERT_TRUE((*j)->SetOrigin("nats:S").ok());
  for (const char* other : {"", "nats:T"}) {
    const Status st = (*j)->SetOrigin(other);
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << other;
    EXPECT_NE(st.message().find("holds 5 event(s) of origin 'nats:S'"), std::string::npos)
        << st.ToString();
  }
  auto reader = Journal::OpenReadOnly(path_);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*(*reader)->Origin(), "nats:S");
}

TEST_F(JournalTest, HashCoversEveryField) {
  const JournalEntry e{"id", 5, "p"};
  const std::string zero(32, '\0');
  const std::string h = JournalRowHash(zero, 1, e);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_NE(h, JournalRowHash(zero, 2, e));
  EXPECT_NE(h, JournalRowHash(zero, 1, {"id2", 5, "p"}));
  EXPECT_NE(h, JournalRowHash(zero, 1, {"id", 6, "p"}));
  EXPECT_NE(h, JournalRowHash(zero, 1, {"id", 5, "q"}));
  EXPECT_NE(h, JournalRowHash(h, 1, e));
  // Length prefixes: moving a byte between fields changes the hash.
  EXPECT_NE(JournalRowHash(zero, 1, {"ab", 5, "c"}), JournalRowHash(zero, 1, {"a", 5, "bc"}));
}

// The chain's format never changes (journals written by earlier versions
// must verify): the row hash is SHA-256, computed here by another library
// (libsodium), over the documented layout.
TEST_F(JournalTest, RowHashIsSha256OfTheLengthPrefixedFields) {
  ASSERT_GE(sodium_init(), 0);
  auto u64 = [](std::uint64_t v) {
    std::string b(8, '\0');
    for (int i = 0; i < 8; ++i)
      b[static_cast<std::size_t>(7 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    return b;
  };
  auto field = [&](const std::string& f) { return u64(f.size()) + f; };
  const std::string prev(32, '\x5a');
  const JournalEntry e{"ev-17", 1'700'000'000'123'456'789, std::string("pay\0load", 8)};
  const std::string layout = field(prev) + u64(42) + field(e.event_id) +
                             u64(static_cast<std::uint64_t>(e.received_unix_ns)) + field(e.payload);
  unsigned char want[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(want, reinterpret_cast<const unsigned char*>(layout.data()), layout.size());
  EXPECT_EQ(JournalRowHash(prev, 42, e),
            std::string(reinterpret_cast<const char*>(want), sizeof want));
  EXPECT_EQ(Sha256("abc"),
            std::string("\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
                        "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad",
                        32));  // FIPS 180-2, appendix B.1
}

TEST_F(JournalTest, ReadOnlyOpenNeverCreatesAndReportsTheNewestRow) {
  auto missing = Journal::OpenReadOnly(path_);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound) << missing.status().ToString();
  EXPECT_FALSE(fs::exists(path_));
  Sql("CREATE TABLE other (x INTEGER)");  // a database, but no journal
  auto no_table = Journal::OpenReadOnly(path_);
  EXPECT_EQ(no_table.status().code(), Status::Code::kFailedPrecondition);
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE((*j)->Append(Entries({"e1", "e2", "e3"})).ok());
  }
  auto j = Journal::OpenReadOnly(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto v = (*j)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->rows, 3u);
  EXPECT_EQ(v->last_seq, 3u);
  // The hash of row 3, recomputed from the chain.
  std::string hash(32, '\0');
  std::uint64_t seq = 0;
  for (const auto& e : Entries({"e1", "e2", "e3"})) hash = JournalRowHash(hash, ++seq, e);
  EXPECT_EQ(v->last_hash, hash);
  EXPECT_EQ(HexBytes(v->last_hash).size(), 64u);
  EXPECT_EQ(HexBytes("\x01\xab"), "01ab");
  EXPECT_EQ((*j)->Append(Entries({"e4"})).status().code(), Status::Code::kFailedPrecondition);
}

// The connection the next Journal::Open() opens, caught by an SQLite
// auto-extension (run for every connection opened while registered), so a
// test can run statements on the journal's own connection: a PRAGMA
// max_page_count there makes its file "full" (SQLITE_FULL, what a full
// disk gives) without any hook in the journal's code.
class JournalConnection {
 public:
  JournalConnection() {
    caught_ = nullptr;
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(&Catch));
  }
  ~JournalConnection() { sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&Catch)); }
  JournalConnection(const JournalConnection&) = delete;
  JournalConnection& operator=(const JournalConnection&) = delete;
  sqlite3* db() const { return caught_; }
  std::int64_t Pragma(const std::string& pragma) const {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(caught_, ("PRAGMA " + pragma).c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(caught_);
    std::int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  // Room for `pages` more pages than the file has now: a write that needs
  // more fails with SQLITE_FULL.
  void Fill(int room) const {
    const std::int64_t pages = Pragma("page_count") + room;
    EXPECT_EQ(Pragma("max_page_count=" + std::to_string(pages)), pages);
  }
  void FreeSpace() const { EXPECT_GT(Pragma("max_page_count=1000000"), 100000); }

 private:
  static int Catch(sqlite3* db, const char**, const void*) {
    if (caught_ == nullptr) caught_ = db;
    return SQLITE_OK;
  }
  static inline sqlite3* caught_ = nullptr;
};

std::vector<JournalEntry> Numbered(const std::string& prefix, int n, std::size_t payload_bytes) {
  std::vector<JournalEntry> out;
  for (int k = 0; k < n; ++k) {
    out.push_back({prefix + std::to_string(k), 5000 + k,
                   std::to_string(k) + std::string(payload_bytes, 'x')});
  }
  return out;
}

// Every row's event id, in sequence order, as another connection reads them
// (what a replay or `riskctl verify-journal` sees).
std::vector<std::string> JournaledIds(const std::string& path) {
  std::vector<std::string> ids;
  auto reader = Journal::OpenReadOnly(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return ids;
  EXPECT_TRUE((*reader)
                  ->ForEach(0,
                            [&](std::uint64_t, const JournalEntry& e) {
                              ids.push_back(e.event_id);
                              return Status::Ok();
                            })
                  .ok());
  auto v = (*reader)->Verify();
  EXPECT_TRUE(v.ok() && v->ok) << (v.ok() ? v->problem : v.status().ToString());
  return ids;
}

// A batch that fails for a reason other than a duplicate (a full file:
// SQLITE_FULL in the middle of a group's INSERT, or of a single row's):
// the append is an error, nothing of the batch is visible (no row, the
// chain and the newest row as before, on this connection and another), no
// id of it is claimed, and once there is room again the same batch is
// appended whole: new rows, none answered duplicate, the chain intact.
TEST_F(JournalTest, ABatchThatFailsOnAFullFileLeavesNoTraceAndIsAcceptedWhenRetried) {
  JournalConnection connection;
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_NE(connection.db(), nullptr);
  const auto base = Numbered("base-", 40, 100);
  ASSERT_TRUE((*j)->Append(base).ok());
  const auto before = (*j)->Verify();
  ASSERT_TRUE(before.ok() && before->ok);
  ASSERT_EQ(before->last_seq, 40u);

  // Room for the first group of 32 rows, not the second: the batch fails
  // after rows of it were written in its transaction. Groups of 32 rows
  // (the third one holds a duplicate of a journaled id, so its rows go
  // one by one), and a batch too small for a group, which fails after its
  // first rows.
  connection.Fill(16);
  const auto large = [&] {
    auto batch = Numbered("group-", 100, 1000);
    batch[70] = base[3];
    return batch;
  }();
  const auto small = Numbered("row-", 5, 30000);
  for (const auto* batch : {&large, &small}) {
    auto r = (*j)->Append(*batch);
    ASSERT_FALSE(r.ok()) << batch->size();
    EXPECT_EQ(r.status().code(), Status::Code::kIoError) << r.status().ToString();
    EXPECT_NE(r.status().ToString().find("full"), std::string::npos) << r.status().ToString();
    EXPECT_EQ((*j)->last_seq(), 40u);
    for (const auto& e : *batch) {
      auto seq = (*j)->Lookup(e.event_id);
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      EXPECT_EQ(seq->has_value(), e.event_id == "base-3") << e.event_id;
    }
    auto after = (*j)->Verify();
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    EXPECT_TRUE(after->ok) << after->problem;
    EXPECT_EQ(after->rows, 40u);
    EXPECT_EQ(after->last_hash, before->last_hash);
    EXPECT_EQ(JournaledIds(path_).size(), 40u);
  }
  // A mirror's batch, at the sequences it was given, fails the same way.
  const std::vector<std::uint64_t> mirrored_seqs = {50, 51, 60};
  EXPECT_EQ((*j)->AppendAt(Numbered("m-", 3, 30000), mirrored_seqs).status().code(),
            Status::Code::kIoError);
  EXPECT_EQ((*j)->last_seq(), 40u);

  connection.FreeSpace();
  auto r = (*j)->Append(large);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::uint64_t seq = 41;
  for (std::size_t k = 0; k < large.size(); ++k) {
    EXPECT_EQ((*r)[k].duplicate, k == 70) << k;
    EXPECT_EQ((*r)[k].seq, k == 70 ? 4u : seq++) << k;
  }
  r = (*j)->Append(small);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const auto& a : *r) EXPECT_FALSE(a.duplicate);
  EXPECT_EQ((*j)->last_seq(), 40u + 99u + 5u);
  std::vector<std::string> expected;
  for (const auto* batch : {&base, &large, &small}) {
    for (const auto& e : *batch) {
      if (batch != &large || e.event_id != "base-3") expected.push_back(e.event_id);
    }
  }
  EXPECT_EQ(JournaledIds(path_), expected);
  // And a reopened journal (its filter rebuilt from the table) agrees.
  j->reset();
  auto reopened = Journal::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->last_seq(), 144u);
  EXPECT_EQ(*(*reopened)->Lookup("row-4"), std::optional<std::uint64_t>(144));
}

}  // namespace
}  // namespace riskd::connectors
