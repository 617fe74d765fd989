#include "engine/testing/timed_states.h"

#include <random>

namespace riskd::engine::testing {

void AddRandomTimes(InitialState* s, int now, int horizon, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const std::size_t n = s->p_s.size();
  s->now = now;
  s->start.assign(n, 0);
  s->end.assign(n, InitialState::kNever);
  s->fixed.assign(n, 0);
  for (std::size_t v = 0; v < n; ++v) {
    if (s->p_r[v] >= 1) continue;
    if (s->p_i[v] > 0) {
      s->start[v] = below(now + 1);
      if (below(3) == 0) {
        s->end[v] = s->start[v] + 1 + below(now + horizon - s->start[v]);
        s->fixed[v] = 1;
      }
    } else if (below(4) == 0 && now > 0) {
      s->start[v] = 1 + below(now);
    } else if (below(10) == 0) {
      s->end[v] = 1 + below(now + horizon);
    }
  }
}

}  // namespace riskd::engine::testing
