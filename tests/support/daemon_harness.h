// DaemonHarness: runs the real riskd binary as a child process for
// end-to-end tests and benchmarks, hermetically: a temporary state
// directory, endpoints of its own (ipc:// inside that directory, or TCP
// loopback on ports the kernel picks), and a config written for the run.
// Plus the client side: a DEALER that sends Envelopes and waits for Acks,
// and a SUB that collects Publications. RISKD_DAEMON_WRAPPER in the
// environment prefixes the daemon's command line (profilers, bench/README).
// A wrapper need not exec riskd: it runs in a process group of its own, and
// Stop() sends SIGTERM to the riskd processes of that group (not the
// wrapper, which may have work to finish after its child, nor its other
// helpers) and returns the wrapper's exit status once both are gone; Kill()
// signals the wrapper and riskd. pid() is the wrapper's: signals sent to it
// alone do not reach riskd.
#ifndef RISKD_TESTS_SUPPORT_DAEMON_HARNESS_H_
#define RISKD_TESTS_SUPPORT_DAEMON_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::testing {

class DaemonHarness {
 public:
  enum class Transport { kIpc, kTcpLoopback };
  // `config_body` is appended to the generated state_dir and endpoints keys;
  // it must configure at least the network (paths may use the source dir).
  explicit DaemonHarness(const std::string& config_body, Transport transport = Transport::kIpc);
  ~DaemonHarness();

  // Starts riskd and waits until it answers a query (or, given, until
  // `ready` returns true: e.g. a CURVE client's query). False on failure
  // (the log is printed).
  bool Start(const std::function<bool()>& ready = {});
  // How long Start() waits for the daemon to answer (default 60 s; a
  // benchmark's long journal replay may need more).
  void set_start_timeout(std::chrono::seconds timeout) { start_timeout_ = timeout; }
  // Command-line arguments added after --config FILE from the next Start() on.
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }
  // Words before the daemon's command line from the next Start() on (as
  // RISKD_DAEMON_WRAPPER, which sets it at construction; "" for none).
  void set_wrapper(const std::string& words) { wrapper_ = words; }
  // An environment variable for the daemon from the next Start() on.
  void set_env(const std::string& name, const std::string& value) {
    env_.emplace_back(name, value);
  }
  // Loads tests/support/fault_injection's shim into the daemon from the
  // next Start() on, controlled by `control_file` (README.md there).
  void EnableFaultInjection(const std::string& control_file);
  // Replaces the fault rules in `control_file` at once (written beside it,
  // then renamed), so the running daemon never reads a half-written file.
  static void ArmFaults(const std::string& control_file, const std::string& rules);
  // Waits until the log contains `text` (after `from`, a log() offset).
  bool WaitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20),
                  std::size_t from = 0) const;
  // SIGTERM and wait: the exit status (0 for a clean stop). A daemon still
  // running 120 s after the signal is a failure, not a hang of the test:
  // its threads' stacks (gdb, when installed and allowed to attach) and its log go to stderr, it
  // is killed, and Stop() returns -2.
  int Stop();
  // SIGKILL and wait.
  void Kill();

  const std::filesystem::path& dir() const { return dir_; }
  // The endpoints; for TCP known once Start() succeeded.
  const std::string& ingest() const { return ingest_; }
  const std::string& publish() const { return publish_; }
  pid_t pid() const { return pid_; }
  std::string config_path() const { return (dir_ / "riskd.conf").string(); }
  std::string database() const { return (dir_ / "state" / "riskd.db").string(); }
  std::string log() const;
  // The dashboard's URL from the latest ready line ("http://127.0.0.1:PORT/"),
  // empty when the dashboard is off or the daemon is not ready.
  std::string dashboard_url() const;
  zmq::context_t& context() { return context_; }

  // Sends raw bytes on a fresh DEALER and waits for one reply. The default
  // timeout only tells a daemon that never answers: a query is answered
  // after the checks pending run (projection.defer_check), which under a
  // sanitizer on a loaded 2-core machine took more than 10 s (CI).
  std::optional<riskd::v1::Ack> SendBytes(
      const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(120));
  std::optional<riskd::v1::Ack> Send(const riskd::v1::Envelope& envelope);

  // With `metrics { listen: "127.0.0.1:0" }` in the config: the port the
  // daemon logged (0 if none), and one sample's value from /metrics.
  int metrics_port() const;
  std::optional<double> Metric(const std::string& name) const;

 private:
  // This start's endpoints from its ready line, in the log after `from`.
  bool FindTcpEndpoints(std::size_t from);

  std::filesystem::path dir_;
  Transport transport_;
  std::string ingest_, publish_;
  std::vector<std::string> extra_args_;
  std::chrono::seconds start_timeout_{60};
  std::vector<std::pair<std::string, std::string>> env_;
  // Signals the daemon: behind a wrapper, the riskd processes of its
  // process group, and the wrapper too unless the signal is a SIGTERM that
  // reached riskd.
  void Signal(int signal) const;
  // After the wrapper was reaped: waits until no riskd of its process group
  // runs any more, or `deadline`. True if none does.
  bool WaitForGroup(pid_t pgid, std::chrono::steady_clock::time_point deadline) const;

  std::string wrapper_;
  bool wrapped_ = false;  // the running daemon's start had a wrapper
  zmq::context_t context_{1};
  pid_t pid_ = -1;
};

// Collects [topic, Publication] messages from the daemon's PUB socket.
// The constructor returns once the connection's handshake is done (its
// subscription follows on it at once), at most 30 s: what the test makes
// the daemon publish afterwards reaches it (daemon_harness.cc says why).
class Subscriber {
 public:
  Subscriber(zmq::context_t& context, const std::string& endpoint, const std::string& prefix = "");
  // Waits up to `timeout` for a publication whose topic starts with `prefix`.
  std::optional<std::pair<std::string, riskd::v1::Publication>> Next(
      std::chrono::milliseconds timeout, const std::string& prefix = "");

 private:
  zmq::socket_t socket_;
};

// Path of the source tree (RISKD_SOURCE_DIR).
std::string SourceDir();

// The daemon's snapshot (a Query.snapshot sent as `event_id`); an empty
// Snapshot if it was not answered ACCEPTED, which `*accepted` reports.
riskd::v1::Snapshot QuerySnapshot(DaemonHarness& h, bool* accepted,
                                  const std::string& event_id = "snapshot");

// The state a snapshot describes, canonical (sorted) and readable: every
// node's observed state, risk and ETA per risk type, and each risk type's
// summary, without what describes history rather than state (sequences,
// times, alert ids). Two daemons in the same state give the same digest.
// Open alerts are left out: with hysteresis they depend on the order of
// past projections, not only on the state.
std::string SnapshotStateDigest(const riskd::v1::Snapshot& snapshot);

// Sends every payload on one DEALER of its own without waiting (so that
// many land in one journal batch), then reads as many acks (at most 60 s
// for each), in the order they came.
std::vector<riskd::v1::Ack> SendPipelined(DaemonHarness& h,
                                          const std::vector<std::string>& payloads);

// What a replay of a journal gives: the snapshot of a fresh daemon (given
// `config_body`) whose state directory holds only a copy of `database`, a
// journal's file (sqlite3's .backup; the engine's state is in a file of
// its own, not copied, so the whole journal is replayed). `*ok` is false,
// and the fresh daemon's log printed, if it did not start, replay from
// scratch, answer or stop cleanly.
riskd::v1::Snapshot ReplayedSnapshot(const std::string& database, const std::string& config_body,
                                     bool* ok);

// Runs a shell command; its exit status (-1 if it did not exit) and its
// stdout and stderr together.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& command);
// The config's network key for the demo network (config/demo/*.csv), and
// ten of its node ids, suppliers first.
std::string DemoNetworkConfig();
const std::vector<std::string>& DemoNodes();

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_DAEMON_HARNESS_H_
