// Publish first, refine after, on the daemon's side (issue 12; config
// projection.defer_check, projection.refine_work, projection.refine_share;
// docs/protocol.md "Publish first, refine after").
//
// With defer_check the engine publishes DMP at once, marked unchecked, and
// the engine thread runs the pending Monte Carlo checks afterwards in
// slices (Engine::Refine). This file holds what decides when a slice runs
// (RefineScheduler) and which refinements are worth publishing
// (SummaryMateriallyDiffers); the alerts' rule is the one every projection
// follows (engine/alert_policy.h and the incidents' alert budget: a new
// level, a probability up by alert_policy.min_update_delta, an earlier ETA,
// a resolution) for the alerts it updates or resolves. By the budget it
// pushes no more per incident than a projection would, not the same
// alerts: it keeps the growth and bulk-recovery verdicts of the latest
// projection that changed its incident, pushes by rank, tier or as newly
// raised only when that projection grew, and only up to the open pushed
// non-watchlist alerts that projection left (or alert_top_n if fewer);
// DMP's pushed alerts that Monte Carlo ranks lower stay pushed
// (IncidentBook::Update's refinement).
//
// Not thread-safe: the engine thread owns these.
#ifndef RISKD_DAEMON_REFINEMENT_H_
#define RISKD_DAEMON_REFINEMENT_H_

#include <cstdint>

#include "riskd/v1/outputs.pb.h"

namespace riskd::daemon {

struct PlannerSettings;

// Config projection.refine_work and projection.refine_share.
struct RefineSettings {
  // Out-edges examined by the Monte Carlo checks per slice (>= 1); a slice
  // checks at least one region whatever its cost.
  std::uint64_t slice_work = 2'000'000;
  // While events wait: the largest share of the engine thread's busy time
  // refinement slices may take, in [0, 1); 0: refine only when idle. 0 by
  // default: one slice is at least one region's check, about a second on a
  // region spanning a 100k-node network, and under sustained load the next
  // events change that region anyway (daemon_scale_bench: p50 event-to-
  // alert 0.9 s with 0, 3.0 s with 0.25, on a busy machine).
  double busy_share = 0;
};

// Whether a refinement's summary of a risk type goes out, given the one
// published last (`published`) and the refined one: when alerts changed
// (`alerts_changed`: the summary follows its alerts), when the risk type
// became checked (subscribers learn that every value now stands checked,
// and that alerts not republished are within alert_policy.min_update_delta
// of the checked values), when the method or the number of nodes at risk
// changed, or when the expected number disrupted moved materially by the
// planner's rule (MaterialChange: planner.min_change_nodes and
// planner.min_change_fraction). Anything else waits for the next
// projection.
bool SummaryMateriallyDiffers(const riskd::v1::ProjectionSummary& published,
                              const riskd::v1::ProjectionSummary& refined, bool alerts_changed,
                              const PlannerSettings& planner);

// When the engine thread may run a refinement slice. Idle (no event
// waiting): always. Busy: only while the slices' time stays within
// busy_share of the busy time since the queue was last idle, so a stream
// of events keeps at least 1 - busy_share of the thread and never waits
// for more than one slice.
class RefineScheduler {
 public:
  // `events_waiting`: the ingest queue holds events.
  bool MayRefine(bool events_waiting, const RefineSettings& settings) const;
  // A round of events (projection and publishing) took `seconds`.
  void RoundDone(double seconds) { busy_seconds_ += seconds; }
  // A refinement slice took `seconds`.
  void SliceDone(double seconds) { refine_seconds_ += seconds; }
  // The queue was found idle: the busy period ends.
  void Idle() { busy_seconds_ = refine_seconds_ = 0; }

 private:
  double busy_seconds_ = 0;
  double refine_seconds_ = 0;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_REFINEMENT_H_
