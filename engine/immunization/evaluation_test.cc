#include "engine/immunization/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/immunization/testing/spread.h"
#include "engine/monte_carlo.h"
#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

// A loopy graph, one certain source and one uncertain.
struct Loopy {
  Network net = engine::testing::RandomGraph(60, 150, 3);
  TransmissionGraph graph = testing::SpreadGraph(net, Direction::kBoth, 1.5, 0.3);
  InitialState state = testing::Disrupted(net, {{0, 1.0}, {1, 0.5}});
};

constexpr EvaluationOptions kOptions{.horizon = 12, .realizations = 500, .seed = 21};

TEST(EvaluationTest, WithoutTargetsItIsTheEngineMonteCarlo) {
  Loopy f;
  auto eval = EvaluateTargets(f.graph, f.state, {}, kOptions);
  ASSERT_TRUE(eval.ok());
  const MonteCarloResult mc =
      RunMonteCarlo(f.graph, f.state, {.horizon = 12, .seed = 21}, kOptions.realizations);
  EXPECT_NEAR(eval->expected_disrupted, mc.expected_disrupted, 1e-9);
  EXPECT_EQ(eval->sizes, mc.sizes);
  EXPECT_GT(eval->standard_error, 0.0);
}

TEST(EvaluationTest, ProtectingNodesNeverAddsADisruption) {
  // Common random numbers: the same outbreaks with nodes removed can only
  // shrink, realization by realization.
  Loopy f;
  auto without = EvaluateTargets(f.graph, f.state, {}, kOptions);
  const std::vector<NodeIndex> targets = {1, 7, 8, 30};
  auto with = EvaluateTargets(f.graph, f.state, targets, kOptions);
  ASSERT_TRUE(with.ok());
  int smaller = 0;
  for (std::size_t k = 0; k < with->sizes.size(); ++k) {
    EXPECT_LE(with->sizes[k], without->sizes[k]);
    if (with->sizes[k] < without->sizes[k]) ++smaller;
  }
  EXPECT_GT(smaller, 0);
  const Estimate d = ComparePaired(*with, *without);
  EXPECT_NEAR(d.mean, with->expected_disrupted - without->expected_disrupted, 1e-9);
  EXPECT_LT(d.standard_error, std::hypot(with->standard_error, without->standard_error));
}

TEST(EvaluationTest, StandardErrorOfTheMean) {
  const std::vector<double> values = {1, 2, 3, 4};
  const Estimate e = EstimateMean(values);
  EXPECT_DOUBLE_EQ(e.mean, 2.5);
  EXPECT_DOUBLE_EQ(e.standard_error, std::sqrt(5.0 / 3.0) / 2.0);
  EXPECT_EQ(EstimateMean(std::vector<double>{7}).standard_error, 0.0);
}

TEST(EvaluationTest, RejectsBadInput) {
  Loopy f;
  EXPECT_FALSE(EvaluateTargets(f.graph, f.state, std::vector<NodeIndex>{60}, kOptions).ok());
  EXPECT_FALSE(EvaluateTargets(f.graph, f.state, {}, {.horizon = 0}).ok());
  EXPECT_FALSE(EvaluateTargets(f.graph, f.state, {}, {.realizations = 1}).ok());
  InitialState wrong;
  EXPECT_FALSE(EvaluateTargets(f.graph, wrong, {}, kOptions).ok());
}

}  // namespace
}  // namespace riskd::engine::immunization
