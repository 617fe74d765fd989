// Exact marginals of the discrete-time SIR model of engine/dmp.h (with onset
// delays) on tiny graphs, by evolving the full distribution over all joint
// states. The reference every projection method is checked against.
#ifndef RISKD_ENGINE_TESTING_SIR_EXACT_H_
#define RISKD_ENGINE_TESTING_SIR_EXACT_H_

#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine::testing {

struct ExactMarginals {
  // [t][node], t = 0..now + T. A node hit but not yet disrupted (onset
  // delay) is in none of S, I, R. Before its start step a node is S.
  std::vector<std::vector<double>> p_s, p_i, p_r;
  // [node]: P(disrupted at some step of the window [now, e]) (state.h),
  // sources included, recovered nodes excluded.
  std::vector<double> risk;
};

// With the times of `initial` (state.h): a node starting at c > 0 is S and
// shielded (attempts on it void) until c, then drawn from its marginals; a
// node with an end is R from it on, and does not recover before it when
// fixed.
// REQUIRES: (3 + max latency)^node_count <= 2e5.
ExactMarginals ExactSir(const TransmissionGraph& graph, const InitialState& initial, int horizon);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_SIR_EXACT_H_
