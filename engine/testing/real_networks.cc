#include "engine/testing/real_networks.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace riskd::engine::testing {
namespace {

const std::string kDataDir = RISKD_DATA_DIR;

// Comma-separated lines of a file, BOM and CR stripped, without the header
// line if there is one.
Result<std::vector<std::vector<std::string>>> ReadRows(const std::string& path,
                                                       bool has_header = true) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot open " + path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::exchange(first, false) && has_header) continue;
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    rows.push_back(std::move(fields));
  }
  return rows;
}

// Adds nodes by id on first sight; keeps edges to add in one batch.
class Builder {
 public:
  NodeIndex Node(const std::string& id) {
    if (auto v = net_.Find(id)) return *v;
    NodeAttributes a;
    a.id = id;
    return *net_.AddNode(std::move(a));
  }
  void Edge(const std::string& from, const std::string& to, double w) {
    const NodeIndex f = Node(from), t = Node(to);
    if (f != t) weights_[{f, t}] += w;
  }
  Result<Network> Finish() {
    std::vector<engine::Edge> edges;
    for (const auto& [key, w] : weights_) edges.push_back({key.first, key.second, Layer::kMaterial, w});
    RISKD_RETURN_IF_ERROR(net_.AddEdges(edges));
    net_.Compact();
    return std::move(net_);
  }

 private:
  Network net_;
  std::map<std::pair<NodeIndex, NodeIndex>, double> weights_;
};

Result<Network> LoadWillems(const std::string& file) {
  auto rows = ReadRows(kDataDir + "/willems2008/" + file);
  if (!rows.ok()) return rows.status();
  Builder b;
  for (const auto& r : *rows) {
    if (r.empty()) continue;
    b.Node(r[0]);
    for (std::size_t k = 8; k + 1 < r.size(); k += 2) {
      if (r[k].empty()) continue;
      const double q = std::stod(r[k + 1]);
      if (q > 0) b.Edge(r[k], r[0], q);
    }
  }
  return b.Finish();
}

Result<Network> LoadSupplyGraph() {
  auto nodes = ReadRows(kDataDir + "/supplygraph/nodes/nodes.csv");
  if (!nodes.ok()) return nodes.status();
  Builder b;
  for (const auto& r : *nodes) b.Node(r.at(0));
  // Distinct (site, unordered pair) combinations.
  std::set<std::tuple<std::string, std::string, std::string>> shared;
  for (const char* file : {"edges_plant.csv", "edges_storage_location.csv"}) {
    auto rows = ReadRows(kDataDir + "/supplygraph/edges/" + file);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      if (r.size() < 3 || r[1] == r[2]) continue;
      shared.emplace(std::string(file) + r[0], std::min(r[1], r[2]), std::max(r[1], r[2]));
    }
  }
  for (const auto& [site, a, c] : shared) b.Edge(a, c, 1.0);
  return b.Finish();
}

Result<Network> LoadBea() {
  auto rows = ReadRows(kDataDir + "/bea_io_1997/IODirectRequirements.txt", false);
  if (!rows.ok()) return rows.status();
  Builder b;
  for (const auto& r : *rows) {
    if (r.size() < 4) continue;
    const double coefficient = std::stod(r[3]);
    if (coefficient > 0) b.Edge(r[0], r[1], coefficient);
  }
  return b.Finish();
}

}  // namespace

std::vector<std::string> RealNetworkNames() {
  return {"willems_01", "willems_20", "willems_38", "supplygraph", "bea_io_1997"};
}

Result<RealNetwork> LoadRealNetwork(const std::string& name) {
  RealNetwork out;
  out.name = name;
  Result<Network> net = Status::NotFound("unknown real network '" + name + "'");
  if (name.rfind("willems_", 0) == 0) {
    net = LoadWillems(name + ".csv");
  } else if (name == "supplygraph") {
    net = LoadSupplyGraph();
    out.direction = Direction::kBoth;
  } else if (name == "bea_io_1997") {
    net = LoadBea();
  }
  if (!net.ok()) return net.status();
  out.network = std::move(*net);
  return out;
}

}  // namespace riskd::engine::testing
