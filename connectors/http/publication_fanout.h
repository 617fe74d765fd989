// PublicationFanout: hands every publication, formatted once as a server-
// sent event, to each connected browser. Each subscriber has its own
// backlog bounded in bytes; a browser that falls further behind loses its
// backlog and is told to resynchronize from a snapshot (the Clone pattern
// of docs/protocol.md), so a slow page never holds up the others or grows
// the daemon's memory without bound. Frames are shared, not copied, between
// subscribers.
//
// Thread-safe: one thread publishes, each subscriber is drained by its own
// (HTTP) thread.
#ifndef RISKD_CONNECTORS_HTTP_PUBLICATION_FANOUT_H_
#define RISKD_CONNECTORS_HTTP_PUBLICATION_FANOUT_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace riskd::connectors {

using SharedFrame = std::shared_ptr<const std::string>;

class FanoutSubscriber {
 public:
  enum class Event {
    kFrame,     // *frame is the next frame
    kOverflow,  // the backlog was dropped: resynchronize
    kTimeout,   // nothing within the timeout
    kClosed,    // the fanout is closing
  };
  // Waits up to `timeout` for what comes next. An overflow is reported
  // once, before any frame queued after it.
  Event Next(std::chrono::milliseconds timeout, SharedFrame* frame);

 private:
  friend class PublicationFanout;
  explicit FanoutSubscriber(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  // True when this frame made the backlog overflow (it was dropped).
  bool Push(const SharedFrame& frame);
  void Close();

  const std::size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SharedFrame> queue_;
  std::size_t bytes_ = 0;
  bool overflowed_ = false;
  bool closed_ = false;
};

struct FanoutStats {
  std::uint64_t frames = 0;     // frames published
  std::uint64_t overflows = 0;  // backlogs dropped
};

class PublicationFanout {
 public:
  explicit PublicationFanout(std::size_t max_queued_bytes) : max_bytes_(max_queued_bytes) {}

  // A new subscriber, or nullptr once Close() was called. It sees every
  // frame published after this returns.
  std::shared_ptr<FanoutSubscriber> Subscribe();
  void Unsubscribe(const std::shared_ptr<FanoutSubscriber>& subscriber);
  // Queues `frame` for every subscriber.
  void Publish(const SharedFrame& frame);
  // Whether anyone would receive a frame (formatting can be skipped if not).
  bool has_subscribers() const;
  std::size_t subscriber_count() const;
  FanoutStats stats() const;
  // Wakes every subscriber with kClosed; later Subscribe() calls fail.
  void Close();

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<FanoutSubscriber>> subscribers_;
  bool closed_ = false;
  FanoutStats stats_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_PUBLICATION_FANOUT_H_
