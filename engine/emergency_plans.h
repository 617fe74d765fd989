// EmergencyPlans: which emergency plan applies to a node at risk, and the
// actions it calls for (docs/configuration.md, "Emergency plans"). Plans come from configuration as
// rules matched in order: a node whose emergency_plan_id names a rule gets
// that rule (if the level reaches its min_level), else the first rule whose
// risk type, node kinds, tier bound and minimum level all hold. Actions:
// activate the node's listed alternate suppliers, release its safety stock,
// notify a contact (once per plan).
//
// Immutable after construction; safe to share between threads.
#ifndef RISKD_ENGINE_EMERGENCY_PLANS_H_
#define RISKD_ENGINE_EMERGENCY_PLANS_H_

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/alert_policy.h"
#include "engine/network.h"

namespace riskd::engine {

struct PlanRule {
  std::string id;  // unique, [A-Za-z0-9_.-]{1,64}
  std::string title;
  int risk_type = -1;                   // index; -1: any
  std::vector<std::string> node_kinds;  // empty: any
  std::optional<int> max_tier;          // known tier <= this; unset: any
  AlertLevel min_level = AlertLevel::kWarning;
  bool activate_alternates = false;
  bool release_safety_stock = false;
  std::string notify;  // empty: none
};

// Ids valid and unique, min_level WARNING or CRITICAL, max_tier >= 0.
Status ValidatePlanRules(std::span<const PlanRule> rules);

enum class PlanActionKind : std::uint8_t {
  kActivateAlternates = 1,
  kReleaseSafetyStock = 2,
  kNotify = 3,
};

struct PlanAction {
  PlanActionKind kind = PlanActionKind::kNotify;
  NodeIndex node = kNoNode;             // kNoNode for kNotify
  std::vector<std::string> alternates;  // kActivateAlternates
  std::string contact;                  // kNotify
};

// A plan as it applies to some nodes.
struct PlanInstance {
  std::size_t rule = 0;  // index into rules()
  std::vector<PlanAction> actions;
};

class EmergencyPlans {
 public:
  EmergencyPlans() = default;
  // REQUIRES: ValidatePlanRules(rules) is OK.
  explicit EmergencyPlans(std::vector<PlanRule> rules) : rules_(std::move(rules)) {}

  const std::vector<PlanRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

  // The rule that applies to `node` at `level` for `risk_type`, if any.
  std::optional<std::size_t> Match(const Network& network, NodeIndex node, int risk_type,
                                   AlertLevel level) const;
  // The plans for these nodes (each with its level), one instance per rule
  // in the order the rules first apply, each with the actions for its nodes
  // in the given order and one notification.
  std::vector<PlanInstance> For(const Network& network, int risk_type,
                                std::span<const std::pair<NodeIndex, AlertLevel>> nodes) const;

 private:
  std::vector<PlanRule> rules_;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_EMERGENCY_PLANS_H_
