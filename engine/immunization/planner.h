// StatePlanner: the state-aware immunization planner (DESIGN section 5).
// Given the current state, it chooses the k nodes whose protection most
// reduces the expected number of nodes disrupted within the horizon, each
// with the disruptions it averts on top of the ones before it.
//
// Method: greedy on the exact marginal gain over a fixed sample of outbreaks
// (outbreak_sample.h; common random numbers, so every candidate is judged on
// the same outbreaks). Each step
//   1. orders the eligible nodes by their upper bound (total size of their
//      subtrees in the infection forests: what they could save at most);
//   2. computes the exact saving of the best-bounded candidates in rounds
//      (8, then 16, 32, ... nodes) until the best exact saving is at least
//      the bound of every node not yet evaluated: that node is then the
//      exact greedy choice on the sample (lazy evaluation);
//   3. protects it (the sample's forests are rerouted around it).
// On tree-like networks the bound is tight and one round suffices. Eligible:
// alive, P_S > 0 (as for the static strategies) and disrupted in at least
// one sampled outbreak; the plan stops early when no eligible node saves
// anything in the sample.
//
// Work is bounded for the daemon: drawing stops adding outbreaks once
// sample_work is exceeded (never fewer than min_realizations), and once the
// plan's total work exceeds max_work every further step evaluates only its
// first round, i.e. the best 8 bounds (the plan then reports exhaustive =
// false: a step may have missed a better node).
#ifndef RISKD_ENGINE_IMMUNIZATION_PLANNER_H_
#define RISKD_ENGINE_IMMUNIZATION_PLANNER_H_

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "engine/immunization/target_selector.h"
#include "engine/status.h"

namespace riskd::engine::immunization {

struct PlannerOptions {
  // Outbreaks sampled from the current state, >= 1.
  std::uint32_t realizations = 400;
  // Seed of the sample (use another one to evaluate the plan).
  std::uint64_t seed = 0x706c616e;  // "plan"
  // Out-edges examined while sampling before it stops adding outbreaks,
  // but never fewer than min_realizations (1..realizations).
  std::uint64_t sample_work = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t min_realizations = 50;
  // Total work after which steps stop searching beyond their first round.
  std::uint64_t max_work = std::numeric_limits<std::uint64_t>::max();
  // Candidates evaluated exactly in a step's first round, >= 1.
  int first_round = 8;
};

Status ValidatePlannerOptions(const PlannerOptions& options);

struct Plan {
  // Best first; expected_averted set, score = expected_averted.
  std::vector<Target> targets;
  // Expected number disrupted within the horizon without and with the
  // targets protected, estimated on the planner's sample (sources count).
  double expected_before = 0;
  double expected_after = 0;
  std::uint32_t realizations = 0;
  std::uint64_t work = 0;
  // Every step was proved the exact greedy choice on the sample.
  bool exhaustive = true;
};

class StatePlanner final : public TargetSelector {
 public:
  // REQUIRES: ValidatePlannerOptions(options).ok()
  explicit StatePlanner(const PlannerOptions& options) : options_(options) {}

  std::string_view name() const override { return "state_aware"; }
  // InvalidArgument also when input.state or input.transmission is null.
  Result<Plan> MakePlan(const SelectionInput& input, int k) const;
  Result<std::vector<Target>> Select(const SelectionInput& input, int k) const override;

 private:
  PlannerOptions options_;
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_PLANNER_H_
