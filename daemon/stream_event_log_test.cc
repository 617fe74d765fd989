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
TEST_F(StreamEventLogTest, CountsTheJumpsTheLeaderContradicts) {
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
  auto lookup = [&](std::uint64_t from) -> Result<std::optional<LeaderMessage>> {
    if (from == 2 && asked_from_2++ == 0) {
      return std::optional<LeaderMessage>(LeaderMessage{3, "", "another"});
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
  (*log)->Stop();
}

}  // namespace
}  // namespace riskd::daemon
