#include "engine/value_at_risk.h"

#include <algorithm>

namespace riskd::engine {

std::vector<double> NodeValues(const Network& net) {
  const std::size_t n = net.node_slots();
  std::vector<double> in(n, 0.0), out(n, 0.0);
  for (NodeIndex u = 0; u < n; ++u) {
    if (!net.alive(u)) continue;
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      out[u] += net.edge_weight(e);
      in[net.edge_target(e)] += net.edge_weight(e);
    }
  }
  for (NodeIndex v = 0; v < n; ++v) {
    if (!net.alive(v)) {
      out[v] = 0;
      continue;
    }
    const auto own = net.value(v);
    out[v] = own ? *own : std::max(in[v], out[v]);
  }
  return out;
}

}  // namespace riskd::engine
