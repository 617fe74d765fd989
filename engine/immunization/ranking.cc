#include "engine/immunization/ranking.h"

#include <algorithm>

namespace riskd::engine::immunization {

std::vector<NodeIndex> NodesOf(const std::vector<RankedNode>& ranked) {
  std::vector<NodeIndex> out;
  out.reserve(ranked.size());
  for (const RankedNode& r : ranked) out.push_back(r.node);
  return out;
}

std::vector<RankedNode> RankByScore(const UndirectedGraph& graph, const std::vector<double>& score,
                                    std::size_t count, std::uint64_t seed) {
  struct Keyed {
    double score;
    std::uint64_t tie;
    NodeIndex node;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(graph.node_count());
  for (NodeIndex n : graph.Nodes()) {
    keyed.push_back({score[n], NodeKey(seed, KeyStream::kTieBreak, n), n});
  }
  const auto better = [](const Keyed& a, const Keyed& b) {
    return a.score != b.score ? a.score > b.score : a.tie < b.tie;
  };
  count = std::min(count, keyed.size());
  std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(count), keyed.end(),
                    better);
  std::vector<RankedNode> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back({keyed[i].node, keyed[i].score});
  return out;
}

}  // namespace riskd::engine::immunization
