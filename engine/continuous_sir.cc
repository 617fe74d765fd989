#include "engine/continuous_sir.h"

#include <algorithm>
#include <cmath>

#include "engine/rng.h"

namespace riskd::engine {
namespace {

// How many arcs ahead a node's scan prefetches the targets' times.
constexpr EdgeIndex kPrefetchAhead = 8;

// Min-heap with four children per node: half the depth of a binary heap,
// and the four children share a cache line.
void HeapPush(std::vector<std::pair<double, NodeIndex>>& h, std::pair<double, NodeIndex> item) {
  std::size_t i = h.size();
  h.push_back(item);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (h[parent].first <= item.first) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = item;
}

std::pair<double, NodeIndex> HeapPop(std::vector<std::pair<double, NodeIndex>>& h) {
  const auto top = h.front();
  const auto item = h.back();
  h.pop_back();
  const std::size_t n = h.size();
  if (n == 0) return top;
  std::size_t i = 0;
  for (;;) {
    const std::size_t c = 4 * i + 1;
    if (c >= n) break;
    std::size_t best = c;
    const std::size_t end = std::min(c + 4, n);
    for (std::size_t d = c + 1; d < end; ++d) {
      if (h[d].first < h[best].first) best = d;
    }
    if (item.first <= h[best].first) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = item;
  return top;
}

}  // namespace

ContinuousRates ModelRates(const TransmissionGraph& g, const RiskType& type,
                           const Vulnerability& vul) {
  ContinuousRates r;
  r.edge_rate = g.rate;
  r.recovery_rate.assign(g.node_count, 0.0);
  for (NodeIndex i = 0; i < g.node_count; ++i) r.recovery_rate[i] = type.beta * vul.rho[i];
  return r;
}

ContinuousRates UniformRates(const TransmissionGraph& g, double beta, double gamma) {
  ContinuousRates r;
  r.edge_rate.assign(g.edge_count(), beta);
  r.recovery_rate.assign(g.node_count, gamma);
  return r;
}

ContinuousSir::ContinuousSir(const TransmissionGraph& g, const ContinuousRates& rates,
                             std::uint64_t seed)
    : g_(g),
      seed_(seed),
      recovery_rate_(rates.recovery_rate),
      time_(g.node_count, std::numeric_limits<double>::infinity()) {
  arc_target_.reserve(g.edge_count());
  arc_rate_.reserve(g.edge_count());
  for (EdgeIndex e : g.out_edges) {
    arc_target_.push_back(g.target[e]);
    arc_rate_.push_back(rates.edge_rate[e]);
  }
  if (std::any_of(g.latency.begin(), g.latency.end(), [](auto l) { return l > 0; })) {
    latency_.assign(g.latency.begin(), g.latency.end());
  }
}

std::size_t ContinuousSir::Run(std::uint32_t k, std::span<const NodeIndex> sources, double horizon) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const CounterRng rng(seed_);
  for (NodeIndex v : reached_) time_[v] = kInf;
  reached_.clear();
  heap_.clear();
  work_ = 0;
  for (NodeIndex s : sources) {
    if (time_[s] == 0) continue;
    time_[s] = 0;
    reached_.push_back(s);
    HeapPush(heap_, {0.0, s});
  }
  std::size_t infected = 0;
  while (!heap_.empty()) {
    const auto [t, v] = HeapPop(heap_);
    if (t != time_[v]) continue;  // superseded
    ++infected;
    const EdgeIndex first = g_.out_offsets[v], last = g_.out_offsets[v + 1];
    work_ += last - first;
    const double infectious = rng.Exponential(recovery_rate_[v], k, RandomStream::kInfectious, v);
    // delay = -ln(u) / rate < infectious  <=>  u > exp(-rate * infectious):
    // one exp per distinct rate, a log only for actual transmissions.
    double cached_rate = -1, survive = 1;
    for (EdgeIndex x = first; x < last; ++x) {
      if (x + kPrefetchAhead < last) __builtin_prefetch(&time_[arc_target_[x + kPrefetchAhead]]);
      const NodeIndex j = arc_target_[x];
      const double latency = latency_.empty() ? 0.0 : latency_[j];
      if (time_[j] <= t + latency) continue;  // cannot improve
      const double rate = arc_rate_[x];
      if (!(rate > 0)) continue;
      if (rate != cached_rate) {
        cached_rate = rate;
        survive = std::exp(-rate * infectious);
      }
      const double u = rng.Uniform(k, RandomStream::kTransmission, v, j);
      if (!(u > survive)) continue;
      const double delay = -std::log(u) / rate;
      if (!(delay < infectious)) continue;  // rounding at the boundary
      const double onset = t + delay + latency;
      if (onset > horizon || onset >= time_[j]) continue;
      if (time_[j] == kInf) reached_.push_back(j);
      time_[j] = onset;
      HeapPush(heap_, {onset, j});
    }
  }
  return infected;
}

}  // namespace riskd::engine
