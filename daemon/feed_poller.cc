#include "daemon/feed_poller.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <sstream>

#include "connectors/feeds/feed_factory.h"
#include "connectors/feeds/feed_fetch.h"
#include "connectors/feeds/feed_sender.h"
#include "connectors/importers/importer.h"
#include "daemon/config_duration.h"
#include "daemon/log_text.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {
namespace {

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("file://", 0) == 0;
}

Result<std::string> ReadDocument(const std::string& location) {
  if (IsUrl(location)) return connectors::FetchUrl(location);
  std::ifstream in(location, std::ios::binary);
  if (!in) return Status::NotFound("cannot open '" + location + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::unique_ptr<FeedPoller>> FeedPoller::Create(const DaemonSettings& settings,
                                                       zmq::context_t* context) {
  std::unique_ptr<FeedPoller> poller(new FeedPoller(context));
  std::set<std::string> names;
  for (const auto& fc : settings.config.feeds()) {
    const std::string where = "feeds '" + fc.name() + "'";
    if (fc.name().empty() || fc.name().size() > 64) {
      return Status::InvalidArgument("config: feeds: name must be 1..64 characters");
    }
    if (!names.insert(fc.name()).second) {
      return Status::InvalidArgument("config: " + where + " is defined twice");
    }
    if (fc.url().empty()) return Status::InvalidArgument("config: " + where + ": url is required");
    auto adapter = connectors::MakeFeedAdapter(fc, "feed:" + fc.name());
    if (!adapter.ok()) return adapter.status().WithContext("config: " + where);
    Feed feed;
    feed.name = fc.name();
    feed.location =
        IsUrl(fc.url()) ? fc.url() : connectors::ResolvePath(settings.config_dir, fc.url());
    feed.adapter = std::move(*adapter);
    feed.interval = SaturatedMillis(fc.poll_interval());
    if (feed.interval.count() < 0) {
      return Status::InvalidArgument("config: " + where + ": poll_interval must be >= 0");
    }
    poller->feeds_.push_back(std::move(feed));
  }
  return poller;
}

FeedPoller::~FeedPoller() { Stop(); }

void FeedPoller::Start(std::optional<connectors::CurveClientKeys> curve) {
  if (feeds_.empty() || thread_.joinable()) return;
  curve_ = std::move(curve);
  const auto now = std::chrono::steady_clock::now();
  for (auto& f : feeds_) f.due = now;
  thread_ = std::thread([this] { Run(); });
}

void FeedPoller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FeedPoller::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::hours(24);
    for (auto& feed : feeds_) {
      if (feed.done) continue;
      if (feed.due <= now) {
        lock.unlock();
        PollOnce(feed);
        lock.lock();
        if (stop_) return;
        if (feed.interval.count() == 0) {
          feed.done = true;
          continue;
        }
        feed.due = std::chrono::steady_clock::now() + feed.interval;
      }
      next = std::min(next, feed.due);
    }
    wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

void FeedPoller::PollOnce(Feed& feed) {
  stats_.polls.fetch_add(1, std::memory_order_relaxed);
  auto document = ReadDocument(feed.location);
  if (!document.ok()) {
    stats_.read_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("feed {}: {}", feed.name, LogSafe(document.status().ToString()));
    return;
  }
  auto batch = feed.adapter->Parse(*document);
  if (!batch.ok()) {
    stats_.read_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("feed {}: {}", feed.name, LogSafe(batch.status().ToString()));
    return;
  }
  for (const auto& issue : batch->rejected) {
    spdlog::warn("feed {}: entry {} ({}) rejected: {}", feed.name, issue.index,
                 LogSafe(issue.feed_id), LogSafe(issue.reason));
  }
  const auto fresh = feed.seen.Unseen(batch->envelopes);
  if (fresh.empty()) return;
  connectors::FeedSender::Options options;
  options.endpoint = kInprocIngestEndpoint;
  options.context = context_;
  options.curve = curve_;
  options.ack_timeout = std::chrono::milliseconds(1000);
  options.max_attempts = 2;
  options.window = 64;
  using R = connectors::SendOutcome::Result;
  auto totals = connectors::FeedSender(options).Send(fresh, [&](const connectors::SendOutcome& o) {
    if (o.result == R::kAccepted || o.result == R::kDuplicate) feed.seen.Insert(o.event_id);
    if (o.result == R::kRejected) {
      spdlog::warn("feed {}: {} rejected by ingest: {}", feed.name, LogSafe(o.event_id),
                   LogSafe(o.reason));
    }
  });
  if (!totals.ok()) {
    spdlog::warn("feed {}: {}", feed.name, LogSafe(totals.status().ToString()));
    return;
  }
  stats_.accepted.fetch_add(totals->accepted, std::memory_order_relaxed);
  stats_.duplicates.fetch_add(totals->duplicate, std::memory_order_relaxed);
  stats_.rejected.fetch_add(totals->rejected, std::memory_order_relaxed);
  spdlog::info(
      "feed {}: {} entries, {} new: {} accepted, {} duplicate, {} rejected, {} unanswered; "
      "{} malformed, {} skipped",
      feed.name, batch->entries, fresh.size(), totals->accepted, totals->duplicate,
      totals->rejected, totals->unanswered, batch->rejected.size(), batch->skipped.size());
}

}  // namespace riskd::daemon
