// StatePlanner: the state-aware immunization planner (docs/immunization.md).
// Given the current state, it chooses the k nodes whose protection most
// reduces the expected number of nodes disrupted within the horizon, each
// with the disruptions it averts on top of the ones before it.
//
// Method: greedy over a fixed sample of outbreaks from the current state
// (outbreak_sample.h; common random numbers, so every candidate is judged on
// the same outbreaks), with two step rules, each run on its own draw of the
// sample; the plan is whichever leaves fewer expected disruptions on it.
//   marginal    each step protects the node whose protection saves the most
//               node-realizations now (exact on the sample). Lazy: nodes are
//               ordered by their upper bound (the total size of their
//               subtrees in the infection forests), and exact savings are
//               computed in rounds (8, 16, 32, ... nodes) until the best
//               exact saving is at least every bound left.
//   path_share  each step protects the node with the largest bound, i.e. on
//               the most infection paths of the forests. Myopic savings miss
//               complementary targets (several suppliers that feed the same
//               customers: protecting one alone saves little, all together
//               save the customers); after each step the paths reroute onto
//               the remaining alternatives, which then carry the largest
//               bounds and come next.
// Eligible: alive, P_S > 0 (as for the static strategies) and disrupted in
// at least one sampled outbreak; the marginal rule stops early when no
// eligible node saves anything in the sample.
//
// Work is bounded for the daemon (work = edges and arcs examined):
//   - drawing stops adding outbreaks once sample_work is exceeded (never
//     fewer than min_realizations);
//   - the rules share max_work: once the marginal rule has spent it, each
//     further marginal step protects the best-bounded node unevaluated (the
//     plan reports exhaustive = false), and path_share does not run; path_share
//     stops where the rest of the budget runs out (an incomplete plan is not
//     chosen). Past the budget a step costs one protection, i.e. at most one
//     pass over the sample, so a plan costs about sample_work + max_work +
//     k passes over the sample (planner_bench "daemon_budget" measures it).
#ifndef RISKD_ENGINE_IMMUNIZATION_PLANNER_H_
#define RISKD_ENGINE_IMMUNIZATION_PLANNER_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/immunization/outbreak_sample.h"
#include "engine/immunization/target_selector.h"

namespace riskd::engine::immunization {

// The defaults bound a plan for the daemon's engine thread.
struct PlannerOptions {
  // Outbreaks sampled from the current state, >= 1.
  std::uint32_t realizations = 1000;
  // Seed of the sample (use another one to evaluate the plan).
  std::uint64_t seed = 0x706c616e;  // "plan"
  // Work while sampling, after which no outbreak is added; never fewer than
  // min_realizations (1..realizations).
  std::uint64_t sample_work = 2'000'000;
  std::uint32_t min_realizations = 10;
  // Work of both step rules together (see above).
  std::uint64_t max_work = 10'000'000;
  // Candidates evaluated exactly in a step's first round, >= 1.
  int first_round = 8;
  // Also run the path_share rule (else the plan is the marginal rule's).
  bool path_share = true;
};

Status ValidatePlannerOptions(const PlannerOptions& options);

enum class StepRule { kMarginal, kPathShare };
// "marginal", "path_share".
std::string_view StepRuleName(StepRule rule);

struct Plan {
  // Best first; expected_averted set, score = expected_averted.
  std::vector<Target> targets;
  // Expected number disrupted within the horizon without and with the
  // targets protected, estimated on the planner's sample (sources count).
  // expected_before - expected_after is the sum of the targets' averted.
  double expected_before = 0;
  double expected_after = 0;
  std::uint32_t realizations = 0;
  // Edges examined (drawing, both rules).
  std::uint64_t work = 0;
  // The step rule whose plan this is.
  StepRule rule = StepRule::kMarginal;
  // Marginal rule: every step was proved the exact greedy choice.
  bool exhaustive = true;
};

class StatePlanner final : public TargetSelector {
 public:
  // REQUIRES: ValidatePlannerOptions(options).ok()
  explicit StatePlanner(const PlannerOptions& options) : options_(options) {}

  std::string_view name() const override { return "state_aware"; }
  // InvalidArgument also when input.state or input.transmission is null.
  // With `interrupt` (monte_carlo.h), asked before each outbreak is drawn
  // and before each step and round of candidates: when it says stop, the
  // plan is abandoned (Aborted) within one outbreak or one round of
  // candidates, so a caller can give way to something more urgent and plan
  // again later. A plan that is not interrupted is the one made without it.
  Result<Plan> MakePlan(const SelectionInput& input, int k,
                        const InterruptRequested& interrupt = nullptr) const;
  Result<std::vector<Target>> Select(const SelectionInput& input, int k) const override;

 private:
  // Empty when `interrupt` stopped it.
  std::optional<Plan> Greedy(const Network& net, std::vector<NodeIndex> candidates, int k,
                             StepRule rule, OutbreakSample sample, std::uint64_t budget,
                             const InterruptRequested& interrupt) const;
  PlannerOptions options_;
};

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_PLANNER_H_
