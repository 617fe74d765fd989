// NatsConnection: one connection to a NATS server or cluster (the C client,
// libnats), with a JetStream context for API calls. The stream log, the
// stream consumer, the lease and the subject publisher share it.
//
// The client reconnects by itself, forever, to any listed or discovered
// server, and pings its server every ping_interval, so a frozen server is
// left after about two intervals; a call made while it reconnects fails
// with `unavailable` once `timeout` has passed.
//
// Thread-safety: the C client's connection and JetStream context are
// thread-safe, and this object does not change after Connect().
#ifndef RISKD_CONNECTORS_NATS_NATS_CONNECTION_H_
#define RISKD_CONNECTORS_NATS_NATS_CONNECTION_H_

#include <nats/nats.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace riskd::connectors::nats {

struct NatsOptions {
  // Server URLs, e.g. "nats://127.0.0.1:4222". Required.
  std::vector<std::string> servers;
  // Client name the servers show (connz), e.g. "riskd-a".
  std::string name = "riskd";
  // Connect, JetStream API and publish-acknowledgement timeout.
  std::chrono::milliseconds timeout{5000};
  // Keep-alive ping interval; two unanswered pings drop the connection.
  std::chrono::milliseconds ping_interval{1000};
};

class NatsConnection {
 public:
  // Connects to the first reachable server (fails after `timeout` when none
  // answers).
  static Result<std::unique_ptr<NatsConnection>> Connect(const NatsOptions& options);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  natsConnection* get() const { return connection_; }
  // JetStream context for API requests (streams, consumers, KV, synchronous
  // publishes); its request wait is `timeout`.
  jsCtx* js() const { return js_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  // Makes another JetStream context on this connection with these options
  // (e.g. an asynchronous-publish handler). The caller destroys it.
  Result<jsCtx*> NewJetStream(jsOptions* options) const;

 private:
  NatsConnection() = default;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  std::chrono::milliseconds timeout_{5000};
};

// A NATS client error as a Status, "<what>: <library text>": `unavailable`
// for timeouts, lost connections and no responders (retry later),
// `not_found` for a missing stream, consumer or key, `failed_precondition`
// for a revision-checked update that lost (JetStream error 10071), else
// `internal`.
Status NatsError(std::string_view what, natsStatus status,
                 jsErrCode js_code = static_cast<jsErrCode>(0));

// Whether a name is usable as a stream, consumer, bucket or key name (and a
// single subject token): [A-Za-z0-9_-]{1,64}.
bool IsNatsName(std::string_view name);

// Whether a subject filter (possibly with wildcards: `*` one token, `>`
// the rest) matches `subject`.
bool SubjectMatches(std::string_view filter, std::string_view subject);

}  // namespace riskd::connectors::nats

#endif  // RISKD_CONNECTORS_NATS_NATS_CONNECTION_H_
