#include "engine/immunization/outbreak_sample.h"

#include <gtest/gtest.h>

#include "engine/immunization/testing/spread.h"
#include "engine/monte_carlo.h"
#include "engine/testing/graphs.h"

namespace riskd::engine::immunization {
namespace {

using testing::Disrupted;
using testing::SpreadGraph;

// A loopy random graph with inventory delays on a few nodes, two certain
// sources, a partly disrupted one and a recovered node.
struct Loopy {
  Network net = engine::testing::RandomGraph(60, 150, 7);
  TransmissionGraph graph;
  InitialState state;
  Loopy() {
    for (NodeIndex v : {3u, 11u, 20u}) {
      NodeAttributes a = net.node(v);
      a.inventory_days = 2;
      EXPECT_TRUE(net.UpdateNode(a).ok());
    }
    net.Compact();
    graph = SpreadGraph(net, Direction::kBoth, 1.5, 0.3);
    state = Disrupted(net, {{0, 1.0}, {1, 1.0}, {2, 0.5}});
    state.p_s[5] = 0;
    state.p_r[5] = 1;
  }
};

// The state with v protected (recovered from the start).
InitialState Protected(InitialState state, std::initializer_list<NodeIndex> nodes) {
  for (NodeIndex v : nodes) {
    state.p_s[v] = 0;
    state.p_i[v] = 0;
    state.p_r[v] = 1;
  }
  return state;
}

constexpr OutbreakSampleOptions kOptions{.horizon = 12, .seed = 99, .realizations = 300};

TEST(OutbreakSampleTest, DrawsTheEngineMonteCarloOutbreaks) {
  Loopy f;
  OutbreakSample sample(f.graph, f.state, kOptions);
  const MonteCarloResult mc =
      RunMonteCarlo(f.graph, f.state, {.horizon = kOptions.horizon, .seed = kOptions.seed},
                    kOptions.realizations);
  ASSERT_EQ(sample.realizations(), kOptions.realizations);
  std::uint64_t total = 0;
  for (std::uint32_t k = 0; k < sample.realizations(); ++k) {
    EXPECT_EQ(sample.size(k), mc.sizes[k]) << "realization " << k;
    total += mc.sizes[k];
  }
  EXPECT_EQ(sample.total_disrupted(), total);
  EXPECT_GT(sample.mean_disrupted(), 3.0);  // the spread goes beyond the sources
  for (NodeIndex v = 0; v < f.net.node_slots(); ++v) {
    EXPECT_DOUBLE_EQ(sample.hits(v) / double{kOptions.realizations}, mc.risk[v]) << "node " << v;
  }
}

TEST(OutbreakSampleTest, SavedIsExactAndBoundedBySubtrees) {
  Loopy f;
  constexpr OutbreakSampleOptions kFewer{.horizon = 12, .seed = 99, .realizations = 120};
  OutbreakSample sample(f.graph, f.state, kFewer);
  std::vector<NodeIndex> all;
  for (NodeIndex v = 0; v < f.net.node_slots(); ++v) all.push_back(v);
  const std::vector<std::uint64_t> saved = sample.Saved(all);
  int loose = 0;
  for (NodeIndex v : all) {
    OutbreakSample without(f.graph, Protected(f.state, {v}), kFewer);
    EXPECT_EQ(saved[v], sample.total_disrupted() - without.total_disrupted()) << "node " << v;
    EXPECT_GE(sample.subtree_total(v), saved[v]) << "node " << v;
    if (sample.subtree_total(v) > saved[v]) ++loose;
  }
  EXPECT_GT(loose, 0);  // loops give alternative paths: the bound is not always tight
}

TEST(OutbreakSampleTest, BoundIsTightOnATreeWithOneSource) {
  const Network net = engine::testing::RandomTree(80, 3);
  const TransmissionGraph graph = SpreadGraph(net, Direction::kBoth, 2.0, 0.2);
  OutbreakSample sample(graph, Disrupted(net, {{0, 1.0}}), kOptions);
  std::vector<NodeIndex> all;
  for (NodeIndex v = 0; v < net.node_slots(); ++v) all.push_back(v);
  const std::vector<std::uint64_t> saved = sample.Saved(all);
  for (NodeIndex v : all) EXPECT_EQ(saved[v], sample.subtree_total(v)) << "node " << v;
}

TEST(OutbreakSampleTest, ProtectReroutesLikeADrawWithoutTheNode) {
  Loopy f;
  OutbreakSample sample(f.graph, f.state, kOptions);
  const std::vector<NodeIndex> order = {2, 9, 14, 30};
  std::vector<NodeIndex> done;
  for (NodeIndex v : order) {
    const std::uint64_t expected_saved = sample.Saved(std::vector<NodeIndex>{v})[0];
    const std::uint32_t hits = sample.hits(v);
    const ProtectOutcome outcome = sample.Protect(v);
    EXPECT_EQ(outcome.saved, expected_saved);
    EXPECT_EQ(outcome.hits, hits);
    EXPECT_EQ(sample.hits(v), 0u);
    done.push_back(v);
    InitialState state = f.state;
    for (NodeIndex d : done) state = Protected(state, {d});
    OutbreakSample redrawn(f.graph, state, kOptions);
    for (std::uint32_t k = 0; k < sample.realizations(); ++k) {
      ASSERT_EQ(sample.size(k), redrawn.size(k)) << "after " << v << ", realization " << k;
    }
    for (NodeIndex u = 0; u < f.net.node_slots(); ++u) {
      ASSERT_EQ(sample.hits(u), redrawn.hits(u)) << "after " << v << ", node " << u;
    }
    // Further savings are read off the rerouted forests exactly too.
    for (NodeIndex u : {4u, 17u, 25u}) {
      OutbreakSample without(f.graph, Protected(state, {u}), kOptions);
      EXPECT_EQ(sample.Saved(std::vector<NodeIndex>{u})[0],
                sample.total_disrupted() - without.total_disrupted());
    }
  }
}

TEST(OutbreakSampleTest, ProtectNamesTheUsualOrigin) {
  // 0 -> 1 -> 2 and 3 -> 2: 2 is reached from 0 only through 1, from 3
  // directly, and 3 spreads for sure while 0 does not.
  const Network net = engine::testing::MakeNetwork(4, {{0, 1, 1}, {1, 2, 1}, {3, 2, 1}});
  const TransmissionGraph graph = SpreadGraph(net, Direction::kDownstream, 40, 0, true);
  OutbreakSample sample(graph, Disrupted(net, {{0, 0.2}, {3, 1.0}}), kOptions);
  const ProtectOutcome outcome = sample.Protect(2);
  EXPECT_EQ(outcome.hits, kOptions.realizations);
  EXPECT_EQ(outcome.saved, kOptions.realizations);
  EXPECT_EQ(outcome.origin, 3u);
}

TEST(OutbreakSampleTest, StopsDrawingWhenTheWorkBudgetIsSpent) {
  Loopy f;
  OutbreakSample sample(
      f.graph, f.state,
      {.horizon = 12, .seed = 99, .realizations = 300, .max_work = 1, .min_realizations = 7});
  EXPECT_EQ(sample.realizations(), 7u);
  EXPECT_GT(sample.work(), 1u);
}

TEST(OutbreakSampleTest, AnInterruptKeepsOnlyTheWholeOutbreaksDrawnBeforeIt) {
  Loopy f;
  const OutbreakSample whole(f.graph, f.state, kOptions);
  // Asked once per step of each outbreak (horizon 12: 13 steps), so the
  // 100th call falls inside outbreak 7 (calls 92..104).
  int calls = 0;
  const InterruptRequested at_call_100 = [&calls] { return ++calls == 100; };
  OutbreakSampleOptions options = kOptions;
  options.interrupt = &at_call_100;
  const OutbreakSample cut(f.graph, f.state, options);
  EXPECT_TRUE(cut.interrupted());
  EXPECT_EQ(calls, 100);
  ASSERT_EQ(cut.realizations(), 7u);
  std::uint64_t total = 0;
  for (std::uint32_t k = 0; k < 7; ++k) {
    EXPECT_EQ(cut.size(k), whole.size(k)) << "realization " << k;
    total += whole.size(k);
  }
  EXPECT_EQ(cut.total_disrupted(), total);

  // An interrupt that never says stop changes nothing.
  const InterruptRequested never = [] { return false; };
  options.interrupt = &never;
  const OutbreakSample asked(f.graph, f.state, options);
  EXPECT_FALSE(asked.interrupted());
  ASSERT_EQ(asked.realizations(), whole.realizations());
  for (std::uint32_t k = 0; k < whole.realizations(); ++k) {
    EXPECT_EQ(asked.size(k), whole.size(k)) << "realization " << k;
  }
  for (NodeIndex v = 0; v < f.net.node_slots(); ++v) EXPECT_EQ(asked.hits(v), whole.hits(v));
  EXPECT_EQ(asked.work(), whole.work());
}

}  // namespace
}  // namespace riskd::engine::immunization
