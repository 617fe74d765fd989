// Ingest throughput, measured against its raw limits in the same run:
//   ingest_events_per_s   events acknowledged per second by the real riskd
//                         (a child process) from this client process over
//                         ZeroMQ TCP loopback: parse, validate, durable
//                         journal (WAL, synchronous=FULL, group commit), ack,
//                         and the engine applying them;
//   zmq_raw_msgs_per_s    the same client against a bare ROUTER echo
//                         process: what ZeroMQ alone allows;
//   ingest_vs_raw_ratio   the two, median over rounds;
//   zmq_parse_echo_msgs_per_s
//                         the same client against a ROUTER process that does
//                         the per-message work the daemon cannot skip, without
//                         durability: reads batches as the ingest loop does
//                         (up to max_batch), parses each Envelope, validates
//                         it as ingest does (ValidateEnvelope against the
//                         demo network's NodeDirectory, the event time from
//                         IngestClock, the changed Envelope re-serialized),
//                         and replies with a serialized Ack; what any design
//                         that validates and acks each event on one socket
//                         thread can reach;
//   parse_echo_vs_raw_ratio
//                         that peer over the raw echo, median over rounds;
//   ingest_thread_*_us_per_event
//                         where the daemon's ingest thread's wall time goes:
//                         on CPU, waiting for a CPU, inside the journal
//                         commit (riskd_journal_commit_seconds), and sampled
//                         from /proc (running, fdatasync, poll, futex).
//   sqlite_raw_rows_per_s rows of the same size inserted in transactions of
//                         the same batch size into the same kind of table.
// Fair by construction: one client function drives every peer with the
// same window (`window` requests outstanding), the same messages (same
// sizes: fixed-width event ids), the same reply handling (every reply
// parsed as an Ack), after the same warm-up; the echoes' ROUTERs have the
// daemon's high-water marks; each round runs daemon, echo and parse echo
// one after the other, so load from elsewhere on the machine hits all alike. CPU time per message
// of each peer (all its threads, from /proc/PID/task/*/schedstat) is printed too: on a shared
// machine it is steadier than throughput.
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
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/common/json_line.h"
#include "connectors/codec/event_codec.h"
#include "connectors/importers/importer.h"
#include "connectors/store/journal.h"
#include "daemon/ingest_clock.h"
#include "daemon/settings.h"
#include "riskd/v1/envelope.pb.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"

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

// Binds a ROUTER in a child process and reports its endpoint through a pipe;
// the child then runs `serve` on it forever.
template <typename Serve>
pid_t StartRouterChild(std::string* endpoint, Serve serve) {
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
    serve(router);
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(fds[0]);
  *endpoint = line;
  return pid;
}

// A bare ROUTER that echoes every message, in a child process.
pid_t StartEchoServer(std::string* endpoint) {
  return StartRouterChild(endpoint, [](zmq::socket_t& router) {
    while (true) {
      zmq::message_t id, body;
      if (!router.recv(id, zmq::recv_flags::none)) continue;
      (void)router.recv(body, zmq::recv_flags::none);
      router.send(id, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  });
}

// The parse echo: the ingest loop's per-message work without the journal.
// Reads what is queued (at most max_batch requests, as IngestLoop::Receive),
// then per request: parse, validate (the daemon's settings, network and
// functions), event time, Ack; the acks go out after the whole batch, as
// IngestLoop::Reply sends them. The ack's journal_seq is a counter.
pid_t StartParseEchoServer(std::string* endpoint, const std::string& config,
                           const std::string& config_dir, std::size_t max_batch) {
  return StartRouterChild(endpoint, [&](zmq::socket_t& router) {
    auto settings = riskd::daemon::ParseSettings(config, config_dir);
    if (!settings.ok()) {
      std::cerr << "parse echo: " << settings.status().ToString() << "\n";
      std::_Exit(1);
    }
    auto network = riskd::connectors::ImportNetwork(settings->config.network(), config_dir);
    if (!network.ok()) {
      std::cerr << "parse echo: " << network.status().ToString() << "\n";
      std::_Exit(1);
    }
    const riskd::connectors::NodeDirectory directory(*network);
    riskd::connectors::ValidationLimits limits = settings->limits;
    limits.max_place_area_km2 = settings->max_place_area_km2;
    riskd::daemon::IngestClock clock(settings->clock);
    struct Request {
      zmq::message_t identity, payload;
    };
    std::vector<Request> batch(max_batch);
    std::vector<riskd::v1::Ack> acks(max_batch);
    riskd::v1::Envelope env;
    std::string journaled;  // what the daemon would journal and forward
    std::uint64_t seq = 0;
    while (true) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(-1));
      std::size_t n = 0;
      while (n < max_batch && router.recv(batch[n].identity, zmq::recv_flags::dontwait)) {
        (void)router.recv(batch[n].payload, zmq::recv_flags::none);
        ++n;
      }
      for (std::size_t i = 0; i < n; ++i) {
        riskd::v1::Ack& ack = acks[i];
        ack.Clear();
        const zmq::message_t& payload = batch[i].payload;
        riskd::Status st;
        if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          st = riskd::Status::InvalidArgument("payload: cannot parse");
        } else {
          ack.set_event_id(env.event_id());
          st = riskd::connectors::ValidateEnvelope(env, directory, settings->risk_type_resolver,
                                                   limits);
        }
        if (st.ok()) {
          const auto now = std::chrono::system_clock::now().time_since_epoch();
          auto timed =
              clock.Admit(&env, std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
          if (!timed.ok()) st = timed.status();
          if (timed.ok() && *timed) (void)env.SerializeToString(&journaled);
        }
        if (st.ok()) {
          ack.set_result(riskd::v1::Ack::RESULT_ACCEPTED);
          ack.set_journal_seq(++seq);
        } else {
          ack.set_result(riskd::v1::Ack::RESULT_REJECTED);
          ack.set_reason(st.ToString());
        }
      }
      for (std::size_t i = 0; i < n; ++i) {
        zmq::message_t frame(acks[i].ByteSizeLong());
        acks[i].SerializeWithCachedSizesToArray(frame.data<std::uint8_t>());
        router.send(batch[i].identity, zmq::send_flags::sndmore);
        router.send(frame, zmq::send_flags::dontwait);
      }
    }
  });
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

// The main (ingest) thread's time on a CPU and waiting for one, in ns
// (/proc/PID/task/PID/schedstat's first two fields).
struct SchedTimes {
  double cpu_ns = 0, runqueue_ns = 0;
};
SchedTimes MainThreadSched(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/schedstat");
  SchedTimes t;
  in >> t.cpu_ns >> t.runqueue_ns;
  return t;
}

// Samples what the daemon's main thread is doing every 0.5 ms from
// /proc/PID/task/PID/syscall ("running", or the syscall it is in), by kind.
// A second thread of this process: its reads cost a few % of a core.
class SyscallSampler {
 public:
  static constexpr const char* kKinds[] = {"running", "fdatasync", "poll", "futex", "other"};
  explicit SyscallSampler(pid_t pid)
      : path_("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/syscall"),
        thread_([this] { Loop(); }) {}
  ~SyscallSampler() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::array<double, 5>& counts() const { return counts_; }

 private:
  void Loop() {
    while (!stop_) {
      std::ifstream in(path_);
      std::string first;
      in >> first;
      std::size_t kind = 4;
      if (first == "running") {
        kind = 0;
      } else if (first == "75" || first == "74") {  // fdatasync, fsync (x86-64)
        kind = 1;
      } else if (first == "7" || first == "271" || first == "232" || first == "281") {
        kind = 2;  // poll, ppoll, epoll_wait, epoll_pwait
      } else if (first == "202") {
        kind = 3;
      }
      if (!first.empty()) counts_[kind] += 1;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  std::string path_;
  std::atomic<bool> stop_{false};
  std::array<double, 5> counts_{};
  std::thread thread_;
};

// One sample's value in a /metrics body (0 when absent).
double MetricValue(const std::string& body, const std::string& name) {
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::strtod(body.c_str() + at + name.size() + 2, nullptr);
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

  // The echo servers first: a child forked while the harness's ZeroMQ
  // threads run could inherit a lock one of them holds (it never execs).
  const std::string demo = riskd::testing::SourceDir() + "/config/demo/";
  const std::string config = "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
                             "edges.csv\" } }\n"
                             "logging { level: \"warn\" }\n"
                             // The one client is the whole load: its token
                             // bucket (ingest.peer_rate) off.
                             "ingest { max_batch: " +
                             std::to_string(max_batch) + " peer_rate: 0 }\n";
  std::string echo_endpoint, parse_endpoint;
  const pid_t echo = StartEchoServer(&echo_endpoint);
  if (echo <= 0 || echo_endpoint.empty()) return 1;
  const pid_t parse_echo = StartParseEchoServer(&parse_endpoint, config, demo, max_batch);
  auto stop_echoes = [&] {  // else they hold run_all's output pipe open
    for (pid_t pid : {echo, parse_echo}) {
      if (pid <= 0) continue;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  };
  if (parse_echo <= 0 || parse_endpoint.empty()) {
    stop_echoes();
    return 1;
  }
  // The metrics endpoint: the journal commit's time (riskd_journal_commit_seconds).
  // On a port chosen here: the daemon logs the one it took at info, below
  // this run's log level.
  const std::string metrics_url = "127.0.0.1:" + std::to_string(riskd::testing::FreeLoopbackPort());
  riskd::testing::DaemonHarness daemon(config + "metrics { listen: \"" + metrics_url + "\" }\n",
                                       riskd::testing::DaemonHarness::Transport::kTcpLoopback);
  daemon.set_start_timeout(std::chrono::seconds(600));
  if (!daemon.Start()) {
    stop_echoes();
    return 1;
  }
  zmq::context_t ctx(1);

  // Warm-up (page cache, WAL file growth, connections), not counted; the
  // same for every peer.
  Drive(ctx, daemon.ingest(), MakeEvents(99, warm_events), window);
  Drive(ctx, echo_endpoint, MakeEvents(99, warm_events), window);
  Drive(ctx, parse_endpoint, MakeEvents(99, warm_events), window);

  // The journal commit's time so far, once the daemon's metrics caught up
  // (refreshed every ~100 ms by the ingest thread).
  auto commit_seconds = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string body =
        riskd::testing::HttpGet("http://" + metrics_url + "/metrics").value_or("");
    return std::make_pair(MetricValue(body, "riskd_journal_commit_seconds_sum"),
                          MetricValue(body, "riskd_journal_commit_seconds_count"));
  };

  std::vector<double> ingest_rates, raw_rates, parse_rates, ratios, parse_ratios;
  std::map<std::string, double> daemon_cpu;
  double echo_cpu = 0, parse_cpu = 0, message_bytes = 0, ack_bytes = 0, echo_reply_bytes = 0;
  double ingest_wall_s = 0, commit_s = 0, commits = 0;
  double client_cpu = 0;  // this process (the client) in the daemon's rounds
  SchedTimes main_sched;
  for (int round = 0; round < rounds; ++round) {
    const std::vector<std::string> messages = MakeEvents(round, events);
    std::size_t bytes = 0;
    for (const auto& m : messages) bytes += m.size();
    message_bytes = static_cast<double>(bytes) / static_cast<double>(events);

    const auto commit0 = commit_seconds();
    const double client0 = Total(ThreadCpuNs(::getpid()));
    const auto cpu0 = ThreadCpuNs(daemon.pid());
    const SchedTimes sched0 = MainThreadSched(daemon.pid());
    const RunResult ingest = Drive(ctx, daemon.ingest(), messages, window);
    const SchedTimes sched1 = MainThreadSched(daemon.pid());
    const auto cpu1 = ThreadCpuNs(daemon.pid());
    client_cpu += Total(ThreadCpuNs(::getpid())) - client0;
    const auto commit1 = commit_seconds();
    if (ingest.accepted != events) {
      std::cerr << "round " << round << ": only " << ingest.accepted << " of " << events
                << " accepted; the first refused: " << ingest.first_refusal << "\n";
      stop_echoes();
      return 1;
    }
    for (const auto& [name, ns] : cpu1)
      daemon_cpu[name] += ns - (cpu0.count(name) ? cpu0.at(name) : 0);
    main_sched.cpu_ns += sched1.cpu_ns - sched0.cpu_ns;
    main_sched.runqueue_ns += sched1.runqueue_ns - sched0.runqueue_ns;
    ingest_wall_s += ingest.seconds;
    commit_s += commit1.first - commit0.first;
    commits += commit1.second - commit0.second;
    ack_bytes = static_cast<double>(ingest.reply_bytes) / static_cast<double>(events);

    const double e0 = Total(ThreadCpuNs(echo));
    const RunResult raw = Drive(ctx, echo_endpoint, messages, window);
    echo_cpu += Total(ThreadCpuNs(echo)) - e0;
    echo_reply_bytes = static_cast<double>(raw.reply_bytes) / static_cast<double>(events);

    const double p0 = Total(ThreadCpuNs(parse_echo));
    const RunResult parsed = Drive(ctx, parse_endpoint, messages, window);
    parse_cpu += Total(ThreadCpuNs(parse_echo)) - p0;
    if (parsed.accepted != events) {
      std::cerr << "round " << round << ": the parse echo accepted only " << parsed.accepted
                << " of " << events << "; the first refused: " << parsed.first_refusal << "\n";
      stop_echoes();
      return 1;
    }

    ingest_rates.push_back(static_cast<double>(events) / ingest.seconds);
    raw_rates.push_back(static_cast<double>(events) / raw.seconds);
    parse_rates.push_back(static_cast<double>(events) / parsed.seconds);
    ratios.push_back(ingest_rates.back() / raw_rates.back());
    parse_ratios.push_back(parse_rates.back() / raw_rates.back());
  }
  // One more daemon round, not counted, with the main thread sampled (the
  // sampler's reads cost CPU the counted rounds should not pay).
  std::array<double, 5> samples{};
  {
    SyscallSampler sampler(daemon.pid());
    Drive(ctx, daemon.ingest(), MakeEvents(rounds, events), window);
    sampler.Stop();
    samples = sampler.counts();
  }
  const int stop_status = daemon.Stop();
  stop_echoes();

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
  params(JsonLine("ingest", "zmq_parse_echo_msgs_per_s", Median(parse_rates), "1/s"))
      .Param("statistic", "median")
      .Print();
  params(JsonLine("ingest", "parse_echo_vs_raw_ratio", Median(parse_ratios), "ratio"))
      .Param("statistic", "median of rounds")
      .Param("round_ratio_min", *std::min_element(parse_ratios.begin(), parse_ratios.end()))
      .Param("round_ratio_max", *std::max_element(parse_ratios.begin(), parse_ratios.end()))
      .Print();
  params(JsonLine("ingest", "ingest_vs_parse_echo_ratio",
                  Median(ingest_rates) / Median(parse_rates), "ratio"))
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
  cpu_line("zmq_parse_echo_cpu_us_per_msg", parse_cpu);
  // The client's share of the two cores while it drives the daemon.
  cpu_line("ingest_client_cpu_us_per_event", client_cpu);
  // The ingest thread's wall time in the counted rounds, per event: on a
  // CPU, waiting for one, and neither (blocked: fdatasync, poll, futex);
  // the journal commit's share of it (its CPU and its fdatasync).
  const double wall_ns = ingest_wall_s * 1e9;
  cpu_line("ingest_thread_wall_us_per_event", wall_ns);
  cpu_line("ingest_thread_runqueue_us_per_event", main_sched.runqueue_ns);
  cpu_line("ingest_thread_blocked_us_per_event",
           wall_ns - main_sched.cpu_ns - main_sched.runqueue_ns);
  params(JsonLine("ingest", "ingest_thread_commit_us_per_event", commit_s * 1e6 / n, "us"))
      .Param("commits", commits)
      .Param("commit_ms_mean", commits > 0 ? commit_s * 1e3 / commits : 0)
      .Param("events_per_commit", commits > 0 ? n / commits : 0)
      .Print();
  double sampled = 0;
  for (double c : samples) sampled += c;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    params(JsonLine("ingest", "ingest_thread_sampled_share", sampled > 0 ? samples[k] / sampled : 0,
                    "ratio"))
        .Param("state", SyscallSampler::kKinds[k])
        .Param("samples", sampled)
        .Print();
  }
  JsonLine("ingest", "daemon_clean_stop", stop_status == 0 ? 1 : 0, "bool").Print();
  return 0;
}
