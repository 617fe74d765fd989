#include "daemon/config_check.h"

#include <netdb.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/feeds/feed_factory.h"
#include "connectors/importers/importer.h"
#include "daemon/base_network.h"
#include "daemon/feed_poller.h"

namespace riskd::daemon {
namespace {

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("file://", 0) == 0;
}

Status CheckHost(const std::string& what, const std::string& host) {
  if (host == "*") return Status::Ok();
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (found) ::freeaddrinfo(found);
  if (rc != 0) {
    return Status::InvalidArgument(what + ": host '" + host +
                                   "' does not resolve: " + gai_strerror(rc));
  }
  return Status::Ok();
}

Status CheckFeeds(const DaemonSettings& s) {
  for (const auto& fc : s.config.feeds()) {
    const std::string where = "feeds '" + fc.name() + "'";
    if (IsUrl(fc.url()) && fc.url().rfind("file://", 0) != 0) continue;  // not fetched here
    const std::string path = fc.url().rfind("file://", 0) == 0
                                 ? fc.url().substr(7)
                                 : connectors::ResolvePath(s.config_dir, fc.url());
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound(where + ": cannot open '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    auto adapter = connectors::MakeFeedAdapter(fc);
    if (!adapter.ok()) return adapter.status().WithContext(where);
    auto batch = (*adapter)->Parse(text.str());
    if (!batch.ok()) return batch.status().WithContext(where + ": '" + path + "'");
  }
  return Status::Ok();
}

}  // namespace

Status CheckHostPort(const std::string& what, const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument(what + " '" + host_port + "': expected host:port");
  }
  const std::string port = host_port.substr(colon + 1);
  char* end = nullptr;
  const long n = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || n < 0 || n > 65535) {
    return Status::InvalidArgument(what + " '" + host_port + "': port must be 0..65535");
  }
  return CheckHost(what + " '" + host_port + "'", host_port.substr(0, colon));
}

Status CheckEndpoint(const std::string& what, const std::string& endpoint) {
  if (endpoint.rfind("inproc://", 0) == 0) return Status::Ok();
  if (endpoint.rfind("ipc://", 0) == 0) {
    const std::filesystem::path path(endpoint.substr(6));
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::NotFound(what + " '" + endpoint + "': directory '" + dir.string() +
                              "' does not exist");
    }
    return Status::Ok();
  }
  if (endpoint.rfind("tcp://", 0) == 0) {
    const std::string rest = endpoint.substr(6);
    if (rest.size() > 2 && rest.substr(rest.size() - 2) == ":*") {
      return CheckHost(what + " '" + endpoint + "'", rest.substr(0, rest.size() - 2));
    }
    return CheckHostPort(what, rest);
  }
  return Status::InvalidArgument(what + " '" + endpoint + "': use tcp://, ipc:// or inproc://");
}

Status CheckConfig(const DaemonSettings& s, std::string* summary) {
  RISKD_RETURN_IF_ERROR(CheckEndpoint("endpoints.ingest", s.ingest_endpoint));
  RISKD_RETURN_IF_ERROR(CheckEndpoint("endpoints.publish", s.publish_endpoint));
  if (!s.metrics_listen.empty())
    RISKD_RETURN_IF_ERROR(CheckHostPort("metrics.listen", s.metrics_listen));
  if (s.dashboard.enabled())
    RISKD_RETURN_IF_ERROR(CheckHostPort("dashboard.listen", s.dashboard.listen));
  auto network = connectors::ImportNetwork(s.config.network(), s.config_dir);
  if (!network.ok()) return network.status().WithContext("network");
  auto digest = NetworkSourceDigest(s.config.network(), s.config_dir);
  if (!digest.ok()) return digest.status().WithContext("network");
  auto feeds = FeedPoller::Create(s, nullptr);
  if (!feeds.ok()) return feeds.status();
  RISKD_RETURN_IF_ERROR(CheckFeeds(s));
  *summary = "network " + std::to_string(network->node_count()) + " nodes, " +
             std::to_string(network->edge_count()) + " edges (digest " + digest->substr(0, 16) +
             "...); " + std::to_string(s.config.feeds_size()) + " feed(s); endpoints " +
             s.ingest_endpoint + ", " + s.publish_endpoint;
  return Status::Ok();
}

}  // namespace riskd::daemon
