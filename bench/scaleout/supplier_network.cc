#include "bench/scaleout/supplier_network.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <tuple>

namespace riskd::bench {
namespace {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t Below(std::size_t n) {
    return std::min(n - 1, static_cast<std::size_t>(Unit() * static_cast<double>(n)));
  }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u = 1.0 - Unit(), v = Unit();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }

 private:
  std::mt19937_64 engine_;
};

// Index of the first cumulative weight above u * total.
std::size_t Pick(const std::vector<double>& cumulative, double u) {
  const double x = u * cumulative.back();
  return static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) -
                                  cumulative.begin());
}

}  // namespace

SupplierNetwork GenerateSupplierNetwork(const SupplierNetworkOptions& o) {
  constexpr int kTiers = 5;
  const double tier_share[kTiers] = {0.40, 0.28, 0.18, 0.10, 0.04};
  Random rnd(o.seed);
  SupplierNetwork out;
  out.regions = o.regions;
  std::vector<double> region_cum(static_cast<std::size_t>(o.regions));
  double total = 0;
  for (int r = 0; r < o.regions; ++r) {
    total += 1.0 / std::pow(r + 1.0, o.region_skew);
    region_cum[static_cast<std::size_t>(r)] = total;
  }
  // Nodes in tier order; each gets a region.
  out.region.resize(o.nodes);
  out.tier.resize(o.nodes);
  std::size_t next = 0;
  for (int t = 0; t < kTiers; ++t) {
    const std::size_t count =
        t + 1 == kTiers ? o.nodes - next
                        : static_cast<std::size_t>(tier_share[t] * static_cast<double>(o.nodes));
    for (std::size_t i = 0; i < count; ++i, ++next) {
      out.tier[next] = static_cast<std::uint8_t>(t);
      out.region[next] = static_cast<std::uint16_t>(Pick(region_cum, rnd.Unit()));
    }
  }
  // Preferential attachment per (tier, region): each node once, plus once
  // per customer it has won.
  const auto bucket = [&](int tier, int region) {
    return static_cast<std::size_t>(tier * o.regions + region);
  };
  std::vector<std::vector<engine::NodeIndex>> pool(static_cast<std::size_t>(kTiers * o.regions));
  std::vector<std::vector<engine::NodeIndex>> tier_nodes(kTiers);
  for (std::size_t v = 0; v < o.nodes; ++v) {
    pool[bucket(out.tier[v], out.region[v])].push_back(static_cast<engine::NodeIndex>(v));
    tier_nodes[out.tier[v]].push_back(static_cast<engine::NodeIndex>(v));
  }
  std::vector<engine::Edge> edges;
  edges.reserve(static_cast<std::size_t>(0.6 * static_cast<double>(o.nodes) * o.mean_suppliers));
  std::vector<engine::NodeIndex> chosen;
  for (std::size_t v = 0; v < o.nodes; ++v) {
    const int t = out.tier[v];
    if (t == 0) continue;
    const std::size_t d = 1 + rnd.Below(static_cast<std::size_t>(2 * o.mean_suppliers - 1));
    chosen.clear();
    for (std::size_t k = 0; k < d; ++k) {
      const int r = rnd.Unit() < o.local_share ? out.region[v]
                                               : static_cast<int>(Pick(region_cum, rnd.Unit()));
      auto& candidates = pool[bucket(t - 1, r)];
      const engine::NodeIndex s = candidates.empty()
                                      ? tier_nodes[t - 1][rnd.Below(tier_nodes[t - 1].size())]
                                      : candidates[rnd.Below(candidates.size())];
      if (std::find(chosen.begin(), chosen.end(), s) != chosen.end()) continue;
      chosen.push_back(s);
      pool[bucket(t - 1, out.region[s])].push_back(s);
      edges.push_back(
          {s, static_cast<engine::NodeIndex>(v), engine::Layer::kMaterial, std::exp(rnd.Normal())});
    }
  }
  for (std::size_t v = 0; v < o.nodes; ++v) {
    engine::NodeAttributes a;
    a.id = "s";
    a.id += std::to_string(v);
    a.tier = out.tier[v];
    a.region = "R";
    a.region += std::to_string(out.region[v]);
    (void)out.network.AddNode(std::move(a));
  }
  std::sort(edges.begin(), edges.end(), [](const engine::Edge& a, const engine::Edge& b) {
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  });
  (void)out.network.AddEdges(edges);
  return out;
}

}  // namespace riskd::bench
