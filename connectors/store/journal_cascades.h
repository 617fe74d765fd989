// JournalCascades: the observed disruption cascades of one risk type, read
// from the daemon's journal, for calibration (engine/calibration.h;
// `riskctl calibrate`).
//
// Every journaled Envelope is read in order. Network changes are applied to
// the base network, so the cascades refer to the network as it is at the
// end of the journal. SupplierStatus and Disruption events of the risk type
// (named, through the hazard, or by default, as the daemon resolves them)
// are placed at their event time (occurred_at, else the time the daemon
// received them) and sorted by it. Cascades are delimited by quiet gaps:
//
//   - A Disruption event, or a SupplierStatus DISRUPTED when no cascade is
//     open, opens a cascade at its time t0. Its nodes are the cascade's
//     sources (a status report that opens a cascade: a disruption of
//     unknown cause, that node is the source).
//   - Each later event of the risk type within `gap` of the cascade's
//     previous event, and within `max_steps` of t0, belongs to it; otherwise
//     the cascade is closed and the event may open the next one. Status
//     changes with no open cascade (recoveries, normal reports) are history
//     without a cascade and are skipped (counted).
//   - Within a cascade: a Disruption adds its nodes as sources at their
//     step (later sources: see ObservedCascade); a DISRUPTED report adds
//     its node as disrupted at its onset step; a RECOVERED or SUSCEPTIBLE
//     report of a disrupted node is its recovery; of any other node, a
//     normal report. A status persists until changed (as the daemon treats
//     it), so a node whose last report in the cascade is normal is normal
//     at the cascade's end. A second disruption of a node is skipped (SIR:
//     recovered nodes stay recovered).
//
// Steps, with dt the model step and t the event time: sources at
// floor((t - t0) / dt); onsets at ceil((t - t0) / dt), at least 1 (a
// report during step k says the node was disrupted by its end);
// recoveries at ceil(...), at least onset + 1; the cascade's end is the
// step of its last event. Nodes named but no longer in the network at the
// end are dropped (counted); a cascade whose sources are all gone is
// dropped.
//
// Reads the journal only; not thread-safe with respect to the Journal
// object (use one per thread).
#ifndef RISKD_CONNECTORS_STORE_JOURNAL_CASCADES_H_
#define RISKD_CONNECTORS_STORE_JOURNAL_CASCADES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/codec/event_codec.h"
#include "connectors/store/journal.h"
#include "engine/calibration.h"
#include "engine/network.h"

namespace riskd::connectors {

struct CascadeExtractionOptions {
  // The risk type whose cascades are wanted; must be one of the resolver's.
  std::string risk_type = "supply";
  // Length of a model step (the daemon's projection.step), > 0.
  double step_seconds = 86400;
  // A cascade ends after this long without an event of its risk type, > 0.
  double gap_seconds = 14 * 86400.0;
  // A cascade is cut after this many steps (its later events open a new
  // one), >= 1.
  int max_steps = 365;
};

// Where a cascade came from, for people.
struct CascadeOrigin {
  std::int64_t start_unix_ns = 0;  // t0
  std::int64_t end_unix_ns = 0;    // its last event
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string first_event_id;  // the event that opened it
  std::size_t events = 0;
};

struct JournalCascades {
  engine::Network network;  // base network plus the journaled changes, compacted
  std::vector<engine::ObservedCascade> cascades;
  std::vector<CascadeOrigin> origins;  // per cascade
  std::uint64_t journal_rows = 0;
  std::size_t events_of_risk_type = 0;  // SupplierStatus and Disruption events used
  std::size_t network_changes = 0;      // applied
  std::size_t network_changes_failed = 0;
  std::size_t outside_cascades = 0;      // status changes with no open cascade
  std::size_t repeated_disruptions = 0;  // second disruptions of a node in a cascade
  std::size_t unknown_nodes = 0;         // reports of nodes not in the final network
  std::size_t dropped_cascades = 0;      // every source gone from the network
};

// Reads every row of `journal`.
Result<JournalCascades> ExtractCascades(Journal& journal, engine::Network base_network,
                                        const RiskTypeResolver& resolver,
                                        const CascadeExtractionOptions& options);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_JOURNAL_CASCADES_H_
