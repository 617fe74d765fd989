// The continuous-time (exponential) variant of the SIR model
// (docs/model.md section 7), simulated as first-passage percolation with
// common random numbers, for comparison with igraph's igraph_sir.
//
// An infectious node v stays infectious for D_v ~ Exp(gamma_v); along each
// edge v -> j it would infect j after X_vj ~ Exp(lambda_vj). j is infected
// at a_v + X_vj + L_j when X_vj < D_v; infection times are shortest paths
// (Dijkstra from the sources). As in engine/monte_carlo.h, D_v and X_vj are
// pure functions of (seed, realization, node or edge) from engine/rng.h.
// With lambda = beta and gamma uniform, L = 0 and an undirected graph, the
// final-size distribution is that of igraph_sir(graph, beta, gamma).
#ifndef RISKD_ENGINE_TESTING_CONTINUOUS_SIR_H_
#define RISKD_ENGINE_TESTING_CONTINUOUS_SIR_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/risk_type.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

struct ContinuousRates {
  std::vector<double> edge_rate;      // lambda per edge of the graph, >= 0
  std::vector<double> recovery_rate;  // gamma per node, >= 0
};

// The model's rates: lambda_ij = alpha_r w~_ij sigma_j, gamma_i = beta_r rho_i.
// REQUIRES: the graph was built with TransmissionOptions::keep_shares.
ContinuousRates ModelRates(const TransmissionGraph& graph, const RiskType& type,
                           const Vulnerability& vulnerability);
// lambda = beta on every edge, gamma on every node (igraph_sir's model).
ContinuousRates UniformRates(const TransmissionGraph& graph, double beta, double gamma);

class RadixHeap;

class ContinuousSir {
 public:
  // REQUIRES: rates sized for graph; node_count + edge_count below 2^32
  // (aborts otherwise). The graph's arcs are copied: it need not outlive
  // this object.
  ContinuousSir(const TransmissionGraph& graph, const ContinuousRates& rates, std::uint64_t seed);
  ~ContinuousSir();
  ContinuousSir(const ContinuousSir&) = delete;
  ContinuousSir& operator=(const ContinuousSir&) = delete;

  // One realization from `sources` (infected at time 0); returns the number
  // of nodes infected by `horizon`, sources included.
  std::size_t Run(std::uint32_t realization, std::span<const NodeIndex> sources,
                  double horizon = std::numeric_limits<double>::infinity());
  // Infection (onset) time of v in the last run, +inf if not infected.
  double infection_time(NodeIndex v) const {
    return nodes_[v].run == run_ ? nodes_[v].time : std::numeric_limits<double>::infinity();
  }
  // Edges examined in the last run.
  std::uint64_t last_work() const { return work_; }
  // Makes the next run's stamp `run` + 1, so a test can reach the stamps'
  // wrap-around (after 2^32 runs) without running them.
  void SetRunStampForTesting(std::uint32_t run) { run_ = run; }

 private:
  std::uint64_t seed_;
  // Per node, what an arc that transmits to it reads and writes: its time,
  // valid if stamped with this run (no pass to reset the reached nodes'
  // records after a run), and where its row of arcs starts, which the heap
  // carries so that a pop reads the row without the record.
  struct NodeState {
    double time = std::numeric_limits<double>::infinity();  // onset in run `run`
    EdgeIndex row = 0;                                      // its row in arcs_
    std::uint32_t run = 0;
  };
  std::vector<NodeState> nodes_;
  std::uint32_t run_ = 0;  // stamp of the current run, from 1
  // Out-edges in out-CSR order, each row preceded by its length, so a
  // node's edges are read sequentially rather than through edge ids; the
  // targets (the random numbers' counters) apart from the rates, latency
  // only if some node has it.
  std::vector<NodeIndex> arcs_;
  std::vector<double> arc_rate_;       // as arcs_; empty when every edge has uniform_edge_rate_
  std::vector<double> latency_;        // empty when no node has latency
  std::vector<double> recovery_rate_;  // empty when every node has uniform_recovery_rate_
  double uniform_edge_rate_ = 0;
  double uniform_recovery_rate_ = 0;
  std::vector<NodeIndex> reached_;  // this run's, to clear their settled bits
  std::unique_ptr<RadixHeap> heap_;
  // Per node, a bit: infected and its arcs scanned in this run.
  std::vector<std::uint64_t> settled_;
  // Scratch of one infection: the arcs that may transmit (targets, positions
  // in the row) and their uniforms.
  std::vector<NodeIndex> targets_;
  std::vector<std::uint32_t> positions_;
  std::vector<double> uniforms_;
  std::uint64_t work_ = 0;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_TESTING_CONTINUOUS_SIR_H_
