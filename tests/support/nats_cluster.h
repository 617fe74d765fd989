// NatsCluster: Debian's nats-server (/usr/sbin/nats-server) run by a test or
// benchmark: one server, or a cluster of several on loopback, each with
// JetStream, ports the kernel picked a moment before, and its store in a
// directory of the caller's (a fresh temp dir). Servers are named n0, n1,
// ...; faults: Kill (SIGKILL), Restart (same ports and store), Freeze
// (SIGSTOP) and Thaw (SIGCONT). Destroying it kills every server.
//
// Thread-safety: none; one test thread owns it.
#ifndef RISKD_TESTS_SUPPORT_NATS_CLUSTER_H_
#define RISKD_TESTS_SUPPORT_NATS_CLUSTER_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace riskd::testing {

inline constexpr const char* kNatsServerBinary = "/usr/sbin/nats-server";

class NatsCluster {
 public:
  // Starts `nodes` servers (1: standalone JetStream) under `dir` and waits
  // until JetStream answers on every one (a cluster has elected its
  // metadata leader) and can place a stream on all of them (the leader
  // knows every peer as current: until then a daemon's stream of `nodes`
  // replicas is refused, "no suitable peers for placement"). Null when they
  // are not ready in time (the logs are printed); throws std::system_error
  // when nats-server cannot be run. `extra_config` is appended to every
  // server's configuration (e.g. users and their permissions).
  static std::unique_ptr<NatsCluster> Start(const std::filesystem::path& dir, int nodes,
                                            std::chrono::seconds timeout = std::chrono::seconds(60),
                                            const std::string& extra_config = "");
  ~NatsCluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  // "nats://127.0.0.1:<port>" of server i, and of all of them.
  std::string url(int i) const;
  std::vector<std::string> urls() const;
  // server_name of server i ("n<i>"), and the index of a name (-1: none).
  std::string name(int i) const;
  int index(const std::string& name) const;

  void Kill(int i);
  void Restart(int i);
  void Freeze(int i);
  void Thaw(int i);
  bool Running(int i);

  // Whether JetStream answers an account-info request on server i now.
  bool JetStreamReady(int i, std::chrono::milliseconds timeout) const;
  // Whether a stream of size() replicas can be placed now: creates and
  // deletes a probe stream (its own subject, nothing else is touched).
  bool PlacementReady(std::chrono::milliseconds timeout) const;
  // Name of the server leading a stream's replicas ("" if unknown now),
  // asked through server `via`.
  std::string StreamLeader(const std::string& stream, int via) const;
  // The log of server i.
  std::string log(int i) const;

 private:
  struct Node {
    int client_port = 0;
    int cluster_port = 0;
    std::filesystem::path config;
    std::filesystem::path log;
    std::unique_ptr<ServerProcess> process;
  };
  NatsCluster() = default;
  std::vector<Node> nodes_;
};

// The `nats { ... }` section of a riskd config for an instance on this
// cluster: every server, the instance name, `replicas`, a 2 s timeout, and
// with lease_ttl_ms > 0 a lease of that ttl (renewed every ttl/4, acquired
// every 100 ms).
std::string RiskdNatsConfig(const NatsCluster& cluster, const std::string& instance, int replicas,
                            int lease_ttl_ms);

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_NATS_CLUSTER_H_
