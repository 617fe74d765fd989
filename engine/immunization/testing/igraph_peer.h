// igraph as a peer for tests and benchmarks (never linked into riskd_engine):
// the undirected simple graph of a network as an igraph_t, owned RAII-style.
#ifndef RISKD_ENGINE_IMMUNIZATION_TESTING_IGRAPH_PEER_H_
#define RISKD_ENGINE_IMMUNIZATION_TESTING_IGRAPH_PEER_H_

#include <igraph.h>

#include <vector>

#include "engine/network.h"

namespace riskd::engine::immunization::testing {

class IgraphPeer {
 public:
  // Every edge of the network, undirected, duplicates merged; vertex i is
  // node slot i. REQUIRES: network.compacted()
  explicit IgraphPeer(const Network& network);
  ~IgraphPeer();
  IgraphPeer(const IgraphPeer&) = delete;
  IgraphPeer& operator=(const IgraphPeer&) = delete;

  // igraph_betweenness, undirected and unweighted: one value per node slot.
  std::vector<double> Betweenness() const;

 private:
  igraph_t graph_;
};

}  // namespace riskd::engine::immunization::testing

#endif  // RISKD_ENGINE_IMMUNIZATION_TESTING_IGRAPH_PEER_H_
