#include "engine/testing/sir_exact.h"

#include <cassert>
#include <array>
#include <cstdint>

namespace riskd::engine::testing {

ExactMarginals ExactSir(const TransmissionGraph& g, const InitialState& init, int horizon) {
  const std::size_t n = g.node_count;
  assert(n <= 9);
  std::size_t states = 1;
  for (std::size_t v = 0; v < n; ++v) states *= 3;
  auto digit = [](std::size_t code, std::size_t v) {
    for (std::size_t k = 0; k < v; ++k) code /= 3;
    return static_cast<int>(code % 3);  // 0 S, 1 I, 2 R
  };

  // Initial joint distribution: independent nodes.
  std::vector<double> dist(states, 0.0);
  for (std::size_t code = 0; code < states; ++code) {
    double p = 1;
    for (std::size_t v = 0; v < n; ++v) {
      const int d = digit(code, v);
      p *= d == 0 ? init.p_s[v] : d == 1 ? init.p_i[v] : init.p_r[v];
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
        (d == 0 ? s : d == 1 ? i : r)[v] += dist[code];
      }
    }
    out.p_s.push_back(s);
    out.p_i.push_back(i);
    out.p_r.push_back(r);
  };
  record();

  std::vector<std::size_t> pow3(n + 1, 1);
  for (std::size_t v = 1; v <= n; ++v) pow3[v] = pow3[v - 1] * 3;

  for (int t = 1; t <= horizon; ++t) {
    std::vector<double> next(states, 0.0);
    for (std::size_t code = 0; code < states; ++code) {
      if (dist[code] == 0) continue;
      // Per node: probability of each next digit.
      std::vector<std::array<double, 3>> trans(n);
      for (std::size_t v = 0; v < n; ++v) {
        const int d = digit(code, v);
        if (d == 0) {
          double escape = 1;
          for (EdgeIndex e = g.in_begin(static_cast<NodeIndex>(v));
               e < g.in_end(static_cast<NodeIndex>(v)); ++e) {
            if (digit(code, g.source[e]) == 1) escape *= 1 - g.p[e];
          }
          trans[v] = {escape, 1 - escape, 0};
        } else if (d == 1) {
          trans[v] = {0, 1 - g.q[v], g.q[v]};
        } else {
          trans[v] = {0, 0, 1};
        }
      }
      // Enumerate next codes as a product.
      std::vector<std::pair<std::size_t, double>> partial{{0, dist[code]}};
      for (std::size_t v = 0; v < n; ++v) {
        std::vector<std::pair<std::size_t, double>> grown;
        for (const auto& [c, p] : partial) {
          for (int d = 0; d < 3; ++d) {
            if (trans[v][d] > 0) grown.emplace_back(c + pow3[v] * static_cast<std::size_t>(d), p * trans[v][d]);
          }
        }
        partial.swap(grown);
      }
      for (const auto& [c, p] : partial) next[c] += p;
    }
    dist.swap(next);
    record();
  }
  return out;
}

}  // namespace riskd::engine::testing
