// The deterministic threshold rule of seed 003 (docs/model.md section 4),
// for reproducing the paper's scenarios.
//
// Sources are infected at step 0 with a risk value r in (0, 1] (the event's
// severity). Each step, every node infected at the previous step adds its
// interference r_i * w~_ij to each not yet infected out-neighbour j. A node
// whose accumulated interference I_j exceeds its resistance
// h * rho_j (rho = the bounded 1/omega of vulnerability.h, 1 for the typical
// node) is infected at that step and passes on the attenuated value
// r_j = I_j - h * rho_j, the part of
// the shock its resistance did not absorb. There is no recovery: the rule
// describes how far a shock cascades, not for how long.
#ifndef RISKD_ENGINE_TESTING_THRESHOLD_H_
#define RISKD_ENGINE_TESTING_THRESHOLD_H_

#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

struct ThresholdOptions {
  // Steps to run, >= 1.
  int horizon = 30;
  // h: how much interference a typical node absorbs; > 0. With 0.5 a
  // node of typical resistance falls when suppliers worth more than half of
  // its inputs pass on their full risk.
  double resistance_scale = 0.5;
};

Status ValidateThresholdOptions(const ThresholdOptions& options);

struct ThresholdResult {
  std::vector<int> infected_at;      // step of infection, -1 if never
  std::vector<double> risk_value;    // r passed on (0 if never infected)
  std::vector<double> interference;  // I accumulated by the end
  std::size_t infected_count = 0;    // sources included
};

// sources: (node, risk value in (0, 1]).
// REQUIRES: vulnerability.rho has graph.node_count entries; the graph was
// built with TransmissionOptions::keep_shares.
ThresholdResult RunThresholdRule(const TransmissionGraph& graph, const Vulnerability& vulnerability,
                                 std::span<const std::pair<NodeIndex, double>> sources,
                                 const ThresholdOptions& options);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_TESTING_THRESHOLD_H_
