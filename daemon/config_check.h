// What `riskd --check-config` verifies beyond ParseSettings (which checks
// every key's value): that the network source imports, that each feed's
// document can be read (files; URLs are only checked for their form) and
// parsed by its adapter, and that every address can work: tcp:// hosts
// resolve and ports are in range, ipc:// directories exist, metrics.listen
// is host:port with a resolvable host. Nothing is bound, so a config can be
// checked while the daemon it is meant for runs (before a SIGHUP).
//
// Thread-safety: a function of its argument.
#ifndef RISKD_DAEMON_CONFIG_CHECK_H_
#define RISKD_DAEMON_CONFIG_CHECK_H_

#include <string>

#include "daemon/settings.h"

namespace riskd::daemon {

// OK, or the first problem found, e.g.
//   not_found: network: cannot open '/etc/riskd/nodes.csv'
//   invalid_argument: metrics.listen 'localhost:99999': port must be 0..65535
// *summary receives a line of what was checked when OK.
Status CheckConfig(const DaemonSettings& settings, std::string* summary);

// "host:port" split and checked (port 0..65535, host resolvable).
Status CheckHostPort(const std::string& what, const std::string& host_port);
// A ZeroMQ endpoint riskd can bind: tcp://HOST:PORT (or *), ipc://PATH in an
// existing directory, inproc://NAME.
Status CheckEndpoint(const std::string& what, const std::string& endpoint);

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_CONFIG_CHECK_H_
