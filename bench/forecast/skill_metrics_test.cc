#include "bench/forecast/skill_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace riskd::bench {
namespace {

TEST(SkillMetricsTest, RocAucCountsPairsAndHalvesTies) {
  const std::vector<double> s = {0.9, 0.8, 0.7, 0.6};
  EXPECT_DOUBLE_EQ(RocAuc(s, std::vector<bool>{1, 1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc(s, std::vector<bool>{0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(RocAuc(s, std::vector<bool>{1, 0, 1, 0}), 0.75);  // 3 of 4 pairs
  // One positive tied with one negative: that pair counts 1/2.
  const std::vector<double> tied = {0.5, 0.5, 0.1};
  EXPECT_DOUBLE_EQ(RocAuc(tied, std::vector<bool>{1, 0, 0}), (0.5 + 1.0) / 2);
  const std::vector<double> flat = {0.2, 0.2, 0.2, 0.2};
  EXPECT_DOUBLE_EQ(RocAuc(flat, std::vector<bool>{1, 0, 1, 0}), 0.5);
  EXPECT_TRUE(std::isnan(RocAuc(s, std::vector<bool>{1, 1, 1, 1})));
}

TEST(SkillMetricsTest, AveragePrecisionTreatsTiesAsOneThreshold) {
  const std::vector<double> s = {0.9, 0.8, 0.7, 0.6};
  EXPECT_DOUBLE_EQ(AveragePrecision(s, std::vector<bool>{1, 1, 0, 0}), 1.0);
  // Positives at ranks 1 and 3: (1/2)(1/1) + (1/2)(2/3).
  EXPECT_DOUBLE_EQ(AveragePrecision(s, std::vector<bool>{1, 0, 1, 0}), 0.5 + 1.0 / 3);
  // All tied: the precision of the whole set, the base rate.
  const std::vector<double> flat = {0.2, 0.2, 0.2, 0.2};
  EXPECT_DOUBLE_EQ(AveragePrecision(flat, std::vector<bool>{1, 0, 0, 0}), 0.25);
  EXPECT_TRUE(std::isnan(AveragePrecision(s, std::vector<bool>{0, 0, 0, 0})));
}

TEST(SkillMetricsTest, BrierIsTheMeanSquaredError) {
  const std::vector<double> p = {1.0, 0.0, 0.5, 0.2};
  EXPECT_DOUBLE_EQ(BrierScore(p, std::vector<bool>{1, 0, 1, 1}), (0 + 0 + 0.25 + 0.64) / 4);
  EXPECT_TRUE(std::isnan(BrierScore({}, std::vector<bool>{})));
}

}  // namespace
}  // namespace riskd::bench
