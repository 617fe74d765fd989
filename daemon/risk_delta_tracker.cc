#include "daemon/risk_delta_tracker.h"

#include "connectors/codec/output_codec.h"

namespace riskd::daemon {

std::vector<riskd::v1::NodeRiskChanges> RiskDeltaTracker::TakeChanges(const engine::Engine& engine,
                                                                      int risk_type,
                                                                      std::uint64_t journal_seq,
                                                                      std::size_t chunk) {
  if (published_.size() < static_cast<std::size_t>(engine.risk_type_count())) {
    published_.resize(static_cast<std::size_t>(engine.risk_type_count()));
  }
  auto& published = published_[static_cast<std::size_t>(risk_type)];
  const auto& net = engine.network();
  const auto& state = engine.risk_state(risk_type);
  published.resize(net.node_slots());
  std::vector<riskd::v1::NodeRiskChanges> out;
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    Published now;
    if (net.alive(v)) {
      now.state = state.observed()[v].state;
      if (state.projected() && v < state.projection().risk.size()) {
        now.probability = state.projection().risk[v];
        now.eta = state.projection().eta[v];
      }
    }
    Published& before = published[v];
    if (now.state == before.state && now.probability == before.probability &&
        now.eta == before.eta) {
      continue;
    }
    before = now;
    if (out.empty() || static_cast<std::size_t>(out.back().nodes_size()) >= chunk) {
      auto& c = out.emplace_back();
      c.set_risk_type(state.type().name);
      c.set_journal_seq(journal_seq);
    }
    auto* r = out.back().add_nodes();
    if (net.alive(v)) {
      *r = connectors::MakeNodeRisk(engine, risk_type, v);
    } else {
      r->set_node_id(std::string(net.id(v)));
      r->set_risk_type(state.type().name);
      r->set_observed_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
      r->set_eta_steps(-1);
    }
  }
  return out;
}

}  // namespace riskd::daemon
