// The simple immunization strategies: random, degree, strength (weighted
// degree) and acquaintance. Each returns the first `count` nodes of its
// ranking (see ranking.h); docs/immunization.md gives the references.
//
// - Random: a uniformly random order of the present nodes.
// - Degree / strength: by number of neighbours / total edge weight. Static
//   ranks by the initial values; adaptive removes the top node and recomputes
//   (the residual degree or strength) before choosing the next.
// - Acquaintance (Cohen, Havlin & ben-Avraham 2003): pick a node uniformly,
//   immunize a uniformly chosen neighbour; repeat until `count` distinct
//   targets. Drawing again when the neighbour is already a target makes the
//   next target j appear with probability proportional to
//   w_j = sum over neighbours i of 1/k_i among the untargeted nodes, so the
//   order is a weighted sample without replacement, drawn exactly and in one
//   pass with the keys u_j^(1/w_j) (Efraimidis & Spirakis 2006). Nodes no
//   random walk step can reach (isolated ones, w_j = 0) come last, at random.
//
// REQUIRES everywhere: count <= graph.node_count()
#ifndef RISKD_ENGINE_IMMUNIZATION_BASIC_STRATEGIES_H_
#define RISKD_ENGINE_IMMUNIZATION_BASIC_STRATEGIES_H_

#include <cstdint>
#include <vector>

#include "engine/immunization/ranking.h"
#include "engine/immunization/undirected_graph.h"

namespace riskd::engine::immunization {

// Score: the node's position in a uniform random permutation, negated
// (the first node has score 0, the next -1, ...).
std::vector<RankedNode> RandomOrder(const UndirectedGraph& graph, std::size_t count,
                                    std::uint64_t seed);

// Score: degree (residual degree at removal when adaptive).
std::vector<RankedNode> DegreeOrder(const UndirectedGraph& graph, std::size_t count,
                                    std::uint64_t seed, bool adaptive);

// Score: strength (residual strength at removal when adaptive).
std::vector<RankedNode> StrengthOrder(const UndirectedGraph& graph, std::size_t count,
                                      std::uint64_t seed, bool adaptive);

// Score: the acquaintance weight w_j.
std::vector<RankedNode> AcquaintanceOrder(const UndirectedGraph& graph, std::size_t count,
                                          std::uint64_t seed);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_BASIC_STRATEGIES_H_
