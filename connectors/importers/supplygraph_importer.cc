#include "connectors/importers/supplygraph_importer.h"

#include <map>
#include <set>
#include <vector>

#include "connectors/csv/csv_reader.h"

namespace riskd::connectors {
namespace {

// "130.0" -> "130"; other codes unchanged.
std::string SiteCode(std::string_view raw) {
  std::string code(Trim(raw));
  if (code.size() > 2 && code.compare(code.size() - 2, 2, ".0") == 0) code.resize(code.size() - 2);
  return code;
}

// "POP001L12P.1" -> "POP001L12P" when the stem is a known product.
std::string ProductColumn(std::string_view raw, const std::set<std::string>& products) {
  std::string name(Trim(raw));
  const auto dot = name.rfind('.');
  if (dot != std::string::npos && !products.count(name) && products.count(name.substr(0, dot)) &&
      ParseInt(std::string_view(name).substr(dot + 1))) {
    name.resize(dot);
  }
  return name;
}

Status ReadProducts(const std::string& path, std::vector<std::string>* order,
                    std::set<std::string>* products) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  const CsvHeader header(rec);
  if (!header.Find("Node")) return Status::InvalidArgument(path + ": missing column 'Node'");
  while (csv->Next(&rec)) {
    std::string id(Trim(header.Get(rec, "Node")));
    if (id.empty()) continue;
    if (products->insert(id).second) order->push_back(id);
  }
  return csv->status().WithContext(path);
}

struct Sites {
  std::map<std::string, std::set<std::string>> plants;    // product -> plant codes
  std::map<std::string, std::set<std::string>> storages;  // product -> storage codes
};

Status ReadSites(const std::string& path, const std::set<std::string>& products, Sites* sites) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  const CsvHeader header(rec);
  if (!header.Find("Node") || !header.Find("Plant") || !header.Find("Storage Location")) {
    return Status::InvalidArgument(path + ": needs columns Node, Plant, Storage Location");
  }
  while (csv->Next(&rec)) {
    const std::string where = path + ":" + std::to_string(csv->line());
    const std::string product(Trim(header.Get(rec, "Node")));
    if (!products.count(product)) {
      return Status::NotFound(where + ": product '" + product + "' is not in nodes.csv");
    }
    const std::string plant = SiteCode(header.Get(rec, "Plant"));
    if (plant.empty()) return Status::InvalidArgument(where + ": empty Plant");
    sites->plants[product].insert(plant);
    const std::string storage = SiteCode(header.Get(rec, "Storage Location"));
    if (!storage.empty()) sites->storages[product].insert(storage);
  }
  return csv->status().WithContext(path);
}

// Sum of each product's column over all dates.
Status ReadTotals(const std::string& path, const std::set<std::string>& products,
                  std::map<std::string, double>* totals) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  std::vector<std::string> column(rec.size());
  for (std::size_t i = 1; i < rec.size(); ++i) column[i] = ProductColumn(rec[i], products);
  while (csv->Next(&rec)) {
    for (std::size_t i = 1; i < rec.size() && i < column.size(); ++i) {
      if (!products.count(column[i])) continue;
      auto v = ParseDouble(rec[i]);
      if (!v || *v < 0) {
        return Status::InvalidArgument(path + ":" + std::to_string(csv->line()) + ": value of '" +
                                       column[i] + "' must be a number >= 0");
      }
      (*totals)[column[i]] += *v;
    }
  }
  return csv->status().WithContext(path);
}

Status AddSiteNodes(const std::map<std::string, std::set<std::string>>& by_product,
                    const std::string& prefix, const std::string& kind, engine::Network* network) {
  std::set<std::string> codes;
  for (const auto& [product, set] : by_product) codes.insert(set.begin(), set.end());
  for (const auto& code : codes) {
    engine::NodeAttributes a;
    a.id = prefix + code;
    a.name = a.id;
    a.kind = kind;
    auto added = network->AddNode(std::move(a));
    if (!added.ok()) return added.status();
  }
  return Status::Ok();
}

}  // namespace

Status SupplyGraphImporter::Import(engine::Network* network) const {
  std::vector<std::string> order;
  std::set<std::string> products;
  RISKD_RETURN_IF_ERROR(ReadProducts(dir_ + "/nodes/nodes.csv", &order, &products));
  Sites sites;
  RISKD_RETURN_IF_ERROR(ReadSites(dir_ + "/nodes/nodes_type_plant_storage.csv", products, &sites));
  std::map<std::string, double> produced, issued;
  RISKD_RETURN_IF_ERROR(
      ReadTotals(dir_ + "/temporal_data/weight/production.csv", products, &produced));
  RISKD_RETURN_IF_ERROR(
      ReadTotals(dir_ + "/temporal_data/weight/factory_issue.csv", products, &issued));

  for (const auto& id : order) {
    engine::NodeAttributes a;
    a.id = id;
    a.name = id;
    a.kind = "product";
    auto added = network->AddNode(std::move(a));
    if (!added.ok()) return added.status().WithContext(dir_);
  }
  RISKD_RETURN_IF_ERROR(AddSiteNodes(sites.plants, "plant-", "plant", network).WithContext(dir_));
  RISKD_RETURN_IF_ERROR(
      AddSiteNodes(sites.storages, "storage-", "warehouse", network).WithContext(dir_));

  auto share = [this](double total, std::size_t n) {
    const double w = total / static_cast<double>(n);
    return w > 0 ? w : options_.min_weight;
  };
  for (const auto& [product, plants] : sites.plants) {
    for (const auto& plant : plants) {
      RISKD_RETURN_IF_ERROR(network->AddEdge("plant-" + plant, product, engine::Layer::kMaterial,
                                             share(produced[product], plants.size())));
    }
  }
  for (const auto& [product, storages] : sites.storages) {
    for (const auto& storage : storages) {
      RISKD_RETURN_IF_ERROR(network->AddEdge(product, "storage-" + storage,
                                             engine::Layer::kMaterial,
                                             share(issued[product], storages.size())));
    }
  }
  return Status::Ok();
}

}  // namespace riskd::connectors
