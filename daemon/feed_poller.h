// FeedPoller: feeds read inside the daemon (config `feeds`). One thread reads
// each feed when it is due, runs its adapter (connectors/feeds) and sends
// the Envelopes it has not delivered yet to the daemon's own ingest over
// inproc, exactly as an external riskd-feed process would over TCP: they are
// validated, journaled, de-duplicated and acknowledged like anyone's.
#ifndef RISKD_DAEMON_FEED_POLLER_H_
#define RISKD_DAEMON_FEED_POLLER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "connectors/feeds/feed_adapter.h"
#include "connectors/feeds/seen_feed_ids.h"
#include "connectors/zmq/curve_auth.h"
#include "daemon/settings.h"

namespace riskd::daemon {

struct FeedPollerStats {
  std::atomic<std::uint64_t> polls{0};
  std::atomic<std::uint64_t> read_errors{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};
};

class FeedPoller {
 public:
  // Checks every feed's config (unique names, known adapter, a url).
  static Result<std::unique_ptr<FeedPoller>> Create(const DaemonSettings& settings,
                                                    zmq::context_t* context);
  ~FeedPoller();

  // REQUIRES: the ingest ROUTER is bound to kInprocIngestEndpoint. With
  // CURVE on, `curve` holds the daemon's internal producer keys.
  void Start(std::optional<connectors::CurveClientKeys> curve = std::nullopt);
  // Stops after the poll in progress, if any.
  void Stop();
  std::size_t feed_count() const { return feeds_.size(); }
  const FeedPollerStats& stats() const { return stats_; }

 private:
  struct Feed {
    std::string name;
    std::string location;  // file path or URL
    std::unique_ptr<connectors::FeedAdapter> adapter;
    std::chrono::milliseconds interval{0};  // 0: once
    std::chrono::steady_clock::time_point due;
    bool done = false;
    connectors::SeenFeedIds seen;
  };

  FeedPoller(zmq::context_t* context) : context_(context) {}
  void Run();
  void PollOnce(Feed& feed);

  zmq::context_t* context_;
  std::optional<connectors::CurveClientKeys> curve_;
  std::vector<Feed> feeds_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  FeedPollerStats stats_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_FEED_POLLER_H_
