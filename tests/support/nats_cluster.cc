#include "tests/support/nats_cluster.h"

#include <nats/nats.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/support/http_get.h"

namespace riskd::testing {

namespace fs = std::filesystem;

namespace {

// Runs `fn(connection, js)` on a fresh connection to `url`; false if it
// cannot connect within `timeout`.
template <typename F>
bool WithJetStream(const std::string& url, std::chrono::milliseconds timeout, F fn) {
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  bool ok = natsOptions_Create(&options) == NATS_OK &&
            natsOptions_SetURL(options, url.c_str()) == NATS_OK &&
            natsOptions_SetTimeout(options, timeout.count()) == NATS_OK &&
            natsOptions_SetAllowReconnect(options, false) == NATS_OK &&
            natsConnection_Connect(&connection, options) == NATS_OK;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout.count();
  ok = ok && natsConnection_JetStream(&js, connection, &jo) == NATS_OK;
  if (ok) ok = fn(connection, js);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  natsOptions_Destroy(options);
  return ok;
}

}  // namespace

std::unique_ptr<NatsCluster> NatsCluster::Start(const fs::path& dir, int nodes,
                                                std::chrono::seconds timeout,
                                                const std::string& extra_config) {
  // A port picked a moment ago may be taken by the time the server binds
  // it (other tests run alongside): start over with fresh ports then.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<NatsCluster> c(new NatsCluster());
    c->nodes_.resize(static_cast<std::size_t>(nodes));
    for (auto& n : c->nodes_) {
      n.client_port = FreeLoopbackPort();
      n.cluster_port = nodes > 1 ? FreeLoopbackPort() : 0;
    }
    for (int i = 0; i < nodes; ++i) {
      Node& n = c->nodes_[static_cast<std::size_t>(i)];
      const fs::path store = dir / c->name(i);
      fs::remove_all(store);  // nothing left from an earlier attempt
      fs::create_directories(store);
      n.config = dir / (c->name(i) + ".conf");
      n.log = dir / (c->name(i) + ".log");
      std::ofstream conf(n.config);
      conf << "server_name: " << c->name(i) << "\n"
           << "listen: 127.0.0.1:" << n.client_port << "\n"
           << "jetstream { store_dir: \"" << store.string() << "\" }\n"
           << extra_config << "\n";
      // RISKD_NATS_DEBUG=1: the servers log at debug level (raft, and
      // which replicated messages a replica applies or skips), for a
      // post-mortem of a failed run.
      if (const char* debug = std::getenv("RISKD_NATS_DEBUG"); debug && *debug == '1') {
        conf << "debug: true\n";
      }
      if (nodes > 1) {
        conf << "cluster {\n  name: riskd_test\n  listen: 127.0.0.1:" << n.cluster_port
             << "\n  routes: [";
        const char* separator = " ";
        for (int j = 0; j < nodes; ++j) {
          if (j == i) continue;
          conf << separator
               << "nats-route://127.0.0.1:" << c->nodes_[static_cast<std::size_t>(j)].cluster_port;
          separator = ", ";
        }
        conf << " ]\n}\n";
      }
    }
    for (auto& n : c->nodes_) {
      n.process = std::make_unique<ServerProcess>(
          std::vector<std::string>{kNatsServerBinary, "-c", n.config.string()}, n.log);
    }
    bool exited = false;
    const bool ready = WaitFor(
        [&] {
          for (int i = 0; i < nodes; ++i) {
            if (!c->Running(i)) {
              exited = true;
              return true;
            }
          }
          for (int i = 0; i < nodes; ++i) {
            if (!c->JetStreamReady(i, std::chrono::milliseconds(500))) return false;
          }
          return nodes == 1 || c->PlacementReady(std::chrono::milliseconds(2000));
        },
        timeout, std::chrono::milliseconds(100));
    if (ready && !exited) return c;
    for (int i = 0; i < nodes; ++i) std::cerr << "--- " << c->name(i) << "\n" << c->log(i);
    if (!exited) return nullptr;  // timed out: ports were not the problem
  }
  return nullptr;
}

NatsCluster::~NatsCluster() {
  for (auto& n : nodes_) {
    if (n.process) n.process->Kill();
  }
}

std::string NatsCluster::url(int i) const {
  return "nats://127.0.0.1:" + std::to_string(nodes_[static_cast<std::size_t>(i)].client_port);
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(url(i));
  return out;
}

std::string NatsCluster::name(int i) const { return "n" + std::to_string(i); }

int NatsCluster::index(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (this->name(i) == name) return i;
  }
  return -1;
}

void NatsCluster::Kill(int i) { nodes_[static_cast<std::size_t>(i)].process->Kill(); }
void NatsCluster::Restart(int i) { nodes_[static_cast<std::size_t>(i)].process->Restart(); }
void NatsCluster::Freeze(int i) { nodes_[static_cast<std::size_t>(i)].process->Signal(SIGSTOP); }
void NatsCluster::Thaw(int i) { nodes_[static_cast<std::size_t>(i)].process->Signal(SIGCONT); }
bool NatsCluster::Running(int i) { return nodes_[static_cast<std::size_t>(i)].process->Running(); }

bool NatsCluster::JetStreamReady(int i, std::chrono::milliseconds timeout) const {
  return WithJetStream(url(i), timeout, [](natsConnection*, jsCtx* js) {
    jsAccountInfo* info = nullptr;
    const bool ok = js_GetAccountInfo(&info, js, nullptr, nullptr) == NATS_OK;
    jsAccountInfo_Destroy(info);
    return ok;
  });
}

bool NatsCluster::PlacementReady(std::chrono::milliseconds timeout) const {
  static constexpr const char* kProbe = "RISKD_TEST_PLACEMENT_PROBE";
  return WithJetStream(url(0), timeout, [&](natsConnection*, jsCtx* js) {
    const char* subjects[] = {"riskd.test.placement.probe"};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = kProbe;
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Replicas = size();
    config.Storage = js_FileStorage;  // as the daemon's stream
    jsStreamInfo* info = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    const bool placed = js_AddStream(&info, js, &config, nullptr, &error) == NATS_OK;
    jsStreamInfo_Destroy(info);
    // Not ready until the probe is gone again: a leftover stream of every
    // node's replicas would add to the failover tests' traffic.
    return placed && js_DeleteStream(js, kProbe, nullptr, &error) == NATS_OK;
  });
}

std::string NatsCluster::StreamLeader(const std::string& stream, int via) const {
  std::string leader;
  WithJetStream(url(via), std::chrono::milliseconds(2000), [&](natsConnection*, jsCtx* js) {
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, js, stream.c_str(), nullptr, nullptr) != NATS_OK) return false;
    if (info->Cluster != nullptr && info->Cluster->Leader != nullptr)
      leader = info->Cluster->Leader;
    jsStreamInfo_Destroy(info);
    return true;
  });
  return leader;
}

std::string NatsCluster::log(int i) const {
  std::ifstream in(nodes_[static_cast<std::size_t>(i)].log);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string RiskdNatsConfig(const NatsCluster& cluster, const std::string& instance, int replicas,
                            int lease_ttl_ms) {
  std::ostringstream c;
  c << "nats {\n";
  for (const auto& url : cluster.urls()) c << "  servers: \"" << url << "\"\n";
  c << "  instance: \"" << instance << "\"\n  replicas: " << replicas
    << "\n  timeout { seconds: 2 }\n";
  if (lease_ttl_ms > 0) {
    const auto nanos = [](int ms) {
      return std::to_string(static_cast<long long>(ms % 1000) * 1000000);
    };
    c << "  lease { ttl { seconds: " << lease_ttl_ms / 1000 << " nanos: " << nanos(lease_ttl_ms)
      << " } renew_interval { seconds: " << lease_ttl_ms / 4 / 1000
      << " nanos: " << nanos(lease_ttl_ms / 4) << " } acquire_interval { nanos: 100000000 } }\n";
  }
  c << "}\n";
  return c.str();
}

}  // namespace riskd::testing
