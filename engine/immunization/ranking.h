// Rankings: the common output of the immunization strategies, and the two
// ways they are built.
//
// A ranking lists nodes best target first, each with the strategy's score
// when it was chosen (degree, CI value, ...). Ties are broken by a seeded
// pseudo-random key per node (random_keys.h), never by index, so that no
// strategy profits from how a generator or importer numbered the nodes.
//
// - RankByScore: static strategies, a score fixed up front.
// - LazyMaxQueue: adaptive strategies whose scores only decrease as nodes are
//   removed (degree, strength, CI with radius <= 2, 2-core degree). Entries
//   may be stale; when the top one is, it is re-keyed with the current score
//   and pushed back. Because no score ever increases, an up-to-date top entry
//   is the true maximum: this gives exactly the result of recomputing every
//   score after each removal, at the cost of the few entries that are popped.
#ifndef RISKD_ENGINE_IMMUNIZATION_RANKING_H_
#define RISKD_ENGINE_IMMUNIZATION_RANKING_H_

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "engine/immunization/random_keys.h"
#include "engine/immunization/undirected_graph.h"
#include "engine/network.h"

namespace riskd::engine::immunization {

struct RankedNode {
  NodeIndex node = kNoNode;
  double score = 0;
};

// The nodes of a ranking, in order.
std::vector<NodeIndex> NodesOf(const std::vector<RankedNode>& ranked);

// The `count` present nodes with the largest score, best first.
// REQUIRES: score.size() == graph.node_slots(); count <= graph.node_count()
std::vector<RankedNode> RankByScore(const UndirectedGraph& graph, const std::vector<double>& score,
                                    std::size_t count, std::uint64_t seed);

// Max-queue over nodes keyed by (Score, tie key). Score is any totally
// ordered value type (a number, or a pair for lexicographic keys).
template <typename Score>
class LazyMaxQueue {
 public:
  explicit LazyMaxQueue(std::uint64_t seed) : seed_(seed) {}

  void Push(NodeIndex node, const Score& score) {
    heap_.push({score, NodeKey(seed_, KeyStream::kTieBreak, node), node});
  }

  // Pops the node with the largest current score. current(node) returns the
  // node's score now, or nullopt if it is no longer a candidate.
  // REQUIRES: for every candidate, the queue holds an entry with a score
  // >= current(node) (true when scores only decrease, and also when every
  // increase is pushed as it happens).
  template <typename Current>
  std::optional<std::pair<NodeIndex, Score>> PopMax(Current&& current) {
    while (!heap_.empty()) {
      Entry top = heap_.top();
      heap_.pop();
      const std::optional<Score> now = current(top.node);
      if (!now) continue;
      if (*now == top.score) return std::pair<NodeIndex, Score>{top.node, top.score};
      top.score = *now;
      heap_.push(top);
    }
    return std::nullopt;
  }

  bool empty() const { return heap_.empty(); }

 private:
  struct Entry {
    Score score;
    std::uint64_t tie;
    NodeIndex node;
    // Larger score first; among equal scores the smaller tie key first.
    bool operator<(const Entry& o) const {
      if (score < o.score) return true;
      if (o.score < score) return false;
      return tie > o.tie;
    }
  };
  std::uint64_t seed_;
  std::priority_queue<Entry> heap_;
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_RANKING_H_
