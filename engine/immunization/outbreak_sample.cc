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
double GeometricRate(double p) {
  if (p >= 1) return std::numeric_limits<double>::infinity();
  return -std::log1p(-p);
}

}  // namespace

OutbreakSample::OutbreakSample(const TransmissionGraph& graph, const InitialState& initial,
                               const OutbreakSampleOptions& options)
    : graph_(graph), rng_(options.seed), horizon_(options.horizon) {
  const std::size_t n = graph.node_count;
  hits_.resize(n);
  subtree_total_.assign(n, 0);
  position_.assign(n, -1);
  onset_.assign(n, kUnreached);
  infector_.assign(n, kNoNode);
  buckets_.resize(static_cast<std::size_t>(horizon_) + 1);
  for (NodeIndex v = 0; v < n; ++v) {
    if (initial.p_s[v] < 1) sampled_.push_back(v);
  }
  forests_.reserve(options.realizations);
  for (std::uint32_t k = 0; k < options.realizations; ++k) {
    if (k >= options.min_realizations && work_ > options.max_work) break;
    Draw(initial, k);
  }
}

double OutbreakSample::mean_disrupted() const {
  return forests_.empty() ? 0.0
                          : static_cast<double>(total_disrupted_) / static_cast<double>(forests_.size());
}

std::uint32_t OutbreakSample::size(std::uint32_t k) const {
  return static_cast<std::uint32_t>(forests_[k].size());
}

std::vector<NodeIndex> OutbreakSample::DisruptedNodes() const {
  std::vector<NodeIndex> out;
  for (NodeIndex v = 0; v < hits_.size(); ++v) {
    if (!hits_[v].empty()) out.push_back(v);
  }
  return out;
}

int OutbreakSample::Steps(double rate, std::uint32_t k, RandomStream stream, NodeIndex a,
                          NodeIndex b) const {
  return static_cast<int>(StepsFromDelay(rng_.Exponential(rate, k, stream, a, b), horizon_));
}

void OutbreakSample::Push(std::uint32_t x, int t) {
  buckets_[static_cast<std::size_t>(t)].push_back(x);
}

// Realization k from scratch: a bucket queue over t = 0..T, as in
// engine/monte_carlo.cc, recording who infected whom.
void OutbreakSample::Draw(const InitialState& initial, std::uint32_t k) {
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
  Forest entries;
  for (int t = 0; t <= horizon_; ++t) {
    auto& bucket = buckets_[static_cast<std::size_t>(t)];
    for (std::size_t b = 0; b < bucket.size(); ++b) {
      const NodeIndex v = bucket[b];
      if (onset_[v] != t) continue;  // superseded by an earlier onset
      const int infectious = Steps(GeometricRate(g.q[v]), k, RandomStream::kInfectious, v);
      entries.push_back({v, infector_[v], kNoNode, 1, static_cast<std::uint16_t>(t),
                         static_cast<std::uint16_t>(infectious)});
      const auto out = g.out(v);
      work_ += out.size();
      for (EdgeIndex e : out) {
        const NodeIndex j = g.target[e];
        const int earliest = t + 1 + g.latency[j];
        if (earliest > horizon_ || onset_[j] <= earliest) continue;  // includes kBlocked
        const int steps = Steps(g.rate[e], k, RandomStream::kTransmission, v, j);
        if (steps > infectious) continue;
        const int onset = t + steps + g.latency[j];
        if (onset > horizon_ || onset >= onset_[j]) continue;
        reach(j, onset, v);
      }
    }
    bucket.clear();
  }
  for (NodeIndex v : reached_) {
    onset_[v] = kUnreached;
    infector_[v] = kNoNode;
  }
  reached_.clear();
  Forest forest = Build(entries);
  for (const Entry& e : forest) hits_[e.node].push_back(k);
  Count(forest, +1);
  forests_.push_back(std::move(forest));
}

OutbreakSample::Forest OutbreakSample::Build(const Forest& entries) {
  const std::size_t n = entries.size();
  for (std::size_t i = 0; i < n; ++i) position_[entries[i].node] = static_cast<std::int32_t>(i);
  // Children of each entry, as a CSR over entry indices.
  std::vector<std::uint32_t> first(n + 1, 0), children(n);
  for (const Entry& e : entries) {
    if (e.parent != kNoNode) ++first[static_cast<std::size_t>(position_[e.parent]) + 1];
  }
  for (std::size_t i = 0; i < n; ++i) first[i + 1] += first[i];
  std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].parent != kNoNode) {
      children[fill[static_cast<std::size_t>(position_[entries[i].parent])]++] =
          static_cast<std::uint32_t>(i);
    }
  }
  Forest out;
  out.reserve(n);
  std::vector<std::uint32_t> stack;
  for (std::size_t r = 0; r < n; ++r) {
    if (entries[r].parent != kNoNode) continue;
    stack.push_back(static_cast<std::uint32_t>(r));
    while (!stack.empty()) {
      const std::uint32_t i = stack.back();
      stack.pop_back();
      Entry e = entries[i];
      e.root = e.parent == kNoNode ? e.node : out[static_cast<std::size_t>(position_[e.parent])].root;
      e.size = 1;
      position_[e.node] = static_cast<std::int32_t>(out.size());  // now: preorder position
      out.push_back(e);
      for (std::uint32_t c = first[i + 1]; c > first[i]; --c) stack.push_back(children[c - 1]);
    }
  }
  // Children follow their parent in preorder: accumulate sizes backwards.
  for (std::size_t x = n; x-- > 0;) {
    if (out[x].parent != kNoNode) out[static_cast<std::size_t>(position_[out[x].parent])].size += out[x].size;
  }
  for (const Entry& e : out) position_[e.node] = -1;
  return out;
}

void OutbreakSample::Count(const Forest& forest, int sign) {
  for (const Entry& e : forest) {
    if (sign > 0) {
      subtree_total_[e.node] += e.size;
    } else {
      subtree_total_[e.node] -= e.size;
    }
  }
  if (sign > 0) {
    total_disrupted_ += forest.size();
  } else {
    total_disrupted_ -= forest.size();
  }
}

void OutbreakSample::Index(std::uint32_t k) {
  const Forest& f = forests_[k];
  for (std::size_t x = 0; x < f.size(); ++x) position_[f[x].node] = static_cast<std::int32_t>(x);
}

void OutbreakSample::Unindex(std::uint32_t k) {
  for (const Entry& e : forests_[k]) position_[e.node] = -1;
}

// Shortest paths inside the subtree [lo, hi) of forest k with its top entry
// lo removed. Every other node keeps its onset (its tree path avoids lo),
// so the subtree is entered only over in-edges from outside it, and paths
// inside it only need edges between its own nodes.
std::uint32_t OutbreakSample::Reroute(std::uint32_t k, std::uint32_t p, bool record) {
  const TransmissionGraph& g = graph_;
  const Forest& f = forests_[k];
  const std::uint32_t lo = p, hi = p + f[p].size, n = hi - lo;
  if (n == 1) return 0;
  best_.assign(n, kUnreached);
  if (record) parent_.assign(n, kNoNode);
  auto inside = [&](std::int32_t position) {
    return position >= static_cast<std::int32_t>(lo) && position < static_cast<std::int32_t>(hi);
  };
  for (std::uint32_t x = lo + 1; x < hi; ++x) {
    const NodeIndex y = f[x].node;
    const int latency = g.latency[y];
    const std::uint32_t xo = x - lo;
    work_ += g.in_end(y) - g.in_begin(y);
    for (EdgeIndex e = g.in_begin(y); e < g.in_end(y); ++e) {
      const NodeIndex v = g.source[e];
      const std::int32_t pv = position_[v];
      if (pv < 0 || inside(pv)) continue;
      const Entry& from = f[static_cast<std::size_t>(pv)];
      const int earliest = from.onset + 1 + latency;
      if (earliest > horizon_ || earliest >= best_[xo]) continue;
      const int steps = Steps(g.rate[e], k, RandomStream::kTransmission, v, y);
      if (steps > from.infectious) continue;
      const int onset = from.onset + steps + latency;
      if (onset > horizon_ || onset >= best_[xo]) continue;
      best_[xo] = onset;
      if (record) parent_[xo] = v;
      Push(xo, onset);
    }
  }
  std::uint32_t reached = 0;
  for (int t = 1; t <= horizon_; ++t) {
    auto& bucket = buckets_[static_cast<std::size_t>(t)];
    for (std::size_t b = 0; b < bucket.size(); ++b) {
      const std::uint32_t xo = bucket[b];
      if (best_[xo] != t) continue;
      ++reached;
      const Entry& from = f[lo + xo];
      const auto out = g.out(from.node);
      work_ += out.size();
      for (EdgeIndex e : out) {
        const NodeIndex j = g.target[e];
        const std::int32_t pj = position_[j];
        if (!inside(pj) || pj == static_cast<std::int32_t>(lo)) continue;
        const std::uint32_t xj = static_cast<std::uint32_t>(pj) - lo;
        const int earliest = t + 1 + g.latency[j];
        if (earliest > horizon_ || earliest >= best_[xj]) continue;
        const int steps = Steps(g.rate[e], k, RandomStream::kTransmission, from.node, j);
        if (steps > from.infectious) continue;
        const int onset = t + steps + g.latency[j];
        if (onset > horizon_ || onset >= best_[xj]) continue;
        best_[xj] = onset;
        if (record) parent_[xj] = from.node;
        Push(xj, onset);
      }
    }
    bucket.clear();
  }
  return reached;
}

std::vector<std::uint64_t> OutbreakSample::Saved(std::span<const NodeIndex> candidates) {
  // Realization-major, so each forest is indexed once for all candidates.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> visits;  // (realization, candidate)
  for (std::uint32_t c = 0; c < candidates.size(); ++c) {
    for (std::uint32_t k : hits_[candidates[c]]) visits.emplace_back(k, c);
  }
  std::sort(visits.begin(), visits.end());
  std::vector<std::uint64_t> saved(candidates.size(), 0);
  for (std::size_t i = 0; i < visits.size();) {
    const std::uint32_t k = visits[i].first;
    Index(k);
    for (; i < visits.size() && visits[i].first == k; ++i) {
      const std::uint32_t c = visits[i].second;
      const auto p = static_cast<std::uint32_t>(position_[candidates[c]]);
      saved[c] += forests_[k][p].size - Reroute(k, p, false);
    }
    Unindex(k);
  }
  return saved;
}

void OutbreakSample::DropHit(NodeIndex v, std::uint32_t k) {
  auto& list = hits_[v];
  const auto it = std::find(list.begin(), list.end(), k);
  *it = list.back();
  list.pop_back();
}

ProtectOutcome OutbreakSample::Protect(NodeIndex v) {
  ProtectOutcome outcome;
  const std::vector<std::uint32_t> realizations = hits_[v];
  outcome.hits = static_cast<std::uint32_t>(realizations.size());
  std::vector<std::pair<NodeIndex, std::uint32_t>> origins;  // (source, count)
  for (std::uint32_t k : realizations) {
    Index(k);
    const auto p = static_cast<std::uint32_t>(position_[v]);
    const Forest& f = forests_[k];
    const std::uint32_t lo = p, hi = p + f[p].size;
    auto origin = std::find_if(origins.begin(), origins.end(),
                               [&](const auto& o) { return o.first == f[p].root; });
    if (origin == origins.end()) {
      origins.emplace_back(f[p].root, 1);
    } else {
      ++origin->second;
    }
    const std::uint32_t reached = Reroute(k, p, true);
    outcome.saved += f[p].size - reached;
    Forest kept;
    kept.reserve(f.size() - (f[p].size - reached));
    for (std::uint32_t x = 0; x < f.size(); ++x) {
      if (x >= lo && x < hi) continue;
      kept.push_back(f[x]);
    }
    for (std::uint32_t x = lo + 1; x < hi; ++x) {
      const std::uint32_t xo = x - lo;
      if (best_[xo] == kUnreached) {
        DropHit(f[x].node, k);
        continue;
      }
      Entry e = f[x];
      e.parent = parent_[xo];
      e.onset = static_cast<std::uint16_t>(best_[xo]);
      kept.push_back(e);
    }
    DropHit(v, k);
    Unindex(k);
    Count(f, -1);
    forests_[k] = Build(kept);
    Count(forests_[k], +1);
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
