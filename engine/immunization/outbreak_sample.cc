#include "engine/immunization/outbreak_sample.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace riskd::engine::immunization {
namespace {

constexpr std::int32_t kUnreached = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kBlocked = -1;  // recovered at t = 0: never disrupted

// Rate of the exponential whose floor + 1 is geometric with per-step
// success probability p (as in engine/monte_carlo.cc).
}  // namespace

OutbreakSample::OutbreakSample(const TransmissionGraph& graph, const InitialState& initial,
                               const OutbreakSampleOptions& options)
    : graph_(graph),
      rng_(options.seed),
      horizon_(options.horizon),
      interrupt_(options.interrupt != nullptr && *options.interrupt ? options.interrupt : nullptr) {
  const std::size_t n = graph.node_count;
  hit_count_.assign(n, 0);
  subtree_total_.assign(n, 0);
  position_.assign(n, -1);
  onset_.assign(n, kUnreached);
  infector_.assign(n, kNoNode);
  buckets_.resize(static_cast<std::size_t>(horizon_) + 1);
  for (NodeIndex v = 0; v < n; ++v) {
    if (initial.p_s[v] < 1) sampled_.push_back(v);
  }
  // Drawing reads an edge id per arc it draws: on a one-way graph (no ids
  // stored) finding each in its target's in-row made a plan 20-25% slower
  // (bench/README.md, "`loadmem2` branch"); the ids are built once here
  // and held while drawing only. A graph that stores them is read as is.
  if (graph.out_edges.empty()) out_ids_ = OutEdgeIds(graph);
  forests_.reserve(options.realizations);
  for (std::uint32_t k = 0; k < options.realizations; ++k) {
    if (k >= options.min_realizations && work_ > options.max_work) break;
    if (!Draw(initial, k)) {
      interrupted_ = true;
      break;
    }
  }
  interrupt_ = nullptr;
  // Only drawing reads these: the steps need the forests, not them.
  std::vector<std::int32_t>().swap(position_);
  std::vector<std::int32_t>().swap(onset_);
  std::vector<NodeIndex>().swap(infector_);
  std::vector<NodeIndex>().swap(reached_);
  std::vector<NodeIndex>().swap(sampled_);
  std::vector<EdgeIndex>().swap(out_ids_);
  ListHits();
}

void OutbreakSample::ListHits() {
  const std::size_t n = hit_count_.size();
  hit_first_.assign(n + 1, 0);
  for (std::size_t v = 0; v < n; ++v) hit_first_[v + 1] = hit_first_[v] + hit_count_[v];
  hit_list_.resize(hit_first_[n]);
  // Realizations in order, so every node's list is ascending.
  std::vector<std::uint32_t> cursor(hit_first_.begin(), hit_first_.end() - 1);
  for (std::uint32_t k = 0; k < forests_.size(); ++k) {
    for (const Entry& e : forests_[k].entries) hit_list_[cursor[e.node]++] = k;
  }
}

double OutbreakSample::mean_disrupted() const {
  return forests_.empty()
             ? 0.0
             : static_cast<double>(total_disrupted_) / static_cast<double>(forests_.size());
}

std::uint32_t OutbreakSample::size(std::uint32_t k) const {
  return static_cast<std::uint32_t>(forests_[k].entries.size());
}

std::vector<NodeIndex> OutbreakSample::DisruptedNodes() const {
  std::vector<NodeIndex> out;
  for (NodeIndex v = 0; v < hit_count_.size(); ++v) {
    if (hit_count_[v] > 0) out.push_back(v);
  }
  return out;
}

namespace {
std::size_t Slot(NodeIndex v, std::size_t mask) {
  return static_cast<std::size_t>((std::uint64_t{v} * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}
}  // namespace

void OutbreakSample::Forest::Index() {
  std::size_t slots = 4;
  while (10 * entries.size() > 7 * slots) slots *= 2;
  where.assign(slots, kNone);
  for (std::uint32_t x = 0; x < entries.size(); ++x) {
    std::size_t s = Slot(entries[x].node, slots - 1);
    while (where[s] != kNone) s = (s + 1) & (slots - 1);
    where[s] = x;
  }
}

std::uint32_t OutbreakSample::Forest::Find(NodeIndex v) const {
  const std::size_t mask = where.size() - 1;
  for (std::size_t s = Slot(v, mask);; s = (s + 1) & mask) {
    if (where[s] == kNone || entries[where[s]].node == v) return where[s];
  }
}

std::span<const std::uint32_t> OutbreakSample::Hits(NodeIndex v) {
  std::uint32_t* const list = hit_list_.data() + hit_first_[v];
  const std::uint32_t listed = hit_first_[v + 1] - hit_first_[v];
  const std::uint32_t count = hit_count_[v];
  // Past the true ones a realization (not kNone) means some are stale.
  if (count < listed && list[count] != kNone) {
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < listed && list[i] != kNone; ++i) {
      if (forests_[list[i]].Find(v) != kNone) list[kept++] = list[i];
    }
    std::fill(list + kept, list + listed, kNone);
  }
  return {list, count};
}

void OutbreakSample::Push(std::uint32_t x, int t) {
  buckets_[static_cast<std::size_t>(t)].push_back(x);
}

// Realization k from scratch: a bucket queue over t = 0..T, as in
// engine/monte_carlo.cc, recording who infected whom.
bool OutbreakSample::Draw(const InitialState& initial, std::uint32_t k) {
  const TransmissionGraph& g = graph_;
  auto reach = [&](NodeIndex v, int t, NodeIndex infector) {
    if (onset_[v] == kUnreached) reached_.push_back(v);
    onset_[v] = t;
    infector_[v] = infector;
    Push(v, t);
  };
  for (NodeIndex v : sampled_) {
    const double u = rng_.Uniform(k, RandomStream::kInitialState, v);
    if (u <= initial.p_i[v]) {
      reach(v, 0, kNoNode);
    } else if (u <= initial.p_i[v] + initial.p_r[v] || initial.p_s[v] == 0) {
      onset_[v] = kBlocked;
      reached_.push_back(v);
    }
  }
  Forest drawn;
  std::vector<std::uint32_t> infectious;
  auto forget_reached = [&] {
    for (NodeIndex v : reached_) {
      onset_[v] = kUnreached;
      infector_[v] = kNoNode;
    }
    reached_.clear();
  };
  for (int t = 0; t <= horizon_; ++t) {
    // Once per step: a large outbreak takes a few ms per step.
    if (interrupt_ != nullptr && (*interrupt_)()) {
      for (auto& later : buckets_) later.clear();
      forget_reached();
      return false;
    }
    auto& bucket = buckets_[static_cast<std::size_t>(t)];
    for (std::size_t b = 0; b < bucket.size(); ++b) {
      const NodeIndex v = bucket[b];
      if (onset_[v] != t) continue;  // superseded by an earlier onset
      const auto d = static_cast<int>(StepsFromDelay(
          rng_.Exponential(GeometricRate(g.q[v]), k, RandomStream::kInfectious, v), horizon_));
      drawn.entries.push_back({.node = v,
                               .parent = infector_[v],  // a node until FindArcs
                               .root = kNoNode,
                               .size = 1,
                               .arc_begin = 0,
                               .arc_end = 0,
                               .onset = static_cast<std::uint32_t>(t)});
      infectious.push_back(static_cast<std::uint32_t>(d));
      const EdgeIndex* out =
          (g.out_edges.empty() ? out_ids_ : g.out_edges).data() + g.out_offsets[v];
      const auto targets = g.successors(v);
      work_ += targets.size();
      for (std::size_t x = 0; x < targets.size(); ++x) {
        const NodeIndex j = targets[x];
        const int earliest = t + 1 + g.latency[j];
        if (earliest > horizon_ || onset_[j] <= earliest) continue;  // includes kBlocked
        // The edge's id only for an arc drawn (found in j's in-row on a
        // one-way graph, TransmissionGraph::out_edges).
        const auto steps = static_cast<int>(StepsFromDelay(
            rng_.Exponential(GeometricRate(g.p[out[x]]), k, RandomStream::kTransmission, v, j),
            horizon_));
        if (steps > d) continue;
        const int onset = t + steps + g.latency[j];
        if (onset > horizon_ || onset >= onset_[j]) continue;
        reach(j, onset, v);
      }
    }
    bucket.clear();
  }
  forget_reached();
  FindArcs(k, infectious, &drawn);
  Forest forest = Build(drawn);
  for (const Entry& e : forest.entries) ++hit_count_[e.node];
  Count(forest, +1);
  forests_.push_back(std::move(forest));
  return true;
}

// Every edge v -> y between disrupted nodes is live when K_vy <= D_v, and
// matters only if it arrives by T: K_vy <= T - a_v - L_y. Since
// K = floor(-ln(u) / rate) + 1, K <= m iff -ln(u) < rate * m, and as
// -ln(u) >= 1 - u, any u with 1 - u clearly above rate * m fails without a
// logarithm (most edges, when rates are small).
void OutbreakSample::FindArcs(std::uint32_t k, const std::vector<std::uint32_t>& infectious,
                              Forest* drawn) {
  const TransmissionGraph& g = graph_;
  auto& entries = drawn->entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    position_[entries[i].node] = static_cast<std::int32_t>(i);
  }
  for (Entry& y : entries) {
    if (y.parent != kNoNode) y.parent = static_cast<std::uint32_t>(position_[y.parent]);
    y.arc_begin = static_cast<std::uint32_t>(drawn->arcs.size());
    const int latency = g.latency[y.node];
    work_ += g.in_end(y.node) - g.in_begin(y.node);
    for (EdgeIndex e = g.in_begin(y.node); e < g.in_end(y.node); ++e) {
      const std::int32_t pv = position_[g.source[e]];
      const double rate = GeometricRate(g.p[e]);
      if (pv < 0 || !(rate > 0)) continue;
      const auto i = static_cast<std::uint32_t>(pv);
      const int most = std::min(static_cast<int>(infectious[i]),
                                horizon_ - static_cast<int>(entries[i].onset) - latency);
      if (most < 1) continue;
      const double u = rng_.Uniform(k, RandomStream::kTransmission, g.source[e], y.node);
      if (1 - u > rate * most * (1 + 1e-9)) continue;
      const auto steps = static_cast<int>(StepsFromDelay(-std::log(u) / rate, horizon_));
      if (steps > most) continue;
      drawn->arcs.push_back({i, static_cast<std::uint32_t>(steps + latency)});
    }
    y.arc_end = static_cast<std::uint32_t>(drawn->arcs.size());
  }
  for (const Entry& y : entries) position_[y.node] = -1;
}

OutbreakSample::Forest OutbreakSample::Build(const Forest& in) {
  const auto& entries = in.entries;
  const std::size_t n = entries.size();
  // Children of each kept entry, as a CSR over entry indices.
  first_.assign(n + 1, 0);
  for (const Entry& e : entries) {
    if (e.node != kNoNode && e.parent != kNone) ++first_[e.parent + 1];
  }
  for (std::size_t i = 0; i < n; ++i) first_[i + 1] += first_[i];
  children_.resize(first_[n]);
  renumber_.assign(first_.begin(), first_.end() - 1);  // fill cursors for now
  for (std::uint32_t i = 0; i < n; ++i) {
    if (entries[i].node != kNoNode && entries[i].parent != kNone) {
      children_[renumber_[entries[i].parent]++] = i;
    }
  }
  renumber_.assign(n, kNone);  // entry of `in` -> entry of the result
  Forest out;
  out.entries.reserve(n);
  for (std::uint32_t r = 0; r < n; ++r) {
    if (entries[r].node == kNoNode || entries[r].parent != kNone) continue;
    stack_.push_back(r);
    while (!stack_.empty()) {
      const std::uint32_t i = stack_.back();
      stack_.pop_back();
      Entry e = entries[i];
      renumber_[i] = static_cast<std::uint32_t>(out.entries.size());
      if (e.parent == kNone) {
        e.root = e.node;
      } else {
        e.parent = renumber_[e.parent];
        e.root = out.entries[e.parent].root;
      }
      e.size = 1;
      out.entries.push_back(e);
      for (std::uint32_t c = first_[i + 1]; c > first_[i]; --c) stack_.push_back(children_[c - 1]);
    }
  }
  // Arcs in the new order, from kept sources only (at most all of them:
  // allocated once, not grown by doubling).
  out.arcs.reserve(in.arcs.size());
  for (Entry& e : out.entries) {
    const std::uint32_t begin = static_cast<std::uint32_t>(out.arcs.size());
    for (std::uint32_t a = e.arc_begin; a < e.arc_end; ++a) {
      const std::uint32_t source = renumber_[in.arcs[a].source];
      if (source != kNone) out.arcs.push_back({source, in.arcs[a].delay});
    }
    e.arc_begin = begin;
    e.arc_end = static_cast<std::uint32_t>(out.arcs.size());
  }
  // Children follow their parent in preorder: accumulate sizes backwards.
  for (std::size_t x = out.entries.size(); x-- > 0;) {
    const Entry& e = out.entries[x];
    if (e.parent != kNone) out.entries[e.parent].size += e.size;
  }
  out.Index();
  return out;
}

void OutbreakSample::Count(const Forest& forest, int sign) {
  for (const Entry& e : forest.entries) {
    if (sign > 0) {
      subtree_total_[e.node] += e.size;
    } else {
      subtree_total_[e.node] -= e.size;
    }
  }
  if (sign > 0) {
    total_disrupted_ += forest.entries.size();
  } else {
    total_disrupted_ -= forest.entries.size();
  }
}

// Shortest paths inside the subtree [lo, hi) of forest k with its top entry
// lo removed. Every other node keeps its onset (its tree path avoids lo),
// so the subtree is entered only over arcs from outside it, and paths
// inside it only use arcs between its own nodes.
std::uint32_t OutbreakSample::Reroute(std::uint32_t k, std::uint32_t p, bool record) {
  const Forest& f = forests_[k];
  const auto& entries = f.entries;
  const std::uint32_t lo = p, hi = p + entries[p].size, n = hi - lo;
  if (n == 1) return 0;
  best_.assign(n, kUnreached);
  if (record) parent_.assign(n, kNone);
  inner_first_.assign(n + 1, 0);
  // Arcs from outside seed the search; arcs inside are counted by source.
  for (std::uint32_t x = lo + 1; x < hi; ++x) {
    const std::uint32_t xo = x - lo;
    work_ += entries[x].arc_end - entries[x].arc_begin;
    for (std::uint32_t a = entries[x].arc_begin; a < entries[x].arc_end; ++a) {
      const Arc& arc = f.arcs[a];
      if (arc.source >= lo && arc.source < hi) {
        if (arc.source != lo) ++inner_first_[arc.source - lo + 1];
        continue;
      }
      const auto onset = static_cast<std::int32_t>(entries[arc.source].onset + arc.delay);
      if (onset > horizon_ || onset >= best_[xo]) continue;
      best_[xo] = onset;
      if (record) parent_[xo] = arc.source;
      Push(xo, onset);
    }
  }
  for (std::uint32_t i = 0; i < n; ++i) inner_first_[i + 1] += inner_first_[i];
  inner_.resize(inner_first_[n]);
  for (std::uint32_t x = lo + 1; x < hi; ++x) {
    for (std::uint32_t a = entries[x].arc_begin; a < entries[x].arc_end; ++a) {
      const Arc& arc = f.arcs[a];
      if (arc.source <= lo || arc.source >= hi) continue;
      inner_[inner_first_[arc.source - lo]++] = {x - lo, arc.delay};
    }
  }
  // inner_first_[i] now ends source i's arcs; they start where i - 1's end.
  std::uint32_t reached = 0;
  for (int t = 1; t <= horizon_; ++t) {
    auto& bucket = buckets_[static_cast<std::size_t>(t)];
    for (std::size_t b = 0; b < bucket.size(); ++b) {
      const std::uint32_t xo = bucket[b];
      if (best_[xo] != t) continue;
      ++reached;
      for (std::uint32_t a = inner_first_[xo - 1]; a < inner_first_[xo]; ++a) {
        const std::uint32_t xj = inner_[a].source;
        const auto onset =
            static_cast<std::int32_t>(static_cast<std::uint32_t>(t) + inner_[a].delay);
        if (onset > horizon_ || onset >= best_[xj]) continue;
        best_[xj] = onset;
        if (record) parent_[xj] = lo + xo;
        Push(xj, onset);
      }
    }
    bucket.clear();
  }
  return reached;
}

std::vector<std::uint64_t> OutbreakSample::Saved(std::span<const NodeIndex> candidates) {
  std::vector<std::uint64_t> saved(candidates.size(), 0);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    for (std::uint32_t k : Hits(candidates[c])) {
      const std::uint32_t p = forests_[k].Find(candidates[c]);
      saved[c] += forests_[k].entries[p].size - Reroute(k, p, false);
    }
  }
  return saved;
}

ProtectOutcome OutbreakSample::Protect(NodeIndex v) {
  ProtectOutcome outcome;
  // Nothing below changes the lists (only the counts).
  const std::span<const std::uint32_t> realizations = Hits(v);
  outcome.hits = static_cast<std::uint32_t>(realizations.size());
  std::vector<std::pair<NodeIndex, std::uint32_t>> origins;  // (source, count)
  for (std::uint32_t k : realizations) {
    Forest& f = forests_[k];
    const std::uint32_t p = f.Find(v);
    const std::uint32_t lo = p, hi = p + f.entries[p].size;
    const NodeIndex root = f.entries[p].root;
    auto origin = std::find_if(origins.begin(), origins.end(),
                               [&](const auto& o) { return o.first == root; });
    if (origin == origins.end()) {
      origins.emplace_back(root, 1);
    } else {
      ++origin->second;
    }
    const std::uint32_t reached = Reroute(k, p, true);
    outcome.saved += f.entries[p].size - reached;
    Count(f, -1);
    // Drop v and the nodes it saves; reattach the others.
    for (std::uint32_t x = lo; x < hi; ++x) {
      Entry& e = f.entries[x];
      const std::uint32_t xo = x - lo;
      if (x == lo || best_[xo] == kUnreached) {
        --hit_count_[e.node];
        e.node = kNoNode;
        continue;
      }
      e.parent = parent_[xo];
      e.onset = static_cast<std::uint32_t>(best_[xo]);
    }
    f = Build(f);
    Count(f, +1);
  }
  for (const auto& [source, count] : origins) {
    if (count > outcome.origin_hits || (count == outcome.origin_hits && source < outcome.origin)) {
      outcome.origin = source;
      outcome.origin_hits = count;
    }
  }
  return outcome;
}

}  // namespace riskd::engine::immunization
