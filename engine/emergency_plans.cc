#include "engine/emergency_plans.h"

#include <algorithm>
#include <set>

namespace riskd::engine {
namespace {

bool ValidPlanId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

int Rank(AlertLevel level) { return static_cast<int>(level); }

}  // namespace

Status ValidatePlanRules(std::span<const PlanRule> rules) {
  std::set<std::string> ids;
  for (const auto& r : rules) {
    if (!ValidPlanId(r.id)) {
      return Status::InvalidArgument("plans: id '" + r.id + "' must match [A-Za-z0-9_.-]{1,64}");
    }
    if (!ids.insert(r.id).second) {
      return Status::InvalidArgument("plans: id '" + r.id + "' is defined twice");
    }
    if (r.min_level != AlertLevel::kWarning && r.min_level != AlertLevel::kCritical) {
      return Status::InvalidArgument("plans '" + r.id + "': min_level must be WARNING or CRITICAL");
    }
    if (r.max_tier && *r.max_tier < 0) {
      return Status::InvalidArgument("plans '" + r.id + "': max_tier must be >= 0");
    }
    if (!r.activate_alternates && !r.release_safety_stock && r.notify.empty()) {
      return Status::InvalidArgument("plans '" + r.id + "': has no action");
    }
  }
  return Status::Ok();
}

std::optional<std::size_t> EmergencyPlans::Match(const Network& net, NodeIndex node, int risk_type,
                                                 AlertLevel level) const {
  if (rules_.empty() || !net.alive(node)) return std::nullopt;
  const std::string_view own = net.emergency_plan_id(node);
  if (!own.empty()) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].id == own) {
        if (Rank(level) >= Rank(rules_[i].min_level)) return i;
        return std::nullopt;
      }
    }
  }
  const std::string_view kind = net.kind(node);
  const int tier = net.tier(node);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const PlanRule& r = rules_[i];
    if (r.risk_type >= 0 && r.risk_type != risk_type) continue;
    if (Rank(level) < Rank(r.min_level)) continue;
    if (!r.node_kinds.empty() &&
        std::find(r.node_kinds.begin(), r.node_kinds.end(), kind) == r.node_kinds.end()) {
      continue;
    }
    if (r.max_tier && (tier < 0 || tier > *r.max_tier)) continue;
    return i;
  }
  return std::nullopt;
}

std::vector<PlanInstance> EmergencyPlans::For(
    const Network& net, int risk_type,
    std::span<const std::pair<NodeIndex, AlertLevel>> nodes) const {
  std::vector<PlanInstance> out;
  for (const auto& [node, level] : nodes) {
    const auto rule = Match(net, node, risk_type, level);
    if (!rule) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const PlanInstance& p) { return p.rule == *rule; });
    if (it == out.end()) {
      out.push_back({*rule, {}});
      it = out.end() - 1;
    }
    const PlanRule& r = rules_[*rule];
    const auto alternates = net.alternates(node);
    if (r.activate_alternates && !alternates.empty()) {
      it->actions.push_back({PlanActionKind::kActivateAlternates, node,
                             std::vector<std::string>(alternates.begin(), alternates.end()), ""});
    }
    if (r.release_safety_stock) {
      it->actions.push_back({PlanActionKind::kReleaseSafetyStock, node, {}, ""});
    }
  }
  for (auto& p : out) {
    const PlanRule& r = rules_[p.rule];
    if (!r.notify.empty()) p.actions.push_back({PlanActionKind::kNotify, kNoNode, {}, r.notify});
  }
  return out;
}

}  // namespace riskd::engine
