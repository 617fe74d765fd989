#include "engine/testing/generators.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <unordered_set>
#include <vector>

namespace riskd::engine {
namespace {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t Below(std::size_t n) {
    return static_cast<std::size_t>(Unit() * static_cast<double>(n));
  }

 private:
  std::mt19937_64 engine_;
};

Network Assemble(std::size_t n, std::vector<Edge> edges, const GeneratorOptions& opt, Random* rnd) {
  Network net;
  for (std::size_t i = 0; i < n; ++i) {
    NodeAttributes a;
    a.id = "n";  // appended, not "n" + ...: GCC 12 -O3 warns falsely (-Wrestrict)
    a.id += std::to_string(i);
    (void)net.AddNode(std::move(a));
  }
  for (Edge& e : edges) e.weight = opt.min_weight + (opt.max_weight - opt.min_weight) * rnd->Unit();
  // Sorted, the batch merges in place (no copy of a million edges).
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    return std::tie(a.from, a.to, a.layer) < std::tie(b.from, b.to, b.layer);
  });
  (void)net.AddEdges(edges);
  return net;
}

std::uint64_t PairKey(std::size_t a, std::size_t b) {
  return static_cast<std::uint64_t>(std::min(a, b)) << 32 | std::max(a, b);
}

}  // namespace

Network BarabasiAlbert(std::size_t n, std::size_t m, const GeneratorOptions& opt) {
  Random rnd(opt.seed);
  std::vector<Edge> edges;
  std::vector<NodeIndex> endpoints;  // each node once per incident edge
  auto link = [&](std::size_t from, std::size_t to) {
    edges.push_back(
        {static_cast<NodeIndex>(from), static_cast<NodeIndex>(to), Layer::kMaterial, 1});
    endpoints.push_back(static_cast<NodeIndex>(from));
    endpoints.push_back(static_cast<NodeIndex>(to));
  };
  for (std::size_t a = 0; a <= m && a < n; ++a) {
    for (std::size_t b = a + 1; b <= m && b < n; ++b) link(a, b);
  }
  std::vector<NodeIndex> chosen;
  for (std::size_t v = m + 1; v < n; ++v) {
    chosen.clear();
    while (chosen.size() < m) {
      const NodeIndex u = endpoints[rnd.Below(endpoints.size())];
      if (std::find(chosen.begin(), chosen.end(), u) == chosen.end()) chosen.push_back(u);
    }
    for (NodeIndex u : chosen) link(u, v);
  }
  std::vector<NodeIndex>().swap(endpoints);
  return Assemble(n, std::move(edges), opt, &rnd);
}

Network WattsStrogatz(std::size_t n, std::size_t k, double beta, const GeneratorOptions& opt) {
  Random rnd(opt.seed);
  std::unordered_set<std::uint64_t> present;
  std::vector<Edge> edges;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 1; d <= k; ++d) {
      const std::size_t j = (i + d) % n;
      present.insert(PairKey(i, j));
      edges.push_back({static_cast<NodeIndex>(i), static_cast<NodeIndex>(j), Layer::kMaterial, 1});
    }
  }
  for (Edge& e : edges) {
    if (rnd.Unit() >= beta) continue;
    for (;;) {
      const std::size_t to = rnd.Below(n);
      if (to == e.from || present.count(PairKey(e.from, to))) continue;
      present.erase(PairKey(e.from, e.to));
      present.insert(PairKey(e.from, to));
      e.to = static_cast<NodeIndex>(to);
      break;
    }
  }
  std::unordered_set<std::uint64_t>().swap(present);
  return Assemble(n, std::move(edges), opt, &rnd);
}

}  // namespace riskd::engine
