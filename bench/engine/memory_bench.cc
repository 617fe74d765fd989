// Peak resident memory of the engine on the 100k-node / ~1M-edge network of
// the targets in bench/README.md: the network, one risk type's transmission
// graph and vulnerability, the projection workspace and a projection from 20
// sources.
// JSON lines on stdout, as every benchmark.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "engine/engine.h"
#include "engine/testing/generators.h"

namespace {

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void Emit(const char* metric, double value, const char* unit, std::size_t edges) {
  std::printf(
      "{\"bench\":\"engine\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
      "\"network\":\"barabasi_albert\",\"nodes\":100000,\"edges\":%zu}\n",
      metric, value, unit, edges);
}

}  // namespace

int main() {
  using namespace riskd::engine;
  Network net = BarabasiAlbert(100000, 10, {.seed = 1, .min_weight = 0.5, .max_weight = 2.0});
  const std::size_t edges = net.edge_count();
  Emit("network_mb", static_cast<double>(net.MemoryBytes()) / 1e6, "MB", edges);
  Emit("rss_after_network_mb", PeakRssMb(), "MB", edges);
  EngineOptions o;
  auto engine = std::move(Engine::Create(o, std::move(net)).value());
  std::mt19937_64 rng(3);
  std::vector<NodeIndex> sources;
  for (int k = 0; k < 20; ++k) sources.push_back(static_cast<NodeIndex>(rng() % 100000));
  (void)engine->Disrupt(0, sources, 1.0);
  const auto start = std::chrono::steady_clock::now();
  engine->Project(1);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Emit("engine_first_project_ms", ms, "ms", edges);
  Emit("engine_peak_rss_mb", PeakRssMb(), "MB", edges);
  // What the engine holds (bytes of its structures), beside the network.
  Emit("transmission_graph_mb", static_cast<double>(engine->Graph(0)->MemoryBytes()) / 1e6, "MB",
       edges);
  const Projection& p = engine->risk_state(0).projection();
  const double projection_bytes =
      static_cast<double>(p.risk.capacity() * 8 + p.eta.capacity() * 4 + p.parent.capacity() * 4 +
                          p.node_method.capacity());
  Emit("projection_mb", 2 * projection_bytes / 1e6, "MB", edges);  // projector + published copy
  return 0;
}
