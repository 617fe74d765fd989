// PeerRateLimiter: a token bucket per peer (ingest.peer_rate requests per
// second on average, at most ingest.peer_burst at once), so one producer
// cannot take the daemon's whole ingest. A request that finds its peer's
// bucket empty is refused (the ingest loop answers it resource_exhausted and
// never journals it). Buckets that have refilled are forgotten, so memory
// follows the peers active in the last burst/rate seconds; past kMaxPeers
// buckets, new peers share one overflow bucket.
//
// Thread-safety: one thread (the socket thread).
#ifndef RISKD_DAEMON_PEER_RATE_LIMITER_H_
#define RISKD_DAEMON_PEER_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace riskd::daemon {

class PeerRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxPeers = 65536;

  // rate: tokens per second (0: no limit); burst: bucket size (>= 1).
  PeerRateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Takes one token from `peer`'s bucket: false when it is empty.
  bool Admit(std::string_view peer, Clock::time_point now = Clock::now());
  // Buckets held (peers seen within their refill time).
  std::size_t peers() const { return buckets_.size(); }
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  // Tokens of `b` at `now`, refilled.
  double Level(const Bucket& b, Clock::time_point now) const;
  void Sweep(Clock::time_point now);

  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_PEER_RATE_LIMITER_H_
