// CURVE security for the daemon's sockets (docs/protocol.md, "Security"): key pairs in
// the zcert text format, and a ZAP handler that admits only allow-listed
// client public keys and tells the daemon each client's role:
//   subscriber  may read (PUB) and query;
//   producer    may also send supplier statuses and disruptions;
//   operator    may also act on incidents (acknowledge, assign, ...);
//   admin       may also change the network and intervene (and act on
//               incidents).
// ZeroMQ asks the handler (inproc://zeromq.zap.01, same context) at every
// CURVE handshake; the role it returns arrives with every message as the
// "User-Id" property ("<role>:<client name>"). Server sockets enforce the
// ZAP domain (ZMQ_ZAP_ENFORCE_DOMAIN): without a handler answering, a
// handshake fails rather than passes, so CURVE never degrades to "any key".
#ifndef RISKD_CONNECTORS_ZMQ_CURVE_AUTH_H_
#define RISKD_CONNECTORS_ZMQ_CURVE_AUTH_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <zmq.hpp>

#include "base/status.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

enum class ClientRole { kSubscriber = 1, kProducer = 2, kAdmin = 3, kOperator = 4 };
std::string_view RoleName(ClientRole role);
std::optional<ClientRole> ParseRole(std::string_view name);

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty for a public-only cert
};

Result<CurveKeyPair> GenerateCurveKeyPair();
// True for 40 valid Z85 characters decoding to 32 bytes.
bool IsCurveKey(std::string_view z85);

// zcert text format (as czmq writes it):
//   metadata
//   curve
//       public-key = "<Z85>"
//       secret-key = "<Z85>"
std::string FormatCurveCert(const CurveKeyPair& pair);
Result<CurveKeyPair> ParseCurveCert(std::string_view text);
Result<CurveKeyPair> LoadCurveCert(const std::string& path);
// Writes with mode 0600.
Status SaveCurveCert(const std::string& path, const CurveKeyPair& pair);

// The allow list: client public key (Z85) -> (role, name).
struct AllowedClient {
  ClientRole role = ClientRole::kSubscriber;
  std::string name;
};

// A handshake the ZAP handler refused.
struct ZapDenial {
  // "unknown_key" (a CURVE key not in the allow list) or "bad_request" (a
  // ZAP request the handler cannot read, or another mechanism).
  std::string_view reason;
  std::string address;     // the peer's IP address as libzmq gives it
  std::string mechanism;   // "CURVE", ...
  std::string public_key;  // Z85 of the client's key (CURVE), else empty
};

class ZapHandler {
 public:
  // Called on the handler's thread for every refused handshake.
  using DenialCallback = std::function<void(const ZapDenial&)>;

  // Binds inproc://zeromq.zap.01 in `context` and starts answering.
  // REQUIRES: before any CURVE server socket of the context accepts peers.
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t* context,
                                                   std::map<std::string, AllowedClient> allowed,
                                                   DenialCallback on_denied = {});
  ~ZapHandler();
  void Stop();
  std::uint64_t denied() const { return denied_.load(); }

 private:
  ZapHandler() = default;
  void Run();

  std::unique_ptr<zmq::socket_t> socket_;
  std::map<std::string, AllowedClient> allowed_;
  DenialCallback on_denied_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> denied_{0};
};

// What a client socket needs to talk to a CURVE server.
struct CurveClientKeys {
  std::string server_public_key;  // Z85
  CurveKeyPair client;            // both keys
};

// Socket options; call before bind / connect. A server socket enforces the
// ZAP domain "riskd" (ZMQ_ZAP_ENFORCE_DOMAIN).
void ApplyCurveServer(zmq::socket_t& socket, const CurveKeyPair& server);
void ApplyCurveClient(zmq::socket_t& socket, const CurveClientKeys& keys);
// Whether `socket` enforces the ZAP domain (for tests and --check-config).
bool ZapDomainEnforced(zmq::socket_t& socket);

// The role in a message's "User-Id" property; nullopt without CURVE.
std::optional<ClientRole> RoleOfMessage(zmq::message_t& message);
// The allow-listed name of the client that sent `message`, if CURVE is on.
std::optional<std::string> ClientNameOfMessage(zmq::message_t& message);

// The role policy (above; an Envelope body it does not list needs an admin):
// OK when `role` may send `envelope`, else
// permission_denied naming the role and what it tried, e.g.
//   permission_denied: role 'producer' may not send network_change
Status AuthorizeEnvelope(ClientRole role, const riskd::v1::Envelope& envelope);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_CURVE_AUTH_H_
