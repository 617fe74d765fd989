// AlertTracker: turns projected node risks into an alert lifecycle for one
// risk type (docs/protocol.md, "Output"): level from thresholds with hysteresis
// (raise high, clear low), one open alert per node at most (dedup), and
// RAISED -> UPDATED* -> RESOLVED changes, emitted only when something
// material changed.
#ifndef RISKD_ENGINE_ALERT_POLICY_H_
#define RISKD_ENGINE_ALERT_POLICY_H_

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/network.h"

namespace riskd::engine {

struct AlertPolicyOptions {
  double warning_raise = 0.30;
  double warning_clear = 0.20;
  double critical_raise = 0.70;
  double critical_clear = 0.60;
  // An open alert is UPDATED when its probability moved at least this much
  // since last published, or its level or ETA changed.
  double min_update_delta = 0.05;

  bool operator==(const AlertPolicyOptions&) const = default;
};

// 0 < clear < raise <= 1 for both levels; warning_raise <= critical_raise;
// warning_clear <= critical_clear; delta >= 0.
Status ValidateAlertPolicyOptions(const AlertPolicyOptions& options);

enum class AlertLevel : std::uint8_t { kNone = 0, kWarning = 2, kCritical = 3 };
enum class AlertLifecycle : std::uint8_t { kRaised = 1, kUpdated = 2, kResolved = 3 };

struct OpenAlert {
  AlertLevel level = AlertLevel::kNone;
  double probability = 0;  // as last published
  int eta = -1;            // as last published
  // Journal sequence of the projection that raised it (Engine::Project),
  // making alert ids unique across lifecycles.
  std::uint64_t raised_journal_seq = 0;
};

struct AlertChange {
  NodeIndex node = kNoNode;
  AlertLifecycle lifecycle = AlertLifecycle::kRaised;
  AlertLevel level = AlertLevel::kNone;  // for RESOLVED: the level it had
  double probability = 0;
  int eta = -1;
  std::uint64_t raised_journal_seq = 0;
};

// The open alerts of a tracker, by node: a vector sorted by node, 40 bytes
// per alert. A std::unordered_map took a 48-byte heap node per alert plus
// its buckets (~2 MB for the 27.5k alerts a hub disruption of the 100k-node
// scale network opens, bench/README.md "idleslack"). Read like the map it
// replaces (find, count, at, iteration as (node, alert) pairs), in node
// order.
class OpenAlerts {
 public:
  using value_type = std::pair<NodeIndex, OpenAlert>;
  using const_iterator = std::vector<value_type>::const_iterator;

  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // O(log n); end() if the node has no open alert.
  const_iterator find(NodeIndex node) const;
  std::size_t count(NodeIndex node) const { return find(node) != end() ? 1 : 0; }
  // REQUIRES: count(node) (std::out_of_range otherwise, as the map's at()).
  const OpenAlert& at(NodeIndex node) const;

 private:
  friend class AlertTracker;
  std::vector<value_type> entries_;  // ascending by node, one per node
};

class AlertTracker {
 public:
  explicit AlertTracker(AlertPolicyOptions options = {})
      : options_(options), lowest_raise_(std::min(options.warning_raise, options.critical_raise)) {}

  // Level for probability p given the current level (hysteresis).
  AlertLevel NextLevel(AlertLevel current, double p) const;
  // The same with node's own thresholds when it has some.
  AlertLevel NextLevel(NodeIndex node, AlertLevel current, double p) const;

  // Gives a node its own thresholds (a watchlist). REQUIRES: valid options.
  void SetNodeOptions(NodeIndex node, const AlertPolicyOptions& options);
  const AlertPolicyOptions& options() const { return options_; }

  // Compares the new risks with the open alerts. Nodes with eligible[v] == 0
  // (observed disrupted, recovered or immunized, or removed) have their open
  // alerts resolved and get no new ones. Returns the changes, by node.
  // REQUIRES: risk, eta, eligible have one entry per node slot.
  std::vector<AlertChange> Update(const std::vector<double>& risk, const std::vector<int>& eta,
                                  const std::vector<char>& eligible, std::uint64_t journal_seq);

  // Re-opens an alert known from persistent storage (after a restart),
  // replacing the node's open one if any. O(log n) when restored in node
  // order (an insertion in the middle moves the alerts after it).
  void Restore(NodeIndex node, const OpenAlert& alert);
  const OpenAlerts& open() const { return open_; }
  // New thresholds for the next Update() (open alerts keep their level
  // until then).
  void set_options(const AlertPolicyOptions& options) {
    options_ = options;
    lowest_raise_ = std::min(options.warning_raise, options.critical_raise);
    for (const auto& [node, own] : node_options_) {
      lowest_raise_ = std::min({lowest_raise_, own.warning_raise, own.critical_raise});
    }
  }

 private:
  AlertPolicyOptions options_;
  std::unordered_map<NodeIndex, AlertPolicyOptions> node_options_;
  double lowest_raise_ = 1;  // over options_ and node_options_
  OpenAlerts open_;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_ALERT_POLICY_H_
