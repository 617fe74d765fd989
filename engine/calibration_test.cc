#include "engine/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/testing/cascade_simulator.h"
#include "engine/testing/continuous_sir.h"
#include "engine/testing/graphs.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/sir_exact.h"
#include "engine/testing/statistics.h"

namespace riskd::engine {
namespace {

constexpr double kEpsilon = 1e-6;  // CalibrationOptions::min_probability

double Floored(double p) { return std::log((1 - kEpsilon) * p + kEpsilon); }

// 0 -> 1 -> {3, 4}, 0 -> 2 -> 5, downstream; node 4 has two days of
// inventory (onset two steps after being hit).
Network SmallTree() {
  Network net =
      testing::MakeNetwork(6, {{0, 1, 1.0}, {0, 2, 2.0}, {1, 3, 1.0}, {1, 4, 3.0}, {2, 5, 1.0}});
  NodeAttributes a = net.node(4);
  a.inventory_days = 2;
  EXPECT_TRUE(net.UpdateNode(a).ok());
  net.Compact();
  return net;
}

RiskType Downstream(double alpha, double beta) {
  RiskType t;
  t.alpha = alpha;
  t.beta = beta;
  t.direction = Direction::kDownstream;
  return t;
}

// Cascades simulated with the engine's own discrete model, each from
// `sources` distinct nodes that can pass the risk on; every disrupted node
// reports, each other node reports normal with probability `normal`.
std::vector<ObservedCascade> SimulateCascades(const Network& net, const RiskType& type,
                                              const VulnerabilityOptions& vulnerability, int count,
                                              int sources, std::uint64_t seed,
                                              double normal = 1.0) {
  const TransmissionGraph g =
      BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, vulnerability));
  const testing::SimModel model = testing::ModelOf(g);
  std::mt19937_64 rng(seed);
  std::vector<ObservedCascade> out;
  while (static_cast<int>(out.size()) < count) {
    std::vector<NodeIndex> from;
    while (static_cast<int>(from.size()) < sources) {
      const auto s = static_cast<NodeIndex>(rng() % g.node_count);
      if (!g.out(s).empty() && std::find(from.begin(), from.end(), s) == from.end())
        from.push_back(s);
    }
    const auto cascade = testing::Simulate(model, from, 30, rng);
    out.push_back(
        testing::Observe(cascade, from, {.end = 30, .normal_report_fraction = normal}, rng));
  }
  return out;
}

// Reports of nodes whose suppliers all reported are scored exactly given
// those reports; a node with an unreported supplier by its DMP marginal
// (exact here: a tree).
TEST(CalibrationTest, LikelihoodIsTheProbabilityOfEachObservationOnATree) {
  const Network net = SmallTree();
  const RiskType type = Downstream(1.3, 0.35);
  const TransmissionGraph g =
      BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, {}));
  ASSERT_EQ(g.latency[4], 2);
  constexpr int kEnd = 6;
  ObservedCascade c;
  c.end = kEnd;
  c.sources = {{0, 0, 3, 1.0}};
  c.disrupted = {{1, 1, 4, 1.0}, {3, 3, -1, 1.0}, {4, 5, -1, 0.7}};
  // Node 2 never reports; node 3's normal report is implied by its onset.
  c.normal = {{5, 6}, {3, 1}};
  auto likelihood = CascadeLikelihood::Create(net, type, {}, {c}, {});
  ASSERT_TRUE(likelihood.ok()) << likelihood.status().ToString();

  auto p = [&](int from, int to) {
    for (EdgeIndex e = g.in_begin(static_cast<NodeIndex>(to));
         e < g.in_end(static_cast<NodeIndex>(to)); ++e) {
      if (g.source[e] == static_cast<NodeIndex>(from)) return g.p[e];
    }
    ADD_FAILURE() << "no arc " << from << " -> " << to;
    return 0.0;
  };
  auto survive = [&](int v, int steps) {
    return std::pow(1 - g.q[static_cast<std::size_t>(v)], steps);
  };
  const double p01 = p(0, 1), p13 = p(1, 3), p14 = p(1, 4);
  // Node 5's supplier 2 is unreported: its DMP marginal, exact on a tree.
  const auto exact = testing::ExactSir(
      g, InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}}), kEnd);
  const double expected =
      Floored(g.q[0] * survive(0, 2)) +  // source 0 recovers at 3
      Floored(p01 * g.q[1] *
              survive(1, 2)) +  // 0 infectious at step 0: hit, onset 1; recovers at 4
      Floored((1 - p13) * p13 *
              survive(3, kEnd - 3)) +                  // 1 infectious from 1: missed at 1, hit at 2
      Floored(0.7 * (1 - p14) * p14 * survive(4, 1) +  // hit at 3, disrupted at 5 (two days' cover)
              0.3 * (1 - p14) * (1 - p14)) +           // or not hit by 3
      Floored(exact.p_s[kEnd][5]);                     // normal at 6
  const auto each = (*likelihood)->Evaluate({type.alpha, type.beta, 2.0});
  ASSERT_EQ(each.size(), 1u);
  EXPECT_NEAR(each[0], expected, 1e-12);
  EXPECT_NEAR((*likelihood)->Total({type.alpha, type.beta, 2.0}), expected, 1e-12);

  const FitDiagnostic d = (*likelihood)->Diagnose({type.alpha, type.beta, 2.0});
  EXPECT_EQ(d.onsets, 3u);
  EXPECT_EQ(d.recoveries, 2u);
  EXPECT_EQ(d.censored, 2u);
  EXPECT_EQ(d.normal_reports, 1u);
  EXPECT_EQ(d.conditional, 3u);
  EXPECT_NEAR(d.observed_disrupted, 2.7, 1e-12);
  // Node 1 by the end given its supplier's report; 3 and 4 given 1's.
  const double by_end = (1 - (1 - p01) * (1 - p01) * (1 - p01)) + (1 - std::pow(1 - p13, 3)) +
                        (1 - std::pow(1 - p14, 3)) + (1 - exact.p_s[kEnd][5]);
  EXPECT_NEAR(d.expected_disrupted, by_end, 1e-12);
}

// A later shock of the same cascade starts its source at its onset step
// (shielded before); a node downstream of it behind an unreported one is
// scored by the DMP marginal with that start.
TEST(CalibrationTest, LaterSourcesStartAtTheirOnset) {
  const Network net = testing::MakeNetwork(4, {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}});
  const RiskType type = Downstream(1.1, 0.3);
  const TransmissionGraph g =
      BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, {}));
  constexpr int kEnd = 6;
  ObservedCascade c;
  c.end = kEnd;
  c.sources = {{0, 0, -1, 1.0}, {1, 2, -1, 1.0}};
  c.normal = {{3, kEnd}};  // node 2 never reports
  auto likelihood = CascadeLikelihood::Create(net, type, {}, {c}, {});
  ASSERT_TRUE(likelihood.ok()) << likelihood.status().ToString();
  InitialState initial = InitialState::FromObservations(
      net, {{NodeState::kDisrupted, 1.0}, {NodeState::kDisrupted, 1.0}});
  initial.start = {0, 2, 0, 0};
  const auto exact = testing::ExactSir(g, initial, kEnd);
  const double expected = Floored(std::pow(1 - g.q[0], kEnd)) +
                          Floored(std::pow(1 - g.q[1], kEnd - 2)) + Floored(exact.p_s[kEnd][3]);
  EXPECT_NEAR((*likelihood)->Total({type.alpha, type.beta, 2.0}), expected, 1e-12);
  EXPECT_LT(exact.p_s[kEnd][3], 1.0);
  const FitDiagnostic d = (*likelihood)->Diagnose({type.alpha, type.beta, 2.0});
  EXPECT_EQ(d.late_sources, 1u);
  EXPECT_EQ(d.conditional, 0u);
}

TEST(CalibrationTest, SimulatorMatchesDmpMarginalsOnATree) {
  // Checks the test helper every other calibration test relies on.
  const Network net = testing::RandomTree(20, 5);
  RiskType type = Downstream(2.0, 0.4);
  type.direction = Direction::kBoth;
  const TransmissionGraph g =
      BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, {}));
  constexpr int kEnd = 12, kRuns = 4000;
  const std::vector<NodeIndex> sources{0};
  DmpOptions d;
  d.horizon = kEnd;
  d.tolerance = 0;
  d.record_marginals = true;
  const DmpResult dmp =
      RunDmp(g, InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}}), d);
  const testing::SimModel model = testing::ModelOf(g);
  std::mt19937_64 rng(7);
  std::vector<std::vector<double>> onsets(kEnd + 1, std::vector<double>(g.node_count, 0));
  std::vector<double> source_recovery(kEnd + 2, 0);
  for (int run = 0; run < kRuns; ++run) {
    const auto c = testing::Simulate(model, sources, kEnd, rng);
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      if (std::isfinite(c.onset[v])) onsets[static_cast<std::size_t>(c.onset[v])][v] += 1.0 / kRuns;
    }
    if (std::isfinite(c.recovery[0]))
      source_recovery[static_cast<std::size_t>(c.recovery[0])] += 1.0 / kRuns;
  }
  for (int t = 1; t <= kEnd; ++t) {
    for (NodeIndex v = 1; v < g.node_count; ++v) {
      const double p =
          dmp.p_s_t[static_cast<std::size_t>(t - 1)][v] - dmp.p_s_t[static_cast<std::size_t>(t)][v];
      EXPECT_NEAR(onsets[static_cast<std::size_t>(t)][v], p, testing::BinomialBound(p, kRuns, 4.5))
          << "node " << v << " step " << t;
    }
    const double q = g.q[0], p = q * std::pow(1 - q, t - 1);
    EXPECT_NEAR(source_recovery[static_cast<std::size_t>(t)], p,
                testing::BinomialBound(p, kRuns, 4.5));
  }
}

TEST(CalibrationTest, ContinuousSimulatorMatchesTheEnginesContinuousSir) {
  const Network net = testing::RandomGraph(60, 90, 3);
  RiskType type = Downstream(1.0, 1.0);
  type.direction = Direction::kBoth;
  TransmissionOptions keep;
  keep.keep_shares = true;
  const Vulnerability vul = ComputeVulnerability(net, type.layers, {});
  const TransmissionGraph g = BuildTransmissionGraph(net, type, vul, keep);
  const ContinuousRates rates = UniformRates(g, 0.6, 0.5);
  testing::SimModel model;
  model.continuous = true;
  model.out.resize(g.node_count);
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    for (EdgeIndex e : g.out(i)) model.out[i].push_back({g.target_of(e), rates.edge_rate[e]});
  }
  model.recovery_rate = rates.recovery_rate;
  model.latency.assign(g.node_count, 0);
  ContinuousSir engine_sir(g, rates, 11);
  std::mt19937_64 rng(13);
  std::vector<double> ours, theirs;
  const std::vector<NodeIndex> sources{4};
  for (std::uint32_t run = 0; run < 2000; ++run) {
    const auto c = testing::Simulate(model, sources, 8.0, rng);
    ours.push_back(static_cast<double>(
        std::count_if(c.onset.begin(), c.onset.end(), [](double t) { return std::isfinite(t); })));
    theirs.push_back(static_cast<double>(engine_sir.Run(run, sources, 8.0)));
  }
  const auto ks = testing::TwoSampleKs(ours, theirs);
  EXPECT_GT(ks.p_value, 0.001) << "KS statistic " << ks.statistic;
  EXPECT_NEAR(testing::Mean(ours), testing::Mean(theirs), 0.1 * testing::Mean(theirs));
}

// The calibration's main promise, on a real supply network (willems_20,
// 156 stages, downstream): cascades simulated with known alpha, beta and
// kappa, calibration started far from them. Checked over seeds 1..40 while
// writing this test: the 95% intervals covered alpha and beta 40 times,
// kappa 39 (willems_38, 1 source, seeds 1..20: all 60).
TEST(CalibrationTest, RecoversKnownParametersOnARealNetworkFromAMisspecifiedStart) {
  auto real = testing::LoadRealNetwork("willems_20");
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  const Network& net = real->network;
  VulnerabilityOptions truth_vulnerability;
  truth_vulnerability.kappa = 2.5;
  const RiskType truth = Downstream(1.5, 0.35);
  const auto cascades = SimulateCascades(net, truth, truth_vulnerability, 20, 2, 1);

  VulnerabilityOptions start_vulnerability;
  start_vulnerability.kappa = 1.2;
  const auto fit = Calibrate(net, Downstream(0.3, 1.0), start_vulnerability, cascades);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(fit->converged);
  EXPECT_TRUE(fit->identified);
  ASSERT_EQ(fit->parameters.size(), 3u);
  const double truths[] = {1.5, 0.35, 2.5}, starts[] = {0.3, 1.0, 1.2};
  for (std::size_t i = 0; i < 3; ++i) {
    const ParameterEstimate& p = fit->parameters[i];
    SCOPED_TRACE(p.name);
    EXPECT_TRUE(p.fitted);
    EXPECT_FALSE(p.at_bound);
    EXPECT_EQ(p.start, starts[i]);
    EXPECT_LE(p.lower, truths[i]);
    EXPECT_GT(p.upper, truths[i]);
    EXPECT_LE(p.lower, p.value);
    EXPECT_GT(p.upper, p.value);
    EXPECT_GT(p.effective_cascades, 1.0);
    EXPECT_LE(p.effective_cascades, 20.0);
  }
  // Informative: the misspecified start is rejected.
  EXPECT_TRUE(starts[1] > fit->parameters[1].upper);
  EXPECT_GT(fit->log_likelihood, fit->log_likelihood_start);
  EXPECT_LT(fit->likelihood_ratio_p, 1e-6);
  EXPECT_GE(fit->variance_inflation, 1.0);  // nodes of a cascade are dependent
  // The fitted model predicts as many disruptions as were reported, at
  // about the right time.
  const FitDiagnostic& d = fit->diagnostic;
  EXPECT_EQ(d.cascades, 20u);
  EXPECT_GT(d.onsets, 80u);
  EXPECT_NEAR(d.expected_disrupted, d.observed_disrupted, 0.1 * d.observed_disrupted);
  EXPECT_NEAR(d.mean_onset_expected, d.mean_onset_observed, 1.0);
  EXPECT_EQ(d.unexplained, 0u);

  // A start misspecified the other way reaches the same maximum.
  start_vulnerability.kappa = 8;
  const auto again = Calibrate(net, Downstream(5.0, 0.1), start_vulnerability, cascades);
  ASSERT_TRUE(again.ok());
  EXPECT_NEAR(again->estimate.alpha, fit->estimate.alpha, 2e-3 * fit->estimate.alpha);
  EXPECT_NEAR(again->estimate.beta, fit->estimate.beta, 2e-3 * fit->estimate.beta);
  EXPECT_NEAR(again->estimate.kappa, fit->estimate.kappa, 2e-3 * fit->estimate.kappa);
  EXPECT_NEAR(again->log_likelihood, fit->log_likelihood, 1e-3);
}

// With most normal reports missing, reports of nodes with an unreported
// supplier are scored by DMP marginals. Seeds 1..40: the intervals covered
// alpha 39 times, beta 40, kappa 39.
TEST(CalibrationTest, RecoversKnownParametersWhenFewNodesReportNormal) {
  auto real = testing::LoadRealNetwork("willems_20");
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  VulnerabilityOptions truth_vulnerability;
  truth_vulnerability.kappa = 2.5;
  const auto cascades =
      SimulateCascades(real->network, Downstream(1.5, 0.35), truth_vulnerability, 20, 2, 1, 0.3);
  const auto fit = Calibrate(real->network, Downstream(0.8, 0.3), {}, cascades);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const double truths[] = {1.5, 0.35, 2.5};
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(fit->parameters[i].name);
    EXPECT_LE(fit->parameters[i].lower, truths[i]);
    EXPECT_GT(fit->parameters[i].upper, truths[i]);
  }
  const FitDiagnostic& d = fit->diagnostic;
  EXPECT_GT(d.conditional, 0u);
  EXPECT_LT(d.conditional, d.onsets + d.normal_reports);  // DMP scored the others
  EXPECT_NEAR(d.expected_disrupted, d.observed_disrupted, 0.15 * d.observed_disrupted);
}

TEST(CalibrationTest, FixedParametersStayAndNothingToLearnSitsAtTheBound) {
  const Network net = SmallTree();
  // Source 0 never passes anything on, over many cascades: alpha goes to
  // its lower bound, which gets no interval.
  std::vector<ObservedCascade> cascades;
  for (int k = 0; k < 8; ++k) {
    ObservedCascade c;
    c.end = 10;
    c.sources = {{0, 0, 2 + k % 3, 1.0}};
    c.normal = {{1, 10}, {2, 10}, {3, 10}, {4, 10}, {5, 10}};
    cascades.push_back(c);
  }
  CalibrationOptions o;
  o.fit_beta = false;
  o.fit_kappa = false;
  const auto fit = Calibrate(net, Downstream(0.8, 0.3), {}, cascades, o);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->estimate.beta, 0.3);
  EXPECT_FALSE(fit->parameters[1].fitted);
  EXPECT_TRUE(std::isnan(fit->parameters[1].lower));
  EXPECT_NEAR(fit->estimate.alpha, o.min_alpha, 1e-6);
  EXPECT_TRUE(fit->parameters[0].at_bound);
  EXPECT_TRUE(std::isnan(fit->parameters[0].lower));
  EXPECT_EQ(fit->diagnostic.normal_reports, 40u);
  EXPECT_EQ(fit->diagnostic.recoveries, 8u);
  EXPECT_FALSE(fit->parameters[2].fitted);
  EXPECT_EQ(fit->estimate.kappa, VulnerabilityOptions{}.kappa);

  // Uniform vulnerability: kappa changes nothing, so it is not fitted.
  VulnerabilityOptions uniform;
  uniform.mode = VulnerabilityOptions::Mode::kUniform;
  const auto flat = Calibrate(net, Downstream(0.8, 0.3), uniform, cascades);
  ASSERT_TRUE(flat.ok());
  EXPECT_FALSE(flat->parameters[2].fitted);
  EXPECT_TRUE(flat->parameters[1].fitted);
}

TEST(CalibrationTest, RejectsBadCascadesSayingWhy) {
  const Network net = SmallTree();
  auto reason = [&](ObservedCascade c) {
    return Calibrate(net, Downstream(0.8, 0.3), {}, {std::move(c)}).status().ToString();
  };
  ObservedCascade ok;
  ok.end = 5;
  ok.sources = {{0, 0, -1, 1.0}};
  ok.disrupted = {{1, 2, 4, 1.0}};
  ok.normal = {{5, 5}};
  EXPECT_TRUE(Calibrate(net, Downstream(0.8, 0.3), {}, {ok}).ok());

  EXPECT_EQ(Calibrate(net, Downstream(0.8, 0.3), {}, {}).status().ToString(),
            "invalid_argument: calibration: no cascades");
  ObservedCascade c = ok;
  c.sources.clear();
  EXPECT_EQ(reason(c), "invalid_argument: cascade 0: no sources");
  c = ok;
  c.disrupted[0].node = 17;
  EXPECT_EQ(reason(c),
            "invalid_argument: cascade 0: disrupted: node index 17 is not in the network");
  c = ok;
  c.disrupted[0].recovery = 2;
  EXPECT_EQ(reason(c),
            "invalid_argument: cascade 0: node n1 recovers at step 2, not after its onset 2");
  c = ok;
  c.normal[0].step = 6;
  EXPECT_EQ(reason(c), "invalid_argument: cascade 0: normal step 6 outside 0..end (5)");
  c = ok;
  c.disrupted.push_back({0, 1, -1, 1.0});
  EXPECT_EQ(
      reason(c),
      "invalid_argument: cascade 0: node n0 is reported disrupted twice (or as a source too)");
  c = ok;
  c.sources[0].onset = 1;
  EXPECT_EQ(reason(c),
            "invalid_argument: cascade 0: the earliest source onset must be step 0, not 1");
  c = ok;
  c.disrupted[0].severity = 0;
  EXPECT_EQ(reason(c), "invalid_argument: cascade 0: node n1: severity must be in (0, 1]");
  CalibrationOptions o;
  o.confidence = 1;
  EXPECT_EQ(Calibrate(net, Downstream(0.8, 0.3), {}, {ok}, o).status().ToString(),
            "invalid_argument: calibration: confidence must be in (0, 1)");
}

}  // namespace
}  // namespace riskd::engine
