#include "engine/special_functions.h"

#include <gtest/gtest.h>

#include <cmath>

namespace riskd::engine {
namespace {

TEST(SpecialFunctionsTest, NormalQuantileMatchesTables) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.95), 1.644853626951472, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306167813, 1e-11);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_TRUE(std::isnan(NormalQuantile(0)));
  EXPECT_TRUE(std::isnan(NormalQuantile(1)));
}

TEST(SpecialFunctionsTest, StudentTQuantileMatchesTables) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.706204736174705, 1e-9);  // tan(0.475 pi)
  EXPECT_NEAR(StudentTQuantile(0.975, 2), 4.302652729749464, 1e-10);  // closed form for df 2
  EXPECT_NEAR(StudentTQuantile(0.975, 19), 2.093024054408263, 1e-10);
  EXPECT_NEAR(StudentTQuantile(0.95, 10), 1.812461122811676, 1e-10);
  EXPECT_NEAR(StudentTQuantile(0.025, 19), -2.093024054408263, 1e-10);
  EXPECT_NEAR(StudentTQuantile(0.975, 1e6), NormalQuantile(0.975), 1e-5);
  EXPECT_TRUE(std::isnan(StudentTQuantile(0.5, 0)));
}

TEST(SpecialFunctionsTest, ChiSquareSurvivalMatchesClosedForms) {
  // df = 2: exp(-x/2) exactly.
  for (double x : {0.1, 1.0, 3.0, 10.0, 40.0}) {
    EXPECT_NEAR(ChiSquareSurvival(x, 2), std::exp(-x / 2), 1e-14 * std::max(1.0, std::exp(-x / 2)));
  }
  // df = 1: erfc(sqrt(x/2)).
  for (double x : {0.01, 0.5, 3.841458820694124, 12.0}) {
    EXPECT_NEAR(ChiSquareSurvival(x, 1), std::erfc(std::sqrt(x / 2)), 1e-13);
  }
  // Tabulated 95% points.
  EXPECT_NEAR(ChiSquareSurvival(7.814727903251178, 3), 0.05, 1e-12);
  EXPECT_NEAR(ChiSquareSurvival(5.991464547107979, 2), 0.05, 1e-12);
  EXPECT_EQ(ChiSquareSurvival(0, 3), 1.0);
  EXPECT_EQ(ChiSquareSurvival(-1, 3), 1.0);
}

}  // namespace
}  // namespace riskd::engine
