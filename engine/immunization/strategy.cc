#include "engine/immunization/strategy.h"

#include <array>
#include <cmath>

#include "engine/immunization/basic_strategies.h"
#include "engine/immunization/betweenness.h"
#include "engine/immunization/collective_influence.h"
#include "engine/immunization/components.h"
#include "engine/immunization/core_hd.h"
#include "engine/immunization/reinsertion.h"
#include "engine/vulnerability.h"

namespace riskd::engine::immunization {
namespace {

constexpr std::array kStrategies = {
    Strategy::kRandom,
    Strategy::kDegree,
    Strategy::kStrength,
    Strategy::kEigenvector,
    Strategy::kBetweenness,
    Strategy::kAcquaintance,
    Strategy::kCollectiveInfluence,
    Strategy::kCoreHd,
};

// The strategy's own order, without reinsertion.
std::vector<RankedNode> StrategyOrder(Strategy strategy, const Network& network,
                                      const UndirectedGraph& g, std::size_t count,
                                      const StrategyOptions& o) {
  switch (strategy) {
    case Strategy::kRandom:
      return RandomOrder(g, count, o.seed);
    case Strategy::kDegree:
      return DegreeOrder(g, count, o.seed, o.adaptive);
    case Strategy::kStrength:
      return StrengthOrder(g, count, o.seed, o.adaptive);
    case Strategy::kEigenvector:
      return RankByScore(g,
                         ComputeEigenvectorCentrality(network, g.layers(), o.eigen_tolerance,
                                                      o.eigen_max_iterations)
                             .vector,
                         count, o.seed);
    case Strategy::kBetweenness:
      return RankByScore(g, Betweenness(g, {.pivots = o.betweenness_pivots, .seed = o.seed}), count,
                         o.seed);
    case Strategy::kAcquaintance:
      return AcquaintanceOrder(g, count, o.seed);
    case Strategy::kCollectiveInfluence:
      return CollectiveInfluenceOrder(g, count, {.radius = o.ci_radius, .seed = o.seed});
    case Strategy::kCoreHd:
      return CoreHdOrder(g, count, o.seed);
  }
  return {};
}

// See the header: D pruned and reordered, then the rest of the full order.
std::vector<RankedNode> WithReinsertion(const UndirectedGraph& g, std::vector<RankedNode> full,
                                        std::size_t max_giant) {
  const std::vector<NodeIndex> order = NodesOf(full);
  std::vector<double> score(g.node_slots(), 0.0);
  for (const RankedNode& r : full) score[r.node] = r.score;
  // The full order removes every node, so the point exists.
  const std::size_t d = DismantlingPoint(g, order, max_giant).value_or(order.size());
  const std::vector<NodeIndex> reinserted =
      ReinsertionOrder(g, std::span<const NodeIndex>(order).first(d), max_giant);
  for (std::size_t i = 0; i < d; ++i) full[i] = {reinserted[i], score[reinserted[i]]};
  return full;
}

}  // namespace

std::span<const Strategy> AllStrategies() { return kStrategies; }

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kRandom:
      return "random";
    case Strategy::kDegree:
      return "degree";
    case Strategy::kStrength:
      return "strength";
    case Strategy::kEigenvector:
      return "eigenvector";
    case Strategy::kBetweenness:
      return "betweenness";
    case Strategy::kAcquaintance:
      return "acquaintance";
    case Strategy::kCollectiveInfluence:
      return "collective_influence";
    case Strategy::kCoreHd:
      return "corehd";
  }
  return "unknown";
}

Result<Strategy> ParseStrategy(std::string_view name) {
  for (Strategy s : kStrategies) {
    if (StrategyName(s) == name) return s;
  }
  return Status::NotFound("no immunization strategy named '" + std::string(name) + "'");
}

Status ValidateStrategyOptions(const StrategyOptions& o) {
  if (!(o.giant_fraction > 0 && o.giant_fraction <= 1)) {
    return Status::InvalidArgument("giant_fraction must be in (0, 1]");
  }
  if (o.ci_radius < 1) return Status::InvalidArgument("ci_radius must be >= 1");
  if (!(o.eigen_tolerance > 0 && std::isfinite(o.eigen_tolerance))) {
    return Status::InvalidArgument("eigen_tolerance must be finite and > 0");
  }
  if (o.eigen_max_iterations < 1) {
    return Status::InvalidArgument("eigen_max_iterations must be >= 1");
  }
  return Status::Ok();
}

Result<std::vector<RankedNode>> RankTargets(Strategy strategy, const Network& network,
                                            const UndirectedGraph& graph, std::size_t count,
                                            const StrategyOptions& options) {
  RISKD_RETURN_IF_ERROR(ValidateStrategyOptions(options));
  const std::size_t n = graph.node_count();
  count = std::min(count, n);
  if (!options.reinsertion) return StrategyOrder(strategy, network, graph, count, options);
  std::vector<RankedNode> ranked =
      WithReinsertion(graph, StrategyOrder(strategy, network, graph, n, options),
                      MaxGiantSize(options.giant_fraction, n));
  ranked.resize(count);
  return ranked;
}

Result<std::vector<RankedNode>> RankTargets(Strategy strategy, const Network& network,
                                            LayerMask layers, std::size_t count,
                                            const StrategyOptions& options) {
  return RankTargets(strategy, network, UndirectedGraph::FromNetwork(network, layers), count,
                     options);
}

Result<std::vector<NodeIndex>> SelectTargets(Strategy strategy, const Network& network,
                                             LayerMask layers, int k,
                                             const StrategyOptions& options) {
  if (k < 0) return Status::InvalidArgument("k must be >= 0");
  auto ranked = RankTargets(strategy, network, layers, static_cast<std::size_t>(k), options);
  if (!ranked.ok()) return ranked.status();
  return NodesOf(*ranked);
}

}  // namespace riskd::engine::immunization
