// Lease: active/standby election on a replicated NATS KV bucket, run by its
// own thread.
//
// The active instance holds `key` in `bucket` (value: its name). The bucket
// keeps one revision per key and expires entries `ttl` after they are
// written, so a lease that is not renewed lapses on the server. The active
// instance renews every renew_interval with an update that succeeds only if
// the key is still at the revision it last wrote (revision-checked); a
// standby tries to create the key every acquire_interval, which succeeds
// only once the key is gone (lapsed or released).
//
// Fencing: the revision at which an instance acquired the lease is its
// epoch; revisions only grow, so every term has a larger epoch than all
// before it, and no two terms share one. CurrentEpoch() grants the epoch only
// until the local deadline: the time the last successful renewal was *sent*
// plus ttl minus a margin of ttl/10. The server expires the key no earlier
// than ttl after it received that renewal, so an instance stops publishing
// before any other can acquire; one that is frozen (SIGSTOP, a stalled VM)
// finds its deadline passed when it resumes. A renewal that fails with the
// server unreachable is retried until the deadline; one that finds another
// holder steps down at once.
//
// Thread-safety and ownership: CurrentEpoch(), active() and the stats
// (atomics) from any thread; Start/Stop from one thread (the daemon's main
// thread). The election thread alone writes revision_ and calls
// may_acquire() and on_change() (so they must be safe to run there);
// epoch_ and deadline_ns_ are atomics it publishes, the deadline stored
// before the epoch. Holder() and the release after Stop() use the KV handle
// from the caller's thread, which the C client allows (its kvStore is
// thread-safe); Release() runs only once the election thread is joined.
#ifndef RISKD_CONNECTORS_NATS_LEASE_H_
#define RISKD_CONNECTORS_NATS_LEASE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "connectors/nats/nats_connection.h"
#include "connectors/zmq/publisher.h"

namespace riskd::connectors::nats {

struct LeaseOptions {
  std::string bucket = "riskd_lease";
  std::string key = "active";
  // This instance's name, stored as the value. Required.
  std::string holder;
  std::chrono::milliseconds ttl{10000};
  std::chrono::milliseconds renew_interval{3333};
  std::chrono::milliseconds acquire_interval{250};
  // Replicas of the bucket when it is created here.
  int replicas = 3;
};

struct LeaseHolder {
  std::string name;
  std::uint64_t revision = 0;
};

struct LeaseStats {
  std::atomic<std::uint64_t> acquisitions{0};
  std::atomic<std::uint64_t> renewals{0};
  std::atomic<std::uint64_t> renew_failures{0};  // server unreachable or slow
  std::atomic<std::uint64_t> losses{0};          // stepped down
};

class Lease final : public PublicationFence {
 public:
  // Creates the bucket if missing (or checks its TTL); does not start.
  static Result<std::unique_ptr<Lease>> Open(const NatsConnection* connection,
                                             LeaseOptions options);
  ~Lease() override;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Starts the election thread. It tries to acquire only while
  // `may_acquire()` is true (e.g. once the instance has caught up with the
  // stream); `on_change(epoch, why)` runs on that thread whenever the
  // instance becomes active (epoch > 0) or stops being active (0, and why).
  using ChangeCallback = std::function<void(std::uint64_t epoch, const std::string& why)>;
  void Start(std::function<bool()> may_acquire, ChangeCallback on_change = {});
  // Stops the thread; with `release`, an active instance deletes its key
  // (revision-checked) so a standby takes over at once.
  void Stop(bool release);

  // Who holds the lease now, as the server says (none: nullopt).
  Result<std::optional<LeaseHolder>> Holder() const;

  std::optional<std::uint64_t> CurrentEpoch() const override;
  bool active() const { return CurrentEpoch().has_value(); }
  const LeaseStats& stats() const { return stats_; }
  const LeaseOptions& options() const { return options_; }

 private:
  explicit Lease(LeaseOptions options) : options_(std::move(options)) {}
  void Run();
  // One step; returns when the next one is due.
  std::chrono::steady_clock::time_point Step(std::chrono::steady_clock::time_point now);
  void BecomeActive(std::uint64_t revision, std::chrono::steady_clock::time_point sent);
  void StepDown(const std::string& why);
  void Release();

  LeaseOptions options_;
  jsCtx* js_ = nullptr;  // requests wait at most ttl/4
  kvStore* kv_ = nullptr;
  std::function<bool()> may_acquire_;
  ChangeCallback on_change_;

  // Written by the election thread only.
  std::uint64_t revision_ = 0;  // last revision written while active
  // Read by any thread: the epoch (0: standby) and its deadline (steady
  // clock, ns since its epoch).
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::int64_t> deadline_ns_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  LeaseStats stats_;
};

}  // namespace riskd::connectors::nats

#endif  // RISKD_CONNECTORS_NATS_LEASE_H_
