#include "engine/engine.h"

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
  if (!std::isfinite(o.dmp.tolerance) || o.dmp.tolerance < 0) {
    return Status::InvalidArgument("projection tolerance must be finite and >= 0");
  }
  RISKD_RETURN_IF_ERROR(ValidateProjectionOptions(o.projection));
  if (!(o.step_days > 0) || !std::isfinite(o.step_days)) {
    return Status::InvalidArgument("step_days must be finite and > 0");
  }
  if (o.vulnerability_refresh_changes < 0) {
    return Status::InvalidArgument("vulnerability_refresh_changes must be >= 0");
  }
  return ValidateAlertPolicyOptions(o.alerts);
}

Result<std::unique_ptr<Engine>> Engine::Create(EngineOptions options, Network network) {
  RISKD_RETURN_IF_ERROR(ValidateEngineOptions(options));
  return std::unique_ptr<Engine>(new Engine(std::move(options), std::move(network)));
}

Engine::Engine(EngineOptions options, Network network)
    : options_(std::move(options)), network_(std::move(network)) {
  network_.Compact();
  for (const auto& t : options_.risk_types) {
    RiskTypeState s;
    s.type = t;
    s.alerts = AlertTracker(options_.alerts);
    s.observed.resize(network_.node_slots());
    s.projector = std::make_shared<Projector>(options_.dmp, options_.projection);
    types_.push_back(std::move(s));
  }
  RefreshVulnerability();
}

std::optional<int> Engine::FindRiskType(std::string_view name) const {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (types_[i].type.name == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

Status Engine::CheckNodes(std::span<const NodeIndex> nodes) const {
  for (NodeIndex v : nodes) {
    if (!network_.alive(v)) return Status::NotFound("node index is not in the network");
  }
  return Status::Ok();
}

Status Engine::SetStatus(NodeIndex node, int risk_type, NodeState state, double severity) {
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
  Observation& o = s.observed[node];
  if (IsRemoved(o.state) || IsRemoved(state)) s.spectral_stale = true;
  o = Observation{state, state == NodeState::kDisrupted ? severity : 1.0};
  MarkChanged(s, {&node, 1});
  return Status::Ok();
}

Status Engine::Disrupt(int risk_type, std::span<const NodeIndex> nodes, double severity) {
  if (risk_type < 0 || risk_type >= risk_type_count()) {
    return Status::InvalidArgument("unknown risk type");
  }
  if (!(severity > 0 && severity <= 1)) return Status::InvalidArgument("severity must be in (0, 1]");
  RISKD_RETURN_IF_ERROR(CheckNodes(nodes));
  auto& s = types_[risk_type];
  for (NodeIndex v : nodes) {
    Observation& o = s.observed[v];
    if (IsRemoved(o.state)) s.spectral_stale = true;
    if (o.state == NodeState::kDisrupted) {
      o.severity = std::max(o.severity, severity);
    } else {
      o = Observation{NodeState::kDisrupted, severity};
    }
  }
  MarkChanged(s, nodes);
  return Status::Ok();
}

Status Engine::Immunize(std::span<const NodeIndex> nodes, std::optional<int> risk_type,
                        bool lift) {
  if (risk_type && (*risk_type < 0 || *risk_type >= risk_type_count())) {
    return Status::InvalidArgument("unknown risk type");
  }
  RISKD_RETURN_IF_ERROR(CheckNodes(nodes));
  for (int r = 0; r < risk_type_count(); ++r) {
    if (risk_type && *risk_type != r) continue;
    auto& s = types_[r];
    for (NodeIndex v : nodes) {
      Observation& o = s.observed[v];
      if (lift) {
        if (o.state == NodeState::kImmunized) o = Observation{};
      } else {
        o = Observation{NodeState::kImmunized, 1.0};
      }
    }
    s.spectral_stale = true;
    MarkChanged(s, nodes);
  }
  return Status::Ok();
}

Result<std::vector<NodeIndex>> Engine::ResolvePlace(const Place& place) const {
  RISKD_RETURN_IF_ERROR(ValidatePlace(place));
  return NodesInPlace(network_, place);
}

void Engine::MarkChanged(RiskTypeState& s, std::span<const NodeIndex> nodes) {
  s.dirty = true;
  if (s.needs_full) return;
  s.changed.insert(s.changed.end(), nodes.begin(), nodes.end());
  // Past a quarter of the network, one full recompute is cheaper.
  if (s.changed.size() > network_.node_slots() / 4 + 16) {
    s.needs_full = true;
    s.changed.clear();
  }
}

void Engine::NetworkChanged(std::span<const NodeIndex> nodes) {
  network_.Compact();
  for (auto& s : types_) {
    s.observed.resize(network_.node_slots());
    s.graph.reset();
    s.spectral_stale = true;
    MarkChanged(s, nodes);
  }
  const int refresh = options_.vulnerability_refresh_changes;
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
  network_.Compact();
  std::vector<NodeIndex> touched{*v};
  for (EdgeIndex e = network_.out_begin(*v); e < network_.out_end(*v); ++e) {
    touched.push_back(network_.edge_target(e));
  }
  for (EdgeIndex e : network_.in_edges(*v)) touched.push_back(network_.edge_source(e));
  RISKD_RETURN_IF_ERROR(network_.RemoveNode(id));
  for (auto& s : types_) s.observed[*v] = Observation{};
  NetworkChanged(touched);
  return Status::Ok();
}

Status Engine::AddEdge(std::string_view from, std::string_view to, Layer layer, double weight) {
  RISKD_RETURN_IF_ERROR(network_.AddEdge(from, to, layer, weight));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends);
  return Status::Ok();
}

Status Engine::RemoveEdge(std::string_view from, std::string_view to, Layer layer) {
  RISKD_RETURN_IF_ERROR(network_.RemoveEdge(from, to, layer));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends);
  return Status::Ok();
}

Status Engine::SetEdgeWeight(std::string_view from, std::string_view to, Layer layer,
                             double weight) {
  RISKD_RETURN_IF_ERROR(network_.SetEdgeWeight(from, to, layer, weight));
  const NodeIndex ends[2] = {*network_.Find(from), *network_.Find(to)};
  NetworkChanged(ends);
  return Status::Ok();
}

void Engine::RefreshVulnerability() {
  vulnerability_.clear();
  network_changes_since_refresh_ = 0;
  for (const auto& s : types_) (void)VulnerabilityFor(s.type.layers);
  for (auto& s : types_) {
    s.graph.reset();
    s.dirty = true;
    s.needs_full = true;
    s.spectral_stale = true;
    s.changed.clear();
  }
}

const Vulnerability& Engine::VulnerabilityFor(LayerMask layers) {
  for (auto& [mask, v] : vulnerability_) {
    if (mask != layers) continue;
    // Nodes added since the snapshot get the typical node's susceptibility and
    // resilience until the next refresh.
    const std::size_t n = network_.node_slots();
    if (v.sigma.size() < n) {
      v.centrality.resize(n, 0.0);
      v.degree_share.resize(n, 0.0);
      v.omega.resize(n, 1.0);
      v.sigma.resize(n, 1.0);
      v.rho.resize(n, 1.0);
    }
    return v;
  }
  vulnerability_.emplace_back(layers,
                              ComputeVulnerability(network_, layers, options_.vulnerability));
  return vulnerability_.back().second;
}

std::shared_ptr<const TransmissionGraph> Engine::Graph(int risk_type) {
  auto& s = types_[risk_type];
  if (!s.graph) {
    TransmissionOptions to;
    to.step_days = options_.step_days;
    to.keep_shares = false;  // projections and the planner read p, not w~
    s.graph = std::make_shared<TransmissionGraph>(
        BuildTransmissionGraph(network_, s.type, VulnerabilityFor(s.type.layers), to));
  }
  return s.graph;
}

std::vector<int> Engine::Project(std::uint64_t tag) {
  std::vector<int> done;
  for (int r = 0; r < risk_type_count(); ++r) {
    auto& s = types_[r];
    if (!s.dirty) continue;
    auto graph = Graph(r);
    s.initial = InitialState::FromObservations(network_, s.observed);
    if (s.needs_full) {
      s.projector->Full(*graph, s.initial, &workspace_);
    } else {
      s.projector->Update(*graph, s.initial, s.changed, &workspace_);
    }
    if (s.spectral_stale) {
      s.projector->mutable_projection().spectral =
          ComputeSpectralRadius(*graph, s.initial, options_.spectral);
      s.spectral_stale = false;
    }
    s.projection = s.projector->projection();
    std::vector<char> eligible(network_.node_slots(), 0);
    for (NodeIndex v = 0; v < network_.node_slots(); ++v) {
      eligible[v] = network_.alive(v) && s.observed[v].state == NodeState::kSusceptible;
    }
    s.last_changes = s.alerts.Update(s.projection.risk, s.projection.eta, eligible, tag);
    s.changed.clear();
    s.needs_full = false;
    s.dirty = false;
    s.projected = true;
    done.push_back(r);
  }
  return done;
}

void Engine::RestoreAlert(int risk_type, NodeIndex node, const OpenAlert& alert) {
  types_[risk_type].alerts.Restore(node, alert);
}

}  // namespace riskd::engine
