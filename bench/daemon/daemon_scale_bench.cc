// The daemon at scale (targets: bench/README.md), on the 100k-node / 1M-edge
// benchmark network (scale_network.h), riskd running as a child process:
//   peak_rss_mb            VmHWM of the daemon once it has imported the
//                          network and finished all the work one disruption
//                          of the hub starts: the first projection, its
//                          immunization plan and (defer_check) the Monte
//                          Carlo check that refines it afterwards (a line
//                          parameter gives VmHWM at the first alert too);
//   alert_latency_p50_ms,  from sending an event to receiving the first
//   alert_latency_p99_ms   alert whose projection includes it (alerts carry
//                          the journal sequence they are consistent with), at
//                          a fixed offered load of 10k events/s over TCP
//                          loopback. The load: status reports disrupting
//                          random nodes, each recovered `live` events later,
//                          so about `live` nodes are disrupted at any time.
//   peak_rss_under_load_mb VmHWM of the daemon after that load;
//   idle_subscribers_rss_mb  then 100 SUB sockets subscribed to everything
//                          connect and never read (receive high-water mark
//                          1, the smallest kernel receive buffer: the
//                          daemon's side holds what they do not take) while
//                          the same load runs again, after a control run of
//                          it without them (the load's own growth): the
//                          daemon's VmRSS after minus before, each once the
//                          engine caught up
//                          (publish.send_high_water_mark at its default).
//                          A reading subscriber counts the publications
//                          and their bytes meanwhile.
//                          Latency measured twice, each line with its
//                          parameter defer_check: publish first, refine
//                          after (true, the default; the first alert is
//                          DMP's, unchecked), and checking before
//                          publishing (false); memory from the first.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/common/json_line.h"
#include "bench/daemon/scale_network.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/server_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

// Subscribers that never read, for idle_subscribers_rss_mb.
constexpr int kIdleSubscribers = 100;

using riskd::testing::ProcStatusMb;
double VmHwmMb(pid_t pid) { return ProcStatusMb(pid, "VmHWM"); }
double VmRssMb(pid_t pid) { return ProcStatusMb(pid, "VmRSS"); }

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string StatusEvent(std::size_t i, std::size_t node, bool disrupt) {
  riskd::v1::Envelope e;
  e.set_event_id("lat-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id("n" + std::to_string(node));
  s->set_state(disrupt ? riskd::v1::NODE_STATE_DISRUPTED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) quick |= std::string(argv[i]) == "--quick";
  const std::size_t nodes = 100000, m = 10;
  const double rate = 10000;  // events/s offered
  const double seconds = quick ? 3 : 10;
  const std::size_t live = 500;

  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_scale_" + std::to_string(::getpid()));
  const auto t_gen = Clock::now();
  const auto files = riskd::bench::WriteScaleNetwork(dir.string(), nodes, m);
  const double gen_s = std::chrono::duration<double>(Clock::now() - t_gen).count();

  const std::size_t total = static_cast<std::size_t>(rate * seconds);
  // RISKD_BENCH_LOG=PREFIX: the daemons log at debug level to PREFIX.deferred.log
  // and PREFIX.checking.log (each round's timing: bench/README.md "Event to alert").
  const char* log_prefix = std::getenv("RISKD_BENCH_LOG");
  const std::string log_level = log_prefix ? "debug" : "warn";
  // One daemon on the network: its start-up, the peak RSS after the first
  // projection, and the latency under the paced load.
  struct Run {
    bool ok = false;
    double start_s = 0, rss_at_first_alert = 0, rss_after_projection = 0, peak_rss = 0, elapsed = 0;
    bool settled_after_projection = false;  // the plan and the check were seen
    std::vector<double> measured;
    int stop = -1;
    // The idle-subscribers phases (measure_idle only).
    double rss_before = 0, rss_connected = 0, rss_after = 0, control_mb = 0, peak_rss_with_idle = 0;
    std::size_t idle_acked = 0, publications = 0, publication_bytes = 0;
  };
  auto run = [&](bool defer_check, bool measure_idle) {
    Run r;
    riskd::testing::DaemonHarness daemon(
        "network { csv { nodes: \"" + files.nodes_csv + "\" edges: \"" + files.edges_csv +
            "\" } }\n"
            // Subcritical rates (alpha / beta = 0.4 < 1, docs/model.md): a single
            // disruption stays local, as in a healthy supply network.
            "risk_types { name: \"supply\" alpha: 0.2 beta: 0.5 }\n"
            "logging { level: \"" +
            log_level +
            "\" }\n"
            "projection { defer_check: " +
            std::string(defer_check ? "true" : "false") + " }\n",
        riskd::testing::DaemonHarness::Transport::kTcpLoopback);
    const auto t_start = Clock::now();
    if (!daemon.Start()) return r;
    r.start_s = std::chrono::duration<double>(Clock::now() - t_start).count();

    zmq::context_t ctx(1);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "alert.");
    sub.set(zmq::sockopt::rcvhwm, 0);
    sub.connect(daemon.publish());
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::sndhwm, 0);
    dealer.set(zmq::sockopt::rcvhwm, 0);
    dealer.connect(daemon.ingest());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    // Peak RSS of one disruption's whole work: the first projection (its
    // alerts), then the immunization plan and the check that refines it,
    // which the daemon runs after publishing and which need memory of their
    // own (bench/README.md "Where the daemon's memory goes").
    {
      zmq::socket_t after(ctx, zmq::socket_type::sub);
      after.set(zmq::sockopt::subscribe, "projection.summary.");
      after.set(zmq::sockopt::subscribe, "immunization.");
      after.set(zmq::sockopt::rcvhwm, 0);
      after.connect(daemon.publish());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      dealer.send(zmq::buffer(StatusEvent(0, 1, true)), zmq::send_flags::none);
      zmq::message_t ack;
      (void)dealer.recv(ack);
      riskd::v1::Ack accepted;
      (void)accepted.ParseFromArray(ack.data(), static_cast<int>(ack.size()));
      const std::uint64_t seq = accepted.journal_seq();
      zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::seconds(30));
      r.rss_at_first_alert = VmHwmMb(daemon.pid());
      std::vector<zmq::message_t> drain;
      while (sub.recv(drain.emplace_back(), zmq::recv_flags::dontwait)) {
      }
      bool planned = false, checked = false;
      for (auto until = Clock::now() + std::chrono::seconds(60);
           !(planned && checked) && Clock::now() < until;) {
        zmq::pollitem_t pending{after.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&pending, 1, std::chrono::milliseconds(100));
        zmq::message_t topic, payload;
        while (after.recv(topic, zmq::recv_flags::dontwait)) {
          (void)after.recv(payload);
          riskd::v1::Publication pub;
          if (!pub.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) continue;
          // Only what includes the disruption: a summary of a clock tick
          // before it is checked too (nothing to check then).
          planned |= pub.has_immunization_plan() && pub.immunization_plan().journal_seq() >= seq;
          checked |= pub.has_projection_summary() && pub.projection_summary().checked() &&
                     pub.projection_summary().journal_seq() >= seq;
        }
      }
      r.settled_after_projection = seq > 0 && planned && checked;
    }
    r.rss_after_projection = VmHwmMb(daemon.pid());

    // Paced load.
    std::mt19937_64 rng(7);
    std::vector<std::size_t> target(total);
    for (auto& t : target) t = rng() % nodes;
    std::vector<Clock::time_point> sent_at(total + 1);
    std::map<std::uint64_t, std::size_t> seq_to_event;  // journal seq -> event index
    std::vector<double> latency_ms(total + 1, -1);
    std::size_t next = 1, acked = 0, first_unmatched = 1;
    std::uint64_t max_seen_seq = 0;
    const auto t0 = Clock::now();
    const auto period = std::chrono::duration<double>(1.0 / rate);
    while (acked < total || Clock::now() - t0 < std::chrono::duration<double>(seconds + 5)) {
      const auto now = Clock::now();
      while (next <= total && now >= t0 + std::chrono::duration_cast<Clock::duration>(
                                              period * static_cast<double>(next - 1))) {
        const bool recover = next > live;
        const std::size_t node =
            recover && (next % 2 == 0) ? target[next - live] : target[next - 1];
        sent_at[next] = Clock::now();
        dealer.send(zmq::buffer(StatusEvent(next, node, !(recover && next % 2 == 0))),
                    zmq::send_flags::none);
        ++next;
      }
      zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0},
                                 {sub.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(1));
      if (items[0].revents & ZMQ_POLLIN) {
        zmq::message_t reply;
        while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
          riskd::v1::Ack ack;
          if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
              ack.result() == riskd::v1::Ack::RESULT_ACCEPTED) {
            const std::size_t idx = std::stoul(ack.event_id().substr(4));
            seq_to_event[ack.journal_seq()] = idx;
          }
          ++acked;
        }
      }
      if (items[1].revents & ZMQ_POLLIN) {
        std::vector<zmq::message_t> frames;
        while (true) {
          zmq::message_t topic, payload;
          if (!sub.recv(topic, zmq::recv_flags::dontwait)) break;
          (void)sub.recv(payload);
          riskd::v1::Publication pub;
          if (!pub.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) continue;
          const auto got = Clock::now();
          const std::uint64_t seq = pub.alert().journal_seq();
          if (seq <= max_seen_seq) continue;
          max_seen_seq = seq;
          // Every event up to `seq` is now reflected in a published alert.
          for (auto it = seq_to_event.begin(); it != seq_to_event.end() && it->first <= seq;) {
            if (latency_ms[it->second] < 0) {
              latency_ms[it->second] =
                  std::chrono::duration<double, std::milli>(got - sent_at[it->second]).count();
            }
            it = seq_to_event.erase(it);
          }
        }
      }
      if (next > total && acked >= total && seq_to_event.empty()) break;
    }
    (void)first_unmatched;
    r.elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    for (std::size_t i = 1; i <= total; ++i) {
      if (latency_ms[i] >= 0) r.measured.push_back(latency_ms[i]);
    }
    r.peak_rss = VmHwmMb(daemon.pid());
    if (measure_idle) {
      // Idle subscribers: the same load twice more, first without them (the
      // control: what the load itself adds), then with 100 subscribers that
      // never read; one subscriber reads, to count what is published.
      struct Phase {
        double rss_before = 0, rss_connected = 0, rss_after = 0;
        std::size_t acked = 0, publications = 0, publication_bytes = 0;
      };
      std::size_t event_index = total + 1;
      // Waits until the engine has applied every event sent (a query is
      // answered after the events before it) and published what they changed.
      int settles = 0;
      auto settle = [&] {
        riskd::v1::Envelope q;
        q.set_event_id("settle-" + std::to_string(++settles));
        q.mutable_query()->mutable_status();
        dealer.send(zmq::buffer(q.SerializeAsString()), zmq::send_flags::none);
        for (auto until = Clock::now() + std::chrono::seconds(120); Clock::now() < until;) {
          zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
          zmq::poll(&item, 1, std::chrono::milliseconds(100));
          zmq::message_t reply;
          bool done = false;
          while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
            riskd::v1::Ack ack;
            done |= ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
                    ack.event_id() == q.event_id();
          }
          if (done) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      };
      auto run_phase = [&](int idle_count) {
        Phase p;
        settle();
        p.rss_before = VmRssMb(daemon.pid());
        std::vector<zmq::socket_t> idle;
        for (int i = 0; i < idle_count; ++i) {
          auto& s = idle.emplace_back(ctx, zmq::socket_type::sub);
          s.set(zmq::sockopt::rcvhwm, 1);
          s.set(zmq::sockopt::rcvbuf, 1);  // the kernel's minimum
          s.set(zmq::sockopt::subscribe, "");
          s.connect(daemon.publish());
        }
        zmq::socket_t reader(ctx, zmq::socket_type::sub);
        reader.set(zmq::sockopt::rcvhwm, 0);
        reader.set(zmq::sockopt::subscribe, "");
        reader.connect(daemon.publish());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        p.rss_connected = VmRssMb(daemon.pid());
        auto read = [&] {
          zmq::message_t msg;
          bool any = false;
          while (reader.recv(msg, zmq::recv_flags::dontwait)) {
            any = true;
            if (!msg.more()) ++p.publications;
            p.publication_bytes += msg.size();
          }
          return any;
        };
        const auto start = Clock::now();
        std::size_t sent = 0;
        while (p.acked < total &&
               Clock::now() - start < std::chrono::duration<double>(seconds + 10)) {
          const auto now = Clock::now();
          while (sent < total && now >= start + std::chrono::duration_cast<Clock::duration>(
                                                    period * static_cast<double>(sent))) {
            dealer.send(zmq::buffer(StatusEvent(event_index++, target[sent], sent % 2 == 0)),
                        zmq::send_flags::none);
            ++sent;
          }
          zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0},
                                     {reader.handle(), 0, ZMQ_POLLIN, 0}};
          zmq::poll(items, 2, std::chrono::milliseconds(1));
          zmq::message_t msg;
          while (dealer.recv(msg, zmq::recv_flags::dontwait)) ++p.acked;
          (void)read();
        }
        // What the engine publishes after the last event; then the daemon's
        // queues as they stay.
        settle();
        while (read()) {
        }
        p.rss_after = VmRssMb(daemon.pid());
        return p;
      };
      // RISKD_BENCH_SMAPS=PREFIX: the daemon's /proc/<pid>/smaps before and
      // after each phase, to see which mappings grew.
      auto save_smaps = [&](const std::string& when) {
        const char* prefix = std::getenv("RISKD_BENCH_SMAPS");
        if (!prefix) return;
        std::ifstream in("/proc/" + std::to_string(daemon.pid()) + "/smaps");
        std::ofstream(std::string(prefix) + "." + when) << in.rdbuf();
      };
      save_smaps("before");
      const Phase control = run_phase(0);
      save_smaps("control");
      const Phase with_idle = run_phase(kIdleSubscribers);
      save_smaps("idle");
      r.peak_rss_with_idle = VmHwmMb(daemon.pid());
      r.control_mb = control.rss_after - control.rss_before;
      r.rss_before = with_idle.rss_before;
      r.rss_connected = with_idle.rss_connected;
      r.rss_after = with_idle.rss_after;
      r.idle_acked = with_idle.acked;
      r.publications = with_idle.publications;
      r.publication_bytes = with_idle.publication_bytes;
    }
    r.stop = daemon.Stop();
    if (log_prefix) {
      std::ofstream(std::string(log_prefix) + (defer_check ? ".deferred" : ".checking") + ".log")
          << daemon.log();
    }
    r.ok = true;
    return r;
  };
  // RISKD_BENCH_LOAD_ONLY=1: only the deferred daemon's first projection and
  // paced load (peak_rss_mb, peak_rss_under_load_mb and its latency lines),
  // e.g. to profile that daemon (RISKD_DAEMON_WRAPPER) without the
  // idle-subscriber phases and the second daemon.
  const bool load_only = std::getenv("RISKD_BENCH_LOAD_ONLY") != nullptr;
  // Publish first, refine after (the default), then checking first.
  const Run deferred = run(true, !load_only);
  const Run checking = load_only ? Run{} : run(false, false);
  std::filesystem::remove_all(dir);
  if (!deferred.ok || (!load_only && !checking.ok)) return 1;

  auto params = [&](JsonLine l) {
    l.Param("nodes", static_cast<long long>(files.nodes))
        .Param("edges", static_cast<long long>(files.edges))
        .Param("generator", "barabasi_albert_m10_seed20261123")
        .Param("alpha", 0.2)
        .Param("beta", 0.5);
    return l;
  };
  params(JsonLine("daemon_scale", "peak_rss_mb", deferred.rss_after_projection, "MB"))
      .Param("when", "after import, the first projection, its plan and its check")
      .Param("settled", deferred.settled_after_projection)
      .Param("at_first_alert_mb", deferred.rss_at_first_alert)
      .Print();
  if (!deferred.settled_after_projection) {
    std::cerr << "peak_rss_mb: no immunization plan and checked summary within 60 s of the "
                 "first alert; the figure may miss their memory\n";
  }
  params(JsonLine("daemon_scale", "peak_rss_under_load_mb", deferred.peak_rss, "MB")).Print();
  params(JsonLine("daemon_scale", "startup_import_s", deferred.start_s, "s")).Print();
  params(JsonLine("daemon_scale", "network_generation_s", gen_s, "s")).Print();
  for (const Run* r : {&deferred, &checking}) {
    if (load_only && r == &checking) continue;
    for (const auto& [metric, q] : {std::pair<std::string, double>{"alert_latency_p50_ms", 0.5},
                                    {"alert_latency_p99_ms", 0.99}}) {
      params(JsonLine("daemon_scale", metric, Percentile(r->measured, q), "ms"))
          .Param("defer_check", r == &deferred ? "true" : "false")
          .Param("offered_events_per_s", rate)
          .Param("events", static_cast<long long>(total))
          .Param("events_with_alert", static_cast<long long>(r->measured.size()))
          .Param("live_disruptions", static_cast<long long>(live))
          .Param("elapsed_s", r->elapsed)
          .Print();
    }
  }
  if (load_only) return 0;
  // What the subscribers add: the second run's growth. The control run
  // before it is the load's own growth (the allocator's pools after a run
  // of this load), not subtracted: a second run of the same load reuses
  // them (growth near 0 without subscribers).
  const double idle_mb = deferred.rss_after - deferred.rss_before;
  params(JsonLine("daemon_scale", "idle_subscribers_rss_mb", idle_mb, "MB"))
      .Param("idle_subscribers", static_cast<long long>(kIdleSubscribers))
      .Param("send_high_water_mark", "default")
      .Param("rss_before_mb", deferred.rss_before)
      .Param("rss_connected_mb", deferred.rss_connected)
      .Param("rss_after_mb", deferred.rss_after)
      .Param("control_rss_added_mb", deferred.control_mb)
      .Param("peak_rss_mb", deferred.peak_rss_with_idle)
      .Param("offered_events_per_s", rate)
      .Param("events", static_cast<long long>(total))
      .Param("events_acked", static_cast<long long>(deferred.idle_acked))
      .Param("publications", static_cast<long long>(deferred.publications))
      .Param("publication_bytes", static_cast<long long>(deferred.publication_bytes))
      .Print();
  params(JsonLine("daemon_scale", "daemon_clean_stop",
                  deferred.stop == 0 && checking.stop == 0 ? 1 : 0, "bool"))
      .Print();
  return 0;
}
