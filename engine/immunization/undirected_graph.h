// UndirectedGraph: the undirected simple graph the immunization strategies
// work on, read from a Network restricted to a set of layers.
//
// Nodes keep their NodeIndex (removed node slots are absent: no edges, not
// counted). Nodes i and j are adjacent when any edge of a chosen layer joins
// them in either direction; the weight of {i, j} is the sum of the weights of
// all those edges (so strength, the weighted degree, is the total business
// volume through a node). Adjacency is CSR with sorted neighbour lists.
//
// Immutable after construction; cheap to copy around by const reference.
#ifndef RISKD_ENGINE_IMMUNIZATION_UNDIRECTED_GRAPH_H_
#define RISKD_ENGINE_IMMUNIZATION_UNDIRECTED_GRAPH_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/network.h"

namespace riskd::engine::immunization {

class UndirectedGraph {
 public:
  UndirectedGraph() = default;

  // REQUIRES: network.compacted()
  static UndirectedGraph FromNetwork(const Network& network, LayerMask layers);

  // Index slots (== network.node_slots()); present nodes are a subset.
  std::size_t node_slots() const { return present_.size(); }
  std::size_t node_count() const { return node_count_; }
  std::size_t edge_count() const { return neighbors_.size() / 2; }
  // The layers it was read with.
  LayerMask layers() const { return layers_; }
  // REQUIRES: n < node_slots() for the accessors below.
  bool present(NodeIndex n) const { return present_[n] != 0; }
  std::size_t degree(NodeIndex n) const { return offsets_[n + 1] - offsets_[n]; }
  std::span<const NodeIndex> neighbors(NodeIndex n) const {
    return {neighbors_.data() + offsets_[n], neighbors_.data() + offsets_[n + 1]};
  }
  // Weights of the edges to neighbors(n), in the same order.
  std::span<const double> weights(NodeIndex n) const {
    return {weights_.data() + offsets_[n], weights_.data() + offsets_[n + 1]};
  }
  // The present nodes in index order.
  std::vector<NodeIndex> Nodes() const;

 private:
  LayerMask layers_ = kAllLayers;
  std::vector<std::uint8_t> present_;
  std::size_t node_count_ = 0;
  std::vector<std::size_t> offsets_{0};
  std::vector<NodeIndex> neighbors_;
  std::vector<double> weights_;
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_UNDIRECTED_GRAPH_H_
