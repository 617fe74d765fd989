#include "engine/spectral.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace riskd::engine {
namespace {

// Perron root of a non-negative operator: apply(x, y) must set y = A x.
// x starts uniform on the `support` entries and is renormalized to sum 1
// after every product, so the sum of A x is the growth factor g_k.
//
// First, plain power iteration. A nilpotent operator (no cycle: downstream
// risk on an acyclic network, B on a tree) reaches A^k x = 0 after the
// longest path: radius exactly 0. Otherwise the geometric mean of the last
// two growth factors converges to the radius, at the rate |lambda_2| / rho,
// for aperiodic operators and for period 2 (bipartite structures, whose
// factors alternate but multiply to rho^2 over two steps). When it has not
// converged within max_iterations (another period), the shifted iteration
// on A + I takes over from where x is: it converges whatever the period,
// at the slower rate (1 + lambda_2) / (1 + rho), which is why it is not the
// first choice (restart_bench's state, rho ~ 0.19: 887 products, 99 now).
template <typename Apply>
double PerronRoot(std::size_t size, const std::vector<char>& support, const SpectralOptions& opt,
                  Apply apply, int* iterations) {
  std::vector<double> x(size, 0.0), y(size, 0.0);
  double count = 0;
  for (std::size_t k = 0; k < size; ++k) count += support[k] ? 1 : 0;
  if (count == 0) return 0;
  for (std::size_t k = 0; k < size; ++k) x[k] = support[k] ? 1.0 / count : 0.0;
  // Converged when the step is within tolerance and so is the error left,
  // extrapolated from how fast the steps shrink (geometric: step * r /
  // (1 - r), r the largest of the last three step ratios, since steps
  // shrink unevenly when the second eigenvalue is complex): a small step
  // alone is not enough when the iteration crawls.
  double last_step = 0;
  std::array<double, 3> ratios{};
  int steps = 0;
  auto converged = [&](double next, double estimate) {
    const double step = std::fabs(next - estimate);
    ratios[static_cast<std::size_t>(steps % 3)] = last_step > 0 ? step / last_step : 1.0;
    last_step = step;
    if (++steps < 3) return false;
    if (step == 0) return true;
    const double r = *std::max_element(ratios.begin(), ratios.end());
    const double tolerance = opt.tolerance * std::max(1.0, next);
    return step <= tolerance && r < 1 && step * r / (1 - r) <= tolerance;
  };
  double growth = 0, estimate = -1;
  for (int it = 1; it <= opt.max_iterations; ++it) {
    apply(x, y);
    double sum = 0;
    for (double v : y) sum += v;
    *iterations = it;
    if (sum == 0) return 0;
    for (std::size_t k = 0; k < size; ++k) x[k] = y[k] / sum;
    if (it > 1) {
      const double next = std::sqrt(sum * growth);
      if (it > 2 && converged(next, estimate)) return next;
      estimate = next;
    }
    growth = sum;
  }
  estimate = 0;
  last_step = 0;
  steps = 0;
  for (int it = 1; it <= opt.max_iterations; ++it) {
    apply(x, y);
    double sum = 0;
    for (std::size_t k = 0; k < size; ++k) {
      y[k] += x[k];
      sum += y[k];
    }
    // x sums to 1, so sum(y) = (A + I) x's growth factor.
    const double next = sum - 1.0;
    for (std::size_t k = 0; k < size; ++k) x[k] = y[k] / sum;
    ++*iterations;
    const bool done = it > 1 && converged(next, estimate);
    estimate = next;
    if (done) break;
  }
  return std::max(0.0, estimate);
}

// T_e of edge e (see spectral.h).
double EdgeTransmissibility(const TransmissionGraph& g, EdgeIndex e) {
  const double p = g.p[e], q = g.q[g.source[e]];
  const double denom = p + q - p * q;
  return denom > 0 ? p / denom : 0.0;
}

}  // namespace

std::vector<double> Transmissibility(const TransmissionGraph& g) {
  std::vector<double> t(g.edge_count(), 0.0);
  for (EdgeIndex e = 0; e < g.edge_count(); ++e) t[e] = EdgeTransmissibility(g, e);
  return t;
}

SpectralRadius ComputeSpectralRadius(const TransmissionGraph& g, const InitialState& init,
                                     const SpectralOptions& opt) {
  SpectralRadius r;
  if (opt.max_iterations <= 0) return r;
  const std::size_t n = g.node_count, m = g.edge_count();
  std::vector<char> node_in(n, 0);
  for (NodeIndex v = 0; v < n; ++v) node_in[v] = init.p_r[v] < 1;

  // M's iteration computes T_e as it goes rather than keeping them (8 bytes
  // per edge, a transient the daemon paid at every refresh). x is 0 outside
  // the support (y[j] = 0 for j outside, every sum stays 0 there), so an
  // edge from outside adds exactly the 0 a masked T_e would.
  int it_m = 0, it_b = 0;
  r.transmission = PerronRoot(
      n, node_in, opt,
      [&](const std::vector<double>& x, std::vector<double>& y) {
        for (NodeIndex j = 0; j < n; ++j) {
          double s = 0;
          if (node_in[j]) {
            for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
              s += EdgeTransmissibility(g, e) * x[g.source[e]];
            }
          }
          y[j] = s;
        }
      },
      &it_m);

  if (!g.has_reverse) {
    // No arc has a reverse: every walk is non-backtracking, rho(B) = rho(M).
    r.non_backtracking = r.transmission;
    r.iterations = it_m;
    r.supercritical = r.non_backtracking > 1;
    return r;
  }
  std::vector<double> te = Transmissibility(g);
  std::vector<char> edge_in(m, 0);
  for (NodeIndex j = 0; j < n; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      edge_in[e] = node_in[g.source[e]] && node_in[j] && te[e] > 0;
      if (!edge_in[e]) te[e] = 0;
    }
  }
  std::vector<double> into(n, 0.0);
  r.non_backtracking = PerronRoot(
      m, edge_in, opt,
      [&](const std::vector<double>& x, std::vector<double>& y) {
        for (NodeIndex i = 0; i < n; ++i) {
          double s = 0;
          for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) s += x[e];
          into[i] = s;
        }
        for (EdgeIndex e = 0; e < m; ++e) {
          const EdgeIndex rev = g.reverse[e];
          const double back = rev == kNoEdge ? 0.0 : x[rev];
          y[e] = te[e] * (into[g.source[e]] - back);
        }
      },
      &it_b);
  r.iterations = it_m + it_b;
  r.supercritical = r.non_backtracking > 1;
  return r;
}

}  // namespace riskd::engine
