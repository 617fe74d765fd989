#include "engine/engine.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"

namespace riskd::engine {
namespace {

// One risk type with these rates, a horizon of 10 steps.
EngineOptions Options(double alpha, double beta,
                      ProjectionOptions::Choice method = ProjectionOptions::Choice::kAuto) {
  EngineOptions o;
  o.risk_types[0].alpha = alpha;
  o.risk_types[0].beta = beta;
  o.dmp.horizon = 10;
  o.projection.method = method;
  return o;
}

std::unique_ptr<Engine> MakeEngine(Network net) {
  auto e = Engine::Create(Options(3.0, 0.1), std::move(net));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(e.value());
}

TEST(EngineTest, DisruptionRaisesAlertsDownstreamMatchingDmp) {
  // supplier 0 -> plant 1 -> oem 2; unrelated 3 -> 4.
  auto engine = MakeEngine(testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {3, 4, 1}}));
  NodeIndex src = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  EXPECT_EQ(engine->Project(1), std::vector<int>{0});
  const auto& s = engine->risk_state(0);
  // Same as running DMP by hand on the same graph.
  auto g = engine->Graph(0);
  DmpOptions opt;
  opt.horizon = 10;
  const DmpResult direct = RunDmp<ProjectionMessage>(*g, s.initial(), opt);
  EXPECT_DOUBLE_EQ(s.projection().risk[1], direct.risk[1]);
  ASSERT_GE(s.last_changes().size(), 2u);
  // The source is alerted on its own evidence (certain: critical, P = 1).
  EXPECT_EQ(s.last_changes()[0].node, 0u);
  EXPECT_EQ(s.last_changes()[0].level, AlertLevel::kCritical);
  EXPECT_EQ(s.last_changes()[0].probability, 1.0);
  EXPECT_EQ(s.last_changes()[1].node, 1u);
  EXPECT_EQ(s.last_changes()[1].lifecycle, AlertLifecycle::kRaised);
  EXPECT_DOUBLE_EQ(s.last_changes()[1].probability, direct.risk[1]);
  EXPECT_EQ(s.projection().risk[4], 0.0);
  // Nothing changed: nothing re-projected.
  EXPECT_TRUE(engine->Project(2).empty());
}

TEST(EngineTest, ImmunizationAndRecoveryResolveAlerts) {
  auto engine = MakeEngine(testing::MakeNetwork(3, {{0, 1, 1}, {1, 2, 1}}));
  NodeIndex src = 0, mid = 1;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  ASSERT_EQ(engine->risk_state(0).alerts().open().size(), 3u);  // the source's too
  ASSERT_TRUE(engine->Immunize(std::nullopt, {&mid, 1}, false).ok());
  engine->Project(2);
  const auto& s = engine->risk_state(0);
  EXPECT_EQ(s.projection().risk[2], 0.0);   // the only path is blocked
  ASSERT_EQ(s.alerts().open().size(), 1u);  // the source is still disrupted
  EXPECT_TRUE(s.alerts().open().count(src));
  EXPECT_EQ(s.last_changes().size(), 2u);
  for (const auto& c : s.last_changes()) EXPECT_EQ(c.lifecycle, AlertLifecycle::kResolved);
}

TEST(EngineTest, NetworkChangesReprojectAndRejectBadInput) {
  auto engine = MakeEngine(testing::MakeNetwork(2, {{0, 1, 1}}));
  NodeIndex src = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  NodeAttributes c;
  c.id = "c";
  ASSERT_TRUE(engine->AddNode(c).ok());
  ASSERT_TRUE(engine->AddEdge("n1", "c", Layer::kMaterial, 1).ok());
  EXPECT_EQ(engine->Project(2), std::vector<int>{0});
  EXPECT_GT(engine->risk_state(0).projection().risk[2], 0.0);
  EXPECT_EQ(engine->AddEdge("n1", "missing", Layer::kMaterial, 1).code(), Status::Code::kNotFound);
  EXPECT_FALSE(engine->Disrupt(0, {&src, 1}, 1.5).ok());
  EXPECT_FALSE(engine->SetStatus(0, 0, NodeState::kImmunized, 1).ok());
  ASSERT_TRUE(engine->RemoveNode("n1").ok());
  engine->Project(3);
  EXPECT_EQ(engine->risk_state(0).projection().risk[2], 0.0);
}

TEST(EngineTest, RiskTypesFollowTheirLayersAndDirections) {
  // supplier 0 -> customer 1 (material), 1 -> 2 (data sharing).
  Network net = testing::MakeNetwork(3, {{0, 1, 1}});
  ASSERT_TRUE(net.AddEdge("n1", "n2", Layer::kData, 1).ok());
  EngineOptions o;
  o.risk_types[0].alpha = 3;  // supply: material, downstream
  RiskType credit;            // financial shock: material, upstream
  credit.name = "credit";
  credit.alpha = 3;
  credit.direction = Direction::kUpstream;
  RiskType leak;  // data leak: data layer, both ways
  leak.name = "leak";
  leak.alpha = 3;
  leak.layers = LayerBit(Layer::kData);
  leak.direction = Direction::kBoth;
  o.risk_types.push_back(credit);
  o.risk_types.push_back(leak);
  o.dmp.horizon = 5;
  auto engine = std::move(Engine::Create(o, std::move(net)).value());
  const NodeIndex one = 1;
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(engine->Disrupt(r, {&one, 1}, 1.0).ok());
  engine->Project(1);
  const auto risk = [&](int r, NodeIndex v) { return engine->risk_state(r).projection().risk[v]; };
  EXPECT_EQ(risk(0, 0), 0.0);  // supply does not flow back to the supplier
  EXPECT_EQ(risk(0, 2), 0.0);  // nor over data edges
  EXPECT_GT(risk(1, 0), 0.0);  // credit flows upstream
  EXPECT_EQ(risk(1, 2), 0.0);
  EXPECT_GT(risk(2, 2), 0.0);  // the leak flows over data edges
  EXPECT_EQ(risk(2, 0), 0.0);
  EXPECT_EQ(engine->FindRiskType("leak"), 2);

  // An edge change re-projects only the risk types on its layer; the
  // others' projections stand as they are.
  const std::vector<double> supply_risk = engine->risk_state(0).projection().risk;
  ASSERT_TRUE(engine->SetEdgeWeight("n1", "n2", Layer::kData, 5).ok());
  ASSERT_TRUE(engine->AddEdge("n2", "n0", Layer::kData, 1).ok());
  EXPECT_EQ(engine->Project(2), std::vector<int>{2});
  EXPECT_EQ(engine->risk_state(0).projection().risk, supply_risk);
  EXPECT_GT(risk(2, 0), 0.0);  // the new data edge carries the leak
  ASSERT_TRUE(engine->RemoveEdge("n0", "n1", Layer::kMaterial).ok());
  EXPECT_EQ(engine->Project(3), (std::vector<int>{0, 1}));
  EXPECT_EQ(risk(0, 0), 0.0);
  EXPECT_EQ(risk(1, 0), 0.0);  // no edge left to carry credit back to 0
}

TEST(EngineTest, InventoryCoverDelaysOnsetUnlessTheRiskTypeIgnoresIt) {
  Network net = testing::MakeNetwork(2, {{0, 1, 1}});
  NodeAttributes a = net.node(1);
  a.inventory_days = 6;
  ASSERT_TRUE(net.UpdateNode(a).ok());
  EngineOptions o;
  o.risk_types[0].alpha = 30;
  o.risk_types[0].beta = 0;
  RiskType leak = o.risk_types[0];
  leak.name = "leak";
  leak.inventory_delays_onset = false;
  o.risk_types.push_back(leak);
  o.dmp.horizon = 4;
  o.step_days = 2;  // 6 days of cover = 3 steps
  auto engine = std::move(Engine::Create(o, std::move(net)).value());
  const NodeIndex src = 0;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  ASSERT_TRUE(engine->Disrupt(1, {&src, 1}, 1.0).ok());
  engine->Project(1);
  EXPECT_EQ(engine->risk_state(0).projection().eta[1], 4);  // hit at 1, onset 1 + 3
  EXPECT_EQ(engine->risk_state(1).projection().eta[1], 1);
  // Less cover (an update of the node) brings the onset forward.
  a.inventory_days = 2;
  ASSERT_TRUE(engine->UpdateNode(a).ok());
  engine->Project(2);
  EXPECT_EQ(engine->risk_state(0).projection().eta[1], 2);
}

TEST(EngineTest, ProjectionReportsMethodIntervalAndCriticality) {
  auto engine = MakeEngine(testing::RandomTree(60, 5));
  NodeIndex src = 3;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  const Projection& p = engine->risk_state(0).projection();
  EXPECT_EQ(p.method, ProjectionMethod::kDmp);  // a tree: DMP passes the check
  EXPECT_EQ(p.interval_realizations,
            static_cast<std::uint32_t>(engine->options().projection.check_realizations));
  EXPECT_LE(p.disrupted_p05, p.expected_disrupted);
  EXPECT_GE(p.disrupted_p95, p.expected_disrupted);
  // Downstream on a tree nothing can cycle: both radii are exactly 0.
  EXPECT_EQ(p.spectral.transmission, 0.0);
  EXPECT_EQ(p.spectral.non_backtracking, 0.0);
  EXPECT_FALSE(p.spectral.supercritical);
  EXPECT_EQ(p.regions.size(), 1u);
  EXPECT_EQ(p.regions[0].first_source, 3u);
  // Every node at risk traces back to the source.
  for (NodeIndex v = 0; v < 60; ++v) {
    if (p.risk[v] <= 0) continue;
    const auto path = CausePath(p, engine->risk_state(0).initial(), v);
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(path.front(), 3u);
    EXPECT_EQ(path.back(), v);
  }
}

// Project(..., kLater) leaves the spectral radius for RefreshSpectral (the
// daemon publishes the alerts first): everything else is what Project()
// gives, and the refresh gives Project()'s radius, each time it is stale.
TEST(EngineTest, SpectralRadiusLaterEqualsSpectralRadiusNow) {
  EngineOptions o = Options(0.9, 0.3);
  o.risk_types[0].direction = Direction::kBoth;
  auto network = [] { return WattsStrogatz(300, 3, 0.05, {.seed = 5}); };
  auto now = std::move(Engine::Create(o, network()).value());
  auto later = std::move(Engine::Create(o, network()).value());
  auto expect_same_projection = [&] {
    const Projection& a = now->risk_state(0).projection();
    const Projection& b = later->risk_state(0).projection();
    EXPECT_EQ(a.risk, b.risk);
    EXPECT_EQ(a.eta, b.eta);
    EXPECT_EQ(now->risk_state(0).alerts().open().size(),
              later->risk_state(0).alerts().open().size());
  };
  const NodeIndex source = 0;
  for (Engine* e : {now.get(), later.get()}) ASSERT_TRUE(e->Disrupt(0, {&source, 1}, 1.0).ok());
  EXPECT_FALSE(later->RefreshSpectral(0));  // nothing projected yet
  now->Project(1);
  EXPECT_EQ(later->Project(1, Engine::Spectral::kLater), std::vector<int>{0});
  expect_same_projection();
  const SpectralRadius first = now->risk_state(0).projection().spectral;
  EXPECT_GT(first.transmission, 0.0);
  EXPECT_EQ(later->risk_state(0).projection().spectral.transmission, 0.0);  // not yet
  EXPECT_TRUE(later->RefreshSpectral(0));
  EXPECT_EQ(later->risk_state(0).projection().spectral.transmission, first.transmission);
  EXPECT_EQ(later->risk_state(0).projection().spectral.non_backtracking, first.non_backtracking);
  EXPECT_FALSE(later->RefreshSpectral(0));  // up to date
  // A node removed (recovered): the radius is stale again and changes.
  for (Engine* e : {now.get(), later.get()}) {
    ASSERT_TRUE(e->SetStatus(0, 7, NodeState::kRecovered, 1.0).ok());
  }
  now->Project(2);
  later->Project(2, Engine::Spectral::kLater);
  expect_same_projection();
  const SpectralRadius second = now->risk_state(0).projection().spectral;
  EXPECT_NE(second.transmission, first.transmission);
  EXPECT_EQ(later->risk_state(0).projection().spectral.transmission, first.transmission);
  EXPECT_TRUE(later->RefreshSpectral(0));
  EXPECT_EQ(later->risk_state(0).projection().spectral.transmission, second.transmission);
  EXPECT_EQ(later->risk_state(0).projection().spectral.non_backtracking, second.non_backtracking);
}

// The radius computed from scratch on the engine's graph, given the
// observations that decide which nodes can still take part.
SpectralRadius RadiusFromScratch(Engine& engine, const std::vector<Observation>& obs) {
  return ComputeSpectralRadius(*engine.Graph(0),
                               InitialState::FromObservations(engine.network(), obs),
                               engine.options().spectral);
}

// The engine keeps the graph's cycles for the spectral refreshes (found once
// per graph): an arc that closes a cycle makes them stale. The radius stays
// with the vulnerability snapshot until it is stale for another reason (a
// node removed, here recovered); it is then the one computed from scratch
// on the engine's graph.
TEST(EngineTest, SpectralRadiusFollowsAnArcThatClosesACycle) {
  auto engine = MakeEngine(testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}}));
  NodeIndex src = 1;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  EXPECT_EQ(engine->risk_state(0).projection().spectral.transmission, 0.0);  // a chain
  ASSERT_TRUE(engine->AddEdge("n3", "n1", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(engine->SetStatus(0, 0, NodeState::kRecovered, 1.0).ok());
  engine->Project(2);
  const SpectralRadius r = engine->risk_state(0).projection().spectral;
  EXPECT_GT(r.transmission, 0.0);  // the cycle 1 -> 2 -> 3 -> 1
  std::vector<Observation> obs(5);
  obs[0] = {NodeState::kRecovered, 1.0};
  const SpectralRadius fresh = RadiusFromScratch(*engine, obs);
  EXPECT_EQ(r.transmission, fresh.transmission);
  EXPECT_EQ(r.non_backtracking, fresh.non_backtracking);
  // The arc removed again: acyclic, exactly 0, and every field what the
  // computation from the state gives (the engine builds no state for a
  // graph without cycles).
  ASSERT_TRUE(engine->RemoveEdge("n3", "n1", Layer::kMaterial).ok());
  ASSERT_TRUE(engine->SetStatus(0, 4, NodeState::kRecovered, 1.0).ok());
  engine->Project(3);
  const SpectralRadius acyclic = engine->risk_state(0).projection().spectral;
  EXPECT_EQ(acyclic.transmission, 0.0);
  obs[4] = {NodeState::kRecovered, 1.0};
  const SpectralRadius from_state = RadiusFromScratch(*engine, obs);
  EXPECT_EQ(acyclic.transmission, from_state.transmission);
  EXPECT_EQ(acyclic.non_backtracking, from_state.non_backtracking);
  EXPECT_EQ(acyclic.supercritical, from_state.supercritical);
  EXPECT_EQ(acyclic.iterations, from_state.iterations);
}

// The same when the graph is rebuilt rather than updated (here new rates
// for the type, which drop its graph): the rebuilt graph's cycles are found
// again, not the chain's kept ones.
TEST(EngineTest, SpectralRadiusFollowsACycleOfARebuiltGraph) {
  auto engine = MakeEngine(testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}}));
  NodeIndex src = 1;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  EXPECT_EQ(engine->risk_state(0).projection().spectral.transmission, 0.0);
  ASSERT_TRUE(engine->AddEdge("n3", "n1", Layer::kMaterial, 1).ok());
  const RiskType& type = engine->options().risk_types[0];
  ASSERT_TRUE(engine->SetRiskTypeRates(0, type.alpha, type.beta).ok());
  engine->Project(2);
  const SpectralRadius r = engine->risk_state(0).projection().spectral;
  EXPECT_GT(r.transmission, 0.0);  // the cycle 1 -> 2 -> 3 -> 1
  const SpectralRadius fresh = RadiusFromScratch(*engine, std::vector<Observation>(5));
  EXPECT_EQ(r.transmission, fresh.transmission);
  EXPECT_EQ(r.non_backtracking, fresh.non_backtracking);
}

// The same when the graph grew: a node added since the cycles were found,
// and a cycle closed through it. The graph's update (more node slots) drops
// the kept cycles, so the refresh neither takes the acyclic shortcut on the
// old set nor reads it past its end: the new node's cycle is found.
TEST(EngineTest, SpectralRadiusFollowsACycleThroughANewNode) {
  auto engine = MakeEngine(testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}}));
  NodeIndex src = 1;
  ASSERT_TRUE(engine->Disrupt(0, {&src, 1}, 1.0).ok());
  engine->Project(1);
  EXPECT_EQ(engine->risk_state(0).projection().spectral.transmission, 0.0);  // a chain
  NodeAttributes added;
  added.id = "n5";
  ASSERT_TRUE(engine->AddNode(added).ok());
  ASSERT_TRUE(engine->AddEdge("n3", "n5", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(engine->AddEdge("n5", "n1", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(engine->SetStatus(0, 0, NodeState::kRecovered, 1.0).ok());
  engine->Project(2);
  ASSERT_EQ(engine->Graph(0)->node_count, 6u);
  const SpectralRadius r = engine->risk_state(0).projection().spectral;
  EXPECT_GT(r.transmission, 0.0);  // the cycle 1 -> 2 -> 3 -> 5 -> 1
  std::vector<Observation> obs(6);
  obs[0] = {NodeState::kRecovered, 1.0};
  const SpectralRadius fresh = RadiusFromScratch(*engine, obs);
  EXPECT_EQ(r.transmission, fresh.transmission);
  EXPECT_EQ(r.non_backtracking, fresh.non_backtracking);
}

TEST(EngineTest, VulnerabilityIsASnapshotUntilRefreshed) {
  EngineOptions o;
  o.vulnerability_refresh_changes = 2;
  auto engine = std::move(
      Engine::Create(o, testing::MakeNetwork(4, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}})).value());
  const double sigma_before = engine->VulnerabilityFor(LayerBit(Layer::kMaterial)).sigma[1];
  NodeAttributes hub;
  hub.id = "hub";
  ASSERT_TRUE(engine->AddNode(hub).ok());
  engine->Project(1);
  const Vulnerability& kept = engine->VulnerabilityFor(LayerBit(Layer::kMaterial));
  EXPECT_EQ(kept.sigma[1], sigma_before);  // one change: kept
  EXPECT_EQ(kept.sigma[4], 1.0);           // the new node gets the typical value
  ASSERT_TRUE(engine->AddEdge("hub", "n1", Layer::kMaterial, 5).ok());
  engine->Project(2);  // second change: refreshed
  EXPECT_NE(engine->VulnerabilityFor(LayerBit(Layer::kMaterial)).sigma[1], sigma_before);
}

// The daemon projects after every batch while running, but only once after
// replaying its journal on restart: both must give the same answer.
TEST(EngineTest, ProjectionDependsOnTheEventsNotOnWhenProjectionsRan) {
  EngineOptions o;
  o.vulnerability_refresh_changes = 3;
  o.risk_types[0].alpha = 1.5;
  o.risk_types[0].beta = 0.4;
  // DMP everywhere: a continuous answer shows any difference in the rates.
  o.projection.method = ProjectionOptions::Choice::kDmp;
  auto live = std::move(Engine::Create(o, testing::RandomGraph(60, 120, 5)).value());
  auto replayed = std::move(Engine::Create(o, testing::RandomGraph(60, 120, 5)).value());
  std::mt19937_64 rng(17);
  std::vector<std::function<Status(Engine&)>> events;
  for (int i = 0; i < 40; ++i) {
    const NodeIndex v = static_cast<NodeIndex>(rng() % 60);
    const NodeIndex w = static_cast<NodeIndex>(rng() % 60);
    const double weight = 1.0 + static_cast<double>(rng() % 5);
    switch (i % 6) {
      case 0:
        events.push_back([v](Engine& e) { return e.Disrupt(0, {&v, 1}, 0.9); });
        break;
      case 1:
        events.push_back([v](Engine& e) { return e.SetStatus(0, v, NodeState::kRecovered, 1); });
        break;
      case 2:
        events.push_back([v](Engine& e) { return e.Immunize(0, {&v, 1}, false); });
        break;
      case 3:
        events.push_back([i](Engine& e) {
          NodeAttributes a;
          a.id = "new" + std::to_string(i);
          return e.AddNode(a);
        });
        break;
      case 4:
        events.push_back([v, w, weight](Engine& e) {
          return e.AddEdge("n" + std::to_string(v), "n" + std::to_string(w), Layer::kMaterial,
                           weight);
        });
        break;
      default:
        events.push_back([v, weight](Engine& e) { return e.Disrupt(0, {&v, 1}, weight / 5); });
    }
  }
  std::uint64_t journal_seq = 0;
  for (const auto& ev : events) {
    const Status a = ev(*live);
    const Status b = ev(*replayed);
    ASSERT_EQ(a.ok(), b.ok());
    live->Project(++journal_seq);
  }
  replayed->Project(journal_seq);
  const auto& pl = live->risk_state(0).projection();
  const auto& pr = replayed->risk_state(0).projection();
  ASSERT_EQ(pl.risk.size(), pr.risk.size());
  for (std::size_t v = 0; v < pl.risk.size(); ++v) EXPECT_NEAR(pl.risk[v], pr.risk[v], 1e-9) << v;
  EXPECT_NEAR(pl.expected_disrupted, pr.expected_disrupted, 1e-7);
}

TEST(EngineTest, VulnerabilityRefreshHappensAtTheChangeNotAtTheProjection) {
  EngineOptions o;
  o.vulnerability_refresh_changes = 2;
  o.projection.method = ProjectionOptions::Choice::kDmp;
  auto network = [] {
    return testing::MakeNetwork(5, {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}});
  };
  auto live = std::move(Engine::Create(o, network()).value());
  auto replayed = std::move(Engine::Create(o, network()).value());
  const NodeIndex source = 0;
  for (Engine* e : {live.get(), replayed.get()}) ASSERT_TRUE(e->Disrupt(0, {&source, 1}, 1.0).ok());
  live->Project(1);
  // One change (below the refresh count) that moves centralities a lot.
  for (Engine* e : {live.get(), replayed.get()}) {
    ASSERT_TRUE(e->AddEdge("n0", "n3", Layer::kMaterial, 5).ok());
  }
  live->Project(2);
  replayed->Project(2);
  for (NodeIndex v = 0; v < 5; ++v) {
    EXPECT_EQ(live->VulnerabilityFor(LayerBit(Layer::kMaterial)).sigma[v],
              replayed->VulnerabilityFor(LayerBit(Layer::kMaterial)).sigma[v]);
    EXPECT_NEAR(live->risk_state(0).projection().risk[v],
                replayed->risk_state(0).projection().risk[v], 1e-12);
  }
}

// Two-way, uniform vulnerability, Monte Carlo serving where DMP is off by
// more than 0.02: `realizations` to check, twice as many to serve.
EngineOptions CheckedOptions(int horizon, int realizations) {
  EngineOptions o = Options(0.9, 0.3);
  o.dmp.horizon = horizon;
  o.risk_types[0].direction = Direction::kBoth;
  o.vulnerability.mode = VulnerabilityOptions::Mode::kUniform;
  o.projection.check_realizations = realizations;
  o.projection.serve_realizations = 2 * realizations;
  o.projection.max_dmp_error = 0.02;
  return o;
}

// Publish first, refine after through the Engine: Project() serves DMP
// unchecked and alerts on it; Refine() under a budget ends with the
// synchronous engine's projection, and alerts follow it.
TEST(EngineTest, RefineBringsDeferredProjectionsAndAlertsToTheCheckedResult) {
  EngineOptions o = CheckedOptions(30, 400);
  EngineOptions deferred_options = o;
  deferred_options.projection.defer_check = true;
  auto network = [] { return WattsStrogatz(2000, 3, 0.05, {.seed = 3}); };
  auto sync = std::move(Engine::Create(o, network()).value());
  auto deferred = std::move(Engine::Create(deferred_options, network()).value());
  const NodeIndex sources[2] = {0, 1000};
  for (Engine* e : {sync.get(), deferred.get()}) {
    ASSERT_TRUE(e->Disrupt(0, sources, 1.0).ok());
    e->Project(1);
  }
  const Projection& first = deferred->risk_state(0).projection();
  EXPECT_EQ(first.method, ProjectionMethod::kDmp);
  EXPECT_EQ(deferred->UncheckedRegions(), first.unchecked_regions);
  ASSERT_GT(deferred->UncheckedRegions(), 0u);
  const auto regions = static_cast<int>(first.unchecked_regions);
  EXPECT_EQ(sync->UncheckedRegions(), 0u);
  // DMP overestimates here: more alerts before the check than after.
  const std::size_t alerts_before = deferred->risk_state(0).alerts().open().size();
  // An interrupt before the first realization: nothing refined, nothing
  // changed, everything still pending.
  const std::vector<double> dmp_risk = first.risk;
  const Engine::Refinement stopped = deferred->Refine(2, 1, [] { return true; });
  EXPECT_TRUE(stopped.interrupted);
  EXPECT_TRUE(stopped.risk_types.empty());
  EXPECT_EQ(stopped.pending, static_cast<std::size_t>(regions));
  EXPECT_EQ(deferred->risk_state(0).projection().risk, dmp_risk);
  EXPECT_EQ(deferred->risk_state(0).alerts().open().size(), alerts_before);
  int rounds = 0;
  double change = 0;
  while (deferred->UncheckedRegions() > 0 && rounds < 100) {
    const Engine::Refinement r = deferred->Refine(2, 1);
    EXPECT_EQ(r.risk_types, std::vector<int>{0});
    EXPECT_FALSE(r.interrupted);
    change = std::max(change, r.max_risk_change);
    ++rounds;
  }
  EXPECT_EQ(rounds, regions);  // one region per round with a tiny budget
  EXPECT_GT(change, 0.1);
  const auto& a = sync->risk_state(0);
  const auto& b = deferred->risk_state(0);
  EXPECT_EQ(a.projection().risk, b.projection().risk);
  EXPECT_EQ(a.projection().node_checked, b.projection().node_checked);
  // Alerts follow the refined risks with the usual hysteresis: every node
  // the checked projection alerts on is alerted, every alert the refinement
  // left open is still supported (risk above the clear level), and alerts
  // raised on DMP's overestimate below that were resolved.
  EXPECT_LT(b.alerts().open().size(), alerts_before);
  for (const auto& [node, alert] : a.alerts().open()) {
    ASSERT_TRUE(b.alerts().open().count(node)) << node;
    EXPECT_GE(b.alerts().open().at(node).level, alert.level) << node;
  }
  for (const auto& [node, alert] : b.alerts().open()) {
    EXPECT_GE(b.projection().risk[node], o.alerts.warning_clear) << node;
  }
  // Nothing pending: Refine does nothing.
  EXPECT_TRUE(deferred->Refine(3, 1).risk_types.empty());
}

// A Monte Carlo check is a pure function of its inputs (the graph, the
// frame, the region's initial state and DMP risks): a check of inputs
// already checked is served from the kept outcome (Projection::
// reused_checks), and every value, summary and interval equals those of an
// engine that ran the checks, deferred or not. Re-reporting a node's state
// reuses every region's check; another severity, a new disruption, or new
// rates (a new graph), check again.
TEST(EngineTest, ARepeatedCheckIsServedAsRunningItAgainWould) {
  for (const bool defer : {true, false}) {
    SCOPED_TRACE(defer ? "deferred" : "synchronous");
    EngineOptions o = CheckedOptions(10, 200);
    o.projection.defer_check = defer;
    auto network = [] { return WattsStrogatz(600, 3, 0.0, {.seed = 7}); };
    const NodeIndex sources[2] = {0, 300};
    const NodeIndex later = 450;
    // Step i's events, applied to `e`.
    const auto apply = [&](Engine* e, int step) {
      switch (step) {
        case 0:
          return e->Disrupt(0, sources, 0.6);
        case 1:  // the state it is in, reported again
          return e->SetStatus(0, sources[0], NodeState::kDisrupted, 0.6);
        case 2:  // the same region, a more severe disruption (another p_i)
          return e->SetStatus(0, sources[0], NodeState::kDisrupted, 0.9);
        case 3:
          return e->Disrupt(0, {&later, 1}, 0.7);
        default:
          return e->SetRiskTypeRates(0, 1.1, 0.3);
      }
    };
    // Projects and, deferred, checks everything pending; returns the
    // checks run or served, and of those the ones served from kept checks.
    const auto project = [&](Engine* e, int step) {
      e->Project(static_cast<std::uint64_t>(step + 1));
      const Projection& p = e->risk_state(0).projection();
      std::size_t checks = defer ? 0 : p.recomputed_regions, reused = p.reused_checks;
      while (e->UncheckedRegions() > 0) {
        e->Refine(static_cast<std::uint64_t>(step + 1), 1);
        checks += p.recomputed_regions;
        reused += p.reused_checks;
      }
      return std::pair{checks, reused};
    };
    auto kept = std::move(Engine::Create(o, network()).value());
    for (int step = 0; step < 5; ++step) {
      SCOPED_TRACE(step);
      ASSERT_TRUE(apply(kept.get(), step).ok());
      const auto [checks, reused] = project(kept.get(), step);
      ASSERT_GT(kept->risk_state(0).projection().regions.size(), 1u);
      EXPECT_GT(checks, 0u);
      if (step == 1) {
        EXPECT_EQ(reused, checks);  // nothing changed: every check kept
      } else {
        // Nothing checked before (0), another severity (2), the new
        // source's region (3), a new graph (4).
        EXPECT_EQ(reused, 0u);
      }
      // An engine fed the same events, projecting once (a coalesced drain
      // projects what projecting every batch does): its checks all ran.
      auto ran = std::move(Engine::Create(o, network()).value());
      for (int s = 0; s <= step; ++s) ASSERT_TRUE(apply(ran.get(), s).ok());
      EXPECT_EQ(project(ran.get(), step).second, 0u);
      const Projection& a = kept->risk_state(0).projection();
      const Projection& b = ran->risk_state(0).projection();
      EXPECT_EQ(a.risk, b.risk);  // bit for bit
      EXPECT_EQ(a.eta, b.eta);
      EXPECT_EQ(a.parent, b.parent);
      EXPECT_EQ(a.node_method, b.node_method);
      EXPECT_EQ(a.node_checked, b.node_checked);
      EXPECT_EQ(a.expected_disrupted, b.expected_disrupted);
      EXPECT_EQ(a.disrupted_p05, b.disrupted_p05);
      EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
      EXPECT_EQ(a.interval_realizations, b.interval_realizations);
      EXPECT_EQ(a.method, b.method);
      ASSERT_EQ(a.regions.size(), b.regions.size());
      bool monte_carlo = false;
      for (std::size_t r = 0; r < a.regions.size(); ++r) {
        EXPECT_EQ(a.regions[r].first_source, b.regions[r].first_source);
        EXPECT_EQ(a.regions[r].nodes, b.regions[r].nodes);
        EXPECT_EQ(a.regions[r].method, b.regions[r].method);
        EXPECT_EQ(a.regions[r].dmp_error, b.regions[r].dmp_error);
        EXPECT_EQ(a.regions[r].check_realizations, b.regions[r].check_realizations);
        EXPECT_EQ(a.regions[r].served_realizations, b.regions[r].served_realizations);
        EXPECT_TRUE(a.regions[r].checked);
        monte_carlo |= a.regions[r].method == ProjectionMethod::kMonteCarlo;
      }
      EXPECT_TRUE(monte_carlo);  // a region served by Monte Carlo: its values kept too
      EXPECT_EQ(kept->risk_state(0).alerts().open().size(),
                ran->risk_state(0).alerts().open().size());
    }
  }
}

// ReleaseScratch() between projections and refinements (as the daemon
// does when idle), or the scratch released by Project() itself once its
// DMP is done (as the daemon asks after a large one), changes nothing an
// engine publishes: engines fed the same events, one keeping the scratch,
// one releasing it at every turn and one letting every projection release
// it, agree bit for bit. Two risk types (two-way and downstream), events
// on either or both, so the last re-projected one varies; the callback is
// asked once when that type's projection ran a DMP, never when it took the
// incremental path or had no source (engine.h).
TEST(EngineTest, ReleasingTheScratchBetweenProjectionsChangesNoResult) {
  struct Case {
    ProjectionOptions::Choice method;
    bool defer_check;
  };
  for (const Case c :
       {Case{ProjectionOptions::Choice::kAuto, true}, Case{ProjectionOptions::Choice::kAuto, false},
        Case{ProjectionOptions::Choice::kDmp, false}}) {
    SCOPED_TRACE(static_cast<int>(c.method) * 2 + (c.defer_check ? 1 : 0));
    EngineOptions o = Options(0.9, 0.3, c.method);
    o.risk_types[0].direction = Direction::kBoth;
    o.risk_types.push_back(o.risk_types[0]);
    o.risk_types[1].name = "downstream";
    o.risk_types[1].direction = Direction::kDownstream;
    o.risk_types[1].alpha = 1.2;
    o.projection.defer_check = c.defer_check;
    o.projection.check_realizations = 100;
    o.projection.serve_realizations = 200;
    auto network = [] { return WattsStrogatz(400, 3, 0.05, {.seed = 5}); };
    auto kept = std::move(Engine::Create(o, network()).value());
    auto released = std::move(Engine::Create(o, network()).value());
    auto early = std::move(Engine::Create(o, network()).value());
    EXPECT_EQ(released->ReleaseScratch(), 0u);  // nothing projected yet
    std::mt19937_64 rng(23);
    std::uint64_t seq = 0;
    int asked = 0;
    const auto release_scratch = [&asked] { return ++asked > 0; };
    int asked_rounds = 0, not_asked_rounds = 0;
    for (int round = 0; round < 12; ++round) {
      SCOPED_TRACE(round);
      const NodeIndex v = static_cast<NodeIndex>(rng() % 400);
      // Type 0, type 1, or both (type 1 then projected last).
      const int which = static_cast<int>(rng() % 3);
      for (Engine* e : {kept.get(), released.get(), early.get()}) {
        for (int type = 0; type < 2; ++type) {
          if (which != 2 && which != type) continue;
          if (round % 4 == 3) {
            ASSERT_TRUE(e->SetStatus(type, v, NodeState::kRecovered, 1).ok());
          } else {
            ASSERT_TRUE(e->Disrupt(type, {&v, 1}, round % 2 ? 0.7 : 1.0).ok());
          }
        }
      }
      ++seq;
      kept->Project(seq);
      released->Project(seq);
      asked = 0;
      const std::vector<int> done = early->Project(seq, Engine::Spectral::kNow, release_scratch);
      ASSERT_FALSE(done.empty());
      // Asked once if the last type projected ran a DMP (a region
      // recomputed, not the incremental path), else not at all.
      const Projection& last = early->risk_state(done.back()).projection();
      const int expected = !last.incremental_dmp && last.recomputed_regions > 0 ? 1 : 0;
      EXPECT_EQ(asked, expected);
      (expected ? asked_rounds : not_asked_rounds)++;
      // The first projection allocates it (later ones may not: kDmp's
      // incremental updates need none). Freed after the run, or by the
      // callback, it is counted by the next ReleaseScratch().
      const std::size_t freed = released->ReleaseScratch();
      const std::size_t freed_early = early->ReleaseScratch();
      EXPECT_EQ(freed_early, freed);
      if (round == 0) {
        EXPECT_GT(freed, 0u);
      }
      EXPECT_EQ(released->ReleaseScratch(), 0u);  // already free
      EXPECT_EQ(early->ReleaseScratch(), 0u);
      if (round % 3 == 2) {
        kept->Refine(seq, 1);
        released->Refine(seq, 1);
        released->ReleaseScratch();
        early->Refine(seq, 1);
      }
      for (const auto& [other, type] : {std::pair{released.get(), 0}, std::pair{released.get(), 1},
                                        std::pair{early.get(), 0}, std::pair{early.get(), 1}}) {
        SCOPED_TRACE(type);
        const Projection& a = kept->risk_state(type).projection();
        const Projection& b = other->risk_state(type).projection();
        ASSERT_EQ(a.risk, b.risk) << "round " << round;  // bit for bit
        EXPECT_EQ(a.eta, b.eta);
        EXPECT_EQ(a.parent, b.parent);
        EXPECT_EQ(a.node_checked, b.node_checked);
        EXPECT_EQ(a.expected_disrupted, b.expected_disrupted);
        EXPECT_EQ(a.disrupted_p95, b.disrupted_p95);
        // The open alerts node by node: level, probability and ETA as
        // published, and the projection that raised each.
        const auto& kept_open = kept->risk_state(type).alerts().open();
        const auto& other_open = other->risk_state(type).alerts().open();
        ASSERT_EQ(kept_open.size(), other_open.size());
        for (const auto& [node, alert] : kept_open) {
          const auto found = other_open.find(node);
          ASSERT_NE(found, other_open.end()) << "node " << node;
          EXPECT_EQ(found->second.level, alert.level) << "node " << node;
          EXPECT_EQ(found->second.probability, alert.probability) << "node " << node;
          EXPECT_EQ(found->second.eta, alert.eta) << "node " << node;
          EXPECT_EQ(found->second.raised_journal_seq, alert.raised_journal_seq) << "node " << node;
        }
      }
    }
    for (int type = 0; type < 2; ++type) {
      EXPECT_GT(kept->risk_state(type).projection().expected_disrupted, 1.0);
      EXPECT_FALSE(kept->risk_state(type).alerts().open().empty());  // compared above
    }
    // Both outcomes of the callback's question happened.
    EXPECT_GT(asked_rounds, 0);
    if (c.method == ProjectionOptions::Choice::kDmp) {
      EXPECT_GT(not_asked_rounds, 0);
    }
  }
}

// Project rebuilds each risk type's initial state in place (its vectors'
// storage reused from round to round): every round's equals the one a
// fresh engine fed the same events builds, starts, ends and fixed periods
// included when they appear and when they go again, and so do the risks.
TEST(EngineTest, TheInitialStateIsRebuiltWholeEveryRound) {
  EngineOptions o = Options(0.9, 0.3, ProjectionOptions::Choice::kDmp);
  auto network = [] { return WattsStrogatz(60, 2, 0.1, {.seed = 3}); };
  using Event = std::function<Status(Engine&)>;
  const NodeIndex a = 4, b = 17, c = 33;
  const std::vector<Event> events = {
      [&](Engine& e) {
        return e.Disrupt(0, {&a, 1}, 1.0, std::nullopt, 3);
      },  // end, fixed
      [&](Engine& e) { return e.AdvanceClock(2); },
      [&](Engine& e) { return e.SetStatus(0, b, NodeState::kSusceptible, 1.0); },  // a start
      [&](Engine& e) { return e.SetStatus(0, c, NodeState::kDisrupted, 0.6); },
      [&](Engine& e) { return e.AdvanceClock(6); },  // a's period over
      [&](Engine& e) { return e.SetStatus(0, c, NodeState::kRecovered, 1.0); },
      // Past the history window: the reports so far are history only, the
      // frame has no start or end.
      [&](Engine& e) { return e.AdvanceClock(400); },
      [&](Engine& e) { return e.SetStatus(0, a, NodeState::kRecovered, 1.0); },
      [&](Engine& e) { return e.SetStatus(0, b, NodeState::kDisrupted, 0.8); },
      [&](Engine& e) {
        return e.Disrupt(0, {&c, 1}, 0.9, std::nullopt, 2);
      },  // times again
  };
  auto kept = std::move(Engine::Create(o, network()).value());
  bool saw_times = false, saw_none = false;
  for (std::size_t round = 0; round < events.size(); ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(events[round](*kept).ok());
    kept->Project(round + 1);
    auto fresh = std::move(Engine::Create(o, network()).value());
    for (std::size_t x = 0; x <= round; ++x) ASSERT_TRUE(events[x](*fresh).ok());
    fresh->Project(1);
    const InitialState& got = kept->risk_state(0).initial();
    const InitialState& want = fresh->risk_state(0).initial();
    EXPECT_EQ(got.p_s, want.p_s);
    EXPECT_EQ(got.p_i, want.p_i);
    EXPECT_EQ(got.p_r, want.p_r);
    EXPECT_EQ(got.now, want.now);
    EXPECT_EQ(got.start, want.start);
    EXPECT_EQ(got.end, want.end);
    EXPECT_EQ(got.fixed, want.fixed);
    EXPECT_EQ(kept->risk_state(0).projection().risk, fresh->risk_state(0).projection().risk);
    (got.end.empty() && got.start.empty() ? saw_none : saw_times) = true;
  }
  // Rounds with times and rounds without followed each other.
  EXPECT_TRUE(saw_times);
  EXPECT_TRUE(saw_none);
  EXPECT_FALSE(kept->risk_state(0).initial().end.empty());
}

// The refresh waits for the larger of refresh_changes and the edge
// fraction; until then existing nodes keep their snapshot.
TEST(EngineTest, VulnerabilityRefreshWaitsForAFractionOfTheEdges) {
  EngineOptions o;
  o.vulnerability_refresh_changes = 1;
  o.vulnerability_refresh_edge_fraction = 0.5;  // of the edges at each change
  o.projection.method = ProjectionOptions::Choice::kDmp;
  std::vector<std::tuple<int, int, double>> chain;
  for (int v = 0; v < 8; ++v) chain.emplace_back(v, v + 1, 1.0);
  auto engine = std::move(Engine::Create(o, testing::MakeNetwork(9, chain)).value());
  const LayerMask material = LayerBit(Layer::kMaterial);
  const std::vector<double> before = engine->VulnerabilityFor(material).omega;
  // Three hub edges out of node 4 change centralities a lot.
  for (const char* to : {"n0", "n1", "n2"}) {
    ASSERT_TRUE(engine->AddEdge("n4", to, Layer::kMaterial, 5).ok());
    EXPECT_EQ(engine->VulnerabilityFor(material).omega, before) << "refreshed early at " << to;
  }
  ASSERT_TRUE(engine->AddEdge("n4", "n3", Layer::kMaterial, 5).ok());  // 4 < 0.5 * 12 edges
  EXPECT_EQ(engine->VulnerabilityFor(material).omega, before);
  ASSERT_TRUE(engine->SetEdgeWeight("n4", "n3", Layer::kMaterial, 6).ok());  // 5 < 6
  EXPECT_EQ(engine->VulnerabilityFor(material).omega, before);
  ASSERT_TRUE(engine->SetEdgeWeight("n4", "n2", Layer::kMaterial, 6).ok());  // 6 >= 6
  EXPECT_NE(engine->VulnerabilityFor(material).omega, before);
  EngineOptions bad = o;
  bad.vulnerability_refresh_edge_fraction = 1.5;
  EXPECT_FALSE(ValidateEngineOptions(bad).ok());
}

// Observations are evidence (docs/model.md section 3): a report that nodes are
// disrupted with a small probability adds evidence; it never lowers a risk
// the projection supports, nor closes an alert it supports.
TEST(EngineTest, AWeakReportNeverLowersRiskNorClosesASupportedAlert) {
  using Choice = ProjectionOptions::Choice;
  for (Choice method : {Choice::kDmp, Choice::kAuto, Choice::kMonteCarlo}) {
    SCOPED_TRACE(static_cast<int>(method));
    auto engine =
        std::move(Engine::Create(Options(3.0, 0.1, method), testing::RandomTree(80, 5)).value());
    const NodeIndex source = 3;
    ASSERT_TRUE(engine->Disrupt(0, {&source, 1}, 1.0).ok());
    engine->Project(1);
    const auto& s = engine->risk_state(0);
    const std::vector<double> before = s.projection().risk;
    const auto open_before = s.alerts().open();
    // A weak "region" report: every node the projection puts at risk, and
    // some it does not.
    std::vector<NodeIndex> region;
    for (NodeIndex v = 0; v < 80; ++v) {
      if (before[v] > 0.5 || v % 7 == 0) region.push_back(v);
    }
    ASSERT_GT(region.size(), 5u);
    std::size_t critical = 0;
    for (const auto& [v, alert] : open_before) critical += alert.level == AlertLevel::kCritical;
    ASSERT_GT(critical, 3u);
    ASSERT_TRUE(engine->Disrupt(0, region, 0.1).ok());
    engine->Project(2);
    for (NodeIndex v = 0; v < 80; ++v) {
      EXPECT_GE(s.projection().risk[v], before[v] - 1e-12) << "node " << v;
    }
    for (const auto& c : s.last_changes()) {
      EXPECT_NE(c.lifecycle, AlertLifecycle::kResolved) << "node " << c.node;
    }
    for (const auto& [v, alert] : open_before) {
      ASSERT_TRUE(s.alerts().open().count(v)) << "node " << v;
      EXPECT_GE(s.alerts().open().at(v).level, alert.level) << "node " << v;
    }
    // A weaker report about a node already reported disrupted keeps the
    // stronger evidence.
    ASSERT_TRUE(engine->SetStatus(0, source, NodeState::kDisrupted, 0.2).ok());
    engine->Project(3);
    EXPECT_EQ(s.observed()[source].severity, 1.0);
    EXPECT_EQ(s.projection().risk[source], 1.0);
  }
}

// P(disrupted within T) >= severity for every node hit directly, whatever
// method serves it (a Monte Carlo samples the sources' initial states).
TEST(EngineTest, DirectlyHitNodesReportAtLeastTheirSeverity) {
  using Choice = ProjectionOptions::Choice;
  for (Choice method : {Choice::kDmp, Choice::kAuto, Choice::kMonteCarlo}) {
    SCOPED_TRACE(static_cast<int>(method));
    EngineOptions o = Options(0.6, 0.5, method);
    o.projection.check_realizations = 200;  // few runs: sampling noise shows
    o.projection.serve_realizations = 200;
    auto engine = std::move(Engine::Create(o, testing::RandomGraph(300, 700, 11)).value());
    std::map<NodeIndex, double> hit;
    for (NodeIndex v = 0; v < 300; v += 7) {
      const double severity = 0.05 + 0.9 * static_cast<double>(v % 10) / 9.0;
      ASSERT_TRUE(engine->Disrupt(0, {&v, 1}, severity).ok());
      hit[v] = severity;
    }
    engine->Project(1);
    const auto& s = engine->risk_state(0);
    for (const auto& [v, severity] : hit) {
      EXPECT_GE(s.projection().risk[v], severity) << "node " << v;
      if (severity >= 0.5) {
        EXPECT_EQ(s.projection().eta[v], 0) << "node " << v;
      }
      // Hit nodes are alerted like any other (their risk is the evidence).
      const AlertLevel level =
          s.alerts().open().count(v) ? s.alerts().open().at(v).level : AlertLevel::kNone;
      if (severity >= o.alerts.critical_raise) {
        EXPECT_EQ(level, AlertLevel::kCritical) << "node " << v;
      }
    }
  }
}

TEST(EngineTest, RejectsInvalidOptions) {
  EngineOptions o;
  o.risk_types.push_back(o.risk_types[0]);
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.risk_types[0].alpha = -1;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.dmp.horizon = 0;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.step_days = 0;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
  o = {};
  o.projection.check_realizations = 1;
  EXPECT_FALSE(Engine::Create(o, Network()).ok());
}

}  // namespace
}  // namespace riskd::engine

namespace riskd::engine {
namespace {

TEST(EngineReconfigureTest, NewRatesAndThresholdsApplyAtTheNextProjection) {
  // A chain a -> b -> c; a disrupted.
  Network net;
  for (const char* id : {"a", "b", "c"}) {
    NodeAttributes n;
    n.id = id;
    ASSERT_TRUE(net.AddNode(n).ok());
  }
  ASSERT_TRUE(net.AddEdge("a", "b", Layer::kMaterial, 1).ok());
  ASSERT_TRUE(net.AddEdge("b", "c", Layer::kMaterial, 1).ok());
  EngineOptions options;
  auto engine = Engine::Create(options, net);
  ASSERT_TRUE(engine.ok());
  const NodeIndex a = *(*engine)->network().Find("a");
  const NodeIndex b = *(*engine)->network().Find("b");
  ASSERT_TRUE((*engine)->Disrupt(0, {&a, 1}, 1.0).ok());
  (*engine)->Project(1);
  const double before = (*engine)->risk_state(0).projection().risk[b];

  // The same as an engine created with the new rate from the start.
  ASSERT_TRUE((*engine)->SetRiskTypeRates(0, 2.0, 0.3).ok());
  EXPECT_EQ((*engine)->Project(2), std::vector<int>{0});
  options.risk_types[0].alpha = 2.0;
  auto fresh = Engine::Create(options, net);
  ASSERT_TRUE((*fresh)->Disrupt(0, {&a, 1}, 1.0).ok());
  (*fresh)->Project(1);
  EXPECT_GT((*engine)->risk_state(0).projection().risk[b], before);
  EXPECT_DOUBLE_EQ((*engine)->risk_state(0).projection().risk[b],
                   (*fresh)->risk_state(0).projection().risk[b]);

  // Thresholds: everything at risk is now an alert at 1% and above.
  AlertPolicyOptions low;
  low.warning_raise = 0.01;
  low.warning_clear = 0.005;
  low.critical_raise = 0.99;
  low.critical_clear = 0.98;
  ASSERT_TRUE((*engine)->SetAlertPolicy(low).ok());
  (*engine)->Project(3);
  EXPECT_TRUE((*engine)->risk_state(0).alerts().open().count(b));
  // Invalid values change nothing.
  AlertPolicyOptions bad = low;
  bad.warning_clear = 0.5;
  EXPECT_FALSE((*engine)->SetAlertPolicy(bad).ok());
  EXPECT_EQ((*engine)->options().alerts.warning_clear, 0.005);
  EXPECT_FALSE((*engine)->SetRiskTypeRates(0, -1, 0.3).ok());
  EXPECT_EQ((*engine)->options().risk_types[0].alpha, 2.0);
  EXPECT_FALSE((*engine)->SetRiskTypeRates(5, 1, 1).ok());
}

}  // namespace
}  // namespace riskd::engine
