// DashboardServer: the web dashboard served by the daemon (docs/dashboard.md)
// over civetweb, the embedded HTTP server Debian ships (libcivetweb; the
// same shared library prometheus-cpp's metrics endpoint runs on, each with
// its own context, threads and port).
//
//   GET  /, /assets/...   the page (embedded_assets.h)
//   GET  /api/session     who the request is and which actions it may take
//   GET  /api/network     every node (QueryResponse JSON: networkNodes)
//   GET  /api/snapshot    the Snapshot (JSON), consistent with a sequence
//   GET  /api/events      server-sent events: every Publication as JSON
//   POST /api/actions     an Envelope (JSON) sent on the user's behalf
//
// The data comes from the daemon itself, never from a copy: queries and
// actions go to the ingest ROUTER like any client's (RequestClient), and the
// live stream is the daemon's PUB socket, relayed by one thread to every
// browser through a PublicationFanout. A page applies the snapshot and then
// the publications with a larger sequence, and re-reads the snapshot when it
// sees a gap or is told to resync (the Clone pattern, docs/protocol.md).
//
// JSON is protobuf's canonical JSON mapping of riskd.v1 (lowerCamelCase
// names, enums by name, 64-bit integers as strings).
//
// Thread-safety: Start() and Stop() from one thread; the server runs on its
// own threads (civetweb's workers, one per live stream, and the relay).
#ifndef RISKD_CONNECTORS_HTTP_DASHBOARD_SERVER_H_
#define RISKD_CONNECTORS_HTTP_DASHBOARD_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "base/status.h"
#include "connectors/http/dashboard_auth.h"
#include "connectors/http/dashboard_settings.h"
#include "connectors/http/publication_fanout.h"
#include "connectors/zmq/curve_auth.h"
#include "connectors/zmq/request_client.h"

struct mg_connection;
struct mg_context;

namespace riskd::connectors {

struct DashboardStats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> refused{0};  // 401 and 403 answers
  std::atomic<std::uint64_t> actions{0};  // actions forwarded to the ingest
  std::atomic<std::int64_t> stream_clients{0};
};

class DashboardServer {
 public:
  struct Options {
    DashboardSettings settings;
    // Where the daemon answers (ingest ROUTER) and publishes (PUB); inproc
    // endpoints of `context`.
    zmq::context_t* context = nullptr;
    std::string ingest_endpoint;
    std::string publish_endpoint;
    // CURVE client keys for both sockets when the daemon requires them.
    std::optional<CurveClientKeys> curve;
    // How long a request waits for the daemon's answer. Default 60 s (a
    // snapshot of a large network takes a while).
    std::chrono::milliseconds request_timeout{60000};
    // A comment line goes to idle streams this often, so dead browsers are
    // noticed. Default 15 s.
    std::chrono::milliseconds keepalive{15000};
    // Called with one line per action a user takes (who, what, the
    // daemon's answer), for the daemon's log. Optional.
    std::function<void(const std::string&)> audit;
  };

  // Listens and starts serving. Unavailable if the address cannot be bound.
  static Result<std::unique_ptr<DashboardServer>> Start(Options options);
  ~DashboardServer();
  // Ends every stream and request and stops listening. Idempotent.
  void Stop();

  int port() const { return port_; }
  // "http://<host>:<port>/".
  std::string url() const;
  const DashboardStats& stats() const { return stats_; }
  FanoutStats fanout_stats() const { return fanout_.stats(); }

 private:
  explicit DashboardServer(Options options);
  static int HandleRequest(mg_connection* conn, void* self);
  int Dispatch(mg_connection* conn);
  int ServeAsset(mg_connection* conn, const std::string& path);
  int ServeSession(mg_connection* conn, const DashboardIdentity& who);
  int ServeQuery(mg_connection* conn, bool snapshot);
  int ServeEvents(mg_connection* conn);
  int ServeAction(mg_connection* conn, const DashboardIdentity& who);
  // Sends a JSON body; error bodies are {"error": "<code>: <explanation>"}.
  int SendJson(mg_connection* conn, int status, const std::string& body);
  int SendError(mg_connection* conn, int status, const std::string& message);
  // The relay thread: the daemon's PUB socket into the fanout.
  void Relay();

  Options options_;
  DashboardAuth auth_;
  RequestClient client_;
  PublicationFanout fanout_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::unique_ptr<zmq::socket_t> sub_;
  std::thread relay_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> request_counter_{0};
  DashboardStats stats_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_DASHBOARD_SERVER_H_
