#include "connectors/importers/csv_importer.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <set>
#include <tuple>

namespace riskd::connectors {
namespace {

Status CheckColumns(const CsvHeader& header, const std::set<std::string>& allowed,
                    const std::set<std::string>& required, const std::string& path) {
  for (const auto& name : header.names()) {
    if (!allowed.count(name)) {
      return Status::InvalidArgument(path + ": unknown column '" + name + "'");
    }
  }
  for (const auto& name : required) {
    if (!header.Find(name))
      return Status::InvalidArgument(path + ": missing column '" + name + "'");
  }
  return Status::Ok();
}

std::string Where(const std::string& path, std::size_t line) {
  return path + ":" + std::to_string(line);
}

// The line of a row, made into "path:line" only for an error message (a
// million rows would otherwise build a million strings).
struct RowPlace {
  const std::string& path;
  std::size_t line;
  std::string str() const { return Where(path, line); }
};

// One row of nodes.csv, added to the network.
Status AddNodeRow(const CsvHeader& nh, const std::vector<std::string>& rec, const RowPlace& at,
                  engine::Network* network) {
  engine::NodeAttributes a;
  a.id = std::string(Trim(nh.Get(rec, "id")));
  a.name = std::string(Trim(nh.Get(rec, "name")));
  a.kind = std::string(Trim(nh.Get(rec, "kind")));
  a.region = std::string(Trim(nh.Get(rec, "region")));
  a.emergency_plan_id = std::string(Trim(nh.Get(rec, "emergency_plan_id")));
  if (auto t = Trim(nh.Get(rec, "tier")); !t.empty()) {
    auto v = ParseInt(t);
    if (!v)
      return Status::InvalidArgument(at.str() + ": tier '" + std::string(t) +
                                     "' is not an integer");
    a.tier = static_cast<int>(*v);
  }
  const auto lat_s = Trim(nh.Get(rec, "lat")), lon_s = Trim(nh.Get(rec, "lon"));
  if (!lat_s.empty() || !lon_s.empty()) {
    auto lat = ParseDouble(lat_s), lon = ParseDouble(lon_s);
    if (!lat || !lon) return Status::InvalidArgument(at.str() + ": lat/lon must both be numbers");
    a.location = engine::GeoPoint{*lat, *lon};
  }
  if (auto inv = Trim(nh.Get(rec, "inventory_days")); !inv.empty()) {
    auto v = ParseDouble(inv);
    if (!v) return Status::InvalidArgument(at.str() + ": inventory_days is not a number");
    a.inventory_days = *v;
  }
  if (auto value = Trim(nh.Get(rec, "value")); !value.empty()) {
    auto v = ParseDouble(value);
    if (!v) return Status::InvalidArgument(at.str() + ": value is not a number");
    RISKD_RETURN_IF_ERROR(CheckWeightOrValue("value", *v).WithContext(at.str()));
    a.value = *v;
  }
  std::string_view alts = nh.Get(rec, "alternates");
  while (!alts.empty()) {
    const auto cut = alts.find(';');
    const auto part = Trim(alts.substr(0, cut));
    if (!part.empty()) a.alternates.emplace_back(part);
    if (cut == std::string_view::npos) break;
    alts.remove_prefix(cut + 1);
  }
  RISKD_RETURN_IF_ERROR(CheckNodeText(a).WithContext(at.str()));
  Status added = network->AddNode(std::move(a)).status();
  if (!added.ok()) return added.WithContext(at.str());
  return Status::Ok();
}

// One row of edges.csv, checked against the network (not added yet).
Result<engine::Edge> ParseEdgeRow(const CsvHeader& eh, const std::vector<std::string>& rec,
                                  const RowPlace& at, const engine::Network& network) {
  auto weight = ParseDouble(eh.Get(rec, "weight"));
  if (!weight) return Status::InvalidArgument(at.str() + ": weight is not a number");
  if (Status valid = engine::ValidateEdgeWeight(*weight); !valid.ok()) {
    return valid.WithContext(at.str());
  }
  RISKD_RETURN_IF_ERROR(CheckWeightOrValue("weight", *weight).WithContext(at.str()));
  auto layer = ParseLayerName(eh.Get(rec, "layer"));
  if (!layer.ok()) return layer.status().WithContext(at.str());
  const auto from_id = Trim(eh.Get(rec, "from")), to_id = Trim(eh.Get(rec, "to"));
  const auto from = network.Find(from_id), to = network.Find(to_id);
  if (!from) {
    return Status::NotFound(at.str() + ": node '" + std::string(from_id) +
                            "' is not in the network");
  }
  if (!to)
    return Status::NotFound(at.str() + ": node '" + std::string(to_id) + "' is not in the network");
  if (*from == *to)
    return Status::InvalidArgument(at.str() + ": self-loop on node '" + std::string(from_id) + "'");
  if (network.FindEdge(*from, *to, *layer)) {
    return Status::AlreadyExists(at.str() + ": edge '" + std::string(from_id) + "' -> '" +
                                 std::string(to_id) + "' already exists");
  }
  return engine::Edge{*from, *to, *layer, *weight};
}

// "a,b,1" and a line end: the shortest row that can be an edge.
constexpr std::uintmax_t kShortestRowBytes = 6;

auto EdgeKey(const engine::Edge& e) { return std::make_tuple(e.from, e.to, e.layer); }

}  // namespace

Result<engine::Layer> ParseLayerName(std::string_view name) {
  std::string lower(Trim(name));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "material") return engine::Layer::kMaterial;
  if (lower == "data") return engine::Layer::kData;
  if (lower == "financial") return engine::Layer::kFinancial;
  return Status::InvalidArgument("unknown layer '" + std::string(name) +
                                 "' (material, data or financial)");
}

Status CsvImporter::Import(engine::Network* network) const {
  RISKD_RETURN_IF_ERROR(ImportNodes(network));
  // Every row is checked on its own as it is read (so errors name their
  // line) and kept as an engine::Edge of node indices (24 bytes, no
  // strings); then all edges go in with one bulk insert: a million edges cost
  // one CSR build rather than a million overlay entries. The file is read a
  // chunk at a time, the batch is sized once to a bound on its rows, and it is
  // sorted in place, so at the peak (the CSR being built) the batch is the
  // only other copy of the edges: 24 + 17 bytes per edge.
  std::vector<engine::Edge> batch;
  RISKD_RETURN_IF_ERROR(ReadEdges(*network, &batch));
  std::sort(batch.begin(), batch.end(),
            [](const engine::Edge& a, const engine::Edge& b) { return EdgeKey(a) < EdgeKey(b); });
  const auto repeat = std::adjacent_find(
      batch.begin(), batch.end(),
      [](const engine::Edge& a, const engine::Edge& b) { return EdgeKey(a) == EdgeKey(b); });
  if (repeat != batch.end()) return RepeatedEdgeError(*network, *repeat);
  return network->AddEdges(batch).WithContext(edges_path_);
}

Status CsvImporter::ImportNodes(engine::Network* network) const {
  auto nodes = CsvReader::FromFile(nodes_path_);
  if (!nodes.ok()) return nodes.status();
  std::vector<std::string> rec;
  if (!nodes->Next(&rec)) return Status::InvalidArgument(nodes_path_ + ": no header row");
  const CsvHeader nh(rec);
  RISKD_RETURN_IF_ERROR(CheckColumns(nh,
                                     {"id", "name", "kind", "tier", "region", "lat", "lon",
                                      "inventory_days", "alternates", "emergency_plan_id", "value"},
                                     {"id"}, nodes_path_));
  while (nodes->Next(&rec)) {
    RISKD_RETURN_IF_ERROR(AddNodeRow(nh, rec, RowPlace{nodes_path_, nodes->line()}, network));
  }
  return nodes->status().WithContext(nodes_path_);
}

Result<CsvReader> CsvImporter::OpenEdges(std::optional<CsvHeader>* header) const {
  auto edges = CsvReader::FromFile(edges_path_);
  if (!edges.ok()) return edges.status();
  std::vector<std::string> rec;
  if (!edges->Next(&rec)) return Status::InvalidArgument(edges_path_ + ": no header row");
  header->emplace(rec);
  RISKD_RETURN_IF_ERROR(CheckColumns(**header, {"from", "to", "weight", "layer"},
                                     {"from", "to", "weight"}, edges_path_));
  return edges;
}

Status CsvImporter::ReadEdges(const engine::Network& network,
                              std::vector<engine::Edge>* batch) const {
  std::optional<CsvHeader> eh;
  auto edges = OpenEdges(&eh);
  if (!edges.ok()) return edges.status();
  // Sized once from the file's line count (a bound on its rows): growing
  // by doubling would hold 1.5 batches while the last one is copied. Blank
  // lines count too, so a file of them would ask for 24 bytes per byte: no
  // more than a row per kShortestRowBytes of the file is reserved.
  // Only a regular file can be read twice: a pipe (/dev/fd/N) would be
  // drained by the count, so its batch grows as it is read instead.
  std::error_code ec;
  if (std::filesystem::is_regular_file(edges_path_, ec)) {
    auto lines = CountLines(edges_path_);
    if (!lines.ok()) return lines.status();
    const std::uintmax_t bytes = std::filesystem::file_size(edges_path_, ec);
    batch->reserve(ec ? *lines : std::min<std::uintmax_t>(*lines, bytes / kShortestRowBytes));
  }
  std::vector<std::string> rec;
  while (edges->Next(&rec)) {
    auto edge = ParseEdgeRow(*eh, rec, RowPlace{edges_path_, edges->line()}, network);
    if (!edge.ok()) return edge.status();
    batch->push_back(*edge);
  }
  return edges->status().WithContext(edges_path_);
}

Status CsvImporter::RepeatedEdgeError(const engine::Network& network,
                                      const engine::Edge& repeated) const {
  // The rows were checked and parsed once already, so they parse again; the
  // first two with the edge's key are the lines to name.
  const std::string edge = "edge '" + std::string(network.id(repeated.from)) + "' -> '" +
                           std::string(network.id(repeated.to)) + "'";
  std::optional<CsvHeader> eh;
  auto edges = OpenEdges(&eh);
  if (!edges.ok()) return edges.status();
  std::size_t first_line = 0;
  std::vector<std::string> rec;
  while (edges->Next(&rec)) {
    const auto layer = ParseLayerName(eh->Get(rec, "layer"));
    if (!layer.ok() || *layer != repeated.layer) continue;
    if (network.Find(Trim(eh->Get(rec, "from"))) != repeated.from ||
        network.Find(Trim(eh->Get(rec, "to"))) != repeated.to) {
      continue;
    }
    if (first_line == 0) {
      first_line = edges->line();
      continue;
    }
    return Status::AlreadyExists(Where(edges_path_, edges->line()) + ": " + edge +
                                 " repeats line " + std::to_string(first_line));
  }
  RISKD_RETURN_IF_ERROR(edges->status().WithContext(edges_path_));
  return Status::AlreadyExists(edges_path_ + ": " + edge +
                               " is listed twice (the file changed while it was read)");
}

}  // namespace riskd::connectors
