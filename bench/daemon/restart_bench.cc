// Restarts at scale (issue 12, DESIGN section 8: restart <= 5 s whatever the
// journal's length), on the 100k-node / 1M-edge benchmark network
// (scale_network.h), riskd running as a child process:
//   restart_s          from exec to the first answered query, after a crash
//                      at the worst moment: `events` journaled events (13%
//                      network changes: edges added, re-weighted, removed;
//                      the rest status reports), the newest checkpoint
//                      checkpoint.interval_events events before the end, so
//                      the start loads it and replays that many;
//   restart_clean_s    the same after a clean stop (a checkpoint of
//                      everything: nothing to replay);
//   full_replay_s      the start that replays the whole journal (no usable
//                      checkpoint: the first start after the events were
//                      journaled); the cost checkpoints avoid.
// The journal is written directly (connectors/store/journal.h, as the
// daemon's ingest writes it) while the daemon is stopped, so building it
// costs seconds, not the live ingest's minutes.
//
//   restart_bench [--quick] [--events N] [--interval N]
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "bench/daemon/scale_network.h"
#include "connectors/codec/output_codec.h"
#include "connectors/store/journal.h"
#include "riskd/v1/envelope.pb.h"
#include "tests/support/daemon_harness.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Event i of the stream: every 100 events, 13 network changes (an edge
// added, re-weighted a little later, removed later still), else a status
// report disrupting or clearing a random node.
class EventStream {
 public:
  EventStream(std::size_t nodes, std::uint64_t seed) : nodes_(nodes), rng_(seed) {}
  riskd::connectors::JournalEntry Next(std::size_t i, std::int64_t now_ns) {
    riskd::v1::Envelope e;
    e.set_event_id("rb-" + std::to_string(i));
    const std::size_t slot = i % 100;
    if (slot < 13) {
      auto* c = e.mutable_network_change();
      if (slot % 3 == 0 || pending_.empty()) {
        const std::size_t a = rng_() % nodes_, b = rng_() % nodes_;
        auto* edge = c->mutable_add_edge();
        Fill(edge, a, b == a ? (b + 1) % nodes_ : b, 1 + rng_() % 9);
        pending_.push_back({a, b == a ? (b + 1) % nodes_ : b, 0});
      } else if (slot % 3 == 1) {
        auto& p = pending_[rng_() % pending_.size()];
        Fill(c->mutable_set_edge_weight(), p.from, p.to, 1 + rng_() % 9);
        ++p.reweighted;
      } else {
        const std::size_t k = rng_() % pending_.size();
        Fill(c->mutable_remove_edge(), pending_[k].from, pending_[k].to, 1);
        pending_[k] = pending_.back();
        pending_.pop_back();
      }
    } else {
      riskd::connectors::SetTimestamp(now_ns, e.mutable_occurred_at());
      auto* s = e.mutable_supplier_status();
      s->set_node_id("n" + std::to_string(rng_() % nodes_));
      s->set_state(rng_() % 4 ? riskd::v1::NODE_STATE_SUSCEPTIBLE
                              : riskd::v1::NODE_STATE_DISRUPTED);
    }
    return {e.event_id(), now_ns, e.SerializeAsString()};
  }

 private:
  struct Added {
    std::size_t from, to;
    int reweighted;
  };
  static void Fill(riskd::v1::EdgeSpec* edge, std::size_t from, std::size_t to, double weight) {
    edge->set_from("n" + std::to_string(from));
    edge->set_to("n" + std::to_string(to));
    edge->set_weight(weight);
    edge->set_layer(riskd::v1::LAYER_MATERIAL);
  }
  std::size_t nodes_;
  std::mt19937_64 rng_;
  std::vector<Added> pending_;
};

// Appends events [from, to) of the stream to the journal in batches.
bool Journal(const std::string& database, EventStream* stream, std::size_t from, std::size_t to) {
  auto journal = riskd::connectors::Journal::Open(database);
  if (!journal.ok()) {
    std::cerr << journal.status().ToString() << "\n";
    return false;
  }
  std::vector<riskd::connectors::JournalEntry> batch;
  for (std::size_t i = from; i < to; ++i) {
    batch.push_back(stream->Next(i, NowNs()));
    if (batch.size() == 1024 || i + 1 == to) {
      if (!(*journal)->Append(batch).ok()) return false;
      batch.clear();
    }
  }
  return true;
}

double TimedStart(riskd::testing::DaemonHarness& daemon) {
  const auto t0 = Clock::now();
  if (!daemon.Start()) return -1;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::size_t events = 0, interval = 100000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    if (a == "--events" && i + 1 < argc) events = std::stoul(argv[++i]);
    if (a == "--interval" && i + 1 < argc) interval = std::stoul(argv[++i]);
  }
  // --quick: a journal the current full replay gets through in about a
  // minute on the 2-core machine (network changes dominate it).
  if (events == 0) events = quick ? 20000 : 1000000;
  if (quick && interval == 100000) interval = 5000;
  interval = std::min(interval, events);
  const std::size_t nodes = 100000, m = 10;

  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_restart_" + std::to_string(::getpid()));
  const auto files = riskd::bench::WriteScaleNetwork(dir.string(), nodes, m);
  riskd::testing::DaemonHarness daemon("network { csv { nodes: \"" + files.nodes_csv +
                                           "\" edges: \"" + files.edges_csv +
                                           "\" } }\n"
                                           "risk_types { name: \"supply\" alpha: 0.2 beta: 0.5 }\n"
                                           "checkpoint { interval_events: " +
                                           std::to_string(interval) +
                                           " }\n"
                                           "logging { level: \"info\" }\n",
                                       // ipc: the same endpoints at every restart.
                                       riskd::testing::DaemonHarness::Transport::kIpc);
  daemon.set_start_timeout(std::chrono::seconds(3600));
  // First start: imports the network.
  if (!daemon.Start() || daemon.Stop() != 0) return 1;

  // All but the last `interval` events, then a start that replays them in
  // full and checkpoints (the replay was at least an interval long).
  EventStream stream(nodes, 42);
  if (!Journal(daemon.database(), &stream, 0, events - interval)) return 1;
  const double full_s = TimedStart(daemon);
  if (full_s < 0 || daemon.Stop() != 0) return 1;
  // The last `interval` events journaled after that checkpoint, then a
  // crash: the restart loads the checkpoint and replays them.
  if (!Journal(daemon.database(), &stream, events - interval, events)) return 1;
  const double restart_s = TimedStart(daemon);
  if (restart_s < 0) return 1;
  const bool used_checkpoint =
      daemon.log().find("restored the checkpoint at journal seq " +
                        std::to_string(events - interval)) != std::string::npos;
  daemon.Kill();
  // And once more after a clean stop (the stop checkpoints everything).
  if (TimedStart(daemon) < 0 || daemon.Stop() != 0) return 1;
  const double clean_s = TimedStart(daemon);
  const int stop = daemon.Stop();
  std::filesystem::remove_all(dir);

  auto params = [&](JsonLine l) {
    l.Param("nodes", static_cast<long long>(files.nodes))
        .Param("edges", static_cast<long long>(files.edges))
        .Param("events", static_cast<long long>(events))
        .Param("network_changes", static_cast<long long>(events / 100 * 13))
        .Param("checkpoint_interval_events", static_cast<long long>(interval));
    return l;
  };
  params(JsonLine("restart", "restart_s", restart_s, "s"))
      .Param("replayed", static_cast<long long>(interval))
      .Param("used_checkpoint", used_checkpoint ? 1 : 0)
      .Print();
  params(JsonLine("restart", "restart_clean_s", clean_s, "s")).Param("replayed", 0).Print();
  params(JsonLine("restart", "full_replay_s", full_s, "s"))
      .Param("replayed", static_cast<long long>(events - interval))
      .Print();
  params(JsonLine("restart", "daemon_clean_stop", stop == 0 ? 1 : 0, "bool")).Print();
  return used_checkpoint ? 0 : 1;
}
