// TargetSelector: the one interface behind which every way of choosing
// immunization targets sits (the static strategies of strategy.h, and the
// state-aware planner), so that the daemon, the evaluation harness and the
// benchmarks can run them side by side and compare their targets.
//
// A selector sees the network, the layers risk travels on and, when known,
// the current observed state and the risk type's transmission graph and
// horizon. Static strategies rank on structure alone and
// use the state only to skip nodes whose protection can avert nothing
// because they are not susceptible (P_S == 0: disrupted for certain,
// recovered or already immunized); they take the next ones in their
// ranking instead. The state-aware planner (planner.h) needs the state and
// the transmission graph, and simulates spread from that state.
#ifndef RISKD_ENGINE_IMMUNIZATION_TARGET_SELECTOR_H_
#define RISKD_ENGINE_IMMUNIZATION_TARGET_SELECTOR_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/immunization/strategy.h"
#include "engine/network.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine::immunization {

struct Target {
  NodeIndex node = kNoNode;
  // The selector's own measure when it chose the node (degree, CI, ...).
  double score = 0;
  // Expected disruptions within the horizon averted by protecting the node
  // (on top of the targets before it); set by selectors that model spread.
  std::optional<double> expected_averted;
  // Short, human-readable: why this node.
  std::string reason;
};

struct SelectionInput {
  // REQUIRES: non-null and compacted.
  const Network* network = nullptr;
  LayerMask layers = kAllLayers;
  // The current state, one entry per node slot, or null if unknown.
  const InitialState* state = nullptr;
  // How the risk spreads (rates, direction, onset delays), or null if not
  // needed; built for this network and `layers`.
  const TransmissionGraph* transmission = nullptr;
  // Horizon T in steps: disruptions within it count.
  int horizon = 30;
};

class TargetSelector {
 public:
  virtual ~TargetSelector() = default;
  // Stable identifier, e.g. the strategy name.
  virtual std::string_view name() const = 0;
  // Up to k targets, best first (fewer only when fewer nodes are eligible,
  // or, for selectors that model spread, when no further node averts
  // anything).
  // InvalidArgument for k < 0, a null network or a state of the wrong size.
  virtual Result<std::vector<Target>> Select(const SelectionInput& input, int k) const = 0;
};

// A static strategy as a selector.
// REQUIRES: ValidateStrategyOptions(options).ok()
std::unique_ptr<TargetSelector> MakeStrategySelector(Strategy strategy,
                                                     const StrategyOptions& options);
// The same, by strategy name (ParseStrategy); the option errors too.
Result<std::unique_ptr<TargetSelector>> MakeStrategySelector(std::string_view name,
                                                             const StrategyOptions& options);

// Common checks of a Select() call, for implementations.
Status ValidateSelectionInput(const SelectionInput& input, int k);

}  // namespace riskd::engine::immunization

#endif  // RISKD_ENGINE_IMMUNIZATION_TARGET_SELECTOR_H_
