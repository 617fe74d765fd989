// ServerProcess: a server binary (nats-server, Prometheus, Alertmanager)
// run by a test or a benchmark as a child process, its output appended to a
// log file, killed (SIGKILL) and reaped when destroyed. Fault injection:
// Signal(SIGSTOP / SIGCONT), Kill(), Restart() with the same arguments.
// Plus SpawnLogged(), which starts every child process of the tests and
// benchmarks (the daemon's too), WaitFor(), the polling loop such tests wait
// with, and FreshTempDir() for their servers' files.
//
// Thread-safety: none; one test thread owns it.
#ifndef RISKD_TESTS_SUPPORT_SERVER_PROCESS_H_
#define RISKD_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace riskd::testing {

// Starts argv[0] (looked up on this process's PATH, not one in `env`, when
// it has no '/') with `argv`, this
// process's environment plus `env` (each name replacing an inherited one),
// and stdout and stderr appended to `log`. Returns the child's pid, or -1
// with errno set (the program cannot be run, the log cannot be opened).
//
// Why posix_spawn and not fork + exec: a test process has other threads
// (ZeroMQ's I/O threads, a receiver's server), and a forked child that
// allocates before exec (setenv, std::string) hangs for good if one of them
// held the allocator's lock at the fork. That hung the daemon's restart in a
// sanitizer build in CI. posix_spawn runs none of our code in the child; all
// of argv and the environment are built here, in the parent.
//
// `own_process_group`: the child leads a new process group (its pid), so
// that a signal to the group (kill(-pid, ...)) reaches whatever it starts
// too, e.g. the daemon a wrapper runs without exec'ing it.
pid_t SpawnLogged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                  const std::vector<std::pair<std::string, std::string>>& env = {},
                  bool own_process_group = false);

// The processes of process group `pgid` still running the program at
// `exe`, or exiting (zombies, which hold nothing but their exit status, do
// not count): read from /proc.
std::vector<pid_t> GroupProcessesRunning(pid_t pgid, const std::filesystem::path& exe);

// A "<field>:" line of /proc/<pid>/status (VmHWM, VmRSS, RssAnon, ...) in
// MB; -1 if the process or the line is absent.
double ProcStatusMb(pid_t pid, const std::string& field);

class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> argv, std::filesystem::path log);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Sends `signal` (e.g. SIGSTOP, SIGCONT) to a running process.
  void Signal(int signal);
  // SIGKILL and reap.
  void Kill();
  // Starts it again (after Kill or exit) with the same arguments.
  void Restart();
  // Whether it is still running (reaps it if it exited).
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  void Spawn();
  std::vector<std::string> argv_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// A new, empty directory under the system's temp dir (mkdtemp), named
// riskd_<prefix>_XXXXXX: never one another test or an earlier run left.
// Throws std::filesystem::filesystem_error if none can be made.
std::filesystem::path FreshTempDir(const std::string& prefix);

// Polls `condition` every `poll` until it holds (true) or `timeout` passed.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(200)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_SERVER_PROCESS_H_
