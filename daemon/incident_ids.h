// IncidentIds: the ids of the incidents the engine thread knows (opened
// and not yet forgotten), so that the ingest thread can refuse an
// OperatorAction about an incident that does not exist before journaling
// it. The engine thread adds an id when an incident opens and removes it
// when the incident book forgets it (incidents.retain_closed), so the set
// is as bounded as the book. An action accepted here about an incident the
// engine forgets before applying it is journaled and then logged as not
// applied, live and on replay alike. Thread-safe.
#ifndef RISKD_DAEMON_INCIDENT_IDS_H_
#define RISKD_DAEMON_INCIDENT_IDS_H_

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace riskd::daemon {

class IncidentIds {
 public:
  void Add(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.insert(id);
  }
  void Remove(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) ids_.erase(id);
  }
  bool Has(std::string_view id) const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.find(id) != ids_.end();
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> ids_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_INCIDENT_IDS_H_
