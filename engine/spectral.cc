#include "engine/spectral.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
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

std::vector<char> CyclicNodes(const TransmissionGraph& g) {
  // Tarjan's strongly connected components, iterative (a chain of 100k
  // nodes would overflow a recursive one), along the arcs backwards (the
  // in-CSR; the components are the same either way).
  const std::size_t n = g.node_count;
  std::vector<char> cyclic(n, 0);
  constexpr NodeIndex kUnvisited = std::numeric_limits<NodeIndex>::max();
  std::vector<NodeIndex> index(n, kUnvisited), low(n, 0), stack;
  std::vector<char> on_stack(n, 0);
  struct Frame {
    NodeIndex v;
    EdgeIndex next;  // the next arc into v to follow
  };
  std::vector<Frame> calls;
  NodeIndex counter = 0;
  auto visit = [&](NodeIndex v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = 1;
    calls.push_back({v, g.in_begin(v)});
  };
  for (NodeIndex root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    visit(root);
    while (!calls.empty()) {
      const NodeIndex v = calls.back().v;
      if (calls.back().next < g.in_end(v)) {
        const EdgeIndex e = calls.back().next++;
        if (!(EdgeTransmissibility(g, e) > 0)) continue;
        const NodeIndex w = g.source[e];
        if (w == v) {
          cyclic[v] = 1;  // an arc to itself
        } else if (index[w] == kUnvisited) {
          visit(w);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) {
        const NodeIndex u = calls.back().v;
        low[u] = std::min(low[u], low[v]);
      }
      if (low[v] != index[v]) continue;
      // v roots a component: the stack from v up.
      auto first = stack.end();
      do --first;
      while (*first != v);
      const bool many = stack.end() - first > 1;
      for (auto k = first; k != stack.end(); ++k) {
        on_stack[*k] = 0;
        if (many) cyclic[*k] = 1;
      }
      stack.erase(first, stack.end());
    }
  }
  return cyclic;
}

std::vector<double> Transmissibility(const TransmissionGraph& g) {
  std::vector<double> t(g.edge_count(), 0.0);
  for (EdgeIndex e = 0; e < g.edge_count(); ++e) t[e] = EdgeTransmissibility(g, e);
  return t;
}

SpectralRadius ComputeSpectralRadius(const TransmissionGraph& g, const InitialState& init,
                                     const SpectralOptions& opt, const std::vector<char>* cyclic) {
  SpectralRadius r;
  if (opt.max_iterations <= 0) return r;
  const std::size_t n = g.node_count, m = g.edge_count();
  std::vector<char> own;
  // A set of another graph's size (a caller's stale copy) would be read out
  // of bounds: find this graph's cycles instead.
  if (cyclic == nullptr || cyclic->size() != n) {
    own = CyclicNodes(g);
    cyclic = &own;
  }
  // The nodes that can still take part and lie on a cycle: M restricted to
  // them has the nonzero eigenvalues of M on every node that can take part
  // (the other nodes are on no cycle of it, so they add only zeros), so the
  // same radius, without the nilpotent transient of the acyclic rest; none
  // at all: radius exactly 0, as the iteration would find after the longest
  // path. Likewise every non-backtracking cycle of B runs along arcs between
  // these nodes. `rows` lists them: the products only visit their rows.
  std::vector<char> node_in(n, 0);
  std::vector<NodeIndex> rows;
  for (NodeIndex v = 0; v < n; ++v) {
    node_in[v] = init.p_r[v] < 1 && (*cyclic)[v];
    if (node_in[v]) rows.push_back(v);
  }
  if (rows.empty()) return r;

  // M's iteration computes T_e as it goes rather than keeping them (8 bytes
  // per edge, a transient the daemon paid at every refresh). x is 0 outside
  // the support (y[j] stays 0 for j outside: PerronRoot starts y at 0 and
  // only the rows are written), so an edge from outside adds exactly the 0
  // a masked T_e would.
  int it_m = 0, it_b = 0;
  r.transmission = PerronRoot(
      n, node_in, opt,
      [&](const std::vector<double>& x, std::vector<double>& y) {
        for (NodeIndex j : rows) {
          double s = 0;
          for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
            s += EdgeTransmissibility(g, e) * x[g.source[e]];
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
        // Outside the rows into[] stays 0 and so does y on the arcs into
        // other nodes (their te is 0).
        for (NodeIndex i : rows) {
          double s = 0;
          for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) s += x[e];
          into[i] = s;
        }
        for (NodeIndex j : rows) {
          for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
            const EdgeIndex rev = g.reverse[e];
            const double back = rev == kNoEdge ? 0.0 : x[rev];
            y[e] = te[e] * (into[g.source[e]] - back);
          }
        }
      },
      &it_b);
  r.iterations = it_m + it_b;
  r.supercritical = r.non_backtracking > 1;
  return r;
}

}  // namespace riskd::engine
