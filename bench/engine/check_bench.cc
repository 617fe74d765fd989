// The deferred Monte Carlo check ("refinement", projection.defer_check) of
// the daemon's scale run, alone: the Barabasi-Albert network of
// bench/daemon/scale_network.h (100k nodes, m = 10, weights uniform in
// [1, 10], its seed; in memory, without the CSV's 6-digit rounding), the
// scale config's risk type (alpha 0.2, beta 0.5), the hub n1 disrupted,
// projected with the check deferred, the DMP scratch released (as the
// daemon does before a check), then Engine::Refine with no work limit.
// A second case checks the region of 20 random sources.
//
// Per case, JSON lines: the check's process CPU time (median of the
// repetitions), the heap it adds at its peak on top of what lived before it
// (every operator new of this process counted, malloc_usable_size bytes),
// and a digest of the projection it leaves (risk bits, eta, parent of every
// node), which must not change when only the check's memory or speed does.
//
//   check_bench [--quick]        (--quick: 3 repetitions instead of 7)
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/testing/digest.h"
#include "engine/testing/generators.h"

namespace {

std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> peak_bytes{0};

void* Counted(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  const std::int64_t now = live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p))) +
                           static_cast<std::int64_t>(malloc_usable_size(p));
  std::int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)));
  std::free(p);
}

}  // namespace

void* operator new(std::size_t n) { return Counted(std::malloc(n == 0 ? 1 : n)); }
void* operator new[](std::size_t n) { return Counted(std::malloc(n == 0 ? 1 : n)); }
void* operator new(std::size_t n, std::align_val_t a) {
  return Counted(std::aligned_alloc(
      static_cast<std::size_t>(a),
      (n + static_cast<std::size_t>(a) - 1) & ~(static_cast<std::size_t>(a) - 1)));
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Release(p); }

namespace riskd::engine {
namespace {

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0 : x[x.size() / 2];
}

// FNV-1a over every node's risk (bits), eta and parent.
std::uint64_t ProjectionDigest(const Projection& p) {
  testing::Fnv1aDigest digest;
  for (std::size_t v = 0; v < p.risk.size(); ++v) {
    digest.MixBits(p.risk[v]);
    digest.Mix(static_cast<std::uint32_t>(p.eta[v]));
    digest.Mix(p.parent[v]);
  }
  return digest.value();
}

void BenchCase(Engine& engine, const char* name, const std::vector<NodeIndex>& sources, int reps) {
  std::vector<double> cpu, heap;
  std::uint64_t digest = 0;
  bool same_digest = true;
  std::uint32_t realizations = 0;
  std::uint64_t work = 0;
  std::string method;
  double before_mb = 0;
  for (int rep = 0; rep < reps; ++rep) {
    (void)engine.Disrupt(0, sources, 1.0);
    engine.Project(static_cast<std::uint64_t>(2 * rep + 1));
    engine.ReleaseScratch();
    before_mb = static_cast<double>(live_bytes.load()) / 1e6;
    peak_bytes.store(live_bytes.load());
    const double start = CpuMs();
    const Engine::Refinement done =
        engine.Refine(static_cast<std::uint64_t>(2 * rep + 1), ~std::uint64_t{0});
    cpu.push_back(CpuMs() - start);
    heap.push_back(static_cast<double>(peak_bytes.load()) / 1e6 - before_mb);
    const Projection& p = engine.risk_state(0).projection();
    const std::uint64_t d = ProjectionDigest(p);
    if (rep > 0 && d != digest) same_digest = false;
    digest = d;
    realizations = 0;
    for (const RegionSummary& r : p.regions)
      realizations = std::max(realizations, r.check_realizations);
    work = p.mc_work;
    method = std::string(ProjectionMethodName(p.method));
    if (done.pending != 0) std::fprintf(stderr, "check_bench: %zu regions left\n", done.pending);
    for (NodeIndex v : sources) {
      (void)engine.SetStatus(0, v, NodeState::kSusceptible, 1.0);
    }
    engine.Project(static_cast<std::uint64_t>(2 * rep + 2));
    engine.ReleaseScratch();
  }
  char digest_text[32];
  std::snprintf(digest_text, sizeof digest_text, "%016llx",
                static_cast<unsigned long long>(digest));
  auto emit = [&](const char* metric, double value, const char* unit) {
    std::printf(
        "{\"bench\":\"engine\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
        "\"case\":\"%s\",\"network\":\"barabasi_albert\",\"nodes\":%zu,\"edges\":%zu,"
        "\"alpha\":0.2,\"beta\":0.5,\"clock\":\"process_cpu\",\"repetitions\":%d,"
        "\"realizations\":%u,\"mc_work\":%llu,\"method\":\"%s\",\"heap_before_mb\":%.1f,"
        "\"projection_digest\":\"%s\",\"digest_stable\":%s}\n",
        metric, value, unit, name, engine.network().node_count(), engine.network().edge_count(),
        reps, realizations, static_cast<unsigned long long>(work), method.c_str(), before_mb,
        digest_text, same_digest ? "true" : "false");
    std::fflush(stdout);
  };
  emit("mc_check_ms", Median(cpu), "ms");
  emit("mc_check_heap_peak_mb", *std::max_element(heap.begin(), heap.end()), "MB");
}

}  // namespace
}  // namespace riskd::engine

int main(int argc, char** argv) {
  using namespace riskd::engine;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: check_bench [--quick]\n");
      return 2;
    }
  }
  GeneratorOptions g;
  g.seed = 20261123;  // bench/daemon/scale_network.h
  g.min_weight = 1;
  g.max_weight = 10;
  EngineOptions o;
  o.risk_types[0].alpha = 0.2;
  o.risk_types[0].beta = 0.5;
  o.projection.defer_check = true;
  auto created = Engine::Create(o, BarabasiAlbert(100000, 10, g));
  if (!created.ok()) {
    std::fprintf(stderr, "check_bench: %s\n", created.status().message().c_str());
    return 1;
  }
  Engine& engine = **created;
  const int reps = quick ? 3 : 7;
  BenchCase(engine, "hub", {*engine.network().Find("n1")}, reps);
  std::mt19937_64 rng(5);
  std::vector<NodeIndex> sources;
  while (sources.size() < 20) {
    const auto v = static_cast<NodeIndex>(rng() % engine.network().node_slots());
    if (std::find(sources.begin(), sources.end(), v) == sources.end()) sources.push_back(v);
  }
  BenchCase(engine, "20_sources", sources, reps);
  return 0;
}
