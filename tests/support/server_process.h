// ServerProcess: a server binary (nats-server, Prometheus, Alertmanager)
// run by a test or a benchmark as a child process, its output appended to a
// log file, killed (SIGKILL) and reaped when destroyed. Fault injection:
// Signal(SIGSTOP / SIGCONT), Kill(), Restart() with the same arguments.
// Plus WaitFor(), the polling loop such tests wait with, and FreshTempDir()
// for their servers' files.
//
// Thread-safety: none; one test thread owns it.
#ifndef RISKD_TESTS_SUPPORT_SERVER_PROCESS_H_
#define RISKD_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace riskd::testing {

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
