// Collective influence (Morone & Makse 2015): the influence of node i at
// radius l is
//
//   CI_l(i) = (k_i - 1) * sum over j at distance exactly l of (k_j - 1),
//
// k the degree. The strategy is adaptive: remove the node of largest CI,
// update the degrees and CI values it affects, repeat. Ties go to the larger
// residual degree, then to a seeded random key; once every CI is 0 (what is
// left is stars and paths) the order is thus adaptive degree.
//
// Two exact ways to keep the values current after removing r:
// - Neighbourhood update (Morone & Makse): recompute CI for every node within
//   distance l + 1 of r, the only ones whose value can change. Any radius.
// - Lazy (radius <= 2): removal never increases CI_1 or CI_2 (degrees only
//   fall, and the sphere at distance <= 2 can only lose nodes), so stale
//   values are upper bounds and only nodes reaching the top of the queue are
//   recomputed (ranking.h). Same order, far fewer BFS near hubs.
#ifndef RISKD_ENGINE_IMMUNIZATION_COLLECTIVE_INFLUENCE_H_
#define RISKD_ENGINE_IMMUNIZATION_COLLECTIVE_INFLUENCE_H_

#include <cstdint>
#include <vector>

#include "engine/immunization/ranking.h"
#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

struct CollectiveInfluenceOptions {
  // l >= 1. Morone & Makse use 2 to 4; larger radii cost more per update.
  int radius = 2;
  // Use the lazy update when radius <= 2 (same result, faster).
  bool lazy = true;
  // Tie-breaking keys.
  std::uint64_t seed = 1;
};

// CI_l of every node slot on the whole graph (absent slots get 0).
// REQUIRES: radius >= 1
std::vector<std::int64_t> CollectiveInfluence(const UndirectedGraph& graph, int radius);

// The first `count` nodes of the adaptive CI order; score is CI at removal.
// REQUIRES: options.radius >= 1; count <= graph.node_count()
std::vector<RankedNode> CollectiveInfluenceOrder(const UndirectedGraph& graph, std::size_t count,
                                                 const CollectiveInfluenceOptions& options);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_COLLECTIVE_INFLUENCE_H_
