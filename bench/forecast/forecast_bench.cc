// Forecast skill of riskd when its model is wrong (bench/README.md,
// issue 10 point 5): on the real networks in data/ and a generated
// scale-free network, cascades are simulated by an independent simulator
// with a heterogeneity riskd does not assume (truth_model.h). Per row
// (network x truth) and replicate: calibrate on 20 training cascades
// (engine/calibration.h, as `riskctl calibrate` does from a journal), then
// forecast 20 test cascades from their first observed day (the sources)
// with the engine as the daemon runs it, with the default and with the
// calibrated parameters, and score the per-node forecasts against what
// happened within the horizon. Scores pool the replicates' test cascades
// (a single set of 20 is dominated by its few largest cascades). One JSON
// line per metric, row and calibration:
//   {"bench":"forecast","metric":"forecast_auc",...,"network":...,"truth":...,"calibrated":...}
// Usage: forecast_bench [--quick] [--only NETWORK]
// (--quick: 2 replicates instead of 5 and a 2,000-node scale-free network
// instead of 10,000). bench/README.md describes the metrics and baselines.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "bench/forecast/skill_metrics.h"
#include "bench/forecast/truth_model.h"
#include "engine/calibration.h"
#include "engine/engine.h"
#include "engine/testing/cascade_simulator.h"
#include "engine/testing/generators.h"
#include "engine/testing/real_networks.h"

namespace riskd::bench {
namespace {

using engine::Direction;
using engine::NodeIndex;
using Clock = std::chrono::steady_clock;

constexpr int kTrainCascades = 20;
constexpr int kTestCascades = 20;
constexpr int kHorizon = 30;  // days: riskd's default horizon and the observation window
// A node counts as flagged (for the lead time) at riskd's default warning
// threshold (alert_policy.h).
constexpr double kFlagRisk = 0.3;
// Distance baseline: frequencies per hop distance 1..kMaxDistance (the last
// bin holds everything farther).
constexpr int kMaxDistance = 6;
// Runs of the truth per test cascade for the oracle's probabilities.
constexpr int kOracleRuns = 200;

bool quick = false;
std::string only;  // --only: one network's rows

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct NetworkCase {
  std::string name;
  engine::Network network;
  Direction direction = Direction::kDownstream;
  // The truth's rates on this network (truth_model.h) and the sources hit
  // per cascade: chosen so that cascades disrupt from a few to a few dozen
  // nodes within 30 days and none engulfs the network.
  double a = 1.0, g = 0.5;
  int sources = 3;
};

std::string DirectionName(Direction d) {
  return d == Direction::kDownstream ? "downstream"
         : d == Direction::kUpstream ? "upstream"
                                     : "both";
}

// One (test cascade, node) pair of the evaluation: every node reachable
// from the cascade's sources, sources excluded.
struct Pair {
  int distance = 0;
  double degree = 0;
  bool disrupted = false;  // within the horizon
  double onset = 0;        // day, if disrupted
  // The truth's own probability (kOracleRuns more runs from the same
  // sources, with the truth's node rates): the skill no forecast without
  // those rates reaches, and how far the outcome is from its expectation
  // by chance.
  double oracle = 0;
  double base_rate = 0;  // baseline forecasts fitted on the training cascades
  double distance_rate = 0;
};

// What one way of forecasting (default or calibrated parameters) gave,
// pooled over replicates.
struct Forecasts {
  std::vector<double> risk;  // per pair
  double expected = 0;       // sum of risk over every non-source node
  double lead = 0, flagged = 0;
  std::map<std::string, int> methods;  // projection methods served, per cascade
  double ms = 0;
};

struct RowResults {
  std::vector<Pair> pairs;
  double actual = 0, oracle_expected = 0;
  Forecasts forecasts[2];  // [calibrated]
  std::vector<engine::CalibrationResult> fits;
  double calibration_ms = 0;
};

// `count` distinct random nodes that can pass the risk on (a shock such as
// a quake hits several suppliers at once).
std::vector<NodeIndex> PickSources(const engine::testing::SimModel& m, int count,
                                   std::mt19937_64& rng) {
  std::vector<NodeIndex> out;
  while (static_cast<int>(out.size()) < count) {
    const auto s = static_cast<NodeIndex>(rng() % m.out.size());
    if (!m.out[s].empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

bool DisruptedBy(const engine::testing::SimCascade& c, NodeIndex v) {
  return std::isfinite(c.onset[v]) && std::ceil(c.onset[v]) <= kHorizon;
}

struct Baselines {
  double base_rate = 0;
  std::vector<double> by_distance;  // index 1..kMaxDistance
};

// Frequencies of disruption among reachable non-source nodes in the
// training cascades: overall and per hop distance.
Baselines FitBaselines(const engine::testing::SimModel& m,
                       const std::vector<engine::ObservedCascade>& train) {
  std::vector<double> hits(kMaxDistance + 1, 0), count(kMaxDistance + 1, 0);
  for (const auto& c : train) {
    std::vector<NodeIndex> sources;
    for (const auto& s : c.sources) sources.push_back(s.node);
    const auto d = HopDistances(m, sources);
    std::vector<std::uint8_t> disrupted(m.out.size(), 0);
    for (const auto& r : c.disrupted) disrupted[r.node] = 1;
    for (NodeIndex v = 0; v < m.out.size(); ++v) {
      if (d[v] <= 0) continue;
      const auto bin = static_cast<std::size_t>(std::min(d[v], kMaxDistance));
      count[bin] += 1;
      hits[bin] += disrupted[v];
    }
  }
  Baselines b;
  const double all = std::accumulate(count.begin(), count.end(), 0.0);
  b.base_rate = all > 0 ? std::accumulate(hits.begin(), hits.end(), 0.0) / all : 0;
  b.by_distance.assign(kMaxDistance + 1, b.base_rate);
  for (std::size_t k = 1; k <= kMaxDistance; ++k) {
    if (count[k] > 0) b.by_distance[k] = hits[k] / count[k];
  }
  return b;
}

// riskd's forecast of every test cascade from its sources, each by a fresh
// engine as the daemon runs it (default options: projection AUTO, the
// sources disrupted now), appended to *f.
void Forecast(const NetworkCase& nc, const engine::ModelParameters& m,
              const std::vector<std::vector<NodeIndex>>& tests,
              const std::vector<std::vector<NodeIndex>>& cascade_nodes, Forecasts* f) {
  engine::EngineOptions o;
  o.risk_types[0].alpha = m.alpha;
  o.risk_types[0].beta = m.beta;
  o.risk_types[0].direction = nc.direction;
  o.vulnerability.kappa = m.kappa;
  o.dmp.horizon = kHorizon;
  const auto start = Clock::now();
  for (std::size_t c = 0; c < tests.size(); ++c) {
    auto created = engine::Engine::Create(o, nc.network);
    if (!created.ok()) {
      std::fprintf(stderr, "forecast_bench: %s\n", created.status().ToString().c_str());
      std::exit(1);
    }
    engine::Engine& e = **created;
    (void)e.Disrupt(0, tests[c], 1.0);
    e.Project(1);
    const engine::Projection& proj = e.risk_state(0).projection();
    ++f->methods[std::string(engine::ProjectionMethodName(proj.method))];
    for (NodeIndex v = 0; v < proj.risk.size(); ++v) {
      if (std::find(tests[c].begin(), tests[c].end(), v) == tests[c].end())
        f->expected += proj.risk[v];
    }
    for (NodeIndex v : cascade_nodes[c]) f->risk.push_back(proj.risk[v]);
  }
  f->ms += MsSince(start);
}

// One replicate: 20 training cascades, calibration, 20 test cascades and
// both forecasts, appended to *row.
void Replicate(const NetworkCase& nc, const engine::testing::SimModel& truth,
               const std::vector<double>& degree, std::mt19937_64& rng, RowResults* row) {
  std::vector<engine::ObservedCascade> train;
  for (int k = 0; k < kTrainCascades; ++k) {
    const auto sources = PickSources(truth, nc.sources, rng);
    const auto c = engine::testing::Simulate(truth, sources, kHorizon, rng);
    train.push_back(engine::testing::Observe(c, sources, {.end = kHorizon}, rng));
  }
  const Baselines baselines = FitBaselines(truth, train);
  std::vector<std::vector<NodeIndex>> tests, cascade_nodes;
  std::vector<double> oracle(truth.out.size());
  for (int k = 0; k < kTestCascades; ++k) {
    tests.push_back(PickSources(truth, nc.sources, rng));
    const auto outcome = engine::testing::Simulate(truth, tests.back(), kHorizon, rng);
    const auto d = HopDistances(truth, tests.back());
    std::fill(oracle.begin(), oracle.end(), 0.0);
    for (int run = 0; run < kOracleRuns; ++run) {
      const auto again = engine::testing::Simulate(truth, tests.back(), kHorizon, rng);
      for (NodeIndex v = 0; v < truth.out.size(); ++v) {
        if (d[v] > 0 && DisruptedBy(again, v)) oracle[v] += 1.0 / kOracleRuns;
      }
    }
    cascade_nodes.emplace_back();
    for (NodeIndex v = 0; v < truth.out.size(); ++v) {
      if (d[v] <= 0) continue;
      Pair p;
      p.distance = d[v];
      p.degree = degree[v];
      p.disrupted = DisruptedBy(outcome, v);
      p.onset = p.disrupted ? std::ceil(outcome.onset[v]) : 0;
      p.oracle = oracle[v];
      p.base_rate = baselines.base_rate;
      p.distance_rate =
          baselines.by_distance[static_cast<std::size_t>(std::min(d[v], kMaxDistance))];
      row->actual += p.disrupted;
      row->oracle_expected += p.oracle;
      row->pairs.push_back(p);
      cascade_nodes.back().push_back(v);
    }
  }

  // Calibration from riskd's defaults, as `riskctl calibrate` starts.
  engine::RiskType start;
  start.direction = nc.direction;
  const auto t0 = Clock::now();
  auto fit = engine::Calibrate(nc.network, start, engine::VulnerabilityOptions{}, train);
  row->calibration_ms += MsSince(t0);
  if (!fit.ok()) {
    std::fprintf(stderr, "forecast_bench: %s: %s\n", nc.name.c_str(),
                 fit.status().ToString().c_str());
    std::exit(1);
  }
  const std::size_t first = row->pairs.size() - [&] {
    std::size_t n = 0;
    for (const auto& c : cascade_nodes) n += c.size();
    return n;
  }();
  for (int calibrated : {0, 1}) {
    Forecasts& f = row->forecasts[calibrated];
    Forecast(nc, calibrated ? fit->estimate : fit->start, tests, cascade_nodes, &f);
    for (std::size_t k = first; k < row->pairs.size(); ++k) {
      if (row->pairs[k].disrupted && f.risk[k] >= kFlagRisk) {
        f.lead += row->pairs[k].onset;
        f.flagged += 1;
      }
    }
  }
  row->fits.push_back(*fit);
}

void RunRow(const NetworkCase& nc, Heterogeneity heterogeneity, std::uint64_t seed) {
  TruthOptions to;
  to.a = nc.a;
  to.g = nc.g;
  to.heterogeneity = heterogeneity;
  to.seed = seed;
  const engine::testing::SimModel truth = TruthModel(nc.network, nc.direction, to);
  std::vector<double> degree(truth.out.size(), 0);
  for (NodeIndex i = 0; i < truth.out.size(); ++i) {
    degree[i] += static_cast<double>(truth.out[i].size());
    for (const auto& arc : truth.out[i]) degree[arc.target] += 1;
  }
  const int replicates = quick ? 2 : 5;
  RowResults row;
  std::mt19937_64 rng(seed * 7919 + 17);
  for (int r = 0; r < replicates; ++r) Replicate(nc, truth, degree, rng, &row);

  std::vector<bool> outcome;
  std::vector<double> by_distance, by_degree, base_rate, distance_rate, by_oracle;
  for (const Pair& p : row.pairs) {
    outcome.push_back(p.disrupted);
    by_distance.push_back(-p.distance);
    by_degree.push_back(p.degree);
    base_rate.push_back(p.base_rate);
    distance_rate.push_back(p.distance_rate);
    by_oracle.push_back(p.oracle);
  }
  const double brier_base_rate = BrierScore(base_rate, outcome);
  const double brier_distance = BrierScore(distance_rate, outcome);

  auto line = [&](const std::string& metric, double value, const std::string& unit) {
    JsonLine l("forecast", metric, value, unit);
    l.Param("network", nc.name)
        .Param("truth", HeterogeneityName(heterogeneity))
        .Param("nodes", static_cast<long long>(nc.network.node_count()))
        .Param("edges", static_cast<long long>(nc.network.edge_count()))
        .Param("direction", DirectionName(nc.direction))
        .Param("truth_a", nc.a)
        .Param("truth_g", nc.g)
        .Param("sources_per_cascade", nc.sources)
        .Param("replicates", replicates)
        .Param("train_cascades", kTrainCascades)
        .Param("test_cascades", kTestCascades)
        .Param("horizon_days", kHorizon);
    return l;
  };
  for (int calibrated : {0, 1}) {
    const Forecasts& f = row.forecasts[calibrated];
    std::string methods;
    for (const auto& [name, count] : f.methods) {
      methods += (methods.empty() ? "" : ",") + name + ":" + std::to_string(count);
    }
    auto emit = [&](const std::string& metric, double value, const std::string& unit) {
      auto l = line(metric, value, unit);
      l.Param("calibrated", calibrated == 1)
          .Param("pairs", static_cast<long long>(row.pairs.size()))
          .Param("actual_disrupted", row.actual)
          .Param("expected_disrupted", f.expected)
          .Param("method", methods)
          .Param("forecast_ms", f.ms);
      if (calibrated == 0) {
        const engine::ModelParameters d = row.fits.front().start;
        l.Param("alpha", d.alpha).Param("beta", d.beta).Param("kappa", d.kappa);
      }
      return l;
    };
    emit("forecast_auc", RocAuc(f.risk, outcome), "probability")
        .Param("oracle_auc", RocAuc(by_oracle, outcome))
        .Print();
    emit("forecast_auc_distance_baseline", RocAuc(by_distance, outcome), "probability").Print();
    emit("forecast_auc_degree_baseline", RocAuc(by_degree, outcome), "probability").Print();
    emit("forecast_auc_pr", AveragePrecision(f.risk, outcome), "probability")
        .Param("base_rate", row.actual / static_cast<double>(row.pairs.size()))
        .Print();
    emit("forecast_brier", BrierScore(f.risk, outcome), "score")
        .Param("oracle_brier", BrierScore(by_oracle, outcome))
        .Print();
    emit("forecast_brier_baseline", std::min(brier_base_rate, brier_distance), "score")
        .Param("brier_base_rate", brier_base_rate)
        .Param("brier_distance", brier_distance)
        .Print();
    emit("forecast_count_ratio", row.actual > 0 ? f.expected / row.actual : NAN, "ratio")
        .Param("oracle_count_ratio", row.actual > 0 ? row.oracle_expected / row.actual : NAN)
        .Print();
    emit("forecast_lead_time_days", f.flagged > 0 ? f.lead / f.flagged : 0, "days")
        .Param("flagged_disrupted", f.flagged)
        .Param("flag_risk", kFlagRisk)
        .Print();
  }
  // Each replicate's calibration.
  for (std::size_t r = 0; r < row.fits.size(); ++r) {
    const engine::CalibrationResult& fit = row.fits[r];
    for (const auto& p : fit.parameters) {
      line("calibration_" + p.name, p.value, p.name == "kappa" ? "bound" : "rate")
          .Param("replicate", static_cast<int>(r))
          .Param("lower", p.lower)
          .Param("upper", p.upper)
          .Param("at_bound", p.at_bound)
          .Param("effective_cascades", p.effective_cascades)
          .Param("log_likelihood", fit.log_likelihood)
          .Param("log_likelihood_default", fit.log_likelihood_start)
          .Param("variance_inflation", fit.variance_inflation)
          .Param("expected_reported", fit.diagnostic.expected_disrupted)
          .Param("observed_reported", fit.diagnostic.observed_disrupted)
          .Param("evaluations", fit.evaluations)
          .Param("converged", fit.converged)
          .Print();
    }
  }
  line("calibration_ms", row.calibration_ms / replicates, "ms").Print();
}

std::vector<NetworkCase> Networks() {
  std::vector<NetworkCase> out;
  struct Real {
    const char* name;
    double a, g;
    int sources;
  };
  for (const Real& r : {Real{"willems_38", 1.0, 0.5, 3}, Real{"supplygraph", 0.5, 0.6, 1},
                        Real{"bea_io_1997", 1.0, 0.5, 3}}) {
    auto loaded = engine::testing::LoadRealNetwork(r.name);
    if (!loaded.ok()) {
      std::fprintf(stderr, "forecast_bench: %s\n", loaded.status().ToString().c_str());
      std::exit(1);
    }
    out.push_back({r.name, std::move(loaded->network), loaded->direction, r.a, r.g, r.sources});
  }
  const std::size_t n = quick ? 2000 : 10000;
  out.push_back({"barabasi_albert_" + std::to_string(n),
                 engine::BarabasiAlbert(n, 2, {.seed = 11, .min_weight = 0.5, .max_weight = 2.0}),
                 Direction::kDownstream, 1.0, 0.5, 3});
  return out;
}

}  // namespace
}  // namespace riskd::bench

int main(int argc, char** argv) {
  using namespace riskd::bench;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: forecast_bench [--quick] [--only NETWORK]\n");
      return 2;
    }
  }
  std::uint64_t seed = 1;
  for (const NetworkCase& nc : Networks()) {
    for (Heterogeneity h :
         {Heterogeneity::kUniform, Heterogeneity::kHeavyTails, Heterogeneity::kContinuousTime}) {
      const std::uint64_t row_seed = seed++;
      if (only.empty() || nc.name == only) RunRow(nc, h, row_seed);
    }
  }
  return 0;
}
