// Synthetic networks with fixed seeds, for benchmarks and tests: pure
// functions of their arguments (the random source is std::mt19937_64, whose
// output the C++ standard fixes, reduced to ranges without the
// implementation-defined std:: distributions).
//
// Nodes are "n0", "n1", ...; edges go on the material layer.
#ifndef RISKD_ENGINE_TESTING_GENERATORS_H_
#define RISKD_ENGINE_TESTING_GENERATORS_H_

#include <cstdint>

#include "engine/network.h"

namespace riskd::engine {

struct GeneratorOptions {
  std::uint64_t seed = 1;
  // Edge weights uniform in [min_weight, max_weight]; 0 < min <= max.
  double min_weight = 1.0;
  double max_weight = 1.0;
};

// Barabasi-Albert preferential attachment: a clique on m + 1 nodes, then
// each new node links to m distinct earlier nodes chosen with probability
// proportional to their degree (sampling from the list of edge endpoints).
// Edges point from the earlier node to the new one (an established supplier
// to a newer customer), so in-degree is m and out-degree is scale-free.
// m * (n - m - 1) + m (m + 1) / 2 edges.
// REQUIRES: 1 <= m < n.
Network BarabasiAlbert(std::size_t n, std::size_t m, const GeneratorOptions& options = {});

// Watts-Strogatz small world: a ring where each node links to its k nearest
// neighbours on each side (edge i -> i + d, d = 1..k), then each edge's
// far end is rewired with probability beta to a uniform node (no self-loops,
// no duplicates). n * k edges; clustered (many triangles) for small beta.
// REQUIRES: 1 <= k, 2k < n, 0 <= beta <= 1.
Network WattsStrogatz(std::size_t n, std::size_t k, double beta,
                      const GeneratorOptions& options = {});

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_TESTING_GENERATORS_H_
