#include "engine/network.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace riskd::engine {

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kMaterial:
      return "material";
    case Layer::kData:
      return "data";
    case Layer::kFinancial:
      return "financial";
  }
  return "unknown";
}

Status ValidateNodeAttributes(const NodeAttributes& a) {
  if (a.id.empty() || a.id.size() > 256) {
    return Status::InvalidArgument("node id must be 1..256 bytes");
  }
  if (a.location) {
    const GeoPoint& p = *a.location;
    if (!std::isfinite(p.lat) || !std::isfinite(p.lon) || std::fabs(p.lat) > 90 ||
        std::fabs(p.lon) > 180) {
      return Status::InvalidArgument("node '" + a.id + "': location out of range");
    }
  }
  if (!std::isfinite(a.inventory_days) || a.inventory_days < 0) {
    return Status::InvalidArgument("node '" + a.id + "': inventory_days must be finite and >= 0");
  }
  if (a.value && (!std::isfinite(*a.value) || *a.value < 0)) {
    return Status::InvalidArgument("node '" + a.id + "': value must be finite and >= 0");
  }
  return Status::Ok();
}

Status ValidateEdgeWeight(double weight) {
  if (!std::isfinite(weight) || weight <= 0) {
    return Status::InvalidArgument("edge weight must be finite and > 0");
  }
  return Status::Ok();
}

Result<NodeIndex> Network::AddNode(NodeAttributes attrs) {
  RISKD_RETURN_IF_ERROR(ValidateNodeAttributes(attrs));
  if (nodes_.Find(attrs.id)) {
    return Status::AlreadyExists("node '" + attrs.id + "' already exists");
  }
  if (attrs.name.empty()) attrs.name = attrs.id;
  const NodeIndex n = nodes_.Add(attrs);
  alive_.push_back(1);
  ++alive_count_;
  ++version_;
  return n;
}

Status Network::UpdateNode(NodeAttributes attrs) {
  RISKD_RETURN_IF_ERROR(ValidateNodeAttributes(attrs));
  auto n = Find(attrs.id);
  if (!n) return Status::NotFound("node '" + attrs.id + "' is not in the network");
  if (attrs.name.empty()) attrs.name = attrs.id;
  nodes_.Replace(*n, attrs);
  ++version_;
  return Status::Ok();
}

Status Network::RemoveNode(std::string_view id) {
  auto found = Find(id);
  if (!found) return Status::NotFound("node '" + std::string(id) + "' is not in the network");
  const NodeIndex n = *found;
  // Its edges (CSR and overlay) leave the count now and the CSR at the next
  // Compact(), which drops every edge of a dead node: no rebuild per removal.
  edge_count_ -= EdgesOf(n).size();
  alive_[n] = 0;
  --alive_count_;
  nodes_.Unindex(n);
  removed_nodes_pending_ = true;
  ++version_;
  return Status::Ok();
}

std::vector<Edge> Network::EdgesOf(NodeIndex n) const {
  std::vector<Edge> out;
  if (!alive(n)) return out;
  auto add = [&](NodeIndex from, NodeIndex to, Layer layer) {
    // The CSR may be stale: the overlay and liveness decide.
    if (const auto w = FindEdge(from, to, layer)) out.push_back({from, to, layer, *w});
  };
  auto pending_at = [&](NodeIndex from, NodeIndex to, std::uint8_t layer) {
    const auto p = pending_.find({from, to, layer});
    return p == pending_.end() ? nullptr : &*p;
  };
  if (n + 1 < out_offsets_.size()) {
    for (EdgeIndex e = out_begin(n); e < out_end(n); ++e) {
      if (!pending_at(n, out_targets_[e], layer_code(e))) add(n, out_targets_[e], edge_layer(e));
    }
  }
  if (n + 1 < in_offsets_.size()) {
    const std::span<const NodeIndex> sources = in_sources(n);
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const EdgeIndex e = in_edge(n, k);
      if (!pending_at(sources[k], n, layer_code(e))) add(sources[k], n, edge_layer(e));
    }
  }
  // Overlay entries (added or re-weighted; removals add nothing), by key
  // range: out-edges in pending_, in-edges in pending_in_ (a coalesced
  // drain leaves tens of thousands of entries: no scan).
  const EdgeKey first{n, 0, 0};
  for (auto it = pending_.lower_bound(first); it != pending_.end(); ++it) {
    const auto& [from, to, layer] = it->first;
    if (from != n) break;
    if (it->second) add(from, to, static_cast<Layer>(layer));
  }
  for (auto it = pending_in_.lower_bound(first); it != pending_in_.end(); ++it) {
    const auto& [to, from, layer] = *it;
    if (to != n) break;
    const auto p = pending_.find({from, to, layer});
    if (p->second) add(from, to, static_cast<Layer>(layer));
  }
  return out;
}

void Network::SetPending(const EdgeKey& key, std::optional<double> weight) {
  pending_[key] = weight;
  const auto& [from, to, layer] = key;
  pending_in_.insert({to, from, layer});
}

Status Network::AddEdge(NodeIndex from, NodeIndex to, Layer layer, double weight) {
  RISKD_RETURN_IF_ERROR(ValidateEdgeWeight(weight));
  if (!alive(from) || !alive(to)) return Status::NotFound("edge endpoint is not in the network");
  if (from == to)
    return Status::InvalidArgument("self-loop on node '" + std::string(id(from)) + "'");
  if (FindEdge(from, to, layer)) {
    return Status::AlreadyExists("edge '" + std::string(id(from)) + "' -> '" + std::string(id(to)) +
                                 "' (" + std::string(LayerName(layer)) + ") already exists");
  }
  SetPending({from, to, static_cast<std::uint8_t>(layer)}, weight);
  ++edge_count_;
  ++version_;
  return Status::Ok();
}

Status Network::ResolvePair(std::string_view from, std::string_view to, NodeIndex* f,
                            NodeIndex* t) const {
  auto a = Find(from);
  if (!a) return Status::NotFound("node '" + std::string(from) + "' is not in the network");
  auto b = Find(to);
  if (!b) return Status::NotFound("node '" + std::string(to) + "' is not in the network");
  *f = *a;
  *t = *b;
  return Status::Ok();
}

Status Network::AddEdge(std::string_view from, std::string_view to, Layer layer, double weight) {
  NodeIndex f, t;
  RISKD_RETURN_IF_ERROR(ResolvePair(from, to, &f, &t));
  return AddEdge(f, t, layer, weight);
}

Status Network::RemoveEdge(std::string_view from, std::string_view to, Layer layer) {
  NodeIndex f, t;
  RISKD_RETURN_IF_ERROR(ResolvePair(from, to, &f, &t));
  if (!FindEdge(f, t, layer)) {
    return Status::NotFound("edge '" + std::string(from) + "' -> '" + std::string(to) + "' (" +
                            std::string(LayerName(layer)) + ") does not exist");
  }
  SetPending({f, t, static_cast<std::uint8_t>(layer)}, std::nullopt);
  --edge_count_;
  ++version_;
  return Status::Ok();
}

Status Network::SetEdgeWeight(std::string_view from, std::string_view to, Layer layer,
                              double weight) {
  RISKD_RETURN_IF_ERROR(ValidateEdgeWeight(weight));
  NodeIndex f, t;
  RISKD_RETURN_IF_ERROR(ResolvePair(from, to, &f, &t));
  if (!FindEdge(f, t, layer)) {
    return Status::NotFound("edge '" + std::string(from) + "' -> '" + std::string(to) + "' (" +
                            std::string(LayerName(layer)) + ") does not exist");
  }
  SetPending({f, t, static_cast<std::uint8_t>(layer)}, weight);
  ++version_;
  return Status::Ok();
}

std::optional<NodeIndex> Network::Find(std::string_view id) const { return nodes_.Find(id); }

std::optional<EdgeIndex> Network::FindCsrEdge(NodeIndex from, NodeIndex to, Layer layer) const {
  if (from + 1 >= out_offsets_.size()) return std::nullopt;
  const auto first = out_targets_.begin() + out_offsets_[from];
  const auto last = out_targets_.begin() + out_offsets_[from + 1];
  auto it = std::lower_bound(first, last, to);
  for (; it != last && *it == to; ++it) {
    const auto e = static_cast<EdgeIndex>(it - out_targets_.begin());
    if (layer_code(e) == static_cast<std::uint8_t>(layer)) return e;
  }
  return std::nullopt;
}

std::optional<double> Network::FindEdge(NodeIndex from, NodeIndex to, Layer layer) const {
  if (!alive(from) || !alive(to)) return std::nullopt;
  auto p = pending_.find({from, to, static_cast<std::uint8_t>(layer)});
  if (p != pending_.end()) return p->second;
  auto e = FindCsrEdge(from, to, layer);
  if (!e) return std::nullopt;
  return out_weights_[*e];
}

template <typename It, typename Key, typename Weight>
void Network::Rebuild(It first, It last, Key key, Weight weight) {
  const std::size_t n = nodes_.size();
  const std::size_t old_rows = out_offsets_.size() - 1;

  // Merge each old row with its changes; both are ordered by (to, layer),
  // so one pass per row keeps the rows sorted.
  std::vector<EdgeIndex> offsets(n + 1, 0);
  std::vector<NodeIndex> targets;
  std::vector<double> weights;
  std::vector<std::uint8_t> layers;
  targets.reserve(edge_count_);
  weights.reserve(edge_count_);
  layers.reserve(edge_count_);
  auto pend = first;
  for (NodeIndex u = 0; u < n; ++u) {
    offsets[u] = static_cast<EdgeIndex>(targets.size());
    EdgeIndex e = u < old_rows ? out_offsets_[u] : 0;
    const EdgeIndex e_end = u < old_rows ? out_offsets_[u + 1] : 0;
    while (pend != last && std::get<0>(key(*pend)) < u) ++pend;
    auto emit = [&](NodeIndex v, std::uint8_t l, double w) {
      if (!alive_[u] || !alive_[v]) return;
      targets.push_back(v);
      weights.push_back(w);
      layers.push_back(l);
    };
    while (e < e_end || (pend != last && std::get<0>(key(*pend)) == u)) {
      const bool have_pending = pend != last && std::get<0>(key(*pend)) == u;
      const bool have_old = e < e_end;
      if (have_pending && have_old) {
        const auto old_key = std::make_pair(out_targets_[e], layer_code(e));
        const auto new_key = std::make_pair(std::get<1>(key(*pend)), std::get<2>(key(*pend)));
        if (old_key < new_key) {
          emit(out_targets_[e], layer_code(e), out_weights_[e]);
          ++e;
          continue;
        }
        if (old_key == new_key) ++e;  // the pending entry replaces or removes it
      } else if (have_old) {
        emit(out_targets_[e], layer_code(e), out_weights_[e]);
        ++e;
        continue;
      }
      if (const std::optional<double> w = weight(*pend)) {
        emit(std::get<1>(key(*pend)), std::get<2>(key(*pend)), *w);
      }
      ++pend;
    }
  }
  offsets[n] = static_cast<EdgeIndex>(targets.size());
  // The old rows are merged: free them, and the old in-index, before the
  // new in-index is built, so a rebuild never holds two whole CSRs.
  out_offsets_ = SharedArray<EdgeIndex>(std::move(offsets));
  out_targets_ = SharedArray<NodeIndex>(std::move(targets));
  out_weights_ = std::move(weights);
  out_layers_ = std::move(layers);
  if (std::all_of(out_layers_.begin(), out_layers_.end(), [](std::uint8_t l) { return l == 0; })) {
    std::vector<std::uint8_t>().swap(out_layers_);  // all material: layer_code reads 0
  }
  in_offsets_ = SharedArray<EdgeIndex>();
  in_sources_ = SharedArray<NodeIndex>();

  // In-rows: counting sort of edges by target; within a row, sources (then
  // layers) ascend because rows are visited in order.
  const std::size_t m = out_targets_.size();
  std::vector<EdgeIndex> in_offsets(n + 1, 0);
  for (NodeIndex v : out_targets_) ++in_offsets[v + 1];
  std::partial_sum(in_offsets.begin(), in_offsets.end(), in_offsets.begin());
  std::vector<NodeIndex> sources(m);
  std::vector<EdgeIndex> cursor(in_offsets.begin(), in_offsets.end() - 1);
  in_offsets_ = SharedArray<EdgeIndex>(std::move(in_offsets));
  for (NodeIndex u = 0; u < n; ++u) {
    for (EdgeIndex e = out_offsets_[u]; e < out_offsets_[u + 1]; ++e) {
      sources[cursor[out_targets_[e]]++] = u;
    }
  }
  in_sources_ = SharedArray<NodeIndex>(std::move(sources));
}

EdgeIndex Network::in_edge(NodeIndex n, std::size_t k) const {
  const EdgeIndex at = in_offsets_[n] + static_cast<EdgeIndex>(k);
  const NodeIndex u = in_sources_[at];
  // Edges u -> n of several layers sit side by side in both rows, layers
  // ascending: the k-th in-edge is the r-th of them.
  EdgeIndex r = 0;
  while (at - r > in_offsets_[n] && in_sources_[at - r - 1] == u) ++r;
  const auto first = out_targets_.begin() + out_offsets_[u];
  const auto last = out_targets_.begin() + out_offsets_[u + 1];
  return static_cast<EdgeIndex>(std::lower_bound(first, last, n) - out_targets_.begin()) + r;
}

std::vector<EdgeIndex> Network::InEdges() const {
  const std::size_t n = in_offsets_.size() - 1;
  std::vector<EdgeIndex> edges(in_sources_.size());
  std::vector<EdgeIndex> cursor(in_offsets_.begin(), in_offsets_.end() - 1);
  for (NodeIndex u = 0; u < n && u + 1 < out_offsets_.size(); ++u) {
    for (EdgeIndex e = out_offsets_[u]; e < out_offsets_[u + 1]; ++e) {
      edges[cursor[out_targets_[e]]++] = e;
    }
  }
  return edges;
}

void Network::Compact() {
  if (compacted()) return;
  Rebuild(
      pending_.begin(), pending_.end(), [](const auto& p) -> const EdgeKey& { return p.first; },
      [](const auto& p) { return p.second; });
  pending_.clear();
  pending_in_.clear();
  removed_nodes_pending_ = false;
}

Status Network::AddEdges(std::span<const Edge> edges) {
  Compact();
  for (const Edge& e : edges) {
    RISKD_RETURN_IF_ERROR(ValidateEdgeWeight(e.weight));
    if (!alive(e.from) || !alive(e.to))
      return Status::NotFound("edge endpoint is not in the network");
    if (e.from == e.to)
      return Status::InvalidArgument("self-loop on node '" + std::string(id(e.from)) + "'");
    if (FindCsrEdge(e.from, e.to, e.layer)) {
      return Status::AlreadyExists("edge '" + std::string(id(e.from)) + "' -> '" +
                                   std::string(id(e.to)) + "' already exists");
    }
  }
  auto key = [](const Edge& e) {
    return EdgeKey{e.from, e.to, static_cast<std::uint8_t>(e.layer)};
  };
  auto before = [&](const Edge& a, const Edge& b) { return key(a) < key(b); };
  // A sorted batch (importers sort theirs) is merged as it is: a million
  // edges are not copied again.
  std::vector<Edge> sorted;
  std::span<const Edge> batch = edges;
  if (!std::is_sorted(edges.begin(), edges.end(), before)) {
    sorted.assign(edges.begin(), edges.end());
    std::sort(sorted.begin(), sorted.end(), before);
    batch = sorted;
  }
  for (std::size_t k = 1; k < batch.size(); ++k) {
    if (key(batch[k]) == key(batch[k - 1])) {
      return Status::AlreadyExists("edge '" + std::string(id(batch[k].from)) + "' -> '" +
                                   std::string(id(batch[k].to)) + "' listed twice");
    }
  }
  // Counted first: Rebuild reserves edge_count_ entries per array, so the
  // new CSR is allocated once at its final size.
  edge_count_ += batch.size();
  Rebuild(batch.begin(), batch.end(), key,
          [](const Edge& e) { return std::optional<double>(e.weight); });
  if (!batch.empty()) ++version_;
  return Status::Ok();
}

NodeIndex Network::edge_source(EdgeIndex e) const {
  // The last row starting at or before e (empty rows share its start).
  const auto it = std::upper_bound(out_offsets_.begin(), out_offsets_.end(), e);
  return static_cast<NodeIndex>(it - out_offsets_.begin() - 1);
}

std::vector<NodeIndex> Network::EdgeSources() const {
  std::vector<NodeIndex> sources(out_targets_.size());
  for (NodeIndex u = 0; u + 1 < out_offsets_.size(); ++u) {
    std::fill(sources.begin() + out_offsets_[u], sources.begin() + out_offsets_[u + 1], u);
  }
  return sources;
}

std::vector<Edge> Network::Edges() const {
  std::vector<Edge> out;
  out.reserve(out_targets_.size());
  for (NodeIndex u = 0; u + 1 < out_offsets_.size(); ++u) {
    for (EdgeIndex e = out_offsets_[u]; e < out_offsets_[u + 1]; ++e) {
      out.push_back({u, out_targets_[e], edge_layer(e), out_weights_[e]});
    }
  }
  return out;
}

void Network::ShrinkToFit() {
  nodes_.ShrinkToFit();
  alive_.shrink_to_fit();
  out_offsets_.ShrinkToFit();
  out_targets_.ShrinkToFit();
  out_weights_.shrink_to_fit();
  out_layers_.shrink_to_fit();
  in_offsets_.ShrinkToFit();
  in_sources_.ShrinkToFit();
}

std::size_t Network::MemoryBytes() const {
  std::size_t bytes = nodes_.MemoryBytes() + alive_.capacity();
  // The shared index arrays count whether or not a transmission graph
  // holds them too (TransmissionGraph::MemoryBytes does not count them then).
  bytes += out_offsets_.CapacityBytes() + out_targets_.CapacityBytes() +
           out_weights_.capacity() * sizeof(double) + out_layers_.capacity() +
           in_offsets_.CapacityBytes() + in_sources_.CapacityBytes();
  return bytes;
}

}  // namespace riskd::engine
