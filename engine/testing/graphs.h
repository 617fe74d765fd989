// Small graph builders for engine tests.
#ifndef RISKD_ENGINE_TESTING_GRAPHS_H_
#define RISKD_ENGINE_TESTING_GRAPHS_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/network.h"
#include "engine/risk_type.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine::testing {

// Nodes "n0".."n{n-1}"; edges (from, to, weight) on the material layer.
Network MakeNetwork(int n, const std::vector<std::tuple<int, int, double>>& edges);

// Random tree on n nodes (edge directions and weights random), fixed seed.
Network RandomTree(int n, std::uint64_t seed);

// Erdos-Renyi G(n, m) with random directions and weights in [0.5, 2).
Network RandomGraph(int n, int m, std::uint64_t seed);

// The transmission graph of a risk type with the given alpha, beta and
// direction on the material layer, vulnerability computed in `mode`.
TransmissionGraph BuildGraph(
    const Network& net, Direction direction, double alpha, double beta,
    VulnerabilityOptions::Mode mode = VulnerabilityOptions::Mode::kSeed003);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_GRAPHS_H_
