// Engine benchmarks: DMP speed, incremental updates, continuous-time Monte
// Carlo against igraph_sir, and accuracy of what Engine::Project publishes
// against a 10k-run Monte Carlo. One JSON object per line on stdout:
//   {"bench":"engine","metric":...,"value":...,"unit":..., parameters...}
// Usage: engine_bench [--quick] [dmp] [incremental] [clock] [network] [mc] [accuracy]
//                     [spectral]
// (all sections by default). --quick keeps every metric but runs fewer
// cases and repetitions (bench/run_all --quick: the whole run < 5 minutes).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/dmp.h"
#include "engine/engine.h"
#include "engine/monte_carlo.h"
#include "engine/projection.h"
#include "engine/spectral.h"
#include "engine/testing/continuous_sir.h"
#include "engine/testing/generators.h"
#include "engine/testing/graphs.h"
#include "engine/testing/igraph_peer.h"
#include "engine/testing/real_networks.h"
#include "engine/testing/statistics.h"

namespace riskd::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Set by --quick.
bool quick = false;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Process CPU time: less sensitive than wall time to other load.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string Str(const std::string& s) { return "\"" + s + "\""; }
std::string Num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

using Params = std::vector<std::pair<std::string, std::string>>;

void Emit(const std::string& metric, double value, const std::string& unit, const Params& params) {
  std::string line = "{\"bench\":\"engine\",\"metric\":" + Str(metric) +
                     ",\"value\":" + Num(value) + ",\"unit\":" + Str(unit);
  for (const auto& [k, v] : params) line += ",\"" + k + "\":" + v;
  line += "}";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

double Median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0 : x[x.size() / 2];
}
double Quantile(std::vector<double> x, double q) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0 : x[std::min(x.size() - 1, static_cast<std::size_t>(q * x.size()))];
}

std::string DirectionName(Direction d) {
  return d == Direction::kDownstream ? "downstream"
         : d == Direction::kUpstream ? "upstream"
                                     : "both";
}

std::vector<NodeIndex> RandomNodes(std::size_t n, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NodeIndex> out;
  while (out.size() < count) {
    const auto v = static_cast<NodeIndex>(rng() % n);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

InitialState Sources(std::size_t n, const std::vector<NodeIndex>& sources) {
  InitialState s;
  s.p_s.assign(n, 1.0);
  s.p_i.assign(n, 0.0);
  s.p_r.assign(n, 0.0);
  for (NodeIndex v : sources) {
    s.p_s[v] = 0;
    s.p_i[v] = 1;
  }
  return s;
}

// The 100k-node, ~1M-edge scale-free network the targets of bench/README.md
// are set on.
Network ScaleFree100k() {
  return BarabasiAlbert(100000, 10, {.seed = 1, .min_weight = 0.5, .max_weight = 2.0});
}

// The frames dmp_full_ms is measured in ("frame" in the JSON line; absent
// for kNow, as before the parameter existed): kNow, the 100 sources
// disrupted now (now = 0, no start, end or onset delay); kEnds, a frame
// that started 5 steps before now in which the sources' disruptions are of
// known duration (end at step 15) and 1000 other nodes are removed at step
// 20 (InitialState::end set, ends within the run); kOnsetDelay, kNow with
// an onset delay of 2 steps on a quarter of the nodes (TransmissionGraph::
// latency). The DMP's per-in-edge reads of a source's end and delay only
// happen in the last two.
enum class DmpFrame { kNow, kEnds, kOnsetDelay };

void BenchDmpFrame(const Network& net, const TransmissionGraph& built, Direction dir,
                   DmpFrame frame, double vul_ms, double build_ms) {
  TransmissionGraph g = built;
  InitialState init = Sources(g.node_count, RandomNodes(g.node_count, 100, 7));
  const char* frame_name = "now";
  if (frame == DmpFrame::kEnds) {
    frame_name = "ends_now5";
    init.now = 5;
    init.end.assign(g.node_count, InitialState::kNever);
    init.fixed.assign(g.node_count, 0);
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      if (init.p_i[v] > 0) {
        init.end[v] = 15;
        init.fixed[v] = 1;
      }
    }
    for (NodeIndex v : RandomNodes(g.node_count, 1000, 13)) {
      if (init.p_i[v] == 0) init.end[v] = 20;
    }
  } else if (frame == DmpFrame::kOnsetDelay) {
    frame_name = "onset_delay";
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      if ((static_cast<std::uint64_t>(v) * 2654435761u >> 7) % 4 == 0) g.latency[v] = 2;
    }
    g.has_latency = true;
  }
  DmpOptions opt;
  opt.horizon = 30;
  opt.tolerance = 0;  // every reached node propagates: the full cost
  // Numbered as the engine numbers its graphs (Engine::Graph): the pair
  // kernel keys its layout by the generation (dmp.cc, "Pair kernel").
  g.generation.value = 1;
  // The projections' message storage (float), as the daemon runs it.
  BasicDmpWorkspace<ProjectionMessage> ws;
  ws.Prepare(g);
  std::vector<NodeIndex> sources;
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (init.p_i[v] > 0) sources.push_back(v);
  }
  // The first two runs on a graph go through dmp.cc's kernel and, on a
  // two-way graph, the second builds the pair layout after it (its second
  // costly run): timed apart (`first_run_ms`, `second_run_ms`); the runs
  // measured are the steady state of a workspace that has run this graph
  // before, as the daemon's repeated projections of one graph are.
  double cpu = CpuMs();
  DmpRegion region = RunDmpRegion(g, init, sources, opt, &ws);
  const double first_ms = CpuMs() - cpu;
  cpu = CpuMs();
  region = RunDmpRegion(g, init, sources, opt, &ws);
  const double second_ms = CpuMs() - cpu;
  // dmp.cc's kernel alone (pair kernel off) on two-way graphs, its runs
  // alternated with the engine path's in the same process.
  const bool compare = g.has_reverse;
  BasicDmpWorkspace<ProjectionMessage> plain_ws;
  plain_ws.set_pair_kernel(false);
  if (compare) plain_ws.Prepare(g);
  std::vector<double> times, plain_times;
  DmpRegion plain;
  for (int rep = 0; rep < (quick ? 2 : 3); ++rep) {
    cpu = CpuMs();
    region = RunDmpRegion(g, init, sources, opt, &ws);
    times.push_back(CpuMs() - cpu);
    if (compare) {
      cpu = CpuMs();
      plain = RunDmpRegion(g, init, sources, opt, &plain_ws);
      plain_times.push_back(CpuMs() - cpu);
    }
  }
  // Calibration's storage (double) after the same run, for the bytes.
  DmpWorkspace wide;
  wide.Prepare(g);
  (void)RunDmpRegion(g, init, sources, opt, &wide);
  const double ms = Median(times);
  Params p{{"network", Str("barabasi_albert")},
           {"nodes", Num(static_cast<double>(net.node_count()))},
           {"edges", Num(static_cast<double>(net.edge_count()))},
           {"directed_edges", Num(static_cast<double>(g.edge_count()))},
           {"direction", Str(DirectionName(dir))},
           {"horizon", "30"},
           {"clock", Str("process_cpu")},
           {"touched_nodes", Num(static_cast<double>(region.touched_count))},
           {"edge_steps", Num(static_cast<double>(region.edge_updates))}};
  if (frame != DmpFrame::kNow) p.push_back({"frame", Str(frame_name)});
  Params full = p;
  if (compare) {
    std::string runs, plain_runs;
    for (std::size_t x = 0; x < times.size(); ++x) {
      runs += (x ? "," : "") + Num(times[x]);
      plain_runs += (x ? "," : "") + Num(plain_times[x]);
    }
    // The regions of both kernels compared in full: nodes, risk, ETA,
    // parent, counters (1 when every field is equal).
    const bool equal = region.nodes == plain.nodes && region.risk == plain.risk &&
                       region.eta == plain.eta && region.parent == plain.parent &&
                       region.touched_count == plain.touched_count &&
                       region.edge_updates == plain.edge_updates;
    full.push_back({"kernel", Str(ws.pair_runs() > 0 ? "pairs" : "dmp")});
    full.push_back({"runs", "[" + runs + "]"});
    full.push_back({"first_run_ms", Num(first_ms)});
    full.push_back({"second_run_ms", Num(second_ms)});
    full.push_back({"dmp_kernel_ms", Num(Median(plain_times))});
    full.push_back({"dmp_kernel_runs", "[" + plain_runs + "]"});
    full.push_back({"equal_to_dmp_kernel", equal ? "1" : "0"});
    full.push_back({"layout_mb", Num(static_cast<double>(ws.pair_layout_bytes()) / 1e6)});
  }
  Emit("dmp_full_ms", ms, "ms", full);
  Emit("dmp_ns_per_edge_step", ms * 1e6 / static_cast<double>(region.edge_updates), "ns", p);
  if (frame == DmpFrame::kNow) {
    Emit("vulnerability_ms", vul_ms, "ms", p);
    Emit("transmission_graph_build_ms", build_ms, "ms", p);
  }
  Params with_messages = p;
  with_messages.push_back(
      {"messages", Str(std::is_same_v<ProjectionMessage, float> ? "float" : "double")});
  Emit("dmp_workspace_mb", static_cast<double>(ws.MemoryBytes()) / 1e6, "MB", with_messages);
  with_messages.back() = {"messages", Str("double")};
  Emit("dmp_workspace_mb", static_cast<double>(wide.MemoryBytes()) / 1e6, "MB", with_messages);
}

// `both_only`: the both-directions frames alone (section dmp_both, for
// profiling the two-way path).
void BenchDmp(bool both_only) {
  const auto start_gen = Clock::now();
  const Network net = ScaleFree100k();
  const double gen_ms = MsSince(start_gen);
  for (Direction dir : {Direction::kDownstream, Direction::kBoth}) {
    if (both_only && dir != Direction::kBoth) continue;
    RiskType t;
    t.direction = dir;
    auto start = Clock::now();
    const Vulnerability vul = ComputeVulnerability(net, t.layers, {});
    const double vul_ms = MsSince(start);
    start = Clock::now();
    const TransmissionGraph built = BuildTransmissionGraph(net, t, vul);
    const double build_ms = MsSince(start);
    for (const DmpFrame frame : {DmpFrame::kNow, DmpFrame::kEnds, DmpFrame::kOnsetDelay}) {
      BenchDmpFrame(net, built, dir, frame, vul_ms, build_ms);
    }
  }
  Emit("generate_network_ms", gen_ms, "ms", {{"network", Str("barabasi_albert")}});
}

// One new disruption at a time on top of 20 existing ones: Projector::Update
// against the state's full recompute. Regions follow the DMP tolerance: on
// this scale-free network a source's messages pass 1e-9 over thousands of
// nodes, so 20 sources often make one region and an update costs a full
// recompute; with alpha = 0.8 (the default, alpha / beta = 2.7) one hub's
// outbreak reaches a third of the network. Undirected spread reaches
// everything. With method "dmp" the update is incremental DMP instead
// (incremental_dmp.h): its cost follows the nodes whose trajectories
// change, not the region. On graphs with reverse edges ("reverse_edges" > 0:
// a both-directions risk type, or two-way supplier pairs) it replays the
// pairs' messages; both ways on this small-world network nearly every
// node's bits change, so it gives up and recomputes the region, which
// "method":"dmp_region" (DMP published at once, check deferred: the
// region recompute the incremental path replaces) measures alone.
struct IncrementalCase {
  double alpha = 0.2;
  Direction direction = Direction::kDownstream;
  double tolerance = 1e-6;
  // Share of the network's edges given a reverse edge (two-way pairs).
  double two_way_share = 0;
  bool with_auto = true;     // also method AUTO (Monte Carlo checks)
  bool with_region = false;  // also the region recompute alone
  int trials = 20;
};

void BenchIncrementalCase(const Network& net, const IncrementalCase& c) {
  TransmissionGraph g = testing::BuildGraph(net, c.direction, c.alpha, 0.3);
  // Both ways: numbered as the engine numbers its graphs (Engine::Graph),
  // so the pair kernel serves the region runs as in the daemon (dmp.cc,
  // "Pair kernel"); the Monte Carlo checks a generation would let the
  // projector reuse are not run in this case (methods DMP and DMP region).
  if (c.direction == Direction::kBoth) g.generation.value = 1;
  std::size_t reverse_edges = 0;
  if (g.has_reverse) {
    for (EdgeIndex e = 0; e < g.edge_count(); ++e) reverse_edges += g.reverse[e] != kNoEdge;
  }
  const SpectralRadius radius = ComputeSpectralRadius(g, Sources(g.node_count, {}), {});
  enum class Method { kDmp, kAuto, kRegion };
  std::vector<Method> methods{Method::kDmp};
  if (c.with_auto) methods.push_back(Method::kAuto);
  if (c.with_region) methods.push_back(Method::kRegion);
  for (Method method : methods) {
    ProjectionOptions po;
    po.method =
        method == Method::kDmp ? ProjectionOptions::Choice::kDmp : ProjectionOptions::Choice::kAuto;
    po.defer_check = method == Method::kRegion;
    DmpOptions d;
    d.horizon = 30;
    d.tolerance = c.tolerance;
    Projector projector(d, po);
    ProjectionWorkspace ws;
    std::vector<NodeIndex> sources = RandomNodes(g.node_count, 20, 11);
    InitialState init = Sources(g.node_count, sources);
    double cpu = CpuMs();
    projector.Full(g, init, &ws);
    const double full_ms = CpuMs() - cpu;
    std::vector<double> times, nodes;
    const auto fresh = RandomNodes(g.node_count, 60, 13);
    int trials = 0, incremental = 0;
    const int max_trials = !quick || method != Method::kAuto ? c.trials : 4;
    for (NodeIndex v : fresh) {
      if (init.p_i[v] > 0) continue;
      init.p_i[v] = 1;
      init.p_s[v] = 0;
      cpu = CpuMs();
      projector.Update(g, init, {&v, 1}, &ws);
      times.push_back(CpuMs() - cpu);
      nodes.push_back(static_cast<double>(projector.projection().recomputed_nodes));
      incremental += projector.projection().incremental_dmp;
      if (++trials == max_trials) break;
    }
    const char* names[] = {"dmp", "auto", "dmp_region"};
    const Params p{{"network", Str("barabasi_albert")},
                   {"nodes", Num(static_cast<double>(net.node_count()))},
                   {"edges", Num(static_cast<double>(net.edge_count()))},
                   {"direction", Str(DirectionName(c.direction))},
                   {"two_way_share", Num(c.two_way_share)},
                   {"reverse_edges", Num(static_cast<double>(reverse_edges))},
                   {"alpha", Num(c.alpha)},
                   {"beta", "0.3"},
                   {"tolerance", Num(c.tolerance)},
                   {"nb_spectral_radius", Num(radius.non_backtracking)},
                   {"method", Str(names[static_cast<int>(method)])},
                   {"clock", Str("process_cpu")},
                   {"existing_sources", "20"},
                   {"expected_disrupted", Num(projector.projection().expected_disrupted)},
                   {"trials", Num(trials)},
                   {"p90_ms", Num(Quantile(times, 0.9))},
                   {"median_recomputed_nodes", Num(Median(nodes))},
                   {"regions", Num(static_cast<double>(projector.projection().regions.size()))},
                   // Updates served by incremental DMP (incremental_dmp.h; the
                   // rest recomputed their regions) and the trajectories it keeps.
                   {"incremental_dmp_updates", Num(incremental)},
                   {"incremental_state_mb",
                    Num(static_cast<double>(projector.IncrementalMemoryBytes()) / 1e6)}};
    const std::string prefix = method == Method::kDmp    ? "dmp_incremental"
                               : method == Method::kAuto ? "projection_incremental"
                                                         : "dmp_region_update";
    Emit(prefix + "_median_ms", Median(times), "ms", p);
    Emit(prefix + "_p90_ms", Quantile(times, 0.9), "ms", p);
    if (method == Method::kDmp) Emit("dmp_projection_full_ms", full_ms, "ms", p);
    if (method == Method::kAuto) Emit("projection_full_ms", full_ms, "ms", p);
  }
}

// `net` with a reverse edge added to about `share` of its edges (two-way
// supplier pairs, weight as the edge's).
Network WithTwoWayPairs(Network net, double share, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Edge> add;
  for (NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      if (unit(rng) < share) {
        add.push_back({net.edge_target(e), u, net.edge_layer(e), net.edge_weight(e)});
      }
    }
  }
  for (const Edge& e : add) (void)net.AddEdge(e.from, e.to, e.layer, e.weight);
  net.Compact();
  return net;
}

// One refresh of the spectral radius (docs/model.md section 9), what the
// daemon's engine thread pays after a round's alerts: the daemon_scale_bench
// network (100k nodes, m = 10, seed 20261123, weights 1-10; edges from the
// older node to the newer, so downstream it is acyclic) with its risk type
// (alpha 0.2, beta 0.5), 500 nodes disrupted and 2,000 recovered (left
// out); downstream, downstream with 1% of the pairs two-way (cycles), and
// both ways. Process CPU per ComputeSpectralRadius call (the graph's cycles
// kept, as the engine does: spectral_refresh_ms) and per CyclicNodes (once
// per graph: spectral_cyclic_nodes_ms), median of the reps.
void BenchSpectral() {
  const Network net =
      BarabasiAlbert(100000, 10, {.seed = 20261123, .min_weight = 1, .max_weight = 10});
  struct Case {
    const char* name;
    Direction direction;
    double two_way_share;
  };
  for (const Case& c : {Case{"downstream", Direction::kDownstream, 0},
                        Case{"downstream_two_way_1pct", Direction::kDownstream, 0.01},
                        Case{"both", Direction::kBoth, 0}}) {
    const Network n = c.two_way_share > 0 ? WithTwoWayPairs(net, c.two_way_share, 3) : net;
    const TransmissionGraph g = testing::BuildGraph(n, c.direction, 0.2, 0.5);
    InitialState init = Sources(g.node_count, RandomNodes(g.node_count, 500, 7));
    for (NodeIndex v : RandomNodes(g.node_count, 2500, 17)) {
      if (init.p_i[v] > 0) continue;
      init.p_s[v] = 0;
      init.p_r[v] = 1;
    }
    // A refresh as the engine makes it (the graph's cycles found once and
    // kept), and finding them (once per graph).
    std::vector<double> times, cycles_ms;
    SpectralRadius r;
    std::vector<char> cyclic;
    for (int rep = 0; rep < (quick ? 3 : 7); ++rep) {
      double cpu = CpuMs();
      cyclic = CyclicNodes(g);
      cycles_ms.push_back(CpuMs() - cpu);
      cpu = CpuMs();
      r = ComputeSpectralRadius(g, init, {}, &cyclic);
      times.push_back(CpuMs() - cpu);
    }
    const auto on_cycles = std::count(cyclic.begin(), cyclic.end(), 1);
    const Params p{{"network", Str("barabasi_albert_m10_seed20261123")},
                   {"nodes", Num(static_cast<double>(n.node_count()))},
                   {"edges", Num(static_cast<double>(n.edge_count()))},
                   {"case", Str(c.name)},
                   {"alpha", "0.2"},
                   {"beta", "0.5"},
                   {"clock", Str("process_cpu")},
                   {"reps", Num(static_cast<double>(times.size()))},
                   {"iterations", Num(r.iterations)},
                   {"transmission", Num(r.transmission)},
                   {"non_backtracking", Num(r.non_backtracking)},
                   {"nodes_on_cycles", Num(static_cast<double>(on_cycles))}};
    Emit("spectral_refresh_ms", Median(times), "ms", p);
    Emit("spectral_cyclic_nodes_ms", Median(cycles_ms), "ms", p);
  }
}

void BenchIncremental() {
  const Network net = ScaleFree100k();
  BenchIncrementalCase(net, {});
  // Two-way risk types (issue 12 point 1): a both-directions type, and a
  // downstream one on the network with 1% and 10% of its pairs two-way.
  BenchIncrementalCase(net, {.direction = Direction::kBoth,
                             .with_auto = false,
                             .with_region = true,
                             .trials = quick ? 6 : 20});
  for (double share : {0.01, 0.1}) {
    BenchIncrementalCase(WithTwoWayPairs(net, share, 3),
                         {.two_way_share = share, .with_auto = false, .with_region = true});
  }
  if (quick) return;
  BenchIncrementalCase(net, {.tolerance = 1e-9});
  BenchIncrementalCase(net, {.alpha = 0.8, .tolerance = 1e-9});
}

// The model clock through the Engine (docs/model.md section 3, "Time"):
// 20 disruptions reported over the last 10 days (a third of known
// duration) on the 100k-node network, method DMP, one-way spread. A tick
// moves now, so every value changes frame: the engine recomputes each risk
// type fully once per tick (frame of now - first onset + T steps). Between
// ticks, new reports are incremental again (clock_update_median_ms).
void BenchClock() {
  EngineOptions o;
  o.risk_types[0].alpha = 0.2;
  o.risk_types[0].beta = 0.3;
  o.dmp.horizon = 30;
  o.dmp.tolerance = 1e-6;
  o.projection.method = ProjectionOptions::Choice::kDmp;
  auto created = Engine::Create(o, ScaleFree100k());
  if (!created.ok()) return;
  Engine& engine = **created;
  const Step day0 = 20000;
  (void)engine.AdvanceClock(day0);
  const auto sources = RandomNodes(engine.network().node_slots(), 20, 11);
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const Step duration = k % 3 == 0 ? 5 : 0;
    (void)engine.Disrupt(0, {&sources[k], 1}, 1.0, day0 - static_cast<Step>(k % 10), duration);
  }
  double cpu = CpuMs();
  engine.Project(1);
  const double first_ms = CpuMs() - cpu;
  std::vector<double> ticks;
  const int tick_count = quick ? 3 : 7;
  for (int k = 1; k <= tick_count; ++k) {
    (void)engine.AdvanceClock(day0 + k);
    cpu = CpuMs();
    engine.Project(static_cast<std::uint64_t>(1 + k));
    ticks.push_back(CpuMs() - cpu);
  }
  const Projection& p = engine.risk_state(0).projection();
  const int frame_steps = p.now + p.horizon;
  std::vector<double> updates;
  int incremental = 0;
  for (NodeIndex v : RandomNodes(engine.network().node_slots(), quick ? 5 : 15, 13)) {
    (void)engine.Disrupt(0, {&v, 1}, 1.0);
    cpu = CpuMs();
    engine.Project(100 + v);
    updates.push_back(CpuMs() - cpu);
    incremental += engine.risk_state(0).projection().incremental_dmp;
  }
  const Params params{
      {"network", Str("barabasi_albert")},
      {"nodes", Num(static_cast<double>(engine.network().node_count()))},
      {"edges", Num(static_cast<double>(engine.network().edge_count()))},
      {"direction", Str("downstream")},
      {"alpha", "0.2"},
      {"beta", "0.3"},
      {"tolerance", "1e-06"},
      {"method", Str("dmp")},
      {"clock", Str("process_cpu")},
      {"sources", "20"},
      {"frame_steps", Num(frame_steps)},
      {"first_projection_ms", Num(first_ms)},
      {"ticks", Num(static_cast<double>(ticks.size()))},
      {"updates", Num(static_cast<double>(updates.size()))},
      {"incremental_dmp_updates", Num(incremental)},
      {"expected_disrupted", Num(engine.risk_state(0).projection().expected_disrupted)}};
  Emit("clock_tick_ms", Median(ticks), "ms", params);
  Emit("clock_update_median_ms", Median(updates), "ms", params);
}

// Network changes at rate (issue 12 point 2), measured on the loop the
// daemon's engine thread runs (daemon/engine_worker.cc, Run()): it waits for
// events, drains everything queued (at most ingest.queue_capacity events,
// bounded by the ingest thread), applies it, and projects once; changes that
// arrive during a projection wait for the next round. So the slower the
// projection, the more changes each round coalesces: no change is skipped,
// only projections are (docs/model.md, "Projection scheduling").
//
// The Engine with default options (method AUTO) on the 100k-node network, 20
// disruptions projected; then a stream of changes (re-weight 40%, edge added
// 25%, edge removed 20%, node added with an edge 10%, node removed 5%) is
// offered at `offered_per_s` (0: all at once, a backlog) and fed to that
// loop on a simulated clock that advances by the engine's process CPU time
// (applying and projecting; the engine is single-threaded) and jumps to the
// next arrival when the engine would wait. Reported:
//   network_changes_applied_per_s  changes applied (a new node and its edge
//                                  are two) / engine busy seconds
//                                  (rounds of apply + Project(), idle
//                                  excluded; an offered rate's line also
//                                  counts its last round, after the last
//                                  arrival)
//   apply_only_per_s               changes / seconds applying them
//   staleness_p50_ms, _max_ms      per change: publication of the first
//                                  projection that includes it - arrival
//   keeps_up                       the queue never reached its capacity
//                                  (the daemon would have pushed back)
// With defer_check the Monte Carlo checks are left to Engine::Refine (the
// daemon runs them between rounds within their CPU share, not here).
constexpr std::size_t kQueueCapacity = 65536;  // ingest.queue_capacity default

// The change mix above, drawn from one seed; Next() applies one change.
class ChangeStream {
 public:
  explicit ChangeStream(Engine* engine) : engine_(engine), rng_(17) {
    for (const Edge& e : engine->network().Edges()) {
      if (e.layer == Layer::kMaterial) known_.emplace_back(e.from, e.to);
    }
  }
  int applied() const { return applied_; }
  int rejected() const { return rejected_; }

  void Next() {
    const int kind = static_cast<int>(rng_() % 100);
    Status st;
    const Network& net = engine_->network();
    if (kind < 40 || (kind >= 60 && kind < 80)) {
      NodeIndex u = 0, v = 0;
      if (!RandomEdge(&u, &v)) {
        ++rejected_;
        return;
      }
      const std::string a(net.id(u)), b(net.id(v));
      st = kind < 40 ? engine_->SetEdgeWeight(a, b, Layer::kMaterial,
                                              0.5 + static_cast<double>(rng_() % 150) / 100)
                     : engine_->RemoveEdge(a, b, Layer::kMaterial);
    } else if (kind < 60) {
      const NodeIndex u = RandomNode(), v = RandomNode();
      if (u == v) {
        ++rejected_;
        return;
      }
      st = engine_->AddEdge(net.id(u), net.id(v), Layer::kMaterial, 1.0);
      if (st.ok()) known_.emplace_back(u, v);
    } else if (kind < 90) {
      // A new node and its edge: two changes.
      NodeAttributes attrs;
      attrs.id = "bench-new-" + std::to_string(added_nodes_++);
      const NodeIndex customer = RandomNode();
      const std::string customer_id(net.id(customer));
      st = engine_->AddNode(attrs);
      if (st.ok()) {
        ++applied_;
        st = engine_->AddEdge(attrs.id, customer_id, Layer::kMaterial, 1.0);
      }
      if (st.ok()) known_.emplace_back(*engine_->network().Find(attrs.id), customer);
    } else {
      st = engine_->RemoveNode(std::string(net.id(RandomNode())));
    }
    st.ok() ? ++applied_ : ++rejected_;
  }

 private:
  NodeIndex RandomNode() {
    for (;;) {
      const auto v = static_cast<NodeIndex>(rng_() % engine_->network().node_slots());
      if (engine_->network().alive(v)) return v;
    }
  }
  // A random existing material edge, from a list of the edges known (the
  // start's and those added); stale entries are skipped.
  bool RandomEdge(NodeIndex* from, NodeIndex* to) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      const auto [u, v] = known_[rng_() % known_.size()];
      if (engine_->network().FindEdge(u, v, Layer::kMaterial)) {
        *from = u;
        *to = v;
        return true;
      }
    }
    return false;
  }

  Engine* engine_;
  std::mt19937_64 rng_;
  std::vector<std::pair<NodeIndex, NodeIndex>> known_;
  int applied_ = 0, rejected_ = 0, added_nodes_ = 0;
};

void BenchNetworkChangesCase(bool defer_check, double offered_per_s) {
  EngineOptions o;
  o.projection.defer_check = defer_check;
  o.risk_types[0].alpha = 0.2;
  o.risk_types[0].beta = 0.3;
  auto created = Engine::Create(o, ScaleFree100k());
  if (!created.ok()) return;
  Engine& engine = **created;
  const auto sources = RandomNodes(engine.network().node_slots(), 20, 11);
  (void)engine.Disrupt(0, sources, 1.0);
  double cpu = CpuMs();
  engine.Project(1);
  const double first_ms = CpuMs() - cpu;
  // Offered for `seconds` at a rate, or `backlog` changes all at once.
  const double seconds = quick ? 3 : 10;
  const std::size_t backlog = quick ? 100000 : 300000;
  const std::size_t total =
      offered_per_s > 0 ? static_cast<std::size_t>(offered_per_s * seconds) : backlog;
  const auto arrival = [&](std::size_t i) {
    return offered_per_s > 0 ? static_cast<double>(i) / offered_per_s : 0.0;
  };
  ChangeStream stream(&engine);
  double now = 0;  // the engine thread's clock, s
  double apply_s = 0, busy_s = 0;
  bool queue_full = false;
  std::vector<double> staleness_ms, round_ms, round_changes;
  staleness_ms.reserve(total);
  std::size_t next = 0;  // first change not yet applied
  while (next < total) {
    if (arrival(next) > now) now = arrival(next);  // waits for the next event
    // Drain: what has arrived, up to the queue's capacity.
    std::size_t end = next;
    while (end < total && arrival(end) <= now && end - next < kQueueCapacity) ++end;
    if (end - next == kQueueCapacity && end < total && arrival(end) <= now) queue_full = true;
    const double round_start = CpuMs();
    for (std::size_t i = next; i < end; ++i) stream.Next();
    const double applied_at = CpuMs();
    engine.Project(static_cast<std::uint64_t>(2 + end));
    const double round_end = CpuMs();
    apply_s += (applied_at - round_start) / 1e3;
    busy_s += (round_end - round_start) / 1e3;
    now += (round_end - round_start) / 1e3;
    for (std::size_t i = next; i < end; ++i) staleness_ms.push_back((now - arrival(i)) * 1e3);
    round_ms.push_back(round_end - round_start);
    round_changes.push_back(static_cast<double>(end - next));
    next = end;
  }
  const Projection& p = engine.risk_state(0).projection();
  const double offered = static_cast<double>(total);
  const Params params{{"network", Str("barabasi_albert")},
                      {"nodes", Num(static_cast<double>(engine.network().node_count()))},
                      {"edges", Num(static_cast<double>(engine.network().edge_count()))},
                      {"alpha", "0.2"},
                      {"beta", "0.3"},
                      {"method", Str(std::string(ProjectionMethodName(p.method)))},
                      {"defer_check", defer_check ? "true" : "false"},
                      {"clock", Str("process_cpu")},
                      {"sources", "20"},
                      {"offered_per_s", Num(offered_per_s)},
                      {"offered", Num(offered)},
                      {"applied", Num(stream.applied())},
                      {"rejected", Num(stream.rejected())},
                      {"queue_capacity", Num(static_cast<double>(kQueueCapacity))},
                      {"keeps_up", offered_per_s > 0 && !queue_full ? "true" : "false"},
                      {"rounds", Num(static_cast<double>(round_ms.size()))},
                      {"changes_per_round_median", Num(Median(round_changes))},
                      {"round_median_ms", Num(Median(round_ms))},
                      {"round_max_ms", Num(Quantile(round_ms, 1.0))},
                      {"staleness_p50_ms", Num(Median(staleness_ms))},
                      {"staleness_max_ms", Num(Quantile(staleness_ms, 1.0))},
                      {"first_projection_ms", Num(first_ms)},
                      {"apply_only_per_s", Num(stream.applied() / apply_s)},
                      {"expected_disrupted", Num(p.expected_disrupted)}};
  Emit("network_changes_applied_per_s", stream.applied() / busy_s, "changes_per_s", params);
}

// The daemon's default (publish first, defer_check) at 20k/s, 50k/s and a
// backlog; checks run first (defer_check false) at 20k/s.
void BenchNetworkChanges() {
  BenchNetworkChangesCase(true, 20000);
  BenchNetworkChangesCase(true, 50000);
  BenchNetworkChangesCase(true, 0);
  BenchNetworkChangesCase(false, 20000);
}

// Continuous-time SIR against igraph_sir on a 100k-node Barabasi-Albert
// graph, beta = 0.25, gamma = 1, one random source per run. The machine is
// shared, so the two alternate in rounds and process CPU time is compared
// (wall time is reported too). The speedup is per event (an infection or a
// recovery, counted alike on both sides: 2 s - 1 for a run of final size s),
// which does not depend on how many major outbreaks each sample happened to
// draw; the per-run ratio is a parameter.
//
// The timed sections hold the same work. Outside both: each side's graph
// object from the network's edges (igraph_create in IgraphPeer, one edge
// per linked pair; the TransmissionGraph from BuildGraph) and our rate
// vectors (igraph takes two numbers). Inside both, once per call of 40
// runs: the algorithm's own layout of that graph (igraph_sir builds an
// adjacency list, igraph_adjlist_init, and its sum tree, and checks the
// graph is simple, cached after the first call; ContinuousSir's
// constructor copies the out-rows with their lengths and checks the rates
// are uniform), seeding the generator (igraph's default one; our
// counter-based one), drawing each run's source, the runs and collecting
// their results (igraph_sir records every event's time and counts, its
// API; ours the final sizes). What a call costs before its runs is a
// parameter per side (`*_call_setup_ms`: a call of one run with no
// transmission, the source's recovery, median of 5). bench/README.md,
// "mcfair".
void BenchMonteCarlo() {
  const Network net = BarabasiAlbert(100000, 3, {.seed = 2});
  const TransmissionGraph g = testing::BuildGraph(net, Direction::kBoth, 1, 1);
  const ContinuousRates rates = UniformRates(g, 0.25, 1.0);
  constexpr int kRunsPerRound = 40;
  constexpr int rounds = 10;  // also with --quick: the two-sample test needs the runs
  constexpr int runs = rounds * kRunsPerRound;
  testing::IgraphPeer peer(net);
  testing::SirRuns theirs, ours;
  double igraph_cpu = 0, ours_cpu = 0, igraph_wall = 0, ours_wall = 0;
  for (int round = 0; round < rounds; ++round) {
    double cpu = CpuMs();
    auto wall = Clock::now();
    const auto a = peer.Sir(0.25, 1.0, kRunsPerRound, 5 + static_cast<std::uint64_t>(round));
    igraph_cpu += CpuMs() - cpu;
    igraph_wall += MsSince(wall);
    cpu = CpuMs();
    wall = Clock::now();
    const auto b = testing::ContinuousSirRuns(g, rates, kRunsPerRound, 5,
                                              static_cast<std::uint32_t>(round * kRunsPerRound));
    ours_cpu += CpuMs() - cpu;
    ours_wall += MsSince(wall);
    theirs.final_sizes.insert(theirs.final_sizes.end(), a.final_sizes.begin(), a.final_sizes.end());
    theirs.events += a.events;
    ours.final_sizes.insert(ours.final_sizes.end(), b.final_sizes.begin(), b.final_sizes.end());
    ours.events += b.events;
  }
  std::vector<double> igraph_setup, ours_setup;
  const ContinuousRates no_spread = UniformRates(g, 0.0, 1.0);
  for (int i = 0; i < 5; ++i) {
    double cpu = CpuMs();
    peer.Sir(0.0, 1.0, 1, 5);
    igraph_setup.push_back(CpuMs() - cpu);
    cpu = CpuMs();
    testing::ContinuousSirRuns(g, no_spread, 1, 5);
    ours_setup.push_back(CpuMs() - cpu);
  }
  auto majors = [&](const std::vector<double>& sizes) {
    return std::count_if(sizes.begin(), sizes.end(), [&](double s) { return s > 1000; });
  };
  const auto ks = testing::TwoSampleKs(ours.final_sizes, theirs.final_sizes);
  const Params p{{"network", Str("barabasi_albert")},
                 {"nodes", "100000"},
                 {"edges", Num(static_cast<double>(net.edge_count()))},
                 {"beta", "0.25"},
                 {"gamma", "1"},
                 {"runs", Num(runs)},
                 {"clock", Str("process_cpu")},
                 {"mean_final_size_ours", Num(testing::Mean(ours.final_sizes))},
                 {"mean_final_size_igraph", Num(testing::Mean(theirs.final_sizes))},
                 {"major_outbreaks_ours", Num(static_cast<double>(majors(ours.final_sizes)))},
                 {"major_outbreaks_igraph", Num(static_cast<double>(majors(theirs.final_sizes)))},
                 {"final_size_ks_statistic", Num(ks.statistic)},
                 {"final_size_ks_p", Num(ks.p_value)},
                 {"runs_per_call", Num(kRunsPerRound)},
                 {"igraph_call_setup_ms", Num(Median(igraph_setup))},
                 {"ours_call_setup_ms", Num(Median(ours_setup))},
                 {"per_run_speedup", Num(igraph_cpu / ours_cpu)},
                 {"wall_per_run_speedup", Num(igraph_wall / ours_wall)}};
  Emit("igraph_sir_ms", igraph_cpu / runs, "ms_per_run", p);
  Emit("mc_ct_ms", ours_cpu / runs, "ms_per_run", p);
  const double igraph_ns = igraph_cpu * 1e6 / static_cast<double>(theirs.events);
  const double ours_ns = ours_cpu * 1e6 / static_cast<double>(ours.events);
  Emit("mc_speedup_vs_igraph", igraph_ns / ours_ns, "ratio", p);
  Emit("igraph_sir_ns_per_event", igraph_ns, "ns", p);
  Emit("mc_ct_ns_per_event", ours_ns, "ns", p);
  if (majors(theirs.final_sizes) > 0) {
    Emit("igraph_sir_s_per_major_outbreak",
         igraph_cpu / 1000 / static_cast<double>(majors(theirs.final_sizes)), "s", p);
  }
}

struct AccuracyCase {
  std::string name;
  Network network;
  Direction direction;
  double alpha;
  int sources;
  VulnerabilityOptions::Mode mode;
};

// Published risks (Engine::Project, default options) against a 10k-run
// Monte Carlo with another seed. With `tolerances` (section dmp_skip),
// instead DMP alone (the projections' float messages) at each DMP
// tolerance against the same Monte Carlo.
void MeasureAccuracy(AccuracyCase c, std::span<const double> tolerances = {}) {
  EngineOptions o;
  o.risk_types[0].alpha = c.alpha;
  o.risk_types[0].beta = 0.3;
  o.risk_types[0].direction = c.direction;
  o.vulnerability.mode = c.mode;
  std::vector<NodeIndex> order(c.network.node_slots());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](NodeIndex a, NodeIndex b) {
    return c.network.out_end(a) - c.network.out_begin(a) >
           c.network.out_end(b) - c.network.out_begin(b);
  });
  std::vector<NodeIndex> src;
  for (int k = 0; k < c.sources; ++k)
    src.push_back(order[static_cast<std::size_t>(k * 5) % order.size()]);
  auto engine = std::move(Engine::Create(o, std::move(c.network)).value());
  (void)engine->Disrupt(0, src, 1.0);
  const double start_cpu = CpuMs();
  engine->Project(1);
  const double project_ms = CpuMs() - start_cpu;
  const RiskTypeState& s = engine->risk_state(0);
  const TransmissionGraph& g = *engine->Graph(0);
  MonteCarloOptions mo;
  mo.horizon = o.dmp.horizon;
  mo.seed = 0xC0FFEE;
  const MonteCarloResult ref = RunMonteCarlo(g, s.initial(), mo, 10000);
  for (const double tolerance : tolerances) {
    DmpOptions d = o.dmp;
    d.tolerance = tolerance;
    const DmpResult r = RunDmp<ProjectionMessage>(g, s.initial(), d);
    double sum = 0;
    std::size_t alive = 0;
    for (NodeIndex v = 0; v < g.node_count; ++v) {
      if (!engine->network().alive(v)) continue;
      ++alive;
      sum += std::fabs(r.risk[v] - ref.risk[v]);
    }
    Emit("dmp_skip_tolerance_mae_vs_mc", sum / static_cast<double>(alive), "probability",
         {{"network", Str(c.name)},
          {"alpha", Num(c.alpha)},
          {"direction", Str(DirectionName(c.direction))},
          {"tolerance", Num(tolerance)},
          {"edge_steps", Num(static_cast<double>(r.edge_updates))},
          {"touched_nodes", Num(static_cast<double>(r.touched_nodes))},
          {"expected_disrupted_dmp", Num(r.expected_disrupted)},
          {"expected_disrupted_reference", Num(ref.expected_disrupted)}});
  }
  if (!tolerances.empty()) return;
  const DmpResult dmp = RunDmp(g, s.initial(), o.dmp);
  double mae = 0, mae_risk = 0, dmp_mae = 0, dmp_mae_risk = 0;
  std::size_t alive = 0, at_risk = 0;
  for (NodeIndex v = 0; v < g.node_count; ++v) {
    if (!engine->network().alive(v)) continue;
    ++alive;
    const double e = std::fabs(s.projection().risk[v] - ref.risk[v]);
    const double d = std::fabs(dmp.risk[v] - ref.risk[v]);
    mae += e;
    dmp_mae += d;
    if (std::max({s.projection().risk[v], ref.risk[v], dmp.risk[v]}) >= 0.01) {
      ++at_risk;
      mae_risk += e;
      dmp_mae_risk += d;
    }
  }
  const double n_alive = static_cast<double>(alive), n_risk = std::max<double>(1, at_risk);
  double check = 0;
  for (const auto& r : s.projection().regions) check = std::max(check, r.dmp_error);
  Emit("dmp_mae_vs_mc", mae / n_alive, "probability",
       {{"network", Str(c.name)},
        {"method", Str(std::string(ProjectionMethodName(s.projection().method)))},
        {"alpha", Num(c.alpha)},
        {"beta", "0.3"},
        {"direction", Str(DirectionName(c.direction))},
        {"nodes", Num(n_alive)},
        {"edges", Num(static_cast<double>(engine->network().edge_count()))},
        {"sources", Num(c.sources)},
        {"reference_runs", "10000"},
        {"mae_at_risk", Num(mae_risk / n_risk)},
        {"at_risk_nodes", Num(static_cast<double>(at_risk))},
        {"dmp_only_mae", Num(dmp_mae / n_alive)},
        {"dmp_only_mae_at_risk", Num(dmp_mae_risk / n_risk)},
        {"check_dmp_rms_error", Num(check)},
        {"expected_disrupted", Num(s.projection().expected_disrupted)},
        {"expected_disrupted_dmp", Num(dmp.expected_disrupted)},
        {"expected_disrupted_reference", Num(ref.expected_disrupted)},
        {"disrupted_p05", Num(s.projection().disrupted_p05)},
        {"disrupted_p95", Num(s.projection().disrupted_p95)},
        {"supercritical", s.projection().spectral.supercritical ? "true" : "false"},
        {"project_ms", Num(project_ms)},
        {"mc_work", Num(static_cast<double>(s.projection().mc_work))},
        {"dmp_edge_updates", Num(static_cast<double>(s.projection().dmp_edge_updates))}});
}

// `tolerances`: see MeasureAccuracy (section dmp_skip: every case at both
// alphas).
void BenchAccuracy(std::span<const double> tolerances = {}) {
  for (const std::string& name : testing::RealNetworkNames()) {
    for (double alpha : {0.4, 1.2}) {
      if (quick && alpha < 1 && tolerances.empty()) continue;  // the harder case only
      auto real = testing::LoadRealNetwork(name);
      if (!real.ok()) {
        std::fprintf(stderr, "%s\n", real.status().ToString().c_str());
        continue;
      }
      MeasureAccuracy({name, std::move(real->network), real->direction, alpha, 3,
                       VulnerabilityOptions::Mode::kSeed003},
                      tolerances);
    }
  }
  for (double alpha : {0.7, 0.9}) {
    if (quick && alpha < 0.8 && tolerances.empty()) continue;
    MeasureAccuracy({"watts_strogatz_2000_k3_p0.05", WattsStrogatz(2000, 3, 0.05, {.seed = 3}),
                     Direction::kBoth, alpha, 1, VulnerabilityOptions::Mode::kUniform},
                    tolerances);
  }
}

// Section dmp_skip (opt-in: only when named; issue 12 points 1 and 5):
// where the arc-steps of two-way DMP go on the 100k / 1M network and what
// skipping quiet arcs would cost in accuracy. Two frames: "full" is
// dmp_full_ms's both-ways frame (default risk type, alpha 0.8, 100
// sources), "incremental" the both-ways dmp_incremental frame (alpha 0.2,
// beta 0.3, 20 sources). bench/README.md, "Two-way DMP: quiet arcs".
struct SkipFrame {
  const char* name;
  TransmissionGraph graph;
  InitialState init;
};

// Plain two-way DMP in double (docs/model.md section 5, "Two-way pairs"),
// every arc every step, no tolerance, no onset delays or ends: the
// reference the skip rules are measured against (checked against RunDmp
// with tolerance 0). rule 0: none; rule 1 ("freeze"): an arc stops being
// updated once p/(p + q - pq) (phi + C) < eps, the bound on its remaining
// theta drop (docs/model.md); rule 2 ("skip_small"): theta's step p phi is
// not applied when below eps (phi still updated). `steps_by_drop` (if
// given) gets each arc-step's p phi.
struct SkipRun {
  std::vector<double> risk;
  double arc_steps = 0;
  // Arc-steps in the in-rows of nodes whose every cavity is below eps =
  // kSaturated[x] (P_S < eps min_k theta_{k->i}): the rows a "saturated
  // node" rule would stop updating (its risk moves by at most P_S, each
  // out-arc's remaining drive by at most its cavity).
  std::array<double, 3> saturated_steps{};
};
constexpr std::array<double, 3> kSaturated{1e-2, 1e-3, 1e-6};
SkipRun RunTwoWayReference(const TransmissionGraph& g, const InitialState& init, int horizon,
                           int rule, double eps, std::vector<float>* steps_by_drop) {
  const std::size_t n = g.node_count, m = g.edge_count();
  std::vector<double> ps = init.p_s, pr = init.p_r, pi = init.p_i;
  std::vector<double> theta(m, 1.0), phi(m), cavity(m);
  std::vector<std::uint8_t> frozen(m, 0);
  for (EdgeIndex e = 0; e < m; ++e) {
    phi[e] = init.p_i[g.source[e]];
    cavity[e] = init.p_s[g.source[e]];
  }
  SkipRun out;
  for (int t = 1; t <= horizon; ++t) {
    for (NodeIndex i = 0; i < n; ++i) {
      double prod = init.p_s[i];
      for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e) {
        if (!frozen[e]) {
          const double drop = g.p[e] * phi[e];
          if (rule != 2 || drop >= eps) theta[e] -= drop;
          if (steps_by_drop != nullptr) steps_by_drop->push_back(static_cast<float>(drop));
          ++out.arc_steps;
        }
        prod *= theta[e];
      }
      ps[i] = prod;
      if (steps_by_drop != nullptr) {
        double theta_min = 1;
        for (EdgeIndex e = g.in_begin(i); e < g.in_end(i); ++e)
          theta_min = std::min(theta_min, theta[e]);
        for (std::size_t x = 0; x < kSaturated.size(); ++x) {
          if (prod < kSaturated[x] * theta_min)
            out.saturated_steps[x] += g.in_end(i) - g.in_begin(i);
        }
      }
    }
    for (EdgeIndex e = 0; e < m; ++e) {
      if (frozen[e]) continue;
      const NodeIndex k = g.source[e];
      const EdgeIndex rev = g.reverse_of(e);
      double c = ps[k];
      if (rev != kNoEdge && theta[rev] > kDmpTinyTheta) {
        c = ps[k] / theta[rev];
      } else if (rev != kNoEdge) {
        c = init.p_s[k];
        for (EdgeIndex f = g.in_begin(k); f < g.in_end(k); ++f) c *= f == rev ? 1.0 : theta[f];
      }
      phi[e] = (1 - g.p[e]) * (1 - g.q[k]) * phi[e] - (c - cavity[e]);
      cavity[e] = c;
      const double p = g.p[e], q = g.q[k];
      if (rule == 1 && p / (p + q - p * q) * (phi[e] + c) < eps) frozen[e] = 1;
    }
    for (NodeIndex k = 0; k < n; ++k) {
      pr[k] += g.q[k] * pi[k];
      pi[k] = std::max(0.0, 1.0 - ps[k] - pr[k]);
    }
  }
  out.risk.resize(n);
  for (NodeIndex i = 0; i < n; ++i) out.risk[i] = std::clamp(1.0 - ps[i] - init.p_r[i], 0.0, 1.0);
  return out;
}

std::pair<double, double> MaxMeanDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double max = 0, sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    max = std::max(max, std::fabs(a[i] - b[i]));
    sum += std::fabs(a[i] - b[i]);
  }
  return {max, sum / static_cast<double>(a.size())};
}

void BenchDmpSkipFrame(const SkipFrame& f) {
  const TransmissionGraph& g = f.graph;
  const Params base{{"network", Str("barabasi_albert")},
                    {"direction", Str("both")},
                    {"frame", Str(f.name)},
                    {"horizon", "30"}};
  auto with = [&](Params extra) {
    Params p = base;
    p.insert(p.end(), extra.begin(), extra.end());
    return p;
  };
  // The tolerance as it is: work and error against tolerance 0.
  std::vector<double> exact;
  for (double tolerance : {0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2}) {
    DmpOptions o;
    o.horizon = 30;
    o.tolerance = tolerance;
    const double cpu = CpuMs();
    const DmpResult r = RunDmp<ProjectionMessage>(g, f.init, o);
    const double ms = CpuMs() - cpu;
    if (exact.empty()) exact = r.risk;
    const auto [max, mean] = MaxMeanDiff(r.risk, exact);
    Emit("dmp_skip_tolerance_edge_steps", static_cast<double>(r.edge_updates), "arc_steps",
         with({{"tolerance", Num(tolerance)},
               {"touched_nodes", Num(static_cast<double>(r.touched_nodes))},
               {"dmp_ms", Num(ms)},
               {"max_risk_diff", Num(max)},
               {"mean_risk_diff", Num(mean)},
               {"expected_disrupted", Num(r.expected_disrupted)}}));
  }
  // Where the arc-steps go: the distribution of theta's step p phi.
  std::vector<float> drops;
  drops.reserve(g.edge_count() * 30);
  const SkipRun reference = RunTwoWayReference(g, f.init, 30, 0, 0, &drops);
  DmpOptions o;
  o.horizon = 30;
  o.tolerance = 0;
  const auto [ref_max, ref_mean] = MaxMeanDiff(reference.risk, RunDmp<double>(g, f.init, o).risk);
  std::sort(drops.begin(), drops.end());
  const double total = std::accumulate(drops.begin(), drops.end(), 0.0);
  const double zero =
      static_cast<double>(std::upper_bound(drops.begin(), drops.end(), 0.0f) - drops.begin()) /
      static_cast<double>(drops.size());
  std::size_t hub_steps = 0;
  for (NodeIndex i = 0; i < g.node_count; ++i) {
    if (g.in_end(i) - g.in_begin(i) > 200) hub_steps += g.in_end(i) - g.in_begin(i);
  }
  for (double share : {0.5, 0.75}) {
    // Skipping the smallest `share` of the arc-steps (an oracle: no rule
    // picks them better) leaves out this share of the theta drops.
    const auto cut = static_cast<std::size_t>(share * static_cast<double>(drops.size()));
    const double skipped =
        std::accumulate(drops.begin(), drops.begin() + static_cast<std::ptrdiff_t>(cut), 0.0);
    Emit(
        "dmp_skip_smallest_steps_drop_share", skipped / total, "share",
        with(
            {{"steps_share", Num(share)},
             {"largest_skipped_step", Num(drops[cut - 1])},
             {"arc_steps", Num(reference.arc_steps)},
             {"zero_step_share", Num(zero)},
             {"hub_in_row_step_share",
              Num(static_cast<double>(hub_steps) / static_cast<double>(g.edge_count()))},
             {"saturated_1e-2_step_share", Num(reference.saturated_steps[0] / reference.arc_steps)},
             {"saturated_1e-3_step_share", Num(reference.saturated_steps[1] / reference.arc_steps)},
             {"saturated_1e-6_step_share", Num(reference.saturated_steps[2] / reference.arc_steps)},
             {"reference_max_diff_vs_dmp", Num(ref_max)},
             {"reference_mean_diff_vs_dmp", Num(ref_mean)}}));
  }
  std::vector<float>().swap(drops);
  // The skip rules: arc-steps left and error against the reference.
  for (int rule : {1, 2}) {
    for (double eps : {1e-8, 1e-6, 1e-4, 1e-3}) {
      const SkipRun r = RunTwoWayReference(g, f.init, 30, rule, eps, nullptr);
      const auto [max, mean] = MaxMeanDiff(r.risk, reference.risk);
      Emit("dmp_skip_rule_steps_ratio", r.arc_steps / reference.arc_steps, "ratio",
           with({{"rule", Str(rule == 1 ? "freeze" : "skip_small")},
                 {"eps", Num(eps)},
                 {"max_risk_diff", Num(max)},
                 {"mean_risk_diff", Num(mean)}}));
    }
  }
}

// How far one new source's change reaches (the incremental frame, DMP with
// the daemon's tolerance): nodes whose risk moves by more than a bound.
void BenchDmpSkipReach(const SkipFrame& f) {
  DmpOptions o;
  o.horizon = 30;
  o.tolerance = 1e-6;
  const DmpResult before = RunDmp<ProjectionMessage>(f.graph, f.init, o);
  int trials = 0;
  for (NodeIndex v : RandomNodes(f.graph.node_count, 60, 13)) {
    if (f.init.p_i[v] > 0) continue;
    InitialState init = f.init;
    init.p_s[v] = 0;
    init.p_i[v] = 1;
    const DmpResult after = RunDmp<ProjectionMessage>(f.graph, init, o);
    Params p{{"network", Str("barabasi_albert")},
             {"direction", Str("both")},
             {"frame", Str(f.name)},
             {"tolerance", "1e-06"},
             {"new_source", Num(v)}};
    double max = 0;
    for (double bound : {1e-3, 1e-4, 1e-5, 1e-6}) {
      std::size_t moved = 0;
      for (NodeIndex i = 0; i < f.graph.node_count; ++i) {
        if (i == v) continue;
        const double d = std::fabs(after.risk[i] - before.risk[i]);
        max = std::max(max, d);
        moved += d > bound;
      }
      p.push_back({"nodes_moved_over_" + Num(bound), Num(static_cast<double>(moved))});
    }
    p.push_back({"max_risk_change_elsewhere", Num(max)});
    Emit("dmp_skip_new_source_reach", static_cast<double>(f.graph.node_count), "nodes", p);
    if (++trials == (quick ? 3 : 8)) break;
  }
}

void BenchDmpSkip() {
  const Network net = ScaleFree100k();
  RiskType t;
  t.direction = Direction::kBoth;
  std::vector<SkipFrame> frames;
  frames.push_back(
      {"full", BuildTransmissionGraph(net, t, ComputeVulnerability(net, t.layers, {})), {}});
  frames.back().init =
      Sources(frames.back().graph.node_count, RandomNodes(frames.back().graph.node_count, 100, 7));
  frames.push_back({"incremental", testing::BuildGraph(net, Direction::kBoth, 0.2, 0.3), {}});
  frames.back().init =
      Sources(frames.back().graph.node_count, RandomNodes(frames.back().graph.node_count, 20, 11));
  for (const SkipFrame& f : frames) BenchDmpSkipFrame(f);
  BenchDmpSkipReach(frames.back());
  // What dmp_mae_vs_mc sees of the tolerance (the real networks).
  constexpr std::array<double, 5> kTolerances{1e-6, 1e-5, 1e-4, 1e-3, 1e-2};
  BenchAccuracy(kTolerances);
}

}  // namespace
}  // namespace riskd::engine

int main(int argc, char** argv) {
  using namespace riskd::engine;
  std::vector<std::string> sections;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr,
                   "usage: engine_bench [--quick] [dmp] [dmp_both] [incremental] [clock] [network]"
                   " [mc] [accuracy] [spectral] [dmp_skip]\n");
      return 2;
    } else {
      sections.emplace_back(argv[i]);
    }
  }
  auto wanted = [&](const char* section) {
    return sections.empty() ||
           std::find(sections.begin(), sections.end(), section) != sections.end();
  };
  if (wanted("dmp")) BenchDmp(false);
  if (!wanted("dmp") && wanted("dmp_both")) BenchDmp(true);
  if (wanted("incremental")) BenchIncremental();
  if (wanted("clock")) BenchClock();
  if (wanted("network")) BenchNetworkChanges();
  if (wanted("mc")) BenchMonteCarlo();
  if (wanted("accuracy")) BenchAccuracy();
  if (wanted("spectral")) BenchSpectral();
  // Opt-in (several minutes, a measurement of what a skip would cost).
  if (std::find(sections.begin(), sections.end(), "dmp_skip") != sections.end()) BenchDmpSkip();
  return 0;
}
