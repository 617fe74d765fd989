#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace riskd::engine {
namespace {

// Recovered and immunized nodes no longer take part in spreading.
bool IsRemoved(NodeState state) {
  return state == NodeState::kRecovered || state == NodeState::kImmunized;
}

}  // namespace

Status ValidateEngineOptions(const EngineOptions& o) {
  if (o.risk_types.empty()) return Status::InvalidArgument("at least one risk type is required");
  std::set<std::string> names;
  for (const auto& t : o.risk_types) {
    RISKD_RETURN_IF_ERROR(ValidateRiskType(t));
    if (!names.insert(t.name).second) {
      return Status::InvalidArgument("risk type '" + t.name + "' is defined twice");
    }
  }
  RISKD_RETURN_IF_ERROR(ValidateVulnerabilityOptions(o.vulnerability));
  if (o.dmp.horizon < 1 || o.dmp.horizon > 1000) {
    return Status::InvalidArgument("projection horizon must be in 1..1000 steps");
  }
  // Below 0.5: a node whose messages are not propagated never reaches the
  // ETA threshold (its ETA is computed from propagated nodes only).
  if (!(o.dmp.tolerance >= 0 && o.dmp.tolerance < 0.5)) {
    return Status::InvalidArgument("projection tolerance must be in [0, 0.5)");
  }
  RISKD_RETURN_IF_ERROR(ValidateProjectionOptions(o.projection));
  if (!(o.step_days > 0) || !std::isfinite(o.step_days)) {
    return Status::InvalidArgument("step_days must be finite and > 0");
  }
  if (o.vulnerability_refresh_changes < 0) {
    return Status::InvalidArgument("vulnerability_refresh_changes must be >= 0");
  }
  if (!(o.vulnerability_refresh_edge_fraction >= 0 && o.vulnerability_refresh_edge_fraction <= 1)) {
    return Status::InvalidArgument("vulnerability_refresh_edge_fraction must be in [0, 1]");
  }
  if (o.clock.history_window_steps < 1 || o.clock.history_window_steps > 100000) {
    return Status::InvalidArgument("clock history window must be 1..100000 steps");
  }
  return ValidateAlertPolicyOptions(o.alerts);
}

Result<std::unique_ptr<Engine>> Engine::Create(EngineOptions options, Network network) {
  RISKD_RETURN_IF_ERROR(ValidateEngineOptions(options));
  return std::unique_ptr<Engine>(new Engine(std::move(options), std::move(network)));
}

Engine::Engine(EngineOptions options, Network network, bool compute_vulnerability)
    : options_(std::move(options)), network_(std::move(network)) {
  network_.Compact();
  // The network was built by an importer or loader one node at a time; the
  // engine keeps it for the daemon's life, so its growth slack goes now.
  network_.ShrinkToFit();
  for (const auto& t : options_.risk_types) {
    RiskTypeState s;
    s.type_ = t;
    s.alerts_ = AlertTracker(options_.alerts);
    s.observed_.Resize(network_.node_slots());
    s.immunized_.resize(network_.node_slots(), 0);
    s.projector_ = std::make_unique<Projector>(options_.dmp, options_.projection);
    types_.push_back(std::move(s));
  }
  if (compute_vulnerability) RefreshVulnerability();
}

std::optional<int> Engine::FindRiskType(std::string_view name) const {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (types_[i].type_.name == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

Status Engine::CheckNodes(std::span<const NodeIndex> nodes) const {
  for (NodeIndex v : nodes) {
    if (!network_.alive(v)) return Status::NotFound("node index is not in the network");
  }
  return Status::Ok();
}

Status Engine::AdvanceClock(Step now) {
  if (now < now_) {
    return Status::InvalidArgument("clock: step " + std::to_string(now) +
                                   " is before the model clock (step " + std::to_string(now_) +
                                   "); it only moves forward");
  }
  if (now == now_) return Status::Ok();
  now_ = now;
  std::vector<NodeIndex> nodes;
  for (auto& s : types_) {
    // Episodes end, reports leave the window: what they say now.
    nodes.clear();
    for (const auto& [v, r] : s.reports_) nodes.push_back(v);
    for (NodeIndex v : nodes) Reobserve(s, v);
    // Every value is relative to now: a new frame.
    s.dirty_ = true;
    s.needs_full_ = true;
    s.changed_.clear();
  }
  return Status::Ok();
}

void Engine::AddReport(RiskTypeState& s, NodeIndex node, Report report) {
  report.order = ++report_order_;
  auto& entry = s.reports_[node];
  // Every entry's history is what its (pruned) reports say at now_ (each
  // Reobserve and every clock move re-derives it), so a report that goes
  // last and stays in the window is one more step of the same walk.
  if ((entry.reports.empty() || entry.reports.back().at <= report.at) &&
      !IsPruned(report, WindowStart())) {
    entry.reports.push_back(report);
    ReduceReport(&entry.history, report, now_, WindowStart());
    FoldSameStepTail(&entry.reports);  // what ReduceReports says stays the same
    Observe(s, node, entry.history);
    return;
  }
  InsertReport(&entry.reports, report);
  Reobserve(s, node);
}

void Engine::Reobserve(RiskTypeState& s, NodeIndex node) {
  NodeHistory history;
  if (auto it = s.reports_.find(node); it != s.reports_.end()) {
    PruneReports(&it->second.reports, WindowStart());
    if (it->second.reports.empty()) {
      s.reports_.erase(it);
    } else {
      history = it->second.history = ReduceReports(it->second.reports, now_, WindowStart());
    }
  }
  Observe(s, node, history);
}

void Engine::Observe(RiskTypeState& s, NodeIndex node, const NodeHistory& history) {
  const bool was_removed = IsRemoved(s.observed_[node].state);
  s.observed_.Set(
      node, s.immunized_[node] ? Observation{NodeState::kImmunized} : ObservationAt(history, now_));
  if (was_removed != IsRemoved(s.observed_[node].state)) s.spectral_stale_ = true;
}

Status Engine::SetStatus(int risk_type, NodeIndex node, NodeState state, double severity,
                         std::optional<Step> at) {
  if (risk_type < 0 || risk_type >= risk_type_count()) {
    return Status::InvalidArgument("unknown risk type");
  }
  if (!network_.alive(node)) return Status::NotFound("node is not in the network");
  if (state == NodeState::kImmunized) {
    return Status::InvalidArgument("immunization is an intervention, not a status");
  }
  if (state == NodeState::kDisrupted && !(severity > 0 && severity <= 1)) {
    return Status::InvalidArgument("severity must be in (0, 1]");
  }
  auto& s = types_[risk_type];
  AddReport(s, node,
            Report{.at = at.value_or(now_),
                   .state = state,
                   .severity = state == NodeState::kDisrupted ? severity : 1.0});
  MarkChanged(s, {&node, 1});
  return Status::Ok();
}

Status Engine::Disrupt(int risk_type, std::span<const NodeIndex> nodes, double severity,
                       std::optional<Step> at, Step duration) {
  if (risk_type < 0 || risk_type >= risk_type_count()) {
    return Status::InvalidArgument("unknown risk type");
  }
  if (!(severity > 0 && severity <= 1))
    return Status::InvalidArgument("severity must be in (0, 1]");
  if (duration < 0) return Status::InvalidArgument("duration must be >= 0 steps");
  RISKD_RETURN_IF_ERROR(CheckNodes(nodes));
  auto& s = types_[risk_type];
  for (NodeIndex v : nodes) {
    AddReport(s, v,
              Report{.at = at.value_or(now_),
                     .state = NodeState::kDisrupted,
                     .severity = severity,
                     .duration = duration});
  }
  MarkChanged(s, nodes);
  return Status::Ok();
}

Status Engine::Immunize(std::optional<int> risk_type, std::span<const NodeIndex> nodes, bool lift) {
  if (risk_type && (*risk_type < 0 || *risk_type >= risk_type_count())) {
    return Status::InvalidArgument("unknown risk type");
  }
  RISKD_RETURN_IF_ERROR(CheckNodes(nodes));
  for (int r = 0; r < risk_type_count(); ++r) {
    if (risk_type && *risk_type != r) continue;
    auto& s = types_[r];
    for (NodeIndex v : nodes) {
      s.immunized_[v] = lift ? 0 : 1;
      Reobserve(s, v);
    }
    s.spectral_stale_ = true;
    MarkChanged(s, nodes);
  }
  return Status::Ok();
}

Result<std::vector<NodeIndex>> Engine::ResolvePlace(const Place& place) const {
  RISKD_RETURN_IF_ERROR(ValidatePlace(place));
  return NodesInPlace(network_, place);
}

void Engine::MarkChanged(RiskTypeState& s, std::span<const NodeIndex> nodes) {
  s.dirty_ = true;
  if (s.needs_full_) return;
  s.changed_.insert(s.changed_.end(), nodes.begin(), nodes.end());
  // Past a quarter of the network, one full recompute is cheaper.
  if (s.changed_.size() > network_.node_slots() / 4 + 16) {
    s.needs_full_ = true;
    s.changed_.clear();
  }
}

void Engine::NetworkChanged(std::span<const NodeIndex> nodes, std::optional<Layer> layer) {
  // No compaction here: the overlay answers lookups, and the CSR is rebuilt
  // once per batch (Graph(), RefreshVulnerability(), CompactNetwork()).
  for (auto& s : types_) {
    s.observed_.Resize(network_.node_slots());
    s.immunized_.resize(network_.node_slots(), 0);
    // An edge on a layer the risk type does not use changes none of its
    // arcs (its vulnerability is the snapshot's): nothing to re-project.
    if (layer && (s.type_.layers & LayerBit(*layer)) == 0) continue;
    // The arcs into these nodes may have changed (both ends of an edge are
    // listed, so every direction is covered); past a quarter of the slots
    // a rebuild costs as much.
    if (s.graph_) {
      s.graph_rows_.insert(s.graph_rows_.end(), nodes.begin(), nodes.end());
      if (s.graph_rows_.size() > network_.node_slots() / 4 + 16) s.graph_.reset();
    }
    // The spectral radius stays with the snapshot (refreshed below).
    MarkChanged(s, nodes);
  }
  const double refresh = std::max(
      static_cast<double>(options_.vulnerability_refresh_changes),
      options_.vulnerability_refresh_edge_fraction * static_cast<double>(network_.edge_count()));
  if (++network_changes_since_refresh_ >= refresh) RefreshVulnerability();
}

Status Engine::AddNode(NodeAttributes attrs) {
  auto r = network_.AddNode(std::move(attrs));
  if (!r.ok()) return r.status();
  const NodeIndex v = *r;
  NetworkChanged({&v, 1});
  return Status::Ok();
}

Status Engine::UpdateNode(NodeAttributes attrs) {
  const auto v = network_.Find(attrs.id);
  RISKD_RETURN_IF_ERROR(network_.UpdateNode(std::move(attrs)));
  NetworkChanged({&*v, 1});
  return Status::Ok();
}

Status Engine::RemoveNode(std::string_view id) {
  const auto v = network_.Find(id);
  if (!v) return Status::NotFound("node '" + std::string(id) + "' is not in the network");
  // The node and every neighbour: their edges (and shares) change.
  std::vector<NodeIndex> touched{*v};
  for (const Edge& e : network_.EdgesOf(*v)) touched.push_back(e.from == *v ? e.to : e.from);
  RISKD_RETURN_IF_ERROR(network_.RemoveNode(id));
  for (auto& s : types_) {
    s.observed_.Set(*v, Observation{});
    s.reports_.erase(*v);
    s.immunized_[*v] = 0;
  }
  NetworkChanged(touched);
  return Status::Ok();
}

Status Engine::AddEdge(std::string_view from, std::string_view to, Layer layer, double weight) {
  RISKD_RETURN_IF_ERROR(network_.AddEdge(from, to, layer, weight));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends, layer);
  return Status::Ok();
}

Status Engine::RemoveEdge(std::string_view from, std::string_view to, Layer layer) {
  RISKD_RETURN_IF_ERROR(network_.RemoveEdge(from, to, layer));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends, layer);
  return Status::Ok();
}

Status Engine::SetEdgeWeight(std::string_view from, std::string_view to, Layer layer,
                             double weight) {
  RISKD_RETURN_IF_ERROR(network_.SetEdgeWeight(from, to, layer, weight));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends, layer);
  return Status::Ok();
}

Status Engine::SetAlertPolicy(const AlertPolicyOptions& alerts) {
  EngineOptions next = options_;
  next.alerts = alerts;
  RISKD_RETURN_IF_ERROR(ValidateEngineOptions(next));
  options_.alerts = alerts;
  for (auto& s : types_) {
    s.alerts_.set_options(alerts);
    s.dirty_ = true;
    s.needs_full_ = true;
  }
  return Status::Ok();
}

Status Engine::SetRiskTypeRates(int risk_type, double alpha, double beta) {
  if (risk_type < 0 || risk_type >= risk_type_count()) return Status::NotFound("no such risk type");
  EngineOptions next = options_;
  next.risk_types[static_cast<std::size_t>(risk_type)].alpha = alpha;
  next.risk_types[static_cast<std::size_t>(risk_type)].beta = beta;
  RISKD_RETURN_IF_ERROR(ValidateEngineOptions(next));
  options_ = std::move(next);
  auto& s = types_[static_cast<std::size_t>(risk_type)];
  s.type_.alpha = alpha;
  s.type_.beta = beta;
  s.graph_.reset();
  s.dirty_ = true;
  s.needs_full_ = true;
  s.spectral_stale_ = true;
  s.changed_.clear();
  return Status::Ok();
}

void Engine::RefreshVulnerability() {
  vulnerability_.clear();
  network_changes_since_refresh_ = 0;
  for (const auto& s : types_) (void)VulnerabilityFor(s.type_.layers);
  for (auto& s : types_) {
    s.graph_.reset();
    s.dirty_ = true;
    s.needs_full_ = true;
    s.spectral_stale_ = true;
    s.changed_.clear();
  }
}

const Vulnerability& Engine::VulnerabilityFor(LayerMask layers) {
  for (auto& [mask, v] : vulnerability_) {
    if (mask != layers) continue;
    // Nodes added since the snapshot get the typical node's susceptibility and
    // resilience until the next refresh.
    const std::size_t n = network_.node_slots();
    if (v.sigma.size() < n) {
      v.omega.resize(n, 1.0);
      v.sigma.resize(n, 1.0);
      v.rho.resize(n, 1.0);
    }
    return v;
  }
  network_.Compact();
  vulnerability_.emplace_back(layers,
                              ComputeVulnerability(network_, layers, options_.vulnerability));
  return vulnerability_.back().second;
}

std::shared_ptr<const TransmissionGraph> Engine::Graph(int risk_type) {
  auto& s = types_[risk_type];
  TransmissionOptions to;
  to.step_days = options_.step_days;
  to.keep_shares = false;  // projections and the planner read p, not w~
  if (s.graph_ && (!s.graph_rows_.empty() || s.graph_->node_count != network_.node_slots())) {
    network_.Compact();
    s.cyclic_valid_ = false;
    if (s.graph_.use_count() == 1) {
      // Held here only (it was made non-const): updated in place.
      const auto updated = std::const_pointer_cast<TransmissionGraph>(s.graph_);
      UpdateTransmissionGraph(updated.get(), network_, s.type_, VulnerabilityFor(s.type_.layers),
                              s.graph_rows_, to);
      updated->generation.value = ++graph_generations_;
    } else {
      s.graph_.reset();  // someone still reads the old one
    }
  }
  if (!s.graph_) {
    network_.Compact();
    s.cyclic_valid_ = false;
    auto built = std::make_shared<TransmissionGraph>(
        BuildTransmissionGraph(network_, s.type_, VulnerabilityFor(s.type_.layers), to));
    built->generation.value = ++graph_generations_;
    s.graph_ = std::move(built);
  }
  s.graph_rows_.clear();
  return s.graph_;
}

bool Engine::RefreshSpectral(int risk_type) {
  auto& s = types_[static_cast<std::size_t>(risk_type)];
  if (!s.projected_ || !s.spectral_stale_) return false;
  // On the nodes that can still take part now, and of those only the ones
  // on the graph's cycles (found once per graph).
  const auto graph = Graph(risk_type);
  if (!s.cyclic_valid_ && options_.spectral.max_iterations > 0) {
    s.cyclic_ = CyclicNodes(*graph);
    s.cyclic_valid_ = true;
  }
  // No node on a cycle: the radius is exactly 0 whatever the state
  // (ComputeSpectralRadius's SpectralRadius{}), so the state is not built
  // (~24 bytes per node slot, during the round's publishing; the benchmark's
  // acyclic downstream network, bench/README.md "`loadmem3`"). `cyclic_`
  // is this graph's: Graph() above drops it whenever the graph is updated
  // (changed rows, added node slots) or rebuilt (tested with a cycle closed
  // through a new node: SpectralRadiusFollowsACycleThroughANewNode).
  if (s.cyclic_valid_ &&
      std::none_of(s.cyclic_.begin(), s.cyclic_.end(), [](char c) { return c; })) {
    s.projector_->mutable_projection().spectral = SpectralRadius{};
  } else {
    s.projector_->mutable_projection().spectral = ComputeSpectralRadius(
        *graph, InitialState::FromObserved(network_, s.observed_), options_.spectral, &s.cyclic_);
  }
  s.spectral_stale_ = false;
  return true;
}

std::vector<int> Engine::Project(std::uint64_t journal_seq, Spectral spectral,
                                 const std::function<bool()>& release_scratch) {
  network_.Compact();  // the batch's changes, once
  std::vector<int> done;
  // Only the last risk type projected may release the scratch: the others
  // would allocate it again.
  int last = -1;
  for (int r = 0; r < risk_type_count(); ++r) {
    if (types_[r].dirty_) last = r;
  }
  // The callback is this call's: unset however Project is left, so no later
  // Refine or projection asks it.
  struct Unset {
    ProjectionWorkspace& workspace;
    ~Unset() { workspace.release_dmp_after_run = nullptr; }
  } unset{workspace_};
  for (int r = 0; r < risk_type_count(); ++r) {
    auto& s = types_[r];
    if (!s.dirty_) continue;
    workspace_.release_dmp_after_run = r == last ? release_scratch : nullptr;
    auto graph = Graph(r);
    Step frame_start = kNoStep;
    BuildInitial(s, &frame_start, &s.initial_);
    if (frame_start != s.frame_start_ || now_ != s.frame_now_) s.needs_full_ = true;
    s.frame_start_ = frame_start;
    s.frame_now_ = now_;
    if (s.needs_full_) {
      s.projector_->Full(*graph, s.initial_, &workspace_);
    } else {
      s.projector_->Update(*graph, s.initial_, s.changed_, &workspace_);
    }
    PublishProjection(s, journal_seq);
    s.changed_.clear();
    s.needs_full_ = false;
    s.dirty_ = false;
    s.projected_ = true;
    if (spectral == Spectral::kNow) (void)RefreshSpectral(r);
    done.push_back(r);
  }
  return done;
}

void Engine::PublishProjection(RiskTypeState& s, std::uint64_t journal_seq) {
  const Projection& projection = s.projector_->projection();
  // Every node that can still be disrupted is alerted on its risk, the
  // nodes reported disrupted included: their risk is at least the
  // evidence, and a weak report must not close the alert the projection
  // supports (docs/model.md section 3, "Observations are evidence").
  std::vector<char> eligible(network_.node_slots(), 0);
  for (NodeIndex v = 0; v < network_.node_slots(); ++v) {
    eligible[v] = network_.alive(v) && !IsRemoved(s.observed_[v].state);
  }
  s.last_changes_ = s.alerts_.Update(projection.risk, projection.eta, eligible, journal_seq);
}

Engine::Refinement Engine::Refine(std::uint64_t journal_seq, std::uint64_t max_work,
                                  const InterruptRequested& interrupt) {
  Refinement out;
  std::uint64_t spent = 0;
  for (int r = 0; r < risk_type_count(); ++r) {
    auto& s = types_[static_cast<std::size_t>(r)];
    if (!s.projected_ || s.dirty_ || s.projection().unchecked_regions == 0) continue;
    if (!out.risk_types.empty() && spent >= max_work) break;
    const RefineOutcome done = s.projector_->Refine(
        *Graph(r), s.initial_, max_work - std::min(spent, max_work), &workspace_, interrupt);
    spent += s.projector_->projection().mc_work;
    out.interrupted = done.interrupted;
    if (done.regions_checked > 0) {
      out.max_risk_change = std::max(out.max_risk_change, done.max_risk_change);
      PublishProjection(s, journal_seq);
      out.risk_types.push_back(r);
    }
    if (done.interrupted) break;
  }
  out.pending = UncheckedRegions();
  return out;
}

std::size_t Engine::ReleaseScratch() { return workspace_.Release(); }

std::size_t Engine::UncheckedRegions() const {
  std::size_t pending = 0;
  for (const auto& s : types_) pending += s.projected_ ? s.projection().unchecked_regions : 0;
  return pending;
}

void Engine::BuildInitial(const RiskTypeState& s, Step* frame_start, InitialState* out) const {
  const std::size_t n = network_.node_slots();
  auto counts = [&](NodeIndex v) { return network_.alive(v) && !s.immunized_[v]; };
  // The frame starts at the earliest onset in the window (or now).
  Step first = now_;
  for (const auto& [v, r] : s.reports_) {
    if (counts(v) && r.history.disrupted) first = std::min(first, r.history.onset);
  }
  *frame_start = first;
  auto relative = [&](Step t) {
    return static_cast<std::int32_t>(std::min<Step>(t - first, InitialState::kNever));
  };
  // Rewritten in place: the vectors keep their storage from the last round
  // (per node and risk type ~2.4 MB on 100k nodes, otherwise mapped anew
  // every round above riskd's 256 KiB mmap threshold). What a round does
  // not set is emptied, as a new state's would be.
  InitialState& st = *out;
  // Every field is reset below; a field added to InitialState must be too
  // (this fails to compile until the size is updated here after that).
  static_assert(sizeof(InitialState) == 6 * sizeof(std::vector<double>) + sizeof(std::int64_t),
                "reset the new InitialState field in Engine::BuildInitial");
  st.p_s.assign(n, 1.0);
  st.p_i.assign(n, 0.0);
  st.p_r.assign(n, 0.0);
  st.start.clear();
  st.end.clear();
  st.fixed.clear();
  st.now = relative(now_);
  for (NodeIndex v = 0; v < n; ++v) {
    if (!counts(v)) {
      st.p_s[v] = 0.0;
      st.p_r[v] = 1.0;
    }
  }
  auto set_start = [&](NodeIndex v, std::int32_t c) {
    if (c <= 0) return;
    if (st.start.empty()) st.start.assign(n, 0);
    st.start[v] = c;
  };
  auto set_end = [&](NodeIndex v, std::int32_t e, bool fixed) {
    if (st.end.empty()) st.end.assign(n, InitialState::kNever);
    st.end[v] = e;
    if (fixed) {
      if (st.fixed.empty()) st.fixed.assign(n, 0);
      st.fixed[v] = 1;
    }
  };
  for (const auto& [v, r] : s.reports_) {
    if (!counts(v)) continue;
    const NodeHistory& h = r.history;
    if (h.disrupted) {
      set_start(v, relative(h.onset));
      st.p_i[v] = h.severity;
      st.p_s[v] = 1.0 - h.severity;
      if (h.end != kNoStep) set_end(v, relative(h.end), true);
    } else if (h.recovered_at != kNoStep) {
      if (h.recovered_at <= first) {
        st.p_s[v] = 0.0;
        st.p_r[v] = 1.0;
      } else {
        set_end(v, relative(h.recovered_at), false);
      }
    } else if (h.normal_at != kNoStep) {
      set_start(v, relative(std::max(h.normal_at, first)));
    }
  }
}

void Engine::RestoreAlert(int risk_type, NodeIndex node, const OpenAlert& alert) {
  types_[risk_type].alerts_.Restore(node, alert);
}

Status Engine::SetNodeAlertPolicy(int risk_type, NodeIndex node,
                                  const AlertPolicyOptions& options) {
  if (risk_type < 0 || risk_type >= risk_type_count()) {
    return Status::InvalidArgument("unknown risk type");
  }
  if (!network_.alive(node)) return Status::NotFound("node is not in the network");
  RISKD_RETURN_IF_ERROR(ValidateAlertPolicyOptions(options));
  types_[risk_type].alerts_.SetNodeOptions(node, options);
  types_[risk_type].dirty_ = true;
  return Status::Ok();
}

}  // namespace riskd::engine
