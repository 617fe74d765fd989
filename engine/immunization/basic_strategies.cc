#include "engine/immunization/basic_strategies.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace riskd::engine::immunization {
namespace {

// Sum of edge weights to present neighbours (the degree when unweighted).
std::vector<double> WeightedDegrees(const UndirectedGraph& g, bool weighted) {
  std::vector<double> out(g.node_slots(), 0.0);
  for (NodeIndex n : g.Nodes()) {
    if (!weighted) {
      out[n] = static_cast<double>(g.degree(n));
      continue;
    }
    for (double w : g.weights(n)) out[n] += w;
  }
  return out;
}

// Repeatedly takes the node with the largest residual weighted degree.
// Residuals only decrease, which LazyMaxQueue requires.
std::vector<RankedNode> AdaptiveOrder(const UndirectedGraph& g, std::size_t count,
                                      std::uint64_t seed, bool weighted) {
  std::vector<double> residual = WeightedDegrees(g, weighted);
  std::vector<std::uint8_t> removed(g.node_slots(), 0);
  LazyMaxQueue<double> queue(seed);
  for (NodeIndex n : g.Nodes()) queue.Push(n, residual[n]);
  std::vector<RankedNode> out;
  out.reserve(count);
  const auto current = [&](NodeIndex n) -> std::optional<double> {
    if (removed[n]) return std::nullopt;
    return residual[n];
  };
  while (out.size() < count) {
    const auto top = queue.PopMax(current);
    if (!top) break;
    const NodeIndex r = top->first;
    out.push_back({r, top->second});
    removed[r] = 1;
    const auto nbrs = g.neighbors(r);
    const auto ws = g.weights(r);
    for (std::size_t i = 0; i < nbrs.size(); ++i) {
      if (!removed[nbrs[i]]) residual[nbrs[i]] -= weighted ? ws[i] : 1.0;
    }
  }
  return out;
}

}  // namespace

std::vector<RankedNode> RandomOrder(const UndirectedGraph& g, std::size_t count,
                                    std::uint64_t seed) {
  // A permutation sorted by i.i.d. keys is uniform.
  std::vector<double> key(g.node_slots(), 0.0);
  for (NodeIndex n : g.Nodes()) {
    key[n] = ToOpenUnit(NodeKey(seed, KeyStream::kRandomOrder, n));
  }
  auto out = RankByScore(g, key, count, seed);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].score = -static_cast<double>(i);
  return out;
}

std::vector<RankedNode> DegreeOrder(const UndirectedGraph& g, std::size_t count, std::uint64_t seed,
                                    bool adaptive) {
  if (adaptive) return AdaptiveOrder(g, count, seed, /*weighted=*/false);
  return RankByScore(g, WeightedDegrees(g, false), count, seed);
}

std::vector<RankedNode> StrengthOrder(const UndirectedGraph& g, std::size_t count,
                                      std::uint64_t seed, bool adaptive) {
  if (adaptive) return AdaptiveOrder(g, count, seed, /*weighted=*/true);
  return RankByScore(g, WeightedDegrees(g, true), count, seed);
}

std::vector<RankedNode> AcquaintanceOrder(const UndirectedGraph& g, std::size_t count,
                                          std::uint64_t seed) {
  std::vector<double> weight(g.node_slots(), 0.0);
  for (NodeIndex i : g.Nodes()) {
    const double share = 1.0 / static_cast<double>(std::max<std::size_t>(1, g.degree(i)));
    for (NodeIndex j : g.neighbors(i)) weight[j] += share;
  }
  // Efraimidis-Spirakis: the largest u^(1/w) first, i.e. the largest
  // log(u)/w (< 0). Weightless nodes all get -inf, below every weighted
  // one; the random tie key orders them.
  std::vector<double> key(g.node_slots(), 0.0);
  for (NodeIndex n : g.Nodes()) {
    const double log_u = std::log(ToOpenUnit(NodeKey(seed, KeyStream::kAcquaintance, n)));
    key[n] = weight[n] > 0 ? log_u / weight[n] : -std::numeric_limits<double>::infinity();
  }
  auto out = RankByScore(g, key, count, seed);
  for (RankedNode& r : out) r.score = weight[r.node];
  return out;
}

}  // namespace riskd::engine::immunization
