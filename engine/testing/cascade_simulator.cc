#include "engine/testing/cascade_simulator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

namespace riskd::engine::testing {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Exponential time with the given rate (rate infinity: 0; rate 0: never).
double ExpTime(double rate, std::mt19937_64& rng) {
  if (rate <= 0) return kInf;
  if (std::isinf(rate)) return 0;
  return -std::log1p(-Uniform(rng)) / rate;
}

SimCascade SimulateDiscrete(const SimModel& m, std::span<const NodeIndex> sources, double horizon,
                            std::mt19937_64& rng) {
  const std::size_t n = m.out.size();
  SimCascade c{std::vector<double>(n, kInf), std::vector<double>(n, kInf)};
  const int T = static_cast<int>(std::floor(horizon));
  std::vector<std::uint8_t> hit(n, 0);
  // becoming[t]: nodes that become infectious at step t.
  std::vector<std::vector<NodeIndex>> becoming(static_cast<std::size_t>(std::max(T, 0)) + 1);
  for (NodeIndex s : sources) {
    if (hit[s]) continue;
    hit[s] = 1;
    becoming[0].push_back(s);
  }
  std::vector<NodeIndex> infectious, newly_hit;
  for (int t = 0; t <= T; ++t) {
    for (NodeIndex v : becoming[static_cast<std::size_t>(t)]) {
      c.onset[v] = t;
      infectious.push_back(v);
    }
    if (t == T) break;
    // Step t -> t+1: every node infectious at t attempts, then recovers.
    newly_hit.clear();
    for (NodeIndex i : infectious) {
      for (const SimArc& a : m.out[i]) {
        if (hit[a.target]) continue;
        if (Uniform(rng) < -std::expm1(-a.rate)) {
          hit[a.target] = 1;
          newly_hit.push_back(a.target);
        }
      }
    }
    std::size_t kept = 0;
    for (NodeIndex i : infectious) {
      if (Uniform(rng) < -std::expm1(-m.recovery_rate[i])) {
        c.recovery[i] = t + 1;
      } else {
        infectious[kept++] = i;
      }
    }
    infectious.resize(kept);
    for (NodeIndex j : newly_hit) {
      const int at = t + 1 + static_cast<int>(m.latency[j]);
      if (at <= T) becoming[static_cast<std::size_t>(at)].push_back(j);
    }
  }
  return c;
}

SimCascade SimulateContinuous(const SimModel& m, std::span<const NodeIndex> sources, double horizon,
                              std::mt19937_64& rng) {
  const std::size_t n = m.out.size();
  SimCascade c{std::vector<double>(n, kInf), std::vector<double>(n, kInf)};
  using Entry = std::pair<double, NodeIndex>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  for (NodeIndex s : sources) {
    c.onset[s] = 0;
    queue.push({0.0, s});
  }
  std::vector<std::uint8_t> done(n, 0);
  while (!queue.empty()) {
    const auto [a, i] = queue.top();
    queue.pop();
    if (done[i] || a > c.onset[i]) continue;
    if (a > horizon) break;
    done[i] = 1;
    const double period = ExpTime(m.recovery_rate[i], rng);
    c.recovery[i] = a + period;
    for (const SimArc& arc : m.out[i]) {
      if (done[arc.target]) continue;
      const double x = ExpTime(arc.rate, rng);
      if (x >= period) continue;
      const double at = a + x + m.latency[arc.target];
      if (at < c.onset[arc.target]) {
        c.onset[arc.target] = at;
        queue.push({at, arc.target});
      }
    }
  }
  for (std::size_t v = 0; v < n; ++v) {
    if (c.onset[v] > horizon) c.onset[v] = c.recovery[v] = kInf;
    if (c.recovery[v] > horizon) c.recovery[v] = kInf;
  }
  return c;
}

}  // namespace

SimModel ModelOf(const TransmissionGraph& g) {
  SimModel m;
  m.out.resize(g.node_count);
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    for (EdgeIndex e : g.out(i)) m.out[i].push_back({g.target_of(e), GeometricRate(g.p[e])});
  }
  m.recovery_rate.resize(g.node_count);
  m.latency.resize(g.node_count);
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    m.recovery_rate[i] = GeometricRate(g.q[i]);
    m.latency[i] = g.latency[i];
  }
  return m;
}

SimCascade Simulate(const SimModel& model, std::span<const NodeIndex> sources, double horizon,
                    std::mt19937_64& rng) {
  return model.continuous ? SimulateContinuous(model, sources, horizon, rng)
                          : SimulateDiscrete(model, sources, horizon, rng);
}

ObservedCascade Observe(const SimCascade& c, std::span<const NodeIndex> sources,
                        const ObserveOptions& o, std::mt19937_64& rng) {
  ObservedCascade out;
  out.end = o.end;
  std::vector<std::uint8_t> is_source(c.onset.size(), 0);
  auto recovery_step = [&](NodeIndex v, int onset) {
    if (!std::isfinite(c.recovery[v])) return -1;
    const int r = std::max(onset + 1, static_cast<int>(std::ceil(c.recovery[v])));
    return r <= o.end ? r : -1;
  };
  for (NodeIndex s : sources) {
    if (is_source[s]) continue;
    is_source[s] = 1;
    out.sources.push_back({s, 0, recovery_step(s, 0), 1.0});
  }
  for (NodeIndex v = 0; v < c.onset.size(); ++v) {
    if (is_source[v]) continue;
    const int onset = std::isfinite(c.onset[v]) ? static_cast<int>(std::ceil(c.onset[v])) : -1;
    if (onset >= 0 && onset <= o.end) {
      out.disrupted.push_back({v, onset, recovery_step(v, onset), 1.0});
    } else if (Uniform(rng) < o.normal_report_fraction) {
      out.normal.push_back({v, o.end});
    }
  }
  return out;
}

}  // namespace riskd::engine::testing
