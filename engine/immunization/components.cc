#include "engine/immunization/components.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace riskd::engine::immunization {

DisjointSets::DisjointSets(std::size_t n) : parent_(n), size_(n, 1) {
  std::iota(parent_.begin(), parent_.end(), std::size_t{0});
}

std::size_t DisjointSets::Find(std::size_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

std::size_t DisjointSets::Union(std::size_t a, std::size_t b) {
  a = Find(a);
  b = Find(b);
  if (a == b) return size_[a];
  if (size_[a] < size_[b]) std::swap(a, b);
  parent_[b] = a;
  size_[a] += size_[b];
  return size_[a];
}

std::size_t LargestComponentWithout(const UndirectedGraph& g, std::span<const NodeIndex> removed) {
  std::vector<std::uint8_t> blocked(g.node_slots(), 0);
  for (NodeIndex n : removed) blocked[n] = 1;
  std::size_t largest = 0;
  std::vector<NodeIndex> queue;
  for (NodeIndex root : g.Nodes()) {
    if (blocked[root]) continue;
    queue.assign(1, root);
    blocked[root] = 1;
    for (std::size_t head = 0; head < queue.size(); ++head) {
      for (NodeIndex w : g.neighbors(queue[head])) {
        if (blocked[w]) continue;
        blocked[w] = 1;
        queue.push_back(w);
      }
    }
    largest = std::max(largest, queue.size());
  }
  return largest;
}

std::vector<std::size_t> GiantComponentCurve(const UndirectedGraph& g,
                                             std::span<const NodeIndex> order) {
  std::vector<std::uint8_t> in(g.node_slots(), 0);
  for (NodeIndex n : g.Nodes()) in[n] = 1;
  for (NodeIndex n : order) in[n] = 0;
  DisjointSets sets(g.node_slots());
  std::size_t giant = 0;
  const auto add = [&](NodeIndex v) {
    in[v] = 1;
    giant = std::max<std::size_t>(giant, 1);
    for (NodeIndex w : g.neighbors(v)) {
      if (in[w]) giant = std::max(giant, sets.Union(v, w));
    }
  };
  for (NodeIndex n : g.Nodes()) {
    if (in[n]) add(n);
  }
  std::vector<std::size_t> curve(order.size() + 1);
  curve[order.size()] = giant;
  for (std::size_t q = order.size(); q-- > 0;) {
    add(order[q]);
    curve[q] = giant;
  }
  return curve;
}

std::size_t MaxGiantSize(double giant_fraction, std::size_t node_count) {
  return static_cast<std::size_t>(std::floor(giant_fraction * static_cast<double>(node_count)));
}

std::optional<std::size_t> DismantlingPoint(const UndirectedGraph& g,
                                            std::span<const NodeIndex> order,
                                            std::size_t max_giant) {
  const std::vector<std::size_t> curve = GiantComponentCurve(g, order);
  // The curve is non-increasing: the first q at or below the limit.
  const auto it = std::find_if(curve.begin(), curve.end(),
                               [&](std::size_t giant) { return giant <= max_giant; });
  if (it == curve.end()) return std::nullopt;
  return static_cast<std::size_t>(it - curve.begin());
}

}  // namespace riskd::engine::immunization
