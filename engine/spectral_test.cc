#include "engine/spectral.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <Eigen/Dense>

#include "engine/testing/graphs.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

double DenseRadius(const Eigen::MatrixXd& a) {
  return Eigen::EigenSolver<Eigen::MatrixXd>(a).eigenvalues().cwiseAbs().maxCoeff();
}

SpectralOptions Precise() {
  SpectralOptions o;
  o.max_iterations = 20000;
  o.tolerance = 1e-12;
  return o;
}

// The dense M and B of a graph, on the arcs `in` keeps.
struct DenseOperators {
  Eigen::MatrixXd m, b;
};
template <typename Keep>
DenseOperators Dense(const TransmissionGraph& g, Keep in) {
  const auto te = Transmissibility(g);
  const auto n = static_cast<Eigen::Index>(g.node_count);
  const auto m = static_cast<Eigen::Index>(g.edge_count());
  DenseOperators d{Eigen::MatrixXd::Zero(n, n), Eigen::MatrixXd::Zero(m, m)};
  const std::vector<NodeIndex> target = g.Targets();
  for (EdgeIndex e = 0; e < g.edge_count(); ++e) {
    if (!in(e)) continue;
    d.m(target[e], g.source[e]) = te[e];
    // e = i -> j continues any walk arriving at i except from j.
    for (EdgeIndex f = g.in_begin(g.source[e]); f < g.in_end(g.source[e]); ++f) {
      if (in(f) && g.source[f] != target[e]) d.b(e, f) = te[e];
    }
  }
  return d;
}

TEST(SpectralTest, PowerIterationMatchesDenseEigenvalues) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Network net = testing::RandomGraph(25, 50, seed);
    const auto g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.4);
    std::vector<Observation> obs(25);
    obs[4] = {NodeState::kImmunized, 1.0};
    const InitialState init = InitialState::FromObservations(net, obs);
    const DenseOperators d =
        Dense(g, [&](EdgeIndex e) { return g.source[e] != 4 && g.target_of(e) != 4; });
    const SpectralRadius r = ComputeSpectralRadius(g, init, Precise());
    EXPECT_NEAR(r.transmission, DenseRadius(d.m), 1e-6) << seed;
    EXPECT_NEAR(r.non_backtracking, DenseRadius(d.b), 1e-6) << seed;
    EXPECT_LT(r.non_backtracking, r.transmission);  // backtracking inflates M
  }
}

// The plain power iteration serves aperiodic operators and period 2; others
// fall back to the shifted one. Each case against the dense eigenvalues,
// with the default options (tolerance 1e-6 on the estimate).
TEST(SpectralTest, PeriodicAndReducibleOperatorsMatchDenseEigenvaluesWithDefaultOptions) {
  auto all = [](EdgeIndex) { return true; };
  auto check = [&](const Network& net, Direction direction, double alpha, const char* what) {
    const auto g = testing::BuildGraph(net, direction, alpha, 0.3);
    const DenseOperators d = Dense(g, all);
    const SpectralRadius r =
        ComputeSpectralRadius(g, InitialState::FromObservations(net, {}), SpectralOptions{});
    EXPECT_NEAR(r.transmission, DenseRadius(d.m), 1e-5) << what;
    EXPECT_NEAR(r.non_backtracking, DenseRadius(d.b), 1e-5) << what;
  };
  // Bipartite (period 2): suppliers 0-5 to customers 6-11, both ways.
  std::vector<std::tuple<int, int, double>> bipartite;
  for (int i = 0; i < 6; ++i) {
    for (int j = 6; j < 12; ++j) {
      if ((i * 7 + j) % 3 != 0) bipartite.emplace_back(i, j, 0.5 + 0.1 * ((i + j) % 4));
    }
  }
  check(testing::MakeNetwork(12, bipartite), Direction::kBoth, 1.5, "bipartite");
  // Layers in a directed ring (periods 3 and 4), downstream only: three
  // nodes a layer, each fed by two of the layer before with unequal weights
  // (on a plain ring every share is 1 and every T the same, which any
  // iteration gets right at once).
  auto layered_ring = [](int layers) {
    std::vector<std::tuple<int, int, double>> edges;
    for (int l = 0; l < layers; ++l) {
      for (int a = 0; a < 3; ++a) {
        for (int b = 0; b < 3; ++b) {
          if (a == b) continue;
          edges.emplace_back(3 * l + a, 3 * ((l + 1) % layers) + b,
                             0.3 + 0.4 * ((a + 2 * b + l) % 3));
        }
      }
    }
    return testing::MakeNetwork(3 * layers, edges);
  };
  check(layered_ring(3), Direction::kDownstream, 3.0, "ring of 3 layers");
  check(layered_ring(4), Direction::kDownstream, 3.0, "ring of 4 layers");
  // Reducible: two components of different radii, and a tail into a cycle.
  Network two = testing::MakeNetwork(9, {{0, 1, 1},
                                         {1, 2, 1},
                                         {2, 0, 1},
                                         {3, 4, 1},
                                         {4, 5, 1},
                                         {5, 3, 1},
                                         {5, 6, 1},
                                         {6, 3, 2},
                                         {7, 8, 1},
                                         {8, 0, 1}});
  check(two, Direction::kDownstream, 2.0, "two components and a tail");
  check(two, Direction::kBoth, 2.0, "two components and a tail, both ways");
  for (std::uint64_t seed : {4u, 5u}) {
    check(testing::RandomGraph(30, 45, seed), Direction::kBoth, 1.0, "random");
    check(testing::RandomGraph(30, 60, seed), Direction::kDownstream, 4.0, "random, downstream");
  }
}

// Only nodes on a cycle carry a nonzero eigenvalue. CyclicNodes marks them:
// two cycles joined by an arc and a tail into the first.
TEST(SpectralTest, CyclicNodesAreTheNodesOnACycle) {
  Network net = testing::MakeNetwork(9, {{0, 1, 1},
                                         {1, 2, 1},
                                         {2, 0, 1},
                                         {2, 3, 1},
                                         {3, 4, 1},
                                         {4, 5, 1},
                                         {5, 3, 1},
                                         {5, 6, 1},
                                         {7, 8, 1},
                                         {8, 0, 1}});
  const auto down = testing::BuildGraph(net, Direction::kDownstream, 2.0, 0.3);
  EXPECT_EQ(CyclicNodes(down), (std::vector<char>{1, 1, 1, 1, 1, 1, 0, 0, 0}));
  // Both ways every arc has its reverse: every node with an arc is on a cycle.
  const auto both = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
  EXPECT_EQ(CyclicNodes(both), std::vector<char>(9, 1));
  // A tree downstream: none.
  const auto tree = testing::BuildGraph(testing::RandomTree(40, 3), Direction::kDownstream, 2, 0.3);
  EXPECT_EQ(CyclicNodes(tree), std::vector<char>(40, 0));
}

// The iteration runs on the nodes on cycles: the same radius as the dense
// operator on every node that can take part, whatever the acyclic rest;
// with the cycles passed in or found by the call, the same result exactly.
TEST(SpectralTest, RadiusOnTheCyclesEqualsTheWholeOperators) {
  for (std::uint64_t seed : {6u, 7u, 8u}) {
    // Sparse enough downstream that part of the graph is on no cycle.
    Network net = testing::RandomGraph(40, 55, seed);
    const auto g = testing::BuildGraph(net, Direction::kDownstream, 4.0, 0.3);
    const std::vector<char> cyclic = CyclicNodes(g);
    const auto on = std::count(cyclic.begin(), cyclic.end(), 1);
    EXPECT_GT(on, 0) << seed;
    EXPECT_LT(on, 40) << seed;
    std::vector<Observation> obs(40);
    obs[static_cast<std::size_t>(seed)] = {NodeState::kRecovered, 1.0};
    const InitialState init = InitialState::FromObservations(net, obs);
    const DenseOperators d =
        Dense(g, [&](EdgeIndex e) { return g.source[e] != seed && g.target_of(e) != seed; });
    const SpectralRadius r = ComputeSpectralRadius(g, init, Precise());
    EXPECT_NEAR(r.transmission, DenseRadius(d.m), 1e-6) << seed;
    EXPECT_NEAR(r.non_backtracking, DenseRadius(d.b), 1e-6) << seed;
    const SpectralRadius kept = ComputeSpectralRadius(g, init, Precise(), &cyclic);
    EXPECT_EQ(kept.transmission, r.transmission) << seed;
    EXPECT_EQ(kept.non_backtracking, r.non_backtracking) << seed;
    EXPECT_EQ(kept.iterations, r.iterations) << seed;
  }
}

// An acyclic graph: radius exactly 0 without a product, however long its
// paths. On a chain of 400 nodes the power iteration from every node (before
// it kept to the cycles) saw a growth factor of about T per step long
// before the mass ran off the end, and returned 0.99 after 54 products.
TEST(SpectralTest, AcyclicGraphHasRadiusZeroWithoutIterating) {
  std::vector<std::tuple<int, int, double>> chain;
  for (int v = 0; v + 1 < 400; ++v) chain.emplace_back(v, v + 1, 1.0 + (v % 3));
  Network net = testing::MakeNetwork(400, chain);
  const auto g = testing::BuildGraph(net, Direction::kDownstream, 3.0, 0.2);
  const SpectralRadius r =
      ComputeSpectralRadius(g, InitialState::FromObservations(net, {}), SpectralOptions{});
  EXPECT_EQ(r.transmission, 0.0);
  EXPECT_EQ(r.non_backtracking, 0.0);
  EXPECT_FALSE(r.supercritical);
  EXPECT_EQ(r.iterations, 0);
}

TEST(SpectralTest, TransmissibilityAndCriticality) {
  Network net = testing::MakeNetwork(2, {{0, 1, 1}});
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1.0, 0.5);
  const double p = g.p[0], q = g.q[0];
  EXPECT_DOUBLE_EQ(Transmissibility(g)[0], p / (p + q - p * q));
  // A tree has no non-backtracking cycles: radius 0 however contagious (B is
  // nilpotent), while the backtracking operator sees the ping-pong along
  // every edge.
  Network tree = testing::RandomTree(30, 4);
  const auto init_tree = InitialState::FromObservations(tree, {});
  const auto r =
      ComputeSpectralRadius(testing::BuildGraph(tree, Direction::kBoth, 20, 0.01), init_tree, {});
  EXPECT_EQ(r.non_backtracking, 0.0);
  EXPECT_GT(r.transmission, 1.0);
  EXPECT_FALSE(r.supercritical);
  // Downstream on an acyclic network nothing cycles at all.
  RiskType down;
  const auto dag = BuildTransmissionGraph(tree, down, ComputeVulnerability(tree, down.layers, {}));
  EXPECT_EQ(ComputeSpectralRadius(dag, init_tree, {}).transmission, 0.0);
  // On a loopy graph, criticality follows alpha.
  Network loopy = testing::RandomGraph(200, 600, 9);
  const auto init = InitialState::FromObservations(loopy, {});
  const auto mild = testing::BuildGraph(loopy, Direction::kBoth, 0.3, 0.5);
  const auto fierce = testing::BuildGraph(loopy, Direction::kBoth, 6.0, 0.2);
  EXPECT_FALSE(ComputeSpectralRadius(mild, init, {}).supercritical);
  EXPECT_TRUE(ComputeSpectralRadius(fierce, init, {}).supercritical);
}

}  // namespace
}  // namespace riskd::engine
