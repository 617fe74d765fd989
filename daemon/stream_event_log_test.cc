// The stream follower's counts against a real nats-server, the stream
// leader's answers scripted where one server cannot give them
// (ConsumerOptions::leader_lookup through StreamEventLog::Open).
#include "daemon/stream_event_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "connectors/store/journal.h"
#include "connectors/testing/nats_fixture.h"

namespace riskd::daemon {
namespace {

using connectors::nats::LeaderMessage;

class StreamEventLogTest : public connectors::nats::testing::NatsServerTest {
 protected:
  void SetUp() override {
    dir_ = riskd::testing::FreshTempDir(TestName());
    settings_.database = (dir_ / "journal.db").string();
    settings_.nats.enabled = true;
    settings_.nats.instance = "a";
    settings_.nats.stream = TestName();
    settings_.nats.subject = "events." + TestName();
    settings_.nats.replicas = 1;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Publishes `payload` on `subject`, which the stream stores at `seq`.
  static void Publish(connectors::nats::NatsConnection* c, const std::string& subject,
                      const std::string& payload, std::uint64_t seq) {
    jsPubAck* ack = nullptr;
    ASSERT_EQ(js_Publish(&ack, c->js(), subject.c_str(), payload.data(),
                         static_cast<int>(payload.size()), nullptr, nullptr),
              NATS_OK);
    ASSERT_EQ(ack->Sequence, seq);
    jsPubAck_Destroy(ack);
  }

  std::filesystem::path dir_;
  DaemonSettings settings_;
};

// Waits up to 10 s for `done`.
template <typename F>
bool WaitFor(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A stream shared with another subject: a, x, b at 1..3 (a and b not
// events riskd applies: skipped, which is enough to count jumps). The
// leader's first answer from 2 is another message at 3 (a replica that
// diverged): the jump is not taken, counted in jump_mismatches (the
// metric riskd_stream_jump_mismatches_total), and b is read from the
// re-created consumer, no refusal. Then c, y, d at 4..6: the leader
// confirms that jump, counted in jumps_taken, and no more mismatches.
// Then e at 7: while the leader is asked about it (the batch's end; one
// message a batch), f and g are stored at 8 and 9 and f's delivery is lost
// on the way (another subscription to the follower's consumer takes it):
// the jump to g is contradicted by the leader (it holds f first) past a
// lost delivery, counted in lost_deliveries (the metric
// riskd_stream_lost_deliveries_total), not as a mismatch, and f and g are
// read from the re-created consumer.
TEST_F(StreamEventLogTest, CountsTheJumpsTheLeaderContradicts) {
  settings_.max_batch = 1;  // the follower's fetches: one message each
  auto c = Connect();
  const std::string subject = settings_.nats.subject;
  const std::string other = "other." + TestName();
  ASSERT_NO_FATAL_FAILURE(AddStream(c.get(), settings_.nats.stream, {subject, other}));
  // Not a riskd.v1.Envelope (wire type 7 does not exist): rejected.
  const std::string invalid = "\x0f";
  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), subject, invalid, 1));
  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), other, "x", 2));
  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), subject, invalid, 3));
  std::atomic<int> asked_from_2{0};
  std::atomic<int> asked_from_7{0};
  auto lookup = [&](std::uint64_t from) -> Result<std::optional<LeaderMessage>> {
    if (from == 2 && asked_from_2++ == 0) {
      return std::optional<LeaderMessage>(LeaderMessage{3, "", "another"});
    }
    if (from == 7 && asked_from_7++ == 0) {
      // The follower thread, between two fetches: no pull of its pending.
      Publish(c.get(), subject, invalid, 8);
      Publish(c.get(), subject, invalid, 9);
      LoseOneDelivery(c.get(), settings_.nats.stream, subject, settings_.nats.durable(), 8);
    }
    return connectors::nats::RequestLeaderFirstFrom(*c, settings_.nats.stream, subject, from,
                                                    nullptr);
  };
  auto mirror = connectors::Journal::Open(settings_.database);
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  auto log = StreamEventLog::Open(settings_, c.get(), mirror->get(), engine::Network(), lookup);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  zmq::context_t context;
  (*log)->Start(&context, std::nullopt);
  const StreamFollowerStats& stats = (*log)->stats();
  EXPECT_TRUE(WaitFor([&] { return stats.read_seq.load() == 3; })) << stats.read_seq.load();
  EXPECT_EQ(stats.jump_mismatches.load(), 1u);
  EXPECT_EQ(stats.jumps_taken.load(), 0u);
  EXPECT_EQ(stats.reads_refused.load(), 0u);
  EXPECT_EQ(stats.rejected.load(), 2u);

  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), subject, invalid, 4));
  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), other, "y", 5));
  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), subject, invalid, 6));
  EXPECT_TRUE(WaitFor([&] { return stats.read_seq.load() == 6; })) << stats.read_seq.load();
  // (Counted after the fetch that took it.)
  EXPECT_TRUE(WaitFor([&] { return stats.jumps_taken.load() == 1; })) << stats.jumps_taken.load();
  EXPECT_EQ(stats.jump_mismatches.load(), 1u);
  EXPECT_EQ(stats.reads_refused.load(), 0u);
  EXPECT_EQ(stats.rejected.load(), 4u);
  EXPECT_EQ(stats.lost_deliveries.load(), 0u);

  ASSERT_NO_FATAL_FAILURE(Publish(c.get(), subject, invalid, 7));
  EXPECT_TRUE(WaitFor([&] { return stats.read_seq.load() == 9; })) << stats.read_seq.load();
  EXPECT_TRUE(WaitFor([&] { return stats.lost_deliveries.load() == 1; }))
      << stats.lost_deliveries.load();
  EXPECT_EQ(asked_from_7.load(), 1);
  EXPECT_EQ(stats.jump_mismatches.load(), 1u);
  EXPECT_EQ(stats.jumps_taken.load(), 1u);
  EXPECT_EQ(stats.reads_refused.load(), 0u);
  EXPECT_EQ(stats.rejected.load(), 7u);
  (*log)->Stop();
}

}  // namespace
}  // namespace riskd::daemon
