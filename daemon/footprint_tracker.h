// FootprintTracker: the disruption footprints the daemon publishes on
// footprint.<risk_type> and keeps in snapshots (riskd.v1.DisruptionFootprint,
// docs/protocol.md). A footprint is active from the moment its Disruption is
// applied until none of the nodes it hit is still observed disrupted in its
// risk type; it is then reported ENDED once and forgotten. Footprints follow
// from the journal alone (start-up replay rebuilds them), so they need no
// storage.
//
// Cost: each active footprint keeps the indices of the nodes it hit (4 bytes
// each); ends are looked for only after an event that can end one (anything
// but a disruption), in time linear in those indices.
//
// Not thread-safe: owned by the engine thread.
#ifndef RISKD_DAEMON_FOOTPRINT_TRACKER_H_
#define RISKD_DAEMON_FOOTPRINT_TRACKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::daemon {

class FootprintTracker {
 public:
  // A Disruption was applied to `risk_type` (named `risk_type_name`) and hit
  // `hit` (sorted, distinct). `received_unix_ns` stands in for
  // Envelope.occurred_at when that is unset (0: no time).
  void Add(std::uint64_t journal_seq, const riskd::v1::Envelope& envelope, int risk_type,
           const std::string& risk_type_name, std::vector<engine::NodeIndex> hit,
           std::int64_t received_unix_ns);
  // An event that may end footprints (a status, intervention or network
  // change) was applied; the next TakeChanges() looks for ends.
  void MarkMaybeEnded() { maybe_ended_ = true; }

  // The footprints that became active since the last call, then those that
  // ended (judged against the engine's observed states now), in the order
  // to publish them.
  std::vector<riskd::v1::DisruptionFootprint> TakeChanges(const engine::Engine& engine);
  // Forgets pending changes but keeps the active set (after start-up replay,
  // which publishes nothing).
  void DropChanges(const engine::Engine& engine);

  // Active footprints, oldest first.
  void AppendActive(google::protobuf::RepeatedPtrField<riskd::v1::DisruptionFootprint>* out) const;
  std::size_t active_count() const { return active_.size(); }

 private:
  struct Active {
    riskd::v1::DisruptionFootprint footprint;
    int risk_type = 0;
    std::vector<engine::NodeIndex> hit;
  };
  // Updates nodes_still_disrupted of every active footprint and moves the
  // ended ones to `ended`.
  void FindEnded(const engine::Engine& engine, std::vector<riskd::v1::DisruptionFootprint>* ended);

  std::vector<Active> active_;  // by journal sequence
  std::vector<riskd::v1::DisruptionFootprint> started_;
  bool maybe_ended_ = false;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_FOOTPRINT_TRACKER_H_
