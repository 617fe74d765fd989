#include "engine/testing/sir_exact.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace riskd::engine::testing {
namespace {

// Per-node digit: 0 S, 1 I, 2 R, 2 + r exposed with r steps to onset.
constexpr int kS = 0, kI = 1, kR = 2;

}  // namespace

ExactMarginals ExactSir(const TransmissionGraph& g, const InitialState& init, int horizon) {
  const std::size_t n = g.node_count;
  const int H = init.now + horizon;
  int max_latency = 0;
  for (std::size_t v = 0; v < n; ++v) max_latency = std::max<int>(max_latency, g.latency[v]);
  const std::size_t base = 3 + static_cast<std::size_t>(max_latency);
  std::vector<std::size_t> pow(n + 1, 1);
  for (std::size_t v = 1; v <= n; ++v) pow[v] = pow[v - 1] * base;
  const std::size_t states = pow[n];
  assert(states <= 200000);
  auto digit = [&](std::size_t code, std::size_t v) {
    return static_cast<int>(code / pow[v] % base);
  };

  // Initial joint distribution: independent nodes; a node that starts
  // later is susceptible (and shielded) until then.
  auto start_p = [&](std::size_t v, int d) {
    return d == kS ? init.p_s[v] : d == kI ? init.p_i[v] : d == kR ? init.p_r[v] : 0.0;
  };
  std::vector<double> dist(states, 0.0);
  for (std::size_t code = 0; code < states; ++code) {
    double p = 1;
    for (std::size_t v = 0; v < n && p > 0; ++v) {
      const int d = digit(code, v);
      const auto nv = static_cast<NodeIndex>(v);
      if (init.End(nv) <= 0) {
        p *= d == kR ? 1.0 : 0.0;
      } else if (init.Start(nv) > 0) {
        p *= d == kS ? 1.0 : 0.0;
      } else {
        p *= start_p(v, d);
      }
    }
    dist[code] = p;
  }

  ExactMarginals out;
  auto record = [&] {
    std::vector<double> s(n, 0), i(n, 0), r(n, 0);
    for (std::size_t code = 0; code < states; ++code) {
      if (dist[code] == 0) continue;
      for (std::size_t v = 0; v < n; ++v) {
        const int d = digit(code, v);
        if (d == kS) s[v] += dist[code];
        if (d == kI) i[v] += dist[code];
        if (d == kR) r[v] += dist[code];
      }
    }
    out.p_s.push_back(s);
    out.p_i.push_back(i);
    out.p_r.push_back(r);
  };
  record();

  for (int t = 1; t <= H; ++t) {
    std::vector<double> next(states, 0.0);
    std::vector<std::pair<std::size_t, double>> partial, grown;
    for (std::size_t code = 0; code < states; ++code) {
      if (dist[code] == 0) continue;
      partial.assign(1, {0, dist[code]});
      for (std::size_t v = 0; v < n; ++v) {
        // Up to two successor digits with their probabilities.
        const int d = digit(code, v);
        const auto nv = static_cast<NodeIndex>(v);
        const int latency = g.latency[v];
        int to[2] = {d, d};
        double pr[2] = {1, 0};
        if (t >= init.End(nv)) {
          to[0] = to[1] = kR;  // removed
        } else if (t == init.Start(nv)) {
          // Starts now (it was susceptible and shielded): a fresh draw.
          // Up to three outcomes: folded into the partial products below.
          to[0] = kS;
          pr[0] = init.p_s[v];
          to[1] = kI;
          pr[1] = init.p_i[v];
        } else if (d == kS && t <= init.Start(nv)) {
          // Shielded: attempts on it are void.
        } else if (d == kS) {
          double escape = 1;
          for (EdgeIndex e = g.in_begin(static_cast<NodeIndex>(v));
               e < g.in_end(static_cast<NodeIndex>(v)); ++e) {
            if (digit(code, g.source[e]) == kI) escape *= 1 - g.p[e];
          }
          to[1] = latency == 0 ? kI : 2 + latency;
          pr[0] = escape;
          pr[1] = 1 - escape;
        } else if (d == kI) {
          const double q = init.Fixed(nv) ? 0.0 : g.q[v];
          to[1] = kR;
          pr[0] = 1 - q;
          pr[1] = q;
        } else if (d > kR) {
          to[0] = d == 3 ? kI : d - 1;
        }
        // A start draw has a third outcome, removed (p_r).
        const bool starting = t == init.Start(nv) && t < init.End(nv);
        grown.clear();
        for (const auto& [c, p] : partial) {
          for (int k = 0; k < 2; ++k) {
            if (pr[k] > 0)
              grown.emplace_back(c + pow[v] * static_cast<std::size_t>(to[k]), p * pr[k]);
          }
          if (starting && init.p_r[v] > 0) {
            grown.emplace_back(c + pow[v] * static_cast<std::size_t>(kR), p * init.p_r[v]);
          }
        }
        partial.swap(grown);
      }
      for (const auto& [c, p] : partial) next[c] += p;
    }
    dist.swap(next);
    record();
  }
  // Disrupted at some step of [now, e]: infectious or recovered at e, minus
  // recovered (or removed) at now; 0 once removed by now.
  out.risk.assign(n, 0.0);
  for (std::size_t v = 0; v < n; ++v) {
    const auto nv = static_cast<NodeIndex>(v);
    if (init.End(nv) <= init.now) continue;
    const auto e = static_cast<std::size_t>(init.WindowEnd(nv, horizon));
    const auto now = static_cast<std::size_t>(init.now);
    out.risk[v] = std::clamp(out.p_i[e][v] + out.p_r[e][v] - out.p_r[now][v], 0.0, 1.0);
  }
  return out;
}

}  // namespace riskd::engine::testing
