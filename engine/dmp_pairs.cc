#include "engine/dmp_pairs.h"

#include <algorithm>
#include <limits>

namespace riskd::engine {
namespace {

constexpr std::uint16_t kEligible = 1;  // P_S(0) > 0: dmp.cc lets it into the frontier
constexpr std::uint16_t kTouched = 2;   // its messages are propagated
constexpr std::uint16_t kFresh = 4;     // touched, P_I still the initial state's

// How many pairs ahead the sweep prefetches the far endpoint's record.
constexpr std::size_t kPrefetchAhead = 16;

constexpr int kNoHit = std::numeric_limits<int>::min();

float Round(double x) { return static_cast<float>(x); }

}  // namespace

bool PairDmp::Supports(const TransmissionGraph& g, const InitialState& init) {
  if (!g.has_reverse) return false;
  for (NodeIndex j = 0; j < g.node_count; ++j) {
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
  if (!g.has_latency) return;
  latency_ = g.latency;
  max_latency_ = *std::max_element(latency_.begin(), latency_.end());
  ps_at_end_.resize(node_count_);
  node_ring_at_.resize(node_count_);
  std::size_t size = 0;
  for (NodeIndex v = 0; v < node_count_; ++v) {
    node_ring_at_[v] = size;
    if (latency_[v] > 0) size += latency_[v] + 1u;
  }
  node_ring_.resize(size);
  arc_ring_at_.resize(2 * far_.size());
  size = 0;
  for (NodeIndex a = 0; a < node_count_; ++a) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      for (const NodeIndex k : {a, far_[x]}) {  // the arc's source
        arc_ring_at_[2 * x + (k == a ? 0 : 1)] = size;
        if (latency_[k] > 0) size += latency_[k] + 1u;
      }
    }
  }
  arc_ring_.resize(size);
}

std::size_t PairDmp::MemoryBytes() const {
  return row_.capacity() * sizeof(std::uint32_t) + far_.capacity() * sizeof(NodeIndex) +
         p_.capacity() * sizeof(PairConst) + (q_.capacity() + pr_.capacity()) * sizeof(double) +
         msg_.capacity() * sizeof(PairMessages) + node_.capacity() * sizeof(Node) +
         latency_.capacity() * sizeof(std::uint16_t) +
         (node_ring_at_.capacity() + arc_ring_at_.capacity()) * sizeof(std::size_t) +
         (ps_at_end_.capacity() + node_ring_.capacity() + arc_ring_.capacity()) * sizeof(double);
}

template <bool kDelays>
void PairDmp::Sweep(const InitialState& init, int t, int horizon, const DmpOptions& opt,
                    std::vector<int>* eta_hit, std::size_t* touched) {
  Node* node = node_.data();
  PairMessages* msg = msg_.data();
  const PairConst* p = p_.data();
  const NodeIndex* far = far_.data();
  const std::size_t n = node_count_, pairs = far_.size();
  // One sweep: phi(t - 1) (dmp.cc's pass 2 of step t - 1; phi(0) is the
  // initial state's), then theta(t) and P_S(t) (pass 1 of step t).
  const bool phi_step = t >= 2;
  // Ring slots per onset delay L for phi(t - 1): (t - 1) % (L + 1) holds the
  // cavity at t - L - 2, t % (L + 1) the one at t - L - 1 (dmp.cc UpdatePhi).
  std::vector<std::uint32_t> older, newer;
  if constexpr (kDelays) {
    for (std::uint32_t span = 1; span <= max_latency_ + 1u; ++span) {
      older.push_back(static_cast<std::uint32_t>(t - 1) % span);
      newer.push_back(static_cast<std::uint32_t>(t) % span);
    }
  }
  // phi(t - 1) of an arc from a touched source with cavity `cav`.
  const auto update_phi = [&](float* phi, double* cavity, double decay, double cav,
                              std::uint16_t latency, std::size_t ring_at) {
    if (!kDelays || latency == 0) {
      *phi = Round(decay * *phi - (cav - *cavity));
      *cavity = cav;
      return;
    }
    double* ring = arc_ring_.data() + ring_at;
    const double onset = ring[older[latency]] - ring[newer[latency]];
    ring[older[latency]] = cav;
    *phi = Round(decay * *phi + onset);
  };
  for (NodeIndex a = 0; a < n; ++a) {
    Node& na = node[a];
    const std::uint16_t fa = na.flags;
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
          update_phi(&m.phi_ab, &m.cavity_ab, (1.0 - p_ab) * keep_a, ps_a / m.theta_ba, na.latency,
                     kDelays ? arc_ring_at_[2 * x] : 0);
        }
        if ((nb.flags & kTouched) && a_eligible) {
          update_phi(&m.phi_ba, &m.cavity_ba, (1.0 - p_ba) * nb.keep, nb.ps / m.theta_ab,
                     nb.latency, kDelays ? arc_ring_at_[2 * x + 1] : 0);
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
    const int latency = kDelays ? na.latency : 0;
    if (kDelays && t + latency <= horizon) ps_at_end_[a] = acc;
    if ((*eta_hit)[a] == kNoHit && 1.0 - acc - init.p_r[a] >= 0.5) (*eta_hit)[a] = t;
    if (!(fa & kTouched) && init.p_s[a] - acc > opt.tolerance) {
      na.flags |= kTouched | kFresh;
      ++*touched;
    }
    if (na.flags & kTouched) {
      // P_I(t - 1) from P_S(t - 1 - L), the ring's slot t % (L + 1) before
      // this step writes P_S(t) there.
      double* ring = nullptr;
      double ps_onset = ps_a;
      if (kDelays && latency > 0) {
        ring = node_ring_.data() + node_ring_at_[a];
        ps_onset = ring[static_cast<std::uint32_t>(t) % (latency + 1u)];
      }
      const double pi_before =
          (na.flags & kFresh) ? init.p_i[a] : std::max(0.0, 1.0 - ps_onset - pr_[a]);
      na.flags &= static_cast<std::uint16_t>(~kFresh);
      pr_[a] += (init.Fixed(a) ? 0.0 : q_[a]) * pi_before;
      if (ring != nullptr) ring[static_cast<std::uint32_t>(t) % (latency + 1u)] = acc;
    }
  }
}

DmpResult PairDmp::Run(const InitialState& init, const DmpOptions& opt) {
  const std::size_t n = node_count_;
  const int horizon = opt.horizon;
  const bool delays = !latency_.empty();
  DmpResult r;
  r.horizon = horizon;
  std::vector<int> eta_hit(n, kNoHit);
  for (NodeIndex v = 0; v < n; ++v) {
    std::uint16_t flags = init.p_s[v] > 0 ? kEligible : 0;
    const std::uint16_t latency = delays ? latency_[v] : 0;
    // Sources propagate from step 0 (dmp.cc Touch), and their ETA starts
    // there when they are disrupted now with probability >= 0.5 (SnapNow:
    // P_S before 0 is P_S(0), so the first step of [-L, 0]).
    if (init.p_i[v] > 0) {
      flags |= kTouched | kFresh;
      ++r.touched_nodes;
      if (1.0 - init.p_s[v] - init.p_r[v] >= 0.5) eta_hit[v] = -latency;
    }
    node_[v] = {init.p_s[v], init.p_s[v], init.Fixed(v) ? 1.0 : 1.0 - q_[v], flags, latency};
    pr_[v] = init.p_r[v];
    if (delays) {
      ps_at_end_[v] = init.p_s[v];
      if (latency > 0) {
        std::fill_n(node_ring_.begin() + static_cast<std::ptrdiff_t>(node_ring_at_[v]), latency + 1,
                    init.p_s[v]);
      }
    }
  }
  // phi(0) = P_I(0) on a source's arcs into nodes that can be hit (dmp.cc
  // never updates the others); a cavity's previous value (its ring's, with
  // an onset delay) before its source is touched is P_S(0) (dmp.cc sets it
  // at Touch, or at the ring's first use; nothing reads it before).
  for (NodeIndex a = 0; a < n; ++a) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      const NodeIndex b = far_[x];
      const bool a_source = node_[a].flags & kTouched, b_source = node_[b].flags & kTouched;
      msg_[x] = {1.0f,        a_source && (node_[b].flags & kEligible) ? Round(init.p_i[a]) : 0.0f,
                 1.0f,        b_source && (node_[a].flags & kEligible) ? Round(init.p_i[b]) : 0.0f,
                 init.p_s[a], init.p_s[b]};
      if (!delays) continue;
      for (const NodeIndex k : {a, b}) {
        const auto at = static_cast<std::ptrdiff_t>(arc_ring_at_[2 * x + (k == a ? 0 : 1)]);
        if (latency_[k] > 0) std::fill_n(arc_ring_.begin() + at, latency_[k] + 1, init.p_s[k]);
      }
    }
  }
  for (int t = 1; t <= horizon; ++t) {
    if (delays) {
      Sweep<true>(init, t, horizon, opt, &eta_hit, &r.touched_nodes);
    } else {
      Sweep<false>(init, t, horizon, opt, &eta_hit, &r.touched_nodes);
    }
    r.edge_updates += 2 * far_.size();
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
    // P_S at the window's end minus the onset delay.
    const double ps_end = delays ? ps_at_end_[v] : node_[v].ps;
    r.risk[v] = std::max(init.EvidenceFloor(v), std::clamp(1.0 - ps_end - init.p_r[v], 0.0, 1.0));
    r.expected_disrupted += r.risk[v];
    const int hit = eta_hit[v] == kNoHit ? kNoHit : eta_hit[v] + node_[v].latency;
    if (eta_hit[v] != kNoHit && hit <= horizon) r.eta[v] = std::max(0, hit);
  }
  return r;
}

}  // namespace riskd::engine
