#include "engine/immunization/testing/spread.h"

namespace riskd::engine::immunization::testing {

TransmissionGraph SpreadGraph(const Network& net, Direction direction, double alpha, double beta,
                              bool uniform) {
  RiskType type;
  type.alpha = alpha;
  type.beta = beta;
  type.direction = direction;
  VulnerabilityOptions vulnerability;
  if (uniform) vulnerability.mode = VulnerabilityOptions::Mode::kUniform;
  return BuildTransmissionGraph(net, type, ComputeVulnerability(net, type.layers, vulnerability));
}

InitialState Disrupted(const Network& net,
                       const std::vector<std::pair<NodeIndex, double>>& sources) {
  std::vector<Observation> observed(net.node_slots());
  for (const auto& [node, severity] : sources) observed[node] = {NodeState::kDisrupted, severity};
  return InitialState::FromObservations(net, observed);
}

}  // namespace riskd::engine::immunization::testing
