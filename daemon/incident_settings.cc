#include "daemon/incident_settings.h"
#include "daemon/config_duration.h"

#include <algorithm>
#include <set>

namespace riskd::daemon {
namespace {

Result<int> RiskTypeIndex(const std::string& where, const std::string& name,
                          const std::vector<engine::RiskType>& types) {
  if (name.empty()) return -1;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i].name == name) return static_cast<int>(i);
  }
  return Status::InvalidArgument("config: " + where + ": unknown risk type '" + name + "'");
}

}  // namespace

// Long on purpose: the incidents, plans and watchlists keys read and checked
// one after the other, each with its own error message.
Result<IncidentSettings> ParseIncidentSettings(const riskd::v1::DaemonConfig& c,
                                               const std::vector<engine::RiskType>& types,
                                               const engine::AlertPolicyOptions& alerts) {
  IncidentSettings s;
  auto& o = s.options;
  const auto& in = c.incidents();
  if (in.has_top_nodes()) o.top_nodes = in.top_nodes();
  if (in.has_alert_top_n()) o.alert_top_n = in.alert_top_n();
  if (in.has_alert_max_tier()) o.alert_max_tier = in.alert_max_tier();
  if (in.has_max_alerts_per_incident()) o.max_alerts_per_incident = in.max_alerts_per_incident();
  if (in.has_close_after()) {
    const std::optional<std::int64_t> ns = DurationNs(in.close_after());
    if (!ns)
      return Status::InvalidArgument("config: incidents.close_after must be in 0..100 years");
    o.close_after_ns = *ns;
  }
  if (in.has_retain_closed()) o.retain_closed = in.retain_closed();
  if (in.has_retain_restored()) o.retain_restored = in.retain_restored();
  if (in.has_min_change_fraction()) o.min_change_fraction = in.min_change_fraction();
  o.min_update_delta = alerts.min_update_delta;
  const Status options_ok = engine::ValidateIncidentOptions(o);
  if (!options_ok.ok()) return options_ok.WithContext("config");

  for (const auto& p : c.plans()) {
    engine::PlanRule rule;
    rule.id = p.id();
    rule.title = p.title().empty() ? p.id() : p.title();
    auto r = RiskTypeIndex("plans '" + p.id() + "'", p.risk_type(), types);
    if (!r.ok()) return r.status();
    rule.risk_type = *r;
    rule.node_kinds.assign(p.node_kinds().begin(), p.node_kinds().end());
    if (p.has_max_tier()) rule.max_tier = p.max_tier();
    switch (p.min_level()) {
      case riskd::v1::SEVERITY_UNSPECIFIED:
      case riskd::v1::SEVERITY_WARNING:
        rule.min_level = engine::AlertLevel::kWarning;
        break;
      case riskd::v1::SEVERITY_CRITICAL:
        rule.min_level = engine::AlertLevel::kCritical;
        break;
      default:
        return Status::InvalidArgument(
            "config: plans '" + p.id() +
            "': min_level must be SEVERITY_WARNING or SEVERITY_CRITICAL");
    }
    rule.activate_alternates = p.activate_alternates();
    rule.release_safety_stock = p.release_safety_stock();
    rule.notify = p.notify();
    s.plans.push_back(std::move(rule));
  }
  const Status plans_ok = engine::ValidatePlanRules(s.plans);
  if (!plans_ok.ok()) return plans_ok.WithContext("config");

  std::set<std::string> names;
  for (const auto& w : c.watchlists()) {
    Watchlist list;
    list.name = w.name();
    const bool valid_name = !w.name().empty() && w.name().size() <= 64 &&
                            std::all_of(w.name().begin(), w.name().end(), [](char ch) {
                              return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                     (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
                                     ch == '-';
                            });
    if (!valid_name) {
      return Status::InvalidArgument("config: watchlists: name '" + w.name() +
                                     "' must match [A-Za-z0-9_.-]{1,64}");
    }
    if (!names.insert(w.name()).second) {
      return Status::InvalidArgument("config: watchlists: '" + w.name() + "' is defined twice");
    }
    if (w.node_ids().empty()) {
      return Status::InvalidArgument("config: watchlists '" + w.name() + "': needs node_ids");
    }
    list.node_ids.assign(w.node_ids().begin(), w.node_ids().end());
    auto r = RiskTypeIndex("watchlists '" + w.name() + "'", w.risk_type(), types);
    if (!r.ok()) return r.status();
    list.risk_type = *r;
    list.thresholds = alerts;
    if (w.has_warning_raise()) list.thresholds.warning_raise = w.warning_raise();
    if (w.has_warning_clear()) list.thresholds.warning_clear = w.warning_clear();
    if (w.has_critical_raise()) list.thresholds.critical_raise = w.critical_raise();
    if (w.has_critical_clear()) list.thresholds.critical_clear = w.critical_clear();
    const Status ok = engine::ValidateAlertPolicyOptions(list.thresholds);
    if (!ok.ok()) return ok.WithContext("config: watchlists '" + w.name() + "'");
    s.watchlists.push_back(std::move(list));
  }
  return s;
}

}  // namespace riskd::daemon
