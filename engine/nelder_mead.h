// Nelder-Mead simplex minimization (Nelder & Mead 1965; the standard
// coefficients of Lagarias et al. 1998: reflection 1, expansion 2,
// contraction 1/2, shrink 1/2) for the few smooth parameters of a
// calibration, where derivatives would cost as much as evaluations. After
// converging it restarts once from the best point with a fresh simplex, the
// usual guard against a simplex that collapsed before reaching the minimum.
// Pure function of its inputs; thread-safe.
#ifndef RISKD_ENGINE_NELDER_MEAD_H_
#define RISKD_ENGINE_NELDER_MEAD_H_

#include <functional>
#include <vector>

namespace riskd::engine {

struct NelderMeadOptions {
  // Initial simplex: start plus start + step * e_k for each coordinate. > 0.
  double initial_step = 0.5;
  // Converged when every vertex is within x_tolerance of the best (max norm)
  // and the function values within f_tolerance of the best value.
  double x_tolerance = 1e-6;
  double f_tolerance = 1e-9;
  // Most function evaluations, restarts included.
  int max_evaluations = 1000;
};

struct NelderMeadResult {
  std::vector<double> x;  // best point found
  double value = 0;       // f(x)
  int evaluations = 0;
  bool converged = false;  // false: stopped at max_evaluations
};

// Minimizes f from `start`. f may return +infinity for points it rejects.
NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> start, const NelderMeadOptions& options = {});

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_NELDER_MEAD_H_
