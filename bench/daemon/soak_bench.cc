// Soak (issue 14, point 8; not in the test suite, not in a plain
// bench/run_all): the real daemon as a child process for a long run at a
// steady offered load, with network changes mixed in and many subscribers:
//   soak_acked_lost     events acknowledged ACCEPTED that are not in the
//                       journal after a clean stop (must be 0);
//   soak_rss_growth_mb  the daemon's VmRSS at the end minus after warm-up
//                       (the first 10% of the run);
//   soak_ack_p99_ms     send to Ack, 99th percentile;
//   soak_alert_p99_ms   send to receipt (by the first subscriber) of the
//                       first alert consistent with the event's journal
//                       sequence, 99th percentile.
// The load: status reports disrupting random nodes of the scale network
// (scale_network.h; 10,000 nodes, m = 5 by default), each recovered `live`
// events later, and `--changes` of the events network changes (a new node,
// then an edge from a random node to it). `--subscribers` SUB sockets read
// everything the daemon publishes.
//
//   soak_bench [--seconds 600] [--rate 20000] [--changes 0.03]
//              [--subscribers 10] [--nodes 10000] [--quick]
// --quick: 20 s at 2,000 events/s (a check that it runs).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <zmq.hpp>

#include "bench/common/json_line.h"
#include "bench/daemon/scale_network.h"
#include "connectors/store/journal.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/server_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

double VmRssMb(pid_t pid) { return riskd::testing::ProcStatusMb(pid, "VmRSS"); }

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  double seconds = 600, rate = 20000, changes = 0.03;
  std::size_t subscribers = 10, nodes = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string("0"); };
    if (a == "--quick") {
      seconds = 20;
      rate = 2000;
    } else if (a == "--seconds") {
      seconds = std::stod(next());
    } else if (a == "--rate") {
      rate = std::stod(next());
    } else if (a == "--changes") {
      changes = std::stod(next());
    } else if (a == "--subscribers") {
      subscribers = std::stoul(next());
    } else if (a == "--nodes") {
      nodes = std::stoul(next());
    } else {
      std::fprintf(stderr,
                   "usage: soak_bench [--seconds S] [--rate R] [--changes F] [--subscribers N] "
                   "[--nodes N] [--quick]\n");
      return 2;
    }
  }
  const std::size_t m = 5, live = 500;
  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_soak_" + std::to_string(::getpid()));
  const auto files = riskd::bench::WriteScaleNetwork(dir.string(), nodes, m);

  riskd::testing::DaemonHarness daemon(
      "network { csv { nodes: \"" + files.nodes_csv + "\" edges: \"" + files.edges_csv +
          "\" } }\n"
          "risk_types { name: \"supply\" alpha: 0.2 beta: 0.5 }\n"
          "ingest { peer_rate: 0 }\n"  // one producer at the whole rate
          "logging { level: \"warn\" }\n",
      riskd::testing::DaemonHarness::Transport::kTcpLoopback);
  if (!daemon.Start()) return 1;

  zmq::context_t ctx(2);
  std::vector<zmq::socket_t> subs;
  for (std::size_t s = 0; s < subscribers; ++s) {
    subs.emplace_back(ctx, zmq::socket_type::sub);
    subs.back().set(zmq::sockopt::subscribe, "");
    subs.back().set(zmq::sockopt::rcvhwm, 0);
    subs.back().connect(daemon.publish());
  }
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::sndhwm, 0);
  // Events the daemon did not take before the deadline are dropped at exit
  // (not waited for: the daemon has stopped).
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::rcvhwm, 0);
  dealer.connect(daemon.ingest());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const auto total = static_cast<std::size_t>(rate * seconds);
  std::mt19937_64 rng(20261130);
  std::vector<std::size_t> target(total + 1);
  for (auto& t : target) t = rng() % nodes;
  std::vector<Clock::time_point> sent_at(total + 1);
  std::vector<double> ack_ms, alert_ms;
  ack_ms.reserve(total);
  std::vector<std::pair<std::uint64_t, std::size_t>>
      awaiting_alert;  // (journal seq, event), in seq order
  std::size_t awaiting_from = 0;
  std::unordered_set<std::string> acked;
  acked.reserve(total);
  std::size_t next = 1, answered = 0, rejected = 0, new_nodes = 0, publications = 0;
  std::uint64_t max_alert_seq = 0;
  double rss_warm = -1;
  const auto t0 = Clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  const auto deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds + 60));
  std::string payload;
  while ((next <= total || answered < total) && Clock::now() < deadline) {
    const auto now = Clock::now();
    while (next <= total && now >= t0 + std::chrono::duration_cast<Clock::duration>(
                                            period * static_cast<double>(next - 1))) {
      riskd::v1::Envelope e;
      e.set_event_id("soak-" + std::to_string(next));
      // Network changes: every 1/changes-th event, alternately a new node and
      // an edge from a random node to the newest one.
      const bool change =
          changes > 0 && static_cast<std::size_t>(static_cast<double>(next) * changes) !=
                             static_cast<std::size_t>(static_cast<double>(next - 1) * changes);
      if (change && (new_nodes == 0 || next % 2 == 0)) {
        e.mutable_network_change()->mutable_add_node()->set_id("soak-node-" +
                                                               std::to_string(++new_nodes));
      } else if (change) {
        auto* edge = e.mutable_network_change()->mutable_add_edge();
        edge->set_from("n" + std::to_string(target[next]));
        edge->set_to("soak-node-" + std::to_string(new_nodes));
        edge->set_weight(1 + static_cast<double>(next % 9));
      } else {
        const bool recover = next > live && next % 2 == 0;
        auto* s = e.mutable_supplier_status();
        s->set_node_id("n" + std::to_string(recover ? target[next - live] : target[next]));
        s->set_state(recover ? riskd::v1::NODE_STATE_SUSCEPTIBLE : riskd::v1::NODE_STATE_DISRUPTED);
      }
      e.SerializeToString(&payload);
      sent_at[next] = Clock::now();
      dealer.send(zmq::buffer(payload), zmq::send_flags::none);
      ++next;
    }
    if (rss_warm < 0 && now - t0 > std::chrono::duration<double>(seconds * 0.1))
      rss_warm = VmRssMb(daemon.pid());

    std::vector<zmq::pollitem_t> items{{dealer.handle(), 0, ZMQ_POLLIN, 0}};
    for (auto& s : subs) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(1));
    if (items[0].revents & ZMQ_POLLIN) {
      zmq::message_t reply;
      while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
        const auto got = Clock::now();
        riskd::v1::Ack ack;
        ++answered;
        if (!ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()))) continue;
        const std::size_t idx = std::stoul(ack.event_id().substr(5));
        if (idx == 0 || idx > total) continue;
        ack_ms.push_back(Ms(got - sent_at[idx]));
        if (ack.result() == riskd::v1::Ack::RESULT_ACCEPTED) {
          acked.insert(ack.event_id());
          awaiting_alert.emplace_back(ack.journal_seq(), idx);
        } else {
          ++rejected;
        }
      }
    }
    for (std::size_t s = 0; s < subs.size(); ++s) {
      if (!(items[s + 1].revents & ZMQ_POLLIN)) continue;
      while (true) {
        zmq::message_t topic, body;
        if (!subs[s].recv(topic, zmq::recv_flags::dontwait)) break;
        (void)subs[s].recv(body);
        ++publications;
        if (s != 0) continue;
        riskd::v1::Publication pub;
        if (!pub.ParseFromArray(body.data(), static_cast<int>(body.size())) || !pub.has_alert())
          continue;
        const auto got = Clock::now();
        max_alert_seq = std::max<std::uint64_t>(max_alert_seq, pub.alert().journal_seq());
        // Acks arrive in journal order on one connection: every awaiting
        // event up to max_alert_seq is now reflected in an alert.
        std::sort(awaiting_alert.begin() + static_cast<std::ptrdiff_t>(awaiting_from),
                  awaiting_alert.end());
        while (awaiting_from < awaiting_alert.size() &&
               awaiting_alert[awaiting_from].first <= max_alert_seq) {
          alert_ms.push_back(Ms(got - sent_at[awaiting_alert[awaiting_from].second]));
          ++awaiting_from;
        }
        if (awaiting_from > 100000) {
          awaiting_alert.erase(awaiting_alert.begin(),
                               awaiting_alert.begin() + static_cast<std::ptrdiff_t>(awaiting_from));
          awaiting_from = 0;
        }
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double rss_end = VmRssMb(daemon.pid());
  const int stop = daemon.Stop();

  // After a clean stop: every acknowledged event must be in the journal.
  std::size_t lost = acked.size();
  if (auto journal = riskd::connectors::Journal::OpenReadOnly(daemon.database()); journal.ok()) {
    (void)(*journal)->ForEach(0, [&](std::uint64_t, const riskd::connectors::JournalEntry& e) {
      if (acked.erase(e.event_id)) --lost;
      return riskd::Status::Ok();
    });
  } else {
    std::fprintf(stderr, "soak_bench: %s\n", journal.status().ToString().c_str());
  }
  std::filesystem::remove_all(dir);

  auto params = [&](JsonLine l) {
    l.Param("seconds", seconds)
        .Param("offered_events_per_s", rate)
        .Param("network_change_fraction", changes)
        .Param("subscribers", static_cast<long long>(subscribers))
        .Param("nodes", static_cast<long long>(files.nodes))
        .Param("edges", static_cast<long long>(files.edges))
        .Param("events_sent", static_cast<long long>(next - 1))
        .Param("events_answered", static_cast<long long>(answered))
        .Param("events_rejected", static_cast<long long>(rejected))
        .Param("elapsed_s", elapsed);
    return l;
  };
  params(JsonLine("soak", "soak_acked_lost", static_cast<double>(lost), "events")).Print();
  params(JsonLine("soak", "soak_rss_growth_mb", rss_end - rss_warm, "MB"))
      .Param("rss_after_warmup_mb", rss_warm)
      .Param("rss_end_mb", rss_end)
      .Print();
  params(JsonLine("soak", "soak_ack_p99_ms", Percentile(ack_ms, 0.99), "ms")).Print();
  params(JsonLine("soak", "soak_alert_p99_ms", Percentile(alert_ms, 0.99), "ms"))
      .Param("events_with_alert", static_cast<long long>(alert_ms.size()))
      .Param("publications_read", static_cast<long long>(publications))
      .Print();
  params(JsonLine("soak", "soak_clean_stop", stop == 0 ? 1 : 0, "bool")).Print();
  return lost == 0 && stop == 0 ? 0 : 1;
}
