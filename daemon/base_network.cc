#include "daemon/base_network.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "connectors/importers/importer.h"
#include "connectors/store/journal.h"

namespace riskd::daemon {
namespace {

namespace fs = std::filesystem;
using google::protobuf::FieldDescriptor;

class Digest {
 public:
  Digest() { crypto_hash_sha256_init(&state_); }
  void Add(std::string_view bytes) {
    const std::uint64_t n = bytes.size();  // length prefix: unambiguous fields
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
  }
  // Add(the file's content), read a chunk at a time: the length prefix
  // comes from fstat, so a 21 MB edge list is never held in memory (it was,
  // twice over while a string grew to hold it, at every start).
  Status AddFile(const fs::path& path) {
    const auto cannot_read = [&] { return Status::IoError("cannot read '" + path.string() + "'"); };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    struct stat info {};
    if (!file || ::fstat(::fileno(file.get()), &info) != 0) return cannot_read();
    const std::uint64_t n = static_cast<std::uint64_t>(info.st_size);
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    std::vector<unsigned char> chunk(64 * 1024);
    std::uint64_t read = 0;
    std::size_t got = 0;
    while ((got = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0) {
      crypto_hash_sha256_update(&state_, chunk.data(), got);
      read += got;
    }
    if (std::ferror(file.get())) return cannot_read();
    if (read != n) {
      return Status::IoError(
          "'" + path.string() +
          "' changed while its digest was computed; retry when the file is complete");
    }
    return Status::Ok();
  }
  // A file, or every regular file under a directory in name order.
  Status AddPath(const fs::path& path) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return AddFile(path);
    if (!fs::is_directory(path, ec)) {
      return Status::NotFound("network source '" + path.string() + "' does not exist");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (ec) return Status::IoError("cannot list '" + path.string() + "': " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Add(fs::relative(f, path).generic_string());
      RISKD_RETURN_IF_ERROR(AddFile(f));
    }
    return Status::Ok();
  }
  std::string Hex() {
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, out);
    return connectors::HexBytes(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
  }

 private:
  crypto_hash_sha256_state state_;
};

// Every set field, by reflection, so a new importer's settings count too:
// string fields are paths (their content counts), others their value.
Status AddMessage(const google::protobuf::Message& m, const std::string& dir, Digest* digest) {
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    digest->Add(f->name());
    const auto* r = m.GetReflection();
    if (f->is_repeated()) {
      digest->Add(std::to_string(r->FieldSize(m, f)));
      continue;  // no repeated fields in NetworkSource today
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        RISKD_RETURN_IF_ERROR(AddMessage(r->GetMessage(m, f), dir, digest));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        RISKD_RETURN_IF_ERROR(digest->AddPath(connectors::ResolvePath(dir, r->GetString(m, f))));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        digest->Add(std::to_string(r->GetEnumValue(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        digest->Add(r->GetBool(m, f) ? "1" : "0");
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        digest->Add(std::to_string(r->GetInt32(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        digest->Add(std::to_string(r->GetInt64(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        digest->Add(std::to_string(r->GetUInt32(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        digest->Add(std::to_string(r->GetUInt64(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        digest->Add(std::to_string(r->GetDouble(m, f)));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        digest->Add(std::to_string(r->GetFloat(m, f)));
        break;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> NetworkSourceDigest(const riskd::v1::NetworkSource& source,
                                        const std::string& config_dir) {
  if (sodium_init() < 0) return Status::Internal("libsodium initialisation failed");
  Digest digest;
  RISKD_RETURN_IF_ERROR(AddMessage(source, config_dir, &digest));
  return digest.Hex();
}

Result<BaseNetwork> LoadBaseNetwork(connectors::StateStore* store,
                                    const riskd::v1::NetworkSource& source,
                                    const std::string& config_dir, bool reimport) {
  auto digest = NetworkSourceDigest(source, config_dir);
  if (!digest.ok()) return digest.status().WithContext("network");
  auto has = store->HasNetwork();
  if (!has.ok()) return has.status();
  if (*has && !reimport) {
    auto stored = store->NetworkDigest();
    if (!stored.ok()) return stored.status();
    if (stored->empty()) {
      spdlog::info("stored base network has no source digest yet; recording {}", *digest);
      RISKD_RETURN_IF_ERROR(store->SetNetworkDigest(*digest));
    } else if (*stored != *digest) {
      return Status::FailedPrecondition(
          "network: the configured source changed since it was imported (stored digest " +
          stored->substr(0, 16) + "..., source now " + digest->substr(0, 16) +
          "...); riskd keeps using the stored network only when told: point `network` back at "
          "the imported files, or re-import with riskd --reimport-network (or riskctl import "
          "while riskd is stopped); the journal is replayed on the new network");
    }
    auto network = store->LoadNetwork();
    if (!network.ok()) return network.status().WithContext("network");
    return BaseNetwork{std::move(*network), false};
  }
  auto network = connectors::ImportNetwork(source, config_dir);
  if (!network.ok()) return network.status().WithContext("network");
  RISKD_RETURN_IF_ERROR(store->SaveNetwork(*network));
  RISKD_RETURN_IF_ERROR(store->SetNetworkDigest(*digest));
  spdlog::info("{} base network: {} nodes, {} edges (source digest {})",
               *has ? "re-imported" : "imported", network->node_count(), network->edge_count(),
               *digest);
  return BaseNetwork{std::move(*network), true};
}

}  // namespace riskd::daemon
