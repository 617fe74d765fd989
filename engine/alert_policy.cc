#include "engine/alert_policy.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

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

namespace {
bool NodeBefore(const OpenAlerts::value_type& entry, NodeIndex node) { return entry.first < node; }
}  // namespace

OpenAlerts::const_iterator OpenAlerts::find(NodeIndex node) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), node, NodeBefore);
  return it != entries_.end() && it->first == node ? it : entries_.end();
}

const OpenAlert& OpenAlerts::at(NodeIndex node) const {
  const auto it = find(node);
  if (it == end()) throw std::out_of_range("OpenAlerts::at: no open alert for the node");
  return it->second;
}

void AlertTracker::Restore(NodeIndex node, const OpenAlert& alert) {
  auto& open = open_.entries_;
  const auto it = std::lower_bound(open.begin(), open.end(), node, NodeBefore);
  if (it != open.end() && it->first == node) {
    it->second = alert;
  } else {
    open.insert(it, {node, alert});
  }
}

std::vector<AlertChange> AlertTracker::Update(const std::vector<double>& risk,
                                              const std::vector<int>& eta,
                                              const std::vector<char>& eligible,
                                              std::uint64_t journal_seq) {
  std::vector<AlertChange> changes;
  auto& open = open_.entries_;
  // Open alerts first: update or resolve (the kept ones stay in node order).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < open.size(); ++i) {
    const NodeIndex v = open[i].first;
    OpenAlert& a = open[i].second;
    const bool ok = v < eligible.size() && eligible[v];
    const double p = ok ? risk[v] : 0.0;
    const AlertLevel next = ok ? NextLevel(v, a.level, p) : AlertLevel::kNone;
    if (next == AlertLevel::kNone) {
      changes.push_back(
          {v, AlertLifecycle::kResolved, a.level, p, ok ? eta[v] : -1, a.raised_journal_seq});
      continue;
    }
    if (next != a.level || eta[v] != a.eta ||
        std::fabs(p - a.probability) >= options_.min_update_delta) {
      a.level = next;
      a.probability = p;
      a.eta = eta[v];
      changes.push_back({v, AlertLifecycle::kUpdated, next, p, eta[v], a.raised_journal_seq});
    }
    open[kept++] = open[i];
  }
  open.resize(kept);
  // New alerts, in node order; `o` walks the open ones alongside.
  std::vector<OpenAlerts::value_type> raised;
  std::size_t o = 0;
  for (NodeIndex v = 0; v < risk.size(); ++v) {
    if (risk[v] < lowest_raise_ || !eligible[v]) continue;
    while (o < open.size() && open[o].first < v) ++o;
    if (o < open.size() && open[o].first == v) continue;
    const AlertLevel level = NextLevel(v, AlertLevel::kNone, risk[v]);
    if (level == AlertLevel::kNone) continue;
    raised.push_back({v, OpenAlert{level, risk[v], eta[v], journal_seq}});
    changes.push_back({v, AlertLifecycle::kRaised, level, risk[v], eta[v], journal_seq});
  }
  if (!raised.empty()) {
    // Allocated at its size: no growth slack kept between rounds.
    std::vector<OpenAlerts::value_type> merged;
    merged.reserve(open.size() + raised.size());
    std::merge(open.begin(), open.end(), raised.begin(), raised.end(), std::back_inserter(merged),
               [](const auto& a, const auto& b) { return a.first < b.first; });
    open.swap(merged);
  } else if (open.capacity() > 2 * open.size()) {
    open.shrink_to_fit();  // most resolved at once
  }
  std::sort(changes.begin(), changes.end(),
            [](const AlertChange& a, const AlertChange& b) { return a.node < b.node; });
  return changes;
}

}  // namespace riskd::engine
