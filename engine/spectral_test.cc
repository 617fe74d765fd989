#include "engine/spectral.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "engine/testing/graphs.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

TransmissionGraph Build(const Network& net, double alpha, double beta) {
  RiskType t;
  t.alpha = alpha;
  t.beta = beta;
  t.direction = Direction::kBoth;
  return BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, {}));
}

double DenseRadius(const Eigen::MatrixXd& a) {
  return Eigen::EigenSolver<Eigen::MatrixXd>(a).eigenvalues().cwiseAbs().maxCoeff();
}

SpectralOptions Precise() {
  SpectralOptions o;
  o.max_iterations = 20000;
  o.tolerance = 1e-12;
  return o;
}

TEST(SpectralTest, PowerIterationMatchesDenseEigenvalues) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Network net = testing::RandomGraph(25, 50, seed);
    const auto g = Build(net, 2.0, 0.4);
    std::vector<Observation> obs(25);
    obs[4] = {NodeState::kImmunized, 1.0};
    const InitialState init = InitialState::FromObservations(net, obs);
    const auto te = Transmissibility(g);
    auto in = [&](EdgeIndex e) { return g.source[e] != 4 && g.target[e] != 4; };
    const auto n = static_cast<Eigen::Index>(g.node_count);
    const auto m = static_cast<Eigen::Index>(g.edge_count());
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(n, n), B = Eigen::MatrixXd::Zero(m, m);
    for (EdgeIndex e = 0; e < g.edge_count(); ++e) {
      if (!in(e)) continue;
      M(g.target[e], g.source[e]) = te[e];
      // e = i -> j continues any walk arriving at i except from j.
      for (EdgeIndex f = g.in_begin(g.source[e]); f < g.in_end(g.source[e]); ++f) {
        if (in(f) && g.source[f] != g.target[e]) B(e, f) = te[e];
      }
    }
    const SpectralRadius r = ComputeSpectralRadius(g, init, Precise());
    EXPECT_NEAR(r.transmission, DenseRadius(M), 1e-6) << seed;
    EXPECT_NEAR(r.non_backtracking, DenseRadius(B), 1e-6) << seed;
    EXPECT_LT(r.non_backtracking, r.transmission);  // backtracking inflates M
  }
}

TEST(SpectralTest, TransmissibilityAndCriticality) {
  Network net = testing::MakeNetwork(2, {{0, 1, 1}});
  const auto g = Build(net, 1.0, 0.5);
  const double p = g.p[0], q = g.q[0];
  EXPECT_DOUBLE_EQ(Transmissibility(g)[0], p / (p + q - p * q));
  // A tree has no non-backtracking cycles: radius 0 however contagious (B is
  // nilpotent, so power iteration only creeps towards 0), while the
  // backtracking operator sees the ping-pong along every edge.
  Network tree = testing::RandomTree(30, 4);
  const auto init_tree = InitialState::FromObservations(tree, {});
  const auto r = ComputeSpectralRadius(Build(tree, 20, 0.01), init_tree, Precise());
  EXPECT_LT(r.non_backtracking, 1e-3);
  EXPECT_GT(r.transmission, 1.0);
  EXPECT_FALSE(ComputeSpectralRadius(Build(tree, 20, 0.01), init_tree, {}).supercritical);
  // On a loopy graph, criticality follows alpha.
  Network loopy = testing::RandomGraph(200, 600, 9);
  const auto init = InitialState::FromObservations(loopy, {});
  EXPECT_FALSE(ComputeSpectralRadius(Build(loopy, 0.3, 0.5), init, {}).supercritical);
  EXPECT_TRUE(ComputeSpectralRadius(Build(loopy, 6.0, 0.2), init, {}).supercritical);
}

}  // namespace
}  // namespace riskd::engine
