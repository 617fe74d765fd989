// IncrementalDmp: the DMP run of engine/dmp.h kept up to date under changes
// by recomputing only the nodes a change reaches, on any transmission graph:
// one-way (downstream or upstream risk types on networks without two-way
// supplier pairs) or with reverse edges (both-directions risk types, or
// two-way pairs), values bit for bit those of RunDmpRegion.
//
// Why it works (one-way). Without a reverse edge the cavity P_S^{k->i} is
// P_S^k itself, so the messages on edge k -> i over t = 0..T are a function
// of one trajectory only: the values of P_S^k that k's out-messages saw,
//   S~_k(t) = P_S^k(0) before k was touched, P_S^k(t) from then on
// (dmp.h propagates a node's messages once its drop passes the tolerance,
// sources from t = 0), together with p_ki, q_k, L_k and P_I^k(0). And
//   P_S^i(t) = P_S^i(0) prod_{k -> i, k touched} theta_{k->i}(t),
// so node i is recomputed from the stored S~ of its in-neighbours in
// (in-degree) x T, with the same floating-point operations in the same
// order as the full run: the values are bit for bit those of RunDmpRegion
// on the same state, touched set included (tests compare).
//
// Two-way pairs. With a reverse edge i -> k, dmp.cc drives phi_{k->i} by
// the cavity C_{k->i}(t) = P_S^k(t) / theta_{i->k}(t) (the explicit product
// of k's other thetas when theta_{i->k} < kDmpTinyTheta), which depends on
// the pair, not on k alone. It is still a function of stored node
// trajectories: theta_{i->k} and theta_{k->i} are the two messages of a
// closed recursion of the pair driven by S~_k and S~_i,
//   theta_{i->k}(t) = theta_{i->k}(t-1) - p_ik phi_{i->k}(t-1),
//   phi_{i->k}(t)   = (1 - p_ik)(1 - q_i) phi_{i->k}(t-1)
//                     - [C_{i->k}(t) - C_{i->k}(t-1)],  C_{i->k} = S~_i / theta_{k->i},
// (onset delays read C L_i steps back, as dmp.cc's rings do). So a joined
// node i computes C_{k->i} from k's new values when k has joined, and
// otherwise replays the earlier run's theta_{i->k} from S~_i and S~_k (its
// own theta_{k->i} is the earlier one until k joins) when both were
// touched; when i was not, theta_{i->k} was 1 and C_{k->i} = S~_k. The
// replay also gives the earlier C_{i->k}, against which i's new one is
// compared each step: an out-neighbour k joins as soon as the cavity it
// receives differs (it can before S~_i does), as well as when S~_i does.
// A replay that would need the explicit product (an edge with p = 1 that
// surely passed) makes the update give up: the regions are recomputed.
//
// State. S~ for every touched node ((T + 1) doubles each), nothing per
// edge, on one-way and two-way graphs alike, so it survives graph rebuilds
// (node indices are stable slots) and a graph gaining or losing reverse
// edges. Per-edge cavity trajectories would be (T + 1) doubles per edge
// between touched nodes: on a both-directions risk type over the 100k /
// 1M-edge network every one of its 2M edges is (about 500 MB against 25).
// The price is compute: a joined node replays, per in-edge from a touched
// node that has not joined, two messages more (about 3x the one-way cost
// per such edge), and its scratch holds about 40 bytes per in-edge with
// float messages (56 with double) plus rings of L + 1 cavities.
//
// Locality. A change alters every value it reaches, down to the last bit,
// and the update recomputes exactly those. On one-way graphs that is
// usually a small downstream cone. Both ways on a small-world network
// (the 100k scale-free benchmark) a new source changes the bits of nearly
// every node within a few steps, the update passes its edge limit and gives
// up, and the region recompute serves (bench/README.md); on networks with
// some two-way pairs, or long-range structure, it stays local.
//
// Update. Time-major, like the full run, over the nodes the change can
// reach: the changed nodes (and, when they propagate, their out-neighbours)
// join at t = 0; after each step t, a node whose S~(t) differs from the
// stored one (any bit, or touched <-> untouched: the tolerance rule is
// applied exactly) has its out-neighbours join from t + 1, and so does an
// out-neighbour whose cavity from it differs (two-way). A node joining
// at t + 1 had no in-neighbour differ before t, so its values up to t are
// the stored ones; it computes its in-edge messages up to t from the
// trajectories and then steps with the others. Each node is computed once,
// in (in-degree) x T, whatever the cycles: within a step every node reads
// in-neighbour values from earlier steps only (P_S(t) depends on S~ before
// t), exactly as in the full run. The work follows the nodes whose
// trajectories change, which in a big region can be far fewer than the
// region (a new source far downstream changes nothing upstream).
//
// Time (state.h). Trajectories cover the frame, now + T + 1 values; a
// source's S~ is P_S from its start step, where its messages start with
// phi = P_I; shields, ends and fixed periods enter the messages as in
// dmp.cc. P_R(now) and the ETA are computed from the new trajectory by
// replaying dmp.cc's marginal updates up to now. Another now is another
// frame (SetFrame): the projector recomputes fully.
//
// Storage. `Stored` is the DMP's message storage (dmp.h, BasicDmpWorkspace):
// theta and phi of the update's in-edges (and the replayed back messages of
// two-way pairs) are rounded to it where dmp.cc rounds them, so the values
// are bit for bit those of RunDmpRegion with a BasicDmpWorkspace<Stored>.
// Trajectories (P_S) are double, as dmp.cc's.
//
// Thread-safety: none; one projector's.
#ifndef RISKD_ENGINE_INCREMENTAL_DMP_H_
#define RISKD_ENGINE_INCREMENTAL_DMP_H_

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "engine/dmp.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

// A recomputed node of an update, with its final values.
struct IncrementalDmpNode {
  NodeIndex node = kNoNode;
  bool was_touched = false;  // before the update
  bool touched = false;
  bool in_frontier = false;  // touched, or a touched in-neighbour
  double risk = 0;
  int eta = -1;
  NodeIndex parent = kNoNode;
};

template <typename Stored>
class BasicIncrementalDmp {
 public:
  static_assert(std::is_same_v<Stored, double> || std::is_same_v<Stored, float>);
  using Node = IncrementalDmpNode;

  explicit BasicIncrementalDmp(DmpOptions options);

  // Forgets everything and frees the memory.
  void Clear();
  // Forgets everything when the frame's `now` (InitialState::now) differs
  // from the one stored: trajectories cover steps 0 .. now + T.
  void SetFrame(int now);
  int now() const { return now_; }
  // Takes the trajectories of a RunDmpRegion run (nodes[0, touched_count)).
  // REQUIRES: none of those nodes has a trajectory yet; SetFrame(run's now).
  void Store(const DmpRegion& run, std::vector<double> trajectories);

  bool touched(NodeIndex v) const { return v < slot_.size() && slot_[v] != kNoSlot; }
  // v's stored trajectory (now + T + 1 values), empty if none.
  std::span<const double> trajectory(NodeIndex v) const {
    if (!touched(v)) return {};
    return {Trajectory(v), stride_};
  }
  std::size_t touched_count() const { return stored_; }

  // Brings every trajectory up to date after `changed` and lists each node
  // whose values may have changed, once, in `out`. Gives up, changing
  // nothing, once the nodes involved have more than `max_edges` in-edges
  // (its scratch is 2 sizeof(Stored) bytes per such edge and 8 (T + 1) per
  // node, on two-way graphs about 40 (float) or 56 (double) bytes per edge
  // plus cavity rings; past a good
  // part of the graph a region recompute costs as much), when the cavity
  // rings of a two-way update pass 4 max_edges values, when a two-way
  // update's edge-steps pass max_edges x the frame's steps / 32 (a replayed edge-step
  // costs ~16 of the full run's), or when a cavity it replays would need
  // dmp.cc's explicit product (theta below kDmpTinyTheta: an edge with
  // p = 1 that surely passed).
  // REQUIRES: the stored trajectories were a DMP run on the earlier state
  // (Store from a run from all sources, plus Updates); graph and initial
  // reflect every change since, each node whose initial state (start, end
  // and fixed included), latency or in- or out-edges changed is in
  // `changed`, and initial.now == now().
  bool Update(const TransmissionGraph& graph, const InitialState& initial,
              std::span<const NodeIndex> changed, std::size_t max_edges, std::vector<Node>* out);
  // Drops v's trajectory (its region is recomputed elsewhere).
  void Forget(NodeIndex v) {
    if (touched(v)) Release(v);
  }
  // Edge-steps of the last Update.
  std::uint64_t edge_updates() const { return edge_updates_; }

  std::size_t MemoryBytes() const;

 private:
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

  const double* Trajectory(NodeIndex v) const {
    return pool_.data() + static_cast<std::size_t>(slot_[v]) * stride_;
  }
  void Grow(std::size_t node_count);
  void Set(NodeIndex v, const double* values);
  void Release(NodeIndex v);

  // A node of the update: its in-edge messages and P_S, S~ so far.
  struct Joined {
    NodeIndex node;
    std::size_t edges;    // offset of its in-edges in theta_, phi_
    int touched_at = -1;  // new: step it propagates from, or -1
    double ps_end = 0;    // P_S(max(0, window end - L))
    bool was_touched = false;
    bool spread = false;  // its out-neighbours have joined
  };
  // Two-way graphs: what an in-edge e = k -> v of a joined node keeps
  // besides theta and phi. dmp.cc's pass 2 drives phi_e by the cavity
  // C_e(t) = P_S^k(t) / theta_{v->k}(t) (C_e = P_S^k(0) until k propagates),
  // through a ring of its last L_k + 1 values, as dmp.cc does. While k has
  // not joined, theta_{v->k} is the earlier run's; when both ends were
  // touched it is replayed here (the "back" message v -> k, driven by v's
  // earlier trajectory), which also gives C_{v->k} of the earlier run, the
  // value v's new one is compared with.
  struct PairEdge {
    Stored theta_back = 1;
    Stored phi_back = 0;
    std::size_t ring = 0;  // into rings_: C_e (L_k + 1), then C_{v->k} before (L_v + 1)
    int k_from = 0;        // first step of pass 2 with k propagating, earlier run
    int v_from = 0;        // the same for v
    bool replay = false;   // both ends have a trajectory: replay v -> k
  };
  double* Seen(std::size_t x) { return values_.data() + x * stride_; }
  // First step at which dmp.cc's pass 2 sees v propagating in the stored
  // run (kNever if v has no trajectory). REQUIRES: v unchanged since.
  int StoredFrom(const InitialState& initial, NodeIndex v) const;
  // The same for joined node x in the new run.
  int JoinedFrom(const InitialState& initial, std::size_t x) const;
  // The cavity of out-edge `out` = v -> i of joined node x at step t (new
  // values): P_S^v / theta_{i->v}, or the explicit product.
  double JoinedCavity(const TransmissionGraph& graph, const InitialState& initial, std::size_t x,
                      EdgeIndex out, int t) const;
  bool JoinedNow(NodeIndex k) const { return joined_at_[k] < kNoSlot - 1; }
  void StepThetaTwoWay(const TransmissionGraph& graph, const InitialState& initial, std::size_t x,
                       int t, int current);
  void StepPhiTwoWay(const TransmissionGraph& graph, const InitialState& initial, std::size_t x,
                     int t, int current);
  // After step t: the out-neighbours of x whose cavity from x changed.
  void SpreadTwoWay(const TransmissionGraph& graph, const InitialState& initial, std::size_t x,
                    int t);
  // S~ of in-neighbour k at step s as the messages see it (new values for
  // joined nodes).
  double SeenBy(const InitialState& initial, NodeIndex k, int s) const;
  void Join(const TransmissionGraph& graph, const InitialState& initial, NodeIndex v, int t);
  // Step t of node x: theta(t), P_S(t), S~(t); then phi(t) once every node
  // has its S~(t).
  void StepTheta(const TransmissionGraph& graph, const InitialState& initial, std::size_t x, int t);
  void StepPhi(const TransmissionGraph& graph, const InitialState& initial, std::size_t x, int t);
  Node Finish(const TransmissionGraph& graph, const InitialState& initial, std::size_t x);
  void TrimScratch();
  static constexpr std::size_t kKeptScratchEdges = std::size_t{1} << 16;

  DmpOptions options_;
  int now_ = 0;         // the frame's now
  std::size_t stride_;  // now + T + 1

  std::vector<std::uint32_t> slot_;  // per node: trajectory slot or kNoSlot
  std::vector<double> pool_;         // stride_ values per slot
  std::vector<std::uint32_t> free_;  // free slots
  // Per slot, two-way graphs: first step whose value differs from P_S(0)
  // (StoredFrom), or kUnknownDrop.
  static constexpr std::int32_t kUnknownDrop = -1;
  mutable std::vector<std::int32_t> drop_;
  std::size_t stored_ = 0;  // nodes with a trajectory

  // Scratch of one update.
  std::vector<std::uint32_t> joined_at_;  // per node: index in joined_, or kNoSlot
  std::vector<Joined> joined_;
  std::vector<double> values_;       // per joined node: S~(0..T)
  std::vector<Stored> theta_, phi_;  // per in-edge of joined nodes
  std::vector<PairEdge> pair_;       // per in-edge of joined nodes, two-way graphs
  std::vector<double> rings_;
  bool unreplayable_ = false;  // a replayed cavity needed the explicit product
  std::vector<NodeIndex> batch_;
  std::uint64_t edge_updates_ = 0;
};

using IncrementalDmp = BasicIncrementalDmp<double>;

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_INCREMENTAL_DMP_H_
