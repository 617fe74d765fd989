#include "engine/immunization/planner.h"

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>

#include "engine/immunization/outbreak_sample.h"
#include "engine/immunization/random_keys.h"

namespace riskd::engine::immunization {
namespace {

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fraction < 0.01 ? "%.2g%%" : "%.0f%%", 100 * fraction);
  return buf;
}

// "on the spread path in 63% of 400 sampled outbreaks, most often from
// FAB-KUM; shields 4.2 nodes each time"
std::string Reason(const Network& net, NodeIndex node, const ProtectOutcome& outcome,
                   std::uint32_t realizations) {
  const std::string origin = outcome.origin == node ? std::string("itself (a possible source)")
                                                    : std::string(net.id(outcome.origin));
  char shields[64];
  std::snprintf(shields, sizeof shields, "%.3g",
                static_cast<double>(outcome.saved) / static_cast<double>(outcome.hits));
  return "on the spread path in " +
         Percent(static_cast<double>(outcome.hits) / static_cast<double>(realizations)) + " of " +
         std::to_string(realizations) + " sampled outbreaks, most often from " + origin +
         "; shields " + shields + " nodes each time";
}

}  // namespace

Status ValidatePlannerOptions(const PlannerOptions& options) {
  if (options.realizations < 1)
    return Status::InvalidArgument("planner: realizations must be >= 1");
  if (options.min_realizations < 1 || options.min_realizations > options.realizations) {
    return Status::InvalidArgument("planner: min_realizations must be in 1..realizations");
  }
  if (options.first_round < 1) return Status::InvalidArgument("planner: first_round must be >= 1");
  return Status::Ok();
}

std::string_view StepRuleName(StepRule rule) {
  return rule == StepRule::kMarginal ? "marginal" : "path_share";
}

Result<Plan> StatePlanner::MakePlan(const SelectionInput& input, int k,
                                    const InterruptRequested& interrupt) const {
  RISKD_RETURN_IF_ERROR(ValidateSelectionInput(input, k));
  if (input.state == nullptr) {
    return Status::InvalidArgument("state_aware planner: needs the current state");
  }
  if (input.transmission == nullptr) {
    return Status::InvalidArgument("state_aware planner: needs the transmission graph");
  }
  const Network& net = *input.network;
  const InitialState& state = *input.state;
  // Each rule runs on its own sample. The second one is drawn again rather
  // than copied: the same outbreaks (common random numbers, a pure function
  // of the state and the seed), and only one sample in memory at a time (on
  // a large outbreak a sample is tens of MB; drawing costs sample_work).
  auto draw = [&] {
    return OutbreakSample(*input.transmission, state,
                          {.horizon = input.horizon,
                           .seed = options_.seed,
                           .realizations = options_.realizations,
                           .max_work = options_.sample_work,
                           .min_realizations = options_.min_realizations,
                           .interrupt = &interrupt});
  };
  const Status interrupted = Status::Aborted("state_aware planner: interrupted");
  OutbreakSample sample = draw();
  if (sample.interrupted()) return interrupted;
  const std::uint64_t sample_work = sample.work();
  std::vector<NodeIndex> candidates;
  for (NodeIndex v : sample.DisruptedNodes()) {
    if (net.alive(v) && state.p_s[v] > 0) candidates.push_back(v);
  }
  std::optional<Plan> marginal_rule = Greedy(net, candidates, k, StepRule::kMarginal,
                                             std::move(sample), options_.max_work, interrupt);
  if (!marginal_rule) return interrupted;
  Plan& marginal = *marginal_rule;
  if (!options_.path_share || marginal.work >= options_.max_work) {
    marginal.work += sample_work;
    return std::move(marginal);
  }
  OutbreakSample redrawn = draw();
  if (redrawn.interrupted()) return interrupted;
  std::optional<Plan> path_share_rule =
      Greedy(net, candidates, k, StepRule::kPathShare, std::move(redrawn),
             options_.max_work - marginal.work, interrupt);
  if (!path_share_rule) return interrupted;
  Plan& path_share = *path_share_rule;
  const bool complete = path_share.targets.size() >= marginal.targets.size();
  Plan& best =
      complete && path_share.expected_after < marginal.expected_after ? path_share : marginal;
  best.work = sample_work + marginal.work + path_share.work;
  return std::move(best);
}

// The steps of one rule on a copy of the sample, within `budget` work (see
// planner.h for what happens past it).
std::optional<Plan> StatePlanner::Greedy(const Network& net, std::vector<NodeIndex> candidates,
                                         int k, StepRule rule, OutbreakSample sample,
                                         std::uint64_t budget,
                                         const InterruptRequested& interrupt) const {
  Plan plan;
  plan.rule = rule;
  plan.realizations = sample.realizations();
  plan.expected_before = sample.mean_disrupted();
  const std::uint64_t work_before = sample.work();
  auto key = [&](NodeIndex v) { return NodeKey(options_.seed, KeyStream::kTieBreak, v); };
  auto spent = [&] { return sample.work() - work_before >= budget; };
  auto stop = [&] { return interrupt && interrupt(); };
  while (plan.targets.size() < static_cast<std::size_t>(k)) {
    if (stop()) return std::nullopt;
    if (rule == StepRule::kPathShare && spent()) break;
    std::erase_if(candidates, [&](NodeIndex v) { return sample.subtree_total(v) == 0; });
    if (candidates.empty()) break;
    std::sort(candidates.begin(), candidates.end(), [&](NodeIndex a, NodeIndex b) {
      const std::uint64_t ba = sample.subtree_total(a), bb = sample.subtree_total(b);
      return ba != bb ? ba > bb : key(a) < key(b);
    });
    // Path share: the first candidate. Marginal: exact savings in rounds
    // until the best beats every bound left.
    std::size_t best = 0, start = 0;
    std::uint64_t best_saved = rule == StepRule::kPathShare ? 1 : 0;
    std::size_t round = static_cast<std::size_t>(options_.first_round);
    bool proved = rule == StepRule::kPathShare;
    if (!proved && spent()) {  // the best bound, unevaluated
      best_saved = 1;
      plan.exhaustive = false;
      proved = true;
    }
    while (!proved && start < candidates.size()) {
      const std::size_t end = std::min(candidates.size(), start + round);
      const std::vector<std::uint64_t> saved =
          sample.Saved(std::span<const NodeIndex>(candidates).subspan(start, end - start));
      for (std::size_t i = 0; i < saved.size(); ++i) {
        if (saved[i] > best_saved) {
          best_saved = saved[i];
          best = start + i;
        }
      }
      start = end;
      if (start == candidates.size() || best_saved >= sample.subtree_total(candidates[start])) {
        proved = true;
        break;
      }
      if (spent()) break;
      if (stop()) return std::nullopt;
      round *= 2;
    }
    if (!proved) plan.exhaustive = false;
    if (best_saved == 0) break;
    const NodeIndex node = candidates[best];
    const ProtectOutcome outcome = sample.Protect(node);
    const double averted =
        static_cast<double>(outcome.saved) / static_cast<double>(plan.realizations);
    plan.targets.push_back({.node = node,
                            .score = averted,
                            .expected_averted = averted,
                            .reason = Reason(net, node, outcome, plan.realizations)});
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(best));
  }
  plan.expected_after = sample.mean_disrupted();
  plan.work = sample.work() - work_before;
  return plan;
}

Result<std::vector<Target>> StatePlanner::Select(const SelectionInput& input, int k) const {
  auto plan = MakePlan(input, k);
  if (!plan.ok()) return plan.status();
  return std::move(plan->targets);
}

}  // namespace riskd::engine::immunization
