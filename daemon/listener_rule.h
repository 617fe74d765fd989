// The one rule every listening endpoint of the daemon obeys
// (docs/configuration.md, "Listening endpoints"): it listens on a loopback
// address, or its peers authenticate, or the configuration opts out of
// both explicitly. The ZeroMQ ingest and publish endpoints authenticate with
// CURVE (security.server_cert), the metrics endpoint with HTTP basic
// authentication (metrics.users), the dashboard with bearer tokens
// (dashboard.users); each has its own opt-out key. The rule is checked
// whenever a config is parsed (start, SIGHUP, --check-config), and every
// opted-out listener off loopback is logged as a warning at start. A new
// listener adds one entry to ConfiguredListeners and is held to the rule.
//
// Thread-safety: pure functions.
#ifndef RISKD_DAEMON_LISTENER_RULE_H_
#define RISKD_DAEMON_LISTENER_RULE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "daemon/settings.h"

namespace riskd::daemon {

struct Listener {
  std::string key;      // the config key, e.g. "metrics.listen"
  std::string address;  // as configured
  bool loopback = false;
  bool authenticated = false;
  bool opted_out = false;
  // For messages: what to configure to authenticate, the opt-out key, and
  // what anyone who reaches an opted-out listener may do.
  std::string authenticate_with;
  std::string opt_out_with;
  std::string exposes;
};

// Every listener `settings` configures (unset ones left out).
std::vector<Listener> ConfiguredListeners(const DaemonSettings& settings);
// OK when the listener obeys the rule; else InvalidArgument saying how to
// make it obey, e.g.
//   config: metrics.listen '0.0.0.0:9750' is not a loopback address and
//   asks for no authentication: bind it to 127.0.0.1, configure
//   metrics.users (HTTP basic authentication), or set
//   metrics.anonymous_read: true to open it to anyone on purpose
Status CheckListener(const Listener& listener);

// 127.0.0.0/8 (dotted decimal), ::1 (bracketed or not), localhost.
bool IsLoopbackHost(std::string_view host);

// "host:port" of an HTTP listener: host an IPv4 address, a bracketed IPv6
// address or a host name, port 0..65535; one address, no options (civetweb
// would read "a:1,b:2" as two listeners and "9750s" as TLS).
struct HostPort {
  std::string host;  // brackets removed
  int port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_LISTENER_RULE_H_
