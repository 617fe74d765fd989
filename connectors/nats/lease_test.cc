// The KV lease against a real nats-server: one holder at a time, a larger
// epoch for every term, hand-over after a lapse or a release, stepping down
// when the key changed under the holder, and the bucket's TTL checked.
#include "connectors/nats/lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "connectors/testing/nats_fixture.h"

namespace riskd::connectors::nats {
namespace {

using std::chrono::milliseconds;

class LeaseTest : public testing::NatsServerTest {
 protected:
  LeaseOptions Options(const std::string& holder, milliseconds ttl = milliseconds(1000)) {
    LeaseOptions o;
    o.bucket = TestName();
    o.holder = holder;
    o.ttl = ttl;
    o.renew_interval = ttl / 4;
    o.acquire_interval = milliseconds(50);
    o.replicas = 1;
    return o;
  }
  std::unique_ptr<Lease> Open(NatsConnection* c, const LeaseOptions& o) {
    auto lease = Lease::Open(c, o);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return lease.ok() ? std::move(*lease) : nullptr;
  }
};

bool WaitActive(const Lease& lease, milliseconds timeout = milliseconds(5000)) {
  return riskd::testing::WaitFor([&] { return lease.active(); }, timeout, milliseconds(10));
}

TEST_F(LeaseTest, OneHolderAtATimeAndEachTermHasALargerEpoch) {
  auto ca = Connect("a"), cb = Connect("b");
  auto a = Open(ca.get(), Options("a"));
  auto b = Open(cb.get(), Options("b"));
  ASSERT_TRUE(a && b);
  a->Start({});
  ASSERT_TRUE(WaitActive(*a));
  const std::uint64_t first = *a->CurrentEpoch();
  b->Start({});
  // Watch both fences through a's renewals and its crash (its thread stops
  // without releasing): never both granted at once.
  std::atomic<bool> watching{true};
  std::atomic<int> both{0}, samples{0};
  std::thread watcher([&] {
    while (watching) {
      if (a->CurrentEpoch() && b->CurrentEpoch()) both++;
      samples++;
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  std::this_thread::sleep_for(milliseconds(1500));  // six renewals
  EXPECT_TRUE(a->active());
  EXPECT_FALSE(b->active());
  EXPECT_GE(a->stats().renewals.load(), 2u);
  auto holder = b->Holder();
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->name, "a");
  EXPECT_GT((*holder)->revision, first);  // renewals move the revision, not the epoch
  EXPECT_EQ(*a->CurrentEpoch(), first);

  a->Stop(false);  // a crash: the lease lapses on the server after its ttl
  ASSERT_TRUE(WaitActive(*b));
  watching = false;
  watcher.join();
  EXPECT_GT(samples.load(), 100);
  EXPECT_EQ(both.load(), 0);
  EXPECT_FALSE(a->CurrentEpoch().has_value());
  EXPECT_GT(*b->CurrentEpoch(), (*holder)->revision);
  b->Stop(false);
}

TEST_F(LeaseTest, ReleaseHandsOverWithoutWaitingForTheTtl) {
  auto ca = Connect("a"), cb = Connect("b");
  // A long ttl: only a release explains a prompt take-over.
  auto a = Open(ca.get(), Options("a", milliseconds(20000)));
  auto b = Open(cb.get(), Options("b", milliseconds(20000)));
  std::vector<std::pair<std::uint64_t, std::string>> changes;
  std::mutex mu;
  a->Start({}, [&](std::uint64_t epoch, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu);
    changes.emplace_back(epoch, why);
  });
  ASSERT_TRUE(WaitActive(*a));
  const std::uint64_t epoch_a = *a->CurrentEpoch();
  b->Start({});
  a->Stop(true);
  ASSERT_TRUE(WaitActive(*b, milliseconds(5000)));
  EXPECT_GT(*b->CurrentEpoch(), epoch_a);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0], std::make_pair(epoch_a, std::string("acquired")));
  EXPECT_EQ(changes[1].first, 0u);
  EXPECT_NE(changes[1].second.find("released"), std::string::npos) << changes[1].second;
  b->Stop(true);
}

TEST_F(LeaseTest, WaitsUntilAllowedToAcquire) {
  auto c = Connect();
  auto a = Open(c.get(), Options("a"));
  std::atomic<bool> caught_up{false};
  a->Start([&] { return caught_up.load(); });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(a->active());
  caught_up = true;
  EXPECT_TRUE(WaitActive(*a));
  a->Stop(true);
}

TEST_F(LeaseTest, StepsDownWhenTheKeyChangedUnderIt) {
  auto c = Connect();
  auto a = Open(c.get(), Options("a", milliseconds(4000)));
  std::atomic<int> step_downs{0};
  std::string reason;
  std::mutex mu;
  a->Start({}, [&](std::uint64_t epoch, const std::string& why) {
    if (epoch != 0) return;
    std::lock_guard<std::mutex> lock(mu);
    reason = why;
    step_downs++;
  });
  ASSERT_TRUE(WaitActive(*a));
  // Another writer that ignores the protocol (an operator's `nats kv put`).
  kvStore* kv = nullptr;
  ASSERT_EQ(js_KeyValue(&kv, c->js(), TestName().c_str()), NATS_OK);
  ASSERT_EQ(kvStore_PutString(nullptr, kv, "active", "intruder"), NATS_OK);
  kvStore_Destroy(kv);
  ASSERT_TRUE(riskd::testing::WaitFor([&] { return step_downs.load() == 1; }, milliseconds(5000),
                                      milliseconds(10)));
  EXPECT_FALSE(a->active());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(reason.find("held by 'intruder'"), std::string::npos) << reason;
  a->Stop(false);
}

TEST_F(LeaseTest, RefusesABucketWithAnotherTtl) {
  auto c = Connect();
  ASSERT_TRUE(Open(c.get(), Options("a", milliseconds(1000))));
  auto other = Lease::Open(c.get(), Options("a", milliseconds(2000)));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("1000 ms"), std::string::npos)
      << other.status().ToString();
}

TEST_F(LeaseTest, RejectsBadOptions) {
  auto c = Connect();
  LeaseOptions o = Options("a");
  o.renew_interval = milliseconds(800);  // more than ttl/2
  EXPECT_EQ(Lease::Open(c.get(), o).status().code(), Status::Code::kInvalidArgument);
  o = Options("bad name");
  EXPECT_EQ(Lease::Open(c.get(), o).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace riskd::connectors::nats
