// Signals against the real daemon: what operators do to it (reload, stop)
// while it is busy must never lose an event it committed.
#include <gtest/gtest.h>
#include <signal.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/server_process.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

Envelope StatusEvent(int i) {
  const auto& nodes = DemoNodes();
  Envelope e;
  e.set_event_id("sig-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id(nodes[static_cast<std::size_t>(i) % nodes.size()]);
  s->set_state(i / static_cast<int>(nodes.size()) % 2 == 0 ? riskd::v1::NODE_STATE_DISRUPTED
                                                           : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e;
}

// Sends SIGHUP to `pid` every few milliseconds until destroyed.
class SignalStorm {
 public:
  SignalStorm(pid_t pid, int signal)
      : thread_([this, pid, signal] {
          while (!stop_) {
            ::kill(pid, signal);
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
          }
        }) {}
  ~SignalStorm() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The engine's queue holds one event, and each projection is slow (Monte
// Carlo with many runs), so the ingest thread spends most of its time
// waiting for room in the engine's queue while SIGHUPs arrive.
TEST(SignalsE2ETest, ReloadSignalsWhileTheEngineQueueIsFullLoseNoCommittedEvent) {
  DaemonHarness h(DemoNetworkConfig() +
                  "ingest { max_batch: 1 queue_capacity: 1 }\n"
                  "projection { method: METHOD_MONTE_CARLO check_realizations: 2000 "
                  "serve_realizations: 50000 max_serve_work: 4000000000 }\n"
                  "planner { k: 0 }\n"
                  "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());

  constexpr int kEvents = 40;
  std::map<std::string, Ack> acks;
  {
    SignalStorm storm(h.pid(), SIGHUP);
    for (int i = 0; i < kEvents; ++i) {
      dealer.send(zmq::buffer(StatusEvent(i).SerializeAsString()), zmq::send_flags::none);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (acks.size() < kEvents && std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) continue;
      zmq::message_t reply;
      (void)dealer.recv(reply, zmq::recv_flags::none);
      Ack ack;
      ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
      acks[ack.event_id()] = ack;
    }
  }
  // Every event acknowledged, in order, exactly once in the journal.
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kEvents)) << h.log();
  for (int i = 0; i < kEvents; ++i) {
    const Ack& ack = acks["sig-" + std::to_string(i)];
    EXPECT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
    EXPECT_EQ(ack.journal_seq(), static_cast<std::uint64_t>(i + 1));
  }
  // The signals did interrupt the waiting socket thread (the scenario
  // happened) ...
  EXPECT_GT(h.Metric("riskd_ingest_interrupted_total").value_or(0), 0) << h.log();
  // ... and the engine applied every committed event.
  std::optional<double> applied;
  for (int i = 0; i < 200; ++i) {
    applied = h.Metric("riskd_engine_events_applied_total");
    if (applied == kEvents) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(applied, kEvents);
  EXPECT_EQ(h.Metric("riskd_engine_events_not_applied_total"), 0);
  EXPECT_EQ(h.Stop(), 0);
}

// The children of `parent` still running (from /proc).
std::vector<pid_t> RunningChildren(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    std::istringstream rest(stat.substr(stat.rfind(')') + 1));
    char state = 0;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == parent && state != 'Z') out.push_back(std::stoi(name));
  }
  return out;
}

// Whether `pid` is running (not gone, not a zombie).
bool Running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  char state = 0;
  return rest >> state && state != 'Z';
}

// RISKD_DAEMON_WRAPPER may run riskd as its child instead of exec'ing it
// (here sh, which waits for riskd and then would go on). The harness's
// Stop() and Kill() reach riskd itself: Stop() stops it cleanly (SIGTERM to
// riskd alone, "riskd stopped"), lets the wrapper finish and returns its
// status, riskd's; Kill() leaves nothing running either.
TEST(SignalsE2ETest, StopAndKillReachRiskdBehindAWrapperThatDoesNotExecIt) {
  DaemonHarness h(DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n");
  const std::string wrapper = (h.dir() / "wrap.sh").string();
  std::ofstream(wrapper) << "\"$@\"\necho \"wrapper: riskd exited with $?\"\n";
  h.set_wrapper("/bin/sh " + wrapper);
  for (const bool kill : {false, true}) {
    SCOPED_TRACE(kill ? "Kill()" : "Stop()");
    std::size_t mark = h.log().size();
    ASSERT_TRUE(h.Start());
    const std::vector<pid_t> children = RunningChildren(h.pid());
    ASSERT_EQ(children.size(), 1u);  // riskd, not exec'ed: a child of the wrapper
    const pid_t riskd = children[0];
    int status = -1;
    if (kill) {
      h.Kill();
    } else {
      status = h.Stop();  // the wrapper's, which exits after riskd with its status
    }
    const bool running = Running(riskd);
    if (running) ::kill(riskd, SIGKILL);  // not left behind by a failure
    EXPECT_FALSE(running);
    if (!kill) {
      EXPECT_EQ(status, 0);
      EXPECT_NE(h.log().find("riskd stopped", mark), std::string::npos) << h.log().substr(mark);
      // The SIGTERM went to riskd alone: the wrapper went on after it.
      EXPECT_NE(h.log().find("wrapper: riskd exited with 0", mark), std::string::npos)
          << h.log().substr(mark);
    }
  }
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

riskd::v1::Snapshot TakeSnapshot(DaemonHarness& h) {
  bool accepted = false;
  riskd::v1::Snapshot s = QuerySnapshot(h, &accepted, "snap");
  EXPECT_TRUE(accepted);
  return s;
}

// riskd_config_reload_failures_total once at least 1 (the daemon refreshes
// its metrics every tick), or as it is after 5 s.
std::optional<double> ReloadFailures(const DaemonHarness& h) {
  std::optional<double> failures;
  for (int i = 0; i < 50 && failures.value_or(0) < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    failures = h.Metric("riskd_config_reload_failures_total");
  }
  return failures;
}

void WriteConfig(const DaemonHarness& h, const std::string& body) {
  // The harness's own keys (state_dir, endpoints) come first in its file.
  std::ifstream in(h.config_path());
  std::string head, line;
  for (int i = 0; i < 2 && std::getline(in, line); ++i) head += line + "\n";
  in.close();
  std::ofstream(h.config_path()) << head << body;
}

// A Duration whose nanos are a whole second or more (protobuf takes any
// int32) is refused naming its key, by a reload and at start; it was read
// as 32 s.
TEST(SignalsE2ETest, AnOutOfRangeDurationIsRefusedByAReloadAndAtStart) {
  const std::string base = DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n";
  DaemonHarness h(base + "planner { min_interval { seconds: 30 } }\n");
  ASSERT_TRUE(h.Start());
  const std::string refused =
      "config: planner.min_interval has nanos 2000000000, outside 0..999999999";
  WriteConfig(h, base + "planner { min_interval { seconds: 30 nanos: 2000000000 } }\n");
  const std::size_t mark = h.log().size();
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(h.WaitForLog("reload refused, the running configuration stays",
                           std::chrono::seconds(20), mark))
      << h.log();
  EXPECT_TRUE(h.WaitForLog(refused, std::chrono::seconds(1), mark)) << h.log();
  EXPECT_EQ(ReloadFailures(h), 1);
  EXPECT_EQ(h.Metric("riskd_config_reloads_total"), 0);
  ASSERT_EQ(h.Stop(), 0);

  // Negative nanos, or negative seconds, in a repeated key's element.
  WriteConfig(
      h, base + "hazard_durations { hazard: HAZARD_FLOOD duration { seconds: 5 nanos: -1 } }\n");
  const std::size_t restart = h.log().size();
  h.set_start_timeout(std::chrono::seconds(20));
  EXPECT_FALSE(h.Start());
  EXPECT_TRUE(
      h.WaitForLog("config: hazard_durations[0].duration has nanos -1, outside 0..999999999",
                   std::chrono::seconds(1), restart))
      << h.log();
}

TEST(SignalsE2ETest, ReloadAppliesLiveKeysNamesRestartKeysAndKeepsAnInvalidFileOut) {
  const std::string base = DemoNetworkConfig() + "metrics { listen: \"127.0.0.1:0\" }\n";
  DaemonHarness h(base +
                  "alert_policy { warning_raise: 0.3 warning_clear: 0.2 }\n"
                  "risk_types { name: \"supply\" alpha: 0.8 }\n");
  ASSERT_TRUE(h.Start());
  Envelope e;
  e.set_event_id("rl-1");
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  e.mutable_disruption()->set_severity(1);
  e.mutable_disruption()->add_node_ids("FAB-KUM");
  ASSERT_EQ(h.Send(e)->result(), Ack::RESULT_ACCEPTED);
  const auto before = TakeSnapshot(h);
  ASSERT_EQ(before.projections_size(), 1);
  const double expected_before = before.projections(0).expected_disrupted();

  // Higher thresholds (live), a new horizon (restart).
  const std::string high =
      "alert_policy { warning_raise: 0.9 warning_clear: 0.85 critical_raise: 0.95 "
      "critical_clear: 0.9 }\n";
  WriteConfig(h, base + high +
                     "risk_types { name: \"supply\" alpha: 0.8 }\n"
                     "projection { horizon_steps: 12 }\n");
  std::size_t mark = h.log().size();
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(
      h.WaitForLog("config reloaded: applied: alert_policy.warning_raise, "
                   "alert_policy.warning_clear, alert_policy.critical_raise, "
                   "alert_policy.critical_clear; changed but kept until a restart: "
                   "projection.horizon_steps",
                   std::chrono::seconds(20), mark))
      << h.log();
  ASSERT_TRUE(h.WaitForLog("reloaded settings in force", std::chrono::seconds(20), mark));
  const auto after = TakeSnapshot(h);
  EXPECT_LT(after.open_alerts_size(), before.open_alerts_size());
  for (const auto& a : after.open_alerts()) EXPECT_GE(a.probability(), 0.85) << a.node_id();
  ASSERT_EQ(after.projections_size(), 1);
  EXPECT_EQ(after.projections(0).horizon_steps(), 30);  // needs a restart

  // A broken file changes nothing.
  WriteConfig(h, base + "alert_policy { warning_raise: lots }\n");
  mark = h.log().size();
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(h.WaitForLog("reload refused, the running configuration stays",
                           std::chrono::seconds(20), mark))
      << h.log();
  const auto kept = TakeSnapshot(h);
  EXPECT_EQ(kept.open_alerts_size(), after.open_alerts_size());
  EXPECT_EQ(ReloadFailures(h), 1);
  EXPECT_EQ(h.Metric("riskd_config_reloads_total"), 1);

  // Risk-type rates and feeds, live: a faster risk, and the USGS month of
  // quakes journaled.
  WriteConfig(h, base + high +
                     "risk_types { name: \"supply\" alpha: 3.0 }\n"
                     "feeds { name: \"usgs\" adapter: \"usgs_geojson\" url: \"" +
                     SourceDir() + "/data/usgs_quakes/usgs_4.5_month_2014-04-01.geojson\" }\n");
  mark = h.log().size();
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(h.WaitForLog("config reloaded: applied: risk_types[].alpha, feeds[].name",
                           std::chrono::seconds(20), mark))
      << h.log();
  ASSERT_TRUE(h.WaitForLog("feed usgs:", std::chrono::seconds(30), mark)) << h.log();
  const auto faster = TakeSnapshot(h);
  EXPECT_GT(faster.journal_seq(), 1u);
  ASSERT_EQ(faster.projections_size(), 1);
  EXPECT_GT(faster.projections(0).expected_disrupted(), expected_before);
  EXPECT_EQ(h.Stop(), 0);
}

// SIGTERM while producers are still sending: every event acknowledged
// ACCEPTED is journaled, every request gets an answer (events accepted or
// refused unavailable, queries answered), and riskd exits 0.
TEST(SignalsE2ETest, StopDrainsEveryCommittedEventAndAnswersEveryRequest) {
  DaemonHarness h(DemoNetworkConfig() +
                  "projection { method: METHOD_MONTE_CARLO serve_realizations: 20000 }\n"
                  "planner { k: 0 }\n");
  ASSERT_TRUE(h.Start());
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  constexpr int kRequests = 400;
  std::map<std::string, Ack> acks;
  // Reads one Ack (false: none within `wait`).
  auto receive = [&](std::chrono::milliseconds wait) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) <= 0) return false;
    zmq::message_t reply;
    (void)dealer.recv(reply, zmq::recv_flags::none);
    Ack ack;
    EXPECT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    acks[ack.event_id()] = ack;
    return true;
  };
  for (int i = 0; i < kRequests; ++i) {
    Envelope env = StatusEvent(1000 + i);
    if (i % 10 == 9) {
      env.clear_supplier_status();
      env.mutable_query()->mutable_projection();
    }
    dealer.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
    if (i == kRequests / 4) {
      // The stop lands while producers still send, once the daemon has
      // answered an event and a query (a slow build, e.g. under TSan, may
      // not have read any yet).
      auto answered = [&] {
        bool event = false, query = false;
        for (const auto& [id, ack] : acks) (ack.has_response() ? query : event) = true;
        return event && query;
      };
      while (!answered() && receive(std::chrono::seconds(30))) {
      }
      ::kill(h.pid(), SIGTERM);
    }
  }
  while (acks.size() < kRequests && receive(std::chrono::seconds(10))) {
  }
  int status = 0;
  ASSERT_EQ(::waitpid(h.pid(), &status, 0), h.pid());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << h.log();
  // Requests the daemon never read before it closed its socket get no
  // answer (the producer's retry reaches the next start); everything it
  // read was answered.
  std::set<std::string> accepted;
  int refused = 0, answered_queries = 0;
  for (const auto& [id, ack] : acks) {
    if (ack.has_response()) {
      ++answered_queries;
    } else if (ack.result() == Ack::RESULT_ACCEPTED) {
      accepted.insert(id);
    } else {
      EXPECT_EQ(ack.result(), Ack::RESULT_REJECTED);
      EXPECT_EQ(ack.reason().rfind("unavailable: riskd is stopping", 0), 0u) << ack.reason();
      ++refused;
    }
  }
  EXPECT_GT(accepted.size(), 0u);
  EXPECT_GT(answered_queries, 0);
  EXPECT_NE(h.log().find("stop requested: draining"), std::string::npos);
  // Every accepted event is in the journal, and nothing else is.
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  ASSERT_TRUE(journal.ok());
  std::set<std::string> journaled;
  ASSERT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& e) {
                              journaled.insert(e.event_id);
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(journaled, accepted);
  // The engine applied all of them before exiting.
  EXPECT_NE(h.log().find("engine thread stopped at journal seq " + std::to_string(accepted.size())),
            std::string::npos)
      << h.log();
}

}  // namespace
}  // namespace riskd::testing

namespace riskd::testing {
namespace {

// A stand-in for systemd's notify socket: collects what the daemon reports.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~FakeNotifySocket() { ::close(fd_); }
  bool ok() const { return ok_; }
  // Waits for a datagram containing `text`; everything received is kept.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (std::size_t i = seen_; i < messages_.size(); ++i) {
        if (messages_[i].find(text) != std::string::npos) {
          seen_ = i + 1;
          return true;
        }
      }
      seen_ = messages_.size();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) == 1) {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) messages_.emplace_back(buf, static_cast<std::size_t>(n));
        seen_ = messages_.size() - 1;
      }
    }
    return false;
  }
  std::size_t Count(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& m : messages_) n += m.find(text) != std::string::npos;
    return n;
  }
  std::string All() const {
    std::string out;
    for (const auto& m : messages_) out += "[" + m + "] ";
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  std::vector<std::string> messages_;
  std::size_t seen_ = 0;
};

// Waits (at most 20 s) until the daemon's status says its engine thread
// has applied journal sequence `seq`.
bool WaitUntilApplied(DaemonHarness& h, std::uint64_t seq) {
  for (int i = 0; i < 2000; ++i) {
    Envelope q;
    q.set_event_id("status-" + std::to_string(i));
    q.mutable_query()->mutable_status();
    auto ack = h.Send(q);
    if (ack && ack->response().status().engine_applied_seq() >= seq) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(SignalsE2ETest, TellsSystemdReadyWatchdogReloadingStatusAndStopping) {
  DaemonHarness h(DemoNetworkConfig());
  FakeNotifySocket notify((h.dir() / "notify.sock").string());
  ASSERT_TRUE(notify.ok());
  h.set_env("NOTIFY_SOCKET", (h.dir() / "notify.sock").string());
  h.set_env("WATCHDOG_USEC", "300000");  // pings every 150 ms
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(notify.WaitFor("READY=1\nSTATUS=journal seq 0, applied 0, 0 open alert(s)",
                             std::chrono::seconds(10)))
      << notify.All();
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(5))) << notify.All();
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(5))) << notify.All();
  Envelope e = StatusEvent(0);
  ASSERT_EQ(h.Send(e)->result(), Ack::RESULT_ACCEPTED);
  // The Ack goes out once the event is journaled and queued for the engine
  // thread, which may not have applied it yet; the status sent after the
  // reload says how far the engine is at that moment. So the reload waits
  // until the engine has applied the event (as the status query, built
  // like the STATUS= line, reports), else it could say "applied 0".
  ASSERT_TRUE(WaitUntilApplied(h, 1));
  ::kill(h.pid(), SIGHUP);
  ASSERT_TRUE(notify.WaitFor("RELOADING=1", std::chrono::seconds(10))) << notify.All();
  ASSERT_TRUE(notify.WaitFor("READY=1\nSTATUS=journal seq 1, applied 1", std::chrono::seconds(10)))
      << notify.All();
  ::kill(h.pid(), SIGTERM);
  ASSERT_TRUE(notify.WaitFor("STOPPING=1", std::chrono::seconds(10))) << notify.All();
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_GE(notify.Count("WATCHDOG=1"), 2u);
}

// SIGTERM while the daemon starts (here a replay of the whole journal):
// the start ends there, exit 0, without binding, serving or telling systemd
// READY=1. Before, the daemon finished the replay (minutes on a long
// journal, past systemd's stop timeout and its SIGKILL), bound, said it was
// ready and only then drained. The next start replays everything, as after
// kill -9.
TEST(SignalsE2ETest, StopDuringTheJournalReplayEndsTheStartWithoutServing) {
  DaemonHarness h(DemoNetworkConfig() + "checkpoint { interval_events: 0 }\n");
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Stop(), 0);
  constexpr int kEvents = 30000;
  {
    auto journal = connectors::Journal::Open(h.database());
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    std::vector<connectors::JournalEntry> batch;
    for (int i = 0; i < kEvents; ++i) {
      Envelope e = StatusEvent(i);
      e.set_event_id("replay-" + std::to_string(i));
      batch.push_back({e.event_id(), 1'700'000'000'000'000'000LL + i, e.SerializeAsString()});
      if (batch.size() == 1000) {
        ASSERT_TRUE((*journal)->Append(batch).ok());
        batch.clear();
      }
    }
  }
  const std::string socket = (h.dir() / "notify.sock").string();
  FakeNotifySocket notify(socket);
  ASSERT_TRUE(notify.ok());
  const auto log_path = h.dir() / "replay-stop.log";
  const pid_t pid = SpawnLogged({RISKD_BINARY, "--config", h.config_path()}, log_path,
                                {{"NOTIFY_SOCKET", socket}});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(notify.WaitFor("STATUS=starting: replayed 10000 of " + std::to_string(kEvents),
                             std::chrono::seconds(60)))
      << notify.All();
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream in(log_path);
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("stop requested during the journal replay, after "), std::string::npos) << log;
  EXPECT_EQ(log.find("riskd ready"), std::string::npos) << log;
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", std::chrono::seconds(5))) << notify.All();
  EXPECT_EQ(notify.Count("READY=1"), 0u) << notify.All();
  // The next start replays the whole journal and serves.
  h.set_start_timeout(std::chrono::seconds(120));
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitUntilApplied(h, kEvents));
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
