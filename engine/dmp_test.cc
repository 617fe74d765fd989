#include "engine/dmp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/sir_exact.h"
#include "engine/testing/timed_states.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

void ExpectMatchesExact(const TransmissionGraph& g, const InitialState& init, int T, double tol) {
  DmpOptions opt;
  opt.horizon = T;
  opt.tolerance = 0;
  opt.record_marginals = true;
  const DmpResult dmp = RunDmp(g, init, opt);
  const auto exact = testing::ExactSir(g, init, T);
  for (int t = 0; t <= init.now + T; ++t) {
    for (std::size_t v = 0; v < g.node_count; ++v) {
      EXPECT_NEAR(dmp.p_s_t[t][v], exact.p_s[t][v], tol) << "P_S node " << v << " t " << t;
      EXPECT_NEAR(dmp.p_i_t[t][v], exact.p_i[t][v], tol) << "P_I node " << v << " t " << t;
      EXPECT_NEAR(dmp.p_r_t[t][v], exact.p_r[t][v], tol) << "P_R node " << v << " t " << t;
    }
  }
  for (std::size_t v = 0; v < g.node_count; ++v) EXPECT_NEAR(dmp.risk[v], exact.risk[v], tol);
}

TEST(DmpTest, EqualsExactEnumerationOnAChain) {
  // 0 -> 1 -> 2 -> 3, downstream.
  Network net = testing::MakeNetwork(4, {{0, 1, 1.0}, {1, 2, 2.0}, {2, 3, 1.0}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 1.5, 0.4);
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  ExpectMatchesExact(g, init, 8, 1e-12);
}

TEST(DmpTest, EqualsExactEnumerationOnRandomUndirectedTrees) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Network net = testing::RandomTree(7, seed);
    auto g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.35);
    std::vector<Observation> obs(7);
    obs[seed % 7] = {NodeState::kDisrupted, 0.9};
    obs[(seed + 3) % 7] = {NodeState::kDisrupted, 0.4};
    obs[(seed + 5) % 7] = {NodeState::kRecovered, 1.0};
    InitialState init = InitialState::FromObservations(net, obs);
    SCOPED_TRACE(seed);
    ExpectMatchesExact(g, init, 7, 1e-12);
  }
}

TEST(DmpTest, EqualsExactEnumerationOnDirectedTreesBothWays) {
  for (Direction dir : {Direction::kDownstream, Direction::kUpstream}) {
    Network net = testing::RandomTree(8, 42);
    auto g = testing::BuildGraph(net, dir, 3.0, 0.2);
    std::vector<Observation> obs(8);
    obs[0] = {NodeState::kDisrupted, 1.0};
    obs[5] = {NodeState::kDisrupted, 0.5};
    ExpectMatchesExact(g, InitialState::FromObservations(net, obs), 6, 1e-12);
  }
}

TEST(DmpTest, EqualsExactEnumerationWithInventoryLatencyOnATree) {
  // Inventory cover delays onset: L = ceil(days / step).
  Network net =
      testing::MakeNetwork(6, {{0, 1, 1.0}, {1, 2, 2.0}, {1, 3, 1.0}, {3, 4, 1.0}, {0, 5, 1.0}});
  auto set_days = [&](int v, double days) {
    NodeAttributes a = net.node(static_cast<NodeIndex>(v));
    a.inventory_days = days;
    ASSERT_TRUE(net.UpdateNode(a).ok());
  };
  set_days(1, 2.0);  // L = 2
  set_days(3, 0.5);  // L = 1
  set_days(4, 1.0);  // L = 1
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    auto g = testing::BuildGraph(net, dir, 2.5, 0.3);
    ASSERT_EQ(g.latency[1], 2);
    ASSERT_EQ(g.latency[3], 1);
    std::vector<Observation> obs(6);
    obs[0] = {NodeState::kDisrupted, 1.0};
    obs[4] = {NodeState::kDisrupted, 0.3};
    SCOPED_TRACE(static_cast<int>(dir));
    ExpectMatchesExact(g, InitialState::FromObservations(net, obs), 7, 1e-12);
  }
  // A longer step shortens the delay: 2 days at 2-day steps is 1 step.
  RiskType t;
  TransmissionOptions o;
  o.step_days = 2.0;
  const auto g2 = BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, {}), o);
  EXPECT_EQ(g2.latency[1], 1);
  t.inventory_delays_onset = false;
  EXPECT_EQ(BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, {})).latency[1], 0);
}

// The model clock (state.h): sources starting at different steps, nodes
// shielded until a report of normal operation, removals, fixed periods, and
// outputs about the window [now, now + T]. Still exact on trees.
TEST(DmpTest, EqualsExactEnumerationWithOnsetStepsShieldsAndEndsOnTrees) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Network net = testing::RandomTree(7, seed);
    NodeAttributes a = net.node(static_cast<NodeIndex>(seed % 7));
    a.inventory_days = 1.0;  // L = 1 somewhere
    ASSERT_TRUE(net.UpdateNode(a).ok());
    for (Direction dir : {Direction::kBoth, Direction::kDownstream}) {
      auto g = testing::BuildGraph(net, dir, 2.0, 0.35);
      std::vector<Observation> obs(7);
      obs[seed % 7] = {NodeState::kDisrupted, 0.9};
      obs[(seed + 2) % 7] = {NodeState::kDisrupted, 0.5};
      obs[(seed + 4) % 7] = {NodeState::kDisrupted, 1.0};
      obs[(seed + 5) % 7] = {NodeState::kRecovered, 1.0};
      InitialState init = InitialState::FromObservations(net, obs);
      testing::AddRandomTimes(&init, 3, 5, seed);
      SCOPED_TRACE("seed " + std::to_string(seed) + " dir " +
                   std::to_string(static_cast<int>(dir)));
      ExpectMatchesExact(g, init, 5, 1e-12);
    }
  }
}

// A source removed at its very start step (a disruption reported over as
// soon as it began) passes nothing on, as exact enumeration says: its
// messages are never propagated.
TEST(DmpTest, ASourceRemovedAtItsStartPassesNothing) {
  Network net = testing::MakeNetwork(3, {{0, 1, 1.0}, {1, 2, 1.0}});
  auto g = testing::BuildGraph(net, Direction::kBoth, 1.5, 0.4);
  for (int start : {0, 2}) {
    InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 0.8}});
    init.now = 3;
    init.start = {start, 0, 0};
    init.end = {start, InitialState::kNever, InitialState::kNever};
    init.fixed = {1, 0, 0};
    SCOPED_TRACE("start " + std::to_string(start));
    ExpectMatchesExact(g, init, 4, 1e-12);
    DmpOptions opt;
    opt.horizon = 4;
    const DmpResult r = RunDmp(g, init, opt);
    EXPECT_EQ(r.risk[1], 0.0);
    EXPECT_EQ(r.risk[2], 0.0);
  }
}

// What the window means, on a chain with certain transmission: a source
// that started 3 steps ago has passed its risk 3 links down by now.
TEST(DmpTest, RiskAndEtaAreRelativeToNow) {
  Network net = testing::MakeNetwork(6, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}, {4, 5, 1}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 60.0, 0.0,
                               VulnerabilityOptions::Mode::kUniform);
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  init.now = 3;
  DmpOptions opt;
  opt.horizon = 2;
  const DmpResult r = RunDmp(g, init, opt);
  for (NodeIndex v : {0u, 1u, 2u, 3u}) EXPECT_EQ(r.eta[v], 0) << v;  // disrupted now
  EXPECT_EQ(r.eta[4], 1);
  EXPECT_EQ(r.eta[5], 2);
  for (NodeIndex v = 0; v < 6; ++v) EXPECT_NEAR(r.risk[v], 1.0, 1e-12) << v;
  // The source's disruption ended at step 2 (before now): it is not at risk
  // any more; what it passed on still spreads.
  init.end.assign(6, InitialState::kNever);
  init.fixed.assign(6, 0);
  init.end[0] = 2;
  init.fixed[0] = 1;
  const DmpResult ended = RunDmp(g, init, opt);
  EXPECT_EQ(ended.risk[0], 0.0);
  EXPECT_EQ(ended.eta[0], -1);
  for (NodeIndex v = 1; v < 6; ++v) EXPECT_NEAR(ended.risk[v], 1.0, 1e-12) << v;
  EXPECT_EQ(ended.eta[5], 2);
}

TEST(DmpTest, LatencyDelaysRiskWithinTheHorizon) {
  // 0 -> 1 with p ~ 1: without cover 1 is disrupted at t = 1; with 3 days
  // of cover at t = 4, which a horizon of 3 does not reach.
  Network net = testing::MakeNetwork(2, {{0, 1, 1.0}});
  NodeAttributes a = net.node(1);
  a.inventory_days = 3;
  ASSERT_TRUE(net.UpdateNode(a).ok());
  auto g = testing::BuildGraph(net, Direction::kDownstream, 30.0, 0.0,
                               VulnerabilityOptions::Mode::kUniform);
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  DmpOptions opt;
  opt.horizon = 3;
  EXPECT_NEAR(RunDmp(g, init, opt).risk[1], 0.0, 1e-12);
  opt.horizon = 4;
  const DmpResult r = RunDmp(g, init, opt);
  EXPECT_NEAR(r.risk[1], 1.0, 1e-12);
  EXPECT_EQ(r.eta[1], 4);
}

TEST(DmpTest, RegionRunsMatchTheFullRunAndLeaveTheWorkspaceClean) {
  // Two separate trees; runs from each source alone reproduce the joint run.
  Network net =
      testing::MakeNetwork(8, {{0, 1, 1}, {1, 2, 1}, {1, 3, 2}, {4, 5, 1}, {5, 6, 1}, {6, 7, 1}});
  auto g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
  std::vector<Observation> obs(8);
  obs[0] = {NodeState::kDisrupted, 1.0};
  obs[6] = {NodeState::kDisrupted, 0.7};
  InitialState init = InitialState::FromObservations(net, obs);
  DmpOptions opt;
  opt.horizon = 9;
  const DmpResult full = RunDmp(g, init, opt);
  DmpWorkspace ws;
  ws.Prepare(g);
  for (int repeat = 0; repeat < 2; ++repeat) {
    for (NodeIndex source : {0u, 6u}) {
      const DmpRegion region = RunDmpRegion(g, init, {&source, 1}, opt, &ws);
      EXPECT_EQ(region.nodes.size(), 4u);
      for (std::size_t x = 0; x < region.nodes.size(); ++x) {
        const NodeIndex v = region.nodes[x];
        EXPECT_EQ(region.risk[x], full.risk[v]) << v;  // bit for bit
        EXPECT_EQ(region.eta[x], full.eta[v]);
        EXPECT_EQ(region.parent[x], full.parent[v]);
      }
    }
  }
}

// Runs RunDmpRegion from each set of `runs` in turn on one kept workspace
// and on a fresh one each, expecting the same region bit for bit; returns
// the nodes the runs touched (that the runs did something).
std::size_t ExpectKeptRunsEqualFreshOnes(const TransmissionGraph& g, const InitialState& init,
                                         const std::vector<std::vector<NodeIndex>>& runs) {
  DmpOptions opt;
  opt.horizon = 10;
  BasicDmpWorkspace<float> kept;
  kept.Prepare(g);
  std::size_t touched = 0;
  for (const auto& sources : runs) {
    SCOPED_TRACE(::testing::Message()
                 << "run from " << sources.size() << " source(s), first " << sources.front());
    BasicDmpWorkspace<float> fresh;
    fresh.Prepare(g);
    const DmpRegion expected = RunDmpRegion(g, init, sources, opt, &fresh);
    const DmpRegion got = RunDmpRegion(g, init, sources, opt, &kept);
    EXPECT_EQ(got.nodes, expected.nodes);
    EXPECT_EQ(got.risk, expected.risk);  // bit for bit
    EXPECT_EQ(got.eta, expected.eta);
    EXPECT_EQ(got.parent, expected.parent);
    EXPECT_EQ(got.edge_updates, expected.edge_updates);
    touched += got.touched_count;
  }
  return touched;
}

// On a one-way graph (no out-edge ids stored) a run clears the edges it
// wrote through its region's in-rows: runs from other sources one after
// another on one workspace give what each gives on a fresh one, bit for
// bit, with onset delays or without.
TEST(DmpTest, RunsFromOtherSourcesOnAKeptOneWayWorkspaceEqualFreshOnes) {
  for (const bool delays : {false, true}) {
    SCOPED_TRACE(delays);
    Network net = testing::RandomGraph(60, 160, 23);
    if (delays) {
      for (NodeIndex v = 0; v < 60; v += 4) {
        NodeAttributes a = net.node(v);
        a.inventory_days = 1.0;
        ASSERT_TRUE(net.UpdateNode(a).ok());
      }
    }
    const auto g = testing::BuildGraph(net, Direction::kDownstream, 2.5, 0.3);
    ASSERT_FALSE(g.has_reverse);
    ASSERT_TRUE(g.out_edges.empty());
    std::vector<Observation> obs(60);
    for (NodeIndex v : {3u, 11u, 29u, 40u, 52u}) obs[v] = {NodeState::kDisrupted, 0.8};
    const InitialState init = InitialState::FromObservations(net, obs);
    EXPECT_GT(ExpectKeptRunsEqualFreshOnes(g, init, {{3}, {40, 52}, {11}, {3, 29}, {52}, {3}}),
              20u);
  }
}

// The same on graphs with reverse arcs (both ways, and downstream with a
// quarter of the pairs two-way), with onset delays and random starts and
// ends: an arc's cavity ring is allocated at its first update when its
// history offset is 0, so a run must leave every offset it set at 0 (a
// stale one would be read as a ring beyond the history).
TEST(DmpTest, RunsFromOtherSourcesOnAKeptTwoWayWorkspaceEqualFreshOnes) {
  Network net = testing::RandomGraph(70, 200, 29);
  for (NodeIndex v = 0; v < 70; v += 3) {
    NodeAttributes a = net.node(v);
    a.inventory_days = v % 2 == 0 ? 1.0 : 3.0;
    ASSERT_TRUE(net.UpdateNode(a).ok());
  }
  Network mixed = net;
  std::vector<std::tuple<NodeIndex, NodeIndex, double>> reverse;
  for (NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); e += 4) {
      reverse.emplace_back(net.edge_target(e), u, net.edge_weight(e));
    }
  }
  for (const auto& [from, to, weight] : reverse) {
    (void)mixed.AddEdge(from, to, Layer::kMaterial, weight);  // a pair already two-way stays
  }
  mixed.Compact();
  for (const bool timed : {false, true}) {
    for (const bool both : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "timed " << timed << " both " << both);
      const Network& n = both ? net : mixed;
      const auto g =
          testing::BuildGraph(n, both ? Direction::kBoth : Direction::kDownstream, 2.5, 0.3);
      ASSERT_TRUE(g.has_reverse);
      ASSERT_TRUE(g.has_latency);
      std::vector<Observation> obs(n.node_slots());
      for (NodeIndex v : {3u, 11u, 29u, 40u, 52u, 64u}) obs[v] = {NodeState::kDisrupted, 0.8};
      InitialState init = InitialState::FromObservations(n, obs);
      if (timed) testing::AddRandomTimes(&init, 3, 6, 11);
      EXPECT_GT(ExpectKeptRunsEqualFreshOnes(
                    g, init,
                    {{3}, {40, 52}, {11, 64}, {3, 29}, {52}, {64}, {3, 11, 29, 40}, {29, 52}, {3}}),
                40u);
    }
  }
}

// A run can write its region's values to per-node arrays (DmpNodeValues,
// the projection's) instead of per-entry vectors: the same values bit for
// bit, at each entry's node, and no other slot written; one-way and two-way
// graphs, with and without onset delays and ends. A run without delays or
// ends allocates no P_S-at-the-window's-end array (it is the last P_S), and
// no run keeps a list of the region's size in the workspace afterwards.
TEST(DmpTest, RunsWriteTheirValuesToNodeSlotsAndHoldNoRegionSizedListAfterwards) {
  const Network net = BarabasiAlbert(300, 3, {.seed = 5, .min_weight = 0.5, .max_weight = 2.0});
  for (const Direction direction : {Direction::kDownstream, Direction::kBoth}) {
    for (const bool timed : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "direction " << static_cast<int>(direction) << " timed " << timed);
      TransmissionGraph g = testing::BuildGraph(net, direction, 2.0, 0.3);
      if (timed) {
        for (NodeIndex v = 0; v < g.node_count; v += 5) g.latency[v] = 1;
        g.has_latency = true;
      }
      InitialState init;
      init.p_s.assign(g.node_count, 1.0);
      init.p_i.assign(g.node_count, 0.0);
      init.p_r.assign(g.node_count, 0.0);
      for (NodeIndex v : {NodeIndex{0}, NodeIndex{7}}) {
        init.p_s[v] = 0.0;
        init.p_i[v] = 1.0;
      }
      if (timed) testing::AddRandomTimes(&init, 3, 10, 5);
      DmpOptions opt;
      opt.horizon = 10;
      opt.tolerance = 0;
      const std::vector<NodeIndex> sources = {0, 7};
      BasicDmpWorkspace<float> by_entry, by_node;
      by_entry.Prepare(g);
      by_node.Prepare(g);
      const std::size_t prepared = by_node.MemoryBytes();
      const DmpRegion expected = RunDmpRegion(g, init, sources, opt, &by_entry);
      std::vector<double> risk(g.node_count, -2.0);
      std::vector<int> eta(g.node_count, -2);
      std::vector<NodeIndex> parent(g.node_count, NodeIndex{12345});
      const DmpNodeValues values{risk, eta, parent};
      const DmpRegion got = RunDmpRegion(g, init, sources, opt, &by_node, nullptr, &values);
      ASSERT_EQ(got.nodes, expected.nodes);
      EXPECT_EQ(got.touched_count, expected.touched_count);
      EXPECT_TRUE(got.risk.empty());
      EXPECT_TRUE(got.eta.empty());
      EXPECT_TRUE(got.parent.empty());
      ASSERT_GT(got.nodes.size(), 150u);
      std::vector<char> in_region(g.node_count, 0);
      for (std::size_t x = 0; x < got.nodes.size(); ++x) {
        const NodeIndex v = got.nodes[x];
        in_region[v] = 1;
        EXPECT_EQ(risk[v], expected.risk[x]) << v;  // bit for bit
        EXPECT_EQ(eta[v], expected.eta[x]) << v;
        EXPECT_EQ(parent[v], expected.parent[x]) << v;
      }
      for (NodeIndex v = 0; v < g.node_count; ++v) {
        if (in_region[v]) continue;
        EXPECT_EQ(risk[v], -2.0) << v;
        EXPECT_EQ(eta[v], -2) << v;
        EXPECT_EQ(parent[v], NodeIndex{12345}) << v;
      }
      // What the run left allocated beyond Prepare's arrays: P_S at the
      // window's end (8 bytes per node) only with delays or ends, the onset
      // rings' storage with delays, and no list of the region's size (the
      // frontier's is freed; the sources outside it are a few entries).
      const std::size_t added = by_node.MemoryBytes() - prepared;
      const std::size_t ps_at_end = g.node_count * sizeof(double);
      if (timed) {
        EXPECT_GE(added, ps_at_end);
      } else {
        EXPECT_LT(added, got.nodes.size() * sizeof(NodeIndex) / 4);
      }
    }
  }
}

// Release() frees every array; the runs after the next Prepare give what
// they give on a kept workspace and on a fresh one, bit for bit, on one-way
// and two-way graphs with onset delays (every array of the workspace used),
// with either message storage.
template <typename Stored>
void ExpectReleasedWorkspaceGivesTheSameRuns() {
  Network net = testing::RandomGraph(40, 90, 11);
  for (NodeIndex v = 0; v < 40; v += 3) {
    NodeAttributes a = net.node(v);
    a.inventory_days = 1.0 + static_cast<double>(v % 2);
    ASSERT_TRUE(net.UpdateNode(a).ok());
  }
  std::vector<Observation> obs(40);
  obs[2] = {NodeState::kDisrupted, 1.0};
  obs[17] = {NodeState::kDisrupted, 0.6};
  obs[31] = {NodeState::kDisrupted, 0.9};
  const InitialState init = InitialState::FromObservations(net, obs);
  DmpOptions opt;
  opt.horizon = 12;
  const std::vector<NodeIndex> sources = {2, 17, 31};
  auto expect_same = [](const DmpRegion& a, const DmpRegion& b, const std::vector<double>& ta,
                        const std::vector<double>& tb) {
    EXPECT_EQ(a.nodes, b.nodes);
    EXPECT_EQ(a.touched_count, b.touched_count);
    EXPECT_EQ(a.risk, b.risk);  // bit for bit
    EXPECT_EQ(a.eta, b.eta);
    EXPECT_EQ(a.parent, b.parent);
    EXPECT_EQ(a.edge_updates, b.edge_updates);
    EXPECT_EQ(ta, tb);
  };
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    SCOPED_TRACE(static_cast<int>(dir));
    const auto g = testing::BuildGraph(net, dir, 2.0, 0.3);
    ASSERT_TRUE(g.has_latency);
    ASSERT_EQ(g.has_reverse, dir == Direction::kBoth);
    BasicDmpWorkspace<Stored> fresh;
    fresh.Prepare(g);
    std::vector<double> fresh_t;
    const DmpRegion expected = RunDmpRegion(g, init, sources, opt, &fresh, &fresh_t);
    ASSERT_GT(expected.touched_count, 3u);

    BasicDmpWorkspace<Stored> ws;
    ws.Prepare(g);
    std::vector<double> kept_t;
    const DmpRegion kept = RunDmpRegion(g, init, sources, opt, &ws, &kept_t);
    expect_same(kept, expected, kept_t, fresh_t);
    const std::size_t held = ws.MemoryBytes();
    EXPECT_GE(held, g.edge_count() * 2 * sizeof(Stored));
    EXPECT_EQ(ws.Release(), held);
    EXPECT_EQ(ws.MemoryBytes(), 0u);
    EXPECT_EQ(ws.Release(), 0u);
    ws.Prepare(g);
    for (int repeat = 0; repeat < 2; ++repeat) {
      std::vector<double> again_t;
      const DmpRegion again = RunDmpRegion(g, init, sources, opt, &ws, &again_t);
      expect_same(again, expected, again_t, fresh_t);
    }
  }
}

TEST(DmpTest, AReleasedWorkspaceGivesTheSameRunsBitForBit) {
  ExpectReleasedWorkspaceGivesTheSameRuns<double>();
  ExpectReleasedWorkspaceGivesTheSameRuns<float>();
}

// P_R at now is kept per node only in a frame that started before now
// (InitialState::now > 0); in one that starts now it is P_R(0). Ends (read
// per in-edge only for nodes whose end is within the run) are independent
// of that: four frames, starting now or before, with or without ends. One
// workspace taking runs of all four in turn gives what a fresh workspace
// gives each, bit for bit, and holds the array (8 bytes per node) only from
// the first run in an earlier-started frame on.
template <typename Stored>
void ExpectFramesShareAWorkspace() {
  Network net = testing::RandomGraph(40, 90, 13);
  for (NodeIndex v = 0; v < 40; v += 4) {
    NodeAttributes a = net.node(v);
    a.inventory_days = 1.0;
    ASSERT_TRUE(net.UpdateNode(a).ok());
  }
  std::vector<Observation> obs(40);
  obs[3] = {NodeState::kDisrupted, 1.0};
  obs[18] = {NodeState::kDisrupted, 0.7};
  obs[30] = {NodeState::kRecovered, 1.0};
  const InitialState starts_now = InitialState::FromObservations(net, obs);
  InitialState started_before = starts_now;
  testing::AddRandomTimes(&started_before, 4, 6, 7);
  ASSERT_GT(started_before.now, 0);
  // Starting now with ends (the sources' periods fixed, some nodes removed
  // within the run), and before now without any.
  InitialState ends_now = starts_now;
  ends_now.end.assign(40, InitialState::kNever);
  ends_now.fixed.assign(40, 0);
  ends_now.end[3] = 6;
  ends_now.fixed[3] = 1;
  for (NodeIndex v = 2; v < 40; v += 5) ends_now.end[v] = 1 + static_cast<int>(v % 8);
  InitialState before_without_ends = started_before;
  before_without_ends.end.clear();
  before_without_ends.fixed.clear();
  const InitialState* frames[] = {&starts_now, &started_before, &ends_now, &before_without_ends};
  DmpOptions opt;
  opt.horizon = 10;
  const std::vector<NodeIndex> sources = {3, 18};
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    SCOPED_TRACE(static_cast<int>(dir));
    const auto g = testing::BuildGraph(net, dir, 2.0, 0.3);
    auto fresh_run = [&](const InitialState& init) {
      BasicDmpWorkspace<Stored> fresh;
      fresh.Prepare(g);
      return RunDmpRegion(g, init, sources, opt, &fresh);
    };
    std::vector<DmpRegion> expected_runs;
    for (const InitialState* init : frames) expected_runs.push_back(fresh_run(*init));
    ASSERT_GT(expected_runs[0].touched_count, 2u);
    for (std::size_t a = 0; a < 4; ++a) {
      for (std::size_t b = a + 1; b < 4; ++b) {
        ASSERT_NE(expected_runs[a].risk, expected_runs[b].risk) << a << " " << b;
      }
    }
    BasicDmpWorkspace<Stored> ws;
    ws.Prepare(g);
    std::size_t held = 0;  // after the first run, in a frame starting now
    // Each frame after each other one.
    const int order[] = {0, 1, 2, 3, 0, 2, 1, 3, 2, 0, 3, 1, 0};
    for (const int f : order) {
      SCOPED_TRACE(f);
      const InitialState* init = frames[f];
      const DmpRegion& expected = expected_runs[static_cast<std::size_t>(f)];
      const DmpRegion run = RunDmpRegion(g, *init, sources, opt, &ws);
      EXPECT_EQ(run.nodes, expected.nodes);
      EXPECT_EQ(run.risk, expected.risk);  // bit for bit
      EXPECT_EQ(run.eta, expected.eta);
      EXPECT_EQ(run.parent, expected.parent);
      if (held == 0) {
        held = ws.MemoryBytes();
      } else if (init->now > 0) {
        EXPECT_GE(ws.MemoryBytes(), held + g.node_count * sizeof(double));
      }
    }
  }
}

TEST(DmpTest, FramesStartingNowAndBeforeShareAWorkspaceBitForBit) {
  ExpectFramesShareAWorkspace<double>();
  ExpectFramesShareAWorkspace<float>();
}

// Float storage halves the messages per edge: theta and phi (8 bytes less
// per edge), and on graphs with reverse edges the mirrored theta (4 more);
// per-node arrays and the cavities stay double.
TEST(DmpTest, FloatMessagesTakeHalfTheBytesPerEdge) {
  const Network net = testing::RandomGraph(200, 500, 3);
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    const auto g = testing::BuildGraph(net, dir, 1.0, 0.3);
    DmpWorkspace wide;
    BasicDmpWorkspace<float> compact;
    wide.Prepare(g);
    compact.Prepare(g);
    const std::size_t per_edge = g.has_reverse ? 12 : 8;
    EXPECT_EQ(wide.MemoryBytes() - compact.MemoryBytes(), g.edge_count() * per_edge)
        << static_cast<int>(dir);
  }
}

// Float messages (the projections') against double ones on real and random
// networks, at the daemon's horizon: every risk within 1e-5 absolute. Why
// that bound: each stored theta and phi is rounded to float once per step
// (2^-24 relative, theta is at most 1), so over T steps a theta carries at
// most ~2T such errors (~T 6e-8), and P_S = P_S(0) prod theta adds them up
// over the in-edges; errors stay additive (nothing divides by a small
// message except the two-way cavity, whose theta is not small where it
// matters). The worst case grows with in-degree x T; what these graphs show
// is at most 7.2e-7 (the scale-free graph upstream, whose hubs have ~250
// in-edges, with onset delays; bea_io_1997, ~90 per node: 6.9e-7), so 1e-5
// leaves a 14x margin and is far below what moves an alert
// (min_update_delta, 0.05 by default) or DMP's own error against Monte
// Carlo (up to two points). Relative to a small risk the change is larger
// (1 - P_S loses P_S's digits): up to 2.2e-4 of a risk of 1e-3.
TEST(DmpTest, FloatMessagesAgreeWithDoubleWithinTheirRounding) {
  struct Case {
    std::string name;
    Network net;
    Direction direction;
  };
  std::vector<Case> cases;
  for (const char* name : {"willems_38", "supplygraph", "bea_io_1997"}) {
    auto real = testing::LoadRealNetwork(name);
    ASSERT_TRUE(real.ok()) << real.status().ToString();
    cases.push_back({name, std::move(real->network), real->direction});
  }
  cases.push_back({"random both ways", testing::RandomGraph(2000, 6000, 21), Direction::kBoth});
  cases.push_back({"scale-free downstream",
                   BarabasiAlbert(5000, 4, {.seed = 2, .min_weight = 0.5, .max_weight = 2.0}),
                   Direction::kDownstream});
  // Upstream, the hubs collect every newcomer's arc: in-degrees up to ~250,
  // where the rounding adds up most.
  cases.push_back({"scale-free upstream",
                   BarabasiAlbert(5000, 4, {.seed = 2, .min_weight = 0.5, .max_weight = 2.0}),
                   Direction::kUpstream});
  for (Case& c : cases) {
    for (const bool timed : {false, true}) {
      TransmissionGraph g = testing::BuildGraph(c.net, c.direction, 1.5, 0.3);
      std::mt19937_64 rng(5);
      if (timed) {
        for (auto& latency : g.latency)
          latency = rng() % 4 == 0 ? static_cast<std::uint16_t>(rng() % 4) : 0;
        g.has_latency = true;
      }
      InitialState init;
      init.p_s.assign(g.node_count, 1.0);
      init.p_i.assign(g.node_count, 0.0);
      init.p_r.assign(g.node_count, 0.0);
      for (int s = 0; s < 3; ++s) {
        const auto v = static_cast<NodeIndex>(rng() % g.node_count);
        init.p_s[v] = 0.2;
        init.p_i[v] = 0.8;
      }
      if (timed) testing::AddRandomTimes(&init, 4, 20, 9);
      for (double tolerance : {0.0, 1e-6}) {
        SCOPED_TRACE(c.name + (timed ? ", timed" : "") + ", tolerance " +
                     std::to_string(tolerance));
        DmpOptions opt;
        opt.horizon = 30;  // the daemon's default
        opt.tolerance = tolerance;
        const DmpResult wide = RunDmp<double>(g, init, opt);
        const DmpResult compact = RunDmp<float>(g, init, opt);
        double worst = 0, worst_relative = 0;
        std::size_t at_risk = 0, eta_differs = 0, parent_differs = 0;
        for (std::size_t v = 0; v < g.node_count; ++v) {
          const double diff = std::fabs(wide.risk[v] - compact.risk[v]);
          worst = std::max(worst, diff);
          if (wide.risk[v] > 1e-3) worst_relative = std::max(worst_relative, diff / wide.risk[v]);
          at_risk += wide.risk[v] > 1e-3;
          eta_differs += wide.eta[v] != compact.eta[v];
          parent_differs += wide.parent[v] != compact.parent[v];
        }
        EXPECT_GT(at_risk, 3u);
        EXPECT_LT(worst, 1e-5) << "worst relative " << worst_relative;
        // An ETA moves only where P_S passes 0.5 within the rounding (none
        // here); a parent only where two in-neighbours pass the same mass to
        // ~1e-7 (symmetric pairs on supplygraph: 1-2 of ~40 nodes).
        EXPECT_EQ(eta_differs, 0u);
        EXPECT_LE(parent_differs * 10, at_risk);
        EXPECT_NEAR(wide.expected_disrupted, compact.expected_disrupted,
                    1e-5 * static_cast<double>(at_risk));
      }
    }
  }
}

TEST(DmpTest, OverestimatesOnATriangleButStaysAnUpperBound) {
  // A loop breaks DMP's independence assumption; on SIR it errs upward.
  Network net = testing::MakeNetwork(3, {{0, 1, 1.0}, {1, 2, 1.0}, {2, 0, 1.0}});
  auto g =
      testing::BuildGraph(net, Direction::kBoth, 3.0, 0.3, VulnerabilityOptions::Mode::kUniform);
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  DmpOptions opt;
  opt.horizon = 6;
  opt.tolerance = 0;
  const DmpResult dmp = RunDmp(g, init, opt);
  const auto exact = testing::ExactSir(g, init, 6);
  for (NodeIndex v : {1u, 2u}) {
    const double exact_risk = 1 - exact.p_s[6][v];
    EXPECT_GT(dmp.risk[v], exact_risk + 1e-6);
    EXPECT_LT(dmp.risk[v], exact_risk + 0.2);
  }
}

TEST(DmpTest, ToleranceSkipsUnreachedNodesWithoutChangingTheAnswer) {
  // Two components: only the one with the source does any work.
  Network net = testing::MakeNetwork(6, {{0, 1, 1}, {1, 2, 1}, {3, 4, 1}, {4, 5, 1}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 1.0, 0.5);
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  DmpOptions opt;
  opt.horizon = 10;
  const DmpResult r = RunDmp(g, init, opt);
  EXPECT_EQ(r.touched_nodes, 3u);
  EXPECT_EQ(r.risk[4], 0.0);
  EXPECT_GT(r.risk[2], 0.0);
  opt.tolerance = 0;
  const DmpResult full = RunDmp(g, init, opt);
  for (NodeIndex v = 0; v < 6; ++v) EXPECT_NEAR(r.risk[v], full.risk[v], 1e-12);
}

TEST(DmpTest, EtaAndCausePathFollowTheChain) {
  Network net = testing::MakeNetwork(4, {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}});
  auto g = testing::BuildGraph(net, Direction::kDownstream, 10.0, 0.0,
                               VulnerabilityOptions::Mode::kUniform);
  // alpha large and share 1: p ~= 1 - e^-10, so node k is hit at step k.
  InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  DmpOptions opt;
  opt.horizon = 5;
  const DmpResult r = RunDmp(g, init, opt);
  EXPECT_EQ(r.eta[0], 0);
  EXPECT_EQ(r.eta[1], 1);
  EXPECT_EQ(r.eta[2], 2);
  EXPECT_EQ(r.eta[3], 3);
  EXPECT_EQ(CausePath(r, init, 3), (std::vector<NodeIndex>{0, 1, 2, 3}));
}

// A straightforward DMP for the tests below: docs/model.md §5 as two dense
// passes per step over every node and edge, no workspace, no frontier
// lists, no merged passes. Pass 1 updates theta(t) and P_S(t) node by node
// (a node starts propagating when its drop passes the tolerance, and its
// out-neighbours join the computation from the next step); pass 2 updates
// phi(t) of every edge out of a propagating node from the cavity
// P_S^k(t) / theta_{i->k}(t) (the explicit product when that theta is at
// or below kDmpTinyTheta; P_S^k without a reverse edge). Messages are
// rounded to `Stored` where stored, as dmp.h says. Returns risk, ETA and
// likely parent per node as RunDmp does (0, -1, kNoNode outside the run's
// region: nodes propagating and their out-neighbours).
struct ReferenceDmp {
  std::vector<double> risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  std::size_t propagating = 0;
};

template <typename Stored>
ReferenceDmp RunReferenceDmp(const TransmissionGraph& g, const InitialState& init, int horizon,
                             double tolerance) {
  const std::size_t n = g.node_count, m = g.edge_count();
  const int now = init.now, H = now + horizon;
  constexpr int kNoHit = std::numeric_limits<int>::min();
  std::vector<Stored> theta(m, Stored{1}), phi(m, Stored{0});
  std::vector<double> prev_cavity(m, 0.0);        // cavity at the last phi update
  std::vector<std::vector<double>> edge_ring(m);  // with a reverse and an onset delay
  std::vector<std::vector<double>> ring(n);       // P_S(t - L .. t), onset delay
  std::vector<double> ps = init.p_s, pr = init.p_r, pi = init.p_i, ps_end = init.p_s;
  std::vector<double> ps_before = init.p_s, pr_now = init.p_r;
  std::vector<int> eta_hit(n, kNoHit);
  std::vector<char> propagating(n, 0), reached(n, 0);  // reached: has a propagating in-neighbour
  auto keep = [&](NodeIndex k) { return init.Fixed(k) ? 1.0 : 1.0 - g.q[k]; };
  auto start_propagating = [&](NodeIndex k) {
    propagating[k] = 1;
    const int L = g.latency[k];
    ring[k].assign(static_cast<std::size_t>(L) + 1, init.p_s[k]);
    for (EdgeIndex e : g.out(k)) {
      if (init.p_i[k] != 0) phi[e] = static_cast<Stored>(init.p_i[k]);
      prev_cavity[e] = init.p_s[k];
      if (g.reverse_of(e) != kNoEdge)
        edge_ring[e].assign(static_cast<std::size_t>(L) + 1, init.p_s[k]);
    }
  };
  auto mark_reached = [&] {
    for (NodeIndex k = 0; k < n; ++k) {
      if (!propagating[k]) continue;
      for (NodeIndex j : g.successors(k)) reached[j] = init.p_s[j] > 0;
    }
  };
  auto pr_now_of = [&](NodeIndex v) { return now > 0 ? pr_now[v] : init.p_r[v]; };
  auto snap_now = [&](int t) {
    for (NodeIndex k = 0; k < n; ++k) {
      if (!propagating[k]) continue;
      if (t > 0) pr_now[k] = pr[k];
      eta_hit[k] = kNoHit;
      const int L = g.latency[k];
      const int span = L + 1;
      for (int s = t - L; s <= t; ++s) {
        const double p =
            L > 0 ? ring[k][static_cast<std::size_t>(((s % span) + span) % span)] : ps[k];
        if (1.0 - p - pr_now_of(k) >= 0.5) {
          eta_hit[k] = s;
          break;
        }
      }
    }
  };
  auto start_sources = [&](int t) {
    for (NodeIndex k = 0; k < n; ++k) {
      if (init.p_i[k] > 0 && !propagating[k] && init.Start(k) == t && init.Start(k) < init.End(k)) {
        start_propagating(k);
      }
    }
  };
  start_sources(0);
  mark_reached();
  if (now == 0) snap_now(0);
  for (int t = 1; t <= H; ++t) {
    // Pass 1: theta(t), P_S(t) of the nodes reached before this step.
    const std::vector<char> reached_before = reached;
    for (NodeIndex i = 0; i < n; ++i) {
      if (!reached_before[i]) continue;
      const int L = g.latency[i];
      if (t <= init.Start(i)) {
        if (t + L <= init.WindowEnd(i, horizon)) ps_end[i] = init.p_s[i];
        continue;
      }
      double prod = init.p_s[i];
      for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) {
        theta[e] = static_cast<Stored>(theta[e] - g.p[e] * phi[e]);
        prod *= theta[e];
      }
      ps[i] = prod;
      if (t + L <= init.WindowEnd(i, horizon)) ps_end[i] = prod;
      if (t > now && eta_hit[i] == kNoHit && 1.0 - prod - pr_now_of(i) >= 0.5) eta_hit[i] = t;
      if (!propagating[i] && t < init.End(i) && init.p_s[i] - prod > tolerance) {
        start_propagating(i);
        for (NodeIndex j : g.successors(i)) reached[j] = init.p_s[j] > 0;
      }
    }
    // Pass 2: phi(t) on every edge out of a propagating node.
    for (NodeIndex i = 0; i < n; ++i) {
      if (!reached[i]) continue;
      for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) {
        const NodeIndex k = g.source[e];
        if (!propagating[k]) continue;
        if (t >= init.End(k)) {
          phi[e] = 0;
          continue;
        }
        const EdgeIndex rev = g.reverse_of(e);
        double cavity = ps[k];
        if (rev != kNoEdge) {
          if (theta[rev] > kDmpTinyTheta) {
            cavity = ps[k] / theta[rev];
          } else {
            cavity = init.p_s[k];
            for (EdgeIndex f = g.in_begin(k); f < g.in_end(k); ++f) {
              if (f != rev) cavity *= theta[f];
            }
          }
        }
        const double decay = t <= init.Start(i) ? keep(k) : (1.0 - g.p[e]) * keep(k);
        const int L = g.latency[k];
        if (L == 0) {
          const double before = rev != kNoEdge ? prev_cavity[e] : ps_before[k];
          phi[e] = static_cast<Stored>(decay * phi[e] - (cavity - before));
          prev_cavity[e] = cavity;
          continue;
        }
        const auto span = static_cast<std::size_t>(L) + 1;
        const std::size_t older = static_cast<std::size_t>(t) % span;
        const std::size_t newer = static_cast<std::size_t>(t + 1) % span;
        std::vector<double>& r = rev != kNoEdge ? edge_ring[e] : ring[k];
        const double onset = r[older] - r[newer];
        if (rev != kNoEdge) r[older] = cavity;
        phi[e] = static_cast<Stored>(decay * phi[e] + onset);
      }
    }
    // End of step: P_R, P_I, rings of the propagating nodes.
    for (NodeIndex k = 0; k < n; ++k) {
      if (!propagating[k]) continue;
      ps_before[k] = ps[k];
      if (t >= init.End(k)) {
        pr[k] = 1.0;
        pi[k] = 0.0;
        continue;
      }
      pr[k] += (init.Fixed(k) ? 0.0 : g.q[k]) * pi[k];
      double ps_onset = ps[k];
      if (const int L = g.latency[k]; L > 0) {
        const auto span = static_cast<std::size_t>(L) + 1;
        ring[k][static_cast<std::size_t>(t) % span] = ps[k];
        ps_onset = ring[k][static_cast<std::size_t>(t + 1) % span];
      }
      pi[k] = std::max(0.0, 1.0 - ps_onset - pr[k]);
    }
    start_sources(t);
    mark_reached();
    if (t == now) snap_now(t);
  }
  ReferenceDmp out;
  out.risk.assign(n, 0.0);
  out.eta.assign(n, -1);
  out.parent.assign(n, kNoNode);
  std::vector<char> listed = propagating;
  for (NodeIndex k = 0; k < n; ++k) {
    out.propagating += propagating[k];
    if (!propagating[k]) continue;
    for (NodeIndex j : g.successors(k)) listed[j] = 1;
  }
  for (NodeIndex v = 0; v < n; ++v) {
    if (!listed[v]) continue;
    const bool removed = init.End(v) <= now;
    out.risk[v] = removed ? 0.0
                          : std::max(init.EvidenceFloor(v),
                                     std::clamp(1.0 - ps_end[v] - pr_now_of(v), 0.0, 1.0));
    const int L = g.latency[v];
    if (!removed && eta_hit[v] != kNoHit && eta_hit[v] + L <= init.WindowEnd(v, horizon)) {
      out.eta[v] = std::max(0, eta_hit[v] + L - now);
    }
    double best = 0;
    for (EdgeIndex e = g.in_begin(v); e < g.in_end(v); ++e) {
      if (1.0 - theta[e] > best) {
        best = 1.0 - theta[e];
        out.parent[v] = g.source[e];
      }
    }
  }
  return out;
}

// dmp.cc's runs (its workspace, frontier lists and passes, on graphs with
// and without reverse edges) against the reference above, bit for bit: scale-free
// graphs (hubs) both ways and one way (the fused pass), and one-way graphs
// with a share of two-way supplier pairs, in a frame starting now, with onset delays, and with
// random onset steps, shields, ends and fixed periods in a frame that
// started before now; tolerances 0 and 1e-3; some edges with p = 1 that
// surely pass (the explicit cavity, read both by nodes before and after
// the edge's source in node order); double and float messages.
template <typename Stored>
void ExpectRunsEqualTheReference() {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    Network ba = BarabasiAlbert(60, 3, {.seed = seed, .min_weight = 0.5, .max_weight = 2.0});
    Network mixed = testing::RandomGraph(60, 150, seed);
    std::mt19937_64 rng(seed);
    std::vector<std::tuple<NodeIndex, NodeIndex, double>> add;
    for (NodeIndex u = 0; u < mixed.node_slots(); ++u) {
      for (EdgeIndex e = mixed.out_begin(u); e < mixed.out_end(u); ++e) {
        if (rng() % 3 == 0) add.emplace_back(mixed.edge_target(e), u, mixed.edge_weight(e));
      }
    }
    for (const auto& [from, to, w] : add) (void)mixed.AddEdge(from, to, Layer::kMaterial, w);
    mixed.Compact();
    for (Network* net : {&ba, &mixed}) {
      for (NodeIndex v = 0; v < net->node_slots(); v += 4) {
        NodeAttributes a = net->node(v);
        a.inventory_days = 1.0 + static_cast<double>(v % 3);
        ASSERT_TRUE(net->UpdateNode(a).ok());
      }
    }
    struct Case {
      const Network* net;
      Direction direction;
    };
    for (const Case& c : {Case{&ba, Direction::kBoth}, Case{&ba, Direction::kDownstream},
                          Case{&mixed, Direction::kDownstream}, Case{&mixed, Direction::kBoth}}) {
      for (const bool latency : {false, true}) {
        TransmissionGraph g = testing::BuildGraph(*c.net, c.direction, 1.5, 0.3);
        ASSERT_EQ(g.has_reverse, c.net == &mixed || c.direction == Direction::kBoth);
        if (!latency) {
          std::fill(g.latency.begin(), g.latency.end(), std::uint16_t{0});
          g.has_latency = false;
        }
        for (EdgeIndex e = 0; e < g.edge_count(); e += 7) g.p[e] = 1.0;
        for (const int now : {0, 4}) {
          for (const double tolerance : {0.0, 1e-3}) {
            SCOPED_TRACE(::testing::Message()
                         << "seed " << seed << " direction " << static_cast<int>(c.direction)
                         << " latency " << latency << " now " << now << " tolerance " << tolerance);
            InitialState init;
            init.p_s.assign(g.node_count, 1.0);
            init.p_i.assign(g.node_count, 0.0);
            init.p_r.assign(g.node_count, 0.0);
            for (NodeIndex v : {NodeIndex{3}, NodeIndex{17}, NodeIndex{40}}) {
              init.p_s[v] = v == 17 ? 0.4 : 0.0;
              init.p_i[v] = 1.0 - init.p_s[v];
            }
            if (now > 0) testing::AddRandomTimes(&init, now, 8, seed);
            DmpOptions opt;
            opt.horizon = 8;
            opt.tolerance = tolerance;
            const ReferenceDmp expected = RunReferenceDmp<Stored>(g, init, opt.horizon, tolerance);
            const DmpResult got = RunDmp<Stored>(g, init, opt);
            EXPECT_EQ(got.touched_nodes, expected.propagating);
            EXPECT_GT(expected.propagating, 3u);
            for (NodeIndex v = 0; v < g.node_count; ++v) {
              EXPECT_EQ(got.risk[v], expected.risk[v]) << "node " << v;  // bit for bit
              EXPECT_EQ(got.eta[v], expected.eta[v]) << "node " << v;
              EXPECT_EQ(got.parent[v], expected.parent[v]) << "node " << v;
            }
          }
        }
      }
    }
  }
}

TEST(DmpTest, RunsEqualAStraightforwardReferenceBitForBit) {
  ExpectRunsEqualTheReference<double>();
  ExpectRunsEqualTheReference<float>();
}

}  // namespace
}  // namespace riskd::engine
