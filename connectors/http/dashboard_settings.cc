#include "connectors/http/dashboard_settings.h"

#include <sodium.h>

#include <charconv>
#include <set>

#include "connectors/codec/event_codec.h"

namespace riskd::connectors {
namespace {

Status Invalid(const std::string& what) { return Status::InvalidArgument("dashboard." + what); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A user's name goes into every action it takes: the operator of an
// incident's history (at most 128 bytes, one line: event_codec.cc), the
// source and the event id. A name the codec would refuse would make every
// action of that user fail, so it is refused at start instead.
constexpr std::size_t kMaxUserNameBytes = 128;

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  // 127.a.b.c with decimal octets.
  if (host.rfind("127.", 0) != 0) return false;
  int parts = 0;
  std::size_t at = 0;
  while (at <= host.size()) {
    const std::size_t dot = std::min(host.find('.', at), host.size());
    int octet = -1;
    const auto* begin = host.data() + at;
    const auto* end = host.data() + dot;
    const auto r = std::from_chars(begin, end, octet);
    if (begin == end || r.ec != std::errc() || r.ptr != end || octet < 0 || octet > 255)
      return false;
    ++parts;
    at = dot + 1;
  }
  return parts == 4;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<DashboardSettings> ParseDashboardConfig(const riskd::v1::DashboardConfig& c) {
  DashboardSettings s;
  s.listen = c.listen();
  if (!s.listen.empty()) {
    const auto colon = s.listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Invalid("listen: '" + s.listen + "' is not host:port (IPv4), e.g. 127.0.0.1:7752");
    }
    const std::string host = s.listen.substr(0, colon);
    const std::string port = s.listen.substr(colon + 1);
    int port_number = -1;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() ||
        port_number < 0 || port_number > 65535) {
      return Invalid("listen: port '" + port + "' must be a number in 0..65535");
    }
    if (host.find_first_of("[]") != std::string::npos) {
      return Invalid("listen: IPv6 addresses are not supported; use an IPv4 address");
    }
    s.loopback = IsLoopbackHost(host);
  }
  s.anonymous_read = c.has_anonymous_read() ? c.anonymous_read() : s.loopback;
  if (c.has_max_clients()) {
    if (c.max_clients() < 1 || c.max_clients() > 256)
      return Invalid("max_clients: must be in 1..256");
    s.max_clients = c.max_clients();
  }
  if (c.has_max_queued_bytes()) {
    if (c.max_queued_bytes() < (std::int64_t{1} << 20) ||
        c.max_queued_bytes() > (std::int64_t{4} << 30)) {
      return Invalid("max_queued_bytes: must be in 1 MiB..4 GiB");
    }
    s.max_queued_bytes = static_cast<std::size_t>(c.max_queued_bytes());
  }
  std::set<std::string> names, hashes;
  for (const auto& u : c.users()) {
    const std::string where = "users '" + u.name() + "': ";
    if (u.name().empty()) return Invalid("users: name is required");
    if (u.name().size() > kMaxUserNameBytes || !FirstControlCharacter(u.name()).empty()) {
      return Invalid("users: a name is at most 128 bytes, one line without control characters");
    }
    if (!names.insert(u.name()).second) return Invalid(where + "name is not unique");
    if (u.role() == riskd::v1::CLIENT_ROLE_UNSPECIFIED ||
        !riskd::v1::ClientRole_IsValid(u.role())) {
      return Invalid(where + "role is required");
    }
    const std::string& hex = u.token_sha256();
    DashboardUserEntry e;
    e.name = u.name();
    e.role = static_cast<ClientRole>(u.role());
    if (hex.size() != 64) return Invalid(where + "token_sha256 must be 64 hex digits");
    for (std::size_t i = 0; i < 32; ++i) {
      const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return Invalid(where + "token_sha256 must be 64 hex digits");
      e.token_sha256[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    if (!hashes.insert(std::string(e.token_sha256.begin(), e.token_sha256.end())).second) {
      return Invalid(where + "token_sha256 is another user's token");
    }
    s.users.push_back(std::move(e));
  }
  return s;
}

}  // namespace riskd::connectors
