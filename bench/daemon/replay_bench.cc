// A full replay of the journal (bench/README.md, "`replayfix`"): riskd as a
// child process on the 19-node demo network (config/demo), without
// checkpoints (checkpoint.interval_events 0: every start replays the whole
// journal), after `events` status reports alternating DISRUPTED and
// SUSCEPTIBLE over the network's nodes, each disruption opening an
// incident its recovery restores:
//   full_replay_s   from exec to the first answered query (the replay,
//                   then the first projection and publication round).
// The journal is written directly (connectors/store/journal.h, as the
// daemon's ingest writes it) while the daemon is stopped.
//
//   replay_bench [--quick] [--events N]...   (default 30000 60000 120000;
//                                              --quick: 30000)
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "connectors/codec/output_codec.h"
#include "connectors/store/journal.h"
#include "riskd/v1/envelope.pb.h"
#include "tests/support/daemon_harness.h"

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The demo network's node ids (first column of nodes.csv).
std::vector<std::string> NodeIds(const std::string& nodes_csv) {
  std::ifstream in(nodes_csv);
  std::vector<std::string> ids;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty()) ids.push_back(line.substr(0, line.find(',')));
  }
  return ids;
}

// Events 2k and 2k + 1: node k mod n disrupted, then back.
bool Journal(const std::string& database, const std::vector<std::string>& nodes,
             std::size_t events) {
  auto journal = riskd::connectors::Journal::Open(database);
  if (!journal.ok()) {
    std::cerr << journal.status().ToString() << "\n";
    return false;
  }
  std::vector<riskd::connectors::JournalEntry> batch;
  for (std::size_t i = 0; i < events; ++i) {
    riskd::v1::Envelope e;
    e.set_event_id("rp-" + std::to_string(i));
    const std::int64_t now = NowNs();
    riskd::connectors::SetTimestamp(now, e.mutable_occurred_at());
    auto* s = e.mutable_supplier_status();
    s->set_node_id(nodes[(i / 2) % nodes.size()]);
    s->set_state(i % 2 == 0 ? riskd::v1::NODE_STATE_DISRUPTED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
    batch.push_back({e.event_id(), now, e.SerializeAsString()});
    if (batch.size() == 1024 || i + 1 == events) {
      if (!(*journal)->Append(batch).ok()) return false;
      batch.clear();
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    if (a == "--events" && i + 1 < argc) sizes.push_back(std::stoul(argv[++i]));
  }
  if (sizes.empty())
    sizes =
        quick ? std::vector<std::size_t>{30000} : std::vector<std::size_t>{30000, 60000, 120000};
  const std::string demo = riskd::testing::SourceDir() + "/config/demo";
  const auto nodes = NodeIds(demo + "/nodes.csv");
  if (nodes.empty()) return 1;
  for (const std::size_t events : sizes) {
    riskd::testing::DaemonHarness daemon("network { csv { nodes: \"" + demo +
                                         "/nodes.csv\" edges: \"" + demo +
                                         "/edges.csv\" } }\n"
                                         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 }\n"
                                         "checkpoint { interval_events: 0 }\n"
                                         "logging { level: \"info\" }\n");
    daemon.set_start_timeout(std::chrono::seconds(3600));
    if (!daemon.Start() || daemon.Stop() != 0) return 1;  // imports the network
    if (!Journal(daemon.database(), nodes, events)) return 1;
    const auto t0 = Clock::now();
    if (!daemon.Start()) return 1;
    const double replay_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const int stop = daemon.Stop();
    riskd::bench::JsonLine("replay", "full_replay_s", replay_s, "s")
        .Param("nodes", static_cast<long long>(nodes.size()))
        .Param("events", static_cast<long long>(events))
        .Param("clean_stop", stop == 0 ? 1 : 0)
        .Print();
  }
  return 0;
}
