// Dynamic message passing (DMP) for the discrete-time SIR model on a
// TransmissionGraph (Karrer & Newman 2010; Lokhov, Mezard & Zdeborova 2015),
// with a fixed onset delay (inventory cover).
//
// Model, per step t -> t+1: every node infectious at t infects each
// susceptible out-neighbour j with probability p_ij (independently), then
// recovers with probability q_i. A node hit at step s becomes infectious
// (disrupted) at s + L_j, L_j = TransmissionGraph::latency[j]. For edge
// e = k -> i the messages are
//   theta_e(t) = theta_e(t-1) - p_e phi_e(t-1)
//   phi_e(t)   = (1 - p_e)(1 - q_k) phi_e(t-1)
//                + [P_S^{k->i}(t-L_k-1) - P_S^{k->i}(t-L_k)]
//   P_S^{k->i}(t) = P_S^k(0) prod_{l -> k, l != i} theta_{l->k}(t)
// with theta(0) = 1, phi(0) = P_I^k(0), P_S^{k->i}(s < 0) = P_S^k(0), and the
// marginals
//   P_S^i(t) = P_S^i(0) prod_{k -> i} theta_{k->i}(t)
//   P_R^i(t) = P_R^i(t-1) + q_i P_I^i(t-1),  P_I^i(t) = 1 - P_S^i(t-L_i) - P_R^i(t).
// Exact on trees (tests compare with enumeration of all outcomes).
//
// Time (state.h). The run covers t = 0 .. now + T. A node i with start
// step c_i > 0 is shielded until c_i: theta_{k->i} stays 1 and phi_{k->i}
// decays by (1 - q_k) only ("not yet transmitted" holds), so it starts at c_i
// with its own marginals; a source (P_I > 0) starts propagating at c_i
// (phi(c_i) = P_I^k). A node with an end step b is removed at b (P_R = 1,
// phi = 0 from b on); a fixed one has q = 0 before b. Outputs are about the
// window [now, e], e = min(now + T, b - 1):
//   risk = 1 - P_S(e - L) - P_R(now),
//   ETA  = first t >= 0 with 1 - P_S(now + t - L) - P_R(now) >= 0.5.
// With now = 0 and no start or end these are P(disrupted by T) and the
// classic ETA.
//
// Cost follows the region at risk: a node's out-messages are only propagated
// once its P_S has dropped by more than `tolerance` (or it starts infected);
// all others keep theta = 1, phi = 0 exactly. Runs can start from a subset of
// the sources (a region, see projection.h) and reuse a DmpWorkspace, so a
// small region costs only its own edges, not an O(edges) reset.
#ifndef RISKD_ENGINE_DMP_H_
#define RISKD_ENGINE_DMP_H_

#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

class PairDmp;  // dmp_pairs.h

// Below this, dmp.cc treats theta_{i->k} as 0 and computes the cavity of
// k -> i as the explicit product P_S^k(0) prod_{l -> k, l != i} theta_{l->k}
// instead of P_S^k / theta_{i->k} (incremental_dmp.cc does the same). With
// float messages a theta below ~1e-45 is stored as 0, so there the test is
// whether the stored theta is above 0.
inline constexpr double kDmpTinyTheta = 1e-250;

struct DmpOptions {
  // Horizon T in steps, >= 1.
  int horizon = 30;
  // Mass below which a node's messages are not propagated. >= 0. 1e-6
  // changes no published digit and keeps regions at risk 2-3x smaller than
  // 1e-9 (docs/model.md); the daemon's projection.tolerance defaults to it.
  double tolerance = 1e-6;
  // Keep P_S, P_I, P_R of every node at every step (tests, small graphs).
  bool record_marginals = false;
};

struct DmpResult {
  int horizon = 0;
  // P(node disrupted at some step of the window [now, e]), per node slot,
  // e = min(now + T, end - 1): 1 - P_S(e - L) - P_R(now) (0 once removed).
  std::vector<double> risk;
  // First t in 0..e - now at which the risk over [now, now + t] reaches
  // 0.5, else -1.
  std::vector<int> eta;
  std::vector<double> p_i;  // P_I(now + T)
  std::vector<double> p_r;  // P_R(now + T)
  // The in-neighbour most likely to have passed the risk on (largest
  // 1 - theta_{k->i}(T)), or kNoNode.
  std::vector<NodeIndex> parent;
  // sum of risk over alive nodes
  double expected_disrupted = 0;
  // Work done: nodes whose messages were propagated, edge-steps updated.
  std::size_t touched_nodes = 0;
  std::uint64_t edge_updates = 0;
  // With record_marginals: [t][node], t = 0..now + T (before its start a
  // node is S, from its end R).
  std::vector<std::vector<double>> p_s_t, p_i_t, p_r_t;
};

// Message storage. The messages per edge (theta, phi, and on graphs with
// reverse edges theta's mirror at the reverse edge) are stored as `Stored`:
// double where exactness matters (calibration differentiates the
// likelihood by finite differences in alpha; tests compare with exact
// enumeration at 1e-12), float for the engine's projections
// (ProjectionMessage in projection.h; docs/model.md, "Storage precision").
// Every value is computed in double from the stored ones and rounded once,
// when stored; what later steps read (theta in P_S's product, phi in
// theta's update) is the stored value. incremental_dmp.h rounds at exactly
// these points, so its values stay bit for bit RunDmpRegion's with the same
// storage. Per-node values (P_S, P_I, P_R, the cavity per edge on graphs
// with reverse edges, the onset rings) stay double: they are small, or
// differences of them drive phi.
//
// Scratch arrays sized to a graph, kept clean between runs (theta = 1,
// phi = 0 on every edge) so a run only pays for what it touches.
// 2 sizeof(Stored) bytes per edge and about 57 per node, 8 more with onset
// delays or ends and 8 more in a frame that started before now (after a run
// in a frame starting now without delays or ends, double: 21.7 MB on 100k
// nodes / 1M edges, float: 13.7 MB); on a graph with reverse edges
// sizeof(Stored) + 8 more per edge (reverse theta and cavity; double: 68.1 MB
// on the both-directions 100k / 1M
// type): worth keeping across back-to-back runs (the arrays' pages are
// touched once), worth handing back while the caller has other work to do.
// With float messages on a graph where every arc has its reverse, the pair
// kernel's layout (dmp_pairs.h, ~35 bytes per arc, built after a costly
// run on the graph; dmp.cc, "Pair kernel") is held here too, counted in
// MemoryBytes and freed by Release; the per-arc arrays above are then not
// held (the layout holds the messages) until the arc kernel runs again.
template <typename Stored>
class BasicDmpWorkspace {
 public:
  static_assert(std::is_same_v<Stored, double> || std::is_same_v<Stored, float>);
  BasicDmpWorkspace();
  ~BasicDmpWorkspace();
  BasicDmpWorkspace(BasicDmpWorkspace&&) noexcept;
  BasicDmpWorkspace& operator=(BasicDmpWorkspace&&) noexcept;
  // Sizes the arrays for `graph` (no-op when they already fit; the arc
  // arrays not while the pair kernel holds a layout for it).
  void Prepare(const TransmissionGraph& graph);
  // Frees every array; the next Prepare allocates them anew, clean, so the
  // runs after it give exactly what they give on a kept workspace. Returns
  // the bytes freed (MemoryBytes() before).
  std::size_t Release();
  std::size_t MemoryBytes() const;

  // Whether RunDmpRegion may hand runs to the pair kernel (dmp.cc, "Pair
  // kernel"; float messages only). On by default; tests and the bench turn
  // it off to compare with dmp.cc's own kernel.
  void set_pair_kernel(bool on) { pair_kernel_ = on; }
  // Runs the pair kernel served, and its layout's bytes (in MemoryBytes).
  std::uint64_t pair_runs() const { return pair_runs_; }
  std::size_t pair_layout_bytes() const;

 private:
  template <typename>
  friend class DmpRun;
  template <typename>
  friend class PairDispatch;
  // Prepare, the per-arc arrays only with `arcs`.
  void PrepareArrays(const TransmissionGraph& graph, bool arcs);
  // What the message update reads about an edge's source, in one place,
  // and the node's first step at 0.5 (the rest of a 32-byte slot: a
  // source is read at a scattered place per in-edge on graphs with reverse
  // edges, and 32 bytes never straddle a cache line). Its onset delay is a
  // copy of the graph's; its end is read from the initial state, only for
  // a node whose `touched` says it ends within the run.
  struct Source {
    double ps = 1;    // P_S(t)
    double keep = 1;  // 1 - q (1 until its end for a fixed period)
    // P_S(t - 1) once touched (P_S(0) before): the previous cavity of its
    // out-edges that have no reverse, kept per node instead of per edge.
    double ps_before = 1;
    // The first step at which the node, hit then, would make its risk
    // reach 0.5 (valid when seen).
    std::int32_t eta_hit = 0;
    // Bits (dmp.cc): its messages are propagated; it ends within the run.
    std::uint8_t touched = 0;
    std::uint16_t latency = 0;  // TransmissionGraph::latency (valid when seen)
  };
  // What every edge out of a node does to its phi in the next fused step
  // (graphs without reverse edges): phi <- decay * phi + onset, decay being
  // keep (times 1 - p unless the target is shielded). Every edge takes it,
  // with no test: a node that does not propagate has keep 0 and onset 0
  // (its phi is 0 and stays so), a source that just started keep 0 and
  // onset P_I (Touch wrote phi = P_I on its edges: the same value again).
  struct Message {
    double keep = 0;
    double onset = 0;
  };
  // theta and phi of an edge side by side: the step loop reads and writes
  // both, so one stream instead of two.
  struct EdgeMessage {
    Stored theta = 1;
    Stored phi = 0;
  };
  std::vector<EdgeMessage> edge_;      // per edge
  std::vector<Message> message_;       // per node, graphs without reverse edges
  std::vector<double> cavity_;         // per edge, for edges with a reverse
  std::vector<Stored> theta_reverse_;  // per edge e: theta of e's reverse (a copy)
  std::vector<Source> source_;         // per node
  // Per node (valid when seen): P_R, P_S at the window's end minus the
  // onset delay (the window's last step comes from the initial state). The
  // latter only with onset delays (allocated by Prepare) or ends (by the
  // first run with them);
  // otherwise it is the node's last P_S (dmp.cc, PsAtEnd). P_I is not kept:
  // each step computes the one before from P_S and P_R (dmp.cc,
  // UpdateMarginals).
  std::vector<double> pr_, ps_at_end_;
  // Per node, P_R at now: allocated by the first run in a frame that
  // started before now (InitialState::now > 0: whenever a disruption in
  // the history window began before now, the daemon's steady state);
  // P_R(0) otherwise.
  std::vector<double> pr_now_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::size_t> history_at_;         // per node with latency: offset into history_
  std::vector<std::uint32_t> edge_history_at_;  // per edge: 1 + offset, 0 if none
  std::vector<double> history_;
  std::vector<NodeIndex> active_;    // touched, in order
  std::vector<NodeIndex> outside_;   // touched, not in the frontier then
  std::vector<NodeIndex> frontier_;  // nodes with a touched in-neighbour (freed by each run)
  // The pair kernel's layout and clean state for the graph of generation
  // pairs_generation_ (dmp.cc, "Pair kernel"); built after the second
  // costly run on that graph, released with the rest.
  std::unique_ptr<PairDmp> pairs_;
  std::uint64_t pairs_generation_ = 0;
  std::uint64_t unpaired_generation_ = 0;  // a graph found not fully two-way
  std::uint64_t costly_generation_ = 0;    // the last costly arc-kernel run's graph
  bool pair_kernel_ = true;
  std::uint64_t pair_runs_ = 0;
};

using DmpWorkspace = BasicDmpWorkspace<double>;

// The outcome of a run on the region reached from some sources.
struct DmpRegion {
  // Nodes whose messages were propagated (in order of touching), then the
  // other out-neighbours of those nodes, ascending: the region's frontier.
  std::vector<NodeIndex> nodes;
  std::size_t touched_count = 0;
  // Per entry of `nodes`: risk, ETA and likely parent as in DmpResult
  // (empty when the run wrote them to DmpNodeValues instead).
  std::vector<double> risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  std::uint64_t edge_updates = 0;
};

// Arrays with a slot per node of the graph that a run writes each region
// entry's risk, ETA and parent to, at the entry's node, instead of
// DmpRegion's per-entry vectors: a caller that keeps per-node values (the
// projection) then holds no second copy of the region's next to the
// workspace (16 bytes per entry). The other slots are not written.
struct DmpNodeValues {
  std::span<double> risk;
  std::span<int> eta;
  std::span<NodeIndex> parent;
};

// Runs DMP with only `sources` (the nodes among them with P_I(0) > 0)
// infectious at t = 0; every other node starts with its P_S(0), P_R(0) and
// phi = 0. Equals RunDmp<Stored> on the whole graph whenever no other source's
// region meets this one (projection.h relies on this).
//
// With `trajectories`, also returns what each touched node's out-messages
// were driven by: (T + 1) values per entry of nodes[0, touched_count), in
// that order, value t being P_S(0) before the node was touched and P_S(t)
// from then on. On a graph without reverse edges these fully determine the
// messages, which is what incremental_dmp.h builds on.
// With `values`, each entry's risk, ETA and parent are written there (the
// same values, at the entry's node) and the region's vectors stay empty.
// REQUIRES: workspace->Prepare(graph) was called; initial has
// graph.node_count entries per vector, each summing to 1; `values` has
// graph.node_count slots per span.
// The workspace's `Stored` sets the messages' storage (see BasicDmpWorkspace).
// With float messages a run on a graph where every arc has its reverse may
// be made by the pair kernel (dmp_pairs.h; dmp.cc, "Pair kernel"): the same
// outputs bit for bit.
template <typename Stored>
DmpRegion RunDmpRegion(const TransmissionGraph& graph, const InitialState& initial,
                       std::span<const NodeIndex> sources, const DmpOptions& options,
                       BasicDmpWorkspace<Stored>* workspace,
                       std::vector<double>* trajectories = nullptr,
                       const DmpNodeValues* values = nullptr);

// RunDmpRegion from every source over the whole graph, messages stored as
// `Stored` (double unless a test asks for the projections' float).
// REQUIRES: initial has graph.node_count entries per vector, each summing to 1.
template <typename Stored = double>
DmpResult RunDmp(const TransmissionGraph& graph, const InitialState& initial,
                 const DmpOptions& options);

// Follows `parent` from `node` back to a node that started infected: the
// path, source first. Empty if `node` has no risk.
std::vector<NodeIndex> CausePath(std::span<const NodeIndex> parent, std::span<const double> risk,
                                 const InitialState& initial, NodeIndex node,
                                 std::size_t max_length = 64);
std::vector<NodeIndex> CausePath(const DmpResult& result, const InitialState& initial,
                                 NodeIndex node, std::size_t max_length = 64);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_DMP_H_
