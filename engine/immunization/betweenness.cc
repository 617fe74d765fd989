#include "engine/immunization/betweenness.h"

#include <algorithm>

#include "engine/immunization/random_keys.h"

namespace riskd::engine::immunization {

std::vector<double> Betweenness(const UndirectedGraph& g, const BetweennessOptions& options) {
  const std::size_t slots = g.node_slots();
  std::vector<double> out(slots, 0.0);
  std::vector<NodeIndex> sources = g.Nodes();
  const std::size_t n = sources.size();
  double scale = 0.5;  // each unordered pair is counted from both ends
  if (options.pivots > 0 && options.pivots < n) {
    std::sort(sources.begin(), sources.end(), [&](NodeIndex a, NodeIndex b) {
      return NodeKey(options.seed, KeyStream::kPivots, a) <
             NodeKey(options.seed, KeyStream::kPivots, b);
    });
    sources.resize(options.pivots);
    scale *= static_cast<double>(n) / static_cast<double>(options.pivots);
  }

  constexpr std::int64_t kUnseen = -1;
  std::vector<std::int64_t> dist(slots, kUnseen);
  std::vector<double> paths(slots, 0.0);  // sigma_sv
  std::vector<double> dependency(slots, 0.0);
  std::vector<NodeIndex> order;  // BFS order: non-decreasing distance
  order.reserve(n);
  for (NodeIndex s : sources) {
    order.clear();
    order.push_back(s);
    dist[s] = 0;
    paths[s] = 1;
    for (std::size_t head = 0; head < order.size(); ++head) {
      const NodeIndex v = order[head];
      for (NodeIndex w : g.neighbors(v)) {
        if (dist[w] == kUnseen) {
          dist[w] = dist[v] + 1;
          order.push_back(w);
        }
        if (dist[w] == dist[v] + 1) paths[w] += paths[v];
      }
    }
    // delta_s(v) = sum over successors w of sigma_sv / sigma_sw (1 + delta_s(w)).
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const NodeIndex v = *it;
      for (NodeIndex w : g.neighbors(v)) {
        if (dist[w] == dist[v] + 1) dependency[v] += paths[v] / paths[w] * (1 + dependency[w]);
      }
      if (v != s) out[v] += dependency[v];
    }
    for (NodeIndex v : order) {
      dist[v] = kUnseen;
      paths[v] = 0;
      dependency[v] = 0;
    }
  }
  for (double& b : out) b *= scale;
  return out;
}

}  // namespace riskd::engine::immunization
