#include "engine/immunization/reinsertion.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>

#include "engine/immunization/components.h"

namespace riskd::engine::immunization {

std::vector<NodeIndex> ReinsertionOrder(const UndirectedGraph& g,
                                        std::span<const NodeIndex> removed, std::size_t max_giant) {
  std::vector<std::uint8_t> in(g.node_slots(), 0);
  for (NodeIndex n : g.Nodes()) in[n] = 1;
  for (NodeIndex n : removed) in[n] = 0;
  DisjointSets sets(g.node_slots());
  for (NodeIndex v : g.Nodes()) {
    if (!in[v]) continue;
    for (NodeIndex w : g.neighbors(v)) {
      if (in[w] && w < v) sets.Union(v, w);
    }
  }
  std::vector<std::size_t> roots;
  const auto cost = [&](NodeIndex v) {
    roots.clear();
    std::size_t size = 1;
    for (NodeIndex w : g.neighbors(v)) {
      if (!in[w]) continue;
      const std::size_t root = sets.Find(w);
      if (std::find(roots.begin(), roots.end(), root) != roots.end()) continue;
      roots.push_back(root);
      size += sets.root_size(root);
    }
    return size;
  };
  // Min-heap by (cost, earlier removal last). Costs only grow as components
  // merge, so a popped entry whose cost is still current is the minimum.
  using Entry = std::tuple<std::size_t, std::size_t, NodeIndex>;  // cost, removal rank reversed
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (std::size_t i = 0; i < removed.size(); ++i) {
    heap.emplace(cost(removed[i]), removed.size() - 1 - i, removed[i]);
  }
  std::vector<NodeIndex> reinserted;
  while (!heap.empty()) {
    auto [stored, rank, v] = heap.top();
    if (stored > max_giant) break;  // the cheapest return is already too big
    heap.pop();
    const std::size_t now = cost(v);
    if (now != stored) {
      heap.emplace(now, rank, v);
      continue;
    }
    in[v] = 1;
    for (NodeIndex w : g.neighbors(v)) {
      if (in[w]) sets.Union(v, w);
    }
    reinserted.push_back(v);
  }
  std::vector<NodeIndex> order;
  order.reserve(removed.size());
  for (NodeIndex v : removed) {
    if (!in[v]) order.push_back(v);
  }
  order.insert(order.end(), reinserted.rbegin(), reinserted.rend());
  return order;
}

}  // namespace riskd::engine::immunization
