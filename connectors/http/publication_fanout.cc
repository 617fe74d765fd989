#include "connectors/http/publication_fanout.h"

#include <algorithm>

namespace riskd::connectors {

FanoutSubscriber::Event FanoutSubscriber::Next(std::chrono::milliseconds timeout,
                                               SharedFrame* frame) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || overflowed_ || !queue_.empty(); });
  if (closed_) return Event::kClosed;
  if (overflowed_) {
    overflowed_ = false;
    return Event::kOverflow;
  }
  if (queue_.empty()) return Event::kTimeout;
  *frame = std::move(queue_.front());
  queue_.pop_front();
  bytes_ -= (*frame)->size();
  return Event::kFrame;
}

bool FanoutSubscriber::Push(const SharedFrame& frame) {
  bool dropped = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (bytes_ + frame->size() > max_bytes_) {
      // Too far behind: the page resynchronizes from a snapshot, so the
      // backlog is useless. What comes after is kept.
      queue_.clear();
      bytes_ = 0;
      overflowed_ = true;
      dropped = true;
    }
    queue_.push_back(frame);
    bytes_ += frame->size();
  }
  cv_.notify_one();
  return dropped;
}

void FanoutSubscriber::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
    bytes_ = 0;
  }
  cv_.notify_all();
}

std::shared_ptr<FanoutSubscriber> PublicationFanout::Subscribe() {
  std::lock_guard lock(mu_);
  if (closed_) return nullptr;
  std::shared_ptr<FanoutSubscriber> s(new FanoutSubscriber(max_bytes_));
  subscribers_.push_back(s);
  return s;
}

void PublicationFanout::Unsubscribe(const std::shared_ptr<FanoutSubscriber>& subscriber) {
  std::lock_guard lock(mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscriber),
                     subscribers_.end());
}

void PublicationFanout::Publish(const SharedFrame& frame) {
  std::lock_guard lock(mu_);
  ++stats_.frames;
  for (const auto& s : subscribers_) {
    if (s->Push(frame)) ++stats_.overflows;
  }
}

bool PublicationFanout::has_subscribers() const {
  std::lock_guard lock(mu_);
  return !subscribers_.empty();
}

std::size_t PublicationFanout::subscriber_count() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

FanoutStats PublicationFanout::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void PublicationFanout::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (const auto& s : subscribers_) s->Close();
  subscribers_.clear();
}

}  // namespace riskd::connectors
