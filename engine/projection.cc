#include "engine/projection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace riskd::engine {
namespace {

// Root-mean-square error of DMP against the Monte Carlo on the nodes at
// risk, with the Monte Carlo's sampling variance taken out (see header).
double DmpError(const InitialState& init, const MonteCarloTally& mc,
                std::span<const double> dmp_risk, double min_risk) {
  if (mc.realizations < 2) return 0;
  double excess = 0;
  std::size_t count = 0;
  for (std::size_t x = 0; x < mc.nodes.size(); ++x) {
    if (init.p_s[mc.nodes[x]] <= 0) continue;  // observed: same in both
    const double d = dmp_risk[x], m = mc.Risk(x);
    if (std::max(d, m) < min_risk) continue;
    excess += (d - m) * (d - m) - m * (1 - m) / (mc.realizations - 1);
    ++count;
  }
  if (count == 0) return 0;
  return std::sqrt(std::max(0.0, excess / static_cast<double>(count)));
}

// Union-find over region entries.
std::uint32_t Root(std::vector<std::uint32_t>& up, std::uint32_t x) {
  while (up[x] != x) {
    up[x] = up[up[x]];
    x = up[x];
  }
  return x;
}

}  // namespace

std::string_view ProjectionMethodName(ProjectionMethod method) {
  switch (method) {
    case ProjectionMethod::kNone: return "none";
    case ProjectionMethod::kDmp: return "dmp";
    case ProjectionMethod::kMonteCarlo: return "monte_carlo";
    case ProjectionMethod::kMixed: return "mixed";
  }
  return "unknown";
}

Status ValidateProjectionOptions(const ProjectionOptions& o) {
  if (o.check_realizations < 2 || o.check_realizations > 1'000'000) {
    return Status::InvalidArgument("projection.check_realizations must be in 2..1000000");
  }
  if (o.serve_realizations < o.check_realizations || o.serve_realizations > 1'000'000) {
    return Status::InvalidArgument(
        "projection.serve_realizations must be in check_realizations..1000000");
  }
  if (o.min_realizations < 2 || o.min_realizations > o.check_realizations) {
    return Status::InvalidArgument("projection.min_realizations must be in 2..check_realizations");
  }
  if (!(o.max_dmp_error > 0 && o.max_dmp_error < 1)) {
    return Status::InvalidArgument("projection.max_dmp_error must be in (0, 1)");
  }
  if (!(o.min_check_risk >= 0 && o.min_check_risk < 1)) {
    return Status::InvalidArgument("projection.min_check_risk must be in [0, 1)");
  }
  return Status::Ok();
}

Projector::Projector(DmpOptions dmp, ProjectionOptions options)
    : dmp_(dmp), options_(options) {
  dmp_.record_marginals = false;
  projection_.horizon = dmp_.horizon;
}

void Projector::Prepare(std::size_t n) {
  if (region_of_.size() >= n) return;
  region_of_.resize(n, -1);
  projection_.risk.resize(n, 0.0);
  projection_.eta.resize(n, -1);
  projection_.parent.resize(n, kNoNode);
  projection_.node_method.resize(n, ProjectionMethod::kNone);
}

void Projector::Full(const TransmissionGraph& g, const InitialState& init,
                     ProjectionWorkspace* ws) {
  regions_.clear();
  free_regions_.clear();
  total_sizes_.clear();
  realization_counts_.clear();
  region_of_.clear();
  const SpectralRadius spectral = projection_.spectral;  // the engine's, kept
  projection_ = Projection{};
  projection_.horizon = dmp_.horizon;
  projection_.spectral = spectral;
  Prepare(g.node_count);
  std::vector<NodeIndex> sources;
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  Recompute(g, init, std::move(sources), ws);
  Publish();
}

void Projector::Update(const TransmissionGraph& g, const InitialState& init,
                       std::span<const NodeIndex> changed, ProjectionWorkspace* ws) {
  Prepare(g.node_count);
  projection_.recomputed_regions = 0;
  projection_.recomputed_nodes = 0;
  projection_.dmp_edge_updates = 0;
  projection_.mc_work = 0;
  std::vector<NodeIndex> sources;
  for (NodeIndex v : changed) {
    if (v >= g.node_count) continue;
    if (const std::int32_t r = region_of_[v]; r >= 0) {
      sources.insert(sources.end(), regions_[r].sources.begin(), regions_[r].sources.end());
      Drop(r);
    }
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  Recompute(g, init, std::move(sources), ws);
  Publish();
}

void Projector::Drop(std::int32_t r) {
  Region& reg = regions_[static_cast<std::size_t>(r)];
  for (NodeIndex v : reg.nodes) {
    projection_.risk[v] = 0.0;
    projection_.eta[v] = -1;
    projection_.parent[v] = kNoNode;
    projection_.node_method[v] = ProjectionMethod::kNone;
    region_of_[v] = -1;
  }
  for (std::size_t k = 0; k < reg.sizes.size(); ++k) total_sizes_[k] -= reg.sizes[k];
  const auto count = static_cast<std::uint32_t>(reg.sizes.size());
  if (--realization_counts_[count] == 0) realization_counts_.erase(count);
  reg = Region{};
  free_regions_.push_back(r);
}

void Projector::Recompute(const TransmissionGraph& g, const InitialState& init,
                          std::vector<NodeIndex> sources, ProjectionWorkspace* ws) {
  auto normalize = [&] {
    std::sort(sources.begin(), sources.end());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    std::erase_if(sources, [&](NodeIndex v) { return !(init.p_i[v] > 0); });
  };
  normalize();
  if (sources.empty()) return;
  ws->dmp.Prepare(g);
  ws->mc.Prepare(g);

  // Run DMP from the sources; a region whose frontier it meets joins in.
  DmpRegion run;
  for (;;) {
    run = RunDmpRegion(g, init, sources, dmp_, &ws->dmp);
    projection_.dmp_edge_updates += run.edge_updates;
    bool merged = false;
    for (NodeIndex v : run.nodes) {
      if (const std::int32_t r = region_of_[v]; r >= 0) {
        sources.insert(sources.end(), regions_[r].sources.begin(), regions_[r].sources.end());
        Drop(r);
        merged = true;
      }
    }
    if (!merged) break;
    normalize();
  }

  // Split the run into its connected components: each is a region. The
  // per-node values need no recomputation (no message crosses components).
  const std::size_t size = run.nodes.size();
  for (std::size_t x = 0; x < size; ++x) region_of_[run.nodes[x]] = -2 - static_cast<std::int32_t>(x);
  auto position = [&](NodeIndex v) { return static_cast<std::uint32_t>(-2 - region_of_[v]); };
  std::vector<std::uint32_t> up(size);
  std::iota(up.begin(), up.end(), 0u);
  for (std::size_t x = 0; x < run.touched_count; ++x) {
    for (EdgeIndex e : g.out(run.nodes[x])) {
      const std::uint32_t a = Root(up, static_cast<std::uint32_t>(x));
      const std::uint32_t b = Root(up, position(g.target[e]));
      if (a != b) up[std::max(a, b)] = std::min(a, b);
    }
  }
  for (NodeIndex v : run.nodes) region_of_[v] = -1;
  std::vector<std::vector<std::uint32_t>> components;
  std::vector<std::int32_t> component_of_root(size, -1);
  for (std::uint32_t x = 0; x < size; ++x) {
    const std::uint32_t root = Root(up, x);
    if (component_of_root[root] < 0) {
      component_of_root[root] = static_cast<std::int32_t>(components.size());
      components.emplace_back();
    }
    components[static_cast<std::size_t>(component_of_root[root])].push_back(x);
  }
  for (const auto& members : components) Serve(g, init, run, members, ws);
}

void Projector::Serve(const TransmissionGraph& g, const InitialState& init, const DmpRegion& run,
                      std::span<const std::uint32_t> members, ProjectionWorkspace* ws) {
  Region reg;
  reg.alive = true;
  std::vector<double> risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  for (std::uint32_t x : members) {
    const NodeIndex v = run.nodes[x];
    reg.nodes.push_back(v);
    if (x < run.touched_count && init.p_i[v] > 0) reg.sources.push_back(v);
    risk.push_back(run.risk[x]);
    eta.push_back(run.eta[x]);
    parent.push_back(run.parent[x]);
  }
  std::sort(reg.sources.begin(), reg.sources.end());
  RegionSummary& sum = reg.summary;
  sum.first_source = reg.sources.empty() ? kNoNode : reg.sources.front();
  sum.sources = static_cast<std::uint32_t>(reg.sources.size());
  sum.nodes = static_cast<std::uint32_t>(reg.nodes.size());
  sum.method = ProjectionMethod::kDmp;

  using Choice = ProjectionOptions::Choice;
  if (options_.method != Choice::kDmp) {
    MonteCarloTally tally = MakeTally(g, reg.nodes, dmp_.horizon);
    const MonteCarloOptions mc{dmp_.horizon, options_.seed};
    constexpr auto kUnlimited = std::numeric_limits<std::uint64_t>::max();
    RunMonteCarlo(g, init, mc, static_cast<std::uint32_t>(options_.min_realizations), kUnlimited,
                  &tally, &ws->mc);
    RunMonteCarlo(g, init, mc, static_cast<std::uint32_t>(options_.check_realizations),
                  options_.max_check_work, &tally, &ws->mc);
    reg.sizes = tally.sizes;
    sum.check_realizations = tally.realizations;
    bool serve_mc = options_.method == Choice::kMonteCarlo;
    if (options_.method == Choice::kAuto) {
      sum.dmp_error = DmpError(init, tally, risk, options_.min_check_risk);
      serve_mc = sum.dmp_error > options_.max_dmp_error;
    }
    if (serve_mc) {
      RunMonteCarlo(g, init, mc, static_cast<std::uint32_t>(options_.serve_realizations),
                    options_.max_serve_work, &tally, &ws->mc);
      sum.method = ProjectionMethod::kMonteCarlo;
      sum.served_realizations = tally.realizations;
      for (std::size_t x = 0; x < reg.nodes.size(); ++x) {
        risk[x] = tally.Risk(x);
        eta[x] = tally.Eta(x);
        parent[x] = tally.Parent(g, x);
      }
    }
    projection_.mc_work += tally.work;
  }

  std::int32_t id;
  if (!free_regions_.empty()) {
    id = free_regions_.back();
    free_regions_.pop_back();
  } else {
    id = static_cast<std::int32_t>(regions_.size());
    regions_.emplace_back();
  }
  for (std::size_t x = 0; x < reg.nodes.size(); ++x) {
    const NodeIndex v = reg.nodes[x];
    projection_.risk[v] = risk[x];
    projection_.eta[v] = eta[x];
    projection_.parent[v] = parent[x];
    projection_.node_method[v] = sum.method;
    region_of_[v] = id;
  }
  if (total_sizes_.size() < reg.sizes.size()) total_sizes_.resize(reg.sizes.size(), 0);
  for (std::size_t k = 0; k < reg.sizes.size(); ++k) total_sizes_[k] += reg.sizes[k];
  ++realization_counts_[static_cast<std::uint32_t>(reg.sizes.size())];
  ++projection_.recomputed_regions;
  projection_.recomputed_nodes += reg.nodes.size();
  regions_[static_cast<std::size_t>(id)] = std::move(reg);
}

void Projector::Publish() {
  Projection& p = projection_;
  p.expected_disrupted = 0;
  for (double r : p.risk) p.expected_disrupted += r;
  p.regions.clear();
  bool dmp = false, mc = false;
  for (const Region& reg : regions_) {
    if (!reg.alive) continue;
    p.regions.push_back(reg.summary);
    (reg.summary.method == ProjectionMethod::kDmp ? dmp : mc) = true;
  }
  std::sort(p.regions.begin(), p.regions.end(),
            [](const RegionSummary& a, const RegionSummary& b) { return a.first_source < b.first_source; });
  p.method = dmp && mc ? ProjectionMethod::kMixed
             : dmp     ? ProjectionMethod::kDmp
             : mc      ? ProjectionMethod::kMonteCarlo
                       : ProjectionMethod::kNone;
  // Realizations are independent across regions (disjoint nodes and edges),
  // so summing region sizes realization by realization samples the total.
  const std::uint32_t runs = realization_counts_.empty() ? 0 : realization_counts_.begin()->first;
  p.interval_realizations = runs;
  if (runs == 0) {
    p.disrupted_p05 = p.disrupted_p95 = p.expected_disrupted;
    return;
  }
  std::vector<std::uint32_t> totals(runs);
  for (std::uint32_t k = 0; k < runs; ++k) totals[k] = static_cast<std::uint32_t>(total_sizes_[k]);
  p.disrupted_p05 = SizeQuantile(totals, 0.05);
  p.disrupted_p95 = SizeQuantile(std::move(totals), 0.95);
}

}  // namespace riskd::engine
