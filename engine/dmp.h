// Dynamic message passing (DMP) for the discrete-time SIR model on a
// TransmissionGraph (Karrer & Newman 2010; Lokhov, Mezard & Zdeborova 2015).
//
// Model, per step t -> t+1: every node infected at t infects each susceptible
// out-neighbour j with probability p_ij (independently), then recovers with
// probability q_i. For edge e = k -> i the messages are
//   theta_e(t) = theta_e(t-1) - p_e phi_e(t-1)
//   phi_e(t)   = (1 - p_e)(1 - q_k) phi_e(t-1) - [P_S^{k->i}(t) - P_S^{k->i}(t-1)]
//   P_S^{k->i}(t) = P_S^k(0) prod_{l -> k, l != i} theta_{l->k}(t)
// with theta(0) = 1, phi(0) = P_I^k(0), and the marginals
//   P_S^i(t) = P_S^i(0) prod_{k -> i} theta_{k->i}(t)
//   P_R^i(t) = P_R^i(t-1) + q_i P_I^i(t-1),  P_I = 1 - P_S - P_R.
// Exact on trees (tests compare with enumeration of all outcomes).
//
// Cost follows the region at risk: a node's out-messages are only propagated
// once its P_S has dropped by more than `tolerance` (or it starts infected);
// all others keep theta = 1, phi = 0 exactly.
#ifndef RISKD_ENGINE_DMP_H_
#define RISKD_ENGINE_DMP_H_

#include <cstdint>
#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

struct DmpOptions {
  // Horizon T in steps, >= 1.
  int horizon = 30;
  // Mass below which a node's messages are not propagated. >= 0.
  double tolerance = 1e-9;
  // Keep P_S, P_I, P_R of every node at every step (tests, small graphs).
  bool record_marginals = false;
};

struct DmpResult {
  int horizon = 0;
  // P(node disrupted at some t <= T) = 1 - P_S(T), per node slot.
  std::vector<double> risk;
  // First t in 0..T with 1 - P_S(t) >= 0.5, else -1.
  std::vector<int> eta;
  std::vector<double> p_i;  // P_I(T)
  std::vector<double> p_r;  // P_R(T)
  // The in-neighbour most likely to have passed the risk on (largest
  // 1 - theta_{k->i}(T)), or kNoNode.
  std::vector<NodeIndex> parent;
  // sum of risk over alive nodes
  double expected_disrupted = 0;
  // Work done: nodes whose messages were propagated, edge-steps updated.
  std::size_t touched_nodes = 0;
  std::uint64_t edge_updates = 0;
  // With record_marginals: [t][node], t = 0..T.
  std::vector<std::vector<double>> p_s_t, p_i_t, p_r_t;
};

// REQUIRES: initial has graph.node_count entries per vector, each summing to 1.
DmpResult RunDmp(const TransmissionGraph& graph, const InitialState& initial,
                 const DmpOptions& options);

// Follows DmpResult::parent from `node` back to a node that started infected:
// the path, source first. Empty if `node` has no risk.
std::vector<NodeIndex> CausePath(const DmpResult& result, const InitialState& initial,
                                 NodeIndex node, std::size_t max_length = 64);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_DMP_H_
