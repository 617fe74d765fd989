// Exact marginals of the discrete-time SIR model of engine/dmp.h on tiny
// graphs, by evolving the full distribution over all 3^n joint states. The
// reference every projection method is checked against.
#ifndef RISKD_ENGINE_TESTING_SIR_EXACT_H_
#define RISKD_ENGINE_TESTING_SIR_EXACT_H_

#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine::testing {

struct ExactMarginals {
  // [t][node], t = 0..T
  std::vector<std::vector<double>> p_s, p_i, p_r;
};

// REQUIRES: graph.node_count <= 9.
ExactMarginals ExactSir(const TransmissionGraph& graph, const InitialState& initial, int horizon);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_SIR_EXACT_H_
