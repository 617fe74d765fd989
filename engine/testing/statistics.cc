#include "engine/testing/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace riskd::engine::testing {

KsTest TwoSampleKs(std::vector<double> a, std::vector<double> b) {
  KsTest out;
  if (a.empty() || b.empty()) return out;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    out.statistic = std::max(out.statistic, std::fabs(i / na - j / nb));
  }
  const double ne = std::sqrt(na * nb / (na + nb));
  const double lambda = (ne + 0.12 + 0.11 / ne) * out.statistic;
  double q = 0;
  for (int k = 1; k <= 100; ++k) {
    q += 2 * ((k % 2) ? 1 : -1) * std::exp(-2.0 * k * k * lambda * lambda);
  }
  out.p_value = std::clamp(q, 0.0, 1.0);
  if (lambda < 0.2) out.p_value = 1;  // the series is useless there; D is tiny
  return out;
}

double BinomialBound(double p, double n, double z) {
  return z * std::sqrt(p * (1 - p) / n) + z * z / n;
}

double Mean(const std::vector<double>& x) {
  return x.empty() ? 0.0 : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

}  // namespace riskd::engine::testing
