#include "daemon/service_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace riskd::daemon {

ServiceNotifier::ServiceNotifier() {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (socket_path && *socket_path && std::strlen(socket_path) < sizeof(sockaddr_un::sun_path)) {
    address_ = socket_path;
    if (address_[0] == '@') address_[0] = '\0';
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec && (!pid || std::strtol(pid, nullptr, 10) == ::getpid())) {
    watchdog_ = std::chrono::microseconds(std::strtoll(usec, nullptr, 10));
  }
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

void ServiceNotifier::Notify(std::string_view state) {
  if (fd_ < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  // Best effort, as sd_notify: systemd may be gone during shutdown.
  (void)::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 len);
}

void ServiceNotifier::KeepAlive(std::chrono::steady_clock::time_point now) {
  if (watchdog_.count() <= 0 || now - last_ping_ < watchdog_ / 2) return;
  Notify("WATCHDOG=1");
  last_ping_ = now;
}

}  // namespace riskd::daemon
