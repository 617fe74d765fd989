// Network: the live supplier network the engine projects risk on.
//
// Nodes have string ids (mapped to dense NodeIndex values that stay stable for
// the life of the node) and the attributes of docs/network-csv.md. Edges are
// directed supplier -> customer relations with a business-volume weight and a
// layer (material, data, financial); at most one edge per (from, to, layer).
//
// Storage is compact: node attributes and the id index in a NodeTable
// (node_table.h, about 70 bytes per node), edges in CSR arrays (out-rows
// sorted by target and layer, plus in-rows of sources), about 17 bytes per edge
// (16 when every edge is on the material layer). Changes go to a small
// overlay and are visible at once to lookups (FindEdge, counts); adjacency
// (the CSR views) reflects them after Compact(), which the engine calls once
// per batch of changes, so a burst of changes costs one O(E) rebuild.
//
// Not thread-safe; one owner at a time.
#ifndef RISKD_ENGINE_NETWORK_H_
#define RISKD_ENGINE_NETWORK_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "engine/node_table.h"
#include "engine/shared_array.h"

namespace riskd::engine {

using EdgeIndex = std::uint32_t;

enum class Layer : std::uint8_t { kMaterial = 0, kData = 1, kFinancial = 2 };
inline constexpr int kLayerCount = 3;
using LayerMask = std::uint8_t;
constexpr LayerMask LayerBit(Layer layer) { return LayerMask(1u << static_cast<unsigned>(layer)); }
inline constexpr LayerMask kAllLayers = 0b111;
std::string_view LayerName(Layer layer);

struct Edge {
  NodeIndex from = kNoNode;
  NodeIndex to = kNoNode;
  Layer layer = Layer::kMaterial;
  double weight = 0;
};

// Checks what every node must satisfy (id length, finite location in range,
// inventory >= 0 and finite).
Status ValidateNodeAttributes(const NodeAttributes& attrs);
// Weight must be finite and > 0.
Status ValidateEdgeWeight(double weight);

class Network {
 public:
  Network() = default;

  // --- Changes. Each returns a non-OK Status and changes nothing on bad input.

  // The id must be new. Returns the node's index.
  Result<NodeIndex> AddNode(NodeAttributes attrs);
  // Replaces the attributes of the node with attrs.id.
  Status UpdateNode(NodeAttributes attrs);
  // Removes the node and every edge touching it. Its index is not reused.
  // O(degree + overlay): the CSR drops its edges at the next Compact().
  Status RemoveNode(std::string_view id);
  // REQUIRES: from != to; both alive.
  Status AddEdge(NodeIndex from, NodeIndex to, Layer layer, double weight);
  Status AddEdge(std::string_view from, std::string_view to, Layer layer, double weight);
  Status RemoveEdge(std::string_view from, std::string_view to, Layer layer);
  Status SetEdgeWeight(std::string_view from, std::string_view to, Layer layer, double weight);
  // Adds many edges in one O(E + B log B) rebuild (importers, generators).
  // All or nothing: any invalid, duplicate or existing edge rejects the lot.
  // Edges sorted by (from, to, layer) are merged as they are; others are
  // sorted in a copy (24 bytes per edge).
  Status AddEdges(std::span<const Edge> edges);

  // Rebuilds the CSR arrays from the overlay. Cheap when nothing changed.
  void Compact();
  // Whether the adjacency covers every change, nodes added since the last
  // Compact() included (their CSR rows do not exist before it, edges or not).
  bool compacted() const {
    return pending_.empty() && !removed_nodes_pending_ && out_offsets_.size() == nodes_.size() + 1;
  }
  // Increases on every successful change.
  std::uint64_t version() const { return version_; }
  // For a network rebuilt from a saved one (a checkpoint): takes the saved
  // network's version, so versions go on from it as the changes it records
  // left them, not from the count of changes the rebuild made (a reader
  // holding the version from before a restart must never see it again for
  // another network).
  void RestoreVersion(std::uint64_t version) { version_ = version; }

  // --- Lookups (always current).

  std::optional<NodeIndex> Find(std::string_view id) const;
  // Number of index slots, removed nodes included: valid indices are < this.
  std::size_t node_slots() const { return nodes_.size(); }
  std::size_t node_count() const { return alive_count_; }
  std::size_t edge_count() const { return edge_count_; }
  bool alive(NodeIndex n) const { return n < nodes_.size() && alive_[n]; }
  // The attributes of slot n, materialized (a copy: loops over many nodes
  // should use the field accessors below). REQUIRES: n < node_slots(), here
  // and below; the string_views are valid until the next change.
  NodeAttributes node(NodeIndex n) const { return nodes_.Get(n); }
  std::string_view id(NodeIndex n) const { return nodes_.id(n); }
  std::string_view name(NodeIndex n) const { return nodes_.name(n); }
  std::string_view kind(NodeIndex n) const { return nodes_.kind(n); }
  std::string_view region(NodeIndex n) const { return nodes_.region(n); }
  int tier(NodeIndex n) const { return nodes_.tier(n); }
  std::optional<GeoPoint> location(NodeIndex n) const { return nodes_.location(n); }
  double inventory_days(NodeIndex n) const { return nodes_.inventory_days(n); }
  std::optional<double> value(NodeIndex n) const { return nodes_.value(n); }
  std::span<const std::string> alternates(NodeIndex n) const { return nodes_.alternates(n); }
  std::string_view emergency_plan_id(NodeIndex n) const { return nodes_.emergency_plan_id(n); }
  // Weight of (from, to, layer), if the edge exists.
  std::optional<double> FindEdge(NodeIndex from, NodeIndex to, Layer layer) const;
  // Every edge into or out of n as it is now (overlay included, compacted or
  // not): O(degree + overlay size). Empty if n is not alive.
  std::vector<Edge> EdgesOf(NodeIndex n) const;

  // --- Adjacency. REQUIRES: compacted().

  // Out-edges of n are the edge indices [out_begin(n), out_end(n)).
  EdgeIndex out_begin(NodeIndex n) const { return out_offsets_[n]; }
  EdgeIndex out_end(NodeIndex n) const { return out_offsets_[n + 1]; }
  NodeIndex edge_target(EdgeIndex e) const { return out_targets_[e]; }
  double edge_weight(EdgeIndex e) const { return out_weights_[e]; }
  Layer edge_layer(EdgeIndex e) const { return static_cast<Layer>(layer_code(e)); }
  // In-edges of n: the k-th (k < in_end(n) - in_begin(n)) comes from
  // in_sources(n)[k]; rows are sorted by source, then layer. Only sources
  // are stored per in-edge (a transmission graph holds the same array:
  // shared_array.h); in_edge() finds the edge itself.
  EdgeIndex in_begin(NodeIndex n) const { return in_offsets_[n]; }
  EdgeIndex in_end(NodeIndex n) const { return in_offsets_[n + 1]; }
  std::span<const NodeIndex> in_sources(NodeIndex n) const {
    return {in_sources_.data() + in_offsets_[n], in_sources_.data() + in_offsets_[n + 1]};
  }
  // The k-th in-edge of n as an edge index into the out arrays: a binary
  // search of its source's out-row, O(log out-degree).
  EdgeIndex in_edge(NodeIndex n, std::size_t k) const;
  // Every in-edge as an edge index, rows by in_begin/in_end, built in O(E):
  // for bulk readers of in-edges (transmission graphs, vulnerability), as a
  // temporary.
  std::vector<EdgeIndex> InEdges() const;
  // The source of edge e: a binary search over the out-rows (no per-edge
  // source is stored; 4 bytes per edge).
  NodeIndex edge_source(EdgeIndex e) const;
  // The source of every edge, in CSR order, built in O(E): for bulk readers
  // of the out-arrays by edge index, as a temporary.
  std::vector<NodeIndex> EdgeSources() const;
  // The CSR's index arrays themselves, for a structure that would hold
  // equal ones (BuildTransmissionGraph holds these buffers instead of
  // copies; shared_array.h). Compact() replaces them, never writes them.
  const SharedArray<EdgeIndex>& out_offsets_array() const { return out_offsets_; }
  const SharedArray<NodeIndex>& out_targets_array() const { return out_targets_; }
  const SharedArray<EdgeIndex>& in_offsets_array() const { return in_offsets_; }
  const SharedArray<NodeIndex>& in_sources_array() const { return in_sources_; }
  // Total edges in the CSR (== edge_count() when compacted).
  std::size_t csr_edge_count() const { return out_targets_.size(); }
  // Every edge, in CSR order.
  std::vector<Edge> Edges() const;

  // Hands back the arrays' growth slack (NodeTable::ShrinkToFit): for an
  // owner that keeps a bulk-built network for long (the Engine, once at
  // construction); not per change, or the next AddNode would grow it again.
  void ShrinkToFit();

  // Bytes held by the structure (for memory benchmarks).
  std::size_t MemoryBytes() const;

 private:
  using EdgeKey = std::tuple<NodeIndex, NodeIndex, std::uint8_t>;

  std::uint8_t layer_code(EdgeIndex e) const { return out_layers_.empty() ? 0 : out_layers_[e]; }
  std::optional<EdgeIndex> FindCsrEdge(NodeIndex from, NodeIndex to, Layer layer) const;
  Status ResolvePair(std::string_view from, std::string_view to, NodeIndex* f, NodeIndex* t) const;
  // Records a change in the overlay (both indexes).
  void SetPending(const EdgeKey& key, std::optional<double> weight);
  // Rebuilds the CSR arrays from the current rows merged with the changes
  // [first, last), sorted by key(*it) (an EdgeKey); weight(*it) is the new
  // weight, nullopt to remove. Accessors rather than one element type so the
  // overlay map and a caller's sorted Edge batch merge without a copy.
  template <typename It, typename Key, typename Weight>
  void Rebuild(It first, It last, Key key, Weight weight);

  NodeTable nodes_;
  std::vector<std::uint8_t> alive_;
  std::size_t alive_count_ = 0;
  std::size_t edge_count_ = 0;
  std::uint64_t version_ = 0;

  // CSR, rebuilt by Compact(). out_offsets_ has node_slots()+1 entries once
  // compacted (nodes added since are covered by the overlay). The offsets
  // and targets are shared arrays: transmission graphs may hold the same
  // buffers (their copies of a network share them too).
  SharedArray<EdgeIndex> out_offsets_{std::vector<EdgeIndex>{0}};
  SharedArray<NodeIndex> out_targets_;
  std::vector<double> out_weights_;
  // Empty when every edge is on the material layer (code 0): a network of
  // one layer keeps no byte per edge (1 MB on 1M edges).
  std::vector<std::uint8_t> out_layers_;
  SharedArray<EdgeIndex> in_offsets_{std::vector<EdgeIndex>{0}};
  SharedArray<NodeIndex> in_sources_;

  // Overlay: weight for added/re-weighted edges, nullopt for removed ones.
  std::map<EdgeKey, std::optional<double>> pending_;
  // The overlay's keys reversed, (to, from, layer): a node's overlay
  // in-edges by key range (EdgesOf, RemoveNode).
  std::set<EdgeKey> pending_in_;
  bool removed_nodes_pending_ = false;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_NETWORK_H_
