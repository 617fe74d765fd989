// Engine::Checkpoint and Engine::Restore (engine_checkpoint.h).
#include <algorithm>
#include <cmath>

#include "engine/engine.h"

namespace riskd::engine {
namespace {

Status CheckVulnerability(LayerMask mask, const Vulnerability& v, std::size_t slots) {
  if (mask == 0 || mask > kAllLayers) {
    return Status::InvalidArgument("checkpoint: vulnerability for layer mask " +
                                   std::to_string(mask));
  }
  const std::size_t n = v.sigma.size();
  if (n > slots || v.omega.size() != n || v.rho.size() != n) {
    return Status::InvalidArgument("checkpoint: vulnerability snapshot of " + std::to_string(n) +
                                   " entries does not fit a network of " + std::to_string(slots) +
                                   " node slots");
  }
  // omega feeds the next recalibration (BoundedHeterogeneity takes its log
  // against the geometric mean), so it is checked like the rates it gives.
  if (n > 0 && !(std::isfinite(v.omega_geometric_mean) && v.omega_geometric_mean > 0)) {
    return Status::InvalidArgument(
        "checkpoint: vulnerability's omega geometric mean is not a finite positive number");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v.sigma[i]) || !std::isfinite(v.rho[i]) || !std::isfinite(v.omega[i]) ||
        v.sigma[i] < 0 || v.rho[i] < 0 || v.omega[i] < 0) {
      return Status::InvalidArgument("checkpoint: vulnerability of slot " + std::to_string(i) +
                                     " is not a finite non-negative rate");
    }
  }
  return Status::Ok();
}

Status CheckReports(const std::vector<Report>& reports, std::uint64_t report_order) {
  if (reports.empty()) return Status::InvalidArgument("checkpoint: a node with no reports");
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const Report& r = reports[i];
    const bool state_ok = r.state == NodeState::kDisrupted || r.state == NodeState::kRecovered ||
                          r.state == NodeState::kSusceptible;
    if (!state_ok || !(r.severity > 0 && r.severity <= 1) || r.duration < 0 || r.order == 0 ||
        r.order > report_order) {
      return Status::InvalidArgument("checkpoint: a report no event could have made");
    }
    if (i > 0) {
      const Report& p = reports[i - 1];
      if (p.at > r.at || (p.at == r.at && p.order >= r.order)) {
        return Status::InvalidArgument("checkpoint: a node's reports are not in event-time order");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

EngineCheckpoint Engine::Checkpoint() const {
  EngineCheckpoint c;
  c.now = now_;
  c.report_order = report_order_;
  c.network_changes_since_refresh = network_changes_since_refresh_;
  c.vulnerability = vulnerability_;
  for (const auto& s : types_) {
    auto& t = c.risk_types.emplace_back();
    t.name = s.type_.name;
    t.reports.reserve(s.reports_.size());
    for (const auto& [v, r] : s.reports_) t.reports.emplace_back(v, r.reports);
    std::sort(t.reports.begin(), t.reports.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (NodeIndex v = 0; v < s.immunized_.size(); ++v) {
      if (s.immunized_[v]) t.immunized.push_back(v);
    }
  }
  return c;
}

Result<std::unique_ptr<Engine>> Engine::Restore(EngineOptions options, Network network,
                                                EngineCheckpoint c) {
  RISKD_RETURN_IF_ERROR(ValidateEngineOptions(options));
  if (c.risk_types.size() != options.risk_types.size()) {
    return Status::InvalidArgument("checkpoint: taken with " + std::to_string(c.risk_types.size()) +
                                   " risk types, configured " +
                                   std::to_string(options.risk_types.size()));
  }
  for (std::size_t r = 0; r < c.risk_types.size(); ++r) {
    if (c.risk_types[r].name != options.risk_types[r].name) {
      return Status::InvalidArgument("checkpoint: risk type " + std::to_string(r) + " was '" +
                                     c.risk_types[r].name + "', configured '" +
                                     options.risk_types[r].name + "'");
    }
  }
  if (c.network_changes_since_refresh < 0) {
    return Status::InvalidArgument("checkpoint: negative count of network changes");
  }
  network.Compact();
  const std::size_t slots = network.node_slots();
  for (const auto& [mask, v] : c.vulnerability)
    RISKD_RETURN_IF_ERROR(CheckVulnerability(mask, v, slots));
  for (const auto& t : c.risk_types) {
    NodeIndex previous = 0;
    for (std::size_t i = 0; i < t.reports.size(); ++i) {
      const NodeIndex v = t.reports[i].first;
      if (!network.alive(v) || (i > 0 && v <= previous)) {
        return Status::InvalidArgument("checkpoint: reports of a node that is not in the network");
      }
      previous = v;
      RISKD_RETURN_IF_ERROR(CheckReports(t.reports[i].second, c.report_order));
    }
    for (NodeIndex v : t.immunized) {
      if (!network.alive(v)) {
        return Status::InvalidArgument("checkpoint: an immunized node that is not in the network");
      }
    }
  }

  std::unique_ptr<Engine> e(new Engine(std::move(options), std::move(network), false));
  e->now_ = c.now;
  e->report_order_ = c.report_order;
  e->network_changes_since_refresh_ = c.network_changes_since_refresh;
  e->vulnerability_ = std::move(c.vulnerability);
  for (std::size_t r = 0; r < e->types_.size(); ++r) {
    auto& s = e->types_[r];
    auto& t = c.risk_types[r];
    for (NodeIndex v : t.immunized) s.immunized_[v] = 1;
    for (auto& [v, reports] : t.reports) s.reports_[v].reports = std::move(reports);
    // What they say at now, as the engine that took the checkpoint had it.
    for (const auto& [v, reports] : t.reports) e->Reobserve(s, v);
    for (NodeIndex v : t.immunized) e->Reobserve(s, v);
  }
  // Snapshots for layer masks the checkpoint had none of (none in use
  // then); the others stay as they were, sizes included (they grow with
  // the network lazily, as the original's do).
  for (const auto& s : e->types_) {
    const bool held = std::any_of(e->vulnerability_.begin(), e->vulnerability_.end(),
                                  [&](const auto& m) { return m.first == s.type_.layers; });
    if (!held) (void)e->VulnerabilityFor(s.type_.layers);
  }
  return e;
}

}  // namespace riskd::engine
