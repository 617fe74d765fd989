#include "connectors/nats/nats_connection.h"

#include <vector>

namespace riskd::connectors::nats {

Status NatsError(std::string_view what, natsStatus status, jsErrCode js_code) {
  std::string text(what);
  text += ": ";
  const char* last = nats_GetLastError(nullptr);
  text += (last != nullptr && *last != '\0') ? last : natsStatus_GetText(status);
  if (js_code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(js_code)) + ")";
  switch (js_code) {
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
    case JSNoMessageFoundErr:
      return Status::NotFound(std::move(text));
    case JSStreamWrongLastSequenceErr:
      return Status::FailedPrecondition(std::move(text));
    default:
      break;
  }
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_IO_ERROR:
      return Status::Unavailable(std::move(text));
    case NATS_NOT_FOUND:
      return Status::NotFound(std::move(text));
    default:
      return Status::Internal(std::move(text));
  }
}

bool IsNatsName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool SubjectMatches(std::string_view filter, std::string_view subject) {
  while (true) {
    const auto fdot = filter.find('.');
    const auto sdot = subject.find('.');
    const std::string_view ftok = filter.substr(0, fdot);
    const std::string_view stok = subject.substr(0, sdot);
    if (ftok == ">") return true;
    if (ftok != "*" && ftok != stok) return false;
    if (fdot == std::string_view::npos || sdot == std::string_view::npos) {
      return fdot == std::string_view::npos && sdot == std::string_view::npos;
    }
    filter.remove_prefix(fdot + 1);
    subject.remove_prefix(sdot + 1);
  }
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const NatsOptions& options) {
  if (options.servers.empty()) return Status::InvalidArgument("nats: no server URL");
  std::unique_ptr<NatsConnection> c(new NatsConnection());
  c->timeout_ = options.timeout;
  natsStatus s = natsOptions_Create(&c->options_);
  std::vector<const char*> urls;
  for (const auto& u : options.servers) urls.push_back(u.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetServers(c->options_, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(c->options_, options.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(c->options_, options.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetPingInterval(c->options_, options.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(c->options_, 2);
  // Reconnect forever, quickly: a cluster member going away is routine.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(c->options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(c->options_, 100);
  // Requests fail at once while disconnected instead of waiting out their
  // timeout; the callers retry.
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(c->options_, true);
  if (s != NATS_OK) return NatsError("nats options", s);
  s = natsConnection_Connect(&c->connection_, c->options_);
  if (s != NATS_OK) {
    std::string list;
    for (const auto& u : options.servers) list += (list.empty() ? "" : ", ") + u;
    return NatsError("cannot connect to NATS (" + list + ")", s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.timeout.count();
  auto js = c->NewJetStream(&jo);
  if (!js.ok()) return js.status();
  c->js_ = *js;
  return c;
}

Result<jsCtx*> NatsConnection::NewJetStream(jsOptions* options) const {
  jsCtx* js = nullptr;
  const natsStatus s = natsConnection_JetStream(&js, connection_, options);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  return js;
}

NatsConnection::~NatsConnection() {
  jsCtx_Destroy(js_);
  if (connection_ != nullptr) {
    // Sends what is buffered (publications) before closing.
    (void)natsConnection_FlushTimeout(connection_, 1000);
    natsConnection_Destroy(connection_);
  }
  natsOptions_Destroy(options_);
}

}  // namespace riskd::connectors::nats
