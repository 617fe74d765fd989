#include "engine/dmp_pairs.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "engine/dmp_region.h"

namespace riskd::engine {
namespace {

constexpr std::uint16_t kEligible = 1;  // P_S(0) > 0: dmp.cc lets it into the frontier
constexpr std::uint16_t kTouched = 2;   // its messages are propagated
constexpr std::uint16_t kFresh = 4;     // touched, P_I still the initial state's
constexpr std::uint16_t kSeen = 8;      // its values are valid, its row is swept
constexpr std::uint16_t kInFront = 16;  // in dmp.cc's frontier (Stepped each step)
constexpr std::uint16_t kListed = 32;   // listed in the region's nodes
// Into the frontier during the current step: dmp.cc's pass 1 takes it from
// the next step on.
constexpr std::uint16_t kFrontLate = 64;
// A source touched after the last sweep, at its start s: phi(s) is P_I, the
// next sweep (computing phi(s)) leaves its out-arcs' phi as it is.
constexpr std::uint16_t kStarting = 128;
// Touched and removed (its end passed): its out-arcs' phi were set to 0
// once (PairDmp::Run), the sweep no longer updates them.
constexpr std::uint16_t kRemoved = 256;

// Steps in the records (Node::start, Node::end) are int16.
constexpr int kMaxStep = std::numeric_limits<std::int16_t>::max();

// How many pairs ahead the sweep prefetches the far endpoint's record.
constexpr std::size_t kPrefetchAhead = 16;

constexpr std::int32_t kNoHit = std::numeric_limits<std::int32_t>::min();

float Round(double x) { return static_cast<float>(x); }

}  // namespace

bool PairDmp::SupportsGraph(const TransmissionGraph& g) {
  if (!g.has_reverse) return false;
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      if (g.reverse[e] == kNoEdge || g.source[e] == j) return false;
    }
  }
  return true;
}

bool PairDmp::SupportsTimes(const InitialState& init, const DmpOptions& opt) {
  return init.now >= 0 && static_cast<std::int64_t>(init.now) + opt.horizon + 1 <= kMaxStep;
}

bool PairDmp::SupportsFrame(const InitialState& init, const DmpOptions& opt) {
  return SupportsTimes(init, opt) &&
         std::all_of(init.start.begin(), init.start.end(), [](auto s) { return s >= 0; });
}

PairDmp::PairDmp(const TransmissionGraph& g) : node_count_(g.node_count) {
  row_.assign(node_count_ + 1, 0);
  pair_of_.assign(g.edge_count(), 0);
  for (NodeIndex a = 0; a < node_count_; ++a) {
    row_[a] = static_cast<std::uint32_t>(far_.size());
    // a's in-row is sorted by source: the pairs {a, k}, k > a, come out
    // sorted by k.
    for (EdgeIndex e = g.in_begin(a); e < g.in_end(a); ++e) {
      const NodeIndex k = g.source[e];
      if (k <= a) continue;
      pair_of_[e] = pair_of_[g.reverse[e]] = static_cast<std::uint32_t>(far_.size());
      far_.push_back(k);
      p_.push_back({g.p[g.reverse[e]], g.p[e]});  // a -> k, k -> a
    }
  }
  row_[node_count_] = static_cast<std::uint32_t>(far_.size());
  msg_.resize(far_.size());
  node_.resize(node_count_);
  for (NodeIndex v = 0; v < node_count_; ++v) node_[v].latency = g.latency[v];
  pr_.resize(node_count_);
  pr_now_.resize(node_count_);
  eta_hit_.resize(node_count_);
  best_.resize(node_count_, 0.0);
  parent_.resize(node_count_, kNoNode);
  if (!g.has_latency) return;
  max_latency_ = *std::max_element(g.latency.begin(), g.latency.end());
  ps_at_end_.resize(node_count_);
  node_ring_at_.resize(node_count_);
  std::size_t size = 0;
  for (NodeIndex v = 0; v < node_count_; ++v) {
    node_ring_at_[v] = size;
    if (g.latency[v] > 0) size += g.latency[v] + 1u;
  }
  node_ring_.resize(size);
  arc_ring_at_.resize(2 * far_.size());
  size = 0;
  for (NodeIndex a = 0; a < node_count_; ++a) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      for (const NodeIndex k : {a, far_[x]}) {  // the arc's source
        arc_ring_at_[2 * x + (k == a ? 0 : 1)] = size;
        if (g.latency[k] > 0) size += g.latency[k] + 1u;
      }
    }
  }
  arc_ring_.resize(size);
}

bool PairDmp::Fits(const TransmissionGraph& g) const {
  return g.node_count == node_count_ && g.edge_count() == 2 * far_.size() &&
         g.has_latency == !node_ring_at_.empty();
}

std::size_t PairDmp::MemoryBytes() const {
  return (row_.capacity() + pair_of_.capacity()) * sizeof(std::uint32_t) +
         far_.capacity() * sizeof(NodeIndex) + p_.capacity() * sizeof(PairConst) +
         msg_.capacity() * sizeof(PairMessages) + node_.capacity() * sizeof(Node) +
         (pr_.capacity() + pr_now_.capacity() + ps_at_end_.capacity() + node_ring_.capacity() +
          arc_ring_.capacity()) *
             sizeof(double) +
         eta_hit_.capacity() * sizeof(std::int32_t) + best_.capacity() * sizeof(double) +
         parent_.capacity() * sizeof(NodeIndex) +
         (node_ring_at_.capacity() + arc_ring_at_.capacity()) * sizeof(std::size_t) +
         (rows_.capacity() + pending_.capacity() + active_.capacity() + late_front_.capacity() +
          later_.capacity() + starting_.capacity()) *
             sizeof(NodeIndex) +
         shield_drop_.capacity() * sizeof(std::uint64_t) + ending_.capacity() * sizeof(ending_[0]);
}

// dmp.cc Enter: the node's values from the initial state; its row is swept
// from the next step on.
void PairDmp::Enter(const TransmissionGraph& g, const InitialState& init, NodeIndex v) {
  Node& n = node_[v];
  if (n.flags & kSeen) return;
  const double ps = init.p_s[v];
  n.ps = n.acc = ps;
  n.keep = init.Fixed(v) ? 1.0 : 1.0 - g.q[v];
  n.flags = static_cast<std::uint16_t>(kSeen | (ps > 0 ? kEligible : 0));
  // Clamped to the frame (SupportsTimes: last + 1 fits): start <= last and
  // end in [-1, last + 1] read the same in every test of a step in 0..last.
  // A start before 0 (dmp.cc never touches such a source) hands the run
  // back (Run); its record is cleaned with the others.
  const int start = init.Start(v);
  early_start_ = early_start_ || start < 0;
  max_start_ = std::max(max_start_, start);
  const int last = last_;
  n.start = static_cast<std::int16_t>(std::clamp(start, -1, last));
  n.end = static_cast<std::int16_t>(std::clamp(init.End(v), -1, last + 1));
  // Without onset delays only a node removed within the frame keeps P_S at
  // its window's end (Collect); the array is sized by the first such node.
  if (n.end <= last && ps_at_end_.size() < node_count_) ps_at_end_.resize(node_count_);
  pr_[v] = pr_now_[v] = init.p_r[v];
  eta_hit_[v] = kNoHit;
  if (!ps_at_end_.empty()) ps_at_end_[v] = ps;
  pending_.push_back(v);
}

// dmp.cc Touch: phi(0) = P_I(0) on the arcs into nodes that can be hit
// (the cavities' previous values, P_S(0), are set at their first update:
// Sweep), those nodes into the frontier.
//
// A node with P_I > 0 touched by the sweep of step t > 0 (not among the
// run's sources): dmp.cc writes phi = P_I on its out-arcs in the middle of
// pass 1, and the
// frontier nodes after it in that pass (b > k, in the frontier since the
// step began) compute theta_{k->b}(t) from it. Here the sweep has just
// computed those thetas from phi = 0 (1, multiplied into b's product at
// k's place in ascending order) in k's row; they are computed again from
// the new phi and multiplied in, the same product since multiplying by 1
// is exact. Thetas into a node shielded at t are not stepped (dmp.cc).
//
// Frontier nodes still shielded at the next step add no arc-steps until
// their start (dmp.cc's pass 1 skips them): their in-degree is kept apart
// until then.
void PairDmp::Touch(const TransmissionGraph& g, const InitialState& init, NodeIndex k, int t,
                    bool mid_sweep) {
  const double pi = init.p_i[k];
  Enter(g, init, k);
  node_[k].flags |= kTouched | kFresh;
  active_.push_back(k);
  // Removed before the last step (touched before its end): its out-arcs'
  // phi are set to 0 after the sweep of its end (Run).
  if (node_[k].end < last_) {
    ending_.emplace_back(node_[k].end, k);
    std::push_heap(ending_.begin(), ending_.end(), std::greater<>());
  }
  const std::uint16_t latency = node_[k].latency;
  for (EdgeIndex e = g.in_begin(k); e < g.in_end(k); ++e) {
    const NodeIndex j = g.source[e];  // the arc k -> j is e's reverse
    // An arc into a node that cannot be hit is never stepped: its pair is
    // left as it is (clean unless j is seen), so every pair written lies
    // in a seen node's row (Reset).
    if (!(init.p_s[j] > 0)) continue;
    if (pi != 0) {
      PairMessages& m = msg_[pair_of_[e]];
      (k < j ? m.phi_ab : m.phi_ba) = Round(pi);  // k -> j is the pair's a -> b when k < j
    }
    if (!(node_[j].flags & kInFront)) {
      Enter(g, init, j);
      node_[j].flags |= kInFront;
      const std::uint64_t degree = g.in_end(j) - g.in_begin(j);
      front_degree_ += degree;
      if (const int start = node_[j].start; start > t) {
        shielded_degree_ += degree;
        shield_drop_[start] += degree;
      }
      if (mid_sweep) {
        node_[j].flags |= kFrontLate;
        late_front_.push_back(j);
      }
    }
  }
  if (latency > 0) {
    std::fill_n(node_ring_.begin() + static_cast<std::ptrdiff_t>(node_ring_at_[k]), latency + 1,
                init.p_s[k]);
  }
  if (!mid_sweep || pi == 0) return;
  for (std::uint32_t x = row_[k]; x < row_[k + 1]; ++x) {
    Node& nb = node_[far_[x]];
    if ((nb.flags & (kInFront | kFrontLate | kEligible)) != (kInFront | kEligible)) continue;
    if (t <= nb.start) continue;  // shielded
    PairMessages& m = msg_[x];
    const float th = Round(m.theta_ab - p_[x].p_ab * m.phi_ab);
    m.theta_ab = th;
    nb.acc *= th;
  }
}

// dmp.cc SnapNow: P_R at now of the touched nodes, and their first step in
// [now - L, now] at which, hit then, they are disrupted by now with
// probability >= 0.5.
void PairDmp::SnapNow(const TransmissionGraph& g, int now) {
  for (const NodeIndex k : active_) {
    if (now > 0) pr_now_[k] = pr_[k];
    eta_hit_[k] = kNoHit;
    const int L = g.latency[k];
    const auto span = static_cast<std::int64_t>(L) + 1;
    const double* ring = L > 0 ? node_ring_.data() + node_ring_at_[k] : nullptr;
    for (int s = now - L; s <= now; ++s) {
      const double ps = ring ? ring[((s % span) + span) % span] : node_[k].ps;
      if (1.0 - ps - pr_now_[k] >= 0.5) {
        eta_hit_[k] = s;
        break;
      }
    }
  }
}

template <bool kDelays, bool kStarts>
bool PairDmp::Sweep(const TransmissionGraph& g, const InitialState& init, int t, int last,
                    const DmpOptions& opt) {
  Node* node = node_.data();
  PairMessages* msg = msg_.data();
  const PairConst* p = p_.data();
  const NodeIndex* far = far_.data();
  const std::size_t pairs = far_.size();
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
  // A negative cavity: the first update since the source was touched, the
  // previous cavity (every slot of the ring) its P_S(0), as dmp.cc sets
  // them at Touch; set here, in sweep order, not at Touch (a scattered
  // line per arc).
  const auto update_phi = [&](float* phi, double* cavity, double decay, double cav,
                              std::uint16_t latency, std::size_t ring_at, NodeIndex source) {
    if (!kDelays || latency == 0) {
      double before = *cavity;
      if (before < 0) [[unlikely]]
        before = init.p_s[source];
      *phi = Round(decay * *phi - (cav - before));
      *cavity = cav;
      return;
    }
    double* ring = arc_ring_.data() + ring_at;
    if (*cavity < 0) [[unlikely]] {
      std::fill_n(ring, latency + 1, init.p_s[source]);
      *cavity = 0;
    }
    const double onset = ring[older[latency]] - ring[newer[latency]];
    ring[older[latency]] = cav;
    *phi = Round(decay * *phi + onset);
  };
  // A cavity whose reverse theta is not above kDmpTinyTheta (0, or
  // negative: P_S goes negative on cycles with high transmission) is
  // dmp.cc's explicit product, not P_S / theta: the same test as dmp.cc's
  // UpdatePhi, on the same thetas where it computes a cavity, hands the
  // run back.
  // Starts (kStarts), as dmp.cc's UpdatePhi of step t - 1: into a node
  // shielded then, phi decays by the source's keep alone; as its pass 1 of
  // step t: a shielded node's thetas stay 1 (not stepped, so its product
  // stays P_S(0)). Ends: an arc from a removed source carries phi = 0, set
  // once when it is removed (Run), and is not updated from then on
  // (kRemoved: the same test as a source not touched), so a frame with
  // ends costs the sweep nothing per arc.
  bool zero = false;
  for (const NodeIndex a : rows_) {
    Node& na = node[a];
    const std::uint16_t fa = na.flags;
    // Touched and stepping (not a source that started after the last sweep).
    const bool a_touched = (fa & (kTouched | kStarting | kRemoved)) == kTouched;
    const bool a_eligible = fa & kEligible;
    const bool a_shielded_before = kStarts && t - 1 <= na.start;
    const bool a_shielded = kStarts && t <= na.start;
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
          const double decay = kStarts && t - 1 <= nb.start ? keep_a : (1.0 - p_ab) * keep_a;
          zero |= !(m.theta_ba > kDmpTinyTheta);
          update_phi(&m.phi_ab, &m.cavity_ab, decay, ps_a / m.theta_ba, na.latency,
                     kDelays ? arc_ring_at_[2 * x] : 0, a);
        }
        if ((nb.flags & (kTouched | kStarting | kRemoved)) == kTouched && a_eligible) {
          const double decay = a_shielded_before ? nb.keep : (1.0 - p_ba) * nb.keep;
          zero |= !(m.theta_ab > kDmpTinyTheta);
          update_phi(&m.phi_ba, &m.cavity_ba, decay, nb.ps / m.theta_ab, nb.latency,
                     kDelays ? arc_ring_at_[2 * x + 1] : 0, far[x]);
        }
      }
      if (!kStarts || t > nb.start) {
        const float th_ab = Round(m.theta_ab - p_ab * m.phi_ab);
        m.theta_ab = th_ab;
        nb.acc *= th_ab;
      }
      if (!a_shielded) {
        const float th_ba = Round(m.theta_ba - p_ba * m.phi_ba);
        m.theta_ba = th_ba;
        acc *= th_ba;
      }
    }
    // Every pair of a has passed: P_S(t) is final (dmp.cc Stepped for a
    // frontier node, UpdateMarginals for a touched one). A touched node
    // outside the frontier has no touched neighbour: its thetas are 1, its
    // P_S stays P_S(0), as dmp.cc leaves it.
    na.ps = acc;
    na.acc = init.p_s[a];
    const int latency = kDelays ? na.latency : 0;
    // dmp.cc Stepped (not for a shielded node: its P_S, and the value kept
    // at its window's end, stay P_S(0)). A window ends at the frame's last
    // step or before the node's end.
    if ((fa & (kInFront | kFrontLate)) == kInFront && !a_shielded) {
      const int window_end = std::min(last, na.end - 1);
      if ((keeps_end_ || na.end <= last) && t + latency <= window_end) ps_at_end_[a] = acc;
      if (t > init.now && eta_hit_[a] == kNoHit && 1.0 - acc - pr_now_[a] >= 0.5) eta_hit_[a] = t;
      if (!(fa & kTouched) && t < na.end && init.p_s[a] - acc > opt.tolerance) {
        Touch(g, init, a, t, true);
      }
    }
    // From its end dmp.cc sets a node's P_R to 1 and leaves its ring; here
    // both go on as before: no output reads them (removed by now, its risk
    // is 0 and it has no ETA; removed later, its P_R at now, its ring up to
    // now and its P_S are dmp.cc's).
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
      pr_[a] += (init.Fixed(a) ? 0.0 : g.q[a]) * pi_before;
      if (ring != nullptr) ring[static_cast<std::uint32_t>(t) % (latency + 1u)] = acc;
    }
  }
  for (const NodeIndex v : late_front_) node_[v].flags &= static_cast<std::uint16_t>(~kFrontLate);
  late_front_.clear();
  zero_ = zero_ || zero;
  return !zero_ && !early_start_;
}

PairDmp::PairRun PairDmp::Run(const TransmissionGraph& g, const InitialState& init,
                              std::span<const NodeIndex> sources, const DmpOptions& opt,
                              DmpRegion* out, std::vector<double>* trajectories,
                              const DmpNodeValues* values) {
  const int now = init.now;
  const int last = now + opt.horizon;  // the frame's last step
  const std::size_t stride = static_cast<std::size_t>(last) + 1;
  const bool delays = !node_ring_at_.empty();
  // A source starting before 0 (it would hold back dmp.cc's later ones):
  // handed back before any work; a seen node is checked as it enters.
  for (const NodeIndex v : sources) {
    if (init.Start(v) < 0) return PairRun::kStartBeforeZero;
  }
  last_ = last;
  // With onset delays every window's end may lie before the last step;
  // without, only a node removed within the frame's (Enter, Sweep,
  // Collect: a test of its own end). Without either every window ends at
  // the last step, its P_S the last one (dmp.cc PsAtEnd).
  keeps_end_ = delays;
  horizon_ = opt.horizon;
  // The latest start of the seen nodes (Enter): from step max_start_ + 2
  // on no test of a shield the sweep makes holds (phi(t - 1) and theta(t)
  // are shielded up to the start; the record of a node not seen reads 0),
  // so the sweep without them runs. Only seen nodes' starts: a pass over
  // every node's costs a small region more than its own work.
  max_start_ = 0;
  early_start_ = false;
  front_degree_ = 0;
  shielded_degree_ = 0;
  shield_drop_.assign(stride, 0);
  zero_ = false;
  // dmp.cc Run: sources start propagating at their start step, 0 now,
  // later ones after that step's sweep; one removed at (or before) its
  // start never does.
  for (const NodeIndex v : sources) {
    if (!(init.p_i[v] > 0) || (node_[v].flags & kTouched)) continue;
    if (init.Start(v) >= init.End(v)) continue;
    if (init.Start(v) == 0) {
      Touch(g, init, v, 0, false);
    } else {
      later_.push_back(v);
    }
  }
  std::sort(later_.begin(), later_.end(), [&](NodeIndex a, NodeIndex b) {
    return init.Start(a) != init.Start(b) ? init.Start(a) < init.Start(b) : a < b;
  });
  later_.erase(std::unique(later_.begin(), later_.end()), later_.end());
  std::size_t next_later = 0;
  // The sweep for this frame's times and the graph's onset delays.
  using SweepFn =
      bool (PairDmp::*)(const TransmissionGraph&, const InitialState&, int, int, const DmpOptions&);
  static constexpr SweepFn kSweeps[2][2] = {
      {&PairDmp::Sweep<false, false>, &PairDmp::Sweep<false, true>},
      {&PairDmp::Sweep<true, false>, &PairDmp::Sweep<true, true>}};
  const SweepFn* sweeps = kSweeps[delays];
  // dmp.cc's record: touched nodes get P_S(0) up to their touch.
  const auto record = [&](int t) {
    if (trajectories == nullptr) return;
    for (std::size_t x = trajectories->size() / stride; x < active_.size(); ++x) {
      trajectories->resize(trajectories->size() + stride, init.p_s[active_[x]]);
    }
    double* slot = trajectories->data() + static_cast<std::size_t>(t);
    for (const NodeIndex k : active_) {
      *slot = node_[k].ps;
      slot += stride;
    }
  };
  if (trajectories != nullptr) trajectories->clear();
  if (now == 0) SnapNow(g, 0);
  record(0);
  std::uint64_t edge_updates = 0;
  for (int t = 1; t <= last; ++t) {
    MergeRows();
    // The frontier as the step starts, but for its nodes shielded at t.
    edge_updates += front_degree_ - shielded_degree_;
    const bool ok = (this->*sweeps[t - 1 <= max_start_ && max_start_ > 0])(g, init, t, last, opt);
    if (!ok) return HandBack();
    // The sources touched after the last sweep step from the next one on.
    for (const NodeIndex v : starting_) node_[v].flags &= static_cast<std::uint16_t>(~kStarting);
    starting_.clear();
    // Touched nodes removed at t: phi(t) = 0 on their out-arcs (dmp.cc's
    // UpdatePhi from t on; arcs into nodes that cannot be hit carry 0).
    while (!ending_.empty() && ending_.front().first <= t) {
      const NodeIndex k = ending_.front().second;
      std::pop_heap(ending_.begin(), ending_.end(), std::greater<>());
      ending_.pop_back();
      node_[k].flags |= kRemoved;
      for (EdgeIndex e = g.in_begin(k); e < g.in_end(k); ++e) {
        const NodeIndex j = g.source[e];  // k -> j is e's reverse
        if (!(init.p_s[j] > 0)) continue;
        PairMessages& m = msg_[pair_of_[e]];
        (k < j ? m.phi_ab : m.phi_ba) = 0;
      }
    }
    shielded_degree_ -= shield_drop_[t];
    for (; next_later < later_.size() && init.Start(later_[next_later]) == t; ++next_later) {
      const NodeIndex v = later_[next_later];
      if (node_[v].flags & kTouched) continue;
      Touch(g, init, v, t, false);
      node_[v].flags |= kStarting;
      starting_.push_back(v);
    }
    if (t == now) SnapNow(g, t);
    record(t);
  }
  // A node entered after the last sweep (a source starting then).
  if (early_start_) return HandBack();
  MergeRows();
  Collect(g, init, out, values);
  out->edge_updates = edge_updates;
  Reset(out->nodes);
  return PairRun::kServed;
}

// The state back to clean (every seen node's row is in rows_ once merged).
PairDmp::PairRun PairDmp::HandBack() {
  MergeRows();
  Reset(rows_);
  return early_start_ ? PairRun::kStartBeforeZero : PairRun::kExplicitCavity;
}

// The rows seen in the last step join the sweep, in node order.
void PairDmp::MergeRows() {
  if (pending_.empty()) return;
  std::sort(pending_.begin(), pending_.end());
  const auto middle = static_cast<std::ptrdiff_t>(rows_.size());
  rows_.insert(rows_.end(), pending_.begin(), pending_.end());
  std::inplace_merge(rows_.begin(), rows_.begin() + middle, rows_.end());
  pending_.clear();
}

// dmp.cc Collect: the touched nodes in touch order, then their other
// out-neighbours ascending; risk, ETA and the parent (the in-arc with the
// largest 1 - theta, the first in ascending source order on ties).
void PairDmp::Collect(const TransmissionGraph& g, const InitialState& init, DmpRegion* out,
                      const DmpNodeValues* values) {
  const int now = init.now;
  // A copy: active_ keeps its storage for the next run.
  dmp_region::List(g, active_, out, values, [&](NodeIndex i) {
    if (node_[i].flags & (kTouched | kListed)) return false;
    node_[i].flags |= kListed;
    return true;
  });
  // Parents, pair by pair in sweep order: node v sees the arcs from lower
  // nodes in their rows (ascending), then its own row's (ascending), its
  // in-row's order in dmp.cc, so the first of equal largest 1 - theta wins
  // as there. Every arc with theta below 1 lies in a seen node's row.
  for (const NodeIndex a : rows_) {
    for (std::uint32_t x = row_[a]; x < row_[a + 1]; ++x) {
      const NodeIndex b = far_[x];
      if (const double passed = 1.0 - msg_[x].theta_ab; passed > best_[b]) {
        best_[b] = passed;
        parent_[b] = a;
      }
      if (const double passed = 1.0 - msg_[x].theta_ba; passed > best_[a]) {
        best_[a] = passed;
        parent_[a] = b;
      }
    }
  }
  const std::size_t size = out->nodes.size();
  for (std::size_t x = 0; x < size; ++x) {
    const NodeIndex v = out->nodes[x];
    const Node& n = node_[v];
    const bool seen = n.flags & kSeen;
    // Not seen: dmp.cc enters it here, with the initial state's values.
    const double ps_end = !seen ? init.p_s[v] : keeps_end_ || n.end <= last_ ? ps_at_end_[v] : n.ps;
    const double pr_now = seen ? pr_now_[v] : init.p_r[v];
    // Removed by now: no risk in the window, no ETA.
    const bool removed = init.End(v) <= now;
    const double risk =
        removed ? 0.0
                : std::max(init.EvidenceFloor(v), std::clamp(1.0 - ps_end - pr_now, 0.0, 1.0));
    const int hit = seen ? eta_hit_[v] : kNoHit;
    int eta = -1;
    if (!removed && hit != kNoHit && hit + n.latency <= init.WindowEnd(v, horizon_)) {
      eta = std::max(0, hit + n.latency - now);
    }
    dmp_region::Put(out, values, x, v, risk, eta, parent_[v]);
  }
}

// Back to clean: the pairs in the rows swept (every pair written lies in
// one: Touch), the records of `nodes` (every node written: the seen ones
// and those listed), the parents.
void PairDmp::Reset(std::span<const NodeIndex> nodes) {
  for (const NodeIndex a : rows_) {
    std::fill(msg_.begin() + row_[a], msg_.begin() + row_[a + 1], PairMessages{});
  }
  for (const NodeIndex v : nodes) {
    node_[v] = {.latency = node_[v].latency};
    best_[v] = 0;
    parent_[v] = kNoNode;
  }
  rows_.clear();
  pending_.clear();
  active_.clear();
  late_front_.clear();
  later_.clear();
  starting_.clear();
  ending_.clear();
}

}  // namespace riskd::engine
