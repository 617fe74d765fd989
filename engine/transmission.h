// TransmissionGraph: the directed graph along which one risk type spreads,
// with the per-step infection probability of every edge and the per-step
// recovery probability of every node (docs/model.md sections 1 and 3):
//
//   w~_ij = w_ij / sum_{y in N(j)} w_yj          dependency share of j on i
//   p_ij  = 1 - exp(-alpha_r * w~_ij * sigma_j)  per-step infection i -> j
//   q_i   = min(1, beta_r * rho_i)               per-step recovery of i
//   L_j   = ceil(inventory_days_j / step_days)   onset delay of j (steps)
//
// About 24 bytes per edge (20 without reverse edges): what the projections
// read, nothing else (the rate alpha_r w~_ij sigma_j is -ln(1 - p_ij)).
// 12 of them when the graph's index arrays equal the network's CSR (a
// downstream type over every layer of a network with one edge per pair,
// the usual case): the in- and out-offsets, the in-rows' sources and the
// out-rows' targets are then the network's own buffers, not copies
// (SharedArray), and only the out-index and p are the graph's.
// The shares w~ take 8 more
// and are kept only when asked for (TransmissionOptions::keep_shares): the
// threshold rule and the continuous-time rates read them, the engine's
// projections and planner do not.
//
// An edge i -> j here means "i can pass the risk to j": for a downstream risk
// type it is a supplier -> customer edge of the network, for an upstream one
// the reverse, for both directions both. Edges of several selected layers
// between the same pair merge (weights add). N(j) is the set of nodes that
// can pass the risk to j, so the shares into each node sum to 1.
#ifndef RISKD_ENGINE_TRANSMISSION_H_
#define RISKD_ENGINE_TRANSMISSION_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "engine/network.h"
#include "engine/risk_type.h"
#include "engine/shared_array.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

inline constexpr EdgeIndex kNoEdge = ~EdgeIndex{0};

// The rate of the exponential clock whose floor gives a geometric delay with
// per-step success probability p: -ln(1 - p) (infinite for p = 1). Monte
// Carlo and the planner draw K = floor(Exp(rate)) + 1 with it, so both see
// the same realizations.
inline double GeometricRate(double p) {
  if (p >= 1) return std::numeric_limits<double>::infinity();
  return -std::log1p(-p);
}

struct TransmissionGraph;

// The ids of a node's out-edges, position for position with its
// successors(): stored (TransmissionGraph::out_edges) on graphs with
// reverse edges, found otherwise, each in its target's in-row (sorted by
// source, one edge per pair) by binary search.
class OutEdges {
 public:
  OutEdges(const TransmissionGraph& graph, NodeIndex node, std::size_t begin, std::size_t end)
      : g_(&graph), node_(node), begin_(begin), end_(end) {}
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  EdgeIndex operator[](std::size_t x) const;

  class Iterator {
   public:
    using value_type = EdgeIndex;
    using difference_type = std::ptrdiff_t;
    Iterator(const OutEdges* edges, std::size_t x) : edges_(edges), x_(x) {}
    EdgeIndex operator*() const { return (*edges_)[x_]; }
    Iterator& operator++() {
      ++x_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return x_ == other.x_; }

   private:
    const OutEdges* edges_;
    std::size_t x_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

 private:
  const TransmissionGraph* g_;
  NodeIndex node_;
  std::size_t begin_, end_;  // positions in out_targets
};

struct TransmissionGraph {
  std::size_t node_count = 0;  // node slots of the network
  // Set by the engine (Engine::Graph) each time it builds or updates a
  // graph, to a number none of its graphs carried before; 0 (a graph built
  // elsewhere): unknown. The projector serves a Monte Carlo check again
  // only on a graph of the same nonzero generation (Projector::Check), so
  // whoever changes a graph that carries one must give it a new one. Not
  // part of the graph's value: operator== ignores it.
  // A copy carries none (0): a copy may be changed without a new number,
  // and its checks must not be served as the original's. A move takes it
  // along (the source is left with none).
  struct Generation {
    std::uint64_t value = 0;
    Generation() = default;
    Generation(const Generation&) {}
    Generation(Generation&& other) noexcept : value(std::exchange(other.value, 0)) {}
    Generation& operator=(const Generation&) {
      value = 0;
      return *this;
    }
    Generation& operator=(Generation&& other) noexcept {
      value = std::exchange(other.value, 0);
      return *this;
    }
    bool operator==(const Generation&) const { return true; }
  };
  Generation generation;

  // In-CSR: the edges into node j are e in [in_offsets[j], in_offsets[j+1]),
  // ordered by source. The target j of an edge is implicit (target_of(e));
  // loops over out-edges read it from out_targets.
  SharedArray<EdgeIndex> in_offsets;
  SharedArray<NodeIndex> source;  // i of edge e = i -> j
  // w~_ij (of the merged weights); empty unless built with keep_shares.
  std::vector<double> share;
  std::vector<double> p;  // p_ij
  // reverse[e]: the edge j -> i when it exists, else kNoEdge. Empty when
  // no edge has a reverse (has_reverse false: one-way risk types, 4 bytes
  // per edge for nothing); reverse_of() reads either way.
  std::vector<EdgeIndex> reverse;

  // Out-index: the edges out of node i are at positions out_offsets[i] ..
  // out_offsets[i+1], by target; their targets are out_targets at those
  // positions (read in order, where an array of targets by edge id would
  // be read at scattered places), their edge ids out(i). out_offsets and
  // out_targets (and in_offsets, source) are the network's buffers when
  // equal to its CSR's (shared, not copied: BuildTransmissionGraph).
  SharedArray<EdgeIndex> out_offsets;
  SharedArray<NodeIndex> out_targets;
  // The edge ids at those positions, only on graphs with reverse edges
  // (two-way DMP reads one per out-edge of every touched node, and the
  // reverse links are found through them). A one-way graph finds an
  // out-edge's id in its target's in-row (out()): a DMP run needs its
  // sources' only, a Monte Carlo check one per arc in its region, and
  // 4 bytes per edge are not held for them (4 MB on 100k / 1M;
  // bench/README.md, "`loadmem2` branch"); the planner's outbreak sample,
  // which reads one per arc it draws, builds them while it draws
  // (OutEdgeIds).
  std::vector<EdgeIndex> out_edges;

  std::vector<double> q;  // q_i
  // L_i: steps between being hit and becoming disrupted (inventory cover).
  std::vector<std::uint16_t> latency;
  bool has_reverse = false;  // some edge has a reverse
  bool has_latency = false;  // some node has latency > 0

  std::size_t edge_count() const { return source.size(); }
  EdgeIndex reverse_of(EdgeIndex e) const { return has_reverse ? reverse[e] : kNoEdge; }
  // Bytes of the arrays this graph alone holds: those it shares with the
  // network (or another graph) are not counted.
  std::size_t MemoryBytes() const;
  // The ids of the edges out of i, position for position with
  // successors(i): read from out_edges, or each found by EdgeBetween.
  OutEdges out(NodeIndex i) const { return {*this, i, out_offsets[i], out_offsets[i + 1]}; }
  // The edge i -> j. REQUIRES: it exists. O(log in-degree of j).
  EdgeIndex EdgeBetween(NodeIndex i, NodeIndex j) const {
    const NodeIndex* first = source.data() + in_offsets[j];
    const NodeIndex* last = source.data() + in_offsets[j + 1];
    return static_cast<EdgeIndex>(std::lower_bound(first, last, i) - source.data());
  }
  // The targets of out(i), position for position.
  std::span<const NodeIndex> successors(NodeIndex i) const {
    return {out_targets.data() + out_offsets[i], out_targets.data() + out_offsets[i + 1]};
  }
  // j of edge e = i -> j: O(log node_count) (a search of in_offsets), for
  // occasional reads; loops over edges walk the rows instead.
  NodeIndex target_of(EdgeIndex e) const;
  // The target of every edge, by edge id (O(edges), a temporary for bulk
  // readers).
  std::vector<NodeIndex> Targets() const;
  EdgeIndex in_begin(NodeIndex j) const { return in_offsets[j]; }
  EdgeIndex in_end(NodeIndex j) const { return in_offsets[j + 1]; }
  // Array for array (doubles bit for bit, up to the sign of zero).
  bool operator==(const TransmissionGraph&) const = default;
};

inline EdgeIndex OutEdges::operator[](std::size_t x) const {
  const std::size_t at = begin_ + x;
  return g_->out_edges.empty() ? g_->EdgeBetween(node_, g_->out_targets[at]) : g_->out_edges[at];
}

struct TransmissionOptions {
  // Length of one projection step in days (dt); > 0. Inventory cover of c
  // days delays onset by ceil(c / step_days) steps.
  double step_days = 1.0;
  // Keep the dependency shares w~ (8 bytes per edge).
  bool keep_shares = true;
};

// O(edges): merges the network's sorted in- and out-rows per node. The
// offsets and out-targets equal to the network's CSR arrays (compared) are
// held as the network's buffers.
// REQUIRES: network.compacted(); vulnerability has at least
// network.node_slots() entries in sigma and rho.
TransmissionGraph BuildTransmissionGraph(const Network& network, const RiskType& type,
                                         const Vulnerability& vulnerability,
                                         const TransmissionOptions& options = {});

// Brings `graph`, built by BuildTransmissionGraph (same type and options)
// for an earlier state of the network, to what BuildTransmissionGraph gives
// on the network now, array for array (tests compare), when only the arcs
// into `rows` changed: those rows and every node slot added since are
// rebuilt from the network, the other rows are copied with their p (and
// w~), and the out-index, reverse links, q and onset delays are redone.
// O(edges) copying plus O(in-degree log) per rebuilt row, instead of a
// rebuild's merge and exp per edge; one array is rebuilt at a time, so the
// peak is the graph plus one array. The engine's network changes (engine.h)
// list their rows here; a refresh of vulnerability builds anew.
// REQUIRES: network.compacted(); vulnerability as for BuildTransmissionGraph
// and, for every node the graph had, sigma and rho as when it was built;
// every node whose arcs in (their sources or weights) changed since is in
// rows (extra rows are harmless).
void UpdateTransmissionGraph(TransmissionGraph* graph, const Network& network, const RiskType& type,
                             const Vulnerability& vulnerability, std::span<const NodeIndex> rows,
                             const TransmissionOptions& options = {});

// The dependency share w~ of `to` on `from` for this risk type (the share
// of what `to` receives over the type's layers and direction that comes
// from `from`), computed from the network alone: O(degree of `to`). 0 when
// `from` cannot pass the risk to `to`. REQUIRES: network.compacted().
double DependencyShare(const Network& network, const RiskType& type, NodeIndex from, NodeIndex to);

// The ids of every out-edge by out-position (what out_edges holds on a
// graph with reverse edges): a copy of out_edges, or built in O(edges)
// (a counting sort of the in-rows on their sources). For a reader that
// needs an id per arc of most nodes at once (the planner's outbreak sample)
// and holds it only while it draws.
std::vector<EdgeIndex> OutEdgeIds(const TransmissionGraph& graph);

// Onset delay in steps for inventory cover of `days`, capped at 65535.
std::uint16_t OnsetDelaySteps(double days, double step_days);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_TRANSMISSION_H_
