#include "bench/forecast/skill_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace riskd::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Indices ordered by score, highest first.
std::vector<std::size_t> ByScoreDescending(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

double RocAuc(std::span<const double> scores, const std::vector<bool>& outcomes) {
  const auto order = ByScoreDescending(scores);
  const double positives = static_cast<double>(std::count(outcomes.begin(), outcomes.end(), true));
  const double negatives = static_cast<double>(outcomes.size()) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  // For each group of tied scores: positives in it beat the negatives
  // below the group and tie with the negatives in it.
  double wins = 0, negatives_above = 0;
  for (std::size_t a = 0; a < order.size();) {
    std::size_t b = a;
    double pos = 0, neg = 0;
    while (b < order.size() && scores[order[b]] == scores[order[a]]) {
      (outcomes[order[b]] ? pos : neg) += 1;
      ++b;
    }
    const double negatives_below = negatives - negatives_above - neg;
    wins += pos * (negatives_below + 0.5 * neg);
    negatives_above += neg;
    a = b;
  }
  return wins / (positives * negatives);
}

double AveragePrecision(std::span<const double> scores, const std::vector<bool>& outcomes) {
  const auto order = ByScoreDescending(scores);
  const double positives = static_cast<double>(std::count(outcomes.begin(), outcomes.end(), true));
  if (positives == 0) return kNaN;
  double ap = 0, hits = 0, seen = 0;
  for (std::size_t a = 0; a < order.size();) {
    std::size_t b = a;
    double pos = 0;
    while (b < order.size() && scores[order[b]] == scores[order[a]]) {
      pos += outcomes[order[b]] ? 1 : 0;
      ++b;
    }
    hits += pos;
    seen += static_cast<double>(b - a);
    ap += (pos / positives) * (hits / seen);
    a = b;
  }
  return ap;
}

double BrierScore(std::span<const double> p, const std::vector<bool>& outcomes) {
  if (p.empty()) return kNaN;
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double d = p[i] - (outcomes[i] ? 1.0 : 0.0);
    sum += d * d;
  }
  return sum / static_cast<double>(p.size());
}

}  // namespace riskd::bench
