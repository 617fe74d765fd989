#include "connectors/http/dashboard_server.h"

#include <civetweb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "connectors/http/embedded_assets.h"
#include "connectors/http/network_json.h"
#include "connectors/zmq/socket_io.h"

namespace riskd::connectors {
namespace {

constexpr std::size_t kMaxActionBytes = 64 * 1024;

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The bearer token of a request: the Authorization header, or (for the
// event stream, which browsers open without headers) ?access_token=.
std::string RequestToken(mg_connection* conn, bool allow_query) {
  const char* header = mg_get_header(conn, "Authorization");
  if (header && mg_strncasecmp(header, "Bearer ", 7) == 0) return Trim(header + 7);
  const mg_request_info* ri = mg_get_request_info(conn);
  if (allow_query && ri->query_string) {
    char token[512];
    const int n = mg_get_var(ri->query_string, std::strlen(ri->query_string), "access_token", token,
                             sizeof token);
    if (n > 0) return std::string(token, static_cast<std::size_t>(n));
  }
  return "";
}

// On loopback, only requests addressed to a loopback name are served: a
// web page elsewhere cannot rebind a name of its own to 127.0.0.1 and read
// the dashboard through the user's browser.
bool HostAllowed(mg_connection* conn) {
  const char* header = mg_get_header(conn, "Host");
  if (!header) return true;  // HTTP/1.0 without Host
  std::string_view host(header);
  if (host.rfind("[::1]", 0) == 0) return true;
  host = host.substr(0, host.find(':'));
  return IsLoopbackHost(host);
}

}  // namespace

DashboardServer::DashboardServer(Options options)
    : options_(std::move(options)),
      auth_(options_.settings),
      client_({options_.ingest_endpoint, options_.context, options_.curve}),
      fanout_(options_.settings.max_queued_bytes) {}

Result<std::unique_ptr<DashboardServer>> DashboardServer::Start(Options options) {
  std::unique_ptr<DashboardServer> s(new DashboardServer(std::move(options)));
  const auto& settings = s->options_.settings;
  try {
    s->sub_ = std::make_unique<zmq::socket_t>(*s->options_.context, zmq::socket_type::sub);
    if (s->options_.curve) ApplyCurveClient(*s->sub_, *s->options_.curve);
    s->sub_->set(zmq::sockopt::linger, 0);
    // The relay keeps up with the engine or the page resyncs: no cap here.
    s->sub_->set(zmq::sockopt::rcvhwm, 0);
    s->sub_->set(zmq::sockopt::subscribe, "");
    s->sub_->connect(s->options_.publish_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("dashboard: cannot subscribe to the daemon: ") + e.what());
  }

  // One worker per live stream plus a few for requests; no keep-alive, so
  // an idle browser connection never holds a worker.
  const std::string threads = std::to_string(settings.max_clients + 4);
  const char* config[] = {"listening_ports",
                          settings.listen.c_str(),
                          "num_threads",
                          threads.c_str(),
                          "enable_keep_alive",
                          "no",
                          "request_timeout_ms",
                          "10000",
                          "access_control_allow_origin",
                          "",
                          "access_control_allow_methods",
                          "",
                          "access_control_allow_headers",
                          "",
                          "enable_directory_listing",
                          "no",
                          nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = s.get();
  init.configuration_options = config;
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof error_text};
  s->ctx_ = mg_start2(&init, &error);
  if (!s->ctx_) {
    return Status::Unavailable("cannot serve the dashboard on '" + settings.listen +
                               "': " + (error_text[0] ? error_text : "civetweb failed to start"));
  }
  mg_set_request_handler(s->ctx_, "**", &DashboardServer::HandleRequest, s.get());
  mg_server_port ports[4];
  const int n = mg_get_server_ports(s->ctx_, 4, ports);
  s->port_ = n > 0 ? ports[0].port : 0;
  s->relay_ = std::thread([p = s.get()] { p->Relay(); });
  return s;
}

DashboardServer::~DashboardServer() { Stop(); }

void DashboardServer::Stop() {
  if (stop_.exchange(true)) return;
  if (relay_.joinable()) relay_.join();
  // Streams end when the fanout closes; requests waiting for the daemon
  // see stop_. civetweb then joins its workers.
  fanout_.Close();
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
  sub_.reset();
}

std::string DashboardServer::url() const {
  const std::string& listen = options_.settings.listen;
  return "http://" + listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port_) + "/";
}

void DashboardServer::Relay() {
  while (!stop_) {
    zmq::pollitem_t item{sub_->handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(200));
    } catch (const zmq::error_t&) {
      continue;
    }
    while (!stop_) {
      std::vector<zmq::message_t> frames;
      if (!RecvFrames(*sub_, &frames, zmq::recv_flags::dontwait)) break;
      // Formatting costs more than receiving: only for someone.
      if (frames.size() != 2 || !fanout_.has_subscribers()) continue;
      riskd::v1::Publication pub;
      if (!pub.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) continue;
      auto frame = std::make_shared<std::string>();
      *frame = "id: " + std::to_string(pub.sequence()) + "\ndata: " + ToJson(pub) + "\n\n";
      fanout_.Publish(std::move(frame));
    }
  }
}

int DashboardServer::HandleRequest(mg_connection* conn, void* self) {
  return static_cast<DashboardServer*>(self)->Dispatch(conn);
}

int DashboardServer::SendJson(mg_connection* conn, int status, const std::string& body) {
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(body.size()).c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  if (status == 401) mg_response_header_add(conn, "WWW-Authenticate", "Bearer realm=\"riskd\"", -1);
  mg_response_header_send(conn);
  mg_write(conn, body.data(), body.size());
  return status;
}

int DashboardServer::SendError(mg_connection* conn, int status, const std::string& message) {
  if (status == 401 || status == 403) stats_.refused.fetch_add(1, std::memory_order_relaxed);
  return SendJson(conn, status, nlohmann::json{{"error", message}}.dump());
}

int DashboardServer::Dispatch(mg_connection* conn) {
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string path = ri->local_uri ? ri->local_uri : "/";
  const std::string method = ri->request_method ? ri->request_method : "";
  if (options_.settings.loopback && !HostAllowed(conn)) {
    return SendError(conn, 403,
                     "permission_denied: this dashboard answers loopback host names only");
  }
  if (path.rfind("/api/", 0) != 0) {
    if (method != "GET" && method != "HEAD")
      return SendError(conn, 405, "invalid_argument: use GET");
    return ServeAsset(conn, path);
  }
  const bool is_events = path == "/api/events";
  auto who = auth_.Authenticate(RequestToken(conn, is_events));
  if (!who.ok()) return SendError(conn, 401, who.status().ToString());
  if (path == "/api/actions") {
    if (method != "POST") return SendError(conn, 405, "invalid_argument: use POST");
    return ServeAction(conn, *who);
  }
  if (method != "GET") return SendError(conn, 405, "invalid_argument: use GET");
  if (path == "/api/session") return ServeSession(conn, *who);
  if (path == "/api/snapshot") return ServeQuery(conn, true);
  if (path == "/api/network") return ServeQuery(conn, false);
  if (is_events) return ServeEvents(conn);
  return SendError(conn, 404, "not_found: no such API: " + path);
}

int DashboardServer::ServeAsset(mg_connection* conn, const std::string& path) {
  const std::string want = path == "/" ? "/index.html" : path;
  for (const auto& asset : DashboardAssets()) {
    if (asset.path != want) continue;
    const char* match = mg_get_header(conn, "If-None-Match");
    const bool fresh = match && asset.etag == match;
    mg_response_header_start(conn, fresh ? 304 : 200);
    mg_response_header_add(conn, "Content-Type", std::string(asset.content_type).c_str(), -1);
    mg_response_header_add(conn, "ETag", std::string(asset.etag).c_str(), -1);
    // Revalidated every time: the bundle changes with the binary.
    mg_response_header_add(conn, "Cache-Control", "no-cache", -1);
    mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
    mg_response_header_add(conn, "Referrer-Policy", "no-referrer", -1);
    mg_response_header_add(conn, "Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self' "
                           "'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
                           -1);
    if (fresh) {
      mg_response_header_send(conn);
      return 304;
    }
    mg_response_header_add(conn, "Content-Length", std::to_string(asset.data.size()).c_str(), -1);
    mg_response_header_send(conn);
    const mg_request_info* ri = mg_get_request_info(conn);
    if (std::strcmp(ri->request_method, "HEAD") != 0)
      mg_write(conn, asset.data.data(), asset.data.size());
    return 200;
  }
  if (DashboardAssets().empty()) {
    return SendError(conn, 404,
                     "not_found: this riskd was built without the dashboard bundle "
                     "(RISKD_BUILD_DASHBOARD=OFF)");
  }
  return SendError(conn, 404, "not_found: " + path);
}

int DashboardServer::ServeSession(mg_connection* conn, const DashboardIdentity& who) {
  nlohmann::json j;
  j["anonymous"] = who.anonymous;
  j["name"] = who.name;
  j["role"] = who.anonymous ? "anonymous" : std::string(RoleName(who.role));
  j["actions"] = who.anonymous ? std::vector<std::string>{} : DashboardAuth::ActionsFor(who.role);
  j["anonymousRead"] = auth_.anonymous_read();
  j["signIn"] = !options_.settings.users.empty();
  return SendJson(conn, 200, j.dump());
}

int DashboardServer::ServeQuery(mg_connection* conn, bool snapshot) {
  riskd::v1::Envelope env;
  env.set_event_id("dashboard-query-" + std::to_string(request_counter_.fetch_add(1)));
  if (snapshot) {
    env.mutable_query()->mutable_snapshot();
  } else {
    env.mutable_query()->mutable_network();
  }
  auto ack = client_.Ask(env, options_.request_timeout, &stop_);
  if (!ack.ok()) return SendError(conn, 503, ack.status().ToString());
  if (ack->result() != riskd::v1::Ack::RESULT_ACCEPTED) return SendError(conn, 502, ack->reason());
  if (snapshot) return SendJson(conn, 200, ToJson(ack->response().snapshot()));
  return SendJson(conn, 200, NetworkJson(ack->response()));
}

int DashboardServer::ServeEvents(mg_connection* conn) {
  if (stats_.stream_clients.fetch_add(1) >= options_.settings.max_clients) {
    stats_.stream_clients.fetch_sub(1);
    return SendError(conn, 503,
                     "resource_exhausted: " + std::to_string(options_.settings.max_clients) +
                         " live streams are open (dashboard.max_clients)");
  }
  // Subscribed before the headers go out: a page that then reads the
  // snapshot misses nothing published after it.
  auto subscriber = fanout_.Subscribe();
  if (!subscriber) {
    stats_.stream_clients.fetch_sub(1);
    return SendError(conn, 503, "unavailable: the dashboard is stopping");
  }
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Type", "text/event-stream", -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  mg_response_header_send(conn);
  static constexpr std::string_view kHello = "retry: 2000\n: riskd publications\n\n";
  static constexpr std::string_view kResync = "event: resync\ndata: {}\n\n";
  static constexpr std::string_view kKeepalive = ": keepalive\n\n";
  bool open = mg_write(conn, kHello.data(), kHello.size()) > 0;
  while (open) {
    SharedFrame frame;
    switch (subscriber->Next(options_.keepalive, &frame)) {
      case FanoutSubscriber::Event::kFrame:
        open = mg_write(conn, frame->data(), frame->size()) > 0;
        break;
      case FanoutSubscriber::Event::kOverflow:
        open = mg_write(conn, kResync.data(), kResync.size()) > 0;
        break;
      case FanoutSubscriber::Event::kTimeout:
        open = mg_write(conn, kKeepalive.data(), kKeepalive.size()) > 0;
        break;
      case FanoutSubscriber::Event::kClosed:
        open = false;
        break;
    }
  }
  fanout_.Unsubscribe(subscriber);
  stats_.stream_clients.fetch_sub(1);
  return 200;
}

int DashboardServer::ServeAction(mg_connection* conn, const DashboardIdentity& who) {
  if (who.anonymous)
    return SendError(conn, 401, "permission_denied: actions need a signed-in user");
  const mg_request_info* ri = mg_get_request_info(conn);
  if (ri->content_length > static_cast<long long>(kMaxActionBytes)) {
    return SendError(conn, 413, "resource_exhausted: an action is at most 64 KiB");
  }
  std::string body;
  char buf[8192];
  while (body.size() <= kMaxActionBytes) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) break;
    body.append(buf, static_cast<std::size_t>(n));
  }
  if (body.size() > kMaxActionBytes)
    return SendError(conn, 413, "resource_exhausted: an action is at most 64 KiB");
  riskd::v1::Envelope env;
  const auto parsed = google::protobuf::util::JsonStringToMessage(body, &env);
  if (!parsed.ok()) {
    return SendError(conn, 400,
                     "invalid_argument: body: not a riskd.v1.Envelope in JSON: " +
                         std::string(parsed.message()));
  }
  const Status allowed = DashboardAuth::AuthorizeAction(who, env);
  if (!allowed.ok()) return SendError(conn, 403, allowed.ToString());
  if (env.event_id().empty()) {
    env.set_event_id("dashboard-" + who.name + "-" +
                     std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) +
                     "-" + std::to_string(request_counter_.fetch_add(1)));
  }
  env.set_source("dashboard:" + who.name);
  // An operator action names who acts for the incident's history: the
  // signed-in user, whatever the page sent.
  if (env.has_operator_action()) env.mutable_operator_action()->set_operator_(who.name);
  auto ack = client_.Ask(env, options_.request_timeout, &stop_);
  if (!ack.ok()) return SendError(conn, 503, ack.status().ToString());
  stats_.actions.fetch_add(1, std::memory_order_relaxed);
  if (options_.audit) {
    const auto* field = riskd::v1::Envelope::descriptor()->FindFieldByNumber(env.body_case());
    options_.audit("dashboard user '" + who.name + "' (" + std::string(RoleName(who.role)) +
                   ") sent " + (field ? field->name() : "?") + " " + env.event_id() + ": " +
                   riskd::v1::Ack::Result_Name(ack->result()) +
                   (ack->reason().empty() ? "" : " (" + ack->reason() + ")"));
  }
  return SendJson(conn, ack->result() == riskd::v1::Ack::RESULT_REJECTED ? 422 : 200, ToJson(*ack));
}

}  // namespace riskd::connectors
