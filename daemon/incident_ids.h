// IncidentIds: the ids of the incidents the engine thread knows (opened
// and not yet forgotten), so that the ingest thread can refuse an
// OperatorAction about an incident that does not exist before journaling
// it. The engine thread adds an id when an incident opens and removes it
// when the incident book forgets it (incidents.retain_closed), so the set
// is as bounded as the book. An action accepted here about an incident the
// engine forgets before applying it is journaled and then logged as not
// applied, live and on replay alike. Thread-safe.
//
// An incident's id is "<risk type>/<key>", the key a journal sequence
// (engine/incidents.h), so the ids are held as a sorted array of keys per
// risk type: 8 bytes per id, where a std::set of strings took a 64-byte
// tree node each (80 with malloc's header). Under load every disrupting
// status opens an incident and the ids of a round's incidents are all held
// while it is projected: ~1 MB less at 15k (bench/README.md, "`loadmem2`
// branch"). Keys come in ascending order (the journal's), so adding is an
// append. Ids of another form (none today) are kept as strings.
//
// It also holds which of them are closed (at most incidents.retain_closed),
// so that the ingest thread refuses an action that only makes sense on an
// open incident (CheckActionOnClosedIncident) before journaling it. The
// engine thread marks an incident closed when it publishes it closed and
// open again when an event re-opens it; an action accepted here about an
// incident that closes before the engine applies it is journaled and then
// refused by the same check in the engine thread (logged as not applied),
// live and on replay alike.
#ifndef RISKD_DAEMON_INCIDENT_IDS_H_
#define RISKD_DAEMON_INCIDENT_IDS_H_

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "riskd/v1/common.pb.h"

namespace riskd::daemon {

// Whether an operator action of `kind` may act on the closed incident
// `id`: KIND_ACKNOWLEDGE may (an acknowledgment with its note is how an
// operator annotates a closed incident's history, e.g. after a review);
// assigning, overriding the level and marking no-impact or restored only
// make sense on an incident not closed, and are refused failed_precondition.
Status CheckActionOnClosedIncident(riskd::v1::OperatorAction::Kind kind, std::string_view id);

class IncidentIds {
 public:
  // Adds `id` (if new) and records whether it is closed.
  void Add(const std::string& id, bool closed = false);
  void Remove(const std::vector<std::string>& ids);
  bool Has(std::string_view id) const;
  // Held and closed.
  bool Closed(std::string_view id) const;
  // Ids held.
  std::size_t size() const;
  // Bytes of the arrays holding them (tests; the ids of other forms not
  // counted).
  std::size_t MemoryBytes() const;

 private:
  struct Keys {
    std::string risk_type;
    std::vector<std::uint64_t> keys;  // ascending
  };
  Keys* Find(std::string_view risk_type);
  const Keys* Find(std::string_view risk_type) const;

  mutable std::mutex mu_;
  std::vector<Keys> types_;  // a few: one per risk type
  std::set<std::string, std::less<>> others_;
  std::set<std::string, std::less<>> closed_;  // a subset of the ids held
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INCIDENT_IDS_H_
