// Evaluation of immunization targets: the expected number of nodes
// disrupted within the horizon when the targets are protected, by Monte
// Carlo (engine/monte_carlo.h) from a given state, with its standard error.
//
// Protected targets start recovered (P_R = 1: never disrupted, pass nothing
// on); every other node keeps its state, and the number disrupted counts the
// sources that are disrupted at t = 0 too, identically for every set of
// targets. The Monte Carlo uses common random numbers: two evaluations with
// the same seed see the same outbreaks, so their difference is measured with
// the (much smaller) paired standard error. To judge a planner fairly, give
// the evaluation a seed different from the planner's: its outbreaks are then
// independent of the ones the planner optimized on.
#ifndef RISKD_ENGINE_IMMUNIZATION_EVALUATION_H_
#define RISKD_ENGINE_IMMUNIZATION_EVALUATION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine::immunization {

struct EvaluationOptions {
  // Horizon T in steps, >= 1.
  int horizon = 30;
  // Monte Carlo realizations, >= 2.
  std::uint32_t realizations = 2000;
  // Seed of the Monte Carlo; keep it different from the planner's.
  std::uint64_t seed = 0x6576616c;  // "eval"
};

struct Evaluation {
  // Mean over realizations of the number disrupted within T.
  double expected_disrupted = 0;
  // Standard error of that mean: sample standard deviation / sqrt(runs).
  double standard_error = 0;
  // Per realization, the number disrupted (for paired comparisons).
  std::vector<std::uint32_t> sizes;
};

// InvalidArgument for a target outside the graph, a state of the wrong size
// or invalid options.
Result<Evaluation> EvaluateTargets(const TransmissionGraph& graph, const InitialState& state,
                                   std::span<const NodeIndex> targets,
                                   const EvaluationOptions& options);

// A sample mean with its standard error.
struct Estimate {
  double mean = 0;
  double standard_error = 0;
};
// Standard error = sample standard deviation / sqrt(n); 0 when n < 2.
Estimate EstimateMean(std::span<const double> values);

// The mean of a - b realization by realization, with its standard error.
// REQUIRES: a and b from the same graph, state and options (same seed).
Estimate ComparePaired(const Evaluation& a, const Evaluation& b);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_EVALUATION_H_
