#include "engine/testing/graphs.h"

#include <random>
#include <set>

namespace riskd::engine::testing {

Network MakeNetwork(int n, const std::vector<std::tuple<int, int, double>>& edges) {
  Network net;
  for (int i = 0; i < n; ++i) {
    NodeAttributes a;
    a.id = "n";  // appended, not "n" + ...: GCC 12 -O3 warns falsely (-Wrestrict)
    a.id += std::to_string(i);
    (void)net.AddNode(std::move(a));
  }
  for (const auto& [f, t, w] : edges) {
    (void)net.AddEdge(static_cast<NodeIndex>(f), static_cast<NodeIndex>(t), Layer::kMaterial, w);
  }
  net.Compact();
  return net;
}

Network RandomTree(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::tuple<int, int, double>> edges;
  for (int v = 1; v < n; ++v) {
    const int parent = std::uniform_int_distribution<int>(0, v - 1)(rng);
    const double w = std::uniform_real_distribution<double>(0.5, 2.0)(rng);
    if (rng() & 1) {
      edges.emplace_back(parent, v, w);
    } else {
      edges.emplace_back(v, parent, w);
    }
  }
  return MakeNetwork(n, edges);
}

Network RandomGraph(int n, int m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<std::pair<int, int>> seen;
  std::vector<std::tuple<int, int, double>> edges;
  std::uniform_int_distribution<int> pick(0, n - 1);
  while (static_cast<int>(edges.size()) < m) {
    int a = pick(rng), b = pick(rng);
    if (a == b || seen.count({std::min(a, b), std::max(a, b)})) continue;
    seen.insert({std::min(a, b), std::max(a, b)});
    edges.emplace_back(a, b, std::uniform_real_distribution<double>(0.5, 2.0)(rng));
  }
  return MakeNetwork(n, edges);
}

TransmissionGraph BuildGraph(const Network& net, Direction direction, double alpha, double beta,
                             VulnerabilityOptions::Mode mode) {
  RiskType t;
  t.alpha = alpha;
  t.beta = beta;
  t.direction = direction;
  VulnerabilityOptions vo;
  vo.mode = mode;
  return BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, vo));
}

}  // namespace riskd::engine::testing
