#include "daemon/refinement.h"

#include "daemon/settings.h"

namespace riskd::daemon {

bool SummaryMateriallyDiffers(const riskd::v1::ProjectionSummary& published,
                              const riskd::v1::ProjectionSummary& refined, bool alerts_changed,
                              const PlannerSettings& planner) {
  return alerts_changed || (refined.checked() && !published.checked()) ||
         refined.method() != published.method() ||
         refined.nodes_at_risk() != published.nodes_at_risk() ||
         MaterialChange(planner, published.expected_disrupted(), refined.expected_disrupted());
}

bool RefineScheduler::MayRefine(bool events_waiting, const RefineSettings& settings) const {
  if (!events_waiting) return true;
  return settings.busy_share > 0 && refine_seconds_ <= settings.busy_share * busy_seconds_;
}

}  // namespace riskd::daemon
