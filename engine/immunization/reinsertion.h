// Reinsertion (Braunstein, Dall'Asta, Semerjian & Zdeborova 2016; also
// Morone et al. 2016): a dismantling set found greedily usually holds nodes
// that are not needed. Starting from the dismantled graph, put removed nodes
// back one at a time, always the one whose return creates the smallest
// component (1 + the sizes of the distinct components it joins; ties: the
// node removed later first), as long as that component has at most
// max_giant nodes.
//
// ReinsertionOrder returns `removed` permuted: first the nodes that stay
// removed (the reduced dismantling set F, in their original order), then the
// reinserted ones, last reinserted first. Every node of F would create a
// component above max_giant if returned, so F is the shortest prefix that
// dismantles: DismantlingPoint(result, max_giant) == |F|.
//
// Each return makes some neighbours' candidates stale; they are re-costed
// lazily (costs only grow as components merge), so a step costs about the
// degrees of the few candidates examined.
#ifndef RISKD_ENGINE_IMMUNIZATION_REINSERTION_H_
#define RISKD_ENGINE_IMMUNIZATION_REINSERTION_H_

#include <span>
#include <vector>

#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

// REQUIRES: removed holds distinct present nodes, in removal order.
std::vector<NodeIndex> ReinsertionOrder(const UndirectedGraph& graph,
                                        std::span<const NodeIndex> removed, std::size_t max_giant);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_REINSERTION_H_
