#include "engine/dmp.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "engine/dmp_pairs.h"
#include "engine/dmp_region.h"

namespace riskd::engine {
namespace {

constexpr std::uint8_t kSeen = 1;      // per-node workspace values are valid
constexpr std::uint8_t kTouched = 2;   // messages out of it are propagated
constexpr std::uint8_t kInFront = 4;   // in the frontier list
constexpr std::uint8_t kListed = 8;    // listed in the region's nodes
constexpr std::uint8_t kOutside = 16;  // touched while not in the frontier

// Source::touched's bits: the node's messages are propagated (kTouched's
// copy, next to what UpdatePhi reads about it), and its end step is within
// the run (End(v) <= now + T), so UpdatePhi reads its end only then; and
// it has not been through a step's UpdateMarginals since it was touched
// (its P_I is still the initial state's).
constexpr std::uint8_t kSourceTouched = 1;
constexpr std::uint8_t kSourceEnds = 2;
constexpr std::uint8_t kSourceFresh = 4;

// How many edges ahead pass 2 prefetches source state.
constexpr EdgeIndex kPrefetchAhead = 16;

// Source::eta_hit of a node that has not reached 0.5 (steps can be negative: a
// hit before the frame's start).
constexpr int kNoHit = std::numeric_limits<int>::min();

}  // namespace

template <typename Stored>
BasicDmpWorkspace<Stored>::BasicDmpWorkspace() = default;
template <typename Stored>
BasicDmpWorkspace<Stored>::~BasicDmpWorkspace() = default;
template <typename Stored>
BasicDmpWorkspace<Stored>::BasicDmpWorkspace(BasicDmpWorkspace&&) noexcept = default;
template <typename Stored>
BasicDmpWorkspace<Stored>& BasicDmpWorkspace<Stored>::operator=(BasicDmpWorkspace&&) noexcept =
    default;

template <typename Stored>
void BasicDmpWorkspace<Stored>::Prepare(const TransmissionGraph& g) {
  // The arc arrays of a graph the pair kernel has a layout for are sized
  // only when the arc kernel runs on it (PairDispatch).
  PrepareArrays(g, !(pairs_ && g.generation.value != 0 && pairs_generation_ == g.generation.value));
}

template <typename Stored>
void BasicDmpWorkspace<Stored>::PrepareArrays(const TransmissionGraph& g, bool arcs) {
  const std::size_t m = g.edge_count(), n = g.node_count;
  if (arcs && edge_.size() < m) edge_.resize(m);
  // Mirrored thetas and per-edge cavities only for graphs with reverse
  // edges, cavity rings only for graphs with onset delays.
  if (arcs && g.has_reverse && theta_reverse_.size() < m) {
    theta_reverse_.resize(m, Stored{1});
    cavity_.resize(m, 0.0);
  }
  // Once allocated, Reset clears it on every run, latency or not: keep it
  // sized to the graph.
  if (arcs && (g.has_latency || !edge_history_at_.empty()) && edge_history_at_.size() < m) {
    edge_history_at_.resize(m, 0);
  }
  if (!g.has_reverse && message_.size() < n) message_.resize(n);
  if (flags_.size() < n) {
    source_.resize(n);
    pr_.resize(n);
    flags_.resize(n, 0);
  }
  // Rings of P_S only for nodes with an onset delay.
  if (g.has_latency && history_at_.size() < n) history_at_.resize(n);
  // P_S at the window's end minus the onset delay: here for a graph with
  // onset delays, by the first run with ends otherwise (DmpRun::PsAtEnd).
  if (g.has_latency && ps_at_end_.size() < n) ps_at_end_.resize(n);
}

template <typename Stored>
std::size_t BasicDmpWorkspace<Stored>::Release() {
  const std::size_t bytes = MemoryBytes();
  const bool pair_kernel = pair_kernel_;
  const std::uint64_t pair_runs = pair_runs_;
  *this = BasicDmpWorkspace{};  // the vectors' storage goes with the old values
  pair_kernel_ = pair_kernel;
  pair_runs_ = pair_runs;
  return bytes;
}

template <typename Stored>
std::size_t BasicDmpWorkspace<Stored>::pair_layout_bytes() const {
  return pairs_ ? pairs_->MemoryBytes() : 0;
}

template <typename Stored>
std::size_t BasicDmpWorkspace<Stored>::MemoryBytes() const {
  return edge_.capacity() * sizeof(EdgeMessage) + theta_reverse_.capacity() * sizeof(Stored) +
         (cavity_.capacity() + pr_.capacity() + ps_at_end_.capacity() + pr_now_.capacity() +
          history_.capacity()) *
             sizeof(double) +
         message_.capacity() * sizeof(Message) + source_.capacity() * sizeof(Source) +
         edge_history_at_.capacity() * sizeof(std::uint32_t) + flags_.capacity() +
         history_at_.capacity() * sizeof(std::size_t) +
         (active_.capacity() + outside_.capacity() + frontier_.capacity()) * sizeof(NodeIndex) +
         pair_layout_bytes();
}

// One DMP run over a workspace; leaves the workspace clean.
//
// Each step works target by target over the frontier (nodes with a touched
// in-neighbour), reading each node's in-edges sequentially.
//
// Graphs without reverse edges take one pass per step (UpdateFused): the
// cavity P_S^{k->i} is P_S^k, so what phi(t) on every edge out of k adds is
// the same for all of them; UpdateMarginals computes it once per node at
// the end of step t (message_), and step t + 1 updates phi(t) and then
// theta(t + 1) = theta(t) - p phi(t) edge by edge in one sweep over theta,
// phi and p. Same operations, same order per value as the two passes below
// (phi(t) is computed a step later, from the same inputs), so the values
// are bit for bit theirs; phi(T) is never needed.
//
// Graphs with reverse edges take two passes: pass 1 updates theta and P_S,
// pass 2 phi. The cavity P_S^{k->i} is P_S^k / theta_{i->k}; pass 1 stores
// each theta at its reverse edge's slot as well (a store at a random place
// does not stall the way a load does), so pass 2 reads it in order.
//
// Messages are computed in double and rounded to `Stored` once, where they
// are stored (Round); the steps after read the stored values.
template <typename Stored>
class DmpRun {
 public:
  using Workspace = BasicDmpWorkspace<Stored>;
  using EdgeMessage = typename Workspace::EdgeMessage;
  using Message = typename Workspace::Message;
  static_assert(sizeof(typename Workspace::Source) == 32, "a source fills half a cache line");

  DmpRun(const TransmissionGraph& g, const InitialState& init, const DmpOptions& opt, Workspace* ws)
      : g_(g),
        init_(init),
        opt_(opt),
        w_(*ws),
        mirror_(g.has_reverse),
        has_end_(!init.end.empty()),
        keeps_end_(g.has_latency || has_end_),
        before_now_(init.now > 0),
        horizon_end_(init.now + opt.horizon) {}

  // on_step(t) runs after step t = 0..T.
  // With `trajectories`, records each touched node's P_S as its
  // out-messages saw it (see RunDmpRegion).
  // With `values`, Collect writes the region's values there (RunDmpRegion).
  template <typename OnStep>
  DmpRegion Run(std::span<const NodeIndex> sources, OnStep on_step,
                std::vector<double>* trajectories = nullptr,
                const DmpNodeValues* node_values = nullptr) {
    const int N = init_.now;
    const int H = N + opt_.horizon;  // steps of the frame
    const std::size_t stride = static_cast<std::size_t>(H) + 1;
    // P_R at now differs from P_R(0) only in a frame that started before
    // now (PrNow).
    if (N > 0 && w_.pr_now_.size() < g_.node_count) w_.pr_now_.resize(g_.node_count);
    // P_S at the window's end minus the onset delay differs from the last
    // P_S only with onset delays or ends (PsAtEnd).
    if (keeps_end_ && w_.ps_at_end_.size() < g_.node_count) w_.ps_at_end_.resize(g_.node_count);
    DmpRegion out;
    // Sources start propagating at their start step: 0 now, later ones at
    // the end of that step (phi(start) = P_I(start)).
    std::vector<NodeIndex> later;
    for (NodeIndex v : sources) {
      if (!(init_.p_i[v] > 0) || (w_.flags_[v] & kTouched)) continue;
      // Removed at (or before) its start: it never passes anything on
      // (phi = 0 from its end), so its messages are never propagated.
      if (init_.Start(v) >= init_.End(v)) continue;
      if (init_.Start(v) == 0) {
        Touch(v);
      } else {
        later.push_back(v);
      }
    }
    std::sort(later.begin(), later.end(), [&](NodeIndex a, NodeIndex b) {
      return init_.Start(a) != init_.Start(b) ? init_.Start(a) < init_.Start(b) : a < b;
    });
    later.erase(std::unique(later.begin(), later.end()), later.end());
    std::size_t next_later = 0;
    auto touch_starting = [&](int t) {
      for (; next_later < later.size() && init_.Start(later[next_later]) == t; ++next_later) {
        if (!(w_.flags_[later[next_later]] & kTouched)) Touch(later[next_later]);
      }
    };
    // Touched nodes get P_S(0) up to now; each step writes its value.
    auto record = [&](int t) {
      if (trajectories == nullptr) return;
      const std::size_t have = trajectories->size() / stride;
      for (std::size_t x = have; x < w_.active_.size(); ++x) {
        trajectories->resize(trajectories->size() + stride, init_.p_s[w_.active_[x]]);
      }
      double* values = trajectories->data() + static_cast<std::size_t>(t);
      for (NodeIndex k : w_.active_) {
        *values = w_.source_[k].ps;
        values += stride;
      }
    };
    if (trajectories != nullptr) trajectories->clear();
    if (N == 0) SnapNow(0);
    record(0);
    on_step(0);
    std::size_t sorted = 0;
    for (int t = 1; t <= H; ++t) {
      // Frontier in node order, so the passes stream through the edge
      // arrays (which are grouped by target); nodes added last step merge in.
      auto& f = w_.frontier_;
      if (sorted < f.size()) {
        if (f.size() - sorted > g_.node_count / 32) {
          ListFrontier();  // many added (a growing outbreak): a scan beats the sort
        } else {
          std::sort(f.begin() + static_cast<std::ptrdiff_t>(sorted), f.end());
          std::inplace_merge(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(sorted), f.end());
        }
        sorted = f.size();
      }
      if (mirror_) {
        UpdateTheta(t, &out.edge_updates);
        UpdatePhi(t);
      } else {
        UpdateFused(t, &out.edge_updates);
      }
      // Every touched node, in node order where possible (the per-node
      // arrays are then read in order): the frontier's, then the others
      // (sources without a touched in-neighbour when touched).
      for (NodeIndex k : w_.frontier_) {
        if ((w_.flags_[k] & (kTouched | kOutside)) == kTouched) UpdateMarginals(k, t);
      }
      for (NodeIndex k : w_.outside_) UpdateMarginals(k, t);
      touch_starting(t);
      if (t == N) SnapNow(t);
      step_ = t;
      record(t);
      on_step(t);
    }
    Collect(&out, node_values);
    Reset(out);
    return out;
  }

  bool seen(NodeIndex v) const { return w_.flags_[v] & kSeen; }
  bool touched(NodeIndex v) const { return w_.flags_[v] & kTouched; }
  // Current marginals; valid for seen (P_S) or touched (P_I, P_R) nodes.
  double ps(NodeIndex v) const { return w_.source_[v].ps; }
  double pi(NodeIndex v) const {
    if (w_.source_[v].touched & kSourceFresh) return init_.p_i[v];
    if (step_ >= End(v)) return 0.0;  // removed
    return std::max(0.0, 1.0 - PsOnset(v, step_) - w_.pr_[v]);
  }
  double pr(NodeIndex v) const { return w_.pr_[v]; }

 private:
  static Stored Round(double x) { return static_cast<Stored>(x); }

  void Enter(NodeIndex v) {
    if (w_.flags_[v] & kSeen) return;
    w_.flags_[v] |= kSeen;
    const std::uint8_t ends = End(v) <= horizon_end_ ? kSourceEnds : 0;
    w_.source_[v] = {init_.p_s[v], init_.Fixed(v) ? 1.0 : 1.0 - g_.q[v], init_.p_s[v], kNoHit, ends,
                     g_.latency[v]};
    if (keeps_end_) w_.ps_at_end_[v] = init_.p_s[v];
    w_.pr_[v] = init_.p_r[v];
    if (before_now_) w_.pr_now_[v] = init_.p_r[v];
  }

  // P_R at now of a seen node: P_R(0) until the run passes now (SnapNow),
  // so in a frame starting now the initial state's, and pr_now_ is neither
  // allocated nor written.
  double PrNow(NodeIndex v) const { return before_now_ ? w_.pr_now_[v] : init_.p_r[v]; }
  // P_S at the window's end minus the onset delay of a seen node, once the
  // run is done. Without onset delays and ends every window ends at now + T,
  // the run's last step, so it is the last P_S (the shielded steps' P_S(0)
  // included: a node keeps it until its start) and ps_at_end_ is neither
  // allocated nor written (8 bytes per node).
  double PsAtEnd(NodeIndex v) const { return keeps_end_ ? w_.ps_at_end_[v] : w_.source_[v].ps; }
  // InitialState::End and WindowEnd, read per node and step: without ends
  // constants.
  int End(NodeIndex v) const { return has_end_ ? init_.end[v] : InitialState::kNever; }
  int WindowEnd(NodeIndex v) const {
    return has_end_ ? init_.WindowEnd(v, opt_.horizon) : horizon_end_;
  }

  // At step now: P_R(now) of every touched node, and the first step s in
  // [now - L, now] at which, hit then, it is disrupted by now with
  // probability >= 0.5 (1 - P_S(s) - P_R(now) >= 0.5); later steps are
  // checked as they come (pass 1). The ring holds P_S(now - L .. now).
  void SnapNow(int now) {
    for (NodeIndex k : w_.active_) {
      // At now = 0 P_R is still P_R(0) (PrNow).
      if (now > 0) w_.pr_now_[k] = w_.pr_[k];
      w_.source_[k].eta_hit = kNoHit;
      const int L = g_.latency[k];
      const auto span = static_cast<std::int64_t>(L) + 1;
      const double* ring = L > 0 ? w_.history_.data() + w_.history_at_[k] : nullptr;
      for (int s = now - L; s <= now; ++s) {
        const double ps = ring ? ring[((s % span) + span) % span] : w_.source_[k].ps;
        if (1.0 - ps - PrNow(k) >= 0.5) {
          w_.source_[k].eta_hit = s;
          break;
        }
      }
    }
  }

  void Touch(NodeIndex k) {
    Enter(k);
    w_.flags_[k] |= kTouched;
    w_.source_[k].touched |= kSourceTouched | kSourceFresh;
    w_.active_.push_back(k);
    if (!(w_.flags_[k] & kInFront)) {
      w_.flags_[k] |= kOutside;
      w_.outside_.push_back(k);
    }
    const int L = g_.latency[k];
    // phi is 0 on the edges of an untouched node: only a source's need
    // writing (a scattered store per edge otherwise).
    const double pi = init_.p_i[k];
    // The fused step's update gives the same P_I on them until this step's
    // UpdateMarginals sets the node's message (Message): phi(start) = P_I
    // is written for the targets this step has already updated.
    if (!mirror_ && pi != 0) w_.message_[k] = {0.0, pi};
    const OutEdges out = g_.out(k);
    const std::span<const NodeIndex> targets = g_.successors(k);
    // Edge ids only where written: a one-way graph finds each in its
    // target's in-row (TransmissionGraph::out_edges), so only a source's
    // out-edges pay that.
    const bool write_edges = pi != 0 || mirror_;
    // Stored ids (graphs with reverse edges) read as an array, as before.
    const EdgeIndex* stored =
        g_.out_edges.empty() ? nullptr : g_.out_edges.data() + g_.out_offsets[k];
    for (std::size_t x = 0; x < targets.size(); ++x) {
      // Targets are scattered: fetch the flags of the one a few edges ahead
      // now (the targets themselves are read in order).
      if (x + kPrefetchAhead < targets.size())
        __builtin_prefetch(&w_.flags_[targets[x + kPrefetchAhead]]);
      const EdgeIndex e = stored ? stored[x] : write_edges ? out[x] : kNoEdge;
      if (pi != 0) w_.edge_[e].phi = Round(pi);
      if (mirror_) w_.cavity_[e] = init_.p_s[k];
      const NodeIndex j = targets[x];
      if (!(w_.flags_[j] & kInFront) && init_.p_s[j] > 0) {
        Enter(j);
        w_.flags_[j] |= kInFront;
        w_.frontier_.push_back(j);
      }
      // An edge with a reverse gets its cavity ring at its first phi update
      // (UpdatePhi), in the order the updates read the rings.
    }
    if (L > 0) {
      // Ring of the last L+1 values of P_S^k (also the cavity of edges
      // without a reverse).
      w_.history_at_[k] = w_.history_.size();
      w_.history_.resize(w_.history_.size() + L + 1, init_.p_s[k]);
    }
  }

  // After theta(t) of node i's in-edges: P_S(t) = prod, its window and ETA
  // bookkeeping; a node whose drop passes the tolerance starts propagating.
  void Stepped(NodeIndex i, int t, double prod) {
    w_.source_[i].ps = prod;
    if (keeps_end_ && t + g_.latency[i] <= WindowEnd(i)) w_.ps_at_end_[i] = prod;
    if (t > init_.now && w_.source_[i].eta_hit == kNoHit && 1.0 - prod - PrNow(i) >= 0.5) {
      w_.source_[i].eta_hit = t;
    }
    if (!(w_.flags_[i] & kTouched) && t < End(i) && init_.p_s[i] - prod > opt_.tolerance) {
      Touch(i);
    }
  }

  // Pass 1: theta(t) from phi(t-1) and P_S(t) for every frontier node; newly
  // hit nodes start propagating this very step.
  void UpdateTheta(int t, std::uint64_t* edge_updates) {
    const double* p = g_.p.data();
    EdgeMessage* edge = w_.edge_.data();
    const EdgeIndex* reverse = g_.reverse.data();
    Stored* theta_reverse = w_.theta_reverse_.data();
    const auto edges = static_cast<EdgeIndex>(g_.edge_count());
    const std::size_t count = w_.frontier_.size();  // nodes added below start next step
    for (std::size_t x = 0; x < count; ++x) {
      const NodeIndex i = w_.frontier_[x];
      const int L = g_.latency[i];
      if (t <= init_.Start(i)) {
        // Shielded: nothing reaches it before its start (theta stays 1).
        if (keeps_end_ && t + L <= WindowEnd(i)) w_.ps_at_end_[i] = init_.p_s[i];
        continue;
      }
      const EdgeIndex b = g_.in_begin(i), en = g_.in_end(i);
      double prod = init_.p_s[i];
      if (mirror_) {
        for (EdgeIndex e = b; e < en; ++e) {
          // The mirror store lands at a scattered place: fetch its line early.
          if (e + kPrefetchAhead < edges && reverse[e + kPrefetchAhead] != kNoEdge) {
            __builtin_prefetch(&theta_reverse[reverse[e + kPrefetchAhead]], 1);
          }
          const Stored th = Round(edge[e].theta - p[e] * edge[e].phi);
          edge[e].theta = th;
          prod *= th;
          if (const EdgeIndex rev = reverse[e]; rev != kNoEdge) theta_reverse[rev] = th;
        }
      } else {
        for (EdgeIndex e = b; e < en; ++e) {
          const Stored th = Round(edge[e].theta - p[e] * edge[e].phi);
          edge[e].theta = th;
          prod *= th;
        }
      }
      *edge_updates += en - b;
      Stepped(i, t, prod);
    }
  }

  // Graphs without reverse edges: phi(t - 1) from the messages of step t - 1
  // (the operations of pass 2 at t - 1), then theta(t) and P_S as pass 1.
  void UpdateFused(int t, std::uint64_t* edge_updates) {
    const NodeIndex* source = g_.source.data();
    const double* p = g_.p.data();
    const Message* message = w_.message_.data();
    EdgeMessage* edge = w_.edge_.data();
    const auto edges = static_cast<EdgeIndex>(g_.edge_count());
    const std::size_t count = w_.frontier_.size();  // nodes added below start next step
    for (std::size_t x = 0; x < count; ++x) {
      const NodeIndex i = w_.frontier_[x];
      const int L = g_.latency[i];
      const int start = init_.Start(i);
      const EdgeIndex b = g_.in_begin(i), en = g_.in_end(i);
      // Attempts on a shielded node are void: "k has not infected i" holds.
      const bool shielded_before = t - 1 <= start;
      if (t <= start) {
        // Shielded at t too: phi(t - 1) only, theta stays 1.
        for (EdgeIndex e = b; e < en; ++e) {
          const Message m = message[source[e]];
          edge[e].phi = Round(m.keep * edge[e].phi + m.onset);
        }
        if (keeps_end_ && t + L <= WindowEnd(i)) w_.ps_at_end_[i] = init_.p_s[i];
        continue;
      }
      double prod = init_.p_s[i];
      if (shielded_before) {
        for (EdgeIndex e = b; e < en; ++e) {
          const Message m = message[source[e]];
          const Stored ph = Round(m.keep * edge[e].phi + m.onset);
          edge[e].phi = ph;
          const Stored th = Round(edge[e].theta - p[e] * ph);
          edge[e].theta = th;
          prod *= th;
        }
      } else {
        const auto step = [&](EdgeIndex e) {
          // No test whether k propagates (Message): a branch there
          // mispredicts wherever propagating and silent sources mix in a
          // row, and took ~30% of a full downstream run.
          const Message m = message[source[e]];
          const double pe = p[e];
          const Stored ph = Round((1.0 - pe) * m.keep * edge[e].phi + m.onset);
          edge[e].phi = ph;
          const Stored th = Round(edge[e].theta - pe * ph);
          edge[e].theta = th;
          prod *= th;
        };
        // Sources are scattered: fetch the one a few edges ahead now (up to
        // the last edge's, without a test per edge).
        const EdgeIndex ahead = std::clamp(edges - std::min(edges, kPrefetchAhead), b, en);
        EdgeIndex e = b;
        for (; e < ahead; ++e) {
          __builtin_prefetch(&message[source[e + kPrefetchAhead]]);
          step(e);
        }
        for (; e < en; ++e) step(e);
      }
      *edge_updates += en - b;
      Stepped(i, t, prod);
    }
  }

  // P_S^k(0) prod_{l -> k, l != i} theta_{l->k}, for rev = i -> k.
  double ExplicitCavity(NodeIndex k, EdgeIndex rev) const {
    double prod = init_.p_s[k];
    for (EdgeIndex f = g_.in_begin(k); f < g_.in_end(k); ++f) {
      if (f != rev) prod *= w_.edge_[f].theta;
    }
    return prod;
  }

  // Pass 2: phi(t) on the in-edges of every frontier node from a touched
  // source. With latency L_k, the nodes hit at t - L_k become infectious now:
  // ring slot t % (L+1) holds cavity(t-L-1), slot (t+1) % (L+1) cavity(t-L).
  void UpdatePhi(int t) {
    const NodeIndex* source = g_.source.data();
    const double* p = g_.p.data();
    const EdgeIndex* reverse = g_.reverse.data();
    const Stored* theta_reverse = w_.theta_reverse_.data();
    const typename Workspace::Source* node = w_.source_.data();
    EdgeMessage* edge = w_.edge_.data();
    double* cavity = w_.cavity_.data();
    const EdgeIndex edges = static_cast<EdgeIndex>(g_.edge_count());
    // Ring slots for the onset delay of the edge before: recomputed only
    // when the delay changes from one edge to the next.
    std::size_t span = 0, older = 0, newer = 0;
    for (NodeIndex i : w_.frontier_) {
      const EdgeIndex en = g_.in_end(i);
      // Attempts on a shielded node are void: "k has not infected i" holds.
      const bool shielded = t <= init_.Start(i);
      for (EdgeIndex e = g_.in_begin(i); e < en; ++e) {
        // Sources are scattered: fetch the one a few edges ahead now.
        if (e + kPrefetchAhead < edges) __builtin_prefetch(&node[source[e + kPrefetchAhead]]);
        const NodeIndex k = source[e];
        const typename Workspace::Source& s = node[k];
        if (!(s.touched & kSourceTouched)) continue;
        // Ends later than the run (or never): t < End(k) at every step.
        if ((s.touched & kSourceEnds) && t >= init_.end[k]) {
          edge[e].phi = 0;  // removed: passes nothing on
          continue;
        }
        const EdgeIndex rev = mirror_ ? reverse[e] : kNoEdge;
        double cav = s.ps;
        if (rev != kNoEdge) {
          const double th = theta_reverse[e];
          cav = th > kDmpTinyTheta ? s.ps / th : ExplicitCavity(k, rev);
        }
        const double decay = shielded ? s.keep : (1.0 - p[e]) * s.keep;
        const int L = s.latency;
        if (L == 0) {
          if (rev == kNoEdge) {
            // Cavity = P_S^k: its previous value is the node's, which
            // spares an edge array's read and write per step.
            edge[e].phi = Round(decay * edge[e].phi - (cav - s.ps_before));
          } else {
            edge[e].phi = Round(decay * edge[e].phi - (cav - cavity[e]));
            cavity[e] = cav;
          }
          continue;
        }
        if (static_cast<std::size_t>(L) + 1 != span) {
          span = static_cast<std::size_t>(L) + 1;
          older = static_cast<std::size_t>(t) % span;
          newer = static_cast<std::size_t>(t + 1) % span;
        }
        double onset;
        if (rev == kNoEdge) {
          // Cavity = P_S^k, whose ring UpdateMarginals writes after this pass.
          const double* ring = w_.history_.data() + w_.history_at_[k];
          onset = ring[older] - ring[newer];
        } else {
          std::uint32_t& at = w_.edge_history_at_[e];
          if (at == 0) {
            // Ring of the last L+1 cavity values of this edge, allocated here
            // so the rings lie in the order this pass reads them (allocated
            // when k was touched, in out-edge order, every read was a
            // scattered line); the time before touching counts as P_S(0).
            // Nothing updates a ring before its first read here, so no value
            // differs from a ring allocated then.
            at = static_cast<std::uint32_t>(w_.history_.size()) + 1;
            w_.history_.resize(w_.history_.size() + span, init_.p_s[k]);
          }
          double* ring = w_.history_.data() + (at - 1);
          onset = ring[older] - ring[newer];
          ring[older] = cav;
        }
        edge[e].phi = Round(decay * edge[e].phi + onset);
      }
    }
  }

  // End of step t for a touched node: P_R (P_I follows from it and P_S:
  // pi()), and (graphs without
  // reverse edges) what phi(t) on its out-edges adds, as pass 2 of step t
  // computes it: -(P_S(t) - P_S(t - 1)) without latency, the nodes hit
  // L steps ago (ring) with.
  void UpdateMarginals(NodeIndex k, int t) {
    typename Workspace::Source& s = w_.source_[k];
    const double ps_before = s.ps_before;
    s.ps_before = s.ps;  // pass 2 of step t has read it
    const bool fresh = s.touched & kSourceFresh;
    s.touched &= static_cast<std::uint8_t>(~kSourceFresh);
    if (t >= End(k)) {
      w_.pr_[k] = 1.0;                            // and P_I 0 (pi())
      if (!mirror_) w_.message_[k] = {0.0, 0.0};  // removed: phi = 0
      return;
    }
    // P_I(t - 1), not kept per node: the initial state's until the node's
    // first step, then what the step before computed from P_S(t - 1 - L)
    // (P_S(t - 1), or the ring's slot it read, written only below) and
    // P_R(t - 1): the same operands, so the same double.
    const double pi_before =
        fresh
            ? init_.p_i[k]
            : std::max(0.0, 1.0 - (g_.latency[k] > 0 ? PsOnset(k, t - 1) : ps_before) - w_.pr_[k]);
    w_.pr_[k] += (init_.Fixed(k) ? 0.0 : g_.q[k]) * pi_before;
    double onset = ps_before - s.ps;
    if (const int L = g_.latency[k]; L > 0) {
      const std::size_t span = static_cast<std::size_t>(L) + 1;
      double* ring = w_.history_.data() + w_.history_at_[k];
      const std::size_t older = static_cast<std::size_t>(t) % span;
      const std::size_t newer = static_cast<std::size_t>(t + 1) % span;
      onset = ring[older] - ring[newer];
      ring[older] = s.ps;
    }
    if (!mirror_) w_.message_[k] = {s.keep, onset};
  }

  // The frontier, in node order: the nodes flagged in it, which are exactly
  // the ones listed (Touch), so the same list as sorting it.
  void ListFrontier() {
    auto& f = w_.frontier_;
    const std::size_t size = f.size();
    f.resize(size + 1);  // the slot the last node not in it writes
    const std::uint8_t* flags = w_.flags_.data();
    NodeIndex* out = f.data();
    std::size_t x = 0;
    for (NodeIndex v = 0; v < g_.node_count; ++v) {
      out[x] = v;
      x += (flags[v] & kInFront) != 0;
    }
    f.resize(size);
  }

  // P_S(t - L) of a touched node after step t's UpdateMarginals (and before
  // step t + 1's writes its ring): P_S(t) without an onset delay, else the
  // ring's slot (t + 1) % (L + 1).
  double PsOnset(NodeIndex k, int t) const {
    const int L = g_.latency[k];
    if (L == 0) return w_.source_[k].ps;
    const std::size_t span = static_cast<std::size_t>(L) + 1;
    return w_.history_[w_.history_at_[k] + static_cast<std::size_t>(t + 1) % span];
  }

  void Collect(DmpRegion* out, const DmpNodeValues* values) {
    const int now = init_.now;
    // The touched nodes' list becomes the region's, no copy; Reset reads
    // them there. The frontier's extra nodes are appended to it: they fit
    // in its slack capacity or grow it (a hub's out-degree can exceed the
    // slack). active_ is left empty and regrows by doubling in the next
    // run.
    dmp_region::List(g_, std::move(w_.active_), out, values, [&](NodeIndex i) {
      if (w_.flags_[i] & (kTouched | kListed)) return false;
      w_.flags_[i] |= kListed;
      return true;
    });
    w_.active_.clear();
    const std::size_t size = out->nodes.size();
    for (std::size_t x = 0; x < size; ++x) {
      const NodeIndex v = out->nodes[x];
      Enter(v);
      // Disrupted at some step of [now, window end]: not recovered by now
      // and hit by the window's end minus the onset delay.
      const bool removed = init_.End(v) <= now;
      const double risk = removed ? 0.0
                                  : std::max(init_.EvidenceFloor(v),
                                             std::clamp(1.0 - PsAtEnd(v) - PrNow(v), 0.0, 1.0));
      const int hit = w_.source_[v].eta_hit;
      int eta = -1;
      if (!removed && hit != kNoHit && hit + g_.latency[v] <= WindowEnd(v)) {
        eta = std::max(0, hit + g_.latency[v] - now);
      }
      NodeIndex parent = kNoNode;
      double best = 0;
      for (EdgeIndex e = g_.in_begin(v); e < g_.in_end(v); ++e) {
        // Without a branch (one on `better` mispredicts).
        const double passed = 1.0 - w_.edge_[e].theta;
        const NodeIndex better = passed > best;
        best = std::max(best, passed);
        parent ^= (parent ^ g_.source[e]) & (NodeIndex{0} - better);
      }
      dmp_region::Put(out, values, x, v, risk, eta, parent);
    }
  }

  // `region` is Collect's: its nodes are exactly the ones seen (touched
  // nodes and their out-neighbours, the frontier among them).
  void Reset(const DmpRegion& region) {
    const std::span<const NodeIndex> touched(region.nodes.data(), region.touched_count);
    if (g_.out_edges.empty()) {
      // No stored out-edge ids (a one-way graph): every edge out of a
      // touched node goes into a node of the region, so its in-rows, read
      // in order, hold them all (the other edges in them are clean
      // already: theta 1 and phi 0 from an untouched source).
      for (NodeIndex v : region.nodes) {
        std::fill(w_.edge_.begin() + g_.in_begin(v), w_.edge_.begin() + g_.in_end(v),
                  EdgeMessage{});
        if (!w_.edge_history_at_.empty()) {
          std::fill(w_.edge_history_at_.begin() + g_.in_begin(v),
                    w_.edge_history_at_.begin() + g_.in_end(v), 0);
        }
      }
    } else {
      for (NodeIndex k : touched) {
        const std::span<const EdgeIndex> out(g_.out_edges.data() + g_.out_offsets[k],
                                             g_.out_edges.data() + g_.out_offsets[k + 1]);
        for (EdgeIndex e : out) {
          w_.edge_[e] = {};
          if (mirror_) w_.cavity_[e] = 0.0;
          if (!w_.edge_history_at_.empty()) w_.edge_history_at_[e] = 0;
          if (mirror_ && g_.reverse[e] != kNoEdge) w_.theta_reverse_[g_.reverse[e]] = 1;
        }
      }
    }
    for (NodeIndex v : region.nodes) {
      w_.flags_[v] = 0;
      w_.source_[v].touched = 0;
    }
    if (!mirror_) {
      for (NodeIndex k : touched) w_.message_[k] = {};
    }
    w_.outside_.clear();
    // The frontier's storage (4 bytes per node of the region, about as many
    // as the region's own list) is not kept past the run: it would stack on
    // what the caller builds from the region (the split, the round's
    // publishing); the next run regrows it.
    std::vector<NodeIndex>().swap(w_.frontier_);
    w_.history_.clear();
  }

  const TransmissionGraph& g_;
  const InitialState& init_;
  const DmpOptions& opt_;
  Workspace& w_;
  const bool mirror_;      // the graph has reverse edges
  const bool has_end_;     // some node has an end step (init_.end not empty)
  const bool keeps_end_;   // onset delays or ends: ps_at_end_ is kept (PsAtEnd)
  const bool before_now_;  // the frame started before now (pr_now_ is kept)
  const int horizon_end_;  // now + T: every window's last step without ends
  int step_ = 0;           // the last step done (pi())
};

// Pair kernel (dmp_pairs.h). With float messages, a two-way run on a graph
// where every arc has its reverse, in a frame with starts >= 0 and
// now + T < 32767 (PairDmp::SupportsFrame: ends, starts, now, fixed
// periods, onset delays; the daemon's frames), is
// handed to PairDmp, whose outputs are this kernel's bit for bit; it hands
// the run back when this kernel would compute a cavity as the explicit
// product (a reverse theta <= kDmpTinyTheta), or when a source or a node
// it sees starts before 0 (it checks those only, not every node's start). Its layout (~35
// bytes per arc: both arcs' messages and p, the pair's far end, the arc's
// pair) is built per graph, keyed by the graph's generation (a graph of
// generation 0, built outside the engine, is never served), and only after
// the second run on that graph whose arc-steps reach 4 per arc (the build
// costs about one such run): a graph that only sees small regions, or
// changes between such runs, never pays for it. It replaces this kernel's per-arc arrays (freed
// when it is built; a run here drops it before sizing them again, so the
// two are never held together), is kept while the graph's generation is
// the same and freed by Release with the rest (then built again only after
// the next costly run on the graph in a frame it serves). A graph on which
// it met an explicit cavity stays with this kernel.
template <typename Stored>
class PairDispatch {
 public:
  static DmpRegion Run(const TransmissionGraph& g, const InitialState& init,
                       std::span<const NodeIndex> sources, const DmpOptions& opt,
                       BasicDmpWorkspace<Stored>* ws, std::vector<double>* trajectories,
                       const DmpNodeValues* values) {
    const std::uint64_t generation = g.generation.value;
    const bool two_way = std::is_same_v<Stored, float> && ws->pair_kernel_ && generation != 0 &&
                         g.has_reverse && ws->unpaired_generation_ != generation;
    if (two_way && ws->pairs_ && ws->pairs_generation_ == generation && ws->pairs_->Fits(g) &&
        PairDmp::SupportsTimes(init, opt)) {
      DmpRegion out;
      switch (ws->pairs_->Run(g, init, sources, opt, &out, trajectories, values)) {
        case PairDmp::PairRun::kServed:
          ++ws->pair_runs_;
          return out;
        case PairDmp::PairRun::kExplicitCavity:
          // This graph stays with the arc kernel (its layout would be built
          // again after every such run only to be handed back).
          ws->unpaired_generation_ = generation;
          break;
        case PairDmp::PairRun::kStartBeforeZero:
          break;  // the frame's: as a frame SupportsFrame refuses
      }
    }
    // The arc kernel runs: the layout goes first, so the two are never held
    // together (it is built again after the next costly run in a frame the
    // pair kernel serves).
    ws->pairs_.reset();
    ws->PrepareArrays(g, true);  // no-op unless the pair kernel's layout freed them
    DmpRegion out = DmpRun<Stored>(g, init, opt, ws)
                        .Run(
                            sources, [](int) {}, trajectories, values);
    const bool costly = two_way && !(ws->pairs_ && ws->pairs_generation_ == generation) &&
                        out.edge_updates >= 4 * static_cast<std::uint64_t>(g.edge_count()) &&
                        PairDmp::SupportsFrame(init, opt);
    // Built at a graph's second costly run: a graph that changes between
    // such runs (network changes) would pay the build and never use it.
    if (costly && std::exchange(ws->costly_generation_, generation) == generation) {
      ws->pairs_.reset();  // another graph's, if any
      if (PairDmp::SupportsGraph(g)) {
        ws->pairs_ = std::make_unique<PairDmp>(g);
        ws->pairs_generation_ = generation;
        // The arc kernel's arrays (clean, 20 bytes per arc) are freed when
        // the layout is built; a later arc-kernel run drops the layout
        // before it sizes them again.
        decltype(ws->edge_)().swap(ws->edge_);
        decltype(ws->theta_reverse_)().swap(ws->theta_reverse_);
        decltype(ws->cavity_)().swap(ws->cavity_);
        decltype(ws->edge_history_at_)().swap(ws->edge_history_at_);
      } else {
        ws->unpaired_generation_ = generation;
      }
    }
    return out;
  }
};

template <typename Stored>
DmpRegion RunDmpRegion(const TransmissionGraph& g, const InitialState& init,
                       std::span<const NodeIndex> sources, const DmpOptions& opt,
                       BasicDmpWorkspace<Stored>* ws, std::vector<double>* trajectories,
                       const DmpNodeValues* values) {
  return PairDispatch<Stored>::Run(g, init, sources, opt, ws, trajectories, values);
}

template <typename Stored>
DmpResult RunDmp(const TransmissionGraph& g, const InitialState& init, const DmpOptions& opt) {
  const std::size_t n = g.node_count;
  DmpResult r;
  r.horizon = opt.horizon;
  r.p_i = init.p_i;
  r.p_r = init.p_r;
  BasicDmpWorkspace<Stored> ws;
  ws.Prepare(g);
  std::vector<NodeIndex> sources;
  for (NodeIndex v = 0; v < n; ++v) {
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  DmpRun<Stored> run(g, init, opt, &ws);
  // Values of nodes the run has seen live in the workspace; the rest keep
  // their initial marginals. Before its start a node is susceptible, from
  // its end removed (`state`: 0 S, 1 I, 2 R).
  auto snapshot = [&](int t, const std::vector<double>& base, auto live, bool touched_only,
                      int state) {
    std::vector<double> out = base;
    for (NodeIndex v = 0; v < n; ++v) {
      if (t >= init.End(v)) {
        out[v] = state == 2 ? 1.0 : 0.0;
      } else if (t < init.Start(v)) {
        out[v] = state == 0 ? 1.0 : 0.0;
      } else if (run.seen(v) && (!touched_only || run.touched(v))) {
        out[v] = live(v);
      }
    }
    return out;
  };
  const auto ps = [&](NodeIndex v) { return run.ps(v); };
  const auto pi = [&](NodeIndex v) { return run.pi(v); };
  const auto pr = [&](NodeIndex v) { return run.pr(v); };
  const DmpRegion region = run.Run(sources, [&](int t) {
    if (opt.record_marginals) {
      r.p_s_t.push_back(snapshot(t, init.p_s, ps, false, 0));
      r.p_i_t.push_back(snapshot(t, init.p_i, pi, true, 1));
      r.p_r_t.push_back(snapshot(t, init.p_r, pr, true, 2));
    }
    if (t == init.now + opt.horizon) {
      r.p_i = snapshot(t, init.p_i, pi, true, 1);
      r.p_r = snapshot(t, init.p_r, pr, true, 2);
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

template class BasicDmpWorkspace<double>;
template class BasicDmpWorkspace<float>;
template DmpRegion RunDmpRegion(const TransmissionGraph&, const InitialState&,
                                std::span<const NodeIndex>, const DmpOptions&,
                                BasicDmpWorkspace<double>*, std::vector<double>*,
                                const DmpNodeValues*);
template DmpRegion RunDmpRegion(const TransmissionGraph&, const InitialState&,
                                std::span<const NodeIndex>, const DmpOptions&,
                                BasicDmpWorkspace<float>*, std::vector<double>*,
                                const DmpNodeValues*);
template DmpResult RunDmp<double>(const TransmissionGraph&, const InitialState&, const DmpOptions&);
template DmpResult RunDmp<float>(const TransmissionGraph&, const InitialState&, const DmpOptions&);

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
