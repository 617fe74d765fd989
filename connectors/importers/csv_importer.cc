#include "connectors/importers/csv_importer.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "connectors/csv/csv_reader.h"

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

// One row of nodes.csv, added to the network.
Status AddNodeRow(const CsvHeader& nh, const std::vector<std::string>& rec,
                  const std::string& where, engine::Network* network) {
  engine::NodeAttributes a;
  a.id = std::string(Trim(nh.Get(rec, "id")));
  a.name = std::string(Trim(nh.Get(rec, "name")));
  a.kind = std::string(Trim(nh.Get(rec, "kind")));
  a.region = std::string(Trim(nh.Get(rec, "region")));
  a.emergency_plan_id = std::string(Trim(nh.Get(rec, "emergency_plan_id")));
  if (auto t = Trim(nh.Get(rec, "tier")); !t.empty()) {
    auto v = ParseInt(t);
    if (!v)
      return Status::InvalidArgument(where + ": tier '" + std::string(t) + "' is not an integer");
    a.tier = static_cast<int>(*v);
  }
  const auto lat_s = Trim(nh.Get(rec, "lat")), lon_s = Trim(nh.Get(rec, "lon"));
  if (!lat_s.empty() || !lon_s.empty()) {
    auto lat = ParseDouble(lat_s), lon = ParseDouble(lon_s);
    if (!lat || !lon) return Status::InvalidArgument(where + ": lat/lon must both be numbers");
    a.location = engine::GeoPoint{*lat, *lon};
  }
  if (auto inv = Trim(nh.Get(rec, "inventory_days")); !inv.empty()) {
    auto v = ParseDouble(inv);
    if (!v) return Status::InvalidArgument(where + ": inventory_days is not a number");
    a.inventory_days = *v;
  }
  if (auto value = Trim(nh.Get(rec, "value")); !value.empty()) {
    auto v = ParseDouble(value);
    if (!v) return Status::InvalidArgument(where + ": value is not a number");
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
  return network->AddNode(std::move(a)).status().WithContext(where);
}

// One row of edges.csv, checked against the network (not added yet).
Result<engine::Edge> ParseEdgeRow(const CsvHeader& eh, const std::vector<std::string>& rec,
                                  const std::string& where, const engine::Network& network) {
  auto weight = ParseDouble(eh.Get(rec, "weight"));
  if (!weight) return Status::InvalidArgument(where + ": weight is not a number");
  RISKD_RETURN_IF_ERROR(engine::ValidateEdgeWeight(*weight).WithContext(where));
  auto layer = ParseLayerName(eh.Get(rec, "layer"));
  if (!layer.ok()) return layer.status().WithContext(where);
  const auto from_id = Trim(eh.Get(rec, "from")), to_id = Trim(eh.Get(rec, "to"));
  const auto from = network.Find(from_id), to = network.Find(to_id);
  if (!from)
    return Status::NotFound(where + ": node '" + std::string(from_id) + "' is not in the network");
  if (!to)
    return Status::NotFound(where + ": node '" + std::string(to_id) + "' is not in the network");
  if (*from == *to)
    return Status::InvalidArgument(where + ": self-loop on node '" + std::string(from_id) + "'");
  if (network.FindEdge(*from, *to, *layer)) {
    return Status::AlreadyExists(where + ": edge '" + std::string(from_id) + "' -> '" +
                                 std::string(to_id) + "' already exists");
  }
  return engine::Edge{*from, *to, *layer, *weight};
}

// Repeated rows within the file are an error naming both lines; otherwise
// puts the batch in (from, to, layer) order, in place, and frees `lines`.
Status SortEdgesRejectingRepeats(const std::string& edges_path, const engine::Network& network,
                                 std::vector<engine::Edge>* batch,
                                 std::vector<std::size_t>* lines) {
  std::vector<std::size_t> order(batch->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](std::size_t i) {
    return std::make_tuple((*batch)[i].from, (*batch)[i].to, (*batch)[i].layer);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return key(a) != key(b) ? key(a) < key(b) : a < b;
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (key(order[k]) == key(order[k - 1])) {
      const auto& e = (*batch)[order[k]];
      return Status::AlreadyExists(Where(edges_path, (*lines)[order[k]]) + ": edge '" +
                                   std::string(network.id(e.from)) + "' -> '" +
                                   std::string(network.id(e.to)) + "' repeats line " +
                                   std::to_string((*lines)[order[k - 1]]));
    }
  }
  std::vector<std::size_t>().swap(*lines);
  // Put the batch in that order in place, cycle by cycle (order[k] is the
  // row that belongs at k; a visited slot is marked by order[k] == k).
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (order[k] == k) continue;
    const engine::Edge held = (*batch)[k];
    std::size_t at = k;
    while (order[at] != k) {
      const std::size_t from = order[at];
      (*batch)[at] = (*batch)[from];
      order[at] = at;
      at = from;
    }
    (*batch)[at] = held;
    order[at] = at;
  }
  return Status::Ok();
}

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
  // Every row is checked on its own (so errors name their line), then all
  // edges go in with one bulk insert: a million edges cost one CSR build
  // rather than a million overlay entries. The file's text is dropped before
  // the rows are sorted, and the rows are sorted in place, so the batch is
  // the only copy of the edges next to the network's CSR.
  std::vector<engine::Edge> batch;
  std::vector<std::size_t> lines;
  RISKD_RETURN_IF_ERROR(ReadEdges(*network, &batch, &lines));
  RISKD_RETURN_IF_ERROR(SortEdgesRejectingRepeats(edges_path_, *network, &batch, &lines));
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
    const std::string where = Where(nodes_path_, nodes->line());
    RISKD_RETURN_IF_ERROR(AddNodeRow(nh, rec, where, network));
  }
  return nodes->status().WithContext(nodes_path_);
}

Status CsvImporter::ReadEdges(const engine::Network& network, std::vector<engine::Edge>* batch,
                              std::vector<std::size_t>* lines) const {
  auto edges = CsvReader::FromFile(edges_path_);
  if (!edges.ok()) return edges.status();
  std::vector<std::string> rec;
  if (!edges->Next(&rec)) return Status::InvalidArgument(edges_path_ + ": no header row");
  const CsvHeader eh(rec);
  RISKD_RETURN_IF_ERROR(
      CheckColumns(eh, {"from", "to", "weight", "layer"}, {"from", "to", "weight"}, edges_path_));
  while (edges->Next(&rec)) {
    const std::string where = Where(edges_path_, edges->line());
    auto edge = ParseEdgeRow(eh, rec, where, network);
    if (!edge.ok()) return edge.status();
    batch->push_back(*edge);
    lines->push_back(edges->line());
  }
  return edges->status().WithContext(edges_path_);
}

}  // namespace riskd::connectors
