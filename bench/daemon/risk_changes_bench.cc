// The risk changes a publication round builds (RiskDeltaTracker, topic
// risk.<type>): on the daemon_scale_bench network (100k nodes, ~1M edges,
// alpha 0.2, beta 0.5, method DMP as the daemon publishes with defer_check)
// with 500 live disruptions, every round disrupts 50 more nodes and
// recovers 20, so the region's risk moves nearly everywhere, as at 10k
// events/s (bench/README.md "Where a round's publishing goes"). Measured:
// the engine thread's CPU to take the changes, wrap each chunk in a
// Publication, serialize it (what Publisher::Send does) and give the
// chunk's messages back, as EngineWorker::PublishRound does; the
// projection is not timed. One JSON line:
//   risk_changes_round_ms (median over the rounds), with changes per round
//   and ns per changed node.
// Usage: risk_changes_bench [--quick]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "daemon/risk_delta_tracker.h"
#include "engine/engine.h"
#include "engine/testing/generators.h"
#include "riskd/v1/outputs.pb.h"

namespace {

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace riskd;
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  engine::EngineOptions o;
  o.risk_types[0].name = "supply";
  o.risk_types[0].alpha = 0.2;
  o.risk_types[0].beta = 0.5;
  o.projection.method = engine::ProjectionOptions::Choice::kDmp;
  auto created = engine::Engine::Create(
      o, engine::BarabasiAlbert(100000, 10, {.seed = 20261123, .min_weight = 1, .max_weight = 10}));
  if (!created.ok()) return 1;
  auto& eng = *created.value();
  std::mt19937_64 rng(5);
  auto random_node = [&] {
    return static_cast<engine::NodeIndex>(rng() % eng.network().node_slots());
  };
  std::vector<engine::NodeIndex> live;
  for (int k = 0; k < 500; ++k) live.push_back(random_node());
  (void)eng.Disrupt(0, live, 1.0);
  eng.Project(1);
  daemon::RiskDeltaTracker tracker;
  std::string bytes;
  std::size_t changes = 0;
  // Generic: the same code serves the tracker's emit before and after it
  // gave its messages back (NodeRiskChanges&& or &).
  auto emit = [&](auto&& c) {
    riskd::v1::Publication pub;
    pub.mutable_node_risk_changes()->Swap(&c);
    changes += static_cast<std::size_t>(pub.node_risk_changes().nodes_size());
    pub.SerializeToString(&bytes);
    c.Swap(pub.mutable_node_risk_changes());
  };
  tracker.TakeChanges(eng, 0, 1, 4096, emit);  // the first: every node at risk
  std::vector<double> ms, per_round;
  const int rounds = quick ? 8 : 20;
  for (int round = 0; round < rounds; ++round) {
    std::vector<engine::NodeIndex> fresh;
    for (int k = 0; k < 50; ++k) fresh.push_back(random_node());
    (void)eng.Disrupt(0, fresh, 1.0);
    for (int k = 0; k < 20 && !live.empty(); ++k) {
      (void)eng.SetStatus(0, live.back(), engine::NodeState::kRecovered, 1.0);
      live.pop_back();
    }
    live.insert(live.begin(), fresh.begin(), fresh.end());
    eng.Project(static_cast<std::uint64_t>(round) + 2);
    changes = 0;
    const double cpu = ThreadCpuMs();
    tracker.TakeChanges(eng, 0, static_cast<std::uint64_t>(round) + 2, 4096, emit);
    ms.push_back(ThreadCpuMs() - cpu);
    per_round.push_back(static_cast<double>(changes));
  }
  auto median = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  const double m = median(ms), c = median(per_round);
  bench::JsonLine("daemon", "risk_changes_round_ms", m, "ms")
      .Param("nodes", static_cast<long long>(eng.network().node_count()))
      .Param("edges", static_cast<long long>(eng.network().edge_count()))
      .Param("rounds", rounds)
      .Param("clock", "thread_cpu")
      .Param("changes_per_round", c)
      .Param("ns_per_change", c > 0 ? m * 1e6 / c : 0.0)
      .Print();
  return 0;
}
