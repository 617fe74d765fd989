#include "daemon/peer_rate_limiter.h"

#include <algorithm>
#include <iterator>

namespace riskd::daemon {
namespace {

// The bucket new peers share once kMaxPeers buckets are held.
constexpr std::string_view kOverflow = "\x01overflow";

}  // namespace

double PeerRateLimiter::Level(const Bucket& b, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  return std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
}

void PeerRateLimiter::Sweep(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    // A full bucket is what a peer never seen gets: forget it.
    it = Level(it->second, now) >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  last_sweep_ = now;
}

bool PeerRateLimiter::Admit(std::string_view peer, Clock::time_point now) {
  if (rate_ <= 0) return true;
  if (now - last_sweep_ > std::chrono::seconds(10)) Sweep(now);
  auto it = buckets_.find(std::string(peer));
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxPeers) Sweep(now);
    const std::string key(buckets_.size() >= kMaxPeers ? kOverflow : peer);
    it = buckets_.try_emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = Level(b, now);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace riskd::daemon
