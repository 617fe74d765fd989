// igraph (libigraph-dev) as the peer implementation for cross-checks and
// benchmarks, never linked into riskd: igraph's SIR and betweenness on the
// same graph, and the engine's continuous-time SIR run the way igraph_sir
// runs it (one uniformly random source per run, no horizon).
#ifndef RISKD_ENGINE_TESTING_IGRAPH_PEER_H_
#define RISKD_ENGINE_TESTING_IGRAPH_PEER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/network.h"
#include "engine/testing/continuous_sir.h"

namespace riskd::engine::testing {

struct SirRuns {
  std::vector<double> final_sizes;  // nodes ever infected, per run
  // Infections and recoveries over all runs, counted as igraph_sir counts
  // them (its `times` less the start): the source's infection at time 0
  // starts a run and is not an event, so a run of final size s has
  // 2 s - 1 events.
  std::uint64_t events = 0;
};

// The network's edges as an undirected simple igraph graph (one edge per
// linked pair; vertex i is node slot i), owned RAII-style.
class IgraphPeer {
 public:
  // REQUIRES: network.compacted() for Betweenness (one value per node slot).
  explicit IgraphPeer(const Network& network);
  ~IgraphPeer();
  IgraphPeer(const IgraphPeer&) = delete;
  IgraphPeer& operator=(const IgraphPeer&) = delete;

  // igraph_sir(graph, beta, gamma, runs) with igraph's default generator
  // seeded with `seed`.
  SirRuns Sir(double beta, double gamma, int runs, std::uint64_t seed);

  // igraph_betweenness, undirected and unweighted: one value per node slot.
  std::vector<double> Betweenness() const;

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
};

// The engine's continuous-time SIR from one uniformly random source per run
// (RandomStream::kSource), realizations first..first+runs-1. Like one
// igraph_sir call (which builds its adjacency list before its runs), a
// call builds the simulator's own layout of the graph (ContinuousSir's
// constructor) before its runs: the same kind of work, inside both of
// engine_bench's timed sections.
SirRuns ContinuousSirRuns(const TransmissionGraph& graph, const ContinuousRates& rates, int runs,
                          std::uint64_t seed, std::uint32_t first = 0);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_IGRAPH_PEER_H_
