// EngineCheckpoint: the inputs of an engine's state besides its network, as
// plain data, so the daemon can store them and a restart can restore them
// instead of replaying every journaled event (DESIGN section 8: restart in
// seconds). What it holds is exactly what the state after a sequence of
// events depends on and cannot be re-derived cheaply:
//   - the model clock and the reports' arrival counter;
//   - the vulnerability snapshot in use (sigma and rho are refreshed only
//     every vulnerability_refresh_changes network changes, so after changes
//     they are not what the current network would give) and how many
//     changes have accumulated since it was taken;
//   - per risk type, every node's reports in the window and which nodes are
//     immunized.
// What each node's reports say now (histories, observations) is re-derived
// from them on restore; projections and alerts are recomputed by the next
// Project() (the daemon re-opens stored alerts as after a full replay).
//
// Engine::Checkpoint() takes one; Engine::Restore() builds an engine from
// one and the network it was taken with, which then equals the engine that
// took it (engine_checkpoint_test.cc). Plain data: no thread-safety needs.
#ifndef RISKD_ENGINE_ENGINE_CHECKPOINT_H_
#define RISKD_ENGINE_ENGINE_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/network.h"
#include "engine/reports.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

struct EngineCheckpoint {
  Step now = 0;
  std::uint64_t report_order = 0;
  int network_changes_since_refresh = 0;
  // Per layer mask in use, the snapshot (vectors of node_slots() entries at
  // most; slots added since get the typical node's values).
  std::vector<std::pair<LayerMask, Vulnerability>> vulnerability;
  struct RiskTypeInputs {
    std::string name;  // must match the options' risk type at this index
    // Nodes with reports, ascending, each with its reports in event-time
    // order.
    std::vector<std::pair<NodeIndex, std::vector<Report>>> reports;
    std::vector<NodeIndex> immunized;  // ascending
  };
  std::vector<RiskTypeInputs> risk_types;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_ENGINE_CHECKPOINT_H_
