// Dismantling: how many nodes a strategy must remove before the largest
// connected component holds at most a fraction of the nodes (1% in the
// literature this is checked against: Morone & Makse 2015, Braunstein et
// al. 2016, Zdeborova et al. 2016). The smaller the fraction, the better the
// strategy fragments the network, i.e. the fewer suppliers need protecting
// to stop a disruption from reaching most of it.
#ifndef RISKD_ENGINE_IMMUNIZATION_TESTING_DISMANTLING_H_
#define RISKD_ENGINE_IMMUNIZATION_TESTING_DISMANTLING_H_

#include <cstddef>
#include <vector>

#include "base/status.h"
#include "engine/immunization/strategy.h"
#include "engine/immunization/undirected_graph.h"
#include "engine/network.h"

namespace riskd::engine::immunization {

struct DismantlingResult {
  // The strategy's ranking of every node (reinsertion applied if asked).
  std::vector<NodeIndex> order;
  // floor(options.giant_fraction * N), N the node count.
  std::size_t max_giant = 0;
  // Length of the shortest prefix of `order` whose removal leaves no
  // component larger than max_giant.
  std::size_t removed = 0;
  // removed / N (0 for an empty graph).
  double removed_fraction = 0;
};

// REQUIRES: network.compacted()
Result<DismantlingResult> Dismantle(Strategy strategy, const Network& network, LayerMask layers,
                                    const StrategyOptions& options);
// REQUIRES: graph is UndirectedGraph::FromNetwork(network, graph.layers())
Result<DismantlingResult> Dismantle(Strategy strategy, const Network& network,
                                    const UndirectedGraph& graph, const StrategyOptions& options);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_TESTING_DISMANTLING_H_
