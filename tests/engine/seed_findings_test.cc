// Seed 003's qualitative findings, checked on the real networks in data/:
// a larger infection rate alpha gives larger and faster outbreaks, a larger
// recovery rate beta smaller ones, more initial sources faster spread, and
// immunization lowers the final size. Monte Carlo with common random
// numbers, so each comparison also holds realization by realization.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "engine/dmp.h"
#include "engine/monte_carlo.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/statistics.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

constexpr int kRuns = 150;
constexpr int kHorizon = 30;
constexpr int kEarly = 4;  // "faster": disrupted within the first 4 steps

struct Scenario {
  double alpha = 0.4;
  double beta = 0.3;
  std::vector<NodeIndex> sources;
  std::vector<NodeIndex> immunized;
};

struct Outcome {
  std::vector<std::uint32_t> final_sizes, early_sizes;
  double final_mean = 0, early_mean = 0;
};

class SeedFindingsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto loaded = testing::LoadRealNetwork(GetParam());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    real_ = std::move(*loaded);
    const Network& net = real_.network;
    // Sources: the nodes that supply most others (out-degree, then index).
    by_out_degree_.resize(net.node_slots());
    std::iota(by_out_degree_.begin(), by_out_degree_.end(), 0u);
    std::stable_sort(by_out_degree_.begin(), by_out_degree_.end(), [&](NodeIndex a, NodeIndex b) {
      return net.out_end(a) - net.out_begin(a) > net.out_end(b) - net.out_begin(b);
    });
  }

  TransmissionGraph Graph(const Scenario& s) const {
    RiskType t;
    t.alpha = s.alpha;
    t.beta = s.beta;
    t.direction = real_.direction;
    return BuildTransmissionGraph(real_.network, t,
                                  ComputeVulnerability(real_.network, t.layers, {}));
  }

  InitialState Initial(const Scenario& s) const {
    std::vector<Observation> obs(real_.network.node_slots());
    for (NodeIndex v : s.sources) obs[v] = {NodeState::kDisrupted, 1.0};
    for (NodeIndex v : s.immunized) obs[v] = {NodeState::kImmunized, 1.0};
    return InitialState::FromObservations(real_.network, obs);
  }

  Outcome Run(const Scenario& s) const {
    const auto g = Graph(s);
    const auto init = Initial(s);
    Outcome o;
    MonteCarloOptions mo;
    mo.horizon = kHorizon;
    o.final_sizes = RunMonteCarlo(g, init, mo, kRuns).sizes;
    mo.horizon = kEarly;
    o.early_sizes = RunMonteCarlo(g, init, mo, kRuns).sizes;
    o.final_mean = testing::Mean({o.final_sizes.begin(), o.final_sizes.end()});
    o.early_mean = testing::Mean({o.early_sizes.begin(), o.early_sizes.end()});
    return o;
  }

  Scenario Base() const { return Scenario{0.4, 0.3, {by_out_degree_[0]}, {}}; }

  testing::RealNetwork real_;
  std::vector<NodeIndex> by_out_degree_;
};

// a <= b in every realization and strictly on average.
void ExpectDominated(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  for (std::size_t k = 0; k < a.size(); ++k) ASSERT_LE(a[k], b[k]) << "realization " << k;
  EXPECT_LT(testing::Mean({a.begin(), a.end()}), testing::Mean({b.begin(), b.end()}));
}

TEST_P(SeedFindingsTest, LargerAlphaGivesLargerAndFasterOutbreaks) {
  const Outcome base = Run(Base());
  Scenario fast = Base();
  fast.alpha = 1.2;
  const Outcome more = Run(fast);
  EXPECT_GT(base.final_mean, 1.2);  // the base scenario does spread
  ExpectDominated(base.final_sizes, more.final_sizes);
  ExpectDominated(base.early_sizes, more.early_sizes);
}

TEST_P(SeedFindingsTest, LargerBetaGivesSmallerOutbreaks) {
  Scenario slow = Base();
  slow.beta = 0.8;
  ExpectDominated(Run(slow).final_sizes, Run(Base()).final_sizes);
}

TEST_P(SeedFindingsTest, MoreInitialSourcesSpreadFaster) {
  Scenario many = Base();
  const std::size_t n = by_out_degree_.size();
  many.sources = {by_out_degree_[0], by_out_degree_[std::min<std::size_t>(3, n - 1)],
                  by_out_degree_[std::min<std::size_t>(6, n - 1)]};
  const Outcome base = Run(Base()), more = Run(many);
  ExpectDominated(base.early_sizes, more.early_sizes);
  ExpectDominated(base.final_sizes, more.final_sizes);
}

TEST_P(SeedFindingsTest, ImmunizationLowersTheFinalSize) {
  // Targeted immunization (seed 003): the nodes DMP ranks most at risk.
  const Scenario base = Base();
  DmpOptions d;
  d.horizon = kHorizon;
  const DmpResult dmp = RunDmp(Graph(base), Initial(base), d);
  std::vector<NodeIndex> order(dmp.risk.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](NodeIndex a, NodeIndex b) { return dmp.risk[a] > dmp.risk[b]; });
  Scenario protected_ = base;
  const std::size_t k = std::max<std::size_t>(1, order.size() / 20);
  for (NodeIndex v : order) {
    if (protected_.immunized.size() == k) break;
    if (v != base.sources[0]) protected_.immunized.push_back(v);
  }
  ExpectDominated(Run(protected_).final_sizes, Run(base).final_sizes);
}

INSTANTIATE_TEST_SUITE_P(RealNetworks, SeedFindingsTest,
                         ::testing::ValuesIn(testing::RealNetworkNames()));

}  // namespace
}  // namespace riskd::engine
