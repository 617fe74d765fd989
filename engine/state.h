// Node states and the initial conditions of a projection.
//
// Time. The engine lives on a model clock in steps of dt (Step; the daemon
// counts them from the Unix epoch). A projection runs over the steps
// t = 0 .. now + T of its own frame, 0 being its first step (the earliest
// onset it includes): every node has a start step (before it the node is
// susceptible and shielded: attempts on it are void), its marginals at that
// step, and possibly an end step (it is removed, R, from then on). Outputs
// (risk, ETA) are about the window [now, now + T] (docs/model.md section 3).
// An InitialState without the time vectors is the classic one: every node
// starts at 0, none ends, now = 0.
#ifndef RISKD_ENGINE_STATE_H_
#define RISKD_ENGINE_STATE_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/network.h"

namespace riskd::engine {

// A point of the model clock, in steps of dt.
using Step = std::int64_t;
inline constexpr Step kNoStep = std::numeric_limits<Step>::min();

enum class NodeState : std::uint8_t {
  kSusceptible = 0,
  kDisrupted = 1,  // "I": passes risk on
  kRecovered = 2,  // "R"
  kImmunized = 3,  // protected by an intervention; behaves as R
};

// What the reports say about a node now.
struct Observation {
  NodeState state = NodeState::kSusceptible;
  // For kDisrupted: probability in (0, 1] that the node really is disrupted.
  double severity = 1.0;
  // kDisrupted: onset of the disruption; kRecovered: when it recovered;
  // kNoStep otherwise (or when not known).
  Step since = kNoStep;
  // kDisrupted: when it ends (a recovery report, or onset plus its expected
  // duration); kNoStep when open-ended (the model's recovery rate ages it).
  Step until = kNoStep;
};

class ObservationTable;

// Initial conditions of a projection, one entry per node slot.
struct InitialState {
  // No end: the node is never removed within the projection.
  static constexpr std::int32_t kNever = std::numeric_limits<std::int32_t>::max();

  // Marginals of each node at its start step.
  std::vector<double> p_s, p_i, p_r;
  // The step of the frame that is "now": outputs are about [now, now + T].
  int now = 0;
  // Per node, or empty (all 0): the start step. Before it the node is
  // susceptible and shielded (transmission attempts on it are void); at it
  // the node is infectious with probability p_i (no onset delay: observed),
  // removed with p_r, susceptible with p_s.
  std::vector<std::int32_t> start;
  // Per node, or empty (all kNever): the step from which the node is
  // removed (R): it neither catches nor passes anything from then on.
  std::vector<std::int32_t> end;
  // Per node, or empty (none): 1 if the node does not recover before its
  // end (a disruption of known duration) instead of at the model's rate q.
  std::vector<std::uint8_t> fixed;

  int Start(NodeIndex v) const { return start.empty() ? 0 : start[v]; }
  int End(NodeIndex v) const { return end.empty() ? kNever : end[v]; }
  bool Fixed(NodeIndex v) const { return !fixed.empty() && fixed[v] != 0; }
  // Last step at which being disrupted counts: min(now + T, end - 1).
  int WindowEnd(NodeIndex v, int horizon) const {
    const int e = End(v);
    return e == kNever || e - 1 > now + horizon ? now + horizon : e - 1;
  }

  // The classic state at now (no time): P_I = severity for disrupted nodes,
  // P_R = 1 for recovered or immunized, P_S = 1 - P_I - P_R; removed node
  // slots get P_R = 1 (inert).
  static InitialState FromObservations(const Network& network,
                                       const std::vector<Observation>& observed);
  // The same from an engine's ObservationTable (a risk type's observed()).
  static InitialState FromObserved(const Network& network, const ObservationTable& observed);

  // What the evidence alone says: the probability that `v` is disrupted in
  // the window because it was observed disrupted, while that report is
  // current (reported now, or of a known duration not yet over; an older
  // open-ended report is aged by the model's recovery rate, which the
  // estimate includes). Every method publishes max(this, its estimate)
  // (docs/model.md section 3, "Observations are evidence"): the estimate is
  // never below it in the model, only by rounding (1 - (1 - s)) or by
  // sampling (Monte Carlo).
  double EvidenceFloor(NodeIndex v) const {
    if (!(p_i[v] > 0) || End(v) <= now) return 0.0;
    return Start(v) == now || Fixed(v) ? p_i[v] : 0.0;
  }
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_STATE_H_
