#include "daemon/log_text.h"

namespace riskd::daemon {

std::string LogSafe(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min(text.size(), max_bytes);
  out.reserve(n + 8);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // C1 controls arrive in UTF-8 as 0xC2 0x80..0x9F.
    const bool c1 = c == 0xc2 && i + 1 < n && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c < 0x20 || c == 0x7f || c1) {
      const unsigned char v = c1 ? static_cast<unsigned char>(text[++i]) : c;
      out += "\\x";
      out += kHex[v >> 4];
      out += kHex[v & 0xf];
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::optional<std::uint64_t> LogRateLimiter::Allow(std::chrono::steady_clock::time_point now) {
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_ = now;
  const std::uint64_t held = suppressed_;
  suppressed_ = 0;
  return held;
}

}  // namespace riskd::daemon
