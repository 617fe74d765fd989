#include "tests/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

extern char** environ;

namespace riskd::testing {

pid_t SpawnLogged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                  const std::vector<std::pair<std::string, std::string>>& env,
                  bool own_process_group) {
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
  posix_spawnattr_t attributes;
  const bool have_attributes = rc == 0 && (rc = posix_spawnattr_init(&attributes)) == 0;
  if (have_attributes && own_process_group) {
    rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes, 0);  // its own pid
  }
  pid_t pid = -1;
  if (rc == 0) rc = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  if (have_attributes) posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

std::vector<pid_t> GroupProcessesRunning(pid_t pgid, const std::filesystem::path& exe) {
  std::vector<pid_t> out;
  std::error_code ec;
  const auto program = std::filesystem::weakly_canonical(exe, ec);
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;  // gone meanwhile
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp) || pgrp != pgid || state == 'Z') continue;
    std::error_code link_error;
    // A binary relinked while it runs reads "<path> (deleted)". A process
    // that is exiting (after SIGKILL, say) has no exe link once its memory
    // is released, yet it is not a zombie yet: it still counts, or a wait
    // for the group would end before the process did.
    const std::string running = std::filesystem::read_symlink(entry.path() / "exe", link_error);
    if (link_error || running == program.string() || running == program.string() + " (deleted)") {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return out;
}

double ProcStatusMb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return -1;
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
