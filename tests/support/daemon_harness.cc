#include "tests/support/daemon_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/http_get.h"
#include "tests/support/server_process.h"

namespace riskd::testing {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* s = std::getenv("RISKD_SOURCE_DIR");
  return s ? s : RISKD_SOURCE_DIR_DEFAULT;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

riskd::v1::Snapshot QuerySnapshot(DaemonHarness& h, bool* accepted, const std::string& event_id) {
  riskd::v1::Envelope q;
  q.set_event_id(event_id);
  q.mutable_query()->mutable_snapshot();
  const auto ack = h.Send(q);
  *accepted = ack && ack->result() == riskd::v1::Ack::RESULT_ACCEPTED;
  return *accepted ? ack->response().snapshot() : riskd::v1::Snapshot{};
}

std::vector<riskd::v1::Ack> SendPipelined(DaemonHarness& h,
                                          const std::vector<std::string>& payloads) {
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::rcvtimeo, 60'000);
  dealer.connect(h.ingest());
  for (const auto& p : payloads) dealer.send(zmq::buffer(p), zmq::send_flags::none);
  std::vector<riskd::v1::Ack> acks;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    zmq::message_t reply;
    if (!dealer.recv(reply)) break;
    riskd::v1::Ack ack;
    if (!ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()))) break;
    acks.push_back(std::move(ack));
  }
  return acks;
}

riskd::v1::Snapshot ReplayedSnapshot(const std::string& database, const std::string& config_body,
                                     bool* ok) {
  *ok = false;
  DaemonHarness clean(config_body);
  fs::create_directories(clean.dir() / "state");
  const auto copied = RunCommand("sqlite3 " + database + " \".backup " + clean.database() + "\"");
  if (copied.exit_code != 0) {
    std::cerr << "copying " << database << " failed: " << copied.out << "\n";
    return {};
  }
  if (!clean.Start()) return {};
  bool accepted = false;
  riskd::v1::Snapshot snapshot;
  // Without the state's file, the daemon says so: the replay starts at 0.
  if (clean.WaitForLog("the publication sequence starts again from 0", std::chrono::seconds(5))) {
    snapshot = QuerySnapshot(clean, &accepted, "replayed");
  }
  *ok = accepted && clean.Stop() == 0;
  if (!*ok) std::cerr << "replaying " << database << ":\n" << clean.log() << "\n";
  return snapshot;
}

std::string SnapshotStateDigest(const riskd::v1::Snapshot& snapshot) {
  std::vector<std::string> lines;
  char buf[256];
  for (const auto& r : snapshot.node_risks()) {
    std::snprintf(buf, sizeof buf, "node %s %s state=%d p=%.17g eta=%d", r.risk_type().c_str(),
                  r.node_id().c_str(), static_cast<int>(r.observed_state()), r.probability(),
                  r.eta_steps());
    lines.emplace_back(buf);
  }
  for (const auto& s : snapshot.projections()) {
    std::snprintf(buf, sizeof buf,
                  "summary %s method=%d horizon=%d expected=%.17g p05=%.17g p95=%.17g disrupted=%d "
                  "recovered=%d immunized=%d at_risk=%d radius=%.17g",
                  s.risk_type().c_str(), static_cast<int>(s.method()), s.horizon_steps(),
                  s.expected_disrupted(), s.disrupted_p05(), s.disrupted_p95(),
                  s.observed_disrupted(), s.observed_recovered(), s.immunized(), s.nodes_at_risk(),
                  s.spectral_radius());
    lines.emplace_back(buf);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string DemoNetworkConfig() {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo + "edges.csv\" } }\n";
}

const std::vector<std::string>& DemoNodes() {
  static const std::vector<std::string> kNodes = {"FAB-KUM", "RES-RAY", "STL-DUI", "MAG-BAO",
                                                  "CEL-OCH", "ECU-NGO", "CHP-SND", "PLS-BKK",
                                                  "HRN-CEB", "BRG-SWF"};
  return kNodes;
}

DaemonHarness::DaemonHarness(const std::string& config_body, Transport transport)
    : transport_(transport) {
  // RISKD_DAEMON_WRAPPER (e.g. "valgrind --tool=callgrind"): words put
  // before the daemon's command line, for profiling a benchmark's daemon.
  if (const char* w = std::getenv("RISKD_DAEMON_WRAPPER")) wrapper_ = w;
  std::random_device rd;
  // Short: ipc:// paths are limited to ~107 bytes.
  dir_ =
      fs::path("/tmp") / ("rkd" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000));
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  std::string ingest = "ipc://" + (dir_ / "ingest.sock").string();
  std::string publish = "ipc://" + (dir_ / "publish.sock").string();
  if (transport_ == Transport::kIpc) {
    ingest_ = ingest;
    publish_ = publish;
  } else {
    // The kernel picks free ports; the daemon logs what it bound.
    ingest = publish = "tcp://127.0.0.1:*";
  }
  std::ofstream(config_path()) << "state_dir: \"" << (dir_ / "state").string() << "\"\n"
                               << "endpoints { ingest: \"" << ingest << "\" publish: \"" << publish
                               << "\" }\n"
                               << config_body << "\n";
}

bool DaemonHarness::FindTcpEndpoints(std::size_t from) {
  // "riskd ready: ingest tcp://127.0.0.1:NNNN publish tcp://127.0.0.1:MMMM",
  // this start's: the log spans every start, and an earlier start's ports
  // are closed (or someone else's) by now.
  const std::string text = log();
  const auto at = text.find("riskd ready: ingest ", from);
  if (at == std::string::npos) return false;
  std::istringstream line(text.substr(at + 20));
  std::string word;
  line >> ingest_ >> word >> publish_;
  return word == "publish" && !publish_.empty();
}

std::string DaemonHarness::dashboard_url() const {
  const std::string text = log();
  const auto ready = text.rfind("riskd ready: ");  // the latest start
  if (ready == std::string::npos) return "";
  const auto at = text.find(" dashboard ", ready);
  const auto eol = text.find('\n', ready);
  if (at == std::string::npos || at > eol) return "";
  return text.substr(at + 11, eol - at - 11);
}

DaemonHarness::~DaemonHarness() {
  if (pid_ > 0) Kill();
  fs::remove_all(dir_);
}

std::string DaemonHarness::log() const {
  std::ifstream in(dir_ / "riskd.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool DaemonHarness::Start(const std::function<bool()>& ready) {
  std::vector<std::string> argv;
  std::istringstream words(wrapper_);
  for (std::string word; words >> word;) argv.push_back(word);
  // A wrapper that runs riskd as its child (rather than exec it) would
  // take Stop()'s and Kill()'s signals alone and leave riskd running: the
  // two share a process group that is signalled instead.
  wrapped_ = !argv.empty();
  const std::size_t log_start = log().size();
  argv.insert(argv.end(), {RISKD_BINARY, "--config", config_path()});
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  pid_ = SpawnLogged(argv, dir_ / "riskd.log", env_, /*own_process_group=*/wrapped_);
  if (pid_ < 0) {
    const int error = errno;
    std::cerr << "cannot start riskd (" << argv.front() << "): " << std::strerror(error) << "\n";
    return false;
  }
  riskd::v1::Envelope ping;
  ping.set_event_id("harness-ping");
  ping.mutable_query()->mutable_projection();
  const auto deadline = std::chrono::steady_clock::now() + start_timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::cerr << "riskd exited during start-up ("
                << (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                        : "status " + std::to_string(WEXITSTATUS(status)))
                << "):\n"
                << log();
      return false;
    }
    const bool bound = transport_ == Transport::kIpc ? fs::exists(dir_ / "ingest.sock")
                                                     : FindTcpEndpoints(log_start);
    if (bound) {
      if (ready) {
        if (ready()) return true;
      } else if (SendBytes(ping.SerializeAsString(), std::chrono::milliseconds(500))) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "riskd did not become ready:\n" << log();
  return false;
}

void DaemonHarness::Signal(int signal) const {
  if (pid_ <= 0) return;
  if (wrapped_) {
    // riskd in the wrapper's group, the wrapper's helpers not (heaptrack's
    // interpreter must finish the profile once riskd is gone). A SIGTERM
    // goes to riskd alone while it runs: the wrapper exits after its child
    // with riskd's status (what Stop() returns, restart_bench checks it) and
    // may have work to finish after it; SIGKILL and other signals reach
    // the wrapper too.
    bool reached_riskd = false;
    for (pid_t p : GroupProcessesRunning(pid_, RISKD_BINARY)) {
      if (p == pid_) continue;
      ::kill(p, signal);
      reached_riskd = true;
    }
    if (signal == SIGTERM && reached_riskd) return;
  }
  ::kill(pid_, signal);
}

bool DaemonHarness::WaitForGroup(pid_t pgid, std::chrono::steady_clock::time_point deadline) const {
  // riskd, orphaned once its wrapper is gone, is reaped by whoever adopted
  // it: a zombie left meanwhile does not count (GroupProcessesRunning).
  while (!GroupProcessesRunning(pgid, RISKD_BINARY).empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int DaemonHarness::Stop() {
  if (pid_ <= 0) return -1;
  Signal(SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    // Where it hangs, for the failure report.
    const fs::path stacks = dir_ / "riskd-stacks.txt";
    // Behind a wrapper, riskd's threads rather than the wrapper's.
    pid_t stuck = pid_;
    if (wrapped_) {
      for (pid_t p : GroupProcessesRunning(pid_, RISKD_BINARY)) {
        if (p != pid_) stuck = p;
      }
    }
    if (fs::exists("/usr/bin/gdb")) {
      const pid_t gdb = SpawnLogged(
          {"/usr/bin/gdb", "-p", std::to_string(stuck), "-batch", "-ex", "thread apply all bt"},
          stacks);
      int gdb_status = 0;
      if (gdb > 0) ::waitpid(gdb, &gdb_status, 0);
    }
    std::ifstream in(stacks);
    std::stringstream threads;
    if (in) threads << in.rdbuf();
    std::cerr << "riskd did not stop within 120 s of SIGTERM; its threads:\n"
              << threads.str() << "\nits log:\n"
              << log();
    Kill();
    return -2;
  }
  // Behind a wrapper: also until riskd is gone.
  if (wrapped_ && !WaitForGroup(pid_, deadline)) {
    std::cerr << "riskd (behind its wrapper) did not stop within 120 s of SIGTERM; its log:\n"
              << log();
    for (pid_t p : GroupProcessesRunning(pid_, RISKD_BINARY)) ::kill(p, SIGKILL);
    (void)WaitForGroup(pid_, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    pid_ = -1;
    return -2;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void DaemonHarness::Kill() {
  if (pid_ <= 0) return;
  Signal(SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  if (wrapped_) {
    (void)WaitForGroup(pid_, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  pid_ = -1;
}

std::optional<riskd::v1::Ack> DaemonHarness::SendBytes(const std::string& bytes,
                                                       std::chrono::milliseconds timeout) {
  zmq::socket_t dealer(context_, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(ingest());
  dealer.send(zmq::buffer(bytes), zmq::send_flags::none);
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
  zmq::message_t reply;
  (void)dealer.recv(reply, zmq::recv_flags::none);
  riskd::v1::Ack ack;
  if (!ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()))) return std::nullopt;
  return ack;
}

bool DaemonHarness::WaitForLog(const std::string& text, std::chrono::milliseconds timeout,
                               std::size_t from) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string l = log();
    if (l.size() > from && l.find(text, from) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void DaemonHarness::EnableFaultInjection(const std::string& control_file) {
  set_env("LD_PRELOAD", RISKD_FAULT_SHIM);
  set_env("RISKD_FAULTS", control_file);
  // A sanitizer runtime insists on coming first in the preload list.
  const char* asan = std::getenv("ASAN_OPTIONS");
  set_env("ASAN_OPTIONS", std::string(asan ? asan : "") + ":verify_asan_link_order=0");
}

void DaemonHarness::ArmFaults(const std::string& control_file, const std::string& rules) {
  const std::string staged = control_file + ".staged";
  {
    std::ofstream out(staged, std::ios::trunc);
    out << rules;
  }
  std::filesystem::rename(staged, control_file);
}

int DaemonHarness::metrics_port() const {
  // The last start's line: the log spans every start.
  const std::string text = log();
  const std::regex line("metrics on .* \\(port ([0-9]+)\\)");
  int port = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    port = std::stoi((*it)[1]);
  }
  return port;
}

std::optional<double> DaemonHarness::Metric(const std::string& name) const {
  const int port = metrics_port();
  if (port == 0) return std::nullopt;
  auto body = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  if (!body) return std::nullopt;
  std::istringstream lines(*body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

std::optional<riskd::v1::Ack> DaemonHarness::Send(const riskd::v1::Envelope& envelope) {
  return SendBytes(envelope.SerializeAsString());
}

Subscriber::Subscriber(zmq::context_t& context, const std::string& endpoint,
                       const std::string& prefix)
    : socket_(context, zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::subscribe, prefix);
  // PUB/SUB joins asynchronously (ZeroMQ's slow joiner): what the daemon
  // publishes before the subscription reached it is lost to this socket.
  // The subscription is the first thing the SUB sends on a connection, as
  // soon as the ZMTP handshake is done, so the constructor waits for that
  // handshake (a socket monitor's HANDSHAKE_SUCCEEDED) instead of a fixed
  // 300 ms. What the test then makes the daemon publish (a request on
  // another connection, a journal commit with its fsync, the engine
  // thread) comes after the subscription arrived: the daemon reads both
  // connections on one I/O thread, and its PUB socket takes in new
  // subscriptions before each send. Not enough for a publisher that sends
  // at once (no daemon does: the request's round trip comes first); only
  // a publication received would be (the daemon has none to offer: it
  // publishes nothing on a connection, nor a heartbeat).
  static std::atomic<int> monitors{0};
  const std::string monitor_endpoint = "inproc://riskd-test-subscriber-" +
                                       std::to_string(::getpid()) + "-" +
                                       std::to_string(monitors.fetch_add(1));
  const bool monitored = zmq_socket_monitor(socket_.handle(), monitor_endpoint.c_str(),
                                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0;
  zmq::socket_t monitor(context, zmq::socket_type::pair);
  if (monitored) monitor.connect(monitor_endpoint);
  socket_.connect(endpoint);
  if (!monitored) {
    std::cerr << "Subscriber: no socket monitor (" << zmq_strerror(zmq_errno()) << ")\n";
    return;
  }
  zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::seconds(30)) != 1) {
    std::cerr << "Subscriber: no handshake with " << endpoint << " within 30 s\n";
  }
  (void)zmq_socket_monitor(socket_.handle(), nullptr, 0);
}

std::optional<std::pair<std::string, riskd::v1::Publication>> Subscriber::Next(
    std::chrono::milliseconds timeout, const std::string& prefix) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, left) <= 0) return std::nullopt;
    zmq::message_t topic, payload;
    (void)socket_.recv(topic, zmq::recv_flags::none);
    if (!topic.more()) continue;
    (void)socket_.recv(payload, zmq::recv_flags::none);
    riskd::v1::Publication pub;
    if (!pub.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) continue;
    std::string t = topic.to_string();
    if (t.rfind(prefix, 0) == 0) return std::make_pair(std::move(t), std::move(pub));
  }
}

}  // namespace riskd::testing
