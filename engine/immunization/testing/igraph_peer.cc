#include "engine/immunization/testing/igraph_peer.h"

namespace riskd::engine::immunization::testing {

IgraphPeer::IgraphPeer(const Network& network) {
  igraph_vector_int_t edges;
  igraph_vector_int_init(&edges, 0);
  for (const Edge& e : network.Edges()) {
    igraph_vector_int_push_back(&edges, e.from);
    igraph_vector_int_push_back(&edges, e.to);
  }
  igraph_create(&graph_, &edges, static_cast<igraph_integer_t>(network.node_slots()),
                IGRAPH_UNDIRECTED);
  igraph_vector_int_destroy(&edges);
  igraph_simplify(&graph_, /*multiple=*/true, /*loops=*/true, /*edge_comb=*/nullptr);
}

IgraphPeer::~IgraphPeer() { igraph_destroy(&graph_); }

std::vector<double> IgraphPeer::Betweenness() const {
  igraph_vector_t res;
  igraph_vector_init(&res, 0);
  igraph_betweenness(&graph_, &res, igraph_vss_all(), IGRAPH_UNDIRECTED, /*weights=*/nullptr);
  std::vector<double> out(static_cast<std::size_t>(igraph_vector_size(&res)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = VECTOR(res)[static_cast<igraph_integer_t>(i)];
  }
  igraph_vector_destroy(&res);
  return out;
}

}  // namespace riskd::engine::immunization::testing
