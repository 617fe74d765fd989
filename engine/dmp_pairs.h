// A measured prototype (bench/README.md, "`twowaypairs` (stop 36)"), not
// used by the engine: two-way DMP organized by undirected pair instead of
// by arc.
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
// The product P_S^i(0) prod theta_{k->i} is accumulated in ascending k
// (pairs of lower a first, in sweep order, then i's own row by ascending b),
// the order of i's in-row in dmp.cc, and every other value is the same
// expression of the same operands, so the results equal RunDmpRegion's
// with float messages bit for bit (dmp_pairs_test.cc) in the frames
// supported here.
//
// Onset delays as dmp.cc has them: a ring of the last L + 1 cavities per
// arc out of a node with L > 0 (here in pair order, the order the sweep
// reads them), a ring of P_S per such node (its P_I), P_S(T - L) kept for
// the risk.
//
// Supported: a graph where every arc has its reverse and no self-loop, an
// initial state with now = 0 and no starts, ends, fixed periods; every
// p < 1 (so theta never reaches 0 in float and the cavity is always the
// division, never dmp.cc's explicit product). Every pair is swept every
// step (no frontier): the cost is the whole graph's.
#ifndef RISKD_ENGINE_DMP_PAIRS_H_
#define RISKD_ENGINE_DMP_PAIRS_H_

#include <cstdint>
#include <vector>

#include "engine/dmp.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

class PairDmp {
 public:
  // Whether `graph` and `initial` are in the frames above.
  static bool Supports(const TransmissionGraph& graph, const InitialState& initial);

  // Builds the pair layout. REQUIRES: Supports(graph, any initial state).
  explicit PairDmp(const TransmissionGraph& graph);

  // risk, eta, parent per node as RunDmp<float> gives them (p_i, p_r and
  // the marginals' records are not filled); edge_updates counts the arc
  // updates of the sweeps (2 per pair and step), touched_nodes the nodes
  // whose messages were propagated. REQUIRES: Supports(graph, initial),
  // options.record_marginals false.
  DmpResult Run(const InitialState& initial, const DmpOptions& options);

  std::size_t MemoryBytes() const;

 private:
  template <bool kDelays>
  void Sweep(const InitialState& initial, int t, int horizon, const DmpOptions& options,
             std::vector<int>* eta_hit, std::size_t* touched);

  // What a pair-step reads about its far endpoint b, in one 32-byte slot
  // (never straddles a cache line).
  struct Node {
    double ps = 1;    // P_S(t - 1) while the sweep of step t has not passed it
    double acc = 1;   // P_S(0) times the thetas of step t multiplied in so far
    double keep = 1;  // 1 - q
    std::uint16_t flags = 0;
    std::uint16_t latency = 0;  // TransmissionGraph::latency
  };
  // The mutable state of both arcs a -> b ("ab", into b) and b -> a ("ba").
  struct PairMessages {
    float theta_ab = 1, phi_ab = 0, theta_ba = 1, phi_ba = 0;
    double cavity_ab = 0, cavity_ba = 0;  // the previous cavities
  };
  struct PairConst {
    double p_ab = 0, p_ba = 0;
  };

  std::size_t node_count_ = 0;
  std::vector<std::uint32_t> row_;  // per node a + 1: pairs of a at [row_[a], row_[a+1])
  std::vector<NodeIndex> far_;      // per pair: b
  std::vector<PairConst> p_;        // per pair
  std::vector<double> q_;           // per node
  std::vector<PairMessages> msg_;   // per pair
  std::vector<Node> node_;          // per node
  std::vector<double> pr_;          // per node: P_R
  // Onset delays (all empty without): per node its latency, P_S(T - L), the
  // offset of its ring of P_S (L + 1 values) in node_ring_; per pair the
  // offsets of the cavity rings of a -> b and b -> a in arc_ring_ (those of
  // an arc whose source has L = 0 are unused).
  std::uint16_t max_latency_ = 0;
  std::vector<std::uint16_t> latency_;
  std::vector<double> ps_at_end_;
  std::vector<std::size_t> node_ring_at_;
  std::vector<double> node_ring_;
  std::vector<std::size_t> arc_ring_at_;  // 2 per pair
  std::vector<double> arc_ring_;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_DMP_PAIRS_H_
