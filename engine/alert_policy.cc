#include "engine/alert_policy.h"

#include <algorithm>
#include <cmath>

namespace riskd::engine {

Status ValidateAlertPolicyOptions(const AlertPolicyOptions& o) {
  auto level_ok = [](double clear, double raise) {
    return std::isfinite(clear) && std::isfinite(raise) && clear > 0 && clear < raise && raise <= 1;
  };
  if (!level_ok(o.warning_clear, o.warning_raise)) {
    return Status::InvalidArgument("alert_policy: need 0 < warning_clear < warning_raise <= 1");
  }
  if (!level_ok(o.critical_clear, o.critical_raise)) {
    return Status::InvalidArgument("alert_policy: need 0 < critical_clear < critical_raise <= 1");
  }
  if (o.warning_raise > o.critical_raise || o.warning_clear > o.critical_clear) {
    return Status::InvalidArgument(
        "alert_policy: warning thresholds must not exceed critical ones");
  }
  if (!std::isfinite(o.min_update_delta) || o.min_update_delta < 0) {
    return Status::InvalidArgument("alert_policy: min_update_delta must be finite and >= 0");
  }
  return Status::Ok();
}

AlertLevel AlertTracker::NextLevel(AlertLevel current, double p) const {
  return NextLevel(kNoNode, current, p);
}

void AlertTracker::SetNodeOptions(NodeIndex node, const AlertPolicyOptions& options) {
  node_options_[node] = options;
  lowest_raise_ = std::min({lowest_raise_, options.warning_raise, options.critical_raise});
}

AlertLevel AlertTracker::NextLevel(NodeIndex node, AlertLevel current, double p) const {
  const AlertPolicyOptions* own = nullptr;
  if (!node_options_.empty()) {
    auto it = node_options_.find(node);
    if (it != node_options_.end()) own = &it->second;
  }
  const auto& o = own ? *own : options_;
  switch (current) {
    case AlertLevel::kNone:
      if (p >= o.critical_raise) return AlertLevel::kCritical;
      if (p >= o.warning_raise) return AlertLevel::kWarning;
      return AlertLevel::kNone;
    case AlertLevel::kWarning:
      if (p >= o.critical_raise) return AlertLevel::kCritical;
      if (p < o.warning_clear) return AlertLevel::kNone;
      return AlertLevel::kWarning;
    case AlertLevel::kCritical:
      if (p < o.warning_clear) return AlertLevel::kNone;
      if (p < o.critical_clear) return AlertLevel::kWarning;
      return AlertLevel::kCritical;
  }
  return AlertLevel::kNone;
}

std::vector<AlertChange> AlertTracker::Update(const std::vector<double>& risk,
                                              const std::vector<int>& eta,
                                              const std::vector<char>& eligible,
                                              std::uint64_t journal_seq) {
  std::vector<AlertChange> changes;
  // Open alerts first: update or resolve.
  for (auto it = open_.begin(); it != open_.end();) {
    const NodeIndex v = it->first;
    OpenAlert& a = it->second;
    const bool ok = v < eligible.size() && eligible[v];
    const double p = ok ? risk[v] : 0.0;
    const AlertLevel next = ok ? NextLevel(v, a.level, p) : AlertLevel::kNone;
    if (next == AlertLevel::kNone) {
      changes.push_back(
          {v, AlertLifecycle::kResolved, a.level, p, ok ? eta[v] : -1, a.raised_journal_seq});
      it = open_.erase(it);
      continue;
    }
    if (next != a.level || eta[v] != a.eta ||
        std::fabs(p - a.probability) >= options_.min_update_delta) {
      a.level = next;
      a.probability = p;
      a.eta = eta[v];
      changes.push_back({v, AlertLifecycle::kUpdated, next, p, eta[v], a.raised_journal_seq});
    }
    ++it;
  }
  // New alerts.
  for (NodeIndex v = 0; v < risk.size(); ++v) {
    if (risk[v] < lowest_raise_ || !eligible[v] || open_.count(v)) continue;
    const AlertLevel level = NextLevel(v, AlertLevel::kNone, risk[v]);
    if (level == AlertLevel::kNone) continue;
    open_[v] = OpenAlert{level, risk[v], eta[v], journal_seq};
    changes.push_back({v, AlertLifecycle::kRaised, level, risk[v], eta[v], journal_seq});
  }
  std::sort(changes.begin(), changes.end(),
            [](const AlertChange& a, const AlertChange& b) { return a.node < b.node; });
  return changes;
}

}  // namespace riskd::engine
