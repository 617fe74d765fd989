#include "tools/riskctl/text.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace riskd::riskctl {
namespace {

// printf into a std::string.
std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, args);
  va_end(args);
  return out;
}

std::string LevelName(riskd::v1::Severity level) {
  switch (level) {
    case riskd::v1::SEVERITY_CRITICAL:
      return "CRITICAL";
    case riskd::v1::SEVERITY_WARNING:
      return "WARNING";
    default:
      return "INFO";
  }
}

std::string AlertLifecycle(riskd::v1::Alert::Lifecycle l) {
  switch (l) {
    case riskd::v1::Alert::LIFECYCLE_RAISED:
      return "raised";
    case riskd::v1::Alert::LIFECYCLE_UPDATED:
      return "updated";
    case riskd::v1::Alert::LIFECYCLE_RESOLVED:
      return "resolved";
    default:
      return "?";
  }
}

std::string IncidentLifecycle(riskd::v1::Incident::Lifecycle l) {
  switch (l) {
    case riskd::v1::Incident::LIFECYCLE_POTENTIAL:
      return "potential";
    case riskd::v1::Incident::LIFECYCLE_CONFIRMED:
      return "confirmed";
    case riskd::v1::Incident::LIFECYCLE_RESTORED:
      return "restored";
    case riskd::v1::Incident::LIFECYCLE_CLOSED:
      return "closed";
    default:
      return "?";
  }
}

std::string Eta(int steps) { return steps < 0 ? "-" : std::to_string(steps) + "d"; }

// "Kumamoto wafer fab > Sendai chip packaging (100%) > Nagoya ECU assembly
// (71%)": each step's name and the share of the edge it was reached by.
std::string CauseText(const riskd::v1::Alert& a) {
  std::string out;
  if (a.cause_size() > 0) {
    for (int i = 0; i < a.cause_size(); ++i) {
      const auto& step = a.cause(i);
      out += (i ? " > " : "") + (step.node_name().empty() ? step.node_id() : step.node_name());
      if (i > 0) out += Format(" (%.0f%%)", 100 * step.share());
    }
    return out;
  }
  for (const auto& id : a.cause_path()) out += (out.empty() ? "" : " > ") + id;
  return out;
}

std::string PlanText(const riskd::v1::EmergencyPlan& plan) {
  std::string out = "plan " + plan.plan_id() + " (" + plan.title() + ")";
  for (int i = 0; i < plan.actions_size(); ++i) {
    out += (i ? "; " : ": ") + plan.actions(i).description();
  }
  return out;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items, std::size_t most) {
  std::string out;
  for (int i = 0; i < items.size() && static_cast<std::size_t>(i) < most; ++i) {
    out += (i ? ", " : "") + items[i];
  }
  if (static_cast<std::size_t>(items.size()) > most) {
    out += ", ... (" + std::to_string(items.size()) + ")";
  }
  return out;
}

std::string AlertLine(const riskd::v1::Alert& a) {
  std::string line = Format("ALERT %-8s %-8s %-6s %s P=%.3f eta=%s VaR=%.4g",
                            LevelName(a.severity()).c_str(), AlertLifecycle(a.lifecycle()).c_str(),
                            a.risk_type().c_str(), NodeLabel(a.node_id(), a.node_name()).c_str(),
                            a.probability(), Eta(a.eta_steps()).c_str(), a.value_at_risk());
  if (!a.incident_id().empty()) line += " incident " + a.incident_id();
  const std::string cause = CauseText(a);
  if (!cause.empty()) line += "  via " + cause;
  if (a.trigger_event_ids_size() > 0) line += "  events " + Joined(a.trigger_event_ids(), 3);
  if (a.has_plan()) line += "  " + PlanText(a.plan());
  if (a.watchlists_size() > 0) line += "  watchlists " + Joined(a.watchlists(), 5);
  return line;
}

std::string IncidentLine(const riskd::v1::Incident& i) {
  std::string line = Format(
      "INCIDENT %-8s %-9s %s \"%s\": %d/%d site(s) disrupted, %d event(s), expected disrupted "
      "%.2f [%.1f, %.1f], VaR %.4g, %d node(s) at risk, %d alert(s) pushed",
      LevelName(i.level()).c_str(), IncidentLifecycle(i.lifecycle()).c_str(),
      i.incident_id().c_str(), i.title().c_str(), i.sources_disrupted(), i.sources_hit(),
      i.event_count(), i.expected_disrupted(), i.disrupted_p05(), i.disrupted_p95(),
      i.value_at_risk(), i.nodes_at_risk(), i.alerts_pushed());
  if (i.alerts_resolved() > 0) line += Format(", %d resolved with it", i.alerts_resolved());
  const auto& op = i.operator_state();
  if (op.acknowledged()) line += "; acknowledged by " + op.acknowledged_by();
  if (!op.assignee().empty()) line += "; assigned to " + op.assignee();
  if (op.level_override() != riskd::v1::SEVERITY_UNSPECIFIED) {
    line += "; level set to " + LevelName(op.level_override()) + " (computed " +
            LevelName(i.computed_level()) + ")";
  }
  return line;
}

std::string PublicationBody(const riskd::v1::Publication& p) {
  if (p.has_alert()) return AlertLine(p.alert());
  if (p.has_incident()) return IncidentLine(p.incident());
  if (p.has_projection_summary()) {
    const auto& s = p.projection_summary();
    return Format(
        "SUMMARY %-8s expected disrupted %.2f [%.1f, %.1f] within %d steps; observed disrupted "
        "%d, immunized %d, at risk %d (%.1f ms)",
        s.risk_type().c_str(), s.expected_disrupted(), s.disrupted_p05(), s.disrupted_p95(),
        s.horizon_steps(), s.observed_disrupted(), s.immunized(), s.nodes_at_risk(),
        s.compute_ms());
  }
  if (p.has_immunization_plan()) {
    const auto& pl = p.immunization_plan();
    std::string targets;
    for (const auto& t : pl.targets()) {
      targets += (targets.empty() ? "" : ", ") + NodeLabel(t.node_id(), t.node_name()) +
                 Format(" (-%.2f)", t.expected_averted());
    }
    return Format("PLAN %-8s k=%d %s: %s (%.2f -> %.2f)", pl.risk_type().c_str(), pl.k(),
                  pl.strategy().c_str(), targets.c_str(), pl.expected_disrupted_before(),
                  pl.expected_disrupted_after());
  }
  return "(unknown body)";
}

std::string ImmunizationText(const riskd::v1::ImmunizationPlan& p) {
  std::string out = Format("Immunization plan (%s, k=%d, %s): expected disrupted %.2f -> %.2f\n",
                           p.risk_type().c_str(), p.k(), p.strategy().c_str(),
                           p.expected_disrupted_before(), p.expected_disrupted_after());
  int rank = 0;
  for (const auto& t : p.targets()) {
    out += Format("  %d. %-48s averts %.2f  %s\n", ++rank,
                  NodeLabel(t.node_id(), t.node_name()).c_str(), t.expected_averted(),
                  t.reason().c_str());
  }
  return out;
}

std::string IncidentNodeLine(const riskd::v1::IncidentNode& n) {
  return Format("%-8s %-48s tier %-2d P=%.3f eta=%-4s VaR=%-8.4g%s", LevelName(n.level()).c_str(),
                NodeLabel(n.node_id(), n.node_name()).c_str(), n.tier(), n.probability(),
                Eta(n.eta_steps()).c_str(), n.value_at_risk(),
                n.alert_pushed() ? " (alert pushed)" : "");
}

}  // namespace

std::string NodeLabel(const std::string& id, const std::string& name) {
  if (name.empty() || name == id) return id;
  return id + " (" + name + ")";
}

std::string Describe(const riskd::v1::Publication& p) {
  std::string body = PublicationBody(p);
  if (p.sequence() == 0) return body;
  return "#" + std::to_string(p.sequence()) + " " + body;
}

std::string DescribeIncident(const riskd::v1::Incident& i, bool details) {
  std::string out = IncidentLine(i) + "\n";
  if (!details) return out;
  if (i.source_ids_size() > 0) out += "    sites hit: " + Joined(i.source_ids(), 10) + "\n";
  for (const auto& plan : i.plans()) out += "    " + PlanText(plan) + "\n";
  for (const auto& n : i.top_nodes()) out += "    " + IncidentNodeLine(n) + "\n";
  for (const auto& h : i.operator_state().history()) {
    const auto& a = h.action();
    std::string what = riskd::v1::OperatorAction::Kind_Name(a.kind());
    what = what.substr(what.find('_') + 1);
    if (!a.assignee().empty()) what += " " + a.assignee();
    if (a.kind() == riskd::v1::OperatorAction::KIND_OVERRIDE_LEVEL) {
      what += " " + (a.level() == riskd::v1::SEVERITY_UNSPECIFIED ? std::string("auto")
                                                                  : LevelName(a.level()));
    }
    out += "    operator " + a.operator_() + ": " + what +
           (a.note().empty() ? "" : " (" + a.note() + ")") + " [event " + h.event_id() + "]\n";
  }
  return out;
}

std::string ResponseText(const riskd::v1::QueryResponse& r) {
  std::string out;
  if (r.has_snapshot()) {
    const auto& s = r.snapshot();
    out += Format("Snapshot at journal seq %llu, publication seq %llu\n",
                  static_cast<unsigned long long>(s.journal_seq()),
                  static_cast<unsigned long long>(s.sequence()));
    std::vector<riskd::v1::Incident> incidents(s.incidents().begin(), s.incidents().end());
    std::stable_sort(incidents.begin(), incidents.end(), [](const auto& a, const auto& b) {
      const bool open_a = a.lifecycle() != riskd::v1::Incident::LIFECYCLE_CLOSED;
      const bool open_b = b.lifecycle() != riskd::v1::Incident::LIFECYCLE_CLOSED;
      if (open_a != open_b) return open_a;
      return a.value_at_risk() > b.value_at_risk();
    });
    out += Format("Incidents (%zu):\n", incidents.size());
    for (const auto& i : incidents) {
      out += "  " + DescribeIncident(i, i.lifecycle() != riskd::v1::Incident::LIFECYCLE_CLOSED);
    }
    out += "Hit directly (observed disrupted):\n";
    for (const auto& n : s.node_risks()) {
      if (n.observed_state() == riskd::v1::NODE_STATE_DISRUPTED) {
        out += Format("  %-48s %-8s P=%.2f\n", NodeLabel(n.node_id(), n.node_name()).c_str(),
                      n.risk_type().c_str(), n.probability());
      }
    }
    std::vector<riskd::v1::Alert> alerts(s.open_alerts().begin(), s.open_alerts().end());
    std::sort(alerts.begin(), alerts.end(), [](const auto& a, const auto& b) {
      return a.value_at_risk() != b.value_at_risk() ? a.value_at_risk() > b.value_at_risk()
                                                    : a.alert_id() < b.alert_id();
    });
    out += Format("Warned (%zu open alerts pushed; the rest: riskctl incident show ID):\n",
                  alerts.size());
    for (const auto& a : alerts) out += "  " + AlertLine(a) + "\n";
    for (const auto& sum : s.projections()) {
      riskd::v1::Publication p;
      *p.mutable_projection_summary() = sum;
      out += Describe(p) + "\n";
    }
    for (const auto& p : s.plans()) out += ImmunizationText(p);
  }
  if (r.has_incident()) {
    out += DescribeIncident(r.incident(), true);
    out += Format("  %d node(s) at risk, most value at risk first:\n", r.incident_nodes_size());
    for (const auto& n : r.incident_nodes()) out += "    " + IncidentNodeLine(n) + "\n";
  }
  for (const auto& n : r.node_risks()) {
    out += Format("%-48s %-8s observed %-24s P=%.3f eta=%d\n",
                  NodeLabel(n.node_id(), n.node_name()).c_str(), n.risk_type().c_str(),
                  riskd::v1::NodeState_Name(n.observed_state()).c_str(), n.probability(),
                  n.eta_steps());
  }
  for (const auto& sum : r.projections()) {
    riskd::v1::Publication p;
    *p.mutable_projection_summary() = sum;
    out += Describe(p) + "\n";
  }
  if (r.has_plan()) out += ImmunizationText(r.plan());
  return out;
}

}  // namespace riskd::riskctl
