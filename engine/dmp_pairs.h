// Two-way DMP organized by undirected pair instead of by arc: the kernel
// RunDmpRegion<float> hands its runs to on graphs where every arc has its
// reverse (dmp.cc, "Pair kernel"; docs/model.md §5; bench/README.md,
// "`twowaypairs` (stop 36)" and "`pairsint`").
//
// dmp.cc stores the messages by target and runs two passes per step over
// the frontier's in-arcs; each arc-step touches two scattered cache lines
// (the store of theta at the reverse arc's slot, the source's record).
// Here each pair {a, b}, a < b, keeps theta, phi and the previous cavity of
// both its arcs side by side, pairs grouped by their lower endpoint a and
// sorted by b, and one sweep per step updates both arcs of a pair: phi(t-1)
// from P_S(t-1) of both ends (the cavity P_S^a / theta_{b->a} reads the
// pair's own reverse theta), then theta(t), multiplied into both ends'
// P_S(t) accumulators. One scattered line per pair-step: b's record.
//
// A step sweeps the rows of the nodes dmp.cc has seen (touched nodes and
// their out-neighbours that can be hit): every pair with a touched end is
// in one of them, every other pair keeps theta = 1, phi = 0. The run's
// state is left clean (the pairs of touched nodes and the seen nodes'
// records reset), so a small region costs its own rows only.
//
// The product P_S^i(0) prod theta_{k->i} is accumulated in ascending k
// (pairs of lower a first, in sweep order, then i's own row by ascending b),
// the order of i's in-row in dmp.cc, and every other value is the same
// expression of the same operands, so a run gives RunDmpRegion's outputs
// with float messages bit for bit (region, values, ETA, parents,
// trajectories, work counted), tested in dmp_pairs_test.cc.
//
// Starts and ends (state.h) as dmp.cc treats them: a node shielded until
// its start keeps theta = 1 on its in-arcs, and phi on them decays by the
// source's 1 - q alone; a source starting at s > 0 is touched after step s
// (phi(s) = P_I, stepped from s + 1 on); from its end a node passes
// nothing on (phi = 0) and is not touched any more, and its risk and ETA
// are about its own window (dmp.cc also sets its P_R to 1, which no
// output reads: Sweep). Each node's start and end sit in its 32-byte
// record (int16, clamped to the frame: the same tests), so the sweep reads
// no other line for them. A removed source's out-arcs get phi = 0 once,
// after the sweep of its end, and a flag then keeps the sweep off them (the
// test it makes for an untouched source), so ends cost the sweep no work
// per arc; the sweep is compiled with and without the shield's tests per
// arc (run while a start is still ahead of the step, the latter once every
// shield has passed) and onset delays.
//
// Supported: graphs where every arc has its reverse and no self-loop
// (SupportsGraph), frames with starts >= 0 and now + T < 32767
// (SupportsFrame; ends, now, fixed periods and onset delays included).
// Run checks now + T alone (SupportsTimes) and the starts of the run's
// sources and seen nodes only (a pass over every node's would cost a
// small region more than its own work): a start before 0 among them hands
// the run back (kStartBeforeZero). A cavity dmp.cc computes as the
// explicit product, its reverse theta not above kDmpTinyTheta (0, or
// negative: P_S goes negative on graphs with cycles under high
// transmission), is found where the sweep computes it and hands the run
// back (kExplicitCavity). Handed back, the state is clean and the caller
// runs dmp.cc instead.
#ifndef RISKD_ENGINE_DMP_PAIRS_H_
#define RISKD_ENGINE_DMP_PAIRS_H_

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/dmp.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

class PairDmp {
 public:
  // Every arc has its reverse, no self-loop. O(arcs).
  static bool SupportsGraph(const TransmissionGraph& graph);
  // now >= 0 and now + horizon + 1 fits the records' int16 steps. O(1).
  static bool SupportsTimes(const InitialState& initial, const DmpOptions& options);
  // SupportsTimes and every start >= 0 (dmp.cc never touches a source
  // starting before 0): every run in the frame is served unless a cavity
  // is explicit. O(nodes) when starts are set.
  static bool SupportsFrame(const InitialState& initial, const DmpOptions& options);

  // Builds the pair layout and a clean state. REQUIRES: SupportsGraph(graph).
  explicit PairDmp(const TransmissionGraph& graph);

  // Whether the layout is sized to `graph` (a cheap check; which graph it
  // was built from is the caller's to know: BasicDmpWorkspace keys it by
  // the graph's generation).
  bool Fits(const TransmissionGraph& graph) const;

  enum class PairRun {
    kServed,
    kStartBeforeZero,  // a source or seen node starts before 0: the frame's
    kExplicitCavity,   // dmp.cc would compute an explicit cavity
  };
  // RunDmpRegion<float>(graph, initial, sources, options, ..., trajectories,
  // values): fills *out (and trajectories, values) exactly as it would and
  // returns kServed; or hands the run back (*out, values untouched, the
  // state clean) in the cases above. REQUIRES: graph is the one the layout
  // was built from, SupportsTimes(initial, options).
  PairRun Run(const TransmissionGraph& graph, const InitialState& initial,
              std::span<const NodeIndex> sources, const DmpOptions& options, DmpRegion* out,
              std::vector<double>* trajectories, const DmpNodeValues* values);

  std::size_t MemoryBytes() const;

 private:
  // kStarts: a shield may hold at step t - 1 (t - 1 <= the latest start;
  // ends cost the sweep no test per arc: kRemoved).
  template <bool kDelays, bool kStarts>
  bool Sweep(const TransmissionGraph& g, const InitialState& init, int t, int last,
             const DmpOptions& opt);
  void Enter(const TransmissionGraph& g, const InitialState& init, NodeIndex v);
  // `mid_sweep`: touched by the sweep of step t (dmp.cc's pass 1), else
  // before step 1 (t = 0) or after step t's sweep (a source's start).
  void Touch(const TransmissionGraph& g, const InitialState& init, NodeIndex k, int t,
             bool mid_sweep);
  void SnapNow(const TransmissionGraph& g, int now);
  void Collect(const TransmissionGraph& g, const InitialState& init, DmpRegion* out,
               const DmpNodeValues* values);
  void MergeRows();
  void Reset(std::span<const NodeIndex> nodes);
  PairRun HandBack();

  // What a pair-step reads about its far endpoint b, in one 32-byte slot
  // (never straddles a cache line). Clean: 1, 1, 1, no flags.
  struct Node {
    double ps = 1;    // P_S(t - 1) while the sweep of step t has not passed it
    double acc = 1;   // P_S(0) times the thetas of step t multiplied in so far
    double keep = 1;  // 1 - q (1 for a fixed period)
    std::uint16_t flags = 0;
    std::uint16_t latency = 0;  // TransmissionGraph::latency
    // Valid once seen: its start, at most the frame's last step, and its
    // end, within [-1, last + 1] (every test on them reads the same).
    std::int16_t start = 0;
    std::int16_t end = 0;
  };
  static_assert(sizeof(Node) == 32, "a pair-step reads one record: one 32-byte slot");
  // The mutable state of both arcs a -> b ("ab", into b) and b -> a ("ba").
  struct PairMessages {
    float theta_ab = 1, phi_ab = 0, theta_ba = 1, phi_ba = 0;
    // The previous cavities; negative: not updated since the source was
    // touched (Sweep). With an onset delay the ring holds them, and 0
    // marks it filled.
    double cavity_ab = -1, cavity_ba = -1;
  };
  struct PairConst {
    double p_ab = 0, p_ba = 0;
  };

  // Layout (per graph).
  std::size_t node_count_ = 0;
  std::vector<std::uint32_t> row_;      // per node a + 1: pairs of a at [row_[a], row_[a+1])
  std::vector<NodeIndex> far_;          // per pair: b
  std::vector<PairConst> p_;            // per pair
  std::vector<std::uint32_t> pair_of_;  // per arc (in-CSR position): its pair
  // State (clean between runs).
  std::vector<PairMessages> msg_;  // per pair
  std::vector<Node> node_;         // per node
  // Per node, valid once seen: P_R, P_R at now, the first step at 0.5.
  std::vector<double> pr_, pr_now_;
  std::vector<std::int32_t> eta_hit_;
  // Per node (clean: 0, kNoNode): the largest 1 - theta into it and its
  // source (Collect).
  std::vector<double> best_;
  std::vector<NodeIndex> parent_;
  // Onset delays (all empty without; ps_at_end_ also sized by the first
  // run with ends): per node P_S at the window's end
  // minus its delay and the offset of its ring of P_S (L + 1 values) in
  // node_ring_; per pair the offsets of the cavity rings of a -> b and
  // b -> a in arc_ring_ (those of an arc whose source has L = 0 unused).
  // Filled when the source is touched.
  std::uint16_t max_latency_ = 0;
  std::vector<double> ps_at_end_;
  std::vector<std::size_t> node_ring_at_;
  std::vector<double> node_ring_;
  std::vector<std::size_t> arc_ring_at_;  // 2 per pair
  std::vector<double> arc_ring_;
  // The run's lists: rows swept (seen nodes, ascending), rows seen in the
  // current step (swept from the next), touched nodes in touch order.
  std::vector<NodeIndex> rows_, pending_, active_;
  std::vector<NodeIndex> late_front_;  // into the frontier this step (kFrontLate)
  // Sources starting after 0, by start then node (Run); those touched
  // after the last sweep (kStarting).
  std::vector<NodeIndex> later_, starting_;
  // Touched nodes removed before the last step: (end, node), a min-heap.
  std::vector<std::pair<std::int32_t, NodeIndex>> ending_;
  // Starts: the in-degrees of frontier nodes still shielded (dmp.cc counts
  // no arc-step for them), and per step s those whose shield ends at s.
  std::uint64_t shielded_degree_ = 0;
  std::vector<std::uint64_t> shield_drop_;
  // Onset delays or ends: P_S at each window's end is kept (ps_at_end_).
  bool keeps_end_ = false;
  // In-degrees of dmp.cc's frontier (seen nodes that can be hit): the
  // arc-steps it would count per step.
  std::uint64_t front_degree_ = 0;
  bool zero_ = false;         // an explicit cavity met in this run
  bool early_start_ = false;  // a seen node starting before 0 in this run
  int max_start_ = 0;         // the latest start of the seen nodes (Enter)
  int horizon_ = 0;           // this run's T
  int last_ = 0;              // this run's last step, now + T
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_DMP_PAIRS_H_
