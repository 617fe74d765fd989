#include "engine/nelder_mead.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace riskd::engine {
namespace {

TEST(NelderMeadTest, FindsTheMinimumOfRosenbrock) {
  int calls = 0;
  auto rosenbrock = [&](const std::vector<double>& x) {
    ++calls;
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  };
  const auto r = NelderMead(rosenbrock, {-1.2, 1.0}, {.x_tolerance = 1e-9, .f_tolerance = 1e-14});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 1.0, 1e-6);
  EXPECT_NEAR(r.x[1], 1.0, 1e-6);
  EXPECT_EQ(r.evaluations, calls);
}

TEST(NelderMeadTest, QuadraticInThreeDimensionsWithInfeasibleRegion) {
  // Minimum at (1, -2, 3); points with x0 < 0 are rejected (+inf).
  auto f = [](const std::vector<double>& x) {
    if (x[0] < 0) return std::numeric_limits<double>::infinity();
    return std::pow(x[0] - 1, 2) + 2 * std::pow(x[1] + 2, 2) + 0.5 * std::pow(x[2] - 3, 2) +
           0.3 * (x[0] - 1) * (x[1] + 2);
  };
  const auto r = NelderMead(f, {5, 5, 5});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 1, 1e-5);
  EXPECT_NEAR(r.x[1], -2, 1e-5);
  EXPECT_NEAR(r.x[2], 3, 1e-5);
  EXPECT_NEAR(r.value, 0, 1e-10);
}

TEST(NelderMeadTest, StopsAtTheEvaluationBudget) {
  auto f = [](const std::vector<double>& x) { return std::pow(x[0] - 100, 2) + x[1] * x[1]; };
  const auto r = NelderMead(f, {0, 0}, {.initial_step = 0.01, .max_evaluations = 20});
  EXPECT_FALSE(r.converged);
  EXPECT_LE(r.evaluations, 22);  // a shrink may finish past the budget
  EXPECT_LT(r.value, f({0, 0}));
}

}  // namespace
}  // namespace riskd::engine
