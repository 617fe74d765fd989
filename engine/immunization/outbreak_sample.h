// OutbreakSample: a fixed sample of outbreaks of the discrete-time SIR model
// (engine/monte_carlo.h) from the current state, kept as infection forests,
// on which the effect of protecting any node can be read off exactly.
//
// Realization k draws, from the counter-based generator with the sample's
// seed, every source's initial state, every node's infectious period D_v and
// every edge's transmission delay K_vj, exactly as engine/monte_carlo.h does
// (same streams and keys: with the same seed both give the same outbreaks).
// Edge v -> j is "live" when K_vj <= D_v; onsets are shortest paths over live
// edges, a_j = min over live v -> j of (a_v + K_vj) + L_j, and j is disrupted
// within the horizon when a_j <= T. Protecting a node removes it and changes
// no random number (common random numbers), so within one realization:
//   - the nodes no longer disrupted are all in the protected node's subtree
//     of any shortest-path forest (a node outside it keeps its tree path);
//   - they are found exactly by recomputing shortest paths inside that
//     subtree only, seeded from its in-edges from the rest of the forest.
// The subtree size summed over realizations is therefore an upper bound of
// what protecting a node saves, and Saved() gives the exact figure; the
// planner (planner.h) uses both for a lazy greedy.
//
// Each forest is stored in preorder, so a subtree is a contiguous range,
// with the live edges between its disrupted nodes that arrive within the
// horizon (drawn once: rerouting then needs no random numbers). Memory per
// realization: 38 to 44 bytes per disrupted node (its place in the list of
// the realizations it is disrupted in included) and 8 per such edge, plus 16
// bytes per node of the graph.
#ifndef RISKD_ENGINE_IMMUNIZATION_OUTBREAK_SAMPLE_H_
#define RISKD_ENGINE_IMMUNIZATION_OUTBREAK_SAMPLE_H_

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "engine/monte_carlo.h"
#include "engine/rng.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine::immunization {

struct OutbreakSampleOptions {
  // Horizon T in steps, 1..65534.
  int horizon = 30;
  // Seed of the counter-based generator.
  std::uint64_t seed = 0x706c616e;  // "plan"
  // Realizations drawn, >= 1 ...
  std::uint32_t realizations = 256;
  // ... unless the work (out-edges examined) exceeds max_work first; never
  // fewer than min_realizations (1..realizations).
  std::uint64_t max_work = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t min_realizations = 32;
  // Asked before each step of each outbreak drawn (monte_carlo.h): true
  // stops the drawing there, dropping the outbreak under way, and the sample
  // is interrupted(). Not owned (must outlive the constructor); may be null.
  const InterruptRequested* interrupt = nullptr;
};

// What protecting one node changed.
struct ProtectOutcome {
  // Node-realizations no longer disrupted (the node itself included).
  std::uint64_t saved = 0;
  // Realizations in which the node was disrupted before.
  std::uint32_t hits = 0;
  // The source whose outbreak reached the node most often (kNoNode if it
  // was never disrupted), and in how many realizations.
  NodeIndex origin = kNoNode;
  std::uint32_t origin_hits = 0;
};

class OutbreakSample {
 public:
  // REQUIRES: initial has graph.node_count entries per vector; graph
  // outlives the sample; options valid (see above).
  OutbreakSample(const TransmissionGraph& graph, const InitialState& initial,
                 const OutbreakSampleOptions& options);

  std::uint32_t realizations() const { return static_cast<std::uint32_t>(forests_.size()); }
  // Node-realizations disrupted within T, summed over realizations.
  std::uint64_t total_disrupted() const { return total_disrupted_; }
  double mean_disrupted() const;
  // Nodes disrupted in realization k.
  std::uint32_t size(std::uint32_t k) const;
  // Realizations in which v is disrupted within T.
  std::uint32_t hits(NodeIndex v) const { return hit_count_[v]; }
  // Sum over realizations of the size of v's subtree (v included): an
  // upper bound of what protecting v saves.
  std::uint64_t subtree_total(NodeIndex v) const { return subtree_total_[v]; }
  // Nodes disrupted in at least one realization, ascending.
  std::vector<NodeIndex> DisruptedNodes() const;

  // Per candidate: node-realizations that would no longer be disrupted if it
  // were protected too (exact on the sample).
  // REQUIRES: candidates distinct, each < graph.node_count.
  std::vector<std::uint64_t> Saved(std::span<const NodeIndex> candidates);

  // Protects v in every realization (it is never disrupted again) and
  // updates the forests.
  ProtectOutcome Protect(NodeIndex v);

  // The interrupt stopped the drawing: fewer outbreaks than asked for (and
  // maybe fewer than min_realizations), so the sample is not fit to plan on.
  bool interrupted() const { return interrupted_; }

  // Out-edges and in-edges examined so far (drawing, Saved, Protect).
  std::uint64_t work() const { return work_; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  // A live edge into a disrupted node from another disrupted node (by its
  // entry in the forest), with the steps from the source's onset to the
  // target's (K_vj + L_j); only edges that arrive within the horizon are
  // kept.
  struct Arc {
    std::uint32_t source;
    std::uint32_t delay;
  };
  // One disrupted node of a realization, in preorder of its forest: the
  // subtree of entry x is [x, x + size). Its live in-arcs are
  // arcs[arc_begin, arc_end).
  struct Entry {
    NodeIndex node;
    std::uint32_t parent;  // entry of the infector, kNone for a source
    NodeIndex root;        // the source at the top of its tree
    std::uint32_t size;
    std::uint32_t arc_begin, arc_end;
    std::uint32_t onset;
  };
  struct Forest {
    std::vector<Entry> entries;
    std::vector<Arc> arcs;
    // Where each node is: an open-addressing table of entries, hashed by
    // node, at most 7/10 full (kNone: empty).
    std::vector<std::uint32_t> where;
    void Index();
    // The entry of v, or kNone.
    std::uint32_t Find(NodeIndex v) const;
  };

  // Adds realization k; false (nothing added) when the interrupt stopped it.
  bool Draw(const InitialState& initial, std::uint32_t k);
  // The live in-arcs of the disrupted nodes of realization k (entries in
  // order of onset, parents as nodes; infectious[i] = D of entries[i]);
  // turns parents into entry indices.
  void FindArcs(std::uint32_t k, const std::vector<std::uint32_t>& infectious, Forest* drawn);
  // The entries of `in` that have a node (dropped ones have kNoNode), put
  // into preorder with subtree sizes and roots; parents and arc sources are
  // entries of `in` and become entries of the result (arcs from dropped
  // entries are dropped).
  Forest Build(const Forest& in);
  // Adds (sign +1) or removes (-1) a forest's subtree sizes and node count.
  void Count(const Forest& forest, int sign);
  // Shortest paths inside the subtree of entry p of forest k without p;
  // fills best_ (and parent_ if record) per subtree offset. Returns the
  // subtree nodes other than p still disrupted.
  std::uint32_t Reroute(std::uint32_t k, std::uint32_t p, bool record);
  void Push(std::uint32_t x, int t);
  // Lists every node's realizations, ascending, from the forests drawn.
  void ListHits();
  // The realizations v is disrupted in, ascending (drops the stale ones
  // first).
  std::span<const std::uint32_t> Hits(NodeIndex v);

  const TransmissionGraph& graph_;
  // The out-edge ids by out-position (OutEdgeIds) of a graph that does not
  // store them (TransmissionGraph::out_edges), while drawing.
  std::vector<EdgeIndex> out_ids_;
  const CounterRng rng_;
  const int horizon_;
  std::vector<Forest> forests_;
  // Per node v: the realizations it is disrupted in are
  // hit_list_[hit_first_[v] .. hit_first_[v + 1]), as drawn; Protect makes
  // some stale, and Hits() moves the true ones (hit_count_[v] of them) to
  // the front and marks the rest kNone. One array rather than a vector per
  // node: 4 bytes per node-realization instead of a 24-byte vector per node
  // plus a heap block per disrupted node (~3.5 MB at 100k nodes).
  std::vector<std::uint32_t> hit_first_;
  std::vector<std::uint32_t> hit_list_;
  std::vector<std::uint32_t> hit_count_;
  std::vector<std::uint64_t> subtree_total_;  // per node
  std::uint64_t total_disrupted_ = 0;
  std::uint64_t work_ = 0;
  bool interrupted_ = false;
  const InterruptRequested* interrupt_;  // null once constructed
  std::vector<NodeIndex> sampled_;       // nodes with P_S(0) < 1

  // Scratch, clean between calls. The per-node arrays of the drawing
  // (position_, onset_, infector_) and sampled_ are released once the
  // sample is drawn.
  std::vector<std::int32_t> position_;  // per node while drawing: entry, or -1
  std::vector<std::int32_t> onset_;     // per node while drawing
  std::vector<NodeIndex> infector_;
  std::vector<NodeIndex> reached_;
  std::vector<std::int32_t> best_;  // per subtree offset while rerouting
  std::vector<std::uint32_t> parent_;
  std::vector<std::uint32_t> inner_first_;  // arcs inside the subtree, by source offset
  std::vector<Arc> inner_;                  // (target offset, delay)
  std::vector<std::uint32_t> renumber_, first_, children_, stack_;
  std::vector<std::vector<std::uint32_t>> buckets_;  // per step
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_OUTBREAK_SAMPLE_H_
