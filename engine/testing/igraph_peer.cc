#include "engine/testing/igraph_peer.h"

#include <igraph.h>

#include <set>
#include <utility>

#include "engine/rng.h"

namespace riskd::engine::testing {

struct IgraphPeer::Graph {
  igraph_t g;
};

IgraphPeer::IgraphPeer(const Network& net) : graph_(std::make_unique<Graph>()) {
  std::set<std::pair<NodeIndex, NodeIndex>> pairs;
  for (const Edge& e : net.Edges()) pairs.emplace(std::min(e.from, e.to), std::max(e.from, e.to));
  igraph_vector_int_t edges;
  igraph_vector_int_init(&edges, static_cast<igraph_integer_t>(2 * pairs.size()));
  igraph_integer_t k = 0;
  for (const auto& [a, b] : pairs) {
    VECTOR(edges)[k++] = a;
    VECTOR(edges)[k++] = b;
  }
  igraph_create(&graph_->g, &edges, static_cast<igraph_integer_t>(net.node_slots()),
                IGRAPH_UNDIRECTED);
  igraph_vector_int_destroy(&edges);
}

IgraphPeer::~IgraphPeer() { igraph_destroy(&graph_->g); }

SirRuns IgraphPeer::Sir(double beta, double gamma, int runs, std::uint64_t seed) {
  igraph_rng_seed(igraph_rng_default(), seed);
  igraph_vector_ptr_t result;
  igraph_vector_ptr_init(&result, 0);
  igraph_sir(&graph_->g, beta, gamma, runs, &result);
  SirRuns out;
  for (igraph_integer_t k = 0; k < igraph_vector_ptr_size(&result); ++k) {
    auto* sir = static_cast<igraph_sir_t*>(VECTOR(result)[k]);
    out.final_sizes.push_back(static_cast<double>(igraph_vector_int_tail(&sir->no_r)));
    out.events += static_cast<std::uint64_t>(igraph_vector_size(&sir->times) - 1);
    igraph_sir_destroy(sir);
    igraph_free(sir);
  }
  igraph_vector_ptr_destroy(&result);
  return out;
}

std::vector<double> IgraphPeer::Betweenness() const {
  igraph_vector_t res;
  igraph_vector_init(&res, 0);
  igraph_betweenness(&graph_->g, &res, igraph_vss_all(), IGRAPH_UNDIRECTED, /*weights=*/nullptr);
  std::vector<double> out(static_cast<std::size_t>(igraph_vector_size(&res)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = VECTOR(res)[static_cast<igraph_integer_t>(i)];
  }
  igraph_vector_destroy(&res);
  return out;
}

SirRuns ContinuousSirRuns(const TransmissionGraph& g, const ContinuousRates& rates, int runs,
                          std::uint64_t seed, std::uint32_t first) {
  ContinuousSir sim(g, rates, seed);
  const CounterRng rng(seed);
  SirRuns out;
  for (int k = 0; k < runs; ++k) {
    const auto realization = first + static_cast<std::uint32_t>(k);
    const auto source = static_cast<NodeIndex>(rng.Uniform(realization, RandomStream::kSource, 0) *
                                               static_cast<double>(g.node_count));
    const NodeIndex s = std::min<NodeIndex>(source, static_cast<NodeIndex>(g.node_count - 1));
    const std::size_t size = sim.Run(realization, {&s, 1});
    out.final_sizes.push_back(static_cast<double>(size));
    // Each infected node is infected once and recovers once; the source's
    // infection is the start, not an event (as in igraph's `times`).
    out.events += 2 * size - 1;
  }
  return out;
}

}  // namespace riskd::engine::testing
