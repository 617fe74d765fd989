#include "daemon/checkpoints.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace riskd::daemon {
namespace {

namespace fs = std::filesystem;

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The names in `dir` (not the directory's path).
std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// The names of the moved checkpoint files themselves (not their WAL and
// shared-memory files).
std::set<std::string> Damaged(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& n : Names(dir)) {
    if (n.rfind("riskd.db.checkpoint.damaged-", 0) == 0 && n.find("-wal") == std::string::npos &&
        n.find("-shm") == std::string::npos) {
      out.insert(n);
    }
  }
  return out;
}

// Damage moves the file with its WAL and shared-memory files under one new
// name, never over an earlier `.damaged-*` (the first damaged file stays
// to be looked at), and a new checkpoint file is started. Any other error
// leaves the file as it is, and no store is returned (this run goes
// without checkpoints): a lock or a full disk is not damage.
TEST(RecoverCheckpointStoreTest, OnlyDamageMovesTheFilesAsideAndNeverOverAnEarlierOne) {
  const fs::path dir = fs::path(::testing::TempDir()) / "recover_checkpoint_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string database = (dir / "riskd.db").string();
  const std::string path = connectors::CheckpointStore::PathFor(database);
  WriteFile(path, "good");
  EXPECT_EQ(RecoverCheckpointStore(database, Status::IoError("database is locked")), nullptr);
  EXPECT_EQ(ReadFile(path), "good");
  EXPECT_EQ(Names(dir), (std::set<std::string>{"riskd.db.checkpoint"}));

  for (const char* suffix : {"", "-wal", "-shm"}) WriteFile(path + suffix, "first");
  auto fresh = RecoverCheckpointStore(database, Status::Corruption("malformed"));
  ASSERT_NE(fresh, nullptr);
  ASSERT_EQ(Damaged(dir).size(), 1u);
  const std::string first = *Damaged(dir).begin();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(ReadFile((dir / first).string() + suffix), "first") << suffix;
  }
  fresh.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);

  // Damaged again (likely within the same second): a name of its own.
  WriteFile(path, "second");
  ASSERT_NE(RecoverCheckpointStore(database, Status::Corruption("malformed")), nullptr);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(ReadFile((dir / first).string() + suffix), "first") << suffix;
  }
  const std::set<std::string> both = Damaged(dir);
  ASSERT_EQ(both.size(), 2u);
  for (const auto& n : both) {
    if (n != first) {
      EXPECT_EQ(ReadFile((dir / n).string()), "second");
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace riskd::daemon
