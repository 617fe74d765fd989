// RiskDeltaTracker: what the daemon last published of every node's risk,
// per risk type, and the changes since, as the NodeRiskChanges publications
// (topic risk.<risk_type>) that carry a dashboard's map from one snapshot to
// the next (docs/protocol.md, the Clone pattern). A node's value is its
// observed state, P(disrupted within the horizon) and ETA, exactly as
// MakeNodeRisk reports them; any change at all is published, so a snapshot
// plus the changes equals a later snapshot.
//
// Cost: 16 bytes per node slot and risk type, and a scan of the slots after
// each projection of that type.
//
// Not thread-safe: owned by the engine thread.
#ifndef RISKD_DAEMON_RISK_DELTA_TRACKER_H_
#define RISKD_DAEMON_RISK_DELTA_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/engine.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::daemon {

class RiskDeltaTracker {
 public:
  // The nodes of `risk_type` whose value differs from the last one taken
  // (initially: susceptible, 0, no ETA), in chunks of at most `chunk`
  // nodes; remembers the new values. Removed nodes report susceptible and 0.
  std::vector<riskd::v1::NodeRiskChanges> TakeChanges(const engine::Engine& engine, int risk_type,
                                                      std::uint64_t journal_seq,
                                                      std::size_t chunk = 4096);
  // The same chunks, each handed to `emit` as soon as it is full (and the
  // last one at the end): a projection that changes most of a big network
  // never holds more than one chunk of NodeRisk messages (~0.8 MB). `emit`
  // may take the chunk's contents (Swap, move); whatever it leaves in it
  // (its NodeRisk messages back, after sending them) is cleared and filled
  // again for the next chunk, so a round of ~100k changes allocates one
  // chunk's messages and strings, not one set per node (bench/README.md
  // `roundcost`).
  void TakeChanges(const engine::Engine& engine, int risk_type, std::uint64_t journal_seq,
                   std::size_t chunk, const std::function<void(riskd::v1::NodeRiskChanges&)>& emit);

 private:
  struct Published {
    double probability = 0;
    std::int32_t eta = -1;
    engine::NodeState state = engine::NodeState::kSusceptible;
  };
  std::vector<std::vector<Published>> published_;  // [risk type][node slot]
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_RISK_DELTA_TRACKER_H_
