// Planner benchmark (docs/immunization.md, "Benchmark"): on real networks
// and a 10k-node scale-free graph, for budgets of 1%, 2% and 5% of the nodes
// and three outbreak scenarios, the expected number of nodes disrupted within
// the horizon after protecting each strategy's targets, by Monte Carlo with
// a seed the planner never saw, with its standard error; per row, the
// state-aware planner's margin over the best static strategy and its run
// time; and the summary metrics planner_margin_pct (smallest row margin) and
// planner_mean_margin_pct (mean over rows). Last, daemon_plan_ms: what one
// plan (k = 5, default work budgets) costs the daemon on a 100k-node, 1M-edge
// scale-free graph.
//
// Scenarios start at major suppliers: nodes drawn (fixed seed) among the
// max(5, 10%) nodes with the most outgoing transmission edges (customers, for
// the downstream supply risk):
//   single    one major supplier, disrupted for certain;
//   five      five distinct major suppliers, disrupted for certain;
//   regional  a regional event: the first r = max(3, ceil(1% of N)) nodes in
//             breadth-first order of the undirected network around a major
//             supplier, each disrupted with probability 0.5 (severity 0.5).
// Budget k = max(1, round(fraction * N)).
//
// Usage: planner_bench [--quick] [--only NAME,...] [--planner-runs N] [--eval-runs N]
//   --quick         fewer Monte Carlo runs, same table: evaluation 500 runs,
//                   and on the 10k graph 250 planner and 300 evaluation runs
//   --only          these networks only (daemon_budget: the last part)
//   --planner-runs  outbreaks the planner samples (default 1000)
//   --eval-runs     Monte Carlo runs of the evaluation (default 2000)
// Data: $RISKD_DATA_DIR or the data/ directory of the source tree.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/json_line.h"
#include "connectors/importers/importer.h"
#include "engine/immunization/evaluation.h"
#include "engine/immunization/planner.h"
#include "engine/immunization/random_keys.h"
#include "engine/immunization/undirected_graph.h"
#include "engine/testing/generators.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine::immunization {
namespace {

using bench::JsonLine;

constexpr int kHorizon = 30;
constexpr std::uint64_t kScenarioSeed = 2024;
constexpr std::uint64_t kPlannerSeed = 0x706c616e;     // "plan"
constexpr std::uint64_t kEvaluationSeed = 0x6576616c;  // "eval": independent of the planner's
constexpr double kBudgets[] = {0.01, 0.02, 0.05};

struct Settings {
  bool quick = false;
  std::string only;  // comma-separated network names, empty: all
  std::uint32_t planner_realizations = 1000;
  std::uint32_t evaluation_realizations = 2000;
  // --quick on graphs above 5,000 nodes.
  std::uint32_t quick_large_planner_realizations = 250;
  std::uint32_t quick_large_evaluation_realizations = 300;
};

std::string DataDir() {
  const char* env = std::getenv("RISKD_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : RISKD_SOURCE_DATA_DIR;
}

Result<Network> LoadNetwork(const std::string& name) {
  if (name == "scale_free_10k") return BarabasiAlbert(10000, 2, {.seed = 1});
  riskd::v1::NetworkSource source;
  const std::string data = DataDir();
  if (name.rfind("willems_", 0) == 0) {
    source.mutable_willems2008()->set_file(data + "/willems2008/" + name + ".csv");
  } else if (name == "supplygraph") {
    source.mutable_supplygraph()->set_directory(data + "/supplygraph");
  } else if (name == "bea_io_1997") {
    source.mutable_bea_io()->set_directory(data + "/bea_io_1997");
  } else {
    return Status::NotFound("unknown network " + name);
  }
  return connectors::ImportNetwork(source, "");
}

struct Scenario {
  std::string name;
  InitialState state;
};

std::vector<Scenario> MakeScenarios(const Network& net, const TransmissionGraph& graph) {
  // Major suppliers: the max(5, 10%) spreaders with the most out-edges.
  std::vector<NodeIndex> spreaders;
  for (NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (net.alive(v) && !graph.out(v).empty()) spreaders.push_back(v);
  }
  std::stable_sort(spreaders.begin(), spreaders.end(), [&](NodeIndex a, NodeIndex b) {
    return graph.out(a).size() > graph.out(b).size();
  });
  spreaders.resize(
      std::min(spreaders.size(), std::max<std::size_t>(5, (spreaders.size() + 9) / 10)));
  SplitMix64 rng(kScenarioSeed);
  // Distinct random spreaders (all of them when fewer).
  auto pick = [&](std::size_t count) {
    std::vector<NodeIndex> pool = spreaders, out;
    while (out.size() < count && !pool.empty()) {
      const std::size_t i = rng.Below(pool.size());
      out.push_back(pool[i]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return out;
  };
  auto disrupted = [&](const std::vector<NodeIndex>& nodes, double severity) {
    std::vector<Observation> observed(net.node_slots());
    for (NodeIndex v : nodes) observed[v] = {NodeState::kDisrupted, severity};
    return InitialState::FromObservations(net, observed);
  };
  std::vector<Scenario> out;
  out.push_back({"single", disrupted(pick(1), 1.0)});
  out.push_back({"five", disrupted(pick(5), 1.0)});
  // Regional: a breadth-first ball in the undirected network.
  const auto undirected = UndirectedGraph::FromNetwork(net, kAllLayers);
  const std::size_t radius_nodes = std::max<std::size_t>(
      3, static_cast<std::size_t>(std::ceil(0.01 * static_cast<double>(net.node_count()))));
  std::vector<NodeIndex> ball = pick(1);
  std::vector<std::uint8_t> seen(net.node_slots(), 0);
  seen[ball[0]] = 1;
  for (std::size_t head = 0; head < ball.size() && ball.size() < radius_nodes; ++head) {
    for (NodeIndex u : undirected.neighbors(ball[head])) {
      if (seen[u] || ball.size() >= radius_nodes) continue;
      seen[u] = 1;
      ball.push_back(u);
    }
  }
  out.push_back({"regional", disrupted(ball, 0.5)});
  return out;
}

struct Outcome {
  std::string strategy;
  Evaluation evaluation;
  double ms = 0;
};

std::vector<NodeIndex> Nodes(const std::vector<Target>& targets) {
  std::vector<NodeIndex> out;
  for (const Target& t : targets) out.push_back(t.node);
  return out;
}

struct RowResult {
  double margin_pct = 0;
  bool planner_best = false;
};

class Bench {
 public:
  explicit Bench(Settings settings) : settings_(std::move(settings)) {}

  void RunNetwork(const std::string& name) {
    auto loaded = LoadNetwork(name);
    if (!loaded.ok()) {
      std::fprintf(stderr, "planner_bench: %s: %s\n", name.c_str(),
                   loaded.status().ToString().c_str());
      failed_ = true;
      return;
    }
    const Network& net = *loaded;
    const RiskType type;  // supply: material layer, downstream, alpha 0.8, beta 0.3
    const TransmissionGraph graph =
        BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, {}));
    const std::size_t n = net.node_count();
    StrategyOptions static_options;
    // Exact betweenness is O(N M): sample pivots on the large graph.
    if (n > 5000) static_options.betweenness_pivots = 512;
    Runs runs{settings_.planner_realizations, settings_.evaluation_realizations};
    if (settings_.quick && n > 5000) {
      runs = {settings_.quick_large_planner_realizations,
              settings_.quick_large_evaluation_realizations};
    }
    for (const Scenario& scenario : MakeScenarios(net, graph)) {
      for (double budget : kBudgets) {
        const int k = std::max(1, static_cast<int>(std::lround(budget * static_cast<double>(n))));
        RunRow(name, net, graph, scenario, budget, k, static_options, runs);
      }
    }
  }

  // What a plan costs the daemon: k = 5 with the default work budgets (as
  // the daemon's planner config) on a 100k-node, 1M-edge scale-free graph.
  void DaemonBudget() {
    const Network net = BarabasiAlbert(100000, 10, {.seed = 1});
    const RiskType type;
    const TransmissionGraph graph =
        BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, {}));
    const StatePlanner planner(PlannerOptions{});
    for (const Scenario& scenario : MakeScenarios(net, graph)) {
      const auto start = std::chrono::steady_clock::now();
      auto plan = planner.MakePlan({.network = &net,
                                    .layers = type.layers,
                                    .state = &scenario.state,
                                    .transmission = &graph,
                                    .horizon = kHorizon},
                                   5);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!plan.ok()) {
        failed_ = true;
        continue;
      }
      JsonLine("planner", "daemon_plan_ms", ms, "ms")
          .Param("network", "scale_free_100k")
          .Param("nodes", static_cast<long long>(net.node_count()))
          .Param("edges", static_cast<long long>(net.edge_count()))
          .Param("scenario", scenario.name)
          .Param("k", 5)
          .Param("targets", static_cast<long long>(plan->targets.size()))
          .Param("realizations", static_cast<long long>(plan->realizations))
          .Param("work", static_cast<double>(plan->work))
          .Param("exhaustive", plan->exhaustive)
          .Param("rule", std::string(StepRuleName(plan->rule)))
          .Param("expected_before", plan->expected_before)
          .Param("expected_after", plan->expected_after)
          .Print();
    }
  }

  // Prints the summary; false if any row failed to run.
  bool Finish() {
    if (margins_.empty()) return false;
    double mean = 0;
    for (double m : margins_) mean += m;
    mean /= static_cast<double>(margins_.size());
    JsonLine("planner", "planner_margin_pct", *std::min_element(margins_.begin(), margins_.end()),
             "%")
        .Param("rows", static_cast<int>(margins_.size()))
        .Print();
    JsonLine("planner", "planner_mean_margin_pct", mean, "%")
        .Param("rows", static_cast<int>(margins_.size()))
        .Print();
    JsonLine("planner", "planner_best_rows", best_rows_, "rows")
        .Param("rows", static_cast<int>(margins_.size()))
        .Print();
    return !failed_;
  }

 private:
  struct Runs {
    std::uint32_t planner, evaluation;
  };

  void RunRow(const std::string& network, const Network& net, const TransmissionGraph& graph,
              const Scenario& scenario, double budget, int k, const StrategyOptions& static_options,
              Runs runs) {
    const SelectionInput input{.network = &net,
                               .layers = RiskType{}.layers,
                               .state = &scenario.state,
                               .transmission = &graph,
                               .horizon = kHorizon};
    const EvaluationOptions eval{
        .horizon = kHorizon, .realizations = runs.evaluation, .seed = kEvaluationSeed};
    auto line = [&](const std::string& metric, double value, const std::string& unit) {
      JsonLine l("planner", metric, value, unit);
      l.Param("network", network)
          .Param("nodes", static_cast<long long>(net.node_count()))
          .Param("budget_pct", 100 * budget)
          .Param("k", k)
          .Param("scenario", scenario.name);
      return l;
    };
    std::vector<Outcome> outcomes;
    auto evaluate = [&](const std::string& strategy, const std::vector<NodeIndex>& targets,
                        double ms) -> bool {
      auto e = EvaluateTargets(graph, scenario.state, targets, eval);
      if (!e.ok()) {
        std::fprintf(stderr, "planner_bench: %s: %s\n", strategy.c_str(),
                     e.status().ToString().c_str());
        return false;
      }
      line("expected_disrupted", e->expected_disrupted, "nodes")
          .Param("strategy", strategy)
          .Param("stderr", e->standard_error)
          .Param("targets", static_cast<long long>(targets.size()))
          .Param("select_ms", ms)
          .Print();
      outcomes.push_back({strategy, std::move(*e), ms});
      return true;
    };
    if (!evaluate("none", {}, 0)) {
      failed_ = true;
      return;
    }
    // No work budget: the table measures the planner itself.
    const StatePlanner planner({.realizations = runs.planner,
                                .seed = kPlannerSeed,
                                .sample_work = std::numeric_limits<std::uint64_t>::max(),
                                .max_work = std::numeric_limits<std::uint64_t>::max()});
    const auto start = std::chrono::steady_clock::now();
    auto plan = planner.MakePlan(input, k);
    const double planner_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!plan.ok() || !evaluate("state_aware", Nodes(plan->targets), planner_ms)) {
      failed_ = true;
      return;
    }
    const Outcome planned = outcomes.back();
    std::size_t best = 0;  // index into outcomes
    for (Strategy s : AllStrategies()) {
      const auto selector = MakeStrategySelector(s, static_options);
      const auto t0 = std::chrono::steady_clock::now();
      auto targets = selector->Select(input, k);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!targets.ok() || !evaluate(std::string(StrategyName(s)), Nodes(*targets), ms)) {
        failed_ = true;
        return;
      }
      if (best == 0 || outcomes.back().evaluation.expected_disrupted <
                           outcomes[best].evaluation.expected_disrupted) {
        best = outcomes.size() - 1;
      }
    }
    // Paired (same outbreaks): planner - best static.
    const Outcome& best_static = outcomes[best];
    const Estimate diff = ComparePaired(planned.evaluation, best_static.evaluation);
    const double best_mean = best_static.evaluation.expected_disrupted;
    const bool tie = std::abs(diff.mean) <= diff.standard_error;
    const double margin = tie || best_mean == 0 ? 0.0 : -100 * diff.mean / best_mean;
    const bool planner_best = diff.mean <= diff.standard_error;
    line("row_margin_pct", margin, "%")
        .Param("planner_expected", planned.evaluation.expected_disrupted)
        .Param("planner_stderr", planned.evaluation.standard_error)
        .Param("best_static", best_static.strategy)
        .Param("best_static_expected", best_mean)
        .Param("best_static_stderr", best_static.evaluation.standard_error)
        .Param("diff", diff.mean)
        .Param("diff_stderr", diff.standard_error)
        .Param("planner_best", planner_best)
        .Param("planner_ms", planner_ms)
        .Param("planner_targets", static_cast<long long>(plan->targets.size()))
        .Param("planner_sample_expected_after", plan->expected_after)
        .Param("planner_rule", std::string(StepRuleName(plan->rule)))
        .Param("planner_realizations", static_cast<long long>(plan->realizations))
        .Param("evaluation_realizations", static_cast<long long>(runs.evaluation))
        .Print();
    margins_.push_back(margin);
    if (planner_best) ++best_rows_;
  }

  Settings settings_;
  std::vector<double> margins_;
  int best_rows_ = 0;
  bool failed_ = false;
};

}  // namespace
}  // namespace riskd::engine::immunization

int main(int argc, char** argv) {
  using riskd::engine::immunization::Bench;
  using riskd::engine::immunization::Settings;
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      settings.quick = true;
      settings.evaluation_realizations = 500;
    } else if (arg == "--planner-runs" && i + 1 < argc) {
      settings.planner_realizations = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--eval-runs" && i + 1 < argc) {
      settings.evaluation_realizations = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--only" && i + 1 < argc) {
      settings.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: planner_bench [--quick] [--only NAME,...] [--planner-runs N] "
                   "[--eval-runs N]\n");
      return 2;
    }
  }
  const std::string only = settings.only;
  Bench bench(settings);
  for (const char* name :
       {"willems_01", "willems_20", "willems_38", "supplygraph", "bea_io_1997", "scale_free_10k"}) {
    if (!only.empty() &&
        ("," + only + ",").find("," + std::string(name) + ",") == std::string::npos) {
      continue;
    }
    bench.RunNetwork(name);
  }
  if (only.empty() || ("," + only + ",").find(",daemon_budget,") != std::string::npos) {
    bench.DaemonBudget();
  }
  return bench.Finish() ? 0 : 1;
}
