#include "engine/immunization/collective_influence.h"

#include <utility>

namespace riskd::engine::immunization {
namespace {

// The residual graph (present nodes not yet removed) with its degrees, and
// bounded BFS on it.
class ResidualGraph {
 public:
  ResidualGraph(const UndirectedGraph& g, int radius)
      : g_(g),
        radius_(radius),
        removed_(g.node_slots(), 0),
        degree_(g.node_slots(), 0),
        seen_(g.node_slots(), 0) {
    for (NodeIndex n : g.Nodes()) degree_[n] = static_cast<std::int64_t>(g.degree(n));
  }

  bool removed(NodeIndex n) const { return removed_[n] != 0; }
  std::int64_t degree(NodeIndex n) const { return degree_[n]; }

  std::int64_t CollectiveInfluence(NodeIndex i) {
    if (removed_[i] || degree_[i] <= 1) return 0;
    const std::size_t sphere_begin = Ball(i, radius_);
    std::int64_t sum = 0;
    for (std::size_t q = sphere_begin; q < queue_.size(); ++q) sum += degree_[queue_[q]] - 1;
    return (degree_[i] - 1) * sum;
  }

  // Nodes within `depth` of r, r excluded.
  std::vector<NodeIndex> Neighbourhood(NodeIndex r, int depth) {
    Ball(r, depth);
    return {queue_.begin() + 1, queue_.end()};
  }

  void Remove(NodeIndex r) {
    removed_[r] = 1;
    for (NodeIndex v : g_.neighbors(r)) {
      if (!removed_[v]) --degree_[v];
    }
  }

 private:
  // BFS from `root` to distance `depth` into queue_; returns where the nodes
  // at distance exactly `depth` begin.
  std::size_t Ball(NodeIndex root, int depth) {
    ++stamp_;
    queue_.clear();
    queue_.push_back(root);
    seen_[root] = stamp_;
    std::size_t level_begin = 0;
    for (int d = 0; d < depth; ++d) {
      const std::size_t level_end = queue_.size();
      for (std::size_t q = level_begin; q < level_end; ++q) {
        for (NodeIndex w : g_.neighbors(queue_[q])) {
          if (removed_[w] || seen_[w] == stamp_) continue;
          seen_[w] = stamp_;
          queue_.push_back(w);
        }
      }
      level_begin = level_end;
    }
    return level_begin;
  }

  const UndirectedGraph& g_;
  const int radius_;
  std::vector<std::uint8_t> removed_;
  std::vector<std::int64_t> degree_;
  std::vector<std::uint32_t> seen_;
  std::uint32_t stamp_ = 0;
  std::vector<NodeIndex> queue_;
};

// (CI, residual degree): compared lexicographically.
using CiKey = std::pair<std::int64_t, std::int64_t>;

}  // namespace

std::vector<std::int64_t> CollectiveInfluence(const UndirectedGraph& g, int radius) {
  ResidualGraph residual(g, radius);
  std::vector<std::int64_t> out(g.node_slots(), 0);
  for (NodeIndex n : g.Nodes()) out[n] = residual.CollectiveInfluence(n);
  return out;
}

std::vector<RankedNode> CollectiveInfluenceOrder(const UndirectedGraph& g, std::size_t count,
                                                 const CollectiveInfluenceOptions& options) {
  const int radius = options.radius;
  const bool lazy = options.lazy && radius <= 2;
  ResidualGraph residual(g, radius);
  std::vector<CiKey> key(g.node_slots());
  LazyMaxQueue<CiKey> queue(options.seed);
  for (NodeIndex n : g.Nodes()) {
    key[n] = {residual.CollectiveInfluence(n), residual.degree(n)};
    queue.Push(n, key[n]);
  }
  const auto current = [&](NodeIndex n) -> std::optional<CiKey> {
    if (residual.removed(n)) return std::nullopt;
    if (lazy) return CiKey{residual.CollectiveInfluence(n), residual.degree(n)};
    return key[n];
  };
  std::vector<RankedNode> out;
  out.reserve(count);
  while (out.size() < count) {
    const auto top = queue.PopMax(current);
    if (!top) break;
    const NodeIndex r = top->first;
    out.push_back({r, static_cast<double>(top->second.first)});
    if (lazy) {
      residual.Remove(r);
      continue;
    }
    const std::vector<NodeIndex> affected = residual.Neighbourhood(r, radius + 1);
    residual.Remove(r);
    for (NodeIndex v : affected) {
      const CiKey now{residual.CollectiveInfluence(v), residual.degree(v)};
      if (now != key[v]) {
        key[v] = now;
        queue.Push(v, now);
      }
    }
  }
  return out;
}

}  // namespace riskd::engine::immunization
