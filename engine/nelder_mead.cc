#include "engine/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace riskd::engine {
namespace {

struct Vertex {
  std::vector<double> x;
  double f = 0;
};

// One simplex run; returns whether it converged within the budget.
bool Descend(const std::function<double(const std::vector<double>&)>& f, Vertex start,
             const NelderMeadOptions& o, int* evaluations, Vertex* best) {
  const std::size_t d = start.x.size();
  std::vector<Vertex> s;
  s.push_back(start);
  for (std::size_t k = 0; k < d; ++k) {
    Vertex v{start.x, 0};
    v.x[k] += o.initial_step;
    v.f = f(v.x);
    ++*evaluations;
    s.push_back(std::move(v));
  }
  auto point = [&](const std::vector<double>& centroid, const std::vector<double>& worst,
                   double t) {
    Vertex v{std::vector<double>(d), 0};
    for (std::size_t k = 0; k < d; ++k) v.x[k] = centroid[k] + t * (worst[k] - centroid[k]);
    v.f = f(v.x);
    ++*evaluations;
    return v;
  };
  bool converged = false;
  while (*evaluations < o.max_evaluations) {
    std::sort(s.begin(), s.end(), [](const Vertex& a, const Vertex& b) { return a.f < b.f; });
    double spread = 0;
    for (std::size_t i = 1; i <= d; ++i) {
      for (std::size_t k = 0; k < d; ++k)
        spread = std::max(spread, std::fabs(s[i].x[k] - s[0].x[k]));
    }
    const double f_spread = s[d].f - s[0].f;
    if (spread <= o.x_tolerance && f_spread <= o.f_tolerance) {
      converged = true;
      break;
    }
    std::vector<double> centroid(d, 0.0);
    for (std::size_t i = 0; i < d; ++i) {
      for (std::size_t k = 0; k < d; ++k) centroid[k] += s[i].x[k] / static_cast<double>(d);
    }
    const Vertex r = point(centroid, s[d].x, -1.0);
    if (r.f < s[0].f) {
      Vertex e = point(centroid, s[d].x, -2.0);
      s[d] = e.f < r.f ? std::move(e) : r;
      continue;
    }
    if (r.f < s[d - 1].f) {
      s[d] = r;
      continue;
    }
    // Contract outside (towards r) or inside (towards the worst vertex).
    const bool outside = r.f < s[d].f;
    Vertex c = point(centroid, s[d].x, outside ? -0.5 : 0.5);
    if (c.f < (outside ? r.f : s[d].f)) {
      s[d] = std::move(c);
      continue;
    }
    for (std::size_t i = 1; i <= d; ++i) {
      for (std::size_t k = 0; k < d; ++k) s[i].x[k] = s[0].x[k] + 0.5 * (s[i].x[k] - s[0].x[k]);
      s[i].f = f(s[i].x);
      ++*evaluations;
    }
  }
  *best = *std::min_element(s.begin(), s.end(),
                            [](const Vertex& a, const Vertex& b) { return a.f < b.f; });
  return converged;
}

}  // namespace

NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> start, const NelderMeadOptions& options) {
  NelderMeadResult out;
  Vertex v{std::move(start), 0};
  v.f = f(v.x);
  out.evaluations = 1;
  if (v.x.empty()) {
    out.x = v.x;
    out.value = v.f;
    out.converged = true;
    return out;
  }
  Vertex best;
  out.converged = Descend(f, v, options, &out.evaluations, &best);
  if (out.converged) {
    // Restart from the best point: a degenerate simplex converges short.
    Vertex again;
    out.converged = Descend(f, best, options, &out.evaluations, &again);
    if (again.f <= best.f) best = std::move(again);
  }
  out.x = std::move(best.x);
  out.value = best.f;
  return out;
}

}  // namespace riskd::engine
