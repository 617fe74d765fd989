// DashboardSettings: the web dashboard's configuration (riskd.v1.
// DashboardConfig in proto/riskd/v1/config.proto) checked and with its
// defaults applied: where to listen, who may sign in, whether reading needs
// a token, and the limits of the live stream. Plain data; thread-compatible.
#ifndef RISKD_CONNECTORS_HTTP_DASHBOARD_SETTINGS_H_
#define RISKD_CONNECTORS_HTTP_DASHBOARD_SETTINGS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/zmq/curve_auth.h"
#include "riskd/v1/config.pb.h"

namespace riskd::connectors {

// A user who signs in with a bearer token; only the token's SHA-256 is kept.
struct DashboardUserEntry {
  std::string name;
  ClientRole role = ClientRole::kSubscriber;
  std::array<unsigned char, 32> token_sha256{};
};

struct DashboardSettings {
  // "host:port" (IPv4); empty: no dashboard.
  std::string listen;
  // The host part of `listen` is 127.0.0.0/8 or localhost.
  bool loopback = true;
  // Whether pages and data may be read without a token (default: loopback).
  bool anonymous_read = true;
  std::vector<DashboardUserEntry> users;
  // Browsers on the live stream at once. Default 16, 1..256.
  int max_clients = 16;
  // Backlog of one browser before it is told to resync. Default 64 MiB.
  std::size_t max_queued_bytes = std::size_t{64} << 20;

  bool enabled() const { return !listen.empty(); }
};

// Checks `config` and applies the defaults; errors say which key is wrong,
// e.g. "invalid_argument: dashboard.users 'ops': token_sha256 must be 64 hex
// digits".
Result<DashboardSettings> ParseDashboardConfig(const riskd::v1::DashboardConfig& config);

// True for 127.0.0.0/8 and localhost.
bool IsLoopbackHost(std::string_view host);

// Lower-case hex SHA-256 of `text` (for configuring tokens and for tests).
std::string Sha256Hex(std::string_view text);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_DASHBOARD_SETTINGS_H_
