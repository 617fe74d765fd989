// Random graph generators for the dismantling checks and benchmarks: pure
// functions of their arguments and seed (the same network on every
// platform). Nodes are "n0".."n{N-1}" (index i is "n<i>"); edges go on the
// material layer with weight 1, directed from the higher to the lower index
// (direction is irrelevant to the undirected strategies).
#ifndef RISKD_ENGINE_IMMUNIZATION_TESTING_GRAPH_GENERATORS_H_
#define RISKD_ENGINE_IMMUNIZATION_TESTING_GRAPH_GENERATORS_H_

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "engine/network.h"

namespace riskd::engine::immunization {

// Erdos-Renyi G(N, M): M distinct edges, uniform among all simple graphs
// with N nodes and M edges. Mean degree 2M/N.
// InvalidArgument unless M <= N(N-1)/2.
Result<Network> ErdosRenyiNetwork(std::size_t nodes, std::size_t edges, std::uint64_t seed);

// Barabasi-Albert preferential attachment: a clique on m + 1 nodes, then
// each new node links to m distinct earlier nodes, each drawn with
// probability proportional to its degree. Mean degree close to 2m.
// InvalidArgument unless m >= 1 and N >= m + 1.
Result<Network> BarabasiAlbertNetwork(std::size_t nodes, std::size_t m, std::uint64_t seed);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_TESTING_GRAPH_GENERATORS_H_
