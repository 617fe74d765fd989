#include "engine/projection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "engine/engine.h"
#include "engine/testing/digest.h"
#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/random_changes.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/statistics.h"
#include "engine/vulnerability.h"

namespace riskd::engine {
namespace {

ProjectionOptions Quick() {
  ProjectionOptions o;
  o.check_realizations = 400;
  o.serve_realizations = 800;
  o.max_dmp_error = 0.02;
  return o;
}

TEST(ProjectionTest, TreesServeDmpWithItsValues) {
  Network net = testing::RandomTree(300, 3);
  const auto g = testing::BuildGraph(net, Direction::kBoth, 3.0, 0.3);
  std::vector<Observation> obs(300);
  obs[10] = {NodeState::kDisrupted, 1.0};
  obs[200] = {NodeState::kDisrupted, 0.6};
  const InitialState init = InitialState::FromObservations(net, obs);
  DmpOptions d;
  d.horizon = 15;
  Projector projector(d, Quick());
  ProjectionWorkspace ws;
  projector.Full(g, init, &ws);
  const Projection& p = projector.projection();
  EXPECT_EQ(p.method, ProjectionMethod::kDmp);
  const DmpResult dmp = RunDmp<ProjectionMessage>(g, init, d);
  for (NodeIndex v = 0; v < 300; ++v) {
    EXPECT_DOUBLE_EQ(p.risk[v], dmp.risk[v]);
    EXPECT_EQ(p.eta[v], dmp.eta[v]);
    EXPECT_EQ(p.parent[v], dmp.parent[v]);
  }
  EXPECT_NEAR(p.expected_disrupted, dmp.expected_disrupted, 1e-9);
  for (const RegionSummary& r : p.regions) EXPECT_LE(r.dmp_error, 0.02);
  // The 90% interval brackets the mean.
  EXPECT_EQ(p.interval_realizations, 400u);
  EXPECT_LE(p.disrupted_p05, p.expected_disrupted);
  EXPECT_GE(p.disrupted_p95, p.expected_disrupted);
  EXPECT_GE(p.disrupted_p05, 1.0);  // the certain source
}

TEST(ProjectionTest, ClusteredGraphNearThresholdServesMonteCarlo) {
  // A Watts-Strogatz ring near threshold: DMP predicts about ten times the
  // true outbreak; the check must catch it.
  Network net = WattsStrogatz(2000, 3, 0.05, {.seed = 3});
  const auto g =
      testing::BuildGraph(net, Direction::kBoth, 0.9, 0.3, VulnerabilityOptions::Mode::kUniform);
  std::vector<Observation> obs(2000);
  obs[0] = {NodeState::kDisrupted, 1.0};
  const InitialState init = InitialState::FromObservations(net, obs);
  DmpOptions d;
  d.horizon = 30;
  Projector projector(d, Quick());
  ProjectionWorkspace ws;
  projector.Full(g, init, &ws);
  const Projection& p = projector.projection();
  ASSERT_EQ(p.regions.size(), 1u);
  EXPECT_EQ(p.method, ProjectionMethod::kMonteCarlo);
  EXPECT_GT(p.regions[0].dmp_error, 0.1);
  EXPECT_EQ(p.regions[0].served_realizations, 800u);
  const DmpResult dmp = RunDmp(g, init, d);
  EXPECT_GT(dmp.expected_disrupted, 5 * p.expected_disrupted);
  // Served risks agree with an independent Monte Carlo (another seed).
  MonteCarloOptions mo;
  mo.horizon = 30;
  mo.seed = 12345;
  const MonteCarloResult reference = RunMonteCarlo(g, init, mo, 2000);
  double error = 0;
  for (NodeIndex v = 0; v < 2000; ++v) error += std::fabs(p.risk[v] - reference.risk[v]);
  EXPECT_LT(error / 2000, 0.005);
  EXPECT_NEAR(p.expected_disrupted, reference.expected_disrupted,
              0.1 * reference.expected_disrupted);
}

// Publish first, refine after: with defer_check the projection is DMP at
// once, unchecked; Refine() then checks region by region under its budget
// and ends exactly where the synchronous check is, after a Full and after an
// Update. On a tree the refinement changes no value.
// Two copies of a clustered ring near threshold, one disruption in each:
// two regions on which DMP is far off (Monte Carlo serves once checked).
struct TwoClusteredRings {
  Network net;
  TransmissionGraph g;
  InitialState init;
  TwoClusteredRings() {
    std::vector<std::tuple<int, int, double>> edges;
    for (const Edge& e : WattsStrogatz(1000, 3, 0.05, {.seed = 3}).Edges()) {
      for (int copy : {0, 1000}) {
        edges.emplace_back(static_cast<int>(e.from) + copy, static_cast<int>(e.to) + copy,
                           e.weight);
      }
    }
    net = testing::MakeNetwork(2000, edges);
    g = testing::BuildGraph(net, Direction::kBoth, 0.9, 0.3, VulnerabilityOptions::Mode::kUniform);
    std::vector<Observation> obs(2000);
    obs[0] = {NodeState::kDisrupted, 1.0};
    obs[1000] = {NodeState::kDisrupted, 1.0};
    init = InitialState::FromObservations(net, obs);
  }
};

TEST(ProjectionTest, DeferredCheckPublishesDmpFirstAndRefinesToTheSynchronousResult) {
  TwoClusteredRings rings;
  const TransmissionGraph& g = rings.g;
  InitialState& init = rings.init;
  DmpOptions d;
  d.horizon = 30;
  ProjectionOptions deferred_options = Quick();
  deferred_options.defer_check = true;
  Projector sync(d, Quick()), deferred(d, deferred_options);
  ProjectionWorkspace ws;
  auto expect_same = [&](const Projection& a, const Projection& b) {
    for (NodeIndex v = 0; v < 2000; ++v) {
      ASSERT_EQ(a.risk[v], b.risk[v]) << v;
      ASSERT_EQ(a.eta[v], b.eta[v]) << v;
      ASSERT_EQ(a.parent[v], b.parent[v]) << v;
      ASSERT_EQ(a.node_method[v], b.node_method[v]) << v;
      ASSERT_EQ(a.node_checked[v], b.node_checked[v]) << v;
    }
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.disrupted_p05, b.disrupted_p05);
    EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
    EXPECT_EQ(a.unchecked_regions, 0u);
  };
  sync.Full(g, init, &ws);
  deferred.Full(g, init, &ws);
  const Projection& p = deferred.projection();
  ASSERT_EQ(p.regions.size(), 2u);
  EXPECT_EQ(p.unchecked_regions, 2u);
  EXPECT_EQ(p.method, ProjectionMethod::kDmp);
  EXPECT_EQ(p.mc_work, 0u);
  const DmpResult dmp = RunDmp<ProjectionMessage>(g, init, d);
  for (NodeIndex v = 0; v < 2000; ++v) {
    EXPECT_EQ(p.node_checked[v], 0) << v;
    if (p.node_method[v] == ProjectionMethod::kDmp) {
      EXPECT_DOUBLE_EQ(p.risk[v], dmp.risk[v]) << v;
    }
  }
  for (const RegionSummary& r : p.regions) EXPECT_FALSE(r.checked);
  // A budget of 0 still checks one region.
  RefineOutcome step = deferred.Refine(g, init, 0, &ws);
  EXPECT_EQ(step.regions_checked, 1u);
  EXPECT_EQ(step.regions_pending, 1u);
  EXPECT_EQ(deferred.projection().unchecked_regions, 1u);
  step = deferred.Refine(g, init, std::numeric_limits<std::uint64_t>::max(), &ws);
  EXPECT_EQ(step.regions_checked, 1u);
  EXPECT_EQ(step.regions_pending, 0u);
  EXPECT_GT(step.served_monte_carlo, 0u);
  EXPECT_GT(step.max_risk_change, 0.1);  // DMP is far off here: material
  expect_same(sync.projection(), deferred.projection());
  for (const RegionSummary& r : deferred.projection().regions) EXPECT_TRUE(r.checked);
  // A change: the region it touches is recomputed and pending again. The
  // checks' Monte Carlo workspace is not held through the deferred
  // projection's DMP run (the next Refine prepares it again).
  EXPECT_GT(ws.mc.MemoryBytes(), 0u);
  const NodeIndex fresh = 1500;
  init.p_s[fresh] = 0;
  init.p_i[fresh] = 1;
  sync.Update(g, init, {&fresh, 1}, &ws);
  EXPECT_GT(ws.mc.MemoryBytes(), 0u);  // checked while projecting: kept
  deferred.Update(g, init, {&fresh, 1}, &ws);
  EXPECT_EQ(ws.mc.MemoryBytes(), 0u);
  EXPECT_GE(deferred.projection().unchecked_regions, 1u);
  EXPECT_EQ(deferred.projection().node_checked[fresh], 0);
  while (deferred.projection().unchecked_regions > 0) (void)deferred.Refine(g, init, 0, &ws);
  expect_same(sync.projection(), deferred.projection());

  // A tree: DMP is exact, the check passes and changes nothing.
  Network tree = testing::RandomTree(300, 3);
  const auto t = testing::BuildGraph(tree, Direction::kBoth, 3.0, 0.3);
  std::vector<Observation> tree_obs(300);
  tree_obs[10] = {NodeState::kDisrupted, 1.0};
  const InitialState tree_init = InitialState::FromObservations(tree, tree_obs);
  Projector on_tree(d, deferred_options);
  on_tree.Full(t, tree_init, &ws);
  const std::vector<double> before = on_tree.projection().risk;
  step = on_tree.Refine(t, tree_init, std::numeric_limits<std::uint64_t>::max(), &ws);
  EXPECT_EQ(step.max_risk_change, 0.0);
  EXPECT_EQ(step.served_monte_carlo, 0u);
  EXPECT_EQ(on_tree.projection().risk, before);
  EXPECT_EQ(on_tree.projection().method, ProjectionMethod::kDmp);
  for (const RegionSummary& r : on_tree.projection().regions) EXPECT_TRUE(r.checked);
}

// Kept Monte Carlo checks (Projector::Check) stay within their memory
// bound: a projection of the same inputs again serves a small region's
// check from the kept one, while a region whose check would take more than
// the bound to keep is checked again, and nothing of it is kept.
TEST(ProjectionTest, ChecksAreKeptWithinTheirMemoryBound) {
  for (const int n : {2000, 100000}) {
    SCOPED_TRACE(n);
    Network net = testing::RandomTree(n, 3);
    auto g = testing::BuildGraph(net, Direction::kBoth, 3.0, 0.3);
    g.generation.value = 1;  // as the engine numbers its graphs
    std::vector<Observation> obs(static_cast<std::size_t>(n));
    obs[0] = {NodeState::kDisrupted, 1.0};
    const InitialState init = InitialState::FromObservations(net, obs);
    DmpOptions d;
    d.horizon = 40;
    ProjectionOptions o = Quick();
    o.check_realizations = o.min_realizations;
    Projector projector(d, o);
    ProjectionWorkspace ws;
    projector.Full(g, init, &ws);
    ASSERT_EQ(projector.projection().regions.size(), 1u);
    const std::size_t entries = projector.projection().regions[0].nodes;
    EXPECT_EQ(projector.projection().reused_checks, 0u);
    const std::vector<double> risk = projector.projection().risk;
    projector.Full(g, init, &ws);
    EXPECT_EQ(projector.projection().risk, risk);
    EXPECT_LE(projector.KeptCheckBytes(), Projector::kCheckMemoBytes);
    if (n == 2000) {
      EXPECT_EQ(projector.projection().reused_checks, 1u);
      EXPECT_GT(projector.KeptCheckBytes(), entries * 52);
    } else {
      EXPECT_GT(entries * 52, Projector::kCheckMemoBytes);  // too big to keep
      EXPECT_EQ(projector.projection().reused_checks, 0u);
      EXPECT_EQ(projector.KeptCheckBytes(), 0u);
    }
  }
}

// What a deferred projection publishes once every check ran: the values,
// the region summaries and the 90% interval, and how many checks were
// served from kept ones.
struct CheckedOutcome {
  std::vector<double> risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  std::vector<double> dmp_error;
  std::vector<std::uint32_t> served;
  std::vector<ProjectionMethod> method;
  double p05 = 0, p95 = 0;
  std::size_t reused = 0;
  std::vector<bool> in_region;
};

// Full, then the region's published DMP risks set to `dmp` + `add` (so
// that a test can vary one input of the check and leave the DMP risks it
// is compared with as they were), then every deferred check.
CheckedOutcome ProjectAndCheck(Projector* p, const TransmissionGraph& g, const InitialState& init,
                               const std::vector<double>& dmp, double add) {
  constexpr auto kNoLimit = std::numeric_limits<std::uint64_t>::max();
  ProjectionWorkspace ws;
  p->Full(g, init, &ws);
  Projection& published = p->mutable_projection();
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (p->RegionOf(v) >= 0) published.risk[v] = std::min(1.0, dmp[v] + add);
  }
  CheckedOutcome o;
  while (p->projection().unchecked_regions > 0) {
    (void)p->Refine(g, init, kNoLimit, &ws);
    o.reused += p->projection().reused_checks;
  }
  const Projection& q = p->projection();
  o.risk = q.risk;
  o.eta = q.eta;
  o.parent = q.parent;
  o.p05 = q.disrupted_p05;
  o.p95 = q.disrupted_p95;
  for (const RegionSummary& r : q.regions) {
    o.dmp_error.push_back(r.dmp_error);
    o.served.push_back(r.served_realizations);
    o.method.push_back(r.method);
  }
  for (NodeIndex v = 0; v < g.node_count; ++v) o.in_region.push_back(p->RegionOf(v) >= 0);
  return o;
}

// A projector that checked (g0, i0) and then checks (g1, i1), which differ
// in one input of the check only, runs that check again (none served from
// the kept one) and publishes what a fresh projector does; asked the same
// again, it serves the check from the kept one, with the same values.
void ExpectCheckedAgainAsFresh(const TransmissionGraph& g0, const InitialState& i0,
                               const TransmissionGraph& g1, const InitialState& i1, double add) {
  DmpOptions d;
  d.horizon = 20;
  ProjectionOptions o;
  o.check_realizations = 300;
  o.serve_realizations = 600;
  o.max_dmp_error = 0.02;
  o.defer_check = true;
  std::vector<double> dmp;
  {
    Projector p(d, o);
    ProjectionWorkspace ws;
    p.Full(g0, i0, &ws);
    dmp = p.projection().risk;
  }
  Projector kept(d, o), fresh(d, o);
  const CheckedOutcome first = ProjectAndCheck(&kept, g0, i0, dmp, 0);
  const CheckedOutcome again = ProjectAndCheck(&kept, g1, i1, dmp, add);
  const CheckedOutcome reference = ProjectAndCheck(&fresh, g1, i1, dmp, add);
  ASSERT_EQ(again.in_region, first.in_region) << "the region changed: not a test of one input";
  EXPECT_EQ(again.reused, 0u);
  EXPECT_EQ(again.risk, reference.risk);
  EXPECT_EQ(again.eta, reference.eta);
  EXPECT_EQ(again.parent, reference.parent);
  EXPECT_EQ(again.dmp_error, reference.dmp_error);
  EXPECT_EQ(again.served, reference.served);
  EXPECT_EQ(again.method, reference.method);
  EXPECT_EQ(again.p05, reference.p05);
  EXPECT_EQ(again.p95, reference.p95);
  const CheckedOutcome repeated = ProjectAndCheck(&kept, g1, i1, dmp, add);
  EXPECT_GT(repeated.reused, 0u);
  EXPECT_EQ(repeated.risk, reference.risk);
  EXPECT_EQ(repeated.dmp_error, reference.dmp_error);
}

struct OneSourceTree {
  static constexpr int kNodes = 300;
  Network net = testing::RandomTree(kNodes, 3);
  TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 3.0, 0.3);
  InitialState Disrupted(double severity) const {
    std::vector<Observation> obs(kNodes);
    obs[0] = {NodeState::kDisrupted, severity};
    return InitialState::FromObservations(net, obs);
  }
};

// Every input of a check is part of what a kept check is found by: one of
// them changed (the DMP risks it is compared with held as they were) and
// the check runs again.
TEST(ProjectionTest, AKeptCheckServesOnlyTheSameInputs) {
  OneSourceTree tree;
  tree.g.generation.value = 1;
  InitialState base = tree.Disrupted(1.0);
  base.now = 3;
  base.start.assign(OneSourceTree::kNodes, 0);
  base.end.assign(OneSourceTree::kNodes, InitialState::kNever);
  base.fixed.assign(OneSourceTree::kNodes, 0);
  struct Change {
    const char* input;
    std::function<void(InitialState*)> apply;
    double dmp_added;
  };
  const std::vector<Change> changes = {
      {"p_i", [](InitialState* s) { s->p_i[0] = 0.7, s->p_s[0] = 0.3; }, 0},
      {"p_r", [](InitialState* s) { s->p_r[0] = 0.2, s->p_i[0] = 0.8; }, 0},
      {"p_s", [](InitialState* s) { s->p_s[1] = 0.6, s->p_r[1] = 0.4; }, 0},
      {"start", [](InitialState* s) { s->start[0] = 2; }, 0},
      {"end", [](InitialState* s) { s->end[0] = 5; }, 0},
      {"fixed", [](InitialState* s) { s->fixed[0] = 1; }, 0},
      {"now", [](InitialState* s) { s->now = 4; }, 0},
      {"dmp_risk", [](InitialState*) {}, 0.25},
  };
  for (const Change& c : changes) {
    SCOPED_TRACE(c.input);
    InitialState changed = base;
    c.apply(&changed);
    ExpectCheckedAgainAsFresh(tree.g, base, tree.g, changed, c.dmp_added);
  }
  // One ulp of severity below 0.5: p_s = 1 - severity is the same for both.
  InitialState partly = tree.Disrupted(0.3);
  partly.p_s[0] = 1.0 - 0.3;
  InitialState next_ulp = partly;
  next_ulp.p_i[0] = std::nextafter(0.3, 1.0);
  next_ulp.p_s[0] = 1.0 - next_ulp.p_i[0];
  ASSERT_EQ(next_ulp.p_s[0], partly.p_s[0]);
  SCOPED_TRACE("p_i by one ulp");
  ExpectCheckedAgainAsFresh(tree.g, partly, tree.g, next_ulp, 0);
}

// A graph of another generation (the engine numbers every graph it builds
// or updates) is another input, whatever it holds; and a copy of a graph
// carries no generation (a copy may be changed), so its checks are not kept.
TEST(ProjectionTest, AKeptCheckServesOnlyTheSameGraphGeneration) {
  OneSourceTree tree;
  tree.g.generation.value = 1;
  TransmissionGraph stronger = tree.g;
  EXPECT_EQ(stronger.generation.value, 0u);
  for (auto& p : stronger.p) p = std::min(0.99, p * 1.5);
  stronger.generation.value = 2;
  const InitialState init = tree.Disrupted(1.0);
  ExpectCheckedAgainAsFresh(tree.g, init, stronger, init, 0);
}

// The refinement's values are pure functions of the seed and the inputs:
// how the check stores its arcs and counts, and how Refine() hands the
// values over, must not change a bit of them. The digest is of what main
// 6551ed0 (the check's arcs gathered, 16-bit counts, the region's values
// copied) published: Monte Carlo serves both regions here, so the risks,
// ETAs (onset counts) and parents (infector counts) all come from the tally.
TEST(ProjectionTest, RefinementIsThatOfTheReferenceImplementation) {
  TwoClusteredRings rings;
  DmpOptions d;
  d.horizon = 30;
  ProjectionOptions options = Quick();
  options.defer_check = true;
  Projector deferred(d, options);
  ProjectionWorkspace ws;
  deferred.Full(rings.g, rings.init, &ws);
  const RefineOutcome step =
      deferred.Refine(rings.g, rings.init, std::numeric_limits<std::uint64_t>::max(), &ws);
  EXPECT_EQ(step.served_monte_carlo, 2u);
  testing::Fnv1aDigest digest;
  const Projection& p = deferred.projection();
  for (NodeIndex v = 0; v < 2000; ++v) {
    digest.MixBits(p.risk[v]);
    digest.Mix(static_cast<std::uint32_t>(p.eta[v]));
    digest.Mix(p.parent[v]);
    digest.Mix(static_cast<std::uint64_t>(p.node_method[v]));
  }
  digest.MixBits(p.disrupted_p05);
  digest.MixBits(p.disrupted_p95);
  EXPECT_EQ(digest.value(), 3016299507343738302ull);
  // Against the DMP values, whose last bits follow libm's exp (glibc picks
  // its implementation by CPU): near, not in the digest. The digest holds
  // Monte Carlo's values only (counts over realizations: exact anywhere).
  EXPECT_NEAR(step.max_risk_change, 0.706178820986142, 1e-12);
}

// An interrupt (the daemon's "an event is waiting") stops a refinement
// within a check: that region stays pending with its DMP values untouched,
// regions checked before it keep their check, and the checks redone later
// end exactly where an uninterrupted refinement does.
TEST(ProjectionTest, InterruptedRefinementLeavesTheRegionPendingAndUntouched) {
  TwoClusteredRings rings;
  DmpOptions d;
  ProjectionOptions o = Quick();
  o.defer_check = true;
  Projector reference(d, o), interrupted(d, o);
  ProjectionWorkspace ws;
  constexpr auto kNoLimit = std::numeric_limits<std::uint64_t>::max();
  reference.Full(rings.g, rings.init, &ws);
  while (reference.projection().unchecked_regions > 0) {
    (void)reference.Refine(rings.g, rings.init, kNoLimit, &ws);
  }
  interrupted.Full(rings.g, rings.init, &ws);
  const Projection published = interrupted.projection();
  ASSERT_EQ(published.unchecked_regions, 2u);
  // Stops before realization `after` + 1 of the slice.
  auto interrupt_after = [](int after) {
    return InterruptRequested([after, calls = 0]() mutable { return ++calls > after; });
  };
  auto expect_untouched = [&](std::size_t node_begin, std::size_t node_end) {
    for (std::size_t v = node_begin; v < node_end; ++v) {
      ASSERT_EQ(interrupted.projection().risk[v], published.risk[v]) << v;
      ASSERT_EQ(interrupted.projection().eta[v], published.eta[v]) << v;
      ASSERT_EQ(interrupted.projection().parent[v], published.parent[v]) << v;
      ASSERT_EQ(interrupted.projection().node_method[v], published.node_method[v]) << v;
      ASSERT_EQ(interrupted.projection().node_checked[v], 0) << v;
    }
  };
  // Within the first region's check (before any realization, then after
  // its minimum), then within its Monte Carlo serving (past the check's
  // realizations): nothing published changes, the work is counted.
  for (int after : {0, o.min_realizations + 10, o.check_realizations + 10}) {
    SCOPED_TRACE(after);
    const RefineOutcome step =
        interrupted.Refine(rings.g, rings.init, kNoLimit, &ws, interrupt_after(after));
    EXPECT_TRUE(step.interrupted);
    EXPECT_EQ(step.regions_checked, 0u);
    EXPECT_EQ(interrupted.projection().unchecked_regions, 2u);
    EXPECT_EQ(interrupted.projection().method, ProjectionMethod::kDmp);
    EXPECT_EQ(interrupted.projection().interval_realizations, 0u);
    EXPECT_EQ(interrupted.projection().mc_work > 0, after > 0);
    expect_untouched(0, 2000);
  }
  // Past the first region's check and serving: it is done, the second not.
  const RefineOutcome first = interrupted.Refine(rings.g, rings.init, kNoLimit, &ws,
                                                 interrupt_after(o.serve_realizations + 10));
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.regions_checked, 1u);
  EXPECT_EQ(first.regions_pending, 1u);
  EXPECT_EQ(interrupted.projection().unchecked_regions, 1u);
  EXPECT_EQ(interrupted.projection().node_checked[0], 1);
  expect_untouched(1000, 2000);
  // No interrupt: the rest, and everything equals the reference.
  const RefineOutcome rest = interrupted.Refine(rings.g, rings.init, kNoLimit, &ws);
  EXPECT_FALSE(rest.interrupted);
  EXPECT_EQ(rest.regions_checked, 1u);
  const Projection& a = reference.projection();
  const Projection& b = interrupted.projection();
  EXPECT_EQ(b.unchecked_regions, 0u);
  EXPECT_EQ(a.risk, b.risk);
  EXPECT_EQ(a.eta, b.eta);
  EXPECT_EQ(a.parent, b.parent);
  EXPECT_EQ(a.node_method, b.node_method);
  EXPECT_EQ(a.node_checked, b.node_checked);
  EXPECT_EQ(a.method, ProjectionMethod::kMonteCarlo);
  EXPECT_EQ(a.disrupted_p05, b.disrupted_p05);
  EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
  EXPECT_EQ(a.interval_realizations, b.interval_realizations);
}

TEST(ProjectionTest, ForcedMethods) {
  Network net = testing::RandomTree(50, 8);
  const auto g = testing::BuildGraph(net, Direction::kBoth, 2.0, 0.3);
  const InitialState init = InitialState::FromObservations(net, {{NodeState::kDisrupted, 1.0}});
  DmpOptions d;
  ProjectionWorkspace ws;
  ProjectionOptions o = Quick();
  o.method = ProjectionOptions::Choice::kDmp;
  Projector dmp_only(d, o);
  dmp_only.Full(g, init, &ws);
  EXPECT_EQ(dmp_only.projection().method, ProjectionMethod::kDmp);
  EXPECT_EQ(dmp_only.projection().interval_realizations, 0u);
  EXPECT_EQ(dmp_only.projection().disrupted_p05, dmp_only.projection().expected_disrupted);
  o.method = ProjectionOptions::Choice::kMonteCarlo;
  Projector mc_only(d, o);
  mc_only.Full(g, init, &ws);
  EXPECT_EQ(mc_only.projection().method, ProjectionMethod::kMonteCarlo);
  EXPECT_EQ(mc_only.projection().node_method[0], ProjectionMethod::kMonteCarlo);
  EXPECT_EQ(ProjectionMethodName(ProjectionMethod::kMonteCarlo), "monte_carlo");
  o.serve_realizations = 10;
  EXPECT_FALSE(ValidateProjectionOptions(o).ok());
}

TEST(ProjectionTest, RegionsSplitMergeAndRecomputeOnlyWhatChanged) {
  // A long chain 0 - 1 - ... - 59 (both ways) with sources at both ends:
  // two regions. A source in the middle joins them; recovering it splits
  // them again.
  std::vector<std::tuple<int, int, double>> edges;
  for (int v = 0; v + 1 < 60; ++v) edges.emplace_back(v, v + 1, 1.0);
  Network net = testing::MakeNetwork(60, edges);
  const auto g = testing::BuildGraph(net, Direction::kBoth, 1.0, 0.5);
  DmpOptions d;
  d.horizon = 10;
  Projector projector(d, Quick());
  ProjectionWorkspace ws;
  std::vector<Observation> obs(60);
  obs[0] = obs[59] = {NodeState::kDisrupted, 1.0};
  InitialState init = InitialState::FromObservations(net, obs);
  projector.Full(g, init, &ws);
  ASSERT_EQ(projector.projection().regions.size(), 2u);
  EXPECT_EQ(projector.projection().regions[0].first_source, 0u);
  EXPECT_EQ(projector.projection().regions[1].first_source, 59u);
  const auto untouched = projector.projection().risk;

  // Far from both: a third region, the other two untouched.
  obs[30] = {NodeState::kDisrupted, 1.0};
  init = InitialState::FromObservations(net, obs);
  const NodeIndex mid = 30;
  projector.Update(g, init, {&mid, 1}, &ws);
  EXPECT_EQ(projector.projection().regions.size(), 3u);
  EXPECT_EQ(projector.projection().recomputed_regions, 1u);
  EXPECT_EQ(projector.projection().risk[1], untouched[1]);

  // Next to the first: it joins that region.
  obs[6] = {NodeState::kDisrupted, 1.0};
  init = InitialState::FromObservations(net, obs);
  const NodeIndex six = 6;
  projector.Update(g, init, {&six, 1}, &ws);
  ASSERT_EQ(projector.projection().regions.size(), 3u);
  EXPECT_EQ(projector.projection().regions[0].sources, 2u);

  // Recovering it splits them again; the result equals a full recompute.
  obs[6] = {NodeState::kRecovered, 1.0};
  init = InitialState::FromObservations(net, obs);
  projector.Update(g, init, {&six, 1}, &ws);
  Projector fresh(d, Quick());
  fresh.Full(g, init, &ws);
  EXPECT_EQ(projector.projection().regions.size(), fresh.projection().regions.size());
  EXPECT_EQ(projector.projection().risk, fresh.projection().risk);
  EXPECT_EQ(projector.projection().disrupted_p95, fresh.projection().disrupted_p95);
}

// The same regions: sources, nodes and method, in the same order.
void ExpectSameRegions(const Projection& a, const Projection& b) {
  ASSERT_EQ(a.regions.size(), b.regions.size());
  for (std::size_t r = 0; r < a.regions.size(); ++r) {
    EXPECT_EQ(a.regions[r].first_source, b.regions[r].first_source);
    EXPECT_EQ(a.regions[r].sources, b.regions[r].sources);
    EXPECT_EQ(a.regions[r].nodes, b.regions[r].nodes);
    EXPECT_EQ(a.regions[r].method, b.regions[r].method);
  }
}

// A both-directions risk type with method DMP: every update takes the
// incremental path (incremental_dmp.h, two-way pairs) and projects exactly
// what a full recompute of the same state projects: risks, ETAs, causes
// (parents and cause paths), methods and regions.
TEST(ProjectionTest, TwoWayRiskTypeUpdatesIncrementallyAsAFullRecomputeProjects) {
  const Network net = testing::RandomGraph(400, 560, 31);
  const TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 1.2, 0.3);
  ASSERT_TRUE(g.has_reverse);
  DmpOptions d;
  d.horizon = 15;
  ProjectionOptions o;
  o.method = ProjectionOptions::Choice::kDmp;
  Projector projector(d, o);
  ProjectionWorkspace ws;
  InitialState init;
  init.p_s.assign(g.node_count, 1.0);
  init.p_i.assign(g.node_count, 0.0);
  init.p_r.assign(g.node_count, 0.0);
  for (NodeIndex v : {5u, 150u, 301u}) {
    init.p_s[v] = 0;
    init.p_i[v] = 1;
  }
  projector.Full(g, init, &ws);
  std::mt19937_64 rng(8);
  int incremental = 0;
  std::size_t regions_seen = 0;
  for (int step = 0; step < 40; ++step) {
    const auto v = static_cast<NodeIndex>(rng() % g.node_count);
    switch (rng() % 3) {
      case 0:  // a new disruption
        init.p_s[v] = 0.2;
        init.p_i[v] = 0.8;
        init.p_r[v] = 0;
        break;
      case 1:  // recovered
        init.p_s[v] = init.p_i[v] = 0;
        init.p_r[v] = 1;
        break;
      case 2:  // normal again
        init.p_s[v] = 1;
        init.p_i[v] = init.p_r[v] = 0;
        break;
    }
    projector.Update(g, init, {&v, 1}, &ws);
    const Projection& a = projector.projection();
    incremental += a.incremental_dmp;
    Projector fresh(d, o);
    fresh.Full(g, init, &ws);
    const Projection& b = fresh.projection();
    SCOPED_TRACE("step " + std::to_string(step));
    for (NodeIndex u = 0; u < g.node_count; ++u) {
      ASSERT_EQ(a.risk[u], b.risk[u]) << "node " << u;
      ASSERT_EQ(a.eta[u], b.eta[u]) << "node " << u;
      ASSERT_EQ(a.parent[u], b.parent[u]) << "node " << u;
      ASSERT_EQ(a.node_method[u], b.node_method[u]) << "node " << u;
      ASSERT_EQ(CausePath(a, init, u), CausePath(b, init, u)) << "node " << u;
    }
    EXPECT_NEAR(a.expected_disrupted, b.expected_disrupted, 1e-9);
    EXPECT_EQ(a.method, b.method);
    ExpectSameRegions(a, b);
    for (const auto& region : a.regions) EXPECT_FALSE(region.checked);
    regions_seen += a.regions.size();
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(incremental, 40);
  EXPECT_GT(regions_seen, 40u);  // several regions, merging and splitting
  EXPECT_GT(projector.IncrementalMemoryBytes(), 0u);
}

// --- Incremental == full recompute after random sequences of every change.

void ExpectSameProjection(const Projection& a, const Projection& b) {
  ASSERT_EQ(a.risk.size(), b.risk.size());
  for (std::size_t v = 0; v < a.risk.size(); ++v) {
    ASSERT_NEAR(a.risk[v], b.risk[v], 1e-9) << "node " << v;
    ASSERT_EQ(a.eta[v], b.eta[v]) << "node " << v;
    ASSERT_EQ(a.parent[v], b.parent[v]) << "node " << v;
    ASSERT_EQ(a.node_method[v], b.node_method[v]) << "node " << v;
  }
  EXPECT_NEAR(a.expected_disrupted, b.expected_disrupted, 1e-9);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.disrupted_p05, b.disrupted_p05);
  EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
  ExpectSameRegions(a, b);
}

// Applies `steps` random events of every kind to an engine, projecting after
// each batch and comparing with a from-scratch projection of the same state.
// Returns the fraction of region nodes the incremental updates recomputed.
// Two risk types (supply in `direction`; a leak upstream over data and
// material edges) with quick checks, for random-change runs.
EngineOptions RandomChangeOptions(Direction direction) {
  EngineOptions o;
  o.risk_types[0].alpha = 1.5;
  o.risk_types[0].beta = 0.4;
  o.risk_types[0].direction = direction;
  RiskType data;
  data.name = "leak";
  data.layers = LayerBit(Layer::kData) | LayerBit(Layer::kMaterial);
  data.direction = Direction::kUpstream;
  data.alpha = 2.0;
  data.inventory_delays_onset = false;
  o.risk_types.push_back(data);
  o.dmp.horizon = 12;
  o.projection = Quick();
  o.projection.check_realizations = 100;
  o.projection.serve_realizations = 200;
  return o;
}

double RunRandomChanges(Network net, Direction direction, std::uint64_t seed, int steps,
                        bool clock = false) {
  EngineOptions o = RandomChangeOptions(direction);
  o.vulnerability_refresh_changes = 1000;
  o.clock.history_window_steps = 8;  // some reports leave the window
  auto created = Engine::Create(o, std::move(net));
  EXPECT_TRUE(created.ok());
  Engine& engine = **created;
  if (clock) {
    EXPECT_TRUE(engine.AdvanceClock(100).ok());
  }
  testing::RandomChanges changes({.seed = seed, .one_way = false, .clock = clock});
  std::size_t recomputed = 0, region_nodes = 0;
  ProjectionWorkspace ws;
  for (int step = 0; step < steps; ++step) {
    changes.ApplyBatch(engine);
    engine.Project(static_cast<std::uint64_t>(step));
    for (int r = 0; r < engine.risk_type_count(); ++r) {
      const RiskTypeState& s = engine.risk_state(r);
      // The graph the engine updated row by row is the one built anew.
      TransmissionOptions to;
      to.keep_shares = false;
      const TransmissionGraph built = BuildTransmissionGraph(
          engine.CompactNetwork(), s.type(), engine.VulnerabilityFor(s.type().layers), to);
      const bool same_graph = *engine.Graph(r) == built;
      EXPECT_TRUE(same_graph) << "step " << step << " type " << r;
      if (!same_graph) return 1;
      Projector fresh(o.dmp, o.projection);
      fresh.Full(built, s.initial(), &ws);
      SCOPED_TRACE("step " + std::to_string(step) + " type " + std::to_string(r));
      ExpectSameProjection(s.projection(), fresh.projection());
      if (::testing::Test::HasFatalFailure()) return 1;
      recomputed += s.projection().recomputed_nodes;
      for (const auto& reg : s.projection().regions) region_nodes += reg.nodes;
    }
  }
  return region_nodes == 0 ? 1.0 : static_cast<double>(recomputed) / region_nodes;
}

TEST(ProjectionTest, IncrementalEqualsFullRecomputeOnARandomGraph) {
  const double share =
      RunRandomChanges(testing::RandomGraph(300, 240, 21), Direction::kDownstream, 1, 60);
  EXPECT_LT(share, 0.5);  // most regions were left alone (many components)
}

// Projection scheduling (docs/model.md): the daemon's engine thread applies
// every change queued while it projected and projects once. A projection
// after such a coalesced drain is the one an engine that projected after
// every batch reaches, and a from-scratch projection of the final state.
TEST(ProjectionTest, ACoalescedDrainProjectsWhatProjectingEveryBatchDoes) {
  EngineOptions o = RandomChangeOptions(Direction::kBoth);
  o.vulnerability_refresh_changes = 50;  // refreshes inside a drain too
  auto every = std::move(Engine::Create(o, testing::RandomGraph(300, 240, 23)).value());
  auto coalesced = std::move(Engine::Create(o, testing::RandomGraph(300, 240, 23)).value());
  testing::RandomChanges every_changes({.seed = 5});
  testing::RandomChanges coalesced_changes({.seed = 5});
  every->Project(0);
  coalesced->Project(0);
  ProjectionWorkspace ws;
  std::uint64_t seq = 0;
  double expected_disrupted = 0;
  for (int drain = 0; drain < 6; ++drain) {
    // One drain: 25 batches queued while the last projection ran.
    for (int batch = 0; batch < 25; ++batch) {
      every_changes.ApplyBatch(*every);
      every->Project(++seq);
      coalesced_changes.ApplyBatch(*coalesced);
    }
    coalesced->Project(seq);
    ASSERT_EQ(coalesced->network().node_slots(), every->network().node_slots());
    ASSERT_EQ(coalesced->network().edge_count(), every->network().edge_count());
    for (int r = 0; r < coalesced->risk_type_count(); ++r) {
      SCOPED_TRACE("drain " + std::to_string(drain) + " type " + std::to_string(r));
      const RiskTypeState& s = coalesced->risk_state(r);
      ExpectSameProjection(s.projection(), every->risk_state(r).projection());
      if (::testing::Test::HasFatalFailure()) return;
      TransmissionOptions to;
      to.keep_shares = false;
      const TransmissionGraph built = BuildTransmissionGraph(
          coalesced->CompactNetwork(), s.type(), coalesced->VulnerabilityFor(s.type().layers), to);
      ASSERT_TRUE(*coalesced->Graph(r) == built);
      Projector fresh(o.dmp, o.projection);
      fresh.Full(built, s.initial(), &ws);
      ExpectSameProjection(s.projection(), fresh.projection());
      if (::testing::Test::HasFatalFailure()) return;
      expected_disrupted += s.projection().expected_disrupted;
    }
  }
  EXPECT_GT(expected_disrupted, 0.0);  // the drains carried disruptions
}

TEST(ProjectionTest, IncrementalEqualsFullRecomputeUndirected) {
  RunRandomChanges(testing::RandomGraph(150, 170, 22), Direction::kBoth, 2, 40);
}

// On the model clock: reports at earlier steps (onset times), expected
// durations, recoveries and ticks.
TEST(ProjectionTest, IncrementalEqualsFullRecomputeOnTheClock) {
  RunRandomChanges(testing::RandomGraph(300, 240, 23), Direction::kDownstream, 4, 60, true);
  RunRandomChanges(testing::RandomGraph(150, 170, 24), Direction::kBoth, 5, 40, true);
}

TEST(ProjectionTest, IncrementalEqualsFullRecomputeOnRealNetworks) {
  for (const char* name : {"willems_20", "supplygraph"}) {
    auto real = testing::LoadRealNetwork(name);
    ASSERT_TRUE(real.ok()) << real.status().ToString();
    SCOPED_TRACE(name);
    RunRandomChanges(std::move(real->network), real->direction, 3, 30);
  }
}

}  // namespace
}  // namespace riskd::engine
