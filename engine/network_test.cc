#include "engine/network.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace riskd::engine {
namespace {

NodeAttributes Node(const std::string& id) {
  NodeAttributes a;
  a.id = id;
  return a;
}

// A node added since the last Compact() has no CSR row yet, edges or not:
// the adjacency is not current (a checkpoint read it as it was and wrote
// garbage), and Compact() makes it so.
TEST(NetworkTest, ANodeAddedSinceCompactIsNotCompactedEvenWithoutEdges) {
  Network net;
  ASSERT_TRUE(net.AddNode(Node("a")).ok());
  net.Compact();
  EXPECT_TRUE(net.compacted());
  ASSERT_TRUE(net.AddNode(Node("b")).ok());
  EXPECT_FALSE(net.compacted());
  net.Compact();
  EXPECT_TRUE(net.compacted());
  EXPECT_EQ(net.out_end(1) - net.out_begin(1), 0u);
}

TEST(NetworkTest, AddsNodesAndEdgesAndBuildsBothAdjacencies) {
  Network net;
  ASSERT_TRUE(net.AddNode(Node("a")).ok());
  ASSERT_TRUE(net.AddNode(Node("b")).ok());
  ASSERT_TRUE(net.AddNode(Node("c")).ok());
  ASSERT_TRUE(net.AddEdge("a", "b", Layer::kMaterial, 2.0).ok());
  ASSERT_TRUE(net.AddEdge("a", "c", Layer::kMaterial, 3.0).ok());
  ASSERT_TRUE(net.AddEdge("a", "b", Layer::kData, 1.0).ok());
  ASSERT_TRUE(net.AddEdge("c", "b", Layer::kMaterial, 4.0).ok());
  EXPECT_FALSE(net.compacted());
  EXPECT_EQ(net.edge_count(), 4u);
  EXPECT_EQ(*net.FindEdge(0, 1, Layer::kData), 1.0);  // visible before Compact
  net.Compact();
  EXPECT_EQ(net.out_end(0) - net.out_begin(0), 3u);
  // Row sorted by (target, layer): b/material, b/data, c/material.
  EXPECT_EQ(net.edge_target(net.out_begin(0)), 1u);
  EXPECT_EQ(net.edge_layer(net.out_begin(0)), Layer::kMaterial);
  EXPECT_EQ(net.edge_layer(net.out_begin(0) + 1), Layer::kData);
  EXPECT_EQ(net.edge_target(net.out_begin(0) + 2), 2u);
  // In-row of b: sources by (source, layer), each in-edge found in its
  // source's out-row (a -> b twice: material, then data).
  const auto in_b = net.in_sources(1);
  EXPECT_EQ(std::vector<NodeIndex>(in_b.begin(), in_b.end()), (std::vector<NodeIndex>{0, 0, 2}));
  EXPECT_EQ(net.in_edge(1, 0), net.out_begin(0));
  EXPECT_EQ(net.in_edge(1, 1), net.out_begin(0) + 1);
  EXPECT_EQ(net.edge_source(net.in_edge(1, 2)), 2u);
  EXPECT_EQ(net.edge_target(net.in_edge(1, 2)), 1u);
  const std::vector<NodeIndex> sources = net.EdgeSources();
  for (NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      EXPECT_EQ(sources[e], u);
      EXPECT_EQ(net.edge_source(e), u);
    }
  }
  EXPECT_EQ(*net.FindEdge(2, 1, Layer::kMaterial), 4.0);
  EXPECT_FALSE(net.FindEdge(1, 2, Layer::kMaterial).has_value());
}

TEST(NetworkTest, ShrinkToFitKeepsNodesEdgesAndLookups) {
  Network net;
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(net.AddNode(Node("n" + std::to_string(i))).ok());
  std::vector<Edge> edges;
  for (NodeIndex u = 0; u + 1 < 3000; ++u) {
    edges.push_back({u, u + 1, Layer::kMaterial, 1.0 + u});
    if (u % 3 == 0) edges.push_back({u, (u * 7 + 2) % 3000, Layer::kData, 0.5});
  }
  std::erase_if(edges, [](const Edge& e) { return e.from == e.to; });
  ASSERT_TRUE(net.AddEdges(edges).ok());
  ASSERT_TRUE(net.RemoveNode("n5").ok());
  net.Compact();
  const std::vector<Edge> before = net.Edges();
  const std::size_t bytes = net.MemoryBytes();
  net.ShrinkToFit();
  EXPECT_LT(net.MemoryBytes(), bytes);
  const std::vector<Edge> after = net.Edges();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t k = 0; k < after.size(); ++k) {
    EXPECT_EQ(after[k].from, before[k].from);
    EXPECT_EQ(after[k].to, before[k].to);
    EXPECT_EQ(after[k].layer, before[k].layer);
    EXPECT_EQ(after[k].weight, before[k].weight);
  }
  for (NodeIndex v = 0; v < 3000; ++v) {
    const std::string id = "n" + std::to_string(v);
    EXPECT_EQ(net.id(v), id);
    EXPECT_EQ(net.alive(v), v != 5) << id;
    EXPECT_EQ(net.Find(id), v == 5 ? std::nullopt : std::optional<NodeIndex>(v)) << id;
  }
  // Changes after it work as before.
  auto added = net.AddNode(Node("late"));
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(net.AddEdge("late", "n0", Layer::kMaterial, 2.0).ok());
  net.Compact();
  EXPECT_EQ(*net.FindEdge(*added, 0, Layer::kMaterial), 2.0);
  EXPECT_EQ(net.node_count(), 3000u);
}

// A network whose edges are all on the material layer keeps no layer per
// edge; one edge on another layer brings the array back, its removal drops
// it again. Lookups and adjacency read the same either way.
TEST(NetworkTest, ANetworkOfOneLayerKeepsNoLayerPerEdge) {
  auto build = [](Layer last_layer) {
    Network net;
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(net.AddNode(Node("n" + std::to_string(i))).ok());
    std::vector<Edge> edges;
    for (NodeIndex u = 0; u + 1 < 200; ++u) edges.push_back({u, u + 1, Layer::kMaterial, 1.0 + u});
    edges.back().layer = last_layer;
    EXPECT_TRUE(net.AddEdges(edges).ok());
    return net;
  };
  Network material = build(Layer::kMaterial);
  Network mixed = build(Layer::kData);
  ASSERT_EQ(material.csr_edge_count(), 199u);
  // One byte per edge more, nothing else.
  EXPECT_EQ(mixed.MemoryBytes() - material.MemoryBytes(), mixed.csr_edge_count());
  for (NodeIndex u = 0; u + 1 < 200; ++u) {
    const Layer expected = u + 2 == 200 ? Layer::kData : Layer::kMaterial;
    EXPECT_EQ(mixed.edge_layer(mixed.out_begin(u)), expected);
    EXPECT_EQ(material.edge_layer(material.out_begin(u)), Layer::kMaterial);
    EXPECT_EQ(mixed.FindEdge(u, u + 1, expected), 1.0 + u);
    EXPECT_EQ(material.FindEdge(u, u + 1, Layer::kMaterial), 1.0 + u);
    EXPECT_FALSE(material.FindEdge(u, u + 1, Layer::kData).has_value());
  }
  EXPECT_EQ(mixed.EdgesOf(199).at(0).layer, Layer::kData);
  // Changes: a material edge keeps it empty; a data edge's removal frees it.
  ASSERT_TRUE(material.AddEdge("n5", "n3", Layer::kMaterial, 2.0).ok());
  material.Compact();
  ASSERT_TRUE(mixed.AddEdge("n5", "n3", Layer::kMaterial, 2.0).ok());
  ASSERT_TRUE(mixed.RemoveEdge("n198", "n199", Layer::kData).ok());
  ASSERT_TRUE(mixed.AddEdge("n198", "n199", Layer::kMaterial, 199.0).ok());
  mixed.Compact();
  EXPECT_EQ(mixed.MemoryBytes(), material.MemoryBytes());
  EXPECT_EQ(mixed.Edges().size(), material.Edges().size());
  EXPECT_EQ(*mixed.FindEdge(198, 199, Layer::kMaterial), 199.0);
  EXPECT_FALSE(mixed.FindEdge(198, 199, Layer::kData).has_value());
}

TEST(NetworkTest, RejectsBadInputWithReasons) {
  Network net;
  ASSERT_TRUE(net.AddNode(Node("a")).ok());
  ASSERT_TRUE(net.AddNode(Node("b")).ok());
  EXPECT_EQ(net.AddNode(Node("a")).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(net.AddNode(Node("")).status().code(), Status::Code::kInvalidArgument);
  NodeAttributes bad = Node("x");
  bad.location = GeoPoint{91, 0};
  EXPECT_EQ(net.AddNode(bad).status().code(), Status::Code::kInvalidArgument);
  bad = Node("y");
  bad.inventory_days = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(net.AddNode(bad).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net.AddEdge("a", "zz", Layer::kMaterial, 1).code(), Status::Code::kNotFound);
  EXPECT_EQ(net.AddEdge("a", "a", Layer::kMaterial, 1).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net.AddEdge("a", "b", Layer::kMaterial, -1).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net.AddEdge("a", "b", Layer::kMaterial, std::nan("")).code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(net.AddEdge("a", "b", Layer::kMaterial, 1).ok());
  EXPECT_EQ(net.AddEdge("a", "b", Layer::kMaterial, 1).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(net.RemoveEdge("b", "a", Layer::kMaterial).code(), Status::Code::kNotFound);
  EXPECT_EQ(net.SetEdgeWeight("a", "b", Layer::kData, 2).code(), Status::Code::kNotFound);
  EXPECT_EQ(net.node_count(), 2u);
  EXPECT_EQ(net.edge_count(), 1u);
}

TEST(NetworkTest, RemovingANodeDropsItsEdgesAndKeepsOtherIndices) {
  Network net;
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(net.AddNode(Node(id)).ok());
  ASSERT_TRUE(net.AddEdge("a", "b", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(net.AddEdge("b", "c", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(net.AddEdge("a", "c", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(net.RemoveNode("b").ok());
  net.Compact();
  EXPECT_EQ(net.node_count(), 2u);
  EXPECT_EQ(net.edge_count(), 1u);
  EXPECT_EQ(net.csr_edge_count(), 1u);
  EXPECT_FALSE(net.Find("b").has_value());
  EXPECT_EQ(*net.Find("c"), 2u);
  EXPECT_TRUE(net.in_sources(1).empty());
  // The id can come back, at a new index.
  auto again = net.AddNode(Node("b"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 3u);
}

// Random sequences of changes, checked against a plain std::map model.
TEST(NetworkTest, RandomChangesMatchAReferenceModel) {
  std::mt19937_64 rng(7);
  Network net;
  const int n = 30;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(net.AddNode(Node("v" + std::to_string(i))).ok());
  std::map<std::tuple<int, int, int>, double> model;
  for (int step = 0; step < 3000; ++step) {
    const int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n);
    const int l = static_cast<int>(rng() % 3);
    const auto layer = static_cast<Layer>(l);
    const double w = 1 + static_cast<double>(rng() % 100);
    const std::string fa = "v" + std::to_string(a), fb = "v" + std::to_string(b);
    const bool exists = model.count({a, b, l}) > 0;
    switch (rng() % 3) {
      case 0: {
        Status s = net.AddEdge(fa, fb, layer, w);
        EXPECT_EQ(s.ok(), a != b && !exists);
        if (s.ok()) model[{a, b, l}] = w;
        break;
      }
      case 1: {
        Status s = net.RemoveEdge(fa, fb, layer);
        EXPECT_EQ(s.ok(), exists);
        model.erase({a, b, l});
        break;
      }
      default: {
        Status s = net.SetEdgeWeight(fa, fb, layer, w);
        EXPECT_EQ(s.ok(), exists);
        if (s.ok()) model[{a, b, l}] = w;
      }
    }
    if (rng() % 10 == 0) net.Compact();
  }
  net.Compact();
  ASSERT_EQ(net.edge_count(), model.size());
  std::map<std::tuple<int, int, int>, double> seen;
  for (const Edge& e : net.Edges()) {
    seen[{static_cast<int>(e.from), static_cast<int>(e.to), static_cast<int>(e.layer)}] = e.weight;
  }
  EXPECT_EQ(seen, model);
  std::size_t in_total = 0;
  const std::vector<EdgeIndex> in_edges = net.InEdges();
  for (NodeIndex v = 0; v < n; ++v) {
    const auto sources = net.in_sources(v);
    in_total += sources.size();
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const EdgeIndex e = net.in_edge(v, k);
      EXPECT_EQ(net.edge_target(e), v);
      EXPECT_EQ(net.edge_source(e), sources[k]);
      EXPECT_EQ(in_edges[net.in_begin(v) + k], e);
      if (k > 0) {
        const EdgeIndex before = net.in_edge(v, k - 1);
        EXPECT_LT(std::make_pair(sources[k - 1], net.edge_layer(before)),
                  std::make_pair(sources[k], net.edge_layer(e)));
      }
    }
  }
  EXPECT_EQ(in_total, model.size());
}

// Node removals and EdgesOf between compactions (the engine compacts once
// per batch), checked against the same kind of model.
TEST(NetworkTest, EdgesOfAndNodeRemovalsMatchAReferenceModelBetweenCompactions) {
  std::mt19937_64 rng(11);
  Network net;
  const int n = 40;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(net.AddNode(Node("v" + std::to_string(i))).ok());
  std::vector<bool> alive(n, true);
  std::map<std::tuple<int, int, int>, double> model;
  auto touching = [&](int v) {
    std::map<std::tuple<int, int, int>, double> out;
    for (const auto& [key, w] : model) {
      if (std::get<0>(key) == v || std::get<1>(key) == v) out[key] = w;
    }
    return out;
  };
  for (int step = 0; step < 4000; ++step) {
    const int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n);
    const int l = static_cast<int>(rng() % 3);
    const std::string fa = "v" + std::to_string(a), fb = "v" + std::to_string(b);
    const double w = 1 + static_cast<double>(rng() % 100);
    const bool exists = model.count({a, b, l}) > 0;
    const auto op = rng() % 100;
    if (op < 2) {
      EXPECT_EQ(net.RemoveNode(fa).ok(), static_cast<bool>(alive[a]));
      alive[a] = false;
      std::erase_if(model, [&](const auto& e) {
        return std::get<0>(e.first) == a || std::get<1>(e.first) == a;
      });
    } else if (op < 45) {
      const Status st = net.AddEdge(fa, fb, static_cast<Layer>(l), w);
      EXPECT_EQ(st.ok(), a != b && alive[a] && alive[b] && !exists);
      if (st.ok()) model[{a, b, l}] = w;
    } else if (op < 70) {
      EXPECT_EQ(net.RemoveEdge(fa, fb, static_cast<Layer>(l)).ok(), exists);
      model.erase({a, b, l});
    } else {
      const Status st = net.SetEdgeWeight(fa, fb, static_cast<Layer>(l), w);
      EXPECT_EQ(st.ok(), exists);
      if (st.ok()) model[{a, b, l}] = w;
    }
    ASSERT_EQ(net.edge_count(), model.size()) << "step " << step;
    const int probe = static_cast<int>(rng() % n);
    std::map<std::tuple<int, int, int>, double> seen;
    for (const Edge& e : net.EdgesOf(static_cast<NodeIndex>(probe))) {
      const std::tuple<int, int, int> key{static_cast<int>(e.from), static_cast<int>(e.to),
                                          static_cast<int>(e.layer)};
      EXPECT_EQ(seen.count(key), 0u) << "listed twice";
      seen[key] = e.weight;
    }
    ASSERT_EQ(seen, touching(probe)) << "step " << step << " node " << probe;
    if (rng() % 50 == 0) net.Compact();
  }
  net.Compact();
  EXPECT_EQ(net.csr_edge_count(), model.size());
  std::map<std::tuple<int, int, int>, double> seen;
  for (const Edge& e : net.Edges()) {
    seen[{static_cast<int>(e.from), static_cast<int>(e.to), static_cast<int>(e.layer)}] = e.weight;
  }
  EXPECT_EQ(seen, model);
}

}  // namespace
}  // namespace riskd::engine
