#include "engine/continuous_sir.h"

#include <algorithm>
#include <functional>

#include "engine/rng.h"

namespace riskd::engine {

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
  arcs_.reserve(g.edge_count());
  for (EdgeIndex e : g.out_edges) {
    arcs_.push_back({g.target[e], static_cast<float>(g.latency[g.target[e]]), rates.edge_rate[e]});
  }
}

std::size_t ContinuousSir::Run(std::uint32_t k, std::span<const NodeIndex> sources, double horizon) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const CounterRng rng(seed_);
  for (NodeIndex v : reached_) time_[v] = kInf;
  reached_.clear();
  heap_.clear();
  work_ = 0;
  const auto later = std::greater<std::pair<double, NodeIndex>>();
  for (NodeIndex s : sources) {
    if (time_[s] == 0) continue;
    time_[s] = 0;
    reached_.push_back(s);
    heap_.emplace_back(0.0, s);
  }
  std::make_heap(heap_.begin(), heap_.end(), later);
  std::size_t infected = 0;
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const auto [t, v] = heap_.back();
    heap_.pop_back();
    if (t != time_[v]) continue;  // superseded
    ++infected;
    const Arc* first = arcs_.data() + g_.out_offsets[v];
    const Arc* last = arcs_.data() + g_.out_offsets[v + 1];
    work_ += static_cast<std::uint64_t>(last - first);
    const double infectious = rng.Exponential(recovery_rate_[v], k, RandomStream::kInfectious, v);
    for (const Arc* arc = first; arc != last; ++arc) {
      const NodeIndex j = arc->target;
      const double latency = arc->latency;
      if (time_[j] <= t + latency) continue;  // cannot improve
      const double delay = rng.Exponential(arc->rate, k, RandomStream::kTransmission, v, j);
      if (!(delay < infectious)) continue;
      const double onset = t + delay + latency;
      if (onset > horizon || onset >= time_[j]) continue;
      if (time_[j] == kInf) reached_.push_back(j);
      time_[j] = onset;
      heap_.emplace_back(onset, j);
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
  }
  return infected;
}

}  // namespace riskd::engine
