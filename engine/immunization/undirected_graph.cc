#include "engine/immunization/undirected_graph.h"

#include <algorithm>
#include <utility>

namespace riskd::engine::immunization {

UndirectedGraph UndirectedGraph::FromNetwork(const Network& net, LayerMask layers) {
  UndirectedGraph g;
  g.layers_ = layers;
  const std::size_t n = net.node_slots();
  g.present_.assign(n, 0);
  for (NodeIndex u = 0; u < n; ++u) {
    if (net.alive(u)) {
      g.present_[u] = 1;
      ++g.node_count_;
    }
  }
  // Each edge once per endpoint; sorting by (endpoint, neighbour) then
  // merging runs collapses directions, layers and parallel edges.
  struct HalfEdge {
    NodeIndex from, to;
    double weight;
  };
  std::vector<HalfEdge> half;
  half.reserve(2 * net.csr_edge_count());
  for (NodeIndex u = 0; u < n; ++u) {
    if (!g.present_[u]) continue;
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      if (!(layers & LayerBit(net.edge_layer(e)))) continue;
      const NodeIndex v = net.edge_target(e);
      if (v == u || !net.alive(v)) continue;
      half.push_back({u, v, net.edge_weight(e)});
      half.push_back({v, u, net.edge_weight(e)});
    }
  }
  std::sort(half.begin(), half.end(), [](const HalfEdge& a, const HalfEdge& b) {
    return a.from != b.from ? a.from < b.from : a.to < b.to;
  });
  g.offsets_.assign(n + 1, 0);
  for (std::size_t i = 0; i < half.size(); ++i) {
    if (i > 0 && half[i].from == half[i - 1].from && half[i].to == half[i - 1].to) {
      g.weights_.back() += half[i].weight;
      continue;
    }
    g.neighbors_.push_back(half[i].to);
    g.weights_.push_back(half[i].weight);
    ++g.offsets_[half[i].from + 1];
  }
  for (std::size_t i = 0; i < n; ++i) g.offsets_[i + 1] += g.offsets_[i];
  return g;
}

std::vector<NodeIndex> UndirectedGraph::Nodes() const {
  std::vector<NodeIndex> out;
  out.reserve(node_count_);
  for (NodeIndex n = 0; n < present_.size(); ++n) {
    if (present_[n]) out.push_back(n);
  }
  return out;
}

}  // namespace riskd::engine::immunization
