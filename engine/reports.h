// Reports about one node and risk type, each placed at its event time, and
// what they say at a given moment of the model clock (docs/model.md
// section 3, "Time: the model clock").
//
// A node's reports are kept in event-time order (ties in arrival order), so
// a late report lands at its time and the result depends on the reports and
// on `now`, not on the order they arrived in or on when the clock ticked.
// Reports before the history window are history only: they no longer count
// (a disruption of known duration still running when the window starts
// counts from the window's start). Pure functions; no state of their own.
#ifndef RISKD_ENGINE_REPORTS_H_
#define RISKD_ENGINE_REPORTS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/state.h"

namespace riskd::engine {

struct Report {
  Step at = 0;
  // kDisrupted, kRecovered, or kSusceptible (operating normally).
  NodeState state = NodeState::kSusceptible;
  // kDisrupted: probability in (0, 1] that the node is disrupted.
  double severity = 1.0;
  // kDisrupted: how many steps it lasts from `at`; 0 = not known (the
  // model's recovery rate applies).
  Step duration = 0;
  // Arrival order: breaks ties between reports at the same step.
  std::uint64_t order = 0;
};

// What a node's reports say, reduced to what a projection needs.
struct NodeHistory {
  // The latest disruption episode in the window: its onset, its severity
  // (the largest any of its reports gave: a weaker report is evidence too,
  // not a correction) and its known end (kNoStep: open-ended). An episode
  // ends at a RECOVERED or SUSCEPTIBLE report, or at onset + duration.
  bool disrupted = false;
  Step onset = 0;
  double severity = 0;
  Step end = kNoStep;
  // Reported recovered without a disruption in the window: R from here.
  Step recovered_at = kNoStep;
  // Reported operating normally (and not disrupted or recovered since): it
  // was susceptible then, so nothing reached it before.
  Step normal_at = kNoStep;

  bool empty() const { return !disrupted && recovered_at == kNoStep && normal_at == kNoStep; }
};

// Reduces reports sorted by (at, order). Reports before window_start are
// history only, except a disruption of known duration still running then,
// which counts as starting at window_start; reports after `now` (within the
// clock-skew tolerance) count as at `now`. Walking in time order: a
// disruption report during an episode raises its severity (and extends a
// known end); otherwise it starts a new episode. A RECOVERED or SUSCEPTIBLE
// report during an episode ends it (an episode ending where it began is no
// episode: the node is recovered); RECOVERED outside one makes the node R;
// SUSCEPTIBLE outside one (and not after a recovery) marks it normal then.
NodeHistory ReduceReports(std::span<const Report> reports, Step now, Step window_start);

// One step of that walk: `history` (what the reports before `report` say)
// updated with `report`. ReduceReports is this step from NodeHistory{} over
// every report, so a report that lands last (the usual case: reports arrive
// in time order) updates a node's history in O(1) instead of re-walking them
// all (a node reporting every few seconds keeps thousands in its window).
void ReduceReport(NodeHistory* history, Report report, Step now, Step window_start);

// Whether PruneReports drops `report` for this window start.
bool IsPruned(const Report& report, Step window_start);

// Drops the reports ReduceReports ignores for this window start and every
// later one (the window only moves forward).
void PruneReports(std::vector<Report>* reports, Step window_start);

// Inserts `report` at its place in event-time order (after reports at the
// same step: order is arrival order).
void InsertReport(std::vector<Report>* reports, const Report& report);

// Shortens the run of reports at the last report's step, after a report was
// appended there, without changing what ReduceReports says for any
// history before the run, any `now` and any window start: a node reporting
// many times within one step (statuses without a time land at `now`, and a
// step is a day by default) keeps at most four reports for it instead of
// one per report. Only reports without a known duration are folded (a
// duration decides on its own whether a report runs into the window):
//   - adjacent DISRUPTED reports: one, with the largest severity (the
//     second only raises the episode the first started or continued);
//   - adjacent RECOVERED/SUSCEPTIBLE reports: one, RECOVERED if any was
//     (after the first, the others change nothing, except that a
//     RECOVERED after a SUSCEPTIBLE marks the node R rather than normal);
//   - D1 X1 D2 X2 D3 (X: RECOVERED or SUSCEPTIBLE): D1 X1 D3 (after D1 X1
//     no episode runs at this step, so D3 starts a fresh one, whatever
//     D2 X2 did).
// A late report placed at this step goes after the run (arrival order), so
// the folded run is a prefix it sees as the whole run.
void FoldSameStepTail(std::vector<Report>* reports);

// The node's state at `now`: disrupted during an episode, recovered after
// it ended or after a recovery report, susceptible otherwise.
Observation ObservationAt(const NodeHistory& history, Step now);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_REPORTS_H_
