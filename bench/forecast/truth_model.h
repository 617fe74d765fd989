// The ground truth of the forecast benchmark: SIR cascades on a network
// with a heterogeneity riskd does not assume, simulated by the independent
// simulator of engine/testing/cascade_simulator.h (not riskd's Monte
// Carlo). The arcs and dependency shares are computed here from the
// network's edges, not by riskd's transmission graph:
//   rate(i -> j)  = a * w~_ij * s_j     transmission hazard per day
//   recovery(i)   = g * r_i             recovery hazard per day
// with s, r per node from the truth's heterogeneity: uniform (s = r = 1),
// heavy-tailed (independent lognormals with mean 1, unrelated to the
// network), and the uniform rates in continuous time.
#ifndef RISKD_BENCH_FORECAST_TRUTH_MODEL_H_
#define RISKD_BENCH_FORECAST_TRUTH_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/risk_type.h"
#include "engine/testing/cascade_simulator.h"

namespace riskd::bench {

enum class Heterogeneity { kUniform, kHeavyTails, kContinuousTime };
std::string HeterogeneityName(Heterogeneity h);

struct TruthOptions {
  double a = 1.0;  // transmission per unit of dependency share, per day
  double g = 0.5;  // recovery per day
  Heterogeneity heterogeneity = Heterogeneity::kUniform;
  // Standard deviation of log s and log r for kHeavyTails.
  double log_sd = 1.2;
  std::uint64_t seed = 1;
};

// The truth on the material layer of `network` in `direction`.
engine::testing::SimModel TruthModel(const engine::Network& network, engine::Direction direction,
                                     const TruthOptions& options);

// Hop distance from the nearest source along the model's arcs; -1 where
// unreachable.
std::vector<int> HopDistances(const engine::testing::SimModel& model,
                              const std::vector<engine::NodeIndex>& sources);

}  // namespace riskd::bench

#endif  // RISKD_BENCH_FORECAST_TRUTH_MODEL_H_
