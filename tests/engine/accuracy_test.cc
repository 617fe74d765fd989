// What the daemon publishes (Engine::Project, default options: DMP where the
// Monte Carlo check accepts it, Monte Carlo elsewhere) against an
// independent Monte Carlo reference (another seed). The 10k-run version is
// bench/engine (metric dmp_mae_vs_mc); this lighter one runs in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/engine.h"
#include "engine/testing/generators.h"
#include "engine/testing/real_networks.h"

namespace riskd::engine {
namespace {

constexpr std::uint32_t kReferenceRuns = 2000;

struct Accuracy {
  double mae_all = 0;      // over alive nodes
  double mae_at_risk = 0;  // over nodes with risk >= 0.01 in either
  ProjectionMethod method = ProjectionMethod::kNone;
};

Accuracy Measure(Network net, Direction direction, double alpha, int sources,
                 VulnerabilityOptions::Mode mode) {
  EngineOptions o;
  o.risk_types[0].alpha = alpha;
  o.risk_types[0].beta = 0.3;
  o.risk_types[0].direction = direction;
  o.vulnerability.mode = mode;
  std::vector<NodeIndex> order(net.node_slots());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](NodeIndex a, NodeIndex b) {
    return net.out_end(a) - net.out_begin(a) > net.out_end(b) - net.out_begin(b);
  });
  auto engine = std::move(Engine::Create(o, std::move(net)).value());
  std::vector<NodeIndex> src;
  for (int k = 0; k < sources; ++k)
    src.push_back(order[static_cast<std::size_t>(k * 5) % order.size()]);
  EXPECT_TRUE(engine->Disrupt(0, src, 1.0).ok());
  engine->Project(1);
  const RiskTypeState& s = engine->risk_state(0);
  MonteCarloOptions mo;
  mo.horizon = o.dmp.horizon;
  mo.seed = 0xC0FFEE;  // independent of the engine's realizations
  const MonteCarloResult ref = RunMonteCarlo(*engine->Graph(0), s.initial(), mo, kReferenceRuns);
  Accuracy a;
  a.method = s.projection().method;
  std::size_t alive = 0, at_risk = 0;
  for (NodeIndex v = 0; v < ref.risk.size(); ++v) {
    if (!engine->network().alive(v)) continue;
    const double e = std::fabs(s.projection().risk[v] - ref.risk[v]);
    a.mae_all += e;
    ++alive;
    if (std::max(s.projection().risk[v], ref.risk[v]) >= 0.01) {
      a.mae_at_risk += e;
      ++at_risk;
    }
  }
  a.mae_all /= static_cast<double>(alive);
  a.mae_at_risk = at_risk ? a.mae_at_risk / static_cast<double>(at_risk) : 0;
  return a;
}

class AccuracyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AccuracyTest, PublishedRisksAreWithinTwoPointsOfMonteCarlo) {
  auto real = testing::LoadRealNetwork(GetParam());
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  const Accuracy a = Measure(std::move(real->network), real->direction, 0.4, 3,
                             VulnerabilityOptions::Mode::kSeed003);
  EXPECT_LE(a.mae_all, 0.02);
  EXPECT_LE(a.mae_at_risk, 0.02);
  RecordProperty("method", std::string(ProjectionMethodName(a.method)));
  RecordProperty("mae_all", std::to_string(a.mae_all));
  RecordProperty("mae_at_risk", std::to_string(a.mae_at_risk));
}

INSTANTIATE_TEST_SUITE_P(RealNetworks, AccuracyTest,
                         ::testing::ValuesIn(testing::RealNetworkNames()));

TEST(AccuracyTest, WattsStrogatzNearThresholdServesMonteCarloWithinTwoPoints) {
  const Accuracy a = Measure(WattsStrogatz(2000, 3, 0.05, {.seed = 3}), Direction::kBoth, 0.9, 1,
                             VulnerabilityOptions::Mode::kUniform);
  EXPECT_EQ(a.method, ProjectionMethod::kMonteCarlo);
  RecordProperty("mae_all", std::to_string(a.mae_all));
  RecordProperty("mae_at_risk", std::to_string(a.mae_at_risk));
  EXPECT_LE(a.mae_all, 0.02);
  EXPECT_LE(a.mae_at_risk, 0.02);
}

}  // namespace
}  // namespace riskd::engine
