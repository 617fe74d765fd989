// Forecast-skill scores for bench/forecast: ranking (ROC AUC, average
// precision) and probability (Brier) scores of per-node forecasts against
// what happened. Pure functions; thread-safe.
#ifndef RISKD_BENCH_FORECAST_SKILL_METRICS_H_
#define RISKD_BENCH_FORECAST_SKILL_METRICS_H_

#include <span>
#include <vector>

namespace riskd::bench {

// Area under the ROC curve: the probability that a random positive scores
// above a random negative, ties counting one half (Mann-Whitney with
// midranks). NaN without positives or negatives.
// REQUIRES: scores.size() == outcomes.size()
double RocAuc(std::span<const double> scores, const std::vector<bool>& outcomes);

// Area under the precision-recall curve as average precision: the sum over
// thresholds (each distinct score, highest first) of the recall gained
// times the precision there; tied scores form one threshold. NaN without
// positives.
double AveragePrecision(std::span<const double> scores, const std::vector<bool>& outcomes);

// Mean of (p - outcome)^2. NaN when empty.
double BrierScore(std::span<const double> probabilities, const std::vector<bool>& outcomes);

}  // namespace riskd::bench

#endif  // RISKD_BENCH_FORECAST_SKILL_METRICS_H_
