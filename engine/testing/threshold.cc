#include "engine/testing/threshold.h"

#include <algorithm>
#include <cmath>

namespace riskd::engine {

Status ValidateThresholdOptions(const ThresholdOptions& o) {
  if (o.horizon < 1) return Status::InvalidArgument("threshold.horizon must be >= 1");
  if (!(o.resistance_scale > 0) || !std::isfinite(o.resistance_scale)) {
    return Status::InvalidArgument("threshold.resistance_scale must be finite and > 0");
  }
  return Status::Ok();
}

ThresholdResult RunThresholdRule(const TransmissionGraph& g, const Vulnerability& vul,
                                 std::span<const std::pair<NodeIndex, double>> sources,
                                 const ThresholdOptions& opt) {
  const std::size_t n = g.node_count;
  ThresholdResult r;
  r.infected_at.assign(n, -1);
  r.risk_value.assign(n, 0.0);
  r.interference.assign(n, 0.0);
  std::vector<NodeIndex> newly;
  for (const auto& [v, value] : sources) {
    if (r.infected_at[v] >= 0) continue;
    r.infected_at[v] = 0;
    r.risk_value[v] = value;
    newly.push_back(v);
  }
  r.infected_count = newly.size();
  std::vector<NodeIndex> hit;
  for (int t = 1; t <= opt.horizon && !newly.empty(); ++t) {
    hit.clear();
    for (NodeIndex i : newly) {
      const auto out = g.out(i);
      const auto targets = g.successors(i);
      for (std::size_t x = 0; x < out.size(); ++x) {
        const EdgeIndex e = out[x];
        const NodeIndex j = targets[x];
        if (r.infected_at[j] >= 0) continue;
        r.interference[j] += r.risk_value[i] * g.share[e];
        hit.push_back(j);
      }
    }
    std::sort(hit.begin(), hit.end());
    hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
    newly.clear();
    for (NodeIndex j : hit) {
      const double resistance = opt.resistance_scale * vul.rho[j];
      if (r.interference[j] > resistance) {
        r.infected_at[j] = t;
        r.risk_value[j] = r.interference[j] - resistance;
        newly.push_back(j);
      }
    }
    r.infected_count += newly.size();
  }
  return r;
}

}  // namespace riskd::engine
