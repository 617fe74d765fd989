#include "connectors/importers/csv_importer.h"

#include <set>

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
    if (!header.Find(name)) return Status::InvalidArgument(path + ": missing column '" + name + "'");
  }
  return Status::Ok();
}

std::string Where(const std::string& path, std::size_t line) {
  return path + ":" + std::to_string(line);
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
  auto nodes = CsvReader::FromFile(nodes_path_);
  if (!nodes.ok()) return nodes.status();
  std::vector<std::string> rec;
  if (!nodes->Next(&rec)) return Status::InvalidArgument(nodes_path_ + ": no header row");
  const CsvHeader nh(rec);
  RISKD_RETURN_IF_ERROR(CheckColumns(
      nh,
      {"id", "name", "kind", "tier", "region", "lat", "lon", "inventory_days", "alternates",
       "emergency_plan_id"},
      {"id"}, nodes_path_));
  while (nodes->Next(&rec)) {
    const std::string where = Where(nodes_path_, nodes->line());
    engine::NodeAttributes a;
    a.id = std::string(Trim(nh.Get(rec, "id")));
    a.name = std::string(Trim(nh.Get(rec, "name")));
    a.kind = std::string(Trim(nh.Get(rec, "kind")));
    a.region = std::string(Trim(nh.Get(rec, "region")));
    a.emergency_plan_id = std::string(Trim(nh.Get(rec, "emergency_plan_id")));
    if (auto t = Trim(nh.Get(rec, "tier")); !t.empty()) {
      auto v = ParseInt(t);
      if (!v) return Status::InvalidArgument(where + ": tier '" + std::string(t) + "' is not an integer");
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
    std::string_view alts = nh.Get(rec, "alternates");
    while (!alts.empty()) {
      const auto cut = alts.find(';');
      const auto part = Trim(alts.substr(0, cut));
      if (!part.empty()) a.alternates.emplace_back(part);
      if (cut == std::string_view::npos) break;
      alts.remove_prefix(cut + 1);
    }
    auto added = network->AddNode(std::move(a));
    if (!added.ok()) return added.status().WithContext(where);
  }
  RISKD_RETURN_IF_ERROR(nodes->status().WithContext(nodes_path_));

  auto edges = CsvReader::FromFile(edges_path_);
  if (!edges.ok()) return edges.status();
  if (!edges->Next(&rec)) return Status::InvalidArgument(edges_path_ + ": no header row");
  const CsvHeader eh(rec);
  RISKD_RETURN_IF_ERROR(
      CheckColumns(eh, {"from", "to", "weight", "layer"}, {"from", "to", "weight"}, edges_path_));
  while (edges->Next(&rec)) {
    const std::string where = Where(edges_path_, edges->line());
    auto weight = ParseDouble(eh.Get(rec, "weight"));
    if (!weight) return Status::InvalidArgument(where + ": weight is not a number");
    auto layer = ParseLayerName(eh.Get(rec, "layer"));
    if (!layer.ok()) return layer.status().WithContext(where);
    RISKD_RETURN_IF_ERROR(network
                              ->AddEdge(Trim(eh.Get(rec, "from")), Trim(eh.Get(rec, "to")),
                                        *layer, *weight)
                              .WithContext(where));
  }
  return edges->status().WithContext(edges_path_);
}

}  // namespace riskd::connectors
