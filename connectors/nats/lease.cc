#include "connectors/nats/lease.h"

#include <algorithm>

namespace riskd::connectors::nats {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t ToNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<Lease>> Lease::Open(const NatsConnection* connection, LeaseOptions options) {
  if (!IsNatsName(options.bucket) || !IsNatsName(options.key) || !IsNatsName(options.holder)) {
    return Status::InvalidArgument(
        "nats lease: bucket, key and holder must match [A-Za-z0-9_-]{1,64}");
  }
  if (options.ttl < std::chrono::seconds(1) ||
      options.renew_interval <= std::chrono::milliseconds(0) ||
      options.renew_interval * 2 > options.ttl ||
      options.acquire_interval <= std::chrono::milliseconds(0)) {
    return Status::InvalidArgument(
        "nats lease: need ttl >= 1 s, 0 < renew_interval <= ttl/2, acquire_interval > 0");
  }
  std::unique_ptr<Lease> lease(new Lease(std::move(options)));
  const LeaseOptions& o = lease->options_;
  // Lease requests wait at most a quarter of the ttl: a renewal stuck
  // longer is better retried.
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = std::clamp<std::int64_t>(o.ttl.count() / 4, 200, connection->timeout().count());
  auto js = connection->NewJetStream(&jo);
  if (!js.ok()) return js.status();
  lease->js_ = *js;
  const std::string stream = "KV_" + o.bucket;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, connection->js(), stream.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    const std::int64_t max_age = info->Config->MaxAge;
    jsStreamInfo_Destroy(info);
    const auto want = std::chrono::nanoseconds(o.ttl).count();
    if (max_age != want) {
      return Status::FailedPrecondition(
          "nats lease: bucket '" + o.bucket + "' expires entries after " +
          std::to_string(max_age / 1000000) + " ms, but nats.lease.ttl is " +
          std::to_string(o.ttl.count()) + " ms (delete the bucket or match the ttl)");
    }
  } else if (code == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = o.bucket.c_str();
    config.History = 1;
    config.TTL = std::chrono::nanoseconds(o.ttl).count();
    config.Replicas = o.replicas;
    config.StorageType = js_FileStorage;
    // Creating a replicated bucket takes the full timeout, not ttl/4.
    kvStore* created = nullptr;
    s = js_CreateKeyValue(&created, connection->js(), &config);
    kvStore_Destroy(created);
    if (s != NATS_OK) {
      return NatsError("nats lease: cannot create bucket '" + o.bucket + "' (" +
                           std::to_string(o.replicas) + " replica(s))",
                       s);
    }
  } else {
    return NatsError("nats lease: bucket '" + o.bucket + "' info", s, code);
  }
  s = js_KeyValue(&lease->kv_, lease->js_, o.bucket.c_str());
  if (s != NATS_OK) return NatsError("nats lease: bucket '" + o.bucket + "'", s);
  return lease;
}

Lease::~Lease() {
  Stop(false);
  kvStore_Destroy(kv_);
  jsCtx_Destroy(js_);
}

void Lease::Start(std::function<bool()> may_acquire, ChangeCallback on_change) {
  may_acquire_ = may_acquire ? std::move(may_acquire) : [] { return true; };
  on_change_ = std::move(on_change);
  thread_ = std::thread([this] { Run(); });
}

void Lease::Stop(bool release) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (release && epoch_.load() != 0) Release();
}

std::optional<std::uint64_t> Lease::CurrentEpoch() const {
  const std::uint64_t epoch = epoch_.load(std::memory_order_acquire);
  if (epoch == 0 || ToNs(Clock::now()) >= deadline_ns_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  return epoch;
}

void Lease::BecomeActive(std::uint64_t revision, Clock::time_point sent) {
  revision_ = revision;
  deadline_ns_.store(ToNs(sent + options_.ttl - options_.ttl / 10), std::memory_order_release);
  epoch_.store(revision, std::memory_order_release);
  stats_.acquisitions.fetch_add(1, std::memory_order_relaxed);
  if (on_change_) on_change_(revision, "acquired");
}

void Lease::StepDown(const std::string& why) {
  const std::uint64_t epoch = epoch_.exchange(0, std::memory_order_acq_rel);
  if (epoch == 0) return;
  stats_.losses.fetch_add(1, std::memory_order_relaxed);
  if (on_change_) on_change_(0, why);
}

Clock::time_point Lease::Step(Clock::time_point now) {
  const std::string& holder = options_.holder;
  const int len = static_cast<int>(holder.size());
  if (epoch_.load(std::memory_order_acquire) == 0) {
    if (!may_acquire_()) return now + options_.acquire_interval;
    std::uint64_t revision = 0;
    if (kvStore_Create(&revision, kv_, options_.key.c_str(), holder.data(), len) == NATS_OK) {
      BecomeActive(revision, now);
      return now + options_.renew_interval;
    }
    return now + options_.acquire_interval;
  }
  if (ToNs(now) >= deadline_ns_.load(std::memory_order_acquire)) {
    StepDown("could not renew the lease within its ttl");
    return now + options_.acquire_interval;
  }
  std::uint64_t revision = 0;
  if (kvStore_Update(&revision, kv_, options_.key.c_str(), holder.data(), len, revision_) ==
      NATS_OK) {
    revision_ = revision;
    deadline_ns_.store(ToNs(now + options_.ttl - options_.ttl / 10), std::memory_order_release);
    stats_.renewals.fetch_add(1, std::memory_order_relaxed);
    return now + options_.renew_interval;
  }
  // Who holds the key now?
  kvEntry* entry = nullptr;
  const natsStatus got = kvStore_Get(&entry, kv_, options_.key.c_str());
  if (got == NATS_OK) {
    const std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                            static_cast<std::size_t>(kvEntry_ValueLen(entry)));
    const std::uint64_t at = kvEntry_Revision(entry);
    kvEntry_Destroy(entry);
    if (value != holder) {
      StepDown("the lease is held by '" + value + "' (revision " + std::to_string(at) + ")");
      return now + options_.acquire_interval;
    }
    // Our own value at a newer revision: an earlier renewal was stored but
    // its reply lost. Renew from there (the deadline stays as it was).
    if (at > revision_) revision_ = at;
  } else if (got == NATS_NOT_FOUND) {
    StepDown("the lease expired on the server");
    return now + options_.acquire_interval;
  }
  stats_.renew_failures.fetch_add(1, std::memory_order_relaxed);
  return now + std::min(options_.renew_interval, options_.acquire_interval);
}

Result<std::optional<LeaseHolder>> Lease::Holder() const {
  kvEntry* entry = nullptr;
  const natsStatus s = kvStore_Get(&entry, kv_, options_.key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<LeaseHolder>();
  if (s != NATS_OK) return NatsError("nats lease: get '" + options_.key + "'", s);
  LeaseHolder h{std::string(static_cast<const char*>(kvEntry_Value(entry)),
                            static_cast<std::size_t>(kvEntry_ValueLen(entry))),
                kvEntry_Revision(entry)};
  kvEntry_Destroy(entry);
  return std::optional<LeaseHolder>(std::move(h));
}

void Lease::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    auto next = Step(Clock::now());
    if (epoch_.load(std::memory_order_acquire) != 0) {
      // Wake at the deadline too, to step down on time.
      next = std::min(next, Clock::time_point(std::chrono::nanoseconds(deadline_ns_.load())));
    }
    lock.lock();
    cv_.wait_until(lock, next, [this] { return stop_; });
  }
}

void Lease::Release() {
  const std::uint64_t epoch = epoch_.exchange(0, std::memory_order_acq_rel);
  // A delete marker, only if the key is still at our revision: the next
  // create replaces it at once.
  const std::string subject = "$KV." + options_.bucket + "." + options_.key;
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, nullptr, 0);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "KV-Operation", "DEL");
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectLastSubjectSeq = revision_;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(nullptr, js_, msg, &po, &code);
  natsMsg_Destroy(msg);
  if (on_change_) {
    on_change_(0, s == NATS_OK ? "released (epoch " + std::to_string(epoch) + ")"
                               : "release failed, the lease lapses after its ttl: " +
                                     NatsError("release", s, code).message());
  }
}

}  // namespace riskd::connectors::nats
