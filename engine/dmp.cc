#include "engine/dmp.h"

#include <algorithm>

namespace riskd::engine {

DmpResult RunDmp(const TransmissionGraph& g, const InitialState& init, const DmpOptions& opt) {
  const std::size_t n = g.node_count;
  const std::size_t m = g.edge_count();
  const int T = opt.horizon;
  DmpResult r;
  r.horizon = T;

  std::vector<double> theta(m, 1.0), phi(m, 0.0), ps_cav(m, 0.0);
  std::vector<double> ps(init.p_s), pi(init.p_i), pr(init.p_r);
  std::vector<char> touched(n, 0), dirty(n, 0);
  std::vector<NodeIndex> active;  // touched nodes, in order of touching
  r.eta.assign(n, -1);

  auto touch = [&](NodeIndex k) {
    touched[k] = 1;
    active.push_back(k);
    for (EdgeIndex e : g.out(k)) {
      phi[e] = init.p_i[k];
      ps_cav[e] = init.p_s[k];
    }
  };
  for (NodeIndex v = 0; v < n; ++v) {
    if (init.p_i[v] > 0) touch(v);
    if (1.0 - ps[v] >= 0.5) r.eta[v] = 0;
  }
  auto record = [&]() {
    if (!opt.record_marginals) return;
    r.p_s_t.push_back(ps);
    r.p_i_t.push_back(pi);
    r.p_r_t.push_back(pr);
  };
  record();

  std::vector<NodeIndex> dirty_list;
  std::vector<double> excl;  // exclusive products of theta into one node
  for (int t = 1; t <= T; ++t) {
    // 1. theta(t) from phi(t-1) on every propagated edge.
    dirty_list.clear();
    for (NodeIndex k : active) {
      for (EdgeIndex e : g.out(k)) {
        const NodeIndex i = g.target[e];
        if (init.p_s[i] == 0) continue;  // i cannot be infected
        theta[e] -= g.p[e] * phi[e];
        if (!dirty[i]) {
          dirty[i] = 1;
          dirty_list.push_back(i);
        }
      }
      r.edge_updates += g.out(k).size();
    }
    // 2. P_S(t) of nodes with a changed in-message; newly hit nodes start
    // propagating this very step.
    for (NodeIndex i : dirty_list) {
      dirty[i] = 0;
      double prod = init.p_s[i];
      for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) prod *= theta[e];
      ps[i] = prod;
      if (!touched[i] && init.p_s[i] - prod > opt.tolerance) touch(i);
    }
    // 3. phi(t) on the out-edges of every active node, using the cavity
    // P_S^{k->i}(t) that leaves out the reverse edge i -> k.
    for (NodeIndex k : active) {
      const EdgeIndex b = g.in_begin(k), en = g.in_end(k);
      const std::size_t deg = en - b;
      excl.assign(deg, 1.0);
      double acc = 1.0;
      for (std::size_t x = 0; x < deg; ++x) {
        excl[x] = acc;
        acc *= theta[b + x];
      }
      acc = 1.0;
      for (std::size_t x = deg; x-- > 0;) {
        excl[x] *= acc;
        acc *= theta[b + x];
      }
      const double keep = 1.0 - g.q[k];
      for (EdgeIndex e : g.out(k)) {
        const EdgeIndex rev = g.reverse[e];
        const double cav = init.p_s[k] * (rev == kNoEdge ? acc : excl[rev - b]);
        phi[e] = (1.0 - g.p[e]) * keep * phi[e] - (cav - ps_cav[e]);
        ps_cav[e] = cav;
      }
    }
    // 4. Marginals of active nodes (all others keep P_I = 0, P_R constant).
    for (NodeIndex k : active) {
      pr[k] += g.q[k] * pi[k];
      pi[k] = std::max(0.0, 1.0 - ps[k] - pr[k]);
      if (r.eta[k] < 0 && 1.0 - ps[k] >= 0.5) r.eta[k] = t;
    }
    record();
  }

  r.risk.assign(n, 0.0);
  r.parent.assign(n, kNoNode);
  for (NodeIndex v = 0; v < n; ++v) r.risk[v] = std::clamp(1.0 - ps[v] - init.p_r[v], 0.0, 1.0);
  for (NodeIndex k : active) {
    double best = 0;
    for (EdgeIndex e = g.in_begin(k); e < g.in_end(k); ++e) {
      const double passed = 1.0 - theta[e];
      if (passed > best) {
        best = passed;
        r.parent[k] = g.source[e];
      }
    }
  }
  r.p_i = std::move(pi);
  r.p_r = std::move(pr);
  r.touched_nodes = active.size();
  for (double x : r.risk) r.expected_disrupted += x;
  return r;
}

std::vector<NodeIndex> CausePath(const DmpResult& result, const InitialState& initial,
                                 NodeIndex node, std::size_t max_length) {
  std::vector<NodeIndex> path;
  if (node >= result.risk.size() || result.risk[node] <= 0) return path;
  NodeIndex v = node;
  while (v != kNoNode && path.size() < max_length) {
    if (std::find(path.begin(), path.end(), v) != path.end()) break;  // cycle guard
    path.push_back(v);
    if (initial.p_i[v] > 0) break;  // reached an observed source
    v = result.parent[v];
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace riskd::engine
