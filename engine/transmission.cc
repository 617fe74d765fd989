#include "engine/transmission.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace riskd::engine {

TransmissionGraph BuildTransmissionGraph(const Network& net, const RiskType& type,
                                         const Vulnerability& vul) {
  TransmissionGraph g;
  const std::size_t n = net.node_slots();
  g.node_count = n;

  // Directed (source, target, weight) triples over the selected layers and
  // directions, then sorted by (target, source) so parallel ones merge.
  struct Arc {
    NodeIndex to, from;
    double w;
  };
  std::vector<Arc> arcs;
  arcs.reserve(type.direction == Direction::kBoth ? 2 * net.csr_edge_count()
                                                  : net.csr_edge_count());
  for (NodeIndex u = 0; u < n; ++u) {
    if (!net.alive(u)) continue;
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      if (!(type.layers & LayerBit(net.edge_layer(e)))) continue;
      const NodeIndex v = net.edge_target(e);
      const double w = net.edge_weight(e);
      if (type.direction != Direction::kUpstream) arcs.push_back({v, u, w});
      if (type.direction != Direction::kDownstream) arcs.push_back({u, v, w});
    }
  }
  std::sort(arcs.begin(), arcs.end(), [](const Arc& a, const Arc& b) {
    return a.to != b.to ? a.to < b.to : a.from < b.from;
  });

  g.in_offsets.assign(n + 1, 0);
  for (std::size_t k = 0; k < arcs.size();) {
    std::size_t m = k + 1;
    double w = arcs[k].w;
    while (m < arcs.size() && arcs[m].to == arcs[k].to && arcs[m].from == arcs[k].from) {
      w += arcs[m].w;
      ++m;
    }
    g.source.push_back(arcs[k].from);
    g.target.push_back(arcs[k].to);
    g.weight.push_back(w);
    ++g.in_offsets[arcs[k].to + 1];
    k = m;
  }
  std::partial_sum(g.in_offsets.begin(), g.in_offsets.end(), g.in_offsets.begin());
  const std::size_t m = g.source.size();

  g.share.assign(m, 0.0);
  g.p.assign(m, 0.0);
  for (NodeIndex j = 0; j < n; ++j) {
    double total = 0;
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) total += g.weight[e];
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      g.share[e] = g.weight[e] / total;
      g.p[e] = -std::expm1(-type.alpha * g.share[e] * vul.sigma[j]);
    }
  }

  // Out-index by counting sort on source; within a row, targets ascend
  // because edges are visited in target order.
  g.out_offsets.assign(n + 1, 0);
  for (NodeIndex s : g.source) ++g.out_offsets[s + 1];
  std::partial_sum(g.out_offsets.begin(), g.out_offsets.end(), g.out_offsets.begin());
  g.out_edges.resize(m);
  {
    std::vector<EdgeIndex> cursor(g.out_offsets.begin(), g.out_offsets.end() - 1);
    for (EdgeIndex e = 0; e < m; ++e) g.out_edges[cursor[g.source[e]]++] = e;
  }

  // reverse[e] for e = i -> j is the edge i <- j, found in i's in-row (sorted
  // by source) by binary search.
  g.reverse.assign(m, kNoEdge);
  for (EdgeIndex e = 0; e < m; ++e) {
    const NodeIndex i = g.source[e], j = g.target[e];
    const auto first = g.source.begin() + g.in_offsets[i];
    const auto last = g.source.begin() + g.in_offsets[i + 1];
    auto it = std::lower_bound(first, last, j);
    if (it != last && *it == j) g.reverse[e] = static_cast<EdgeIndex>(it - g.source.begin());
  }

  g.q.assign(n, 0.0);
  for (NodeIndex i = 0; i < n; ++i) {
    if (net.alive(i)) g.q[i] = std::min(1.0, type.beta * vul.rho[i]);
  }
  return g;
}

}  // namespace riskd::engine
