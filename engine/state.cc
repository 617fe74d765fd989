#include "engine/state.h"

#include "engine/observation_table.h"

namespace riskd::engine {
namespace {

// Observations is indexable by NodeIndex and has size().
template <typename Observations>
InitialState FromEach(const Network& network, const Observations& observed) {
  const std::size_t n = network.node_slots();
  InitialState s;
  s.p_s.assign(n, 1.0);
  s.p_i.assign(n, 0.0);
  s.p_r.assign(n, 0.0);
  for (NodeIndex v = 0; v < n; ++v) {
    const Observation o = v < observed.size() ? observed[v] : Observation{};
    if (!network.alive(v) || o.state == NodeState::kRecovered || o.state == NodeState::kImmunized) {
      s.p_s[v] = 0.0;
      s.p_r[v] = 1.0;
    } else if (o.state == NodeState::kDisrupted) {
      s.p_i[v] = o.severity;
      s.p_s[v] = 1.0 - o.severity;
    }
  }
  return s;
}

}  // namespace

InitialState InitialState::FromObservations(const Network& network,
                                            const std::vector<Observation>& observed) {
  return FromEach(network, observed);
}

InitialState InitialState::FromObserved(const Network& network, const ObservationTable& observed) {
  return FromEach(network, observed);
}

}  // namespace riskd::engine
