// Static immunization strategies: rank the nodes of the undirected simple
// graph of a network (restricted to a set of layers; removed node slots are
// skipped) by structure alone, and return the best k as targets.
//
//   random                uniformly random nodes
//   degree                most neighbours (static, or adaptive)
//   strength              largest total edge weight (static, or adaptive)
//   eigenvector           largest eigenvector centrality (engine/vulnerability.h)
//   betweenness           largest betweenness (Brandes; optional pivot sampling)
//   acquaintance          random neighbours of random nodes (Cohen et al. 2003)
//   collective_influence  largest CI_l, adaptive (Morone & Makse 2015)
//   corehd                highest 2-core degree, adaptive, then tree breaking
//                         (Zdeborova, Zhang & Zhou 2016)
//
// With reinsertion, the strategy's order is run until the largest component
// is at most options.giant_fraction of the nodes (the dismantling set D);
// then D is pruned by greedy reinsertion (reinsertion.h) and the ranking
// becomes: the reduced set (in the strategy's order), the reinserted nodes
// (last returned first), the rest of the strategy's order. Targets are the
// first k.
//
// Every strategy is deterministic given options.seed (used for random draws
// and tie-breaking). docs/immunization.md has formulas and references.
#ifndef RISKD_ENGINE_IMMUNIZATION_STRATEGY_H_
#define RISKD_ENGINE_IMMUNIZATION_STRATEGY_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/immunization/ranking.h"
#include "engine/immunization/undirected_graph.h"
#include "engine/network.h"

namespace riskd::engine::immunization {

enum class Strategy {
  kRandom,
  kDegree,
  kStrength,
  kEigenvector,
  kBetweenness,
  kAcquaintance,
  kCollectiveInfluence,
  kCoreHd,
};

// Every strategy, in declaration order.
std::span<const Strategy> AllStrategies();
// "random", "degree", "strength", "eigenvector", "betweenness",
// "acquaintance", "collective_influence", "corehd".
std::string_view StrategyName(Strategy strategy);
// Inverse of StrategyName; NotFound for any other name.
Result<Strategy> ParseStrategy(std::string_view name);

struct StrategyOptions {
  // Random draws and tie-breaking.
  std::uint64_t seed = 1;
  // degree, strength: recompute on the residual graph after each choice.
  // collective_influence and corehd are always adaptive; the others static.
  bool adaptive = false;
  // Prune the dismantling set by reinsertion (see above).
  bool reinsertion = false;
  // Dismantling target: the largest component may keep at most
  // floor(giant_fraction * N) nodes, N the node count. In (0, 1].
  double giant_fraction = 0.01;
  // collective_influence: ball radius l >= 1.
  int ci_radius = 2;
  // betweenness: 0 exact, else the number of sampled source nodes.
  std::size_t betweenness_pivots = 0;
  // eigenvector: power iteration tolerance (L1 change) and limit.
  double eigen_tolerance = 1e-10;
  int eigen_max_iterations = 2000;
};

Status ValidateStrategyOptions(const StrategyOptions& options);

// The first `count` nodes of the strategy's ranking (all of them if count
// exceeds the node count), with scores (ranking.h).
// REQUIRES: network.compacted()
Result<std::vector<RankedNode>> RankTargets(Strategy strategy, const Network& network,
                                            LayerMask layers, std::size_t count,
                                            const StrategyOptions& options);

// Same, on the graph of the network already built.
// REQUIRES: graph is UndirectedGraph::FromNetwork(network, graph.layers())
Result<std::vector<RankedNode>> RankTargets(Strategy strategy, const Network& network,
                                            const UndirectedGraph& graph, std::size_t count,
                                            const StrategyOptions& options);

// The k best targets. InvalidArgument if k < 0 or the options are invalid.
// REQUIRES: network.compacted()
Result<std::vector<NodeIndex>> SelectTargets(Strategy strategy, const Network& network,
                                             LayerMask layers, int k,
                                             const StrategyOptions& options);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_STRATEGY_H_
