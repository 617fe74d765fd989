#include "engine/incremental_dmp.h"

#include <algorithm>
#include <utility>

namespace riskd::engine {

template <typename Stored>
BasicIncrementalDmp<Stored>::BasicIncrementalDmp(DmpOptions options)
    : options_(options), stride_(static_cast<std::size_t>(options.horizon) + 1) {}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Clear() {
  std::vector<std::uint32_t>().swap(slot_);
  std::vector<double>().swap(pool_);
  std::vector<std::uint32_t>().swap(free_);
  std::vector<std::int32_t>().swap(drop_);
  std::vector<std::uint32_t>().swap(joined_at_);
  std::vector<Joined>().swap(joined_);
  std::vector<double>().swap(values_);
  std::vector<Stored>().swap(theta_);
  std::vector<Stored>().swap(phi_);
  std::vector<PairEdge>().swap(pair_);
  std::vector<double>().swap(rings_);
  std::vector<NodeIndex>().swap(batch_);
  stored_ = 0;
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::SetFrame(int now) {
  if (now == now_) return;
  Clear();
  now_ = now;
  stride_ = static_cast<std::size_t>(now) + static_cast<std::size_t>(options_.horizon) + 1;
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Grow(std::size_t n) {
  if (slot_.size() >= n) return;
  slot_.resize(n, kNoSlot);
  joined_at_.resize(n, kNoSlot);
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Store(const DmpRegion& run, std::vector<double> trajectories) {
  std::size_t n = 0;
  for (std::size_t x = 0; x < run.touched_count; ++x)
    n = std::max<std::size_t>(n, run.nodes[x] + 1);
  Grow(n);
  if (stored_ == 0 && free_.empty()) {
    // The common case (a full run into an empty store): adopt the buffer.
    pool_ = std::move(trajectories);
    drop_.clear();
    for (std::size_t x = 0; x < run.touched_count; ++x) {
      slot_[run.nodes[x]] = static_cast<std::uint32_t>(x);
    }
    pool_.resize(run.touched_count * stride_);
    pool_.shrink_to_fit();  // it grew by doubling
    stored_ = run.touched_count;
    return;
  }
  for (std::size_t x = 0; x < run.touched_count; ++x) {
    Set(run.nodes[x], trajectories.data() + x * stride_);
  }
  if (pool_.capacity() > pool_.size() + pool_.size() / 4) pool_.shrink_to_fit();
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Set(NodeIndex v, const double* values) {
  if (slot_[v] == kNoSlot) {
    if (!free_.empty()) {
      slot_[v] = free_.back();
      free_.pop_back();
    } else {
      slot_[v] = static_cast<std::uint32_t>(pool_.size() / stride_);
      pool_.resize(pool_.size() + stride_);
    }
    ++stored_;
  }
  std::copy(values, values + stride_, pool_.data() + static_cast<std::size_t>(slot_[v]) * stride_);
  if (slot_[v] < drop_.size()) drop_[slot_[v]] = kUnknownDrop;
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Release(NodeIndex v) {
  free_.push_back(slot_[v]);
  slot_[v] = kNoSlot;
  --stored_;
}

template <typename Stored>
double BasicIncrementalDmp<Stored>::SeenBy(const InitialState& init, NodeIndex k, int s) const {
  if (s < 0) return init.p_s[k];
  const auto at = static_cast<std::size_t>(s);
  if (const std::uint32_t x = joined_at_[k]; x != kNoSlot) {
    return values_[x * stride_ + at];
  }
  return touched(k) ? Trajectory(k)[at] : init.p_s[k];
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::Join(const TransmissionGraph& g, const InitialState& init,
                                       NodeIndex v, int t) {
  const std::size_t x = joined_.size();
  joined_.push_back(
      {.node = v, .edges = theta_.size(), .ps_end = init.p_s[v], .was_touched = touched(v)});
  // A source propagates from its start step (dmp.cc touches it there).
  if (init.p_i[v] > 0 && init.Start(v) < init.End(v)) joined_.back().touched_at = init.Start(v);
  values_.resize(values_.size() + stride_, init.p_s[v]);
  auto first_phi = [&](NodeIndex k) {
    return init.Start(k) == 0 && init.End(k) > 0 ? init.p_i[k] : 0.0;
  };
  for (EdgeIndex e = g.in_begin(v); e < g.in_end(v); ++e) {
    const NodeIndex k = g.source[e];
    theta_.push_back(1);
    phi_.push_back(static_cast<Stored>(first_phi(k)));  // dmp.cc's Touch rounds P_I too
  }
  if (g.has_reverse) {
    const int v_from = StoredFrom(init, v);
    for (EdgeIndex e = g.in_begin(v); e < g.in_end(v); ++e) {
      PairEdge pe;
      const NodeIndex k = g.source[e];
      if (g.reverse[e] != kNoEdge) {
        pe.ring = rings_.size();
        pe.k_from = StoredFrom(init, k);
        pe.v_from = v_from;
        pe.replay = touched(k) && touched(v) && k != v;
        pe.phi_back = static_cast<Stored>(first_phi(v));
        rings_.resize(rings_.size() + g.latency[k] + 1u, init.p_s[k]);
        if (pe.replay) rings_.resize(rings_.size() + g.latency[v] + 1u, init.p_s[v]);
      }
      pair_.push_back(pe);
    }
  }
  // Nothing reaching v differed before t: replaying its messages from the
  // (stored) trajectories gives its values up to t.
  for (int s = 1; s <= t; ++s) {
    if (g.has_reverse) {
      StepThetaTwoWay(g, init, x, s, t);
      StepPhiTwoWay(g, init, x, s, t);
    } else {
      StepTheta(g, init, x, s);
      StepPhi(g, init, x, s);
    }
  }
}

template <typename Stored>
int BasicIncrementalDmp<Stored>::StoredFrom(const InitialState& init, NodeIndex v) const {
  if (!touched(v)) return InitialState::kNever;
  // A source from the step after its start (dmp.cc touches it at the end
  // of that step), any other node from the step its P_S first dropped.
  if (init.p_i[v] > 0) {
    return init.Start(v) < init.End(v) ? init.Start(v) + 1 : InitialState::kNever;
  }
  // Cached per slot (two-way graphs only), as it is asked once per in-edge.
  const std::uint32_t slot = slot_[v];
  if (drop_.size() <= slot) drop_.resize(pool_.size() / stride_, kUnknownDrop);
  if (drop_[slot] == kUnknownDrop) {
    const double* seen = Trajectory(v);
    drop_[slot] = InitialState::kNever;
    for (std::size_t t = 0; t < stride_; ++t) {
      if (seen[t] != init.p_s[v]) {
        drop_[slot] = static_cast<int>(t);
        break;
      }
    }
  }
  return drop_[slot];
}

template <typename Stored>
int BasicIncrementalDmp<Stored>::JoinedFrom(const InitialState& init, std::size_t x) const {
  const Joined& j = joined_[x];
  if (j.touched_at < 0) return InitialState::kNever;
  return init.p_i[j.node] > 0 ? j.touched_at + 1 : j.touched_at;
}

template <typename Stored>
double BasicIncrementalDmp<Stored>::JoinedCavity(const TransmissionGraph& g,
                                                 const InitialState& init, std::size_t x,
                                                 EdgeIndex out, int t) const {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  const EdgeIndex rev = g.reverse[out];  // i -> v, one of v's in-edges
  const EdgeIndex b = g.in_begin(v), en = g.in_end(v);
  const Stored* theta = theta_.data() + j.edges;
  const double th = theta[rev - b];
  if (th > kDmpTinyTheta) return values_[x * stride_ + static_cast<std::size_t>(t)] / th;
  // dmp.cc's ExplicitCavity, over the same thetas in the same order.
  double prod = init.p_s[v];
  for (EdgeIndex f = b; f < en; ++f) {
    if (f != rev) prod *= theta[f - b];
  }
  return prod;
}

namespace {

// dmp.cc's pass 2 on one edge from a cavity ring of L + 1 values (L the
// source's onset delay): phi(t) from phi(t - 1) and the cavity at t.
inline double NextPhi(double phi, double decay, double cavity, double* ring, int latency, int t) {
  if (latency == 0) {
    const double next = decay * phi - (cavity - ring[0]);
    ring[0] = cavity;
    return next;
  }
  const std::size_t span = static_cast<std::size_t>(latency) + 1;
  const std::size_t older = static_cast<std::size_t>(t) % span;
  const std::size_t newer = static_cast<std::size_t>(t + 1) % span;
  const double onset = ring[older] - ring[newer];
  ring[older] = cavity;
  return decay * phi + onset;
}

}  // namespace

template <typename Stored>
void BasicIncrementalDmp<Stored>::StepThetaTwoWay(const TransmissionGraph& g,
                                                  const InitialState& init, std::size_t x, int t,
                                                  int current) {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  if (!(init.p_s[v] > 0)) return;  // never updated (StepTheta), sends a constant cavity
  // The earlier run's theta_{v->k}(t) (dmp.cc's pass 1 at k), for the
  // in-neighbours k it is replayed for.
  PairEdge* pair = pair_.data() + j.edges;
  const EdgeIndex b = g.in_begin(v), en = g.in_end(v);
  for (EdgeIndex e = b; e < en; ++e) {
    PairEdge& pe = pair[e - b];
    if (!pe.replay) continue;
    const NodeIndex k = g.source[e];
    if (JoinedNow(k) && t == current) continue;  // k's own values serve
    if (init.p_s[k] > 0 && t > init.Start(k)) {
      pe.theta_back = static_cast<Stored>(pe.theta_back - g.p[g.reverse[e]] * pe.phi_back);
    }
  }
  StepTheta(g, init, x, t);
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::StepPhiTwoWay(const TransmissionGraph& g,
                                                const InitialState& init, std::size_t x, int t,
                                                int current) {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  if (!(init.p_s[v] > 0)) return;
  const EdgeIndex b = g.in_begin(v), en = g.in_end(v);
  Stored* phi = phi_.data() + j.edges;
  const Stored* theta = theta_.data() + j.edges;
  PairEdge* pair = pair_.data() + j.edges;
  const bool shielded = t <= init.Start(v);
  const double keep_v = init.Fixed(v) ? 1.0 : 1.0 - g.q[v];
  for (EdgeIndex e = b; e < en; ++e) {
    const NodeIndex k = g.source[e];
    const EdgeIndex rev = g.reverse[e];
    const int L = g.latency[k];
    const double keep = init.Fixed(k) ? 1.0 : 1.0 - g.q[k];
    const double decay = shielded ? keep : (1.0 - g.p[e]) * keep;
    const bool late_start = t == init.Start(k) && t > 0 && init.p_i[k] > 0;
    if (rev == kNoEdge) {
      // dmp.cc's pass 2 without a reverse: the cavity is P_S^k.
      if (t >= init.End(k)) {
        phi[e - b] = 0;
      } else if (late_start) {
        phi[e - b] = static_cast<Stored>(init.p_i[k]);
      } else if (L == 0) {
        phi[e - b] =
            static_cast<Stored>(decay * phi[e - b] - (SeenBy(init, k, t) - SeenBy(init, k, t - 1)));
      } else {
        phi[e - b] = static_cast<Stored>(decay * phi[e - b] +
                                         (SeenBy(init, k, t - L - 1) - SeenBy(init, k, t - L)));
      }
      continue;
    }
    PairEdge& pe = pair[e - b];
    const bool live = JoinedNow(k) && t == current;
    const bool replayed = pe.replay && !live;
    // The back message v -> k of the earlier run (dmp.cc's pass 2 at k),
    // and its cavity C_{v->k}(t), kept in the second ring.
    if (replayed && init.p_s[k] > 0) {
      if (t >= init.End(v)) {
        pe.phi_back = 0;
      } else {
        double cavity = init.p_s[v];
        if (t >= pe.v_from) {
          const double th = theta[e - b];  // theta_{k->v}: unchanged while k is not joined
          if (!(th > kDmpTinyTheta)) {
            unreplayable_ = true;  // the explicit product needs v's earlier thetas
            return;
          }
          cavity = Trajectory(v)[t] / th;
        }
        const double decay_back = t <= init.Start(k) ? keep_v : (1.0 - g.p[rev]) * keep_v;
        double* ring = rings_.data() + pe.ring + L + 1;
        const double next = NextPhi(pe.phi_back, decay_back, cavity, ring, g.latency[v], t);
        pe.phi_back = static_cast<Stored>(
            t == init.Start(v) && t > 0 && init.p_i[v] > 0 ? init.p_i[v] : next);
      }
    }
    // The forward message k -> v.
    if (t >= init.End(k)) {
      phi[e - b] = 0;  // removed; its cavity no longer matters
      continue;
    }
    double cavity = init.p_s[k];
    if (live) {
      const std::size_t y = joined_at_[k];
      if (t >= JoinedFrom(init, y)) cavity = JoinedCavity(g, init, y, e, t);
    } else if (t >= pe.k_from) {
      const double th = pe.replay ? pe.theta_back : 1.0;
      if (!(th > kDmpTinyTheta)) {
        unreplayable_ = true;  // the explicit product needs k's earlier thetas
        return;
      }
      cavity = Trajectory(k)[t] / th;
    }
    const double next = NextPhi(phi[e - b], decay, cavity, rings_.data() + pe.ring, L, t);
    phi[e - b] = static_cast<Stored>(late_start ? init.p_i[k] : next);
  }
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::SpreadTwoWay(const TransmissionGraph& g, const InitialState& init,
                                               std::size_t x, int t) {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  // Without an earlier trajectory v sent a constant cavity: a new one
  // comes with a new trajectory, which spreads on its own.
  if (j.spread || !j.was_touched || !(init.p_s[v] > 0) || t >= init.End(v)) return;
  const int from = JoinedFrom(init, x);
  const EdgeIndex b = g.in_begin(v);
  const auto at = static_cast<std::size_t>(t);
  const auto outs = g.out(v);
  const auto targets = g.successors(v);
  for (std::size_t y = 0; y < outs.size(); ++y) {
    const EdgeIndex out = outs[y];
    const EdgeIndex rev = g.reverse[out];
    const NodeIndex k = targets[y];
    if (rev == kNoEdge || joined_at_[k] != kNoSlot || !(init.p_s[k] > 0)) continue;
    const double now = t >= from ? JoinedCavity(g, init, x, out, t) : init.p_s[v];
    const PairEdge& pe = pair_[j.edges + (rev - b)];
    double before = Trajectory(v)[at];
    if (pe.replay) {
      const int Lv = g.latency[v];
      before = rings_[pe.ring + g.latency[k] + 1 + at % (static_cast<std::size_t>(Lv) + 1)];
    }
    if (now != before) {
      joined_at_[k] = kNoSlot - 1;
      batch_.push_back(k);
    }
  }
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::StepTheta(const TransmissionGraph& g, const InitialState& init,
                                            std::size_t x, int t) {
  Joined& j = joined_[x];
  const NodeIndex v = j.node;
  const double ps0 = init.p_s[v];
  // dmp.cc never updates a node without susceptible mass: P_S stays 0,
  // every theta 1.
  if (!(ps0 > 0)) return;
  const int window_end = init.WindowEnd(v, options_.horizon);
  if (t <= init.Start(v)) {
    // Shielded (dmp.cc's pass 1 leaves theta at 1 and P_S at P_S(start)).
    if (t == window_end - g.latency[v]) j.ps_end = ps0;
    if (j.touched_at >= 0) Seen(x)[static_cast<std::size_t>(t)] = ps0;
    return;
  }
  const EdgeIndex b = g.in_begin(v), en = g.in_end(v);
  Stored* theta = theta_.data() + j.edges;
  const Stored* phi = phi_.data() + j.edges;
  // The operations of dmp.cc's pass 1, in the same order, rounded where it
  // rounds (theta = 1 for an in-neighbour that never propagated:
  // multiplying by it is exact).
  double prod = ps0;
  for (EdgeIndex e = b; e < en; ++e) {
    const Stored th = static_cast<Stored>(theta[e - b] - g.p[e] * phi[e - b]);
    theta[e - b] = th;
    prod *= th;
  }
  edge_updates_ += en - b;
  const auto at = static_cast<std::size_t>(t);
  if (t == window_end - g.latency[v]) j.ps_end = prod;
  if (j.touched_at < 0 && t < init.End(v) && ps0 - prod > options_.tolerance) j.touched_at = t;
  if (j.touched_at >= 0) Seen(x)[at] = prod;
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::StepPhi(const TransmissionGraph& g, const InitialState& init,
                                          std::size_t x, int t) {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  if (!(init.p_s[v] > 0)) return;
  const EdgeIndex b = g.in_begin(v), en = g.in_end(v);
  Stored* phi = phi_.data() + j.edges;
  const bool shielded = t <= init.Start(v);
  for (EdgeIndex e = b; e < en; ++e) {
    // dmp.cc's pass 2: phi - (S~(t) - S~(t-1)) there without latency is
    // phi + (S~(t-1) - S~(t)) here, the same double; before k propagates
    // both S~ are P_S(0) and phi stays P_I^k(0) = 0.
    const NodeIndex k = g.source[e];
    if (t >= init.End(k)) {
      phi[e - b] = 0;  // removed
      continue;
    }
    if (t == init.Start(k) && t > 0 && init.p_i[k] > 0) {
      phi[e - b] = static_cast<Stored>(init.p_i[k]);  // a source starting now (dmp.cc's Touch)
      continue;
    }
    const int L = g.latency[k];
    const double keep = init.Fixed(k) ? 1.0 : 1.0 - g.q[k];
    const double decay = shielded ? keep : (1.0 - g.p[e]) * keep;
    phi[e - b] = static_cast<Stored>(decay * phi[e - b] +
                                     (SeenBy(init, k, t - L - 1) - SeenBy(init, k, t - L)));
  }
}

template <typename Stored>
IncrementalDmpNode BasicIncrementalDmp<Stored>::Finish(const TransmissionGraph& g,
                                                       const InitialState& init, std::size_t x) {
  const Joined& j = joined_[x];
  const NodeIndex v = j.node;
  Node node;
  node.node = v;
  node.was_touched = j.was_touched;
  node.touched = j.touched_at >= 0;
  bool touched_in = false;
  double best = 0;
  const Stored* theta = theta_.data() + j.edges;
  for (EdgeIndex e = g.in_begin(v); e < g.in_end(v); ++e) {
    const NodeIndex k = g.source[e];
    bool k_touched = false;
    if (const std::uint32_t y = joined_at_[k]; y != kNoSlot) {
      k_touched = joined_[y].touched_at >= 0;
    } else {
      k_touched = touched(k);
    }
    if (!k_touched) continue;
    touched_in = true;
    const double passed = 1.0 - theta[e - g.in_begin(v)];
    if (passed > best) {
      best = passed;
      node.parent = k;
    }
  }
  node.in_frontier = node.touched || touched_in;
  // P_R(now): dmp.cc's UpdateMarginals replayed over v's trajectory, from
  // the step it joined the active nodes (a source: after its start step).
  const int now = now_;
  const int L = g.latency[v];
  const double* seen = Seen(x);
  auto seen_at = [&](int s) { return s < 0 ? init.p_s[v] : seen[static_cast<std::size_t>(s)]; };
  double pr_now = init.p_r[v];
  if (node.touched) {
    const int first = init.p_i[v] > 0 ? j.touched_at + 1 : j.touched_at;
    double pr = init.p_r[v], pi = init.p_i[v];
    const double q = init.Fixed(v) ? 0.0 : g.q[v];
    for (int t = first; t <= now; ++t) {
      if (t >= init.End(v)) {
        pr = 1.0;
        pi = 0.0;
        continue;
      }
      pr += q * pi;
      pi = std::max(0.0, 1.0 - seen_at(L > 0 ? t - L : t) - pr);
    }
    pr_now = pr;
  }
  const bool removed = init.End(v) <= now;
  const int window_end = init.WindowEnd(v, options_.horizon);
  node.risk = removed
                  ? 0.0
                  : std::max(init.EvidenceFloor(v), std::clamp(1.0 - j.ps_end - pr_now, 0.0, 1.0));
  // ETA: the first step s >= now - L at which, hit then, v is disrupted by
  // now + (s + L - now) with probability >= 0.5 (dmp.cc: its scan at now,
  // then pass 1). Only touched nodes get there (tolerance < 0.5).
  node.eta = -1;
  if (node.touched && !removed) {
    for (int s = now - L; s + L <= window_end; ++s) {
      if (1.0 - seen_at(s) - pr_now >= 0.5) {
        node.eta = std::max(0, s + L - now);
        break;
      }
    }
  }
  return node;
}

template <typename Stored>
bool BasicIncrementalDmp<Stored>::Update(const TransmissionGraph& g, const InitialState& init,
                                         std::span<const NodeIndex> changed, std::size_t max_edges,
                                         std::vector<Node>* out) {
  const int T = now_ + options_.horizon;  // the frame's last step
  Grow(g.node_count);
  out->clear();
  joined_.clear();
  values_.clear();
  theta_.clear();
  phi_.clear();
  pair_.clear();
  rings_.clear();
  unreplayable_ = false;
  edge_updates_ = 0;
  const bool two_way = g.has_reverse;
  // Work budget in edge-steps. One-way: what max_edges in-edges cost over
  // the frame (never the binding limit). Two-way: a 32nd of it. An edge-step
  // here reads stored trajectories scattered over the pool and replays the
  // pair's messages: ~190 ns against ~12 for the full run's (the both-
  // directions 100k bench), so past ~1/128 of a full run's edge-steps a
  // region recompute is as cheap; and on small-world networks a change
  // that spreads that far spreads to nearly every node (bench/README.md).
  const std::uint64_t max_work =
      static_cast<std::uint64_t>(max_edges) * stride_ / (two_way ? 32 : 1);
  // Joins batch_ from step t + 1; its members are marked only afterwards, so
  // they read each other's stored values, which are theirs up to t.
  auto join_batch = [&](int t) {
    const std::size_t first = joined_.size();
    for (NodeIndex v : batch_) {
      Join(g, init, v, t);
      // Two-way graphs keep about 32 bytes more per in-edge (float
      // messages), and rings.
      if (theta_.size() > max_edges || rings_.size() > 4 * max_edges || unreplayable_ ||
          edge_updates_ > max_work) {
        return false;
      }
    }
    for (std::size_t x = first; x < joined_.size(); ++x) {
      joined_at_[joined_[x].node] = static_cast<std::uint32_t>(x);
    }
    batch_.clear();
    return true;
  };
  // Leaves every per-node mark clean; the store is untouched until the end.
  auto give_up = [&] {
    for (const Joined& j : joined_) joined_at_[j.node] = kNoSlot;
    for (NodeIndex v : batch_) joined_at_[v] = kNoSlot;
    batch_.clear();
    joined_.clear();
    TrimScratch();
    return false;
  };
  auto add = [&](NodeIndex v) {
    if (joined_at_[v] != kNoSlot) return;
    joined_at_[v] = kNoSlot - 1;  // in the batch
    batch_.push_back(v);
  };
  for (NodeIndex v : changed) {
    if (v < g.node_count) add(v);
  }
  // A changed node that propagates (before or after) may send other
  // messages from t = 0 on (p, q or latency changed): its out-neighbours
  // join at once.
  const std::size_t changed_count = batch_.size();
  for (std::size_t c = 0; c < changed_count; ++c) {
    const NodeIndex v = batch_[c];
    if (!touched(v) && !(init.p_i[v] > 0)) continue;
    for (NodeIndex k : g.successors(v)) add(k);
  }
  for (NodeIndex v : batch_) joined_at_[v] = kNoSlot;
  if (!join_batch(0)) return give_up();
  for (std::size_t c = 0; c < changed_count; ++c) {
    Joined& j = joined_[c];
    j.spread = j.was_touched || j.touched_at >= 0;  // its out-neighbours joined
  }
  for (int t = 1; t <= T; ++t) {
    const std::size_t count = joined_.size();
    if (two_way) {
      for (std::size_t x = 0; x < count; ++x) StepThetaTwoWay(g, init, x, t, t);
      for (std::size_t x = 0; x < count; ++x) StepPhiTwoWay(g, init, x, t, t);
      if (unreplayable_ || edge_updates_ > max_work) return give_up();
    } else {
      for (std::size_t x = 0; x < count; ++x) StepTheta(g, init, x, t);
      for (std::size_t x = 0; x < count; ++x) StepPhi(g, init, x, t);
    }
    // Nodes whose messages now differ bring their out-neighbours in (at T
    // too: their values stay, but they may enter or leave the frontier).
    const auto at = static_cast<std::size_t>(t);
    for (std::size_t x = 0; x < count; ++x) {
      Joined& j = joined_[x];
      if (j.spread) continue;
      const double before = j.was_touched ? Trajectory(j.node)[at] : init.p_s[j.node];
      if (Seen(x)[at] == before) {
        // Two-way: a cavity can change while P_S does not (or first).
        if (two_way) SpreadTwoWay(g, init, x, t);
        continue;
      }
      j.spread = true;
      for (NodeIndex k : g.successors(j.node)) add(k);
    }
    for (NodeIndex v : batch_) joined_at_[v] = kNoSlot;
    if (!join_batch(t)) return give_up();
  }
  out->reserve(joined_.size());
  for (std::size_t x = 0; x < joined_.size(); ++x) out->push_back(Finish(g, init, x));
  for (std::size_t x = 0; x < joined_.size(); ++x) {
    const Joined& j = joined_[x];
    joined_at_[j.node] = kNoSlot;
    if (j.touched_at >= 0) {
      if (!j.was_touched || !std::equal(Seen(x), Seen(x) + stride_, Trajectory(j.node))) {
        Set(j.node, Seen(x));
      }
    } else if (j.was_touched) {
      Release(j.node);
    }
  }
  TrimScratch();
  return true;
}

template <typename Stored>
void BasicIncrementalDmp<Stored>::TrimScratch() {
  // Small updates keep their buffers warm; a big one's are not kept.
  if (theta_.capacity() <= kKeptScratchEdges) return;
  std::vector<Joined>().swap(joined_);
  std::vector<double>().swap(values_);
  std::vector<Stored>().swap(theta_);
  std::vector<Stored>().swap(phi_);
  std::vector<PairEdge>().swap(pair_);
  std::vector<double>().swap(rings_);
  std::vector<NodeIndex>().swap(batch_);
}

template <typename Stored>
std::size_t BasicIncrementalDmp<Stored>::MemoryBytes() const {
  return (pool_.capacity() + values_.capacity() + rings_.capacity()) * sizeof(double) +
         (theta_.capacity() + phi_.capacity()) * sizeof(Stored) +
         pair_.capacity() * sizeof(PairEdge) +
         (slot_.capacity() + free_.capacity() + joined_at_.capacity() + drop_.capacity()) *
             sizeof(std::uint32_t) +
         joined_.capacity() * sizeof(Joined) + batch_.capacity() * sizeof(NodeIndex);
}

template class BasicIncrementalDmp<double>;
template class BasicIncrementalDmp<float>;

}  // namespace riskd::engine
