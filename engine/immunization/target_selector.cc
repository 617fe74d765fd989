#include "engine/immunization/target_selector.h"

#include <cstdio>

namespace riskd::engine::immunization {
namespace {

std::string_view ScoreLabel(Strategy strategy, bool adaptive) {
  switch (strategy) {
    case Strategy::kRandom:
      return "random rank";
    case Strategy::kDegree:
      return adaptive ? "residual degree" : "degree";
    case Strategy::kStrength:
      return adaptive ? "residual strength" : "strength";
    case Strategy::kEigenvector:
      return "eigenvector centrality";
    case Strategy::kBetweenness:
      return "betweenness";
    case Strategy::kAcquaintance:
      return "acquaintance weight";
    case Strategy::kCollectiveInfluence:
      return "collective influence";
    case Strategy::kCoreHd:
      return "2-core degree or tree size";
  }
  return "score";
}

bool Eligible(const InitialState* state, NodeIndex n) {
  return state == nullptr || state->p_s[n] > 0;
}

class StrategySelector final : public TargetSelector {
 public:
  StrategySelector(Strategy strategy, const StrategyOptions& options)
      : strategy_(strategy), options_(options) {}

  std::string_view name() const override { return StrategyName(strategy_); }

  Result<std::vector<Target>> Select(const SelectionInput& input, int k) const override {
    RISKD_RETURN_IF_ERROR(ValidateSelectionInput(input, k));
    const Network& net = *input.network;
    std::size_t ineligible = 0;
    for (NodeIndex n = 0; n < net.node_slots(); ++n) {
      if (net.alive(n) && !Eligible(input.state, n)) ++ineligible;
    }
    // Enough of the ranking to hold k eligible nodes.
    auto ranked = RankTargets(strategy_, net, input.layers,
                              static_cast<std::size_t>(k) + ineligible, options_);
    if (!ranked.ok()) return ranked.status();
    std::vector<Target> out;
    std::size_t rank = 0;
    for (const RankedNode& r : *ranked) {
      if (out.size() == static_cast<std::size_t>(k)) break;
      ++rank;
      if (!Eligible(input.state, r.node)) continue;
      char reason[160];
      std::snprintf(reason, sizeof reason, "%s rank %zu: %s %.6g", std::string(name()).c_str(),
                    rank, std::string(ScoreLabel(strategy_, options_.adaptive)).c_str(), r.score);
      out.push_back({.node = r.node, .score = r.score, .expected_averted = {}, .reason = reason});
    }
    return out;
  }

 private:
  Strategy strategy_;
  StrategyOptions options_;
};

}  // namespace

Status ValidateSelectionInput(const SelectionInput& input, int k) {
  if (k < 0) return Status::InvalidArgument("k must be >= 0");
  if (input.network == nullptr) return Status::InvalidArgument("no network to select from");
  const std::size_t slots = input.network->node_slots();
  if (input.state != nullptr) {
    if (input.state->p_s.size() != slots || input.state->p_i.size() != slots ||
        input.state->p_r.size() != slots) {
      return Status::InvalidArgument("state does not match the network's node slots");
    }
  }
  if (input.transmission != nullptr && input.transmission->node_count != slots) {
    return Status::InvalidArgument("transmission graph does not match the network's node slots");
  }
  if (input.horizon < 1 || input.horizon > 65534) {
    return Status::InvalidArgument("horizon must be in 1..65534");
  }
  return Status::Ok();
}

std::unique_ptr<TargetSelector> MakeStrategySelector(Strategy strategy,
                                                     const StrategyOptions& options) {
  return std::make_unique<StrategySelector>(strategy, options);
}

Result<std::unique_ptr<TargetSelector>> MakeStrategySelector(std::string_view name,
                                                             const StrategyOptions& options) {
  auto strategy = ParseStrategy(name);
  if (!strategy.ok()) return strategy.status();
  RISKD_RETURN_IF_ERROR(ValidateStrategyOptions(options));
  return MakeStrategySelector(*strategy, options);
}

}  // namespace riskd::engine::immunization
