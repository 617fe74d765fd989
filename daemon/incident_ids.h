// IncidentIds: the ids of the incidents the engine thread has opened, so
// that the ingest thread can refuse an OperatorAction about an incident
// that does not exist before journaling it. The set only grows (an incident
// an operator could have seen stays valid, even once forgotten), so an
// action accepted here always names an incident that replay recreates
// before it. Thread-safe.
#ifndef RISKD_DAEMON_INCIDENT_IDS_H_
#define RISKD_DAEMON_INCIDENT_IDS_H_

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace riskd::daemon {

class IncidentIds {
 public:
  void Add(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.insert(id);
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
