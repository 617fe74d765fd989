#include "engine/dmp.h"

#include <algorithm>

namespace riskd::engine {
namespace {

constexpr std::uint8_t kSeen = 1;      // per-node workspace values are valid
constexpr std::uint8_t kTouched = 2;   // messages out of it are propagated
constexpr std::uint8_t kDirty = 4;     // an in-message changed this step
constexpr std::uint8_t kFrontier = 8;  // listed in the region's nodes

}  // namespace

void DmpWorkspace::Prepare(const TransmissionGraph& g) {
  const std::size_t m = g.edge_count(), n = g.node_count;
  if (theta_.size() < m) {
    theta_.resize(m, 1.0);
    phi_.resize(m, 0.0);
    cavity_.resize(m, 0.0);
  }
  if (flags_.size() < n) {
    ps_.resize(n);
    pi_.resize(n);
    pr_.resize(n);
    ps_at_horizon_.resize(n);
    eta_hit_.resize(n);
    history_at_.resize(n);
    flags_.resize(n, 0);
  }
}

std::size_t DmpWorkspace::MemoryBytes() const {
  return (theta_.capacity() + phi_.capacity() + cavity_.capacity() + ps_.capacity() +
          pi_.capacity() + pr_.capacity() + ps_at_horizon_.capacity() + history_.capacity() +
          exclusive_.capacity()) * sizeof(double) +
         eta_hit_.capacity() * sizeof(int) + flags_.capacity() +
         history_at_.capacity() * sizeof(std::size_t) +
         (active_.capacity() + seen_.capacity() + dirty_.capacity()) * sizeof(NodeIndex);
}

// One DMP run over a workspace; leaves the workspace clean.
class DmpRun {
 public:
  DmpRun(const TransmissionGraph& g, const InitialState& init, const DmpOptions& opt,
         DmpWorkspace* ws)
      : g_(g), init_(init), opt_(opt), w_(*ws) {}

  // on_step(t) runs after step t = 0..T.
  template <typename OnStep>
  DmpRegion Run(std::span<const NodeIndex> sources, OnStep on_step) {
    const int T = opt_.horizon;
    DmpRegion out;
    for (NodeIndex v : sources) {
      if (init_.p_i[v] > 0 && !(w_.flags_[v] & kTouched)) Touch(v);
    }
    on_step(0);
    for (int t = 1; t <= T; ++t) {
      PropagateTheta(&out.edge_updates);
      UpdateDirtyNodes(t);
      for (NodeIndex k : w_.active_) UpdateMessages(k, t);
      for (NodeIndex k : w_.active_) UpdateMarginals(k, t);
      on_step(t);
    }
    Collect(&out);
    Reset();
    return out;
  }

  bool seen(NodeIndex v) const { return w_.flags_[v] & kSeen; }
  bool touched(NodeIndex v) const { return w_.flags_[v] & kTouched; }
  // Current marginals; valid for seen (P_S) or touched (P_I, P_R) nodes.
  const std::vector<double>& ps() const { return w_.ps_; }
  const std::vector<double>& pi() const { return w_.pi_; }
  const std::vector<double>& pr() const { return w_.pr_; }

 private:
  void Enter(NodeIndex v) {
    if (w_.flags_[v] & kSeen) return;
    w_.flags_[v] |= kSeen;
    w_.seen_.push_back(v);
    w_.ps_[v] = init_.p_s[v];
    w_.ps_at_horizon_[v] = init_.p_s[v];
    w_.pi_[v] = init_.p_i[v];
    w_.pr_[v] = init_.p_r[v];
    w_.eta_hit_[v] = init_.p_i[v] >= 0.5 ? 0 : -1;
  }

  void Touch(NodeIndex k) {
    Enter(k);
    w_.flags_[k] |= kTouched;
    w_.active_.push_back(k);
    for (EdgeIndex e : g_.out(k)) {
      w_.phi_[e] = init_.p_i[k];
      w_.cavity_[e] = init_.p_s[k];
    }
    if (const int L = g_.latency[k]; L > 0) {
      // Rings of the last L+1 values of P_S^k and of each cavity P_S^{k->i};
      // the time before touching counts as P_S(0).
      w_.history_at_[k] = w_.history_.size();
      w_.history_.resize(w_.history_.size() + (L + 1) * (1 + g_.out(k).size()), init_.p_s[k]);
    }
  }

  // theta(t) from phi(t-1) on every propagated edge.
  void PropagateTheta(std::uint64_t* edge_updates) {
    w_.dirty_.clear();
    for (NodeIndex k : w_.active_) {
      const auto out = g_.out(k);
      for (EdgeIndex e : out) {
        const NodeIndex i = g_.target[e];
        if (init_.p_s[i] == 0) continue;  // i cannot be infected
        w_.theta_[e] -= g_.p[e] * w_.phi_[e];
        if (!(w_.flags_[i] & kDirty)) {
          Enter(i);
          w_.flags_[i] |= kDirty;
          w_.dirty_.push_back(i);
        }
      }
      *edge_updates += out.size();
    }
  }

  // P_S(t) of nodes with a changed in-message; newly hit nodes start
  // propagating this very step.
  void UpdateDirtyNodes(int t) {
    for (NodeIndex i : w_.dirty_) {
      w_.flags_[i] &= static_cast<std::uint8_t>(~kDirty);
      double prod = init_.p_s[i];
      for (EdgeIndex e = g_.in_begin(i); e < g_.in_end(i); ++e) prod *= w_.theta_[e];
      w_.ps_[i] = prod;
      if (t + g_.latency[i] <= opt_.horizon) w_.ps_at_horizon_[i] = prod;
      if (w_.eta_hit_[i] < 0 && 1.0 - prod - init_.p_r[i] >= 0.5) w_.eta_hit_[i] = t;
      if (!(w_.flags_[i] & kTouched) && init_.p_s[i] - prod > opt_.tolerance) Touch(i);
    }
  }

  // phi(t) on the out-edges of k, using the cavity P_S^{k->i}(t) that
  // leaves out the reverse edge i -> k.
  void UpdateMessages(NodeIndex k, int t) {
    const EdgeIndex b = g_.in_begin(k), en = g_.in_end(k);
    const std::size_t deg = en - b;
    auto& excl = w_.exclusive_;
    excl.assign(deg, 1.0);
    double acc = 1.0;
    for (std::size_t x = 0; x < deg; ++x) {
      excl[x] = acc;
      acc *= w_.theta_[b + x];
    }
    double suffix = 1.0;
    for (std::size_t x = deg; x-- > 0;) {
      excl[x] *= suffix;
      suffix *= w_.theta_[b + x];
    }
    const double keep = 1.0 - g_.q[k];
    const double ps0 = init_.p_s[k];
    const int L = g_.latency[k];
    const auto out = g_.out(k);
    if (L == 0) {
      for (EdgeIndex e : out) {
        const EdgeIndex rev = g_.reverse[e];
        const double cav = ps0 * (rev == kNoEdge ? acc : excl[rev - b]);
        w_.phi_[e] = (1.0 - g_.p[e]) * keep * w_.phi_[e] - (cav - w_.cavity_[e]);
        w_.cavity_[e] = cav;
      }
      return;
    }
    // With latency, the nodes hit at t - L become infectious now: the ring
    // slot t % (L+1) holds cavity(t-L-1), slot (t+1) % (L+1) cavity(t-L).
    const std::size_t span = static_cast<std::size_t>(L) + 1;
    double* ring = w_.history_.data() + w_.history_at_[k] + span;
    const std::size_t older = static_cast<std::size_t>(t) % span;
    const std::size_t newer = static_cast<std::size_t>(t + 1) % span;
    for (EdgeIndex e : out) {
      const EdgeIndex rev = g_.reverse[e];
      const double cav = ps0 * (rev == kNoEdge ? acc : excl[rev - b]);
      const double onset = ring[older] - ring[newer];
      ring[older] = cav;
      w_.phi_[e] = (1.0 - g_.p[e]) * keep * w_.phi_[e] + onset;
      ring += span;
    }
  }

  void UpdateMarginals(NodeIndex k, int t) {
    w_.pr_[k] += g_.q[k] * w_.pi_[k];
    double ps_onset = w_.ps_[k];  // P_S(t - L)
    if (const int L = g_.latency[k]; L > 0) {
      const std::size_t span = static_cast<std::size_t>(L) + 1;
      double* ring = w_.history_.data() + w_.history_at_[k];
      ring[static_cast<std::size_t>(t) % span] = w_.ps_[k];
      ps_onset = ring[static_cast<std::size_t>(t + 1) % span];
    }
    w_.pi_[k] = std::max(0.0, 1.0 - ps_onset - w_.pr_[k]);
  }

  void Collect(DmpRegion* out) {
    const int T = opt_.horizon;
    out->nodes = w_.active_;
    out->touched_count = w_.active_.size();
    const std::size_t first_extra = out->nodes.size();
    for (NodeIndex k : w_.active_) {
      for (EdgeIndex e : g_.out(k)) {
        const NodeIndex i = g_.target[e];
        if (w_.flags_[i] & (kTouched | kFrontier)) continue;
        w_.flags_[i] |= kFrontier;
        out->nodes.push_back(i);
      }
    }
    std::sort(out->nodes.begin() + static_cast<std::ptrdiff_t>(first_extra), out->nodes.end());
    const std::size_t size = out->nodes.size();
    out->risk.resize(size);
    out->eta.resize(size);
    out->parent.resize(size);
    for (std::size_t x = 0; x < size; ++x) {
      const NodeIndex v = out->nodes[x];
      Enter(v);
      out->risk[x] = std::clamp(1.0 - w_.ps_at_horizon_[v] - init_.p_r[v], 0.0, 1.0);
      const int hit = w_.eta_hit_[v];
      const int onset = hit <= 0 ? hit : hit + g_.latency[v];
      out->eta[x] = onset <= T ? onset : -1;
      NodeIndex parent = kNoNode;
      double best = 0;
      for (EdgeIndex e = g_.in_begin(v); e < g_.in_end(v); ++e) {
        const double passed = 1.0 - w_.theta_[e];
        if (passed > best) {
          best = passed;
          parent = g_.source[e];
        }
      }
      out->parent[x] = parent;
    }
  }

  void Reset() {
    for (NodeIndex k : w_.active_) {
      for (EdgeIndex e : g_.out(k)) {
        w_.theta_[e] = 1.0;
        w_.phi_[e] = 0.0;
        w_.cavity_[e] = 0.0;
      }
    }
    for (NodeIndex v : w_.seen_) w_.flags_[v] = 0;
    w_.active_.clear();
    w_.seen_.clear();
    w_.dirty_.clear();
    w_.history_.clear();
  }

  const TransmissionGraph& g_;
  const InitialState& init_;
  const DmpOptions& opt_;
  DmpWorkspace& w_;
};

DmpRegion RunDmpRegion(const TransmissionGraph& g, const InitialState& init,
                       std::span<const NodeIndex> sources, const DmpOptions& opt,
                       DmpWorkspace* ws) {
  return DmpRun(g, init, opt, ws).Run(sources, [](int) {});
}

DmpResult RunDmp(const TransmissionGraph& g, const InitialState& init, const DmpOptions& opt) {
  const std::size_t n = g.node_count;
  DmpResult r;
  r.horizon = opt.horizon;
  r.p_i = init.p_i;
  r.p_r = init.p_r;
  DmpWorkspace ws;
  ws.Prepare(g);
  std::vector<NodeIndex> sources;
  for (NodeIndex v = 0; v < n; ++v) {
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  DmpRun run(g, init, opt, &ws);
  // Values of nodes the run has seen live in the workspace; the rest keep
  // their initial marginals.
  auto snapshot = [&](const std::vector<double>& base, const std::vector<double>& live,
                      bool touched_only) {
    std::vector<double> out = base;
    for (NodeIndex v = 0; v < n; ++v) {
      if (run.seen(v) && (!touched_only || run.touched(v))) out[v] = live[v];
    }
    return out;
  };
  const DmpRegion region = run.Run(sources, [&](int t) {
    if (opt.record_marginals) {
      r.p_s_t.push_back(snapshot(init.p_s, run.ps(), false));
      r.p_i_t.push_back(snapshot(init.p_i, run.pi(), true));
      r.p_r_t.push_back(snapshot(init.p_r, run.pr(), true));
    }
    if (t == opt.horizon) {
      r.p_i = snapshot(init.p_i, run.pi(), true);
      r.p_r = snapshot(init.p_r, run.pr(), true);
    }
  });
  r.risk.assign(n, 0.0);
  r.eta.assign(n, -1);
  r.parent.assign(n, kNoNode);
  for (std::size_t x = 0; x < region.nodes.size(); ++x) {
    const NodeIndex v = region.nodes[x];
    r.risk[v] = region.risk[x];
    r.eta[v] = region.eta[x];
    r.parent[v] = region.parent[x];
  }
  r.touched_nodes = region.touched_count;
  r.edge_updates = region.edge_updates;
  for (double x : r.risk) r.expected_disrupted += x;
  return r;
}

std::vector<NodeIndex> CausePath(std::span<const NodeIndex> parent, std::span<const double> risk,
                                 const InitialState& initial, NodeIndex node,
                                 std::size_t max_length) {
  std::vector<NodeIndex> path;
  if (node >= risk.size() || risk[node] <= 0) return path;
  NodeIndex v = node;
  while (v != kNoNode && path.size() < max_length) {
    if (std::find(path.begin(), path.end(), v) != path.end()) break;  // cycle guard
    path.push_back(v);
    if (initial.p_i[v] > 0) break;  // reached an observed source
    v = parent[v];
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<NodeIndex> CausePath(const DmpResult& result, const InitialState& initial,
                                 NodeIndex node, std::size_t max_length) {
  return CausePath(result.parent, result.risk, initial, node, max_length);
}

}  // namespace riskd::engine
