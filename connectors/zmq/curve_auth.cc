#include "connectors/zmq/curve_auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <zmq_addon.hpp>

namespace riskd::connectors {

std::string_view RoleName(ClientRole role) {
  switch (role) {
    case ClientRole::kSubscriber:
      return "subscriber";
    case ClientRole::kProducer:
      return "producer";
    case ClientRole::kAdmin:
      return "admin";
    case ClientRole::kOperator:
      return "operator";
  }
  return "unknown";
}

std::optional<ClientRole> ParseRole(std::string_view name) {
  if (name == "subscriber") return ClientRole::kSubscriber;
  if (name == "producer") return ClientRole::kProducer;
  if (name == "admin") return ClientRole::kAdmin;
  if (name == "operator") return ClientRole::kOperator;
  return std::nullopt;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Unavailable("CURVE is not available in this libzmq build");
  }
  return CurveKeyPair{pub, sec};
}

bool IsCurveKey(std::string_view z85) {
  if (z85.size() != 40) return false;
  std::uint8_t bytes[32];
  const std::string text(z85);
  return zmq_z85_decode(bytes, text.c_str()) != nullptr;
}

std::string FormatCurveCert(const CurveKeyPair& pair) {
  std::string out = "#   riskd CURVE certificate (zcert format)\nmetadata\ncurve\n";
  out += "    public-key = \"" + pair.public_key + "\"\n";
  if (!pair.secret_key.empty()) out += "    secret-key = \"" + pair.secret_key + "\"\n";
  return out;
}

Result<CurveKeyPair> ParseCurveCert(std::string_view text) {
  CurveKeyPair pair;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    for (auto [key, out] : {std::pair<const char*, std::string*>{"public-key", &pair.public_key},
                            {"secret-key", &pair.secret_key}}) {
      const auto at = line.find(key);
      if (at == std::string::npos) continue;
      const auto open = line.find('"', at);
      const auto close = open == std::string::npos ? open : line.find('"', open + 1);
      if (close == std::string::npos)
        return Status::InvalidArgument(std::string(key) + ": missing quotes");
      *out = line.substr(open + 1, close - open - 1);
      if (!IsCurveKey(*out))
        return Status::InvalidArgument(std::string(key) + ": not a Z85 CURVE key");
    }
  }
  if (pair.public_key.empty()) return Status::InvalidArgument("no public-key in certificate");
  return pair;
}

Result<CurveKeyPair> LoadCurveCert(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open certificate '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  auto pair = ParseCurveCert(text.str());
  if (!pair.ok()) return pair.status().WithContext(path);
  return pair;
}

Status SaveCurveCert(const std::string& path, const CurveKeyPair& pair) {
  const mode_t old = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  ::umask(old);
  if (!out) return Status::IoError("cannot write '" + path + "'");
  out << FormatCurveCert(pair);
  return out ? Status::Ok() : Status::IoError("cannot write '" + path + "'");
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t* context,
                                                      std::map<std::string, AllowedClient> allowed,
                                                      DenialCallback on_denied) {
  std::unique_ptr<ZapHandler> h(new ZapHandler());
  h->allowed_ = std::move(allowed);
  h->on_denied_ = std::move(on_denied);
  try {
    h->socket_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::rep);
    h->socket_->set(zmq::sockopt::linger, 0);
    h->socket_->bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("ZAP handler: ") + e.what());
  }
  h->thread_ = std::thread([p = h.get()] { p->Run(); });
  return h;
}

ZapHandler::~ZapHandler() { Stop(); }

void ZapHandler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::Run() {
  while (!stop_) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      // version, request id, domain, address, identity, mechanism, credentials...
      std::vector<zmq::message_t> req;
      if (!zmq::recv_multipart(*socket_, std::back_inserter(req))) continue;
      std::string status = "400", text = "denied", user;
      ZapDenial denial{"bad_request", req.size() > 3 ? req[3].to_string() : std::string(),
                       req.size() > 5 ? req[5].to_string() : std::string(), std::string()};
      if (req.size() >= 7 && req[0].to_string() == "1.0" && req[5].to_string() == "CURVE" &&
          req[6].size() == 32) {
        char z85[41];
        zmq_z85_encode(z85, req[6].data<std::uint8_t>(), 32);
        auto it = allowed_.find(z85);
        if (it != allowed_.end()) {
          status = "200";
          text = "OK";
          user = std::string(RoleName(it->second.role)) + ":" + it->second.name;
        } else {
          denial.reason = "unknown_key";
          denial.public_key = z85;
        }
      }
      if (status != "200") {
        denied_.fetch_add(1);
        if (on_denied_) on_denied_(denial);
      }
      std::vector<zmq::message_t> reply;
      reply.emplace_back(std::string_view("1.0"));
      reply.push_back(req.size() > 1 ? std::move(req[1]) : zmq::message_t());
      reply.emplace_back(std::string_view(status));
      reply.emplace_back(std::string_view(text));
      reply.emplace_back(std::string_view(user));
      reply.emplace_back();  // metadata
      zmq::send_multipart(*socket_, reply);
    } catch (const zmq::error_t&) {
      // EINTR or context shutdown: check the stop flag again.
    }
  }
}

// ZMQ_ZAP_ENFORCE_DOMAIN is in libzmq's draft API (not declared by Debian's
// zmq.h) but implemented by the library since 4.3.0.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

void ApplyCurveServer(zmq::socket_t& socket, const CurveKeyPair& server) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
  socket.set(zmq::sockopt::zap_domain, "riskd");
  // Without it libzmq lets a CURVE handshake through when no ZAP handler
  // answers (not started yet, stopped, crashed): any key would do. With it
  // such a handshake fails (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL).
  const int enforce = 1;
  if (zmq_setsockopt(socket.handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &enforce, sizeof enforce) != 0) {
    throw zmq::error_t();
  }
}

bool ZapDomainEnforced(zmq::socket_t& socket) {
  int enforced = 0;
  std::size_t size = sizeof enforced;
  return zmq_getsockopt(socket.handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &enforced, &size) == 0 &&
         enforced == 1;
}

void ApplyCurveClient(zmq::socket_t& socket, const CurveClientKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.client.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.client.secret_key);
}

std::optional<ClientRole> RoleOfMessage(zmq::message_t& message) {
  // The C call, not message_t::gets: that throws when the property is
  // missing, which is every message on a plain (loopback) socket, and a
  // throw per event cost the ingest loop several percent.
  const char* user = zmq_msg_gets(message.handle(), "User-Id");
  if (!user || !*user) return std::nullopt;  // no ZAP: plain socket
  const std::string_view u(user);
  return ParseRole(u.substr(0, u.find(':')));
}

std::optional<std::string> ClientNameOfMessage(zmq::message_t& message) {
  const char* user = zmq_msg_gets(message.handle(), "User-Id");
  if (!user || !*user) return std::nullopt;
  const std::string_view u(user);
  const auto colon = u.find(':');
  return std::string(colon == std::string_view::npos ? u : u.substr(colon + 1));
}

namespace {

// Roles in order of what they may do (the enum's values are wire values,
// not an order: the operator role came after admin).
int Rank(ClientRole role) {
  switch (role) {
    case ClientRole::kSubscriber:
      return 1;
    case ClientRole::kProducer:
      return 2;
    case ClientRole::kOperator:
      return 3;
    case ClientRole::kAdmin:
      return 4;
  }
  return 0;
}

}  // namespace

Status AuthorizeEnvelope(ClientRole role, const riskd::v1::Envelope& env) {
  using Body = riskd::v1::Envelope::BodyCase;
  // A body not listed here (a newer kind of event) needs an admin until it is.
  ClientRole needed = ClientRole::kAdmin;
  switch (env.body_case()) {
    case Body::kQuery:
    case Body::BODY_NOT_SET:
      needed = ClientRole::kSubscriber;
      break;  // validation rejects the latter
    case Body::kSupplierStatus:
    case Body::kDisruption:
      needed = ClientRole::kProducer;
      break;
    case Body::kOperatorAction:
      needed = ClientRole::kOperator;
      break;
    default:
      break;
  }
  if (Rank(role) >= Rank(needed)) return Status::Ok();
  const auto* field = env.GetDescriptor()->FindFieldByNumber(static_cast<int>(env.body_case()));
  return Status::PermissionDenied("role '" + std::string(RoleName(role)) + "' may not send " +
                                  (field ? field->name() : std::string("this")));
}

}  // namespace riskd::connectors
