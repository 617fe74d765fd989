#include "daemon/listener_rule.h"

#include "connectors/http/dashboard_settings.h"

#include <cctype>
#include <charconv>
#include <tuple>

namespace riskd::daemon {

bool IsLoopbackHost(std::string_view host) {
  // The dashboard's rule (IPv4 and localhost), plus IPv6's ::1.
  return host == "::1" || host == "[::1]" || connectors::IsLoopbackHost(host);
}

bool IsLocalEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  const std::string rest = endpoint.substr(6);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  // libzmq's "tcp://source;host:port" connects from a source address; a
  // bound endpoint never has one, so a ';' is not loopback.
  const std::string host = rest.substr(0, colon);
  return host.find(';') == std::string::npos && IsLoopbackHost(host);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not host:port: " + why);
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return bad("expected host:port, e.g. 127.0.0.1:9750");
  HostPort hp;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  const auto r = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || hp.port < 0 ||
      hp.port > 65535) {
    return bad("the port must be a number in 0..65535");
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("an IPv6 address is written [address]");
    host = host.substr(1, host.size() - 2);
    for (char c : host) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        return bad("'" + std::string(host) + "' is not an IPv6 address");
      }
    }
  } else {
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        return bad("the host may only hold letters, digits, '.', '-' and '_' (one address)");
      }
    }
  }
  hp.host = std::string(host);
  return hp;
}

std::vector<Listener> ConfiguredListeners(const DaemonSettings& s) {
  std::vector<Listener> out;
  const bool curve = !s.server_key.public_key.empty();
  for (const auto& [key, endpoint, exposes] :
       {std::tuple<const char*, const std::string*, const char*>{
            "endpoints.ingest", &s.ingest_endpoint, "send events, change the network and query"},
        {"endpoints.publish", &s.publish_endpoint, "read every publication"}}) {
    Listener l;
    l.key = key;
    l.address = *endpoint;
    l.loopback = IsLocalEndpoint(*endpoint);
    l.authenticated = curve;
    l.opted_out = s.endpoints_allow_unauthenticated;
    l.authenticate_with = "security.server_cert and security.clients (CURVE)";
    l.opt_out_with = "endpoints.allow_unauthenticated: true";
    l.exposes = exposes;
    out.push_back(std::move(l));
  }
  if (!s.metrics_listen.empty()) {
    Listener l;
    l.key = "metrics.listen";
    l.address = s.metrics_listen;
    auto hp = ParseHostPort(s.metrics_listen);
    l.loopback = hp.ok() && IsLoopbackHost(hp->host);
    l.authenticated = !s.metrics_users.empty();
    l.opted_out = s.metrics_anonymous_read.value_or(false);
    l.authenticate_with = "metrics.users (HTTP basic authentication)";
    l.opt_out_with = "metrics.anonymous_read: true";
    l.exposes = "read the metrics";
    out.push_back(std::move(l));
  }
  if (s.dashboard.enabled()) {
    // Off loopback, dashboard.anonymous_read defaults to false: every page
    // and every piece of data then needs a user's token (actions need one
    // always), so only an explicit anonymous_read: true opens it.
    Listener l;
    l.key = "dashboard.listen";
    l.address = s.dashboard.listen;
    l.loopback = s.dashboard.loopback;
    l.authenticated = !s.dashboard.anonymous_read;
    l.opted_out = s.dashboard.anonymous_read;
    l.authenticate_with = "dashboard.users (bearer tokens)";
    l.opt_out_with = "dashboard.anonymous_read: true";
    l.exposes = "read the dashboard and every publication";
    out.push_back(std::move(l));
  }
  return out;
}

Status CheckListener(const Listener& l) {
  if (l.loopback || l.authenticated || l.opted_out) return Status::Ok();
  return Status::InvalidArgument("config: " + l.key + " '" + l.address +
                                 "' is not a loopback address and asks for no authentication: bind "
                                 "it to 127.0.0.1 (or ipc://), configure " +
                                 l.authenticate_with + ", or set " + l.opt_out_with +
                                 " to open it to anyone on purpose (docs/configuration.md, "
                                 "\"Listening endpoints\")");
}

}  // namespace riskd::daemon
