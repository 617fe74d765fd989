#include "connectors/codec/output_codec.h"

#include <cmath>

namespace riskd::connectors {

std::string AlertId(const std::string& risk_type, const std::string& node_id,
                    std::uint64_t raised_tag) {
  return risk_type + "/" + node_id + "/" + std::to_string(raised_tag);
}

riskd::v1::Severity ToSeverity(engine::AlertLevel level) {
  switch (level) {
    case engine::AlertLevel::kCritical: return riskd::v1::SEVERITY_CRITICAL;
    case engine::AlertLevel::kWarning: return riskd::v1::SEVERITY_WARNING;
    case engine::AlertLevel::kNone: break;
  }
  return riskd::v1::SEVERITY_INFO;
}

riskd::v1::NodeState ToNodeState(engine::NodeState state) {
  switch (state) {
    case engine::NodeState::kSusceptible: return riskd::v1::NODE_STATE_SUSCEPTIBLE;
    case engine::NodeState::kDisrupted: return riskd::v1::NODE_STATE_DISRUPTED;
    case engine::NodeState::kRecovered: return riskd::v1::NODE_STATE_RECOVERED;
    case engine::NodeState::kImmunized: return riskd::v1::NODE_STATE_IMMUNIZED;
  }
  return riskd::v1::NODE_STATE_UNSPECIFIED;
}

riskd::v1::ProjectionMethod ToMethod(engine::ProjectionMethod method) {
  switch (method) {
    case engine::ProjectionMethod::kDmp: return riskd::v1::PROJECTION_METHOD_DMP;
    case engine::ProjectionMethod::kMonteCarlo: return riskd::v1::PROJECTION_METHOD_MONTE_CARLO;
    case engine::ProjectionMethod::kMixed: return riskd::v1::PROJECTION_METHOD_MIXED;
    case engine::ProjectionMethod::kNone: break;
  }
  return riskd::v1::PROJECTION_METHOD_UNSPECIFIED;
}

std::int64_t ModelTimeUnixNs(const engine::Engine& engine, double step_seconds) {
  return engine.now() * std::llround(step_seconds * 1e9);
}

void SetTimestamp(std::int64_t unix_ns, google::protobuf::Timestamp* ts) {
  ts->set_seconds(unix_ns / 1000000000);
  ts->set_nanos(static_cast<std::int32_t>(unix_ns % 1000000000));
}

riskd::v1::Alert MakeAlert(const engine::Engine& engine, int risk_type,
                           const engine::AlertChange& change, const OutputContext& ctx) {
  const auto& state = engine.risk_state(risk_type);
  const auto& net = engine.network();
  const std::string node_id(net.id(change.node));
  riskd::v1::Alert a;
  a.set_alert_id(AlertId(state.type.name, node_id, change.raised_tag));
  switch (change.lifecycle) {
    case engine::AlertLifecycle::kRaised: a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RAISED); break;
    case engine::AlertLifecycle::kUpdated: a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_UPDATED); break;
    case engine::AlertLifecycle::kResolved: a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RESOLVED); break;
  }
  a.set_severity(ToSeverity(change.level));
  a.set_risk_type(state.type.name);
  a.set_node_id(node_id);
  a.set_node_name(std::string(net.name(change.node)));
  a.set_probability(change.probability);
  a.set_eta_steps(change.eta);
  a.set_step_seconds(ctx.step_seconds);
  a.set_horizon_steps(state.projection.horizon);
  if (change.lifecycle != engine::AlertLifecycle::kResolved && engine.network().alive(change.node)) {
    for (engine::NodeIndex v : engine::CausePath(state.projection.parent, state.projection.risk, state.initial,
                                                   change.node)) {
      a.add_cause_path(std::string(net.id(v)));
    }
  }
  const auto& node_method = state.projection.node_method;
  a.set_method(ToMethod(change.node < node_method.size() && node_method[change.node] != engine::ProjectionMethod::kNone
                            ? node_method[change.node]
                            : state.projection.method));
  a.set_journal_seq(ctx.journal_seq);
  SetTimestamp(ctx.computed_at_unix_ns, a.mutable_computed_at());
  SetTimestamp(ModelTimeUnixNs(engine, ctx.step_seconds), a.mutable_model_time());
  return a;
}

riskd::v1::ProjectionSummary MakeSummary(const engine::Engine& engine, int risk_type,
                                         const OutputContext& ctx, double compute_ms) {
  const auto& state = engine.risk_state(risk_type);
  const auto& net = engine.network();
  riskd::v1::ProjectionSummary s;
  s.set_risk_type(state.type.name);
  s.set_method(ToMethod(state.projection.method));
  s.set_horizon_steps(state.projection.horizon);
  s.set_step_seconds(ctx.step_seconds);
  s.set_expected_disrupted(state.projection.expected_disrupted);
  s.set_disrupted_p05(state.projection.disrupted_p05);
  s.set_disrupted_p95(state.projection.disrupted_p95);
  const auto& spectral = state.projection.spectral;
  s.set_spectral_radius(spectral.non_backtracking > 0 ? spectral.non_backtracking : spectral.transmission);
  s.set_supercritical(spectral.supercritical);
  int disrupted = 0, recovered = 0, immunized = 0, at_risk = 0;
  const double lowest = engine.options().alerts.warning_raise;
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (!net.alive(v)) continue;
    switch (state.observed[v].state) {
      case engine::NodeState::kRecovered: ++recovered; break;
      case engine::NodeState::kImmunized: ++immunized; break;
      case engine::NodeState::kDisrupted:
        ++disrupted;
        [[fallthrough]];
      case engine::NodeState::kSusceptible:
        // As alerted: a report is evidence, the risk includes it.
        if (state.projection.risk[v] >= lowest) ++at_risk;
        break;
    }
  }
  s.set_observed_disrupted(disrupted);
  s.set_observed_recovered(recovered);
  s.set_immunized(immunized);
  s.set_nodes_at_risk(at_risk);
  s.set_journal_seq(ctx.journal_seq);
  SetTimestamp(ctx.computed_at_unix_ns, s.mutable_computed_at());
  s.set_compute_ms(compute_ms);
  SetTimestamp(ModelTimeUnixNs(engine, ctx.step_seconds), s.mutable_model_time());
  return s;
}

riskd::v1::NodeRisk MakeNodeRisk(const engine::Engine& engine, int risk_type,
                                 engine::NodeIndex node) {
  const auto& state = engine.risk_state(risk_type);
  riskd::v1::NodeRisk r;
  r.set_node_id(std::string(engine.network().id(node)));
  r.set_risk_type(state.type.name);
  r.set_observed_state(ToNodeState(state.observed[node].state));
  const bool projected = state.projected && node < state.projection.risk.size();
  r.set_probability(projected ? state.projection.risk[node] : 0.0);
  r.set_eta_steps(projected ? state.projection.eta[node] : -1);
  return r;
}

std::string AlertTopic(const riskd::v1::Alert& a) {
  std::string sev = "info";
  if (a.severity() == riskd::v1::SEVERITY_WARNING) sev = "warning";
  if (a.severity() == riskd::v1::SEVERITY_CRITICAL) sev = "critical";
  return "alert." + sev + "." + a.risk_type() + "." + a.node_id();
}

riskd::v1::ImmunizationPlan MakePlan(const engine::Engine& engine, int risk_type, int k,
                                     const engine::immunization::Plan& plan,
                                     const OutputContext& ctx) {
  riskd::v1::ImmunizationPlan out;
  out.set_risk_type(engine.risk_state(risk_type).type.name);
  out.set_k(k);
  out.set_strategy("state_aware/" + std::string(engine::immunization::StepRuleName(plan.rule)));
  for (const auto& t : plan.targets) {
    auto* target = out.add_targets();
    target->set_node_id(std::string(engine.network().id(t.node)));
    target->set_node_name(std::string(engine.network().name(t.node)));
    target->set_expected_averted(t.expected_averted.value_or(0.0));
    target->set_reason(t.reason);
  }
  out.set_expected_disrupted_before(plan.expected_before);
  out.set_expected_disrupted_after(plan.expected_after);
  out.set_journal_seq(ctx.journal_seq);
  SetTimestamp(ctx.computed_at_unix_ns, out.mutable_computed_at());
  return out;
}

std::string SummaryTopic(const std::string& risk_type) { return "projection.summary." + risk_type; }
std::string PlanTopic(const std::string& risk_type) { return "immunization." + risk_type; }
std::string FootprintTopic(const std::string& risk_type) { return "footprint." + risk_type; }
std::string RiskTopic(const std::string& risk_type) { return "risk." + risk_type; }

void ToNodeSpec(const engine::NodeAttributes& a, riskd::v1::NodeSpec* spec) {
  spec->set_id(a.id);
  spec->set_name(a.name);
  spec->set_kind(a.kind);
  spec->set_tier(a.tier);
  spec->set_region(a.region);
  if (a.location) {
    spec->mutable_location()->set_lat(a.location->lat);
    spec->mutable_location()->set_lon(a.location->lon);
  }
  spec->set_inventory_days(a.inventory_days);
  for (const auto& alt : a.alternates) spec->add_alternates(alt);
  spec->set_emergency_plan_id(a.emergency_plan_id);
}

}  // namespace riskd::connectors
