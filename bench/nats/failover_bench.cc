// Active/standby take-over time (issue 16): two riskd instances on a
// three-node NATS cluster (Debian's nats-server on loopback, a fresh temp
// dir), the active one killed with SIGKILL again and again. For each kill:
//   failover_s  from the kill to the first publication of the standby under
//               a new epoch (its take-over announcement, received on the
//               NATS subjects by an independent client).
// Printed: the median (`failover_s`) and the largest (`failover_max_s`) of
// `runs` kills, with the lease ttl; target: failover_s <= ttl + 1 s. The
// killed instance is restarted as the standby before the next kill.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/json_line.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/nats_client.h"
#include "tests/support/nats_cluster.h"

namespace {

namespace fs = std::filesystem;
using riskd::bench::JsonLine;
using namespace riskd::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Config(const NatsCluster& cluster, const std::string& instance, int ttl_ms) {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
         "edges.csv\" } }\n"
         "planner { k: 0 }\nlogging { level: \"info\" }\n" +
         RiskdNatsConfig(cluster, instance, 3, ttl_ms);
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Starts an instance and waits until it has read the stream to its end
// (a warm standby), as its log says.
bool StartWarm(DaemonHarness& h) {
  const std::size_t before = Count(h.log(), "caught up with stream");
  return h.Start() &&
         WaitFor([&] { return Count(h.log(), "caught up with stream") > before; }, seconds(30));
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) quick |= std::string(argv[i]) == "--quick";
  const int runs = quick ? 3 : 10;
  const int ttl_ms = 2000;
  if (!fs::exists(kNatsServerBinary)) {
    std::fprintf(stderr, "failover_bench: %s missing (scripts/install-deps.sh)\n",
                 kNatsServerBinary);
    return 1;
  }
  const fs::path dir = FreshTempDir("failover");
  int status = 1;
  {
    auto cluster = NatsCluster::Start(dir, 3);
    auto client = cluster ? NatsTestClient::Connect(cluster->urls()) : nullptr;
    if (!client || !client->Subscribe("riskd.out.>")) {
      std::fprintf(stderr, "failover_bench: the NATS cluster did not start\n");
      fs::remove_all(dir);
      return 1;
    }
    DaemonHarness a(Config(*cluster, "a", ttl_ms)), b(Config(*cluster, "b", ttl_ms));
    DaemonHarness* instance[2] = {&a, &b};
    const char* name[2] = {"a", "b"};
    std::vector<double> failover;
    if (StartWarm(a) && WaitFor([&] { return client->LatestEpoch("a") > 0; }, seconds(30)) &&
        StartWarm(b)) {
      int active = 0;
      for (int run = 0; run < runs; ++run) {
        const int standby = 1 - active;
        const std::uint64_t epoch = client->LatestEpoch(name[active]);
        // Kill at a random point of the renewal cycle.
        std::this_thread::sleep_for(milliseconds(300 + 137 * run % (ttl_ms / 4)));
        const auto killed_at = std::chrono::steady_clock::now();
        instance[active]->Kill();
        if (!WaitFor([&] { return client->FirstAbove(name[standby], epoch).has_value(); },
                     seconds(30), milliseconds(5))) {
          std::fprintf(stderr, "failover_bench: %s did not take over:\n%s", name[standby],
                       instance[standby]->log().c_str());
          break;
        }
        failover.push_back(
            std::chrono::duration<double>(*client->FirstAbove(name[standby], epoch) - killed_at)
                .count());
        if (!StartWarm(*instance[active])) break;
        active = standby;
      }
    }
    if (static_cast<int>(failover.size()) == runs) {
      std::vector<double> sorted = failover;
      std::sort(sorted.begin(), sorted.end());
      const double median = sorted[sorted.size() / 2];
      const double ttl_s = ttl_ms / 1000.0;
      JsonLine("failover", "failover_s", median, "s")
          .Param("statistic", "median")
          .Param("runs", runs)
          .Param("lease_ttl_s", ttl_s)
          .Param("renew_interval_s", ttl_s / 4)
          .Param("acquire_interval_s", 0.1)
          .Param("target_s", ttl_s + 1)
          .Param("nats_servers", 3)
          .Param("nats_server_version", "2.9.10")
          .Print();
      JsonLine("failover", "failover_max_s", sorted.back(), "s")
          .Param("runs", runs)
          .Param("lease_ttl_s", ttl_s)
          .Param("target_s", ttl_s + 1)
          .Print();
      status = 0;
    }
  }
  fs::remove_all(dir);
  return status;
}
