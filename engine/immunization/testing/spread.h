// TEST-ONLY helpers for the planner and evaluation tests: a transmission
// graph with given rates, and a state with some nodes disrupted.
#ifndef RISKD_ENGINE_IMMUNIZATION_TESTING_SPREAD_H_
#define RISKD_ENGINE_IMMUNIZATION_TESTING_SPREAD_H_

#include <utility>
#include <vector>

#include "engine/network.h"
#include "engine/risk_type.h"
#include "engine/state.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine::immunization::testing {

// The material layer with the given rates; seed-003 vulnerability, or
// sigma = rho = 1 with uniform.
TransmissionGraph SpreadGraph(const Network& net, Direction direction, double alpha, double beta,
                              bool uniform = false);

// Every node susceptible except the listed (node, severity) pairs, which
// are disrupted with that severity.
InitialState Disrupted(const Network& net,
                       const std::vector<std::pair<NodeIndex, double>>& sources);

}  // namespace riskd::engine::immunization::testing

#endif  // RISKD_ENGINE_IMMUNIZATION_TESTING_SPREAD_H_
