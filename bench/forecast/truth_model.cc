#include "bench/forecast/truth_model.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <random>

namespace riskd::bench {

using engine::Direction;
using engine::NodeIndex;

std::string HeterogeneityName(Heterogeneity h) {
  switch (h) {
    case Heterogeneity::kUniform:
      return "uniform";
    case Heterogeneity::kHeavyTails:
      return "heavy_tails";
    case Heterogeneity::kContinuousTime:
      return "continuous_time";
  }
  return "?";
}

engine::testing::SimModel TruthModel(const engine::Network& net, Direction direction,
                                     const TruthOptions& o) {
  const std::size_t n = net.node_slots();
  // Merged arc weights (parallel edges and both directions add), per target.
  std::vector<std::map<NodeIndex, double>> into(n);
  for (NodeIndex u = 0; u < n; ++u) {
    if (!net.alive(u)) continue;
    for (engine::EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      if (net.edge_layer(e) != engine::Layer::kMaterial) continue;
      const NodeIndex v = net.edge_target(e);
      const double w = net.edge_weight(e);
      if (direction != Direction::kUpstream) into[v][u] += w;
      if (direction != Direction::kDownstream) into[u][v] += w;
    }
  }
  std::vector<double> s(n, 1.0), r(n, 1.0);
  if (o.heterogeneity == Heterogeneity::kHeavyTails) {
    std::mt19937_64 rng(o.seed);
    auto lognormal = [&] {
      // Box-Muller from two uniforms; mean exp(mu + sd^2/2) = 1.
      const double u1 = 1.0 - engine::testing::Uniform(rng), u2 = engine::testing::Uniform(rng);
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
      return std::exp(-o.log_sd * o.log_sd / 2 + o.log_sd * z);
    };
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = lognormal();
      r[i] = lognormal();
    }
  }
  engine::testing::SimModel m;
  m.continuous = o.heterogeneity == Heterogeneity::kContinuousTime;
  m.out.resize(n);
  m.recovery_rate.assign(n, 0.0);
  m.latency.assign(n, 0.0);
  for (NodeIndex j = 0; j < n; ++j) {
    if (!net.alive(j)) continue;
    double total = 0;
    for (const auto& [i, w] : into[j]) total += w;
    for (const auto& [i, w] : into[j]) m.out[i].push_back({j, o.a * (w / total) * s[j]});
    m.recovery_rate[j] = o.g * r[j];
    const double days = net.inventory_days(j);
    m.latency[j] = m.continuous ? days : std::ceil(days);
  }
  return m;
}

std::vector<int> HopDistances(const engine::testing::SimModel& m,
                              const std::vector<NodeIndex>& sources) {
  std::vector<int> d(m.out.size(), -1);
  std::deque<NodeIndex> queue;
  for (NodeIndex s : sources) {
    if (d[s] == 0) continue;
    d[s] = 0;
    queue.push_back(s);
  }
  while (!queue.empty()) {
    const NodeIndex i = queue.front();
    queue.pop_front();
    for (const auto& arc : m.out[i]) {
      if (d[arc.target] >= 0) continue;
      d[arc.target] = d[i] + 1;
      queue.push_back(arc.target);
    }
  }
  return d;
}

}  // namespace riskd::bench
