#include "tests/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

extern char** environ;

namespace riskd::testing {

pid_t SpawnLogged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                  const std::vector<std::pair<std::string, std::string>>& env) {
  if (argv.empty()) {
    errno = EINVAL;
    return -1;
  }
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    const std::string_view name(*e, eq ? static_cast<std::size_t>(eq - *e) : std::strlen(*e));
    bool replaced = false;
    for (const auto& [n, v] : env) replaced = replaced || n == name;
    if (!replaced) environment.emplace_back(*e);
  }
  for (const auto& [name, value] : env) {
    // A name given twice: the last value wins, as setenv would have it.
    const std::string prefix = name + "=";
    std::erase_if(environment, [&](const std::string& e) { return e.starts_with(prefix); });
    environment.push_back(prefix + value);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  if (int rc = posix_spawn_file_actions_init(&actions); rc != 0) {
    errno = rc;
    return -1;
  }
  int rc = posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                            0644);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (rc == 0) rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

std::filesystem::path FreshTempDir(const std::string& prefix) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("riskd_" + prefix + "_XXXXXX")).string();
  if (::mkdtemp(path.data()) == nullptr) {
    throw std::filesystem::filesystem_error("mkdtemp", path,
                                            std::error_code(errno, std::generic_category()));
  }
  return path;
}

ServerProcess::ServerProcess(std::vector<std::string> argv, std::filesystem::path log)
    : argv_(std::move(argv)), log_(std::move(log)) {
  Spawn();
}

ServerProcess::~ServerProcess() { Kill(); }

void ServerProcess::Spawn() {
  pid_ = SpawnLogged(argv_, log_);
  if (pid_ < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot start " + argv_.front());
  }
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServerProcess::Restart() {
  Kill();
  Spawn();
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

}  // namespace riskd::testing
