// Ingest throughput, measured against its raw limits in the same run:
//   ingest_events_per_s   events acknowledged per second by the real riskd
//                         (a child process) from this client process over
//                         ZeroMQ TCP loopback: parse, validate, durable
//                         journal (WAL, synchronous=FULL, group commit), ack,
//                         and the engine applying them;
//   zmq_raw_msgs_per_s    the same client against a bare ROUTER echo
//                         process: what ZeroMQ alone allows;
//   ingest_vs_raw_ratio   the two, median over rounds;
//   sqlite_raw_rows_per_s rows of the same size inserted in transactions of
//                         the same batch size into the same kind of table.
// Fair by construction: one client function drives both peers with the
// same window (`window` requests outstanding), the same messages (same
// sizes: fixed-width event ids), the same reply handling (every reply
// parsed as an Ack), after the same warm-up; the echo's ROUTER has the
// daemon's high-water marks; the rounds alternate daemon and echo, so load
// from elsewhere on the machine hits both alike. CPU time per message of
// each peer (all its threads, from /proc/PID/task/*/schedstat) is printed
// too: on a shared machine it is steadier than throughput.
//
//   ingest_bench [--quick] [--events N] [--rounds R] [--max-batch B]
// (--max-batch: the daemon's ingest.max_batch, default 1,024, also the
// raw SQLite measurement's transaction size.)
// With RISKD_DAEMON_WRAPPER (tests/support/daemon_harness.h) the daemon
// runs under a profiler (bench/README.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bench/common/json_line.h"
#include "connectors/store/journal.h"
#include "riskd/v1/envelope.pb.h"
#include "tests/support/daemon_harness.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

const std::vector<std::string> kDemoNodes = {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO", "CEL-OCH",
                                             "ECU-NGO", "CHP-SND", "PLS-BKK", "HRN-CEB", "BRG-SWF"};

// The daemon's ROUTER high-water marks (daemon/ingest_loop.cc).
constexpr int kRouterHwm = 100000;

// Fixed-width ids: every round's messages have the same sizes.
std::string MakeEvent(int round, std::size_t i) {
  char id[64];
  std::snprintf(id, sizeof id, "bench-%02d-%08zu", round, i);
  riskd::v1::Envelope e;
  e.set_event_id(id);
  auto* s = e.mutable_supplier_status();
  s->set_node_id(kDemoNodes[i % kDemoNodes.size()]);
  s->set_state(i % 2 ? riskd::v1::NODE_STATE_SUSCEPTIBLE : riskd::v1::NODE_STATE_DISRUPTED);
  s->set_severity(0.5);
  return e.SerializeAsString();
}

std::vector<std::string> MakeEvents(int round, std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(MakeEvent(round, i));
  return out;
}

struct RunResult {
  double seconds = 0;
  std::size_t acked = 0;
  std::size_t accepted = 0;
  std::size_t reply_bytes = 0;
  std::string first_refusal;  // the first reply that was not ACCEPTED, and why
};

// Sends `messages` keeping `window` outstanding; parses every reply as an
// Ack (the echo's replies too: the client's work is the same for both).
RunResult Drive(zmq::context_t& ctx, const std::string& endpoint,
                const std::vector<std::string>& messages, std::size_t window) {
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndhwm, 0);
  dealer.set(zmq::sockopt::rcvhwm, 0);
  dealer.connect(endpoint);
  RunResult r;
  std::size_t sent = 0;
  const auto t0 = Clock::now();
  while (r.acked < messages.size()) {
    while (sent < messages.size() && sent - r.acked < window) {
      dealer.send(zmq::buffer(messages[sent]), zmq::send_flags::none);
      ++sent;
    }
    zmq::message_t reply;
    if (!dealer.recv(reply, zmq::recv_flags::none)) continue;
    ++r.acked;
    r.reply_bytes += reply.size();
    riskd::v1::Ack ack;
    if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
        ack.result() == riskd::v1::Ack::RESULT_ACCEPTED) {
      ++r.accepted;
    } else if (r.first_refusal.empty()) {
      r.first_refusal =
          ack.event_id() + ": " + riskd::v1::Ack::Result_Name(ack.result()) + " " + ack.reason();
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

// A bare ROUTER that echoes every message, in a child process; the endpoint
// it bound (a port the kernel picked) comes back through a pipe.
pid_t StartEchoServer(std::string* endpoint) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    zmq::context_t ctx(1);
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::sndhwm, kRouterHwm);
    router.set(zmq::sockopt::rcvhwm, kRouterHwm);
    router.bind("tcp://127.0.0.1:*");
    const std::string bound = router.get(zmq::sockopt::last_endpoint) + "\n";
    if (::write(fds[1], bound.data(), bound.size()) != static_cast<ssize_t>(bound.size()))
      std::_Exit(1);
    ::close(fds[1]);
    while (true) {
      zmq::message_t id, body;
      if (!router.recv(id, zmq::recv_flags::none)) continue;
      (void)router.recv(body, zmq::recv_flags::none);
      router.send(id, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(fds[0]);
  *endpoint = line;
  return pid;
}

// CPU time of every thread of `pid` so far, by thread name, in ns.
std::map<std::string, double> ThreadCpuNs(pid_t pid) {
  std::map<std::string, double> out;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream comm(task.path() / "comm"), sched(task.path() / "schedstat");
    std::string name;
    double ns = 0;
    std::getline(comm, name);
    sched >> ns;
    // The main thread is the ingest (socket) thread.
    if (task.path().filename() == std::to_string(pid)) name = "main";
    out[name] += ns;
  }
  return out;
}

double Total(const std::map<std::string, double>& m) {
  double t = 0;
  for (const auto& [name, ns] : m) t += ns;
  return t;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double SqliteRawRowsPerSecond(const std::string& path, std::size_t rows, std::size_t batch,
                              std::size_t payload_bytes) {
  auto db = riskd::connectors::SqliteDb::Open(path);
  if (!db.ok()) return 0;
  (void)(*db)->Exec(
      "CREATE TABLE raw (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,"
      " received_ns INTEGER NOT NULL, payload BLOB NOT NULL)");
  auto ins =
      (*db)->Prepare("INSERT INTO raw(seq, event_id, received_ns, payload) VALUES(?1,?2,?3,?4)");
  const std::string payload(payload_bytes, 'x');
  const auto t0 = Clock::now();
  for (std::size_t done = 0; done < rows;) {
    riskd::connectors::SqliteTransaction tx(db->get());
    for (std::size_t k = 0; k < batch && done < rows; ++k, ++done) {
      ins->BindInt(1, static_cast<std::int64_t>(done + 1));
      ins->BindText(2, "bench-" + std::to_string(done));
      ins->BindInt(3, 0);
      ins->BindBlob(4, payload);
      (void)ins->Run();
    }
    (void)tx.Commit();
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::size_t events = 0;
  int rounds = 0;
  std::size_t max_batch = 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    if (a == "--events" && i + 1 < argc) events = std::stoul(argv[++i]);
    if (a == "--rounds" && i + 1 < argc) rounds = std::stoi(argv[++i]);
    if (a == "--max-batch" && i + 1 < argc) max_batch = std::stoul(argv[++i]);
  }
  if (events == 0) events = quick ? 50000 : 300000;
  if (rounds == 0) rounds = quick ? 3 : 5;
  const std::size_t window = 5000;
  const std::size_t warm_events = std::min<std::size_t>(5000, events);

  // The echo server first: a child forked while the harness's ZeroMQ
  // threads run could inherit a lock one of them holds (it never execs).
  std::string echo_endpoint;
  const pid_t echo = StartEchoServer(&echo_endpoint);
  if (echo <= 0 || echo_endpoint.empty()) return 1;
  const std::string demo = riskd::testing::SourceDir() + "/config/demo/";
  riskd::testing::DaemonHarness daemon("network { csv { nodes: \"" + demo +
                                           "nodes.csv\" edges: \"" + demo +
                                           "edges.csv\" } }\n"
                                           "logging { level: \"warn\" }\n"
                                           // The one client is the whole load: its
                                           // token bucket (ingest.peer_rate) off.
                                           "ingest { max_batch: " +
                                           std::to_string(max_batch) + " peer_rate: 0 }\n",
                                       riskd::testing::DaemonHarness::Transport::kTcpLoopback);
  daemon.set_start_timeout(std::chrono::seconds(600));
  if (!daemon.Start()) {
    ::kill(echo, SIGKILL);
    ::waitpid(echo, nullptr, 0);
    return 1;
  }
  zmq::context_t ctx(1);

  // Warm-up (page cache, WAL file growth, connections), not counted; the
  // same for both peers.
  Drive(ctx, daemon.ingest(), MakeEvents(99, warm_events), window);
  Drive(ctx, echo_endpoint, MakeEvents(99, warm_events), window);

  std::vector<double> ingest_rates, raw_rates, ratios;
  std::map<std::string, double> daemon_cpu;
  double echo_cpu = 0, message_bytes = 0, ack_bytes = 0, echo_reply_bytes = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::vector<std::string> messages = MakeEvents(round, events);
    std::size_t bytes = 0;
    for (const auto& m : messages) bytes += m.size();
    message_bytes = static_cast<double>(bytes) / static_cast<double>(events);

    const auto cpu0 = ThreadCpuNs(daemon.pid());
    const RunResult ingest = Drive(ctx, daemon.ingest(), messages, window);
    const auto cpu1 = ThreadCpuNs(daemon.pid());
    if (ingest.accepted != events) {
      std::cerr << "round " << round << ": only " << ingest.accepted << " of " << events
                << " accepted; the first refused: " << ingest.first_refusal << "\n";
      ::kill(echo, SIGKILL);  // else it holds run_all's output pipe open
      ::waitpid(echo, nullptr, 0);
      return 1;
    }
    for (const auto& [name, ns] : cpu1)
      daemon_cpu[name] += ns - (cpu0.count(name) ? cpu0.at(name) : 0);
    ack_bytes = static_cast<double>(ingest.reply_bytes) / static_cast<double>(events);

    const double e0 = Total(ThreadCpuNs(echo));
    const RunResult raw = Drive(ctx, echo_endpoint, messages, window);
    echo_cpu += Total(ThreadCpuNs(echo)) - e0;
    echo_reply_bytes = static_cast<double>(raw.reply_bytes) / static_cast<double>(events);

    ingest_rates.push_back(static_cast<double>(events) / ingest.seconds);
    raw_rates.push_back(static_cast<double>(events) / raw.seconds);
    ratios.push_back(ingest_rates.back() / raw_rates.back());
  }
  const int stop_status = daemon.Stop();
  ::kill(echo, SIGKILL);
  ::waitpid(echo, nullptr, 0);

  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_sqlite_raw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const double sqlite_rate = SqliteRawRowsPerSecond((dir / "raw.db").string(), events, max_batch,
                                                    static_cast<std::size_t>(message_bytes));
  std::filesystem::remove_all(dir);

  auto params = [&](JsonLine l) {
    l.Param("events", static_cast<long long>(events))
        .Param("rounds", rounds)
        .Param("window", static_cast<long long>(window))
        .Param("message_bytes", message_bytes)
        .Param("max_batch", static_cast<long long>(max_batch))
        .Param("transport", "tcp_loopback")
        .Param("durable", "wal_synchronous_full");
    return l;
  };
  params(JsonLine("ingest", "ingest_events_per_s", Median(ingest_rates), "1/s"))
      .Param("reply_bytes", ack_bytes)
      .Param("statistic", "median")
      .Print();
  params(JsonLine("ingest", "zmq_raw_msgs_per_s", Median(raw_rates), "1/s"))
      .Param("reply_bytes", echo_reply_bytes)
      .Param("statistic", "median")
      .Print();
  params(JsonLine("ingest", "sqlite_raw_rows_per_s", sqlite_rate, "1/s")).Print();
  params(
      JsonLine("ingest", "ingest_vs_raw_ratio", Median(ingest_rates) / Median(raw_rates), "ratio"))
      .Param("round_ratio_min", *std::min_element(ratios.begin(), ratios.end()))
      .Param("round_ratio_max", *std::max_element(ratios.begin(), ratios.end()))
      .Print();
  JsonLine("ingest", "ingest_vs_sqlite_raw_ratio", Median(ingest_rates) / sqlite_rate, "ratio")
      .Print();
  // CPU per message, all rounds: the daemon by thread, the echo in all.
  const double n = static_cast<double>(events) * rounds;
  auto cpu_line = [&](const std::string& metric, double ns) {
    params(JsonLine("ingest", metric, ns / n / 1000.0, "us")).Print();
  };
  cpu_line("ingest_cpu_us_per_event", Total(daemon_cpu));
  cpu_line("ingest_thread_cpu_us_per_event", daemon_cpu["main"]);
  cpu_line("engine_thread_cpu_us_per_event", daemon_cpu["riskd-engine"]);
  double io = 0;
  for (const auto& [name, ns] : daemon_cpu) {
    if (name.rfind("ZMQbg", 0) == 0) io += ns;
  }
  cpu_line("ingest_zmq_io_cpu_us_per_event", io);
  cpu_line("zmq_raw_cpu_us_per_msg", echo_cpu);
  JsonLine("ingest", "daemon_clean_stop", stop_status == 0 ? 1 : 0, "bool").Print();
  return 0;
}
