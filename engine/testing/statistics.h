// Statistical helpers for tests that compare random outcomes.
#ifndef RISKD_ENGINE_TESTING_STATISTICS_H_
#define RISKD_ENGINE_TESTING_STATISTICS_H_

#include <vector>

namespace riskd::engine::testing {

struct KsTest {
  double statistic = 0;  // sup |F_a - F_b|
  double p_value = 1;    // asymptotic (Kolmogorov distribution); conservative with ties
};
// Two-sample Kolmogorov-Smirnov test.
KsTest TwoSampleKs(std::vector<double> a, std::vector<double> b);

// Half-width of a z-sigma interval of a binomial proportion p estimated from
// n runs, with a floor for p near 0 or 1 (Wilson-style 1/n term).
double BinomialBound(double p, double n, double z);

double Mean(const std::vector<double>& x);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_STATISTICS_H_
