#include "daemon/risk_delta_tracker.h"

#include <string_view>

#include "connectors/codec/output_codec.h"

namespace riskd::daemon {

std::vector<riskd::v1::NodeRiskChanges> RiskDeltaTracker::TakeChanges(const engine::Engine& engine,
                                                                      int risk_type,
                                                                      std::uint64_t journal_seq,
                                                                      std::size_t chunk) {
  std::vector<riskd::v1::NodeRiskChanges> out;
  TakeChanges(engine, risk_type, journal_seq, chunk,
              [&](riskd::v1::NodeRiskChanges& c) { out.push_back(std::move(c)); });
  return out;
}

void RiskDeltaTracker::TakeChanges(const engine::Engine& engine, int risk_type,
                                   std::uint64_t journal_seq, std::size_t chunk,
                                   const std::function<void(riskd::v1::NodeRiskChanges&)>& emit) {
  if (published_.size() < static_cast<std::size_t>(engine.risk_type_count())) {
    published_.resize(static_cast<std::size_t>(engine.risk_type_count()));
  }
  auto& published = published_[static_cast<std::size_t>(risk_type)];
  const auto& net = engine.network();
  const auto& state = engine.risk_state(risk_type);
  published.resize(net.node_slots());
  riskd::v1::NodeRiskChanges current;
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
    if (static_cast<std::size_t>(current.nodes_size()) >= chunk) {
      emit(current);
      // Clear() keeps the repeated field's messages and their strings for
      // the add_nodes() below (FillNodeRisk assigns into them).
      current.Clear();
    }
    if (current.nodes_size() == 0) {
      current.set_risk_type(state.type().name);
      current.set_journal_seq(journal_seq);
    }
    auto* r = current.add_nodes();
    if (net.alive(v)) {
      connectors::FillNodeRisk(engine, risk_type, v, r);
    } else {
      const std::string_view id = net.id(v);
      r->mutable_node_id()->assign(id.data(), id.size());
      r->mutable_risk_type()->assign(state.type().name);
      r->set_observed_state(riskd::v1::NODE_STATE_SUSCEPTIBLE);
      r->set_eta_steps(-1);
    }
  }
  if (current.nodes_size() > 0) emit(current);
}

}  // namespace riskd::daemon
