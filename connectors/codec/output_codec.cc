#include "connectors/codec/output_codec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace riskd::connectors {

std::string AlertId(const std::string& risk_type, const std::string& node_id,
                    std::uint64_t raised_journal_seq) {
  return risk_type + "/" + node_id + "/" + std::to_string(raised_journal_seq);
}

riskd::v1::Severity ToProtoLevel(engine::AlertLevel level) {
  switch (level) {
    case engine::AlertLevel::kCritical:
      return riskd::v1::SEVERITY_CRITICAL;
    case engine::AlertLevel::kWarning:
      return riskd::v1::SEVERITY_WARNING;
    case engine::AlertLevel::kNone:
      break;
  }
  return riskd::v1::SEVERITY_INFO;
}

riskd::v1::NodeState ToNodeState(engine::NodeState state) {
  switch (state) {
    case engine::NodeState::kSusceptible:
      return riskd::v1::NODE_STATE_SUSCEPTIBLE;
    case engine::NodeState::kDisrupted:
      return riskd::v1::NODE_STATE_DISRUPTED;
    case engine::NodeState::kRecovered:
      return riskd::v1::NODE_STATE_RECOVERED;
    case engine::NodeState::kImmunized:
      return riskd::v1::NODE_STATE_IMMUNIZED;
  }
  return riskd::v1::NODE_STATE_UNSPECIFIED;
}

riskd::v1::ProjectionMethod ToMethod(engine::ProjectionMethod method) {
  switch (method) {
    case engine::ProjectionMethod::kDmp:
      return riskd::v1::PROJECTION_METHOD_DMP;
    case engine::ProjectionMethod::kMonteCarlo:
      return riskd::v1::PROJECTION_METHOD_MONTE_CARLO;
    case engine::ProjectionMethod::kMixed:
      return riskd::v1::PROJECTION_METHOD_MIXED;
    case engine::ProjectionMethod::kNone:
      break;
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

riskd::v1::Alert MakeAlert(const engine::Engine& engine, const engine::IncidentBook& book,
                           int risk_type, const engine::AlertPush& push, const OutputContext& ctx) {
  const auto& state = engine.risk_state(risk_type);
  const auto& net = engine.network();
  const std::string node_id(net.id(push.node));
  riskd::v1::Alert a;
  a.set_alert_id(AlertId(state.type().name, node_id, push.raised_journal_seq));
  switch (push.lifecycle) {
    case engine::AlertLifecycle::kRaised:
      a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RAISED);
      break;
    case engine::AlertLifecycle::kUpdated:
      a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_UPDATED);
      break;
    case engine::AlertLifecycle::kResolved:
      a.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RESOLVED);
      break;
  }
  a.set_severity(ToProtoLevel(push.level));
  a.set_risk_type(state.type().name);
  a.set_node_id(node_id);
  a.set_node_name(std::string(net.name(push.node)));
  a.set_probability(push.probability);
  a.set_eta_steps(push.eta);
  a.set_step_seconds(ctx.step_seconds);
  a.set_horizon_steps(state.projection().horizon);
  if (const engine::Incident* inc = book.Find(push.incident)) a.set_incident_id(inc->id);
  a.set_value_at_risk(push.value_at_risk);
  if (push.lifecycle != engine::AlertLifecycle::kResolved && net.alive(push.node)) {
    const auto path = engine::CausePath(state.projection().parent, state.projection().risk,
                                        state.initial(), push.node);
    for (std::size_t i = 0; i < path.size(); ++i) {
      const engine::NodeIndex v = path[i];
      a.add_cause_path(std::string(net.id(v)));
      auto* step = a.add_cause();
      step->set_node_id(std::string(net.id(v)));
      step->set_node_name(std::string(net.name(v)));
      step->set_probability(state.projection().risk[v]);
      step->set_share(i == 0 ? 0.0 : engine::DependencyShare(net, state.type(), path[i - 1], v));
    }
    if (!path.empty()) {
      for (auto& id : book.TriggerEventIds(risk_type, path.front())) {
        a.add_trigger_event_ids(std::move(id));
      }
    }
    const std::pair<engine::NodeIndex, engine::AlertLevel> node{push.node, push.level};
    const auto plans = book.plans().For(net, risk_type, {&node, 1});
    if (!plans.empty()) FillEmergencyPlan(net, book.plans(), plans.front(), a.mutable_plan());
  }
  for (const auto& name : book.WatchlistsOf(risk_type, push.node)) a.add_watchlists(name);
  const auto& node_method = state.projection().node_method;
  const bool in_region =
      push.node < node_method.size() && node_method[push.node] != engine::ProjectionMethod::kNone;
  a.set_method(ToMethod(in_region ? node_method[push.node] : state.projection().method));
  // Outside every region at risk the 0 is exact (nothing reaches the node).
  a.set_checked(!in_region || (push.node < state.projection().node_checked.size() &&
                               state.projection().node_checked[push.node] != 0));
  a.set_journal_seq(ctx.journal_seq);
  SetTimestamp(ctx.computed_at_unix_ns, a.mutable_computed_at());
  SetTimestamp(ModelTimeUnixNs(engine, ctx.step_seconds), a.mutable_model_time());
  return a;
}

void FillEmergencyPlan(const engine::Network& net, const engine::EmergencyPlans& plans,
                       const engine::PlanInstance& plan, riskd::v1::EmergencyPlan* out) {
  const engine::PlanRule& rule = plans.rules()[plan.rule];
  out->set_plan_id(rule.id);
  out->set_title(rule.title);
  for (const auto& action : plan.actions) {
    auto* a = out->add_actions();
    std::string who;
    if (action.node != engine::kNoNode && net.alive(action.node)) {
      a->set_node_id(std::string(net.id(action.node)));
      a->set_node_name(std::string(net.name(action.node)));
      who = a->node_id() + (a->node_name() != a->node_id() ? " (" + a->node_name() + ")" : "");
    }
    switch (action.kind) {
      case engine::PlanActionKind::kActivateAlternates: {
        a->set_kind(riskd::v1::PlanAction::KIND_ACTIVATE_ALTERNATES);
        std::string list;
        for (const auto& alt : action.alternates) {
          a->add_alternates(alt);
          list += (list.empty() ? "" : ", ") + alt;
        }
        a->set_description("activate alternate suppliers " + list + " for " + who);
        break;
      }
      case engine::PlanActionKind::kReleaseSafetyStock:
        a->set_kind(riskd::v1::PlanAction::KIND_RELEASE_SAFETY_STOCK);
        a->set_description("release safety stock for " + who);
        break;
      case engine::PlanActionKind::kNotify:
        a->set_kind(riskd::v1::PlanAction::KIND_NOTIFY);
        a->set_contact(action.contact);
        a->set_description("notify " + action.contact);
        break;
    }
  }
}

void FillIncidentNode(const engine::Network& net, const engine::IncidentNode& node,
                      riskd::v1::IncidentNode* out) {
  out->set_node_id(std::string(net.id(node.node)));
  out->set_node_name(std::string(net.name(node.node)));
  out->set_kind(std::string(net.kind(node.node)));
  out->set_tier(net.tier(node.node));
  out->set_probability(node.probability);
  out->set_eta_steps(node.eta);
  out->set_value_at_risk(node.value_at_risk);
  out->set_level(ToProtoLevel(node.level));
  out->set_alert_pushed(node.pushed);
}

namespace {

riskd::v1::OperatorAction::Kind ToProtoKind(engine::OperatorActionKind kind) {
  using A = riskd::v1::OperatorAction;
  switch (kind) {
    case engine::OperatorActionKind::kAcknowledge:
      return A::KIND_ACKNOWLEDGE;
    case engine::OperatorActionKind::kAssign:
      return A::KIND_ASSIGN;
    case engine::OperatorActionKind::kOverrideLevel:
      return A::KIND_OVERRIDE_LEVEL;
    case engine::OperatorActionKind::kMarkNoImpact:
      return A::KIND_MARK_NO_IMPACT;
    case engine::OperatorActionKind::kMarkRestored:
      return A::KIND_MARK_RESTORED;
  }
  return A::KIND_UNSPECIFIED;
}

riskd::v1::Incident::Lifecycle ToProtoLifecycle(engine::IncidentLifecycle lifecycle) {
  using I = riskd::v1::Incident;
  switch (lifecycle) {
    case engine::IncidentLifecycle::kPotential:
      return I::LIFECYCLE_POTENTIAL;
    case engine::IncidentLifecycle::kConfirmed:
      return I::LIFECYCLE_CONFIRMED;
    case engine::IncidentLifecycle::kRestored:
      return I::LIFECYCLE_RESTORED;
    case engine::IncidentLifecycle::kClosed:
      return I::LIFECYCLE_CLOSED;
  }
  return I::LIFECYCLE_UNSPECIFIED;
}

riskd::v1::Incident::Resolution ToProtoResolution(engine::IncidentResolution resolution) {
  using I = riskd::v1::Incident;
  switch (resolution) {
    case engine::IncidentResolution::kSourcesRecovered:
      return I::RESOLUTION_SOURCES_RECOVERED;
    case engine::IncidentResolution::kOperatorRestored:
      return I::RESOLUTION_OPERATOR_RESTORED;
    case engine::IncidentResolution::kNoImpact:
      return I::RESOLUTION_NO_IMPACT;
    case engine::IncidentResolution::kNone:
      break;
  }
  return I::RESOLUTION_UNSPECIFIED;
}

// A title when no event gave one: what hit which site.
std::string DefaultTitle(const engine::Network& net, const engine::Incident& inc) {
  if (inc.sources.empty()) return inc.id;
  const engine::NodeIndex first =
      inc.sources_by_value.empty() ? inc.sources.front() : inc.sources_by_value.front();
  std::string site = net.alive(first) ? std::string(net.name(first)) : "a removed node";
  if (inc.sources.size() > 1) site += " and " + std::to_string(inc.sources.size() - 1) + " more";
  if (inc.hazard != 0 && riskd::v1::Hazard_IsValid(inc.hazard)) {
    std::string hazard = riskd::v1::Hazard_Name(static_cast<riskd::v1::Hazard>(inc.hazard));
    hazard = hazard.substr(hazard.find('_') + 1);
    for (char& c : hazard) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
    return hazard + " at " + site;
  }
  return site + " reported disrupted";
}

}  // namespace

void FillIncident(const engine::Engine& engine, const engine::IncidentBook& book,
                  const engine::Incident& inc, const OutputContext& ctx, riskd::v1::Incident* out) {
  const auto& net = engine.network();
  const auto& state = engine.risk_state(inc.risk_type);
  const auto& options = book.options();
  out->set_incident_id(inc.id);
  out->set_lifecycle(ToProtoLifecycle(inc.lifecycle));
  out->set_resolution(ToProtoResolution(inc.resolution));
  out->set_level(ToProtoLevel(inc.level()));
  out->set_computed_level(ToProtoLevel(inc.computed_level));
  out->set_risk_type(state.type().name);
  if (riskd::v1::Hazard_IsValid(inc.hazard)) {
    out->set_hazard(static_cast<riskd::v1::Hazard>(inc.hazard));
  }
  out->set_title(inc.title.empty() ? DefaultTitle(net, inc) : inc.title);
  // The first max_listed events (the book keeps them first; what it keeps
  // beyond them are sources' trigger events, not listed here) and the
  // count of all.
  for (std::size_t i = 0; i < inc.events.size() && i < static_cast<std::size_t>(options.max_listed);
       ++i) {
    out->add_event_ids(inc.events[i].event_id);
  }
  out->set_event_count(static_cast<std::int32_t>(
      std::min<std::uint64_t>(inc.event_count, std::numeric_limits<std::int32_t>::max())));
  for (std::size_t i = 0; i < inc.feed_event_ids.size() && i < 20; ++i) {
    out->add_feed_event_ids(inc.feed_event_ids[i]);
  }
  out->set_sources_hit(static_cast<std::int32_t>(inc.sources.size()));
  // A projection round ranks the sources by value at risk. An incident no
  // round has refreshed (a replay that ended its episode before the first
  // round after a restart) lists them in node order, as DefaultTitle does.
  const auto& listed = inc.sources_by_value.empty() ? inc.sources : inc.sources_by_value;
  for (std::size_t i = 0; i < listed.size() && i < static_cast<std::size_t>(options.max_listed);
       ++i) {
    if (net.alive(listed[i])) out->add_source_ids(std::string(net.id(listed[i])));
  }
  out->set_sources_disrupted(inc.sources_disrupted);
  out->set_expected_disrupted(inc.expected_disrupted);
  out->set_disrupted_p05(inc.disrupted_p05);
  out->set_disrupted_p95(inc.disrupted_p95);
  out->set_value_at_risk(inc.value_at_risk);
  out->set_nodes_at_risk(inc.nodes_at_risk);
  for (const auto& node : inc.top) {
    if (net.alive(node.node)) FillIncidentNode(net, node, out->add_top_nodes());
  }
  out->set_alerts_pushed(inc.alerts_pushed);
  out->set_alerts_resolved(static_cast<std::int32_t>(inc.resolved_alerts.size()));
  for (const auto& [node, raised_journal_seq] : inc.resolved_alerts) {
    out->add_resolved_alert_ids(
        AlertId(state.type().name, std::string(net.id(node)), raised_journal_seq));
  }
  for (const auto& plan : inc.plans) FillEmergencyPlan(net, book.plans(), plan, out->add_plans());
  auto* op = out->mutable_operator_state();
  const engine::IncidentOperatorState& operator_state = inc.op();
  op->set_acknowledged(operator_state.acknowledged);
  op->set_acknowledged_by(operator_state.acknowledged_by);
  if (operator_state.acknowledged_at_ns)
    SetTimestamp(operator_state.acknowledged_at_ns, op->mutable_acknowledged_at());
  op->set_assignee(operator_state.assignee);
  if (operator_state.level_override)
    op->set_level_override(ToProtoLevel(*operator_state.level_override));
  for (const auto& h : operator_state.history) {
    auto* record = op->add_history();
    record->set_event_id(h.event_id);
    record->set_journal_seq(h.seq);
    if (h.time_ns) SetTimestamp(h.time_ns, record->mutable_received_at());
    auto* action = record->mutable_action();
    action->set_incident_id(h.incident_id);
    action->set_kind(ToProtoKind(h.kind));
    action->set_operator_(h.operator_name);
    action->set_assignee(h.assignee);
    if (h.kind == engine::OperatorActionKind::kOverrideLevel && h.level) {
      action->set_level(ToProtoLevel(*h.level));
    }
    action->set_note(h.note);
    action->set_authenticated_client(h.authenticated_client);
  }
  out->set_opened_journal_seq(inc.key);
  if (inc.opened_at_ns) SetTimestamp(inc.opened_at_ns, out->mutable_opened_at());
  if (inc.restored_at_ns) SetTimestamp(inc.restored_at_ns, out->mutable_restored_at());
  if (inc.closed_at_ns) SetTimestamp(inc.closed_at_ns, out->mutable_closed_at());
  out->set_journal_seq(std::max(ctx.journal_seq, inc.last_seq));
  SetTimestamp(ctx.computed_at_unix_ns, out->mutable_computed_at());
  out->set_horizon_steps(state.projection().horizon);
  out->set_step_seconds(ctx.step_seconds);
  SetTimestamp(ModelTimeUnixNs(engine, ctx.step_seconds), out->mutable_model_time());
}

riskd::v1::ProjectionSummary MakeSummary(const engine::Engine& engine, int risk_type,
                                         const OutputContext& ctx, double compute_ms) {
  const auto& state = engine.risk_state(risk_type);
  const auto& net = engine.network();
  riskd::v1::ProjectionSummary s;
  s.set_risk_type(state.type().name);
  s.set_method(ToMethod(state.projection().method));
  s.set_horizon_steps(state.projection().horizon);
  s.set_step_seconds(ctx.step_seconds);
  s.set_expected_disrupted(state.projection().expected_disrupted);
  s.set_disrupted_p05(state.projection().disrupted_p05);
  s.set_disrupted_p95(state.projection().disrupted_p95);
  const auto& spectral = state.projection().spectral;
  s.set_spectral_radius(spectral.non_backtracking > 0 ? spectral.non_backtracking
                                                      : spectral.transmission);
  s.set_supercritical(spectral.supercritical);
  std::uint32_t unchecked = 0;
  for (const auto& region : state.projection().regions) {
    unchecked += region.method != engine::ProjectionMethod::kNone && !region.checked;
  }
  s.set_checked(unchecked == 0);
  s.set_unchecked_regions(unchecked);
  int disrupted = 0, recovered = 0, immunized = 0, at_risk = 0;
  const double lowest = engine.options().alerts.warning_raise;
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (!net.alive(v)) continue;
    switch (state.observed()[v].state) {
      case engine::NodeState::kRecovered:
        ++recovered;
        break;
      case engine::NodeState::kImmunized:
        ++immunized;
        break;
      case engine::NodeState::kDisrupted:
        ++disrupted;
        [[fallthrough]];
      case engine::NodeState::kSusceptible:
        // As alerted: a report is evidence, the risk includes it.
        if (state.projection().risk[v] >= lowest) ++at_risk;
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
  riskd::v1::NodeRisk r;
  FillNodeRisk(engine, risk_type, node, &r);
  return r;
}

void FillNodeRisk(const engine::Engine& engine, int risk_type, engine::NodeIndex node,
                  riskd::v1::NodeRisk* r) {
  const auto& state = engine.risk_state(risk_type);
  // assign(), not set_x(std::string(...)): a message reused after Clear()
  // keeps its strings, so this copies into them without allocating.
  const std::string_view id = engine.network().id(node), name = engine.network().name(node);
  r->mutable_node_id()->assign(id.data(), id.size());
  r->mutable_node_name()->assign(name.data(), name.size());
  r->mutable_risk_type()->assign(state.type().name);
  r->set_observed_state(ToNodeState(state.observed()[node].state));
  const bool projected = state.projected() && node < state.projection().risk.size();
  r->set_probability(projected ? state.projection().risk[node] : 0.0);
  r->set_eta_steps(projected ? state.projection().eta[node] : -1);
}

std::string LevelWord(riskd::v1::Severity level) {
  if (level == riskd::v1::SEVERITY_WARNING) return "warning";
  if (level == riskd::v1::SEVERITY_CRITICAL) return "critical";
  return "info";
}

std::string AlertTopic(const riskd::v1::Alert& a) {
  return "alert." + LevelWord(a.severity()) + "." + a.risk_type() + "." + a.node_id();
}

std::string IncidentTopic(const riskd::v1::Incident& incident) {
  return "incident." + LevelWord(incident.level()) + "." + incident.risk_type();
}

riskd::v1::ImmunizationPlan MakePlan(const engine::Engine& engine, int risk_type, int k,
                                     const engine::immunization::Plan& plan,
                                     const OutputContext& ctx) {
  riskd::v1::ImmunizationPlan out;
  out.set_risk_type(engine.risk_state(risk_type).type().name);
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
  if (a.value) spec->set_value(*a.value);
}

}  // namespace riskd::connectors
