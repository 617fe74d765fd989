// Whether spread is supercritical (docs/model.md section 9): the spectral radius of
// the transmission operator on the part of the network that can still take
// part, and of its non-backtracking version (the sharper test: it does not
// count a risk bouncing back along the edge it came by).
//
// Edge e = i -> j carries the transmissibility
//   T_e = p_e / (p_e + q_i - p_e q_i),
// the probability that i, once infectious, ever infects j (geometric
// infectious period, per-step attempts; the horizon is ignored). Nodes with
// P_R(0) = 1 (recovered, immunized, removed) are left out. The operators are
//   M x (j)      = sum_{i -> j} T_{ij} x(i)
//   B x (i -> j) = T_{ij} sum_{k -> i, k != j} x(k -> i).
// Both are non-negative; their Perron roots come from power iteration on
// M + I (the shift makes periodic structures converge).
//
// Only nodes on a cycle carry a nonzero eigenvalue: the power iteration runs
// on the nodes (and, for B, the arcs between nodes) of the graph's cycles,
// which have the same spectral radius as the whole operator, and ends at
// once, radius exactly 0, when there is none (downstream spread on a tiered,
// acyclic supply chain). Finding the cycles is one pass over the arcs; a
// caller that refreshes the radius of one graph often keeps them
// (CyclicNodes) and passes them in.
#ifndef RISKD_ENGINE_SPECTRAL_H_
#define RISKD_ENGINE_SPECTRAL_H_

#include <vector>

#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

struct SpectralOptions {
  // Power iteration stops when the estimate moves less than tolerance
  // (relative), or after max_iterations. 0 iterations disables the check.
  int max_iterations = 300;
  double tolerance = 1e-6;
};

struct SpectralRadius {
  double transmission = 0;      // rho(M)
  double non_backtracking = 0;  // rho(B)
  // Non-backtracking radius above 1: a new outbreak can grow without bound.
  bool supercritical = false;
  int iterations = 0;
};

// T_e for every edge of the graph.
std::vector<double> Transmissibility(const TransmissionGraph& graph);

// 1 for each node that lies on a cycle of the arcs with T_e > 0 (in a
// strongly connected component of two or more nodes, or with an arc to
// itself), 0 for the others. A function of the graph only: the nodes taken
// out by a state (P_R(0) = 1) can only break cycles, never make one.
std::vector<char> CyclicNodes(const TransmissionGraph& graph);

// `cyclic`: CyclicNodes(graph) when the caller has it, else computed here;
// the result is the same either way.
SpectralRadius ComputeSpectralRadius(const TransmissionGraph& graph, const InitialState& initial,
                                     const SpectralOptions& options,
                                     const std::vector<char>* cyclic = nullptr);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_SPECTRAL_H_
