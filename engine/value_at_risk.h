// Value at risk (DESIGN section 5): what a node is worth to the business,
// so that incidents and alerts can be ranked by expected loss rather than by
// probability alone. A node's value is its own `value` attribute when the
// network gives one (NodeAttributes::value), else the business volume
// through it: max(sum of its in-edge weights, sum of its out-edge weights)
// over every layer (edge weights are business volumes, DESIGN section 3;
// the larger side counts a raw-material supplier by what it ships and a
// final assembler by what it buys). Value at risk = P(disrupted within the
// horizon) x value, in the unit of the edge weights.
//
// Pure functions; no state.
#ifndef RISKD_ENGINE_VALUE_AT_RISK_H_
#define RISKD_ENGINE_VALUE_AT_RISK_H_

#include <vector>

#include "engine/network.h"

namespace riskd::engine {

// One value per node slot (0 for removed slots). O(nodes + edges).
// REQUIRES: network.compacted().
std::vector<double> NodeValues(const Network& network);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_VALUE_AT_RISK_H_
