// ServiceNotifier: tells systemd (Type=notify, sd_notify(3)) how the daemon
// is doing: READY=1 once it serves, RELOADING=1 then READY=1 around a
// reload, STOPPING=1 when it drains, WATCHDOG=1 at half the WatchdogSec
// interval, STATUS= a line with counts, and EXTEND_TIMEOUT_USEC= while a
// long start (import, journal replay) is still making progress, so
// TimeoutStartSec bounds a stuck start, not a big journal. It speaks the
// notify protocol itself (one datagram to $NOTIFY_SOCKET, a path or an
// abstract "@name"), so it needs no libsystemd and a test can listen on a
// socket of its own. Without NOTIFY_SOCKET every call does nothing.
//
// Thread-safety: not thread-safe; the socket thread uses it.
#ifndef RISKD_DAEMON_SERVICE_NOTIFIER_H_
#define RISKD_DAEMON_SERVICE_NOTIFIER_H_

#include <chrono>
#include <string>
#include <string_view>

namespace riskd::daemon {

class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (the watchdog is on
  // when WATCHDOG_USEC is set and WATCHDOG_PID is unset or this process).
  ServiceNotifier();
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Sends newline-separated assignments, e.g. "READY=1\nSTATUS=serving".
  void Notify(std::string_view state);
  // Pings the watchdog when half its interval has passed since the last ping.
  void KeepAlive(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }

 private:
  int fd_ = -1;
  std::string address_;  // sun_path; a leading '\0' for abstract sockets
  std::chrono::microseconds watchdog_{0};
  std::chrono::steady_clock::time_point last_ping_{};
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_SERVICE_NOTIFIER_H_
