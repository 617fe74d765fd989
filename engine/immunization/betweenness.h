// Betweenness centrality of the nodes of an undirected graph (hop counts,
// edge weights ignored): b(v) = sum over unordered pairs {s, t}, s != v != t,
// of sigma_st(v) / sigma_st, where sigma_st counts shortest s-t paths and
// sigma_st(v) those through v. Same normalization as igraph_betweenness on
// an undirected graph.
//
// Brandes (2001): one BFS and one dependency accumulation per source, O(N M)
// in total. For large graphs, `pivots` > 0 runs only from that many sources
// drawn uniformly without replacement and scales by N / pivots (Brandes &
// Pich 2007): an unbiased estimate whose relative error shrinks like
// 1/sqrt(pivots) for the central nodes that matter for targeting.
#ifndef RISKD_ENGINE_IMMUNIZATION_BETWEENNESS_H_
#define RISKD_ENGINE_IMMUNIZATION_BETWEENNESS_H_

#include <cstdint>
#include <vector>

#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

struct BetweennessOptions {
  // 0: exact (every node a source). Otherwise the number of sampled sources;
  // values >= the node count are exact too.
  std::size_t pivots = 0;
  // Chooses the pivots.
  std::uint64_t seed = 1;
};

// One value per node slot; absent slots get 0.
std::vector<double> Betweenness(const UndirectedGraph& graph, const BetweennessOptions& options);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_BETWEENNESS_H_
