#include "daemon/base_network.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "connectors/store/journal.h"

namespace riskd::daemon {
namespace {

namespace fs = std::filesystem;

// A fresh directory (mkdtemp), removed with its files.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "riskd_digest_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The digest's definition (base_network.h): SHA-256 over each set field's
// name and each named file's content, every piece prefixed with its
// length as 8 bytes. Stored state stores carry digests computed this way,
// so how the files are read must not change it.
std::string ExpectedCsvDigest(const std::string& nodes, const std::string& edges) {
  std::string bytes;
  for (const std::string& piece :
       {std::string("csv"), std::string("nodes"), nodes, std::string("edges"), edges}) {
    const std::uint64_t n = piece.size();
    bytes.append(reinterpret_cast<const char*>(&n), sizeof n);
    bytes += piece;
  }
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return connectors::HexBytes(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

TEST(NetworkSourceDigestTest, IsTheDigestOfTheFieldsAndTheFilesContent) {
  const TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // Larger than the chunks the files are read in (64 KiB), not a multiple.
  std::string nodes = "id\n", edges = "from,to,weight\n";
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) nodes += "n" + std::to_string(i) + "\n";
  for (int i = 1; i < 20000; ++i) {
    edges += "n" + std::to_string(rng() % i) + ",n" + std::to_string(i) + "," +
             std::to_string(1 + rng() % 9) + "\n";
  }
  std::ofstream(dir.path() + "/nodes.csv", std::ios::binary) << nodes;
  std::ofstream(dir.path() + "/edges.csv", std::ios::binary) << edges;
  riskd::v1::NetworkSource source;
  source.mutable_csv()->set_nodes("nodes.csv");
  source.mutable_csv()->set_edges("edges.csv");

  auto digest = NetworkSourceDigest(source, dir.path());
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, ExpectedCsvDigest(nodes, edges));

  // One byte more at the end is another source.
  std::ofstream(dir.path() + "/edges.csv", std::ios::binary | std::ios::app) << "\n";
  auto changed = NetworkSourceDigest(source, dir.path());
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, ExpectedCsvDigest(nodes, edges + "\n"));
  EXPECT_NE(*changed, *digest);

  source.mutable_csv()->set_edges("missing.csv");
  EXPECT_EQ(NetworkSourceDigest(source, dir.path()).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace riskd::daemon
