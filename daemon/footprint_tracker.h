// FootprintTracker: the disruption footprints the daemon publishes on
// footprint.<risk_type> and keeps in snapshots (riskd.v1.DisruptionFootprint,
// docs/protocol.md, "Footprints").
//
// A footprint is in effect while a node it hit is observed disrupted, at the
// model clock's now, in the disruption episode its Disruption belongs to:
// the node's episode began at or before the Disruption's event step (its
// onset `since` <= that step, both as the engine clamps them to the history
// window and to now). So it ends when its nodes are reported recovered or
// normal, when its expected duration passes on a clock tick, when they are
// protected or removed, or when the Disruption leaves the history window
// (history only); a node disrupted again later by another event does not
// keep it alive. Like the engine's state this is a function of the reports
// and of now, not of when it is looked at: start-up replay rebuilds exactly
// the footprints a live daemon had (or a checkpoint holds them with the
// engine's state: Checkpoint(), Restore()).
//
// TakeChanges() judges every footprint against the engine and returns what
// subscribers have not seen: new ones (ACTIVE, or ENDED at once when not in
// effect), changed counts of nodes still disrupted, ends, and the rare
// return to ACTIVE after a late report. A footprint is forgotten once its
// Disruption is history only (the window only moves forward, so it cannot
// come back).
//
// Cost: each footprint in the history window keeps the indices of the nodes
// it hit (4 bytes each); TakeChanges() reads each of them once.
//
// Not thread-safe: owned by the engine thread.
#ifndef RISKD_DAEMON_FOOTPRINT_TRACKER_H_
#define RISKD_DAEMON_FOOTPRINT_TRACKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/store/checkpoint_store.h"
#include "engine/engine.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::daemon {

class FootprintTracker {
 public:
  // `step_ns`: the length of a model clock step (projection.step), > 0.
  explicit FootprintTracker(std::int64_t step_ns) : step_ns_(step_ns) {}

  // A Disruption was applied to `risk_type` (named `risk_type_name`) at
  // event step `at` for `duration` steps (0: not known), hitting `hit`
  // (sorted, distinct). Judged at the next TakeChanges() or DropChanges().
  void Add(std::uint64_t journal_seq, const riskd::v1::Envelope& envelope, int risk_type,
           const std::string& risk_type_name, std::vector<engine::NodeIndex> hit, engine::Step at,
           engine::Step duration);

  // Judges every footprint against the engine now and returns the changes
  // to publish, in journal order of their Disruptions.
  std::vector<riskd::v1::DisruptionFootprint> TakeChanges(const engine::Engine& engine);
  // The same, publishing nothing (after start-up replay: what changed
  // before the restart was published then).
  void DropChanges(const engine::Engine& engine);

  // What it follows, for the daemon's checkpoints (as replay would rebuild
  // it; the next judgement after a restart publishes nothing that was
  // published before, as after a full replay).
  std::vector<connectors::CheckpointedFootprint> Checkpoint() const;
  // Replaces what it follows with a checkpoint's. InvalidArgument (nothing
  // changed) when one does not fit `engine` (a risk type or node it does
  // not have) or does not parse.
  Status Restore(const std::vector<connectors::CheckpointedFootprint>& footprints,
                 const engine::Engine& engine);

  // Footprints in effect as of the last judgement, oldest first.
  void AppendActive(google::protobuf::RepeatedPtrField<riskd::v1::DisruptionFootprint>* out) const;
  std::size_t active_count() const;
  // Footprints kept (in effect or not, until history only).
  std::size_t tracked_count() const { return tracked_.size(); }

 private:
  struct Tracked {
    // As last published (or to be published first: not yet announced).
    riskd::v1::DisruptionFootprint footprint;
    bool announced = false;
    int risk_type = 0;
    engine::Step at = 0;
    engine::Step duration = 0;
    std::vector<engine::NodeIndex> hit;
  };
  // Nodes of `t` disrupted by it at the engine's now; -1 when its
  // Disruption is history only.
  static std::int32_t StillDisrupted(const Tracked& t, const engine::Engine& engine);
  void Judge(const engine::Engine& engine, std::vector<riskd::v1::DisruptionFootprint>* changes);

  const std::int64_t step_ns_;
  std::vector<Tracked> tracked_;  // by journal sequence
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_FOOTPRINT_TRACKER_H_
