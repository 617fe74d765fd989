#include "engine/immunization/testing/dismantling.h"

#include "engine/immunization/components.h"

namespace riskd::engine::immunization {

Result<DismantlingResult> Dismantle(Strategy strategy, const Network& network,
                                    const UndirectedGraph& graph, const StrategyOptions& options) {
  const std::size_t n = graph.node_count();
  auto ranked = RankTargets(strategy, network, graph, n, options);
  if (!ranked.ok()) return ranked.status();
  DismantlingResult out;
  out.order = NodesOf(*ranked);
  out.max_giant = MaxGiantSize(options.giant_fraction, n);
  // The order removes every node, which leaves no component at all.
  out.removed = DismantlingPoint(graph, out.order, out.max_giant).value_or(n);
  out.removed_fraction = n > 0 ? static_cast<double>(out.removed) / static_cast<double>(n) : 0;
  return out;
}

Result<DismantlingResult> Dismantle(Strategy strategy, const Network& network, LayerMask layers,
                                    const StrategyOptions& options) {
  return Dismantle(strategy, network, UndirectedGraph::FromNetwork(network, layers), options);
}

}  // namespace riskd::engine::immunization
