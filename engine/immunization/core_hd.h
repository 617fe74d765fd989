// CoreHD (Zdeborova, Zhang & Zhou 2016): dismantling by decycling.
//
// Phase 1: repeatedly remove the node of highest degree in the 2-core of the
// residual graph (ties: seeded random key), then prune the 2-core again
// (peel nodes of core degree < 2 until none is left). Stops when the 2-core
// is empty: what is left is a forest.
// Phase 2, tree breaking (as in Braunstein et al. 2016): repeatedly take the
// largest tree and remove its centroid, the node whose removal leaves the
// smallest largest piece (each piece then has at most half the nodes), until
// only isolated nodes remain. Any prefix of this phase is the greedy
// breaking down to the component size reached there, so one order serves
// every dismantling threshold.
// Phase 3: the isolated nodes, in random order.
//
// Scores: 2-core degree at removal in phase 1, the size of the tree the
// node was cut from in phase 2, 0 in phase 3.
#ifndef RISKD_ENGINE_IMMUNIZATION_CORE_HD_H_
#define RISKD_ENGINE_IMMUNIZATION_CORE_HD_H_

#include <cstdint>
#include <vector>

#include "engine/immunization/ranking.h"
#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

// REQUIRES: count <= graph.node_count()
std::vector<RankedNode> CoreHdOrder(const UndirectedGraph& graph, std::size_t count,
                                    std::uint64_t seed);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_CORE_HD_H_
