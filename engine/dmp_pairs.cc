#include "engine/dmp_pairs.h"

#include <algorithm>
#include <limits>

namespace riskd::engine {
namespace {

constexpr std::uint32_t kEligible = 1;  // P_S(0) > 0: dmp.cc lets it into the frontier
constexpr std::uint32_t kTouched = 2;   // its messages are propagated
constexpr std::uint32_t kFresh = 4;     // touched, P_I still the initial state's

// How many pairs ahead the sweep prefetches the far endpoint's record.
constexpr std::size_t kPrefetchAhead = 16;

constexpr int kNoHit = std::numeric_limits<int>::min();

float Round(double x) { return static_cast<float>(x); }

}  // namespace

bool PairDmp::Supports(const TransmissionGraph& g, const InitialState& init) {
  if (!g.has_reverse) return false;
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    if (g.latency[j] != 0) return false;
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      if (g.reverse[e] == kNoEdge || g.source[e] == j || !(g.p[e] < 1.0)) return false;
    }
  }
  const auto all = [](const auto& v, auto x) {
    return std::all_of(v.begin(), v.end(), [x](auto y) { return y == x; });
  };
  return init.now == 0 && all(init.start, 0) && all(init.end, InitialState::kNever) &&
         all(init.fixed, 0);
}

PairDmp::PairDmp(const TransmissionGraph& g) : node_count_(g.node_count) {
  row_.assign(node_count_ + 1, 0);
  for (NodeIndex a = 0; a < node_count_; ++a) {
    row_[a] = static_cast<std::uint32_t>(far_.size());
    // a's in-row is sorted by source: the pairs {a, k}, k > a, come out
    // sorted by k.
    for (EdgeIndex e = g.in_begin(a); e < g.in_end(a); ++e) {
      const NodeIndex k = g.source[e];
      if (k <= a) continue;
      far_.push_back(k);
      p_.push_back({g.p[g.reverse[e]], g.p[e]});  // a -> k, k -> a
    }
  }
  row_[node_count_] = static_cast<std::uint32_t>(far_.size());
  q_ = g.q;
  msg_.resize(far_.size());
  node_.resize(node_count_);
  pr_.resize(node_count_);
}

std::size_t PairDmp::MemoryBytes() const {
  return row_.capacity() * sizeof(std::uint32_t) + far_.capacity() * sizeof(NodeIndex) +
         p_.capacity() * sizeof(PairConst) + (q_.capacity() + pr_.capacity()) * sizeof(double) +
         msg_.capacity() * sizeof(PairMessages) + node_.capacity() * sizeof(Node);
}

DmpResult PairDmp::Run(const InitialState& init, const DmpOptions& opt) {
  const std::size_t n = node_count_;
  const int horizon = opt.horizon;
  DmpResult r;
  r.horizon = horizon;
  std::vector<int> eta_hit(n, kNoHit);
  for (NodeIndex v = 0; v < n; ++v) {
    std::uint32_t flags = init.p_s[v] > 0 ? kEligible : 0;
    // Sources propagate from step 0 (dmp.cc Touch), and their ETA starts
    // there when they are disrupted now with probability >= 0.5 (SnapNow).
    if (init.p_i[v] > 0) {
      flags |= kTouched | kFresh;
      ++r.touched_nodes;
      if (1.0 - init.p_s[v] - init.p_r[v] >= 0.5) eta_hit[v] = 0;
    }
    node_[v] = {init.p_s[v], init.p_s[v], init.Fixed(v) ? 1.0 : 1.0 - q_[v], flags};
    pr_[v] = init.p_r[v];
  }
  // phi(0) = P_I(0) on a source's arcs into nodes that can be hit (dmp.cc
  // never updates the others); a cavity's previous value before its source
  // is touched is P_S(0) (dmp.cc sets it at Touch; nothing reads it before).
  for (NodeIndex a = 0; a < n; ++a) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      const NodeIndex b = far_[x];
      const bool a_source = node_[a].flags & kTouched, b_source = node_[b].flags & kTouched;
      msg_[x] = {1.0f,        a_source && (node_[b].flags & kEligible) ? Round(init.p_i[a]) : 0.0f,
                 1.0f,        b_source && (node_[a].flags & kEligible) ? Round(init.p_i[b]) : 0.0f,
                 init.p_s[a], init.p_s[b]};
    }
  }
  Node* node = node_.data();
  PairMessages* msg = msg_.data();
  const PairConst* p = p_.data();
  const NodeIndex* far = far_.data();
  const std::size_t pairs = far_.size();
  for (int t = 1; t <= horizon; ++t) {
    // One sweep: phi(t - 1) (dmp.cc's pass 2 of step t - 1; phi(0) is the
    // initial state's), then theta(t) and P_S(t) (pass 1 of step t).
    const bool phi_step = t >= 2;
    for (NodeIndex a = 0; a < n; ++a) {
      Node& na = node[a];
      const std::uint32_t fa = na.flags;
      const bool a_touched = fa & kTouched, a_eligible = fa & kEligible;
      const double ps_a = na.ps;  // P_S(t - 1)
      const double keep_a = na.keep;
      double acc = na.acc;
      const std::uint32_t end = row_[a + 1];
      for (std::uint32_t x = row_[a]; x < end; ++x) {
        if (x + kPrefetchAhead < pairs) __builtin_prefetch(&node[far[x + kPrefetchAhead]], 1);
        Node& nb = node[far[x]];
        PairMessages& m = msg[x];
        const double p_ab = p[x].p_ab, p_ba = p[x].p_ba;
        if (phi_step) {
          // Cavity P_S^a / theta_{b->a}: the reverse theta is the pair's own.
          if (a_touched && (nb.flags & kEligible)) {
            const double cav = ps_a / m.theta_ba;
            const double decay = (1.0 - p_ab) * keep_a;
            m.phi_ab = Round(decay * m.phi_ab - (cav - m.cavity_ab));
            m.cavity_ab = cav;
          }
          if ((nb.flags & kTouched) && a_eligible) {
            const double cav = nb.ps / m.theta_ab;
            const double decay = (1.0 - p_ba) * nb.keep;
            m.phi_ba = Round(decay * m.phi_ba - (cav - m.cavity_ba));
            m.cavity_ba = cav;
          }
        }
        const float th_ab = Round(m.theta_ab - p_ab * m.phi_ab);
        m.theta_ab = th_ab;
        nb.acc *= th_ab;
        const float th_ba = Round(m.theta_ba - p_ba * m.phi_ba);
        m.theta_ba = th_ba;
        acc *= th_ba;
      }
      // Every pair of a has passed: P_S(t) is final (dmp.cc Stepped and
      // UpdateMarginals).
      na.ps = acc;
      na.acc = init.p_s[a];
      if (eta_hit[a] == kNoHit && 1.0 - acc - init.p_r[a] >= 0.5) eta_hit[a] = t;
      if (!(fa & kTouched) && init.p_s[a] - acc > opt.tolerance) {
        na.flags |= kTouched | kFresh;
        ++r.touched_nodes;
      }
      if (na.flags & kTouched) {
        const double pi_before =
            (na.flags & kFresh) ? init.p_i[a] : std::max(0.0, 1.0 - ps_a - pr_[a]);
        na.flags &= ~kFresh;
        pr_[a] += (init.Fixed(a) ? 0.0 : q_[a]) * pi_before;
      }
    }
    r.edge_updates += 2 * pairs;
  }
  // dmp.cc Collect: values for the touched nodes and their neighbours, the
  // parent the in-arc with the largest 1 - theta, the first in ascending
  // source order on ties (here: lower rows first, then the node's own).
  std::vector<std::uint8_t> listed(n, 0);
  std::vector<double> best(n, 0.0);
  r.parent.assign(n, kNoNode);
  for (NodeIndex a = 0; a < n; ++a) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      const NodeIndex b = far_[x];
      const bool a_touched = node_[a].flags & kTouched;
      const bool b_touched = node_[b].flags & kTouched;
      if (a_touched) listed[b] = 1;
      if (b_touched) listed[a] = 1;
      if (const double passed = 1.0 - msg_[x].theta_ab; passed > best[b]) {
        best[b] = passed;
        r.parent[b] = a;
      }
      if (const double passed = 1.0 - msg_[x].theta_ba; passed > best[a]) {
        best[a] = passed;
        r.parent[a] = b;
      }
    }
  }
  r.risk.assign(n, 0.0);
  r.eta.assign(n, -1);
  for (NodeIndex v = 0; v < n; ++v) {
    if (!listed[v] && !(node_[v].flags & kTouched)) {
      r.parent[v] = kNoNode;
      continue;
    }
    r.risk[v] =
        std::max(init.EvidenceFloor(v), std::clamp(1.0 - node_[v].ps - init.p_r[v], 0.0, 1.0));
    r.expected_disrupted += r.risk[v];
    if (eta_hit[v] != kNoHit && eta_hit[v] <= horizon) r.eta[v] = std::max(0, eta_hit[v]);
  }
  return r;
}

}  // namespace riskd::engine
