#include "engine/transmission.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

VulnerabilityOptions Uniform() {
  VulnerabilityOptions o;
  o.mode = VulnerabilityOptions::Mode::kUniform;
  return o;
}

TEST(TransmissionTest, DependencyShareAndRatesFollowTheFormulas) {
  // Customer 2 buys 1 from supplier 0 and 3 from supplier 1.
  Network net = testing::MakeNetwork(3, {{0, 2, 1.0}, {1, 2, 3.0}});
  RiskType t;
  t.alpha = 2.0;
  t.beta = 0.5;
  auto g = BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, Uniform()));
  ASSERT_EQ(g.edge_count(), 2u);
  ASSERT_EQ(g.in_end(2) - g.in_begin(2), 2u);
  const EdgeIndex e0 = g.in_begin(2), e1 = e0 + 1;
  EXPECT_EQ(g.source[e0], 0u);
  EXPECT_DOUBLE_EQ(g.share[e0], 0.25);
  EXPECT_DOUBLE_EQ(g.share[e1], 0.75);
  EXPECT_DOUBLE_EQ(g.p[e0], 1 - std::exp(-2.0 * 0.25));
  EXPECT_DOUBLE_EQ(g.p[e1], 1 - std::exp(-2.0 * 0.75));
  EXPECT_DOUBLE_EQ(g.q[0], 0.5);
  EXPECT_EQ(g.reverse_of(e0), kNoEdge);
  // No edge has a reverse: no reverse index is kept (4 bytes per edge).
  EXPECT_FALSE(g.has_reverse);
  EXPECT_TRUE(g.reverse.empty());
  // Without shares: the same graph and probabilities, no share array.
  TransmissionOptions lean;
  lean.keep_shares = false;
  const auto h =
      BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, Uniform()), lean);
  EXPECT_TRUE(h.share.empty());
  EXPECT_EQ(h.source, g.source);
  EXPECT_EQ(h.p, g.p);
  EXPECT_EQ(h.q, g.q);
}

TEST(TransmissionTest, DependencyShareFromTheNetworkMatchesTheGraphsShares) {
  // 0 -> 2 (1), 1 -> 2 (3), 2 -> 3 (2), 3 -> 2 (4) on the material layer;
  // 1 -> 2 (5) on the data layer.
  Network net = testing::MakeNetwork(4, {{0, 2, 1.0}, {1, 2, 3.0}, {2, 3, 2.0}, {3, 2, 4.0}});
  ASSERT_TRUE(net.AddEdge(1, 2, Layer::kData, 5.0).ok());
  net.Compact();
  RiskType down;
  EXPECT_DOUBLE_EQ(DependencyShare(net, down, 1, 2), 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(DependencyShare(net, down, 3, 2), 4.0 / 8.0);
  EXPECT_DOUBLE_EQ(DependencyShare(net, down, 2, 1), 0.0);  // no edge that way
  RiskType up = down;
  up.direction = Direction::kUpstream;  // 2 catches it from its customer 3 only
  EXPECT_DOUBLE_EQ(DependencyShare(net, up, 3, 2), 1.0);
  RiskType both = down;
  both.direction = Direction::kBoth;
  both.layers = kAllLayers;
  // Into 2: 1 + 3 + 5 + 4 (in) + 2 (out to 3) = 15; from 3: 4 + 2.
  EXPECT_DOUBLE_EQ(DependencyShare(net, both, 3, 2), 6.0 / 15.0);
  EXPECT_DOUBLE_EQ(DependencyShare(net, both, 1, 2), 8.0 / 15.0);
  // The same as the transmission graph's shares.
  const TransmissionGraph g =
      BuildTransmissionGraph(net, both, ComputeVulnerability(net, kAllLayers, Uniform()));
  for (EdgeIndex e = 0; e < g.edge_count(); ++e) {
    EXPECT_DOUBLE_EQ(DependencyShare(net, both, g.source[e], g.target_of(e)), g.share[e]) << e;
  }
}

TEST(TransmissionTest, DirectionsAndLayersSelectAndMergeEdges) {
  Network net = testing::MakeNetwork(3, {{0, 1, 1.0}, {1, 2, 2.0}});
  ASSERT_TRUE(net.AddEdge("n0", "n1", Layer::kData, 4.0).ok());
  net.Compact();
  RiskType t;
  const auto vul = ComputeVulnerability(net, kAllLayers, Uniform());

  t.direction = Direction::kUpstream;
  auto up = BuildTransmissionGraph(net, t, vul);
  ASSERT_EQ(up.edge_count(), 2u);
  ASSERT_EQ(up.in_end(0) - up.in_begin(0), 1u);
  EXPECT_EQ(up.source[up.in_begin(0)], 1u);  // customer 1 passes risk to supplier 0

  t.direction = Direction::kBoth;
  t.layers = LayerBit(Layer::kMaterial) | LayerBit(Layer::kData);
  auto both = BuildTransmissionGraph(net, t, vul);
  ASSERT_EQ(both.edge_count(), 4u);
  // Into node 1: from 0 (material 1 + data 4 = 5) and from 2 (2): shares 5/7, 2/7.
  const EdgeIndex b = both.in_begin(1);
  EXPECT_EQ(both.source[b], 0u);
  EXPECT_DOUBLE_EQ(both.share[b], 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(both.share[b + 1], 2.0 / 7.0);
  // Reverse edges pair up.
  for (EdgeIndex e = 0; e < both.edge_count(); ++e) {
    ASSERT_NE(both.reverse[e], kNoEdge);
    EXPECT_EQ(both.source[both.reverse[e]], both.target_of(e));
    EXPECT_EQ(both.target_of(both.reverse[e]), both.source[e]);
  }
  // Shares into every node with in-edges sum to 1.
  for (NodeIndex j = 0; j < 3; ++j) {
    double sum = 0;
    for (EdgeIndex e = both.in_begin(j); e < both.in_end(j); ++e) sum += both.share[e];
    EXPECT_NEAR(sum, 1.0, 1e-15);
  }
}

// The engine's path for network changes: the rows the changes touched are
// rebuilt, the others copied. After every batch of random changes (edges
// added, removed and re-weighted on two layers, nodes added, removed and
// given another inventory), the updated graph is the one built from scratch,
// for every direction, with and without shares, on a snapshot of
// vulnerability padded for new nodes as the engine pads it.
TEST(TransmissionTest, UpdatedGraphEqualsOneBuiltFromScratch) {
  for (Direction direction : {Direction::kDownstream, Direction::kUpstream, Direction::kBoth}) {
    for (bool keep_shares : {false, true}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(direction)) + (keep_shares ? " shares" : ""));
      Network net = testing::RandomGraph(80, 160, 31);
      RiskType type;
      type.direction = direction;
      type.layers = LayerBit(Layer::kMaterial) | LayerBit(Layer::kData);
      type.alpha = 1.3;
      type.beta = 0.4;
      Vulnerability vul = ComputeVulnerability(net, type.layers, {});
      TransmissionOptions options;
      options.keep_shares = keep_shares;
      options.step_days = 0.5;
      TransmissionGraph graph = BuildTransmissionGraph(net, type, vul, options);
      std::mt19937_64 rng(7);
      auto alive_node = [&] {
        for (;;) {
          const auto v = static_cast<NodeIndex>(rng() % net.node_slots());
          if (net.alive(v)) return v;
        }
      };
      int added = 0;
      for (int batch = 0; batch < 40; ++batch) {
        std::vector<NodeIndex> rows;
        for (int k = 0; k < 6; ++k) {
          const NodeIndex u = alive_node(), v = alive_node();
          const std::string a(net.id(u)), b(net.id(v));
          const Layer layer = rng() % 3 == 0 ? Layer::kData : Layer::kMaterial;
          const double weight = 0.5 + static_cast<double>(rng() % 100) / 40;
          Status st;
          switch (rng() % 7) {
            case 0:
            case 1:
              st = net.AddEdge(a, b, layer, weight);
              break;
            case 2:
              st = net.RemoveEdge(a, b, layer);
              if (!st.ok()) {  // an existing edge of u, then
                const auto edges = net.EdgesOf(u);
                if (!edges.empty()) {
                  const Edge& e = edges[rng() % edges.size()];
                  rows.push_back(e.from);
                  rows.push_back(e.to);
                  st = net.RemoveEdge(net.id(e.from), net.id(e.to), e.layer);
                }
              }
              break;
            case 3: {
              const auto edges = net.EdgesOf(u);
              if (edges.empty()) continue;
              const Edge& e = edges[rng() % edges.size()];
              rows.push_back(e.from);
              rows.push_back(e.to);
              st = net.SetEdgeWeight(net.id(e.from), net.id(e.to), e.layer, weight);
              break;
            }
            case 4: {
              NodeAttributes attrs;
              attrs.id = "added" + std::to_string(added++);
              attrs.inventory_days = static_cast<double>(rng() % 3);
              st = net.AddNode(attrs).status();
              if (st.ok()) st = net.AddEdge(attrs.id, b, Layer::kMaterial, weight);
              break;
            }
            case 5: {
              // The node and every neighbour.
              for (const Edge& e : net.EdgesOf(u)) rows.push_back(e.from == u ? e.to : e.from);
              st = net.RemoveNode(a);
              break;
            }
            default: {
              NodeAttributes attrs = net.node(u);
              attrs.inventory_days = static_cast<double>(rng() % 4);
              st = net.UpdateNode(attrs);
            }
          }
          rows.push_back(u);
          rows.push_back(v);
          (void)st;  // rejections (an edge that exists) are fine
        }
        net.Compact();
        const std::size_t n = net.node_slots();
        vul.sigma.resize(n, 1.0);
        vul.rho.resize(n, 1.0);
        UpdateTransmissionGraph(&graph, net, type, vul, rows, options);
        ASSERT_TRUE(graph == BuildTransmissionGraph(net, type, vul, options)) << "batch " << batch;
      }
      EXPECT_GT(net.node_slots(), 80u);
      EXPECT_LT(net.node_count(), net.node_slots());  // some were removed
    }
  }
}

// The ids of a node's out-edges in out-position order, as a counting sort
// of the in-rows on their sources gives them (what out_edges held on every
// graph before `loadmem2`).
std::vector<EdgeIndex> OutEdgeIdsBySort(const TransmissionGraph& g) {
  std::vector<EdgeIndex> ids(g.edge_count());
  std::vector<EdgeIndex> cursor(g.out_offsets.begin(), g.out_offsets.end() - 1);
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) ids[cursor[g.source[e]]++] = e;
  }
  return ids;
}

// A one-way graph holds no out-edge ids (4 bytes per edge): out(i) finds
// each in its target's in-row, the same ids a stored index holds, read by
// position or by iteration. A graph with reverse edges keeps them stored;
// an update keeps each kind as a rebuild has it.
TEST(TransmissionTest, AOneWayGraphFindsItsOutEdgeIdsInsteadOfHoldingThem) {
  auto net = std::make_unique<Network>(testing::RandomGraph(60, 150, 7));
  for (Direction direction : {Direction::kDownstream, Direction::kUpstream, Direction::kBoth}) {
    SCOPED_TRACE(static_cast<int>(direction));
    RiskType type;
    type.direction = direction;
    const Vulnerability vul = ComputeVulnerability(*net, type.layers, Uniform());
    TransmissionGraph g = BuildTransmissionGraph(*net, type, vul);
    ASSERT_EQ(g.has_reverse, direction == Direction::kBoth);
    ASSERT_GT(g.edge_count(), 100u);
    const std::vector<EdgeIndex> expected = OutEdgeIdsBySort(g);
    EXPECT_EQ(OutEdgeIds(g), expected);  // what the planner builds while drawing
    if (g.has_reverse) {
      EXPECT_EQ(g.out_edges, expected);
    } else {
      EXPECT_TRUE(g.out_edges.empty());
      EXPECT_EQ(g.MemoryBytes(), g.in_offsets.OwnBytes() + g.out_offsets.OwnBytes() +
                                     g.out_targets.OwnBytes() + g.source.OwnBytes() +
                                     (g.share.capacity() + g.p.capacity() + g.q.capacity()) * 8 +
                                     g.latency.capacity() * 2);
    }
    for (NodeIndex i = 0; i < g.node_count; ++i) {
      const OutEdges out = g.out(i);
      ASSERT_EQ(out.size(), g.successors(i).size());
      EXPECT_EQ(out.empty(), out.size() == 0);
      std::vector<EdgeIndex> iterated;
      for (const EdgeIndex e : out) iterated.push_back(e);
      for (std::size_t x = 0; x < out.size(); ++x) {
        const EdgeIndex e = expected[g.out_offsets[i] + x];
        EXPECT_EQ(out[x], e);
        EXPECT_EQ(iterated[x], e);
        EXPECT_EQ(g.EdgeBetween(i, g.successors(i)[x]), e);
      }
    }
    // An update of a few rows: as a rebuild, out-edge ids held or not alike.
    Network changed = *net;
    ASSERT_TRUE(changed
                    .SetEdgeWeight(changed.id(g.source[0]), changed.id(g.target_of(0)),
                                   Layer::kMaterial, 5.0)
                    .ok() ||
                changed
                    .SetEdgeWeight(changed.id(g.target_of(0)), changed.id(g.source[0]),
                                   Layer::kMaterial, 5.0)
                    .ok());
    changed.Compact();
    const NodeIndex rows[] = {g.source[0], g.target_of(0)};
    UpdateTransmissionGraph(&g, changed, type, vul, rows);
    const TransmissionGraph rebuilt = BuildTransmissionGraph(changed, type, vul);
    EXPECT_TRUE(g == rebuilt);
    EXPECT_EQ(g.out_edges.empty(), !g.has_reverse);
  }
}

// Two layers on one pair are one arc (AppendArcsInto merges them), so the
// id a one-way graph finds for an out-edge is that arc's, in its target's
// in-row, with its source: the same as the counting-sort build.
TEST(TransmissionTest, AOneWayGraphFindsTheMergedArcOfEdgesOnTwoLayers) {
  // 0 -> 1 on both layers, 0 -> 2 on data only, 1 -> 2 and 2 -> 3 on
  // material; 3 -> 1 on data closes no reverse pair.
  Network net = testing::MakeNetwork(4, {{0, 1, 1.0}, {1, 2, 2.0}, {2, 3, 3.0}});
  ASSERT_TRUE(net.AddEdge(0, 1, Layer::kData, 4.0).ok());
  ASSERT_TRUE(net.AddEdge(0, 2, Layer::kData, 5.0).ok());
  ASSERT_TRUE(net.AddEdge(3, 1, Layer::kData, 6.0).ok());
  net.Compact();
  RiskType type;
  type.layers = kAllLayers;
  const TransmissionGraph g =
      BuildTransmissionGraph(net, type, ComputeVulnerability(net, kAllLayers, Uniform()));
  ASSERT_FALSE(g.has_reverse);
  ASSERT_TRUE(g.out_edges.empty());
  ASSERT_EQ(g.edge_count(), 5u);  // 0->1 (two layers, one arc), 0->2, 1->2, 2->3, 3->1
  const std::vector<EdgeIndex> built = OutEdgeIds(g);
  ASSERT_EQ(built.size(), 5u);
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    const OutEdges out = g.out(i);
    for (std::size_t x = 0; x < out.size(); ++x) {
      const NodeIndex j = g.successors(i)[x];
      const EdgeIndex e = out[x];
      EXPECT_EQ(g.source[e], i);
      EXPECT_GE(e, g.in_begin(j));
      EXPECT_LT(e, g.in_end(j));
      EXPECT_EQ(e, built[g.out_offsets[i] + x]);
    }
  }
  // The merged arc carries both layers' weight: 0 is all of 1's supply
  // from it but for 3's 6 (shares 5 / 11 and 6 / 11).
  const EdgeIndex merged = g.EdgeBetween(0, 1);
  EXPECT_EQ(g.source[merged], 0u);
  EXPECT_DOUBLE_EQ(g.share[merged], 5.0 / 11.0);
}

// A downstream type over every layer of a network with one edge per pair
// has the network's in- and out-offsets, in-sources and out-targets: the
// graph holds the network's buffers, not copies, reads the same through
// them, and counts only what it holds alone. Other graphs keep their own
// arrays.
TEST(TransmissionTest, IndexArraysEqualToTheNetworksAreHeldAsItsBuffers) {
  auto net = std::make_unique<Network>(testing::RandomGraph(60, 150, 5));
  RiskType down;
  const Vulnerability vul = ComputeVulnerability(*net, down.layers, Uniform());
  TransmissionGraph g = BuildTransmissionGraph(*net, down, vul);
  ASSERT_EQ(g.edge_count(), net->csr_edge_count());
  EXPECT_TRUE(g.in_offsets.SharesWith(net->in_offsets_array()));
  EXPECT_TRUE(g.out_offsets.SharesWith(net->out_offsets_array()));
  EXPECT_TRUE(g.out_targets.SharesWith(net->out_targets_array()));
  EXPECT_TRUE(g.source.SharesWith(net->in_sources_array()));
  // The targets read every way agree with the in-rows.
  const std::vector<NodeIndex> targets = g.Targets();
  for (NodeIndex j = 0; j < g.node_count; ++j) {
    for (EdgeIndex e = g.in_begin(j); e < g.in_end(j); ++e) {
      EXPECT_EQ(targets[e], j);
      EXPECT_EQ(g.target_of(e), j);
    }
  }
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    const auto out = g.out(i);
    const auto succ = g.successors(i);
    ASSERT_EQ(out.size(), succ.size());
    for (std::size_t x = 0; x < out.size(); ++x) {
      EXPECT_EQ(g.source[out[x]], i);
      EXPECT_EQ(succ[x], g.target_of(out[x]));
      if (x > 0) {
        EXPECT_LT(succ[x - 1], succ[x]);
      }
    }
  }
  // Bytes: the shared arrays count once the network no longer holds them.
  const std::size_t own = g.out_edges.capacity() * 4 +
                          (g.share.capacity() + g.p.capacity() + g.q.capacity()) * 8 +
                          g.latency.capacity() * 2;
  EXPECT_TRUE(g.reverse.empty());
  EXPECT_EQ(g.MemoryBytes(), own);
  const std::size_t shared = g.in_offsets.CapacityBytes() + g.out_offsets.CapacityBytes() +
                             g.out_targets.CapacityBytes() + g.source.CapacityBytes();
  EXPECT_EQ(shared, (2 * (g.node_count + 1) + 2 * g.edge_count()) * 4);

  // Upstream and both ways: the graph's own arrays (the network's values
  // differ), equal to what a graph built apart from any network holds.
  for (Direction direction : {Direction::kUpstream, Direction::kBoth}) {
    RiskType type;
    type.direction = direction;
    const TransmissionGraph h = BuildTransmissionGraph(*net, type, vul);
    EXPECT_FALSE(h.out_targets.SharesWith(net->out_targets_array()));
    EXPECT_FALSE(h.in_offsets.SharesWith(net->in_offsets_array()));
    EXPECT_FALSE(h.source.SharesWith(net->in_sources_array()));
    for (NodeIndex i = 0; i < h.node_count; ++i) {
      const auto out = h.out(i);
      for (std::size_t x = 0; x < out.size(); ++x) {
        EXPECT_EQ(h.successors(i)[x], h.target_of(out[x]));
      }
    }
  }

  // A change: the updated graph holds the network's new buffers (equal to
  // a rebuild's), the old ones are freed with the network's copy of them.
  const TransmissionGraph before = g;
  ASSERT_TRUE(net->AddEdge(net->id(3), net->id(7), Layer::kMaterial, 2.0).ok() ||
              net->SetEdgeWeight(net->id(3), net->id(7), Layer::kMaterial, 2.0).ok());
  net->Compact();
  const NodeIndex rows[] = {3, 7};
  UpdateTransmissionGraph(&g, *net, down, vul, rows);
  EXPECT_TRUE(g == BuildTransmissionGraph(*net, down, vul));
  EXPECT_TRUE(g.out_targets.SharesWith(net->out_targets_array()));
  EXPECT_TRUE(g.in_offsets.SharesWith(net->in_offsets_array()));
  EXPECT_TRUE(g.source.SharesWith(net->in_sources_array()));
  EXPECT_FALSE(before.out_targets.SharesWith(g.out_targets));

  // Without the network the graph reads the same and counts the arrays.
  net.reset();
  EXPECT_EQ(g.MemoryBytes(), g.out_edges.capacity() * 4 +
                                 (g.share.capacity() + g.p.capacity() + g.q.capacity()) * 8 +
                                 g.latency.capacity() * 2 + g.in_offsets.CapacityBytes() +
                                 g.out_offsets.CapacityBytes() + g.out_targets.CapacityBytes() +
                                 g.source.CapacityBytes());
  EXPECT_GT(g.in_offsets.OwnBytes(), 0u);
}

// A row left out keeps its old arcs: the list of rows is what the update
// trusts (the engine lists both ends of every changed edge).
TEST(TransmissionTest, UpdateRebuildsOnlyTheRowsListed) {
  Network net = testing::MakeNetwork(3, {{0, 2, 1.0}, {1, 2, 3.0}});
  RiskType type;
  const Vulnerability vul = ComputeVulnerability(net, type.layers, Uniform());
  TransmissionGraph graph = BuildTransmissionGraph(net, type, vul);
  ASSERT_TRUE(net.SetEdgeWeight("n1", "n2", Layer::kMaterial, 1.0).ok());
  net.Compact();
  const TransmissionGraph fresh = BuildTransmissionGraph(net, type, vul);
  TransmissionGraph stale = graph;
  const NodeIndex supplier = 1, customer = 2;
  UpdateTransmissionGraph(&stale, net, type, vul, {&supplier, 1});
  EXPECT_FALSE(stale == fresh);
  EXPECT_DOUBLE_EQ(stale.share[stale.in_begin(2)], 0.25);  // the old 1 : 3
  UpdateTransmissionGraph(&graph, net, type, vul, {&customer, 1});
  EXPECT_TRUE(graph == fresh);
  EXPECT_DOUBLE_EQ(graph.share[graph.in_begin(2)], 0.5);
}

}  // namespace
}  // namespace riskd::engine
