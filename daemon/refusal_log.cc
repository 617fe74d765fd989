#include "daemon/refusal_log.h"

#include <spdlog/spdlog.h>

namespace riskd::daemon {

std::string_view RefusalReasonName(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kUnknownKey:
      return "unknown_key";
    case RefusalReason::kPlaintextClient:
      return "plaintext_client";
    case RefusalReason::kHandshakeFailed:
      return "handshake_failed";
    case RefusalReason::kRoleDenied:
      return "role_denied";
    case RefusalReason::kRateLimited:
      return "rate_limited";
  }
  return "unknown";
}

RefusalLog::RefusalLog(std::chrono::steady_clock::duration interval) {
  lines_.fill(LogRateLimiter(interval));
}

void RefusalLog::Record(RefusalReason reason, const std::string& what) {
  const auto i = static_cast<std::size_t>(reason);
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  std::optional<std::uint64_t> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held = lines_[i].Allow();
  }
  if (!held) return;
  spdlog::warn("security: refused ({}): {}{}", RefusalReasonName(reason), LogSafe(what, 1024),
               *held ? " (" + std::to_string(*held) + " similar refusal(s) not logged)" : "");
}

std::uint64_t RefusalLog::count(RefusalReason reason) const {
  return counts_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
}

}  // namespace riskd::daemon
