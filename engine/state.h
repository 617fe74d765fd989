// Observed node states: what events have told the engine about each node,
// per risk type. Projections start from these.
#ifndef RISKD_ENGINE_STATE_H_
#define RISKD_ENGINE_STATE_H_

#include <cstdint>
#include <vector>

#include "engine/network.h"

namespace riskd::engine {

enum class NodeState : std::uint8_t {
  kSusceptible = 0,
  kDisrupted = 1,  // "I": passes risk on
  kRecovered = 2,  // "R"
  kImmunized = 3,  // protected by an intervention; behaves as R
};

struct Observation {
  NodeState state = NodeState::kSusceptible;
  // For kDisrupted: probability in (0, 1] that the node really is disrupted.
  double severity = 1.0;
};

// Initial marginals of a projection, one entry per node slot.
struct InitialState {
  std::vector<double> p_s, p_i, p_r;

  // P_I = severity for disrupted nodes, P_R = 1 for recovered or immunized,
  // P_S = 1 - P_I - P_R; removed node slots get P_R = 1 (inert).
  static InitialState FromObservations(const Network& network,
                                       const std::vector<Observation>& observed);

  // What the evidence alone says: the probability that `v` is disrupted
  // within the projection's window because it was observed disrupted. Every
  // method publishes max(this, its estimate) (docs/model.md section 3,
  // "Observations are evidence"): the estimate is never below it in the
  // model, only by rounding (1 - (1 - s)) or by sampling (Monte Carlo).
  double EvidenceFloor(NodeIndex v) const { return p_i[v]; }
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_STATE_H_
