#include "daemon/nats_settings.h"
#include "daemon/config_duration.h"

#include <algorithm>

namespace riskd::daemon {
namespace {

bool IsName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// A publishable subject without wildcards: dot-separated non-empty tokens.
bool IsSubject(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos)
    return false;
  return s.find_first_of(" \t\r\n*>") == std::string::npos;
}

Status Invalid(const std::string& what) { return Status::InvalidArgument("config: nats." + what); }

}  // namespace

Status ParseNatsSettings(const riskd::v1::NatsConfig& c, NatsSettings* out) {
  NatsSettings s;
  s.enabled = !c.servers().empty();
  if (!s.enabled) {
    if (!c.instance().empty() || c.has_lease())
      return Invalid("servers: required when nats is configured");
    *out = s;
    return Status::Ok();
  }
  for (const auto& url : c.servers()) {
    if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0) {
      return Invalid("servers: '" + url + "' must start with nats:// or tls://");
    }
    s.servers.push_back(url);
  }
  s.instance = c.instance();
  if (!IsName(s.instance)) return Invalid("instance: required, [A-Za-z0-9_-]{1,64}");
  if (!c.stream().empty()) s.stream = c.stream();
  if (!IsName(s.stream)) return Invalid("stream: must match [A-Za-z0-9_-]{1,64}");
  if (!c.subject().empty()) s.subject = c.subject();
  if (!IsSubject(s.subject))
    return Invalid("subject: '" + s.subject + "' is not a subject (tokens, no wildcards)");
  if (c.has_replicas()) s.replicas = c.replicas();
  if (s.replicas < 1 || s.replicas > 5) return Invalid("replicas: must be in 1..5");
  if (c.has_duplicate_window()) s.duplicate_window = SaturatedMillis(c.duplicate_window());
  if (s.duplicate_window < std::chrono::seconds(1))
    return Invalid("duplicate_window: must be >= 1 s");
  if (!c.publish_prefix().empty()) s.publish_prefix = c.publish_prefix();
  if (!IsSubject(s.publish_prefix)) {
    return Invalid("publish_prefix: '" + s.publish_prefix + "' is not a subject prefix");
  }
  if (c.has_timeout()) s.timeout = SaturatedMillis(c.timeout());
  if (s.timeout < std::chrono::milliseconds(100)) return Invalid("timeout: must be >= 100 ms");

  s.lease = c.has_lease();
  if (s.lease) {
    const auto& l = c.lease();
    if (!l.bucket().empty()) s.lease_bucket = l.bucket();
    if (!l.key().empty()) s.lease_key = l.key();
    if (!IsName(s.lease_bucket) || !IsName(s.lease_key)) {
      return Invalid("lease: bucket and key must match [A-Za-z0-9_-]{1,64}");
    }
    if (l.has_ttl()) s.lease_ttl = SaturatedMillis(l.ttl());
    if (s.lease_ttl < std::chrono::seconds(1) || s.lease_ttl > std::chrono::hours(1)) {
      return Invalid("lease.ttl: must be in 1 s..1 h");
    }
    s.lease_renew_interval =
        l.has_renew_interval() ? SaturatedMillis(l.renew_interval()) : s.lease_ttl / 3;
    if (s.lease_renew_interval <= std::chrono::milliseconds(0) ||
        s.lease_renew_interval * 2 > s.lease_ttl) {
      return Invalid("lease.renew_interval: must be in (0, ttl/2]");
    }
    s.lease_acquire_interval = l.has_acquire_interval()
                                   ? SaturatedMillis(l.acquire_interval())
                                   : std::min<std::chrono::milliseconds>(
                                         std::chrono::milliseconds(250), s.lease_renew_interval);
    if (s.lease_acquire_interval <= std::chrono::milliseconds(0) ||
        s.lease_acquire_interval > s.lease_renew_interval) {
      return Invalid("lease.acquire_interval: must be in (0, renew_interval]");
    }
  }
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace riskd::daemon
