#include "engine/transmission.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

namespace riskd::engine {

std::uint16_t OnsetDelaySteps(double days, double step_days) {
  if (!(days > 0) || !(step_days > 0)) return 0;
  const double steps = std::ceil(days / step_days);
  return static_cast<std::uint16_t>(std::min(steps, 65535.0));
}

namespace {

// Appends the arcs into node j, merged by source (weights of parallel
// network edges and of both directions add): the network's in-edges u -> j
// (net.in_sources(j), in_edge(k) the k-th as a network edge) and out-edges
// j -> v, both sorted by the other end.
template <typename InEdge>
void AppendArcsInto(const Network& net, InEdge in_edge, NodeIndex j, const RiskType& type,
                    std::vector<NodeIndex>* sources, std::vector<double>* weights) {
  const bool use_in = type.direction != Direction::kUpstream;
  const bool use_out = type.direction != Direction::kDownstream;
  const std::span<const NodeIndex> in_src = net.in_sources(j);
  const std::size_t a_end = use_in ? in_src.size() : 0;
  std::size_t a = 0;
  EdgeIndex ea = a < a_end ? in_edge(a) : 0;  // the in-edge at a, looked up once
  auto next_in = [&] {
    if (++a < a_end) ea = in_edge(a);
  };
  EdgeIndex b = net.out_begin(j);
  const EdgeIndex b_end = use_out ? net.out_end(j) : b;
  auto selected = [&](EdgeIndex e) { return (type.layers & LayerBit(net.edge_layer(e))) != 0; };
  for (;;) {
    while (a < a_end && !selected(ea)) next_in();
    while (b < b_end && !selected(b)) ++b;
    const bool have_in = a < a_end;
    const bool have_out = b < b_end;
    if (!have_in && !have_out) break;
    NodeIndex src = kNoNode;
    if (have_in) src = in_src[a];
    if (have_out) src = std::min(src, net.edge_target(b));
    double w = 0;
    while (a < a_end && in_src[a] == src) {
      if (selected(ea)) w += net.edge_weight(ea);
      next_in();
    }
    while (b < b_end && net.edge_target(b) == src) {
      if (selected(b)) w += net.edge_weight(b);
      ++b;
    }
    sources->push_back(src);
    weights->push_back(w);
  }
}

// p (and w~ when kept) of the arcs into j, [begin, end), from their merged
// weights (in p's storage on entry).
void RowRates(const RiskType& type, const Vulnerability& vul, NodeIndex j, EdgeIndex begin,
              EdgeIndex end, bool keep_shares, TransmissionGraph* g) {
  double total = 0;
  for (EdgeIndex e = begin; e < end; ++e) total += g->p[e];
  for (EdgeIndex e = begin; e < end; ++e) {
    const double share = g->p[e] / total;
    if (keep_shares) g->share[e] = share;
    g->p[e] = -std::expm1(-type.alpha * share * vul.sigma[j]);
  }
}

// Out-index and its targets by counting sort on source; within a row,
// targets ascend because edges are visited in target order. Then every
// index array equal to the network's is replaced by the network's buffer.
void BuildOutIndex(const Network& net, TransmissionGraph* g) {
  const std::size_t n = g->node_count, m = g->source.size();
  std::vector<EdgeIndex>().swap(g->out_edges);
  g->out_offsets = {};
  g->out_targets = {};
  std::vector<EdgeIndex> offsets(n + 1, 0);
  for (NodeIndex s : g->source) ++offsets[s + 1];
  std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
  g->out_edges.resize(m);
  std::vector<NodeIndex> targets(m);
  std::vector<EdgeIndex> cursor(offsets.begin(), offsets.end() - 1);
  for (NodeIndex j = 0; j < n; ++j) {
    for (EdgeIndex e = g->in_begin(j); e < g->in_end(j); ++e) {
      const EdgeIndex x = cursor[g->source[e]]++;
      g->out_edges[x] = e;
      targets[x] = j;
    }
  }
  g->out_offsets = SharedArray<EdgeIndex>(std::move(offsets));
  g->out_targets = SharedArray<NodeIndex>(std::move(targets));
  // Equal values, so nothing reads differently; the copies are freed here.
  if (g->in_offsets == net.in_offsets_array()) g->in_offsets = net.in_offsets_array();
  if (g->source == net.in_sources_array()) g->source = net.in_sources_array();
  if (g->out_offsets == net.out_offsets_array()) g->out_offsets = net.out_offsets_array();
  if (g->out_targets == net.out_targets_array()) g->out_targets = net.out_targets_array();
}

// BuildOutIndex leaves the edge ids by out-position in out_edges, for the
// reverse links; a graph without reverse edges does not keep them
// (TransmissionGraph::out_edges).
void KeepOutEdgesIfNeeded(TransmissionGraph* g) {
  if (!g->has_reverse) std::vector<EdgeIndex>().swap(g->out_edges);
}

// The edge i <- j for e = i -> j, found in i's in-row (sorted by source) by
// binary search; kNoEdge if there is none.
EdgeIndex FindReverse(const TransmissionGraph& g, EdgeIndex e, NodeIndex j) {
  const NodeIndex i = g.source[e];
  const auto first = g.source.begin() + g.in_offsets[i];
  const auto last = g.source.begin() + g.in_offsets[i + 1];
  auto it = std::lower_bound(first, last, j);
  return it != last && *it == j ? static_cast<EdgeIndex>(it - g.source.begin()) : kNoEdge;
}

// Records the reverse edge of e = i -> j if it has one; the reverse index
// is allocated at the first (a graph without reverse edges keeps it empty).
void LinkReverse(TransmissionGraph* g, EdgeIndex e, NodeIndex j) {
  const EdgeIndex rev = FindReverse(*g, e, j);
  if (rev == kNoEdge) return;
  if (!g->has_reverse) {
    g->reverse.assign(g->source.size(), kNoEdge);
    g->has_reverse = true;
  }
  g->reverse[e] = rev;
}

// q and the onset delays of every node.
void NodeRates(const Network& net, const RiskType& type, const Vulnerability& vul,
               const TransmissionOptions& options, TransmissionGraph* g) {
  const std::size_t n = g->node_count;
  g->q.assign(n, 0.0);
  g->latency.assign(n, 0);
  g->has_latency = false;
  for (NodeIndex i = 0; i < n; ++i) {
    if (!net.alive(i)) continue;
    g->q[i] = std::min(1.0, type.beta * vul.rho[i]);
    if (type.inventory_delays_onset) {
      g->latency[i] = OnsetDelaySteps(net.inventory_days(i), options.step_days);
      g->has_latency = g->has_latency || g->latency[i] > 0;
    }
  }
}

}  // namespace

double DependencyShare(const Network& net, const RiskType& type, NodeIndex from, NodeIndex to) {
  if (!net.alive(from) || !net.alive(to)) return 0;
  auto selected = [&](EdgeIndex e) { return (type.layers & LayerBit(net.edge_layer(e))) != 0; };
  double total = 0, part = 0;
  if (type.direction != Direction::kUpstream) {
    const std::span<const NodeIndex> sources = net.in_sources(to);
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const EdgeIndex e = net.in_edge(to, k);
      if (!selected(e)) continue;
      total += net.edge_weight(e);
      if (sources[k] == from) part += net.edge_weight(e);
    }
  }
  if (type.direction != Direction::kDownstream) {
    for (EdgeIndex e = net.out_begin(to); e < net.out_end(to); ++e) {
      if (!selected(e)) continue;
      total += net.edge_weight(e);
      if (net.edge_target(e) == from) part += net.edge_weight(e);
    }
  }
  return total > 0 ? part / total : 0;
}

std::size_t TransmissionGraph::MemoryBytes() const {
  return in_offsets.OwnBytes() + out_offsets.OwnBytes() + out_targets.OwnBytes() +
         source.OwnBytes() + (reverse.capacity() + out_edges.capacity()) * 4 +
         (share.capacity() + p.capacity() + q.capacity()) * 8 + latency.capacity() * 2;
}

NodeIndex TransmissionGraph::target_of(EdgeIndex e) const {
  // The last row starting at or before e (empty rows share its start).
  const auto it = std::upper_bound(in_offsets.begin(), in_offsets.end(), e);
  return static_cast<NodeIndex>(it - in_offsets.begin() - 1);
}

std::vector<NodeIndex> TransmissionGraph::Targets() const {
  std::vector<NodeIndex> targets(edge_count());
  for (NodeIndex j = 0; j < node_count; ++j) {
    std::fill(targets.begin() + in_begin(j), targets.begin() + in_end(j), j);
  }
  return targets;
}

std::vector<EdgeIndex> OutEdgeIds(const TransmissionGraph& g) {
  if (!g.out_edges.empty() || g.edge_count() == 0) return g.out_edges;
  std::vector<EdgeIndex> ids(g.edge_count());
  std::vector<EdgeIndex> cursor(g.out_offsets.begin(), g.out_offsets.end() - 1);
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) ids[cursor[g.source[e]]++] = e;
  }
  return ids;
}

TransmissionGraph BuildTransmissionGraph(const Network& net, const RiskType& type,
                                         const Vulnerability& vul,
                                         const TransmissionOptions& options) {
  TransmissionGraph g;
  const std::size_t n = net.node_slots();
  g.node_count = n;
  const std::size_t expect =
      type.direction == Direction::kBoth ? 2 * net.csr_edge_count() : net.csr_edge_count();
  std::vector<NodeIndex> sources;
  sources.reserve(expect);
  std::vector<EdgeIndex> in_offsets(n + 1, 0);
  // Merged weights first, in p's storage; p replaces them in place below.
  std::vector<double>& weights = g.p;
  weights.reserve(expect);
  {
    const std::vector<EdgeIndex> in_edges = net.InEdges();
    for (NodeIndex j = 0; j < n; ++j) {
      const EdgeIndex* row = in_edges.data() + net.in_begin(j);
      auto in_edge = [row](std::size_t k) { return row[k]; };
      if (net.alive(j)) AppendArcsInto(net, in_edge, j, type, &sources, &weights);
      in_offsets[j + 1] = static_cast<EdgeIndex>(sources.size());
    }
  }
  g.in_offsets = SharedArray<EdgeIndex>(std::move(in_offsets));
  const std::size_t m = sources.size();
  // The reservation assumed every edge selected and unmerged.
  sources.shrink_to_fit();
  g.source = SharedArray<NodeIndex>(std::move(sources));
  weights.shrink_to_fit();

  if (options.keep_shares) g.share.assign(m, 0.0);
  for (NodeIndex j = 0; j < n; ++j) {
    RowRates(type, vul, j, g.in_begin(j), g.in_end(j), options.keep_shares, &g);
  }
  BuildOutIndex(net, &g);
  for (NodeIndex j = 0; j < n; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) LinkReverse(&g, e, j);
  }
  KeepOutEdgesIfNeeded(&g);
  NodeRates(net, type, vul, options, &g);
  return g;
}

void UpdateTransmissionGraph(TransmissionGraph* g, const Network& net, const RiskType& type,
                             const Vulnerability& vul, std::span<const NodeIndex> rows,
                             const TransmissionOptions& options) {
  const std::size_t n = net.node_slots();
  const std::size_t old_n = g->node_count;
  if (n < old_n || (options.keep_shares && g->share.size() != g->source.size())) {
    *g = BuildTransmissionGraph(net, type, vul, options);
    return;
  }
  // The rows rebuilt from the network: the listed ones and every new slot.
  std::vector<NodeIndex> rebuilt;
  for (NodeIndex v : rows) {
    if (v < old_n) rebuilt.push_back(v);
  }
  std::sort(rebuilt.begin(), rebuilt.end());
  rebuilt.erase(std::unique(rebuilt.begin(), rebuilt.end()), rebuilt.end());
  for (std::size_t v = old_n; v < n; ++v) rebuilt.push_back(static_cast<NodeIndex>(v));
  // Their arcs, merged as BuildTransmissionGraph merges them.
  std::vector<NodeIndex> fresh_sources;
  std::vector<double> weights;
  std::vector<EdgeIndex> fresh_offsets{0};
  for (NodeIndex j : rebuilt) {
    auto in_edge = [&](std::size_t k) { return net.in_edge(j, k); };
    if (net.alive(j)) AppendArcsInto(net, in_edge, j, type, &fresh_sources, &weights);
    fresh_offsets.push_back(static_cast<EdgeIndex>(fresh_sources.size()));
  }
  // The new in-offsets: kept rows keep their length.
  std::vector<EdgeIndex> offsets(n + 1, 0);
  for (std::size_t j = 0, r = 0; j < n; ++j) {
    EdgeIndex length = 0;
    if (r < rebuilt.size() && rebuilt[r] == j) {
      length = fresh_offsets[r + 1] - fresh_offsets[r];
      ++r;
    } else {
      length = g->in_offsets[j + 1] - g->in_offsets[j];
    }
    offsets[j + 1] = offsets[j] + length;
  }
  const std::size_t m = offsets[n];
  // One array at a time, each freed as its successor is complete: the peak
  // is the graph plus one array, not two graphs.
  auto splice = [&](auto& array, const auto& fresh_array) {
    std::vector<std::remove_cvref_t<decltype(array[0])>> next(m);
    for (std::size_t j = 0, r = 0; j < n; ++j) {
      const auto at = next.begin() + offsets[j];
      if (r < rebuilt.size() && rebuilt[r] == j) {
        std::copy(fresh_array.begin() + fresh_offsets[r],
                  fresh_array.begin() + fresh_offsets[r + 1], at);
        ++r;
      } else {
        std::copy(array.begin() + g->in_offsets[j], array.begin() + g->in_offsets[j + 1], at);
      }
    }
    array = std::remove_reference_t<decltype(array)>(std::move(next));
  };
  splice(g->source, fresh_sources);
  splice(g->p, weights);  // the rebuilt rows' merged weights, p below
  if (options.keep_shares) splice(g->share, weights);
  g->in_offsets = SharedArray<EdgeIndex>(std::move(offsets));
  g->node_count = n;
  for (NodeIndex j : rebuilt) {
    RowRates(type, vul, j, g->in_begin(j), g->in_end(j), options.keep_shares, g);
  }
  BuildOutIndex(net, g);
  // Without reverse edges before, a pair can only have gained both arcs
  // through a rebuilt row: the arcs into and out of those rows are checked.
  const bool had_reverse = g->has_reverse;
  std::vector<EdgeIndex>().swap(g->reverse);
  g->has_reverse = false;
  if (had_reverse) {
    for (NodeIndex j = 0; j < n; ++j) {
      for (EdgeIndex e = g->in_begin(j); e < g->in_end(j); ++e) LinkReverse(g, e, j);
    }
  } else {
    for (NodeIndex j : rebuilt) {
      for (EdgeIndex e = g->in_begin(j); e < g->in_end(j); ++e) LinkReverse(g, e, j);
      const auto out = g->out(j);
      const auto targets = g->successors(j);
      for (std::size_t x = 0; x < out.size(); ++x) LinkReverse(g, out[x], targets[x]);
    }
  }
  KeepOutEdgesIfNeeded(g);
  NodeRates(net, type, vul, options, g);
}

}  // namespace riskd::engine
