#include "engine/spectral.h"

#include <cmath>
#include <numeric>

namespace riskd::engine {
namespace {

// Perron root of a non-negative operator by power iteration on (A + I):
// apply(x, y) must set y = A x. x starts uniform on `support` entries.
template <typename Apply>
double PerronRoot(std::size_t size, const std::vector<char>& support, const SpectralOptions& opt,
                  Apply apply, int* iterations) {
  std::vector<double> x(size, 0.0), y(size, 0.0);
  double count = 0;
  for (std::size_t k = 0; k < size; ++k) count += support[k] ? 1 : 0;
  if (count == 0) return 0;
  // Without cycles (a downstream risk on an acyclic network; B on a tree)
  // the operator is nilpotent: A^k x vanishes after the longest path, and
  // the radius is exactly 0, which the shifted iteration below would only
  // creep towards. Costs one more iteration series on cyclic graphs.
  for (std::size_t k = 0; k < size; ++k) x[k] = support[k] ? 1.0 : 0.0;
  for (int it = 1; it <= opt.max_iterations; ++it) {
    apply(x, y);
    double sum = 0;
    for (double v : y) sum += v;
    *iterations = it;
    if (sum == 0) return 0;
    for (std::size_t k = 0; k < size; ++k) x[k] = y[k] / sum;
  }
  for (std::size_t k = 0; k < size; ++k) x[k] = support[k] ? 1.0 / count : 0.0;
  double estimate = 0;
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
    const bool converged = std::fabs(next - estimate) <= opt.tolerance * std::max(1.0, next);
    estimate = next;
    if (converged && it > 1) break;
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
  for (EdgeIndex e = 0; e < m; ++e) {
    edge_in[e] = node_in[g.source[e]] && node_in[g.target[e]] && te[e] > 0;
    if (!edge_in[e]) te[e] = 0;
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
