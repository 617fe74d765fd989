#include "engine/immunization/core_hd.h"

#include <algorithm>
#include <queue>
#include <tuple>

namespace riskd::engine::immunization {
namespace {

class CoreHd {
 public:
  CoreHd(const UndirectedGraph& g, std::size_t count, std::uint64_t seed)
      : g_(g),
        count_(count),
        seed_(seed),
        removed_(g.node_slots(), 0),
        in_core_(g.node_slots(), 0),
        core_degree_(g.node_slots(), 0) {
    out_.reserve(count);
  }

  std::vector<RankedNode> Run() {
    RemoveFromTwoCore();
    BreakTrees();
    RemoveIsolated();
    return std::move(out_);
  }

 private:
  bool done() const { return out_.size() >= count_; }

  void Take(NodeIndex n, double score) {
    out_.push_back({n, score});
    removed_[n] = 1;
  }

  // Drops n from the core and peels whatever falls below core degree 2.
  void LeaveCore(NodeIndex n) {
    std::vector<NodeIndex> stack{n};
    in_core_[n] = 0;
    while (!stack.empty()) {
      const NodeIndex v = stack.back();
      stack.pop_back();
      for (NodeIndex w : g_.neighbors(v)) {
        if (!in_core_[w]) continue;
        if (--core_degree_[w] < 2) {
          in_core_[w] = 0;
          stack.push_back(w);
        }
      }
    }
  }

  void RemoveFromTwoCore() {
    const std::vector<NodeIndex> nodes = g_.Nodes();
    for (NodeIndex n : nodes) {
      in_core_[n] = 1;
      core_degree_[n] = static_cast<std::int64_t>(g_.degree(n));
    }
    for (NodeIndex n : nodes) {
      if (in_core_[n] && core_degree_[n] < 2) LeaveCore(n);
    }
    // Core degrees only fall, so the lazy queue is exact (ranking.h).
    LazyMaxQueue<std::int64_t> queue(seed_);
    for (NodeIndex n : nodes) {
      if (in_core_[n]) queue.Push(n, core_degree_[n]);
    }
    const auto current = [&](NodeIndex n) -> std::optional<std::int64_t> {
      if (!in_core_[n]) return std::nullopt;
      return core_degree_[n];
    };
    while (!done()) {
      const auto top = queue.PopMax(current);
      if (!top) break;
      Take(top->first, static_cast<double>(top->second));
      LeaveCore(top->first);
    }
  }

  // Nodes of the residual tree containing root, in BFS order, with parents.
  std::size_t CollectTree(NodeIndex root) {
    tree_.clear();
    parent_.clear();
    tree_.push_back(root);
    parent_.push_back(kNoNode);
    for (std::size_t head = 0; head < tree_.size(); ++head) {
      const NodeIndex v = tree_[head];
      for (NodeIndex w : g_.neighbors(v)) {
        if (removed_[w] || w == parent_[head]) continue;
        tree_.push_back(w);
        parent_.push_back(v);
      }
    }
    return tree_.size();
  }

  void BreakTrees() {
    if (done()) return;
    // Max-heap of trees by (size, -tie key), named by one of their nodes. A
    // tree changes only when it is popped and cut, so entries never go stale.
    using Tree = std::tuple<std::size_t, std::uint64_t, NodeIndex>;
    const auto tie = [&](NodeIndex n) { return ~NodeKey(seed_, KeyStream::kTieBreak, n); };
    std::priority_queue<Tree> trees;
    std::vector<std::uint8_t> labelled(g_.node_slots(), 0);
    for (NodeIndex n : g_.Nodes()) {
      if (removed_[n] || labelled[n]) continue;
      const std::size_t size = CollectTree(n);
      for (NodeIndex v : tree_) labelled[v] = 1;
      if (size >= 2) trees.emplace(size, tie(n), n);
    }
    std::vector<std::size_t> subtree(g_.node_slots(), 0);
    while (!done() && !trees.empty()) {
      const NodeIndex root = std::get<2>(trees.top());
      trees.pop();
      const std::size_t size = CollectTree(root);
      for (std::size_t q = tree_.size(); q-- > 0;) {
        subtree[tree_[q]] = 1;
      }
      for (std::size_t q = tree_.size(); q-- > 1;) {
        subtree[parent_[q]] += subtree[tree_[q]];
      }
      // Centroid: minimize the largest piece left after removal.
      NodeIndex best = kNoNode;
      std::size_t best_piece = size;
      std::uint64_t best_tie = 0;
      for (std::size_t q = 0; q < tree_.size(); ++q) {
        const NodeIndex v = tree_[q];
        std::size_t piece = size - subtree[v];
        for (NodeIndex w : g_.neighbors(v)) {
          if (!removed_[w] && w != parent_[q]) piece = std::max(piece, subtree[w]);
        }
        const std::uint64_t t = tie(v);
        if (best == kNoNode || piece < best_piece || (piece == best_piece && t > best_tie)) {
          best = v;
          best_piece = piece;
          best_tie = t;
        }
      }
      Take(best, static_cast<double>(size));
      for (NodeIndex w : g_.neighbors(best)) {
        if (removed_[w]) continue;
        const std::size_t piece = CollectTree(w);
        if (piece >= 2) trees.emplace(piece, tie(w), w);
      }
    }
  }

  void RemoveIsolated() {
    if (done()) return;
    std::vector<double> zero(g_.node_slots(), 0.0);
    for (const RankedNode& r : RankByScore(g_, zero, g_.node_count(), seed_)) {
      if (done()) break;
      if (!removed_[r.node]) Take(r.node, 0.0);
    }
  }

  const UndirectedGraph& g_;
  const std::size_t count_;
  const std::uint64_t seed_;
  std::vector<std::uint8_t> removed_;
  std::vector<std::uint8_t> in_core_;
  std::vector<std::int64_t> core_degree_;
  std::vector<NodeIndex> tree_;
  std::vector<NodeIndex> parent_;
  std::vector<RankedNode> out_;
};

}  // namespace

std::vector<RankedNode> CoreHdOrder(const UndirectedGraph& graph, std::size_t count,
                                    std::uint64_t seed) {
  return CoreHd(graph, count, seed).Run();
}

}  // namespace riskd::engine::immunization
