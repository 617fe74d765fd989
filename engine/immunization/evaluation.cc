#include "engine/immunization/evaluation.h"

#include <cmath>

#include "engine/monte_carlo.h"

namespace riskd::engine::immunization {

Result<Evaluation> EvaluateTargets(const TransmissionGraph& graph, const InitialState& state,
                                   std::span<const NodeIndex> targets,
                                   const EvaluationOptions& options) {
  if (options.horizon < 1) return Status::InvalidArgument("evaluation: horizon must be >= 1");
  if (options.realizations < 2) {
    return Status::InvalidArgument("evaluation: realizations must be >= 2");
  }
  const std::size_t n = graph.node_count;
  if (state.p_s.size() != n || state.p_i.size() != n || state.p_r.size() != n) {
    return Status::InvalidArgument("evaluation: state does not match the graph");
  }
  InitialState protected_state = state;
  for (NodeIndex v : targets) {
    if (v >= n) return Status::InvalidArgument("evaluation: target outside the graph");
    protected_state.p_s[v] = 0;
    protected_state.p_i[v] = 0;
    protected_state.p_r[v] = 1;
  }
  MonteCarloResult mc =
      RunMonteCarlo(graph, protected_state, {.horizon = options.horizon, .seed = options.seed},
                    options.realizations);
  std::vector<double> sizes(mc.sizes.begin(), mc.sizes.end());
  const Estimate estimate = EstimateMean(sizes);
  return Evaluation{.expected_disrupted = estimate.mean,
                    .standard_error = estimate.standard_error,
                    .sizes = std::move(mc.sizes)};
}

Estimate EstimateMean(std::span<const double> values) {
  Estimate e;
  if (values.empty()) return e;
  const double n = static_cast<double>(values.size());
  for (double v : values) e.mean += v;
  e.mean /= n;
  if (values.size() < 2) return e;
  double squares = 0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  e.standard_error = std::sqrt(squares / (n - 1) / n);
  return e;
}

Estimate ComparePaired(const Evaluation& a, const Evaluation& b) {
  std::vector<double> differences(a.sizes.size());
  for (std::size_t k = 0; k < a.sizes.size(); ++k) {
    differences[k] = static_cast<double>(a.sizes[k]) - static_cast<double>(b.sizes[k]);
  }
  return EstimateMean(differences);
}

}  // namespace riskd::engine::immunization
