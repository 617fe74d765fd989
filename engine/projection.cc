#include "engine/projection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace riskd::engine {
namespace {

// Root-mean-square error of DMP against the Monte Carlo on the nodes at
// risk, with the Monte Carlo's sampling variance taken out (see header).
double DmpError(const InitialState& init, const MonteCarloTally& mc,
                const std::function<double(std::size_t)>& dmp_risk, double min_risk) {
  if (mc.realizations < 2) return 0;
  double excess = 0;
  std::size_t count = 0;
  for (std::size_t x = 0; x < mc.nodes.size(); ++x) {
    if (init.p_s[mc.nodes[x]] <= 0) continue;  // observed: same in both
    const double d = dmp_risk(x), m = mc.Risk(x);
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
    case ProjectionMethod::kNone:
      return "none";
    case ProjectionMethod::kDmp:
      return "dmp";
    case ProjectionMethod::kMonteCarlo:
      return "monte_carlo";
    case ProjectionMethod::kMixed:
      return "mixed";
  }
  return "unknown";
}

std::vector<NodeIndex> CausePath(const Projection& p, const InitialState& initial, NodeIndex node,
                                 std::size_t max_length) {
  return CausePath(p.parent, p.risk, initial, node, max_length);
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
    : dmp_(dmp), options_(options), incremental_(dmp) {
  dmp_.record_marginals = false;
  projection_.horizon = dmp_.horizon;
}

void Projector::Prepare(std::size_t n) {
  if (region_of_.size() >= n) return;
  region_of_.resize(n, -1);
  // Scratch of the incremental DMP path only (UpdateIncremental).
  if (KeepsTrajectories()) position_.resize(n, ~std::uint32_t{0});
  projection_.risk.resize(n, 0.0);
  projection_.eta.resize(n, -1);
  projection_.parent.resize(n, kNoNode);
  projection_.node_method.resize(n, ProjectionMethod::kNone);
  projection_.node_checked.resize(n, 0);
}

bool Projector::KeepsTrajectories() const {
  // Monte Carlo-checked regions would need their check rerun on every
  // change anyway. One-way and two-way graphs keep the same state (P_S
  // trajectories), so a graph gaining or losing reverse edges keeps it.
  return options_.method == ProjectionOptions::Choice::kDmp;
}

void Projector::Full(const TransmissionGraph& g, const InitialState& init,
                     ProjectionWorkspace* ws) {
  incremental_.Clear();
  incremental_.SetFrame(init.now);
  incremental_ready_ = false;
  regions_.clear();
  free_regions_.clear();
  total_sizes_.clear();
  realization_counts_.clear();
  region_of_.clear();
  const SpectralRadius spectral = projection_.spectral;  // the engine's, kept
  projection_ = Projection{};
  projection_.horizon = dmp_.horizon;
  projection_.now = init.now;
  projection_.spectral = spectral;
  Prepare(g.node_count);
  std::vector<NodeIndex> sources;
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  const bool record = KeepsTrajectories();
  Recompute(g, init, std::move(sources), ws, record);
  incremental_ready_ = record;
  projection_.full = true;
  Publish();
}

void Projector::ResetWork() {
  projection_.recomputed_regions = 0;
  projection_.recomputed_nodes = 0;
  projection_.dmp_edge_updates = 0;
  projection_.mc_work = 0;
  projection_.reused_checks = 0;
  projection_.incremental_dmp = false;
  projection_.full = false;
}

void Projector::Update(const TransmissionGraph& g, const InitialState& init,
                       std::span<const NodeIndex> changed, ProjectionWorkspace* ws) {
  Prepare(g.node_count);
  ResetWork();
  if (init.now != projection_.now) {
    // Another frame: every value is relative to another now.
    Full(g, init, ws);
    return;
  }
  const bool keep = KeepsTrajectories();
  if (keep && !incremental_ready_) {
    // No trajectories to update (no Full yet): start over.
    Full(g, init, ws);
    return;
  }
  if (keep && UpdateIncremental(g, init, changed)) {
    Publish();
    return;
  }
  // Otherwise recompute the regions involved; with `keep` (an update too
  // big for the incremental path) Drop and Recompute keep the trajectories.
  if (!keep && incremental_ready_) {
    incremental_.Clear();
    incremental_ready_ = false;
  }
  std::vector<NodeIndex> sources;
  for (NodeIndex v : changed) {
    if (v >= g.node_count) continue;
    if (const std::int32_t r = region_of_[v]; r >= 0) {
      sources.insert(sources.end(), regions_[r].sources.begin(), regions_[r].sources.end());
      Drop(r);
    }
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  Recompute(g, init, std::move(sources), ws, keep);
  Publish();
}

void Projector::Drop(std::int32_t r) {
  for (NodeIndex v : regions_[static_cast<std::size_t>(r)].nodes) {
    projection_.risk[v] = 0.0;
    projection_.eta[v] = -1;
    projection_.parent[v] = kNoNode;
    projection_.node_method[v] = ProjectionMethod::kNone;
    projection_.node_checked[v] = 0;
    region_of_[v] = -1;
    if (incremental_ready_) incremental_.Forget(v);
  }
  Forget(r);
}

void Projector::Forget(std::int32_t r) {
  Region& reg = regions_[static_cast<std::size_t>(r)];
  for (std::size_t k = 0; k < reg.sizes.size(); ++k) total_sizes_[k] -= reg.sizes[k];
  const auto count = static_cast<std::uint32_t>(reg.sizes.size());
  if (--realization_counts_[count] == 0) realization_counts_.erase(count);
  reg = Region{};
  free_regions_.push_back(r);
}

void Projector::Recompute(const TransmissionGraph& g, const InitialState& init,
                          std::vector<NodeIndex> sources, ProjectionWorkspace* ws, bool record) {
  auto normalize = [&] {
    std::sort(sources.begin(), sources.end());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    std::erase_if(sources, [&](NodeIndex v) { return !(init.p_i[v] > 0); });
  };
  normalize();
  if (sources.empty()) return;
  // With deferred checks no projection runs the Monte Carlo: its workspace
  // (kept from the last check, ~16 bytes per entry of the largest region
  // checked, 1.6 MB on the benchmark's hub region) is not held through the
  // DMP run, the projection's peak; the next Refine() prepares it again.
  if (options_.method == ProjectionOptions::Choice::kAuto && options_.defer_check) {
    ws->mc = MonteCarloWorkspace{};
  }
  ws->dmp.Prepare(g);  // Check() prepares the Monte Carlo's

  // Run DMP from the sources; a region whose frontier it meets joins in.
  // The run writes its values into the projection at once (DmpNodeValues:
  // no per-entry copy of them next to the workspace): a node of the run is
  // in no region once it has merged, and Serve reads them there.
  DmpRegion run;
  std::vector<double> trajectories;
  const DmpNodeValues values{projection_.risk, projection_.eta, projection_.parent};
  for (;;) {
    run = DmpRegion{};  // not held through the next run
    run = RunDmpRegion(g, init, sources, dmp_, &ws->dmp, record ? &trajectories : nullptr, &values);
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
    // The larger run writes its own; a node this one reached and it may
    // not (outside every region) gets the values of no region back.
    // Defensive: not seen reached in practice (the review's probes, 531
    // merges, gave the same values with these writes poisoned).
    for (NodeIndex v : run.nodes) {
      projection_.risk[v] = 0.0;
      projection_.eta[v] = -1;
      projection_.parent[v] = kNoNode;
    }
    normalize();
  }
  if (record) incremental_.Store(run, std::move(trajectories));
  // Nothing below reads the DMP workspace.
  if (ws->release_dmp_after_run && ws->release_dmp_after_run()) {
    ws->released_bytes += ws->dmp.Release();
  }

  // Split the run into its connected components: each is a region. The
  // per-node values need no recomputation (no message crosses components).
  const std::size_t size = run.nodes.size();
  for (std::size_t x = 0; x < size; ++x)
    region_of_[run.nodes[x]] = -2 - static_cast<std::int32_t>(x);
  auto position = [&](NodeIndex v) { return static_cast<std::uint32_t>(-2 - region_of_[v]); };
  std::vector<std::uint32_t> up(size);
  std::iota(up.begin(), up.end(), 0u);
  for (std::size_t x = 0; x < run.touched_count; ++x) {
    for (NodeIndex k : g.successors(run.nodes[x])) {
      const std::uint32_t a = Root(up, static_cast<std::uint32_t>(x));
      const std::uint32_t b = Root(up, position(k));
      if (a != b) up[std::max(a, b)] = std::min(a, b);
    }
  }
  for (NodeIndex v : run.nodes) region_of_[v] = -1;
  // Components in order of their first entry, each's entries ascending.
  // A union keeps the smaller root, so every entry's parent comes before
  // it and a component's root is its first entry: in one pass in order,
  // `up` becomes each entry's component (a root opens the next one, any
  // other entry takes its parent's, set already), with no array per root.
  std::vector<std::uint32_t> starts;  // per component: its size, then its first slot
  for (std::uint32_t x = 0; x < size; ++x) {
    if (up[x] == x) {
      up[x] = static_cast<std::uint32_t>(starts.size());
      starts.push_back(0);
    } else {
      up[x] = up[up[x]];
    }
    ++starts[up[x]];
  }
  // The region of `count` entries, the i-th being entry_at(i) (not a
  // range: clang 14, the fuzz build, rejects libstdc++ 12's iota_view).
  auto region_of_entries = [&](std::size_t count, auto&& entry_at) {
    Region reg;
    reg.alive = true;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint32_t x = entry_at(i);
      if (x < run.touched_count && init.p_i[run.nodes[x]] > 0) reg.sources.push_back(run.nodes[x]);
    }
    std::sort(reg.sources.begin(), reg.sources.end());
    return reg;
  };
  if (starts.size() == 1) {
    // One component (the hub's region): the run's list is the region's, in
    // the same order, without a copy or a list of members.
    std::vector<std::uint32_t>().swap(up);
    Region reg =
        region_of_entries(size, [](std::size_t i) { return static_cast<std::uint32_t>(i); });
    reg.nodes = std::move(run.nodes);
    Serve(g, init, std::move(reg), ws);
    return;
  }
  // Each component's entries, ascending, in one array (a vector per
  // component grew by doubling).
  std::uint32_t total = 0;
  for (std::uint32_t& start : starts) total += std::exchange(start, total);
  starts.push_back(total);
  std::vector<std::uint32_t> members(size);
  {
    std::vector<std::uint32_t> next(starts.begin(), starts.end() - 1);
    for (std::uint32_t x = 0; x < size; ++x) members[next[up[x]]++] = x;
  }
  std::vector<std::uint32_t>().swap(up);
  for (std::size_t c = 0; c + 1 < starts.size(); ++c) {
    const std::span<const std::uint32_t> entries(members.data() + starts[c],
                                                 starts[c + 1] - starts[c]);
    Region reg =
        region_of_entries(entries.size(), [&entries](std::size_t i) { return entries[i]; });
    reg.nodes.reserve(entries.size());
    for (std::uint32_t x : entries) reg.nodes.push_back(run.nodes[x]);
    Serve(g, init, std::move(reg), ws);
  }
}

void Projector::Serve(const TransmissionGraph& g, const InitialState& init, Region reg,
                      ProjectionWorkspace* ws) {
  Summarize(&reg);
  // The projection holds the region's DMP values (the run wrote them
  // there); the check reads them and serves Monte Carlo's in place, as
  // Refine does: no copy of the region's values next to the DMP workspace.

  using Choice = ProjectionOptions::Choice;
  if (options_.method == Choice::kAuto && options_.defer_check) {
    reg.pending_check = true;  // published as DMP now, checked by Refine()
  } else if (options_.method != Choice::kDmp) {
    (void)Check(  // never interrupted
        g, init, &reg, [&](std::size_t x) { return projection_.risk[reg.nodes[x]]; },
        [&](std::size_t x, double r, int e, NodeIndex from) {
          const NodeIndex v = reg.nodes[x];
          projection_.risk[v] = r;
          projection_.eta[v] = e;
          projection_.parent[v] = from;
        },
        ws);
  }

  const std::int32_t id = NewRegion();
  for (NodeIndex v : reg.nodes) {
    projection_.node_method[v] = reg.summary.method;
    projection_.node_checked[v] = reg.summary.checked;
    region_of_[v] = id;
  }
  AddSizes(reg);
  ++projection_.recomputed_regions;
  projection_.recomputed_nodes += reg.nodes.size();
  regions_[static_cast<std::size_t>(id)] = std::move(reg);
}

void Projector::AddSizes(const Region& reg) {
  if (total_sizes_.size() < reg.sizes.size()) total_sizes_.resize(reg.sizes.size(), 0);
  for (std::size_t k = 0; k < reg.sizes.size(); ++k) total_sizes_[k] += reg.sizes[k];
  ++realization_counts_[static_cast<std::uint32_t>(reg.sizes.size())];
}

bool Projector::Check(const TransmissionGraph& g, const InitialState& init, Region* reg,
                      const DmpRiskOf& dmp_risk, const ServeEntry& serve, ProjectionWorkspace* ws,
                      const InterruptRequested& interrupt) {
  using Choice = ProjectionOptions::Choice;
  RegionSummary& sum = reg->summary;
  if (const CheckMemo* kept = FindCheck(g, init, *reg, dmp_risk)) {
    // The same inputs as a check already run: its outcome, as a rerun
    // would end (CheckMemo).
    reg->sizes = kept->sizes;
    sum.check_realizations = kept->check_realizations;
    sum.checked = true;
    sum.dmp_error = kept->dmp_error;
    if (kept->serve_mc) {
      sum.method = ProjectionMethod::kMonteCarlo;
      sum.served_realizations = kept->served_realizations;
      for (std::size_t x = 0; x < reg->nodes.size(); ++x) {
        serve(x, kept->risk[x], kept->eta[x], kept->parent[x]);
      }
    }
    projection_.mc_work += kept->work;
    ++projection_.reused_checks;
    return true;
  }
  ws->mc.Prepare(g);
  MonteCarloTally tally = MakeTally(g, reg->nodes, dmp_.horizon);
  const MonteCarloOptions mc{dmp_.horizon, options_.seed};
  constexpr auto kUnlimited = std::numeric_limits<std::uint64_t>::max();
  // Interrupted: the work is counted, nothing else changes (the next check
  // of the region starts over with the same realizations).
  auto interrupted = [&](bool done) {
    if (!done) projection_.mc_work += tally.work;
    return !done;
  };
  if (interrupted(RunMonteCarlo(g, init, mc, static_cast<std::uint32_t>(options_.min_realizations),
                                kUnlimited, &tally, &ws->mc, interrupt)) ||
      interrupted(RunMonteCarlo(g, init, mc,
                                static_cast<std::uint32_t>(options_.check_realizations),
                                options_.max_check_work, &tally, &ws->mc, interrupt))) {
    return false;
  }
  std::vector<std::uint32_t> sizes = tally.sizes;
  const std::uint32_t checked_realizations = tally.realizations;
  double dmp_error = 0;
  bool serve_mc = options_.method == Choice::kMonteCarlo;
  if (options_.method == Choice::kAuto) {
    dmp_error = DmpError(init, tally, dmp_risk, options_.min_check_risk);
    serve_mc = dmp_error > options_.max_dmp_error;
  }
  if (serve_mc && interrupted(RunMonteCarlo(g, init, mc,
                                            static_cast<std::uint32_t>(options_.serve_realizations),
                                            options_.max_serve_work, &tally, &ws->mc, interrupt))) {
    return false;
  }
  // Not built when it could not be kept (the bound): a check of a region
  // that size would copy its inputs only to drop them.
  const bool keep = g.generation.value != 0 && CheckMemo::BytesFor(reg->nodes.size(), sizes.size(),
                                                                   serve_mc) <= kCheckMemoBytes;
  CheckMemo memo;
  if (keep) {
    memo.graph_generation = g.generation.value;
    memo.now = init.now;
    memo.nodes = reg->nodes;
    memo.inputs.reserve(reg->nodes.size());
    for (std::size_t x = 0; x < reg->nodes.size(); ++x) {
      memo.inputs.push_back(InputOf(init, reg->nodes[x], dmp_risk(x)));
    }
    memo.sizes = sizes;
    memo.check_realizations = checked_realizations;
    memo.served_realizations = tally.realizations;
    memo.dmp_error = dmp_error;
    memo.serve_mc = serve_mc;
    memo.work = tally.work;
    if (serve_mc) {
      memo.risk.reserve(reg->nodes.size());
      memo.eta.reserve(reg->nodes.size());
      memo.parent.reserve(reg->nodes.size());
    }
  }
  reg->sizes = std::move(sizes);
  sum.check_realizations = checked_realizations;
  sum.checked = true;
  sum.dmp_error = dmp_error;
  if (serve_mc) {
    sum.method = ProjectionMethod::kMonteCarlo;
    sum.served_realizations = tally.realizations;
    for (std::size_t x = 0; x < reg->nodes.size(); ++x) {
      // The sampled initial states of partly disrupted sources put their
      // estimate below the evidence half the time: the floor holds it.
      const double floor = init.EvidenceFloor(reg->nodes[x]);
      const double risk = std::max(floor, tally.Risk(x));
      const int eta = floor >= 0.5 ? 0 : tally.Eta(x);
      const NodeIndex parent = tally.Parent(g, x);
      if (keep) {
        memo.risk.push_back(risk);
        memo.eta.push_back(eta);
        memo.parent.push_back(parent);
      }
      serve(x, risk, eta, parent);
    }
  }
  projection_.mc_work += tally.work;
  if (keep) KeepCheck(sum.first_source, std::move(memo));
  return true;
}

Projector::CheckInput Projector::InputOf(const InitialState& init, NodeIndex v,
                                         double dmp_risk) const {
  return {.p_s = init.p_s[v],
          .p_i = init.p_i[v],
          .p_r = init.p_r[v],
          .dmp_risk = dmp_risk,
          .start = init.Start(v),
          .end = init.End(v),
          .fixed = init.Fixed(v)};
}

std::size_t Projector::CheckMemo::BytesFor(std::size_t entries, std::size_t realizations,
                                           bool serve_mc) {
  return entries * (sizeof(NodeIndex) + sizeof(CheckInput)) + realizations * sizeof(std::uint32_t) +
         (serve_mc ? entries * (sizeof(double) + sizeof(int) + sizeof(NodeIndex)) : 0) +
         sizeof(CheckMemo);
}

std::size_t Projector::CheckMemo::Bytes() const {
  return nodes.capacity() * sizeof(NodeIndex) + inputs.capacity() * sizeof(CheckInput) +
         sizes.capacity() * sizeof(std::uint32_t) + risk.capacity() * sizeof(double) +
         eta.capacity() * sizeof(int) + parent.capacity() * sizeof(NodeIndex) + sizeof(CheckMemo);
}

const Projector::CheckMemo* Projector::FindCheck(const TransmissionGraph& g,
                                                 const InitialState& init, const Region& reg,
                                                 const DmpRiskOf& dmp_risk) const {
  if (g.generation.value == 0) return nullptr;
  const auto found = check_memos_.find(reg.summary.first_source);
  if (found == check_memos_.end()) return nullptr;
  const CheckMemo& memo = found->second;
  if (memo.graph_generation != g.generation.value || memo.now != init.now ||
      memo.nodes != reg.nodes) {
    return nullptr;
  }
  for (std::size_t x = 0; x < reg.nodes.size(); ++x) {
    if (!(memo.inputs[x] == InputOf(init, reg.nodes[x], dmp_risk(x)))) return nullptr;
  }
  return &memo;
}

void Projector::KeepCheck(NodeIndex first_source, CheckMemo memo) {
  const std::size_t bytes = memo.Bytes();
  // The region's older check goes: one per region, the latest.
  if (const auto old = check_memos_.find(first_source); old != check_memos_.end()) {
    check_memo_bytes_ -= old->second.Bytes();
    check_memos_.erase(old);
  }
  if (bytes > kCheckMemoBytes) return;
  while (check_memo_bytes_ + bytes > kCheckMemoBytes) {
    auto oldest = check_memos_.begin();
    for (auto it = check_memos_.begin(); it != check_memos_.end(); ++it) {
      if (it->second.kept_order < oldest->second.kept_order) oldest = it;
    }
    check_memo_bytes_ -= oldest->second.Bytes();
    check_memos_.erase(oldest);
  }
  memo.kept_order = ++check_memo_order_;
  check_memo_bytes_ += bytes;
  check_memos_.emplace(first_source, std::move(memo));
}

RefineOutcome Projector::Refine(const TransmissionGraph& g, const InitialState& init,
                                std::uint64_t max_work, ProjectionWorkspace* ws,
                                const InterruptRequested& interrupt) {
  RefineOutcome out;
  ResetWork();
  // Smallest first source first: a deterministic order.
  std::vector<std::int32_t> pending;
  for (std::size_t r = 0; r < regions_.size(); ++r) {
    if (regions_[r].alive && regions_[r].pending_check)
      pending.push_back(static_cast<std::int32_t>(r));
  }
  std::sort(pending.begin(), pending.end(), [&](std::int32_t a, std::int32_t b) {
    return regions_[static_cast<std::size_t>(a)].summary.first_source <
           regions_[static_cast<std::size_t>(b)].summary.first_source;
  });
  for (std::int32_t r : pending) {
    if (out.regions_checked > 0 && projection_.mc_work >= max_work) break;
    Region& reg = regions_[static_cast<std::size_t>(r)];
    // Its sizes leave the totals (none while pending) and come back checked.
    const auto count = static_cast<std::uint32_t>(reg.sizes.size());
    // The projection holds the region's DMP values until Monte Carlo serves
    // (in place: no copy of the region's values while the check's tally is
    // live).
    const auto dmp_risk = [&](std::size_t x) { return projection_.risk[reg.nodes[x]]; };
    const auto serve = [&](std::size_t x, double risk, int eta, NodeIndex parent) {
      const NodeIndex v = reg.nodes[x];
      out.max_risk_change = std::max(out.max_risk_change, std::fabs(risk - projection_.risk[v]));
      projection_.risk[v] = risk;
      projection_.eta[v] = eta;
      projection_.parent[v] = parent;
    };
    if (!Check(g, init, &reg, dmp_risk, serve, ws, interrupt)) {
      out.interrupted = true;  // still pending, its values untouched
      break;
    }
    if (--realization_counts_[count] == 0) realization_counts_.erase(count);
    reg.pending_check = false;
    AddSizes(reg);
    for (NodeIndex v : reg.nodes) {
      projection_.node_method[v] = reg.summary.method;
      projection_.node_checked[v] = 1;
    }
    ++out.regions_checked;
    out.served_monte_carlo += reg.summary.method == ProjectionMethod::kMonteCarlo;
    ++projection_.recomputed_regions;
    projection_.recomputed_nodes += reg.nodes.size();
  }
  out.regions_pending = pending.size() - out.regions_checked;
  if (out.regions_checked > 0) Publish();
  return out;
}

std::int32_t Projector::NewRegion() {
  if (!free_regions_.empty()) {
    const std::int32_t id = free_regions_.back();
    free_regions_.pop_back();
    return id;
  }
  regions_.emplace_back();
  return static_cast<std::int32_t>(regions_.size() - 1);
}

void Projector::Summarize(Region* reg) const {
  RegionSummary& sum = reg->summary;
  sum = RegionSummary{};
  sum.first_source = reg->sources.empty() ? kNoNode : reg->sources.front();
  sum.sources = static_cast<std::uint32_t>(reg->sources.size());
  sum.nodes = static_cast<std::uint32_t>(reg->nodes.size());
  sum.method = ProjectionMethod::kDmp;
  sum.checked = false;
}

bool Projector::UpdateIncremental(const TransmissionGraph& g, const InitialState& init,
                                  std::span<const NodeIndex> changed) {
  // Past a quarter of the edges a region recompute costs about as much, and
  // the scratch stays bounded.
  const std::uint64_t max_edges =
      std::max<std::uint64_t>(g.edge_count() / 4, options_.incremental_min_edges);
  if (!incremental_.Update(g, init, changed, max_edges, &recomputed_)) return false;
  projection_.incremental_dmp = true;
  projection_.recomputed_nodes = recomputed_.size();
  projection_.dmp_edge_updates = incremental_.edge_updates();
  for (const IncrementalDmpNode& n : recomputed_) {
    const NodeIndex v = n.node;
    projection_.risk[v] = n.in_frontier ? n.risk : 0.0;
    projection_.eta[v] = n.in_frontier ? n.eta : -1;
    projection_.parent[v] = n.in_frontier ? n.parent : kNoNode;
    projection_.node_method[v] = n.in_frontier ? ProjectionMethod::kDmp : ProjectionMethod::kNone;
    projection_.node_checked[v] = 0;  // Choice::kDmp: never checked
  }
  // Regions only grow unless a link (touched node -> out-neighbour) may be
  // gone: a node stopped propagating or left the frontier, or two changed
  // nodes share a region and one propagated (an edge between them may have
  // been removed; events record both ends).
  bool split = false;
  std::vector<std::pair<std::int32_t, bool>> changed_regions;
  for (const IncrementalDmpNode& n : recomputed_) {
    if ((n.was_touched && !n.touched) || (!n.in_frontier && region_of_[n.node] >= 0)) split = true;
  }
  if (!split) {
    for (std::size_t x = 0; x < recomputed_.size(); ++x)
      position_[recomputed_[x].node] = static_cast<std::uint32_t>(x);
    std::vector<NodeIndex> unique(changed.begin(), changed.end());
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (NodeIndex v : unique) {
      if (v >= g.node_count || region_of_[v] < 0) continue;
      changed_regions.emplace_back(region_of_[v], recomputed_[position_[v]].was_touched);
    }
    for (const IncrementalDmpNode& n : recomputed_) position_[n.node] = ~std::uint32_t{0};
    std::sort(changed_regions.begin(), changed_regions.end());
    for (std::size_t x = 0; x < changed_regions.size();) {
      std::size_t y = x;
      bool was_touched = false;
      for (; y < changed_regions.size() && changed_regions[y].first == changed_regions[x].first;
           ++y)
        was_touched = was_touched || changed_regions[y].second;
      if (y - x >= 2 && was_touched) split = true;
      x = y;
    }
  }
  if (split || !MergeRegions(g, init)) RebuildRegions(g, init);
  return true;
}

// Every link is still there: union the regions and new frontier nodes the
// new links join. Cost follows the recomputed nodes and the merged regions.
bool Projector::MergeRegions(const TransmissionGraph& g, const InitialState& init) {
  constexpr std::uint32_t kNone = ~std::uint32_t{0};
  const auto regions = static_cast<std::uint32_t>(regions_.size());
  const auto listed = static_cast<std::uint32_t>(recomputed_.size());
  for (std::uint32_t x = 0; x < listed; ++x) position_[recomputed_[x].node] = x;
  // Items: regions 0..regions-1, then recomputed nodes outside every region.
  std::vector<std::uint32_t> up(regions + listed);
  std::iota(up.begin(), up.end(), 0u);
  auto item = [&](NodeIndex v) -> std::uint32_t {
    if (region_of_[v] >= 0) return static_cast<std::uint32_t>(region_of_[v]);
    return position_[v] == kNone ? kNone : regions + position_[v];
  };
  bool ok = true;
  for (const IncrementalDmpNode& n : recomputed_) {
    if (!n.touched) continue;
    const std::uint32_t a = item(n.node);
    for (NodeIndex k : g.successors(n.node)) {
      const std::uint32_t b = item(k);
      if (b == kNone) {
        ok = false;  // not expected: a new frontier node is always recomputed
        continue;
      }
      const std::uint32_t ra = Root(up, a), rb = Root(up, b);
      if (ra != rb) up[std::max(ra, rb)] = std::min(ra, rb);
    }
  }
  if (!ok) {
    for (const IncrementalDmpNode& n : recomputed_) position_[n.node] = kNone;
    return false;
  }
  // Groups by root: the items recomputed nodes are in, each group once.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members;  // root, item
  for (const IncrementalDmpNode& n : recomputed_) {
    if (!n.in_frontier) continue;
    const std::uint32_t it = item(n.node);
    members.emplace_back(Root(up, it), it);
  }
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  for (std::size_t x = 0; x < members.size();) {
    std::size_t y = x;
    while (y < members.size() && members[y].first == members[x].first) ++y;
    // The largest region keeps its id; the others move into it.
    std::int32_t keep = -1;
    for (std::size_t z = x; z < y; ++z) {
      if (members[z].second >= regions) continue;
      const auto r = static_cast<std::int32_t>(members[z].second);
      if (keep < 0 || regions_[static_cast<std::size_t>(r)].nodes.size() >
                          regions_[static_cast<std::size_t>(keep)].nodes.size())
        keep = r;
    }
    if (keep < 0) {
      keep = NewRegion();
      regions_[static_cast<std::size_t>(keep)].alive = true;
      ++realization_counts_[0];
    }
    Region& into = regions_[static_cast<std::size_t>(keep)];
    for (std::size_t z = x; z < y; ++z) {
      const std::uint32_t it = members[z].second;
      if (it < regions) {
        if (static_cast<std::int32_t>(it) == keep) continue;
        Region& from = regions_[it];
        for (NodeIndex v : from.nodes) region_of_[v] = keep;
        into.nodes.insert(into.nodes.end(), from.nodes.begin(), from.nodes.end());
        into.sources.insert(into.sources.end(), from.sources.begin(), from.sources.end());
        Forget(static_cast<std::int32_t>(it));
      } else {
        const NodeIndex v = recomputed_[it - regions].node;
        region_of_[v] = keep;
        into.nodes.push_back(v);
      }
    }
    x = y;
  }
  // Sources: the touched nodes observed disrupted.
  std::vector<std::int32_t> summarize;
  for (const IncrementalDmpNode& n : recomputed_) {
    position_[n.node] = kNone;
    if (!n.in_frontier) continue;
    const std::int32_t r = region_of_[n.node];
    summarize.push_back(r);
  }
  std::sort(summarize.begin(), summarize.end());
  summarize.erase(std::unique(summarize.begin(), summarize.end()), summarize.end());
  for (std::int32_t r : summarize) {
    Region& reg = regions_[static_cast<std::size_t>(r)];
    std::sort(reg.sources.begin(), reg.sources.end());
    ++projection_.recomputed_regions;
  }
  for (const IncrementalDmpNode& n : recomputed_) {
    if (!n.in_frontier) continue;
    auto& src = regions_[static_cast<std::size_t>(region_of_[n.node])].sources;
    const auto at = std::lower_bound(src.begin(), src.end(), n.node);
    const bool known = at != src.end() && *at == n.node;
    const bool source = n.touched && init.p_i[n.node] > 0;
    if (source && !known) src.insert(at, n.node);
    if (!source && known) src.erase(at);
  }
  for (std::int32_t r : summarize) Summarize(&regions_[static_cast<std::size_t>(r)]);
  return true;
}

// Some link may be gone: the regions of the recomputed nodes, and any
// region their touched nodes reach, are split again from the stored touched
// set. Cost follows those regions' nodes and out-edges (no DMP).
void Projector::RebuildRegions(const TransmissionGraph& g, const InitialState& init) {
  constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<NodeIndex> nodes;
  std::vector<std::int32_t> involved;
  std::vector<std::uint8_t> in_involved(regions_.size(), 0);
  auto add = [&](NodeIndex v) {
    if (position_[v] != kNone) return;
    position_[v] = static_cast<std::uint32_t>(nodes.size());
    nodes.push_back(v);
    const std::int32_t r = region_of_[v];
    if (r < 0 || in_involved[static_cast<std::size_t>(r)]) return;
    in_involved[static_cast<std::size_t>(r)] = 1;
    involved.push_back(r);
    for (NodeIndex u : regions_[static_cast<std::size_t>(r)].nodes) {
      if (position_[u] != kNone) continue;
      position_[u] = static_cast<std::uint32_t>(nodes.size());
      nodes.push_back(u);
    }
  };
  for (const IncrementalDmpNode& n : recomputed_) add(n.node);
  for (std::size_t x = 0; x < nodes.size(); ++x) {
    if (!incremental_.touched(nodes[x])) continue;
    for (NodeIndex k : g.successors(nodes[x])) add(k);
  }
  std::vector<std::uint32_t> up(nodes.size());
  std::iota(up.begin(), up.end(), 0u);
  std::vector<std::uint8_t> linked(nodes.size(), 0);
  for (std::size_t x = 0; x < nodes.size(); ++x) {
    if (!incremental_.touched(nodes[x])) continue;
    linked[x] = 1;
    for (NodeIndex k : g.successors(nodes[x])) {
      const std::uint32_t y = position_[k];
      linked[y] = 1;
      const std::uint32_t a = Root(up, static_cast<std::uint32_t>(x)), b = Root(up, y);
      if (a != b) up[std::max(a, b)] = std::min(a, b);
    }
  }
  for (std::int32_t r : involved) Forget(r);
  std::vector<std::int32_t> region_of_root(nodes.size(), -1);
  std::vector<std::int32_t> created;
  for (std::size_t x = 0; x < nodes.size(); ++x) {
    const NodeIndex v = nodes[x];
    position_[v] = kNone;
    region_of_[v] = -1;
    if (!linked[x]) {
      // Out of every frontier (already cleared if recomputed).
      projection_.risk[v] = 0.0;
      projection_.eta[v] = -1;
      projection_.parent[v] = kNoNode;
      projection_.node_method[v] = ProjectionMethod::kNone;
      projection_.node_checked[v] = 0;
      continue;
    }
    const std::uint32_t root = Root(up, static_cast<std::uint32_t>(x));
    if (region_of_root[root] < 0) {
      region_of_root[root] = NewRegion();
      regions_[static_cast<std::size_t>(region_of_root[root])].alive = true;
      ++realization_counts_[0];
      created.push_back(region_of_root[root]);
    }
    Region& reg = regions_[static_cast<std::size_t>(region_of_root[root])];
    reg.nodes.push_back(v);
    region_of_[v] = region_of_root[root];
    if (incremental_.touched(v) && init.p_i[v] > 0) reg.sources.push_back(v);
  }
  for (std::int32_t r : created) {
    Region& reg = regions_[static_cast<std::size_t>(r)];
    std::sort(reg.sources.begin(), reg.sources.end());
    Summarize(&reg);
  }
  projection_.recomputed_regions += created.size();
}

void Projector::Publish() {
  Projection& p = projection_;
  p.expected_disrupted = 0;
  for (double r : p.risk) p.expected_disrupted += r;
  p.regions.clear();
  bool dmp = false, mc = false;
  p.unchecked_regions = 0;
  for (const Region& reg : regions_) {
    if (!reg.alive) continue;
    p.regions.push_back(reg.summary);
    p.unchecked_regions += reg.pending_check;
    (reg.summary.method == ProjectionMethod::kDmp ? dmp : mc) = true;
  }
  std::sort(p.regions.begin(), p.regions.end(), [](const RegionSummary& a, const RegionSummary& b) {
    return a.first_source < b.first_source;
  });
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
