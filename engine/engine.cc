#include "engine/engine.h"

#include <cmath>
#include <set>

namespace riskd::engine {

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
    types_.push_back(std::move(s));
  }
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
  s.observed[node] = Observation{state, state == NodeState::kDisrupted ? severity : 1.0};
  s.dirty = true;
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
    if (o.state == NodeState::kDisrupted) {
      o.severity = std::max(o.severity, severity);
    } else {
      o = Observation{NodeState::kDisrupted, severity};
    }
  }
  if (!nodes.empty()) s.dirty = true;
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
    s.dirty = true;
  }
  return Status::Ok();
}

Result<std::vector<NodeIndex>> Engine::ResolvePlace(const Place& place) const {
  RISKD_RETURN_IF_ERROR(ValidatePlace(place));
  return NodesInPlace(network_, place);
}

void Engine::NetworkChanged() {
  network_.Compact();
  for (auto& s : types_) {
    s.observed.resize(network_.node_slots());
    s.graph.reset();
    s.dirty = true;
  }
}

Status Engine::AddNode(NodeAttributes attrs) {
  auto r = network_.AddNode(std::move(attrs));
  if (!r.ok()) return r.status();
  NetworkChanged();
  return Status::Ok();
}

Status Engine::UpdateNode(NodeAttributes attrs) {
  RISKD_RETURN_IF_ERROR(network_.UpdateNode(std::move(attrs)));
  NetworkChanged();
  return Status::Ok();
}

Status Engine::RemoveNode(std::string_view id) {
  auto v = network_.Find(id);
  RISKD_RETURN_IF_ERROR(network_.RemoveNode(id));
  for (auto& s : types_) s.observed[*v] = Observation{};
  NetworkChanged();
  return Status::Ok();
}

Status Engine::AddEdge(std::string_view from, std::string_view to, Layer layer, double weight) {
  RISKD_RETURN_IF_ERROR(network_.AddEdge(from, to, layer, weight));
  NetworkChanged();
  return Status::Ok();
}

Status Engine::RemoveEdge(std::string_view from, std::string_view to, Layer layer) {
  RISKD_RETURN_IF_ERROR(network_.RemoveEdge(from, to, layer));
  NetworkChanged();
  return Status::Ok();
}

Status Engine::SetEdgeWeight(std::string_view from, std::string_view to, Layer layer,
                             double weight) {
  RISKD_RETURN_IF_ERROR(network_.SetEdgeWeight(from, to, layer, weight));
  NetworkChanged();
  return Status::Ok();
}

const Vulnerability& Engine::VulnerabilityFor(LayerMask layers) {
  if (vulnerability_version_ != network_.version()) {
    vulnerability_.clear();
    vulnerability_version_ = network_.version();
  }
  for (const auto& [mask, v] : vulnerability_) {
    if (mask == layers) return v;
  }
  vulnerability_.emplace_back(layers,
                              ComputeVulnerability(network_, layers, options_.vulnerability));
  return vulnerability_.back().second;
}

std::shared_ptr<const TransmissionGraph> Engine::Graph(int risk_type) {
  auto& s = types_[risk_type];
  if (!s.graph) {
    s.graph = std::make_shared<TransmissionGraph>(
        BuildTransmissionGraph(network_, s.type, VulnerabilityFor(s.type.layers)));
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
    s.projection = RunDmp(*graph, s.initial, options_.dmp);
    std::vector<char> eligible(network_.node_slots(), 0);
    for (NodeIndex v = 0; v < network_.node_slots(); ++v) {
      eligible[v] = network_.alive(v) && s.observed[v].state == NodeState::kSusceptible;
    }
    s.last_changes = s.alerts.Update(s.projection.risk, s.projection.eta, eligible, tag);
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
