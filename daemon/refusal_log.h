// RefusalLog: every connection and request the daemon refuses for what the
// peer is or may do rather than for what it sent: a CURVE handshake with a
// key not in security.clients, a plain-text client on a CURVE socket, any
// other failed handshake, a role that may not send what it sent, a peer over
// its rate limit (ingest.peer_rate). Each is counted by reason
// (riskd_security_refusals_total{reason="..."}) and logged at warning, at
// most one line per reason every 10 s saying how many were held back, with
// every text that came from outside (keys, addresses, client names, event
// ids, reasons) made inert by LogSafe.
//
// Thread-safety: Record() and count() from any thread (the ZAP handler's,
// the socket thread).
#ifndef RISKD_DAEMON_REFUSAL_LOG_H_
#define RISKD_DAEMON_REFUSAL_LOG_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "daemon/log_text.h"

namespace riskd::daemon {

enum class RefusalReason {
  kUnknownKey,       // CURVE key not in security.clients (the ZAP handler)
  kPlaintextClient,  // a client without CURVE on a CURVE socket
  kHandshakeFailed,  // any other failed handshake (bad ZAP request, no handler)
  kRoleDenied,       // permission_denied by the sender's role
  kRateLimited,      // over ingest.peer_rate
};
inline constexpr std::size_t kRefusalReasons = 5;
// "unknown_key", "plaintext_client", "handshake_failed", "role_denied",
// "rate_limited": the metric's reason label.
std::string_view RefusalReasonName(RefusalReason reason);

class RefusalLog {
 public:
  explicit RefusalLog(std::chrono::steady_clock::duration interval = std::chrono::seconds(10));

  // Counts one refusal and logs `what` (made inert here: it quotes keys,
  // addresses, names and ids from outside) unless a line of this reason
  // was logged within the interval.
  void Record(RefusalReason reason, const std::string& what);
  std::uint64_t count(RefusalReason reason) const;

 private:
  std::array<std::atomic<std::uint64_t>, kRefusalReasons> counts_{};
  std::mutex mu_;
  std::array<LogRateLimiter, kRefusalReasons> lines_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_REFUSAL_LOG_H_
