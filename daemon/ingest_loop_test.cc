// The ingest loop with the engine thread's end of its channels held by the
// test: events journaled (in a log kept in memory) and queued to an engine
// that has not applied them yet, which a real engine thread cannot be held
// at deterministically.
#include "daemon/ingest_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/pipeline.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::daemon {
namespace {

// A journal in memory: every event appended gets the next sequence.
class MemoryLog final : public EventLog {
 public:
  Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id) override {
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == event_id) return std::optional<std::uint64_t>(i + 1);
    }
    return std::optional<std::uint64_t>();
  }
  // No test here sends a duplicate.
  Result<std::optional<std::string>> Payload(std::uint64_t) override {
    return std::optional<std::string>();
  }
  Result<std::vector<connectors::AppendResult>> Append(
      std::span<const connectors::JournalEntry> entries) override {
    std::vector<connectors::AppendResult> out;
    for (const auto& e : entries) {
      ids_.push_back(e.event_id);
      out.push_back({ids_.size(), false});
    }
    last_seq_.store(ids_.size());
    return out;
  }
  bool ingest_feeds_engine() const override { return true; }
  std::uint64_t last_seq() const override { return last_seq_.load(); }

 private:
  std::vector<std::string> ids_;  // the ingest thread's
  std::atomic<std::uint64_t> last_seq_{0};
};

riskd::v1::Ack Send(zmq::socket_t& client, const riskd::v1::Envelope& env) {
  const std::string bytes = env.SerializeAsString();
  client.send(zmq::buffer(bytes), zmq::send_flags::none);
  zmq::message_t reply;
  riskd::v1::Ack ack;
  if (client.recv(reply, zmq::recv_flags::none)) {
    EXPECT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
  }
  return ack;
}

// Three events journaled, the engine (the test) has applied the first
// only: a status query, answered by the socket thread at once, reports
// both sequences, and its Ack's journal_seq is, as for every query, what
// the engine has applied (1), not the journal's last (3).
TEST(IngestLoopTest, AStatusAckCarriesTheAppliedSeqNotTheJournals) {
  zmq::context_t context;
  // The engine thread's ends: events queued to it, its replies.
  zmq::socket_t engine_events(context, zmq::socket_type::pull);
  engine_events.set(zmq::sockopt::linger, 0);
  engine_events.bind(kEventsEndpoint);
  zmq::socket_t engine_replies(context, zmq::socket_type::push);
  engine_replies.set(zmq::sockopt::linger, 0);
  engine_replies.bind(kRepliesEndpoint);

  DaemonSettings settings;
  settings.ingest_endpoint = "inproc://ingest-loop-test";
  MemoryLog log;
  IncidentIds incidents;
  std::atomic<std::uint64_t> engine_done{0};
  std::atomic<std::uint64_t> applied{0};
  std::atomic<bool> stop{false};
  {
    IngestLoop loop(&settings, &log, connectors::NodeDirectory(), &incidents);
    ASSERT_TRUE(loop.Bind(&context, &engine_done, nullptr).ok());
    // As Daemon::MakeStatus.
    loop.SetStatusSource([&] {
      riskd::v1::DaemonStatus st;
      st.set_engine_applied_seq(applied.load());
      st.set_journal_last_seq(log.last_seq());
      return st;
    });
    std::thread serving([&] { loop.Run(&stop, [] {}); });

    zmq::socket_t client(context, zmq::socket_type::req);
    client.set(zmq::sockopt::linger, 0);
    client.connect(settings.ingest_endpoint);
    for (int i = 1; i <= 3; ++i) {
      riskd::v1::Envelope add;
      add.set_event_id("add-" + std::to_string(i));
      add.mutable_network_change()->mutable_add_node()->set_id("N" + std::to_string(i));
      const auto ack = Send(client, add);
      EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_ACCEPTED) << ack.reason();
      EXPECT_EQ(ack.journal_seq(), static_cast<std::uint64_t>(i));
    }
    // The engine takes the first event off its queue and applies it.
    zmq::message_t frame;
    ASSERT_TRUE(engine_events.recv(frame, zmq::recv_flags::none));
    applied.store(1);

    riskd::v1::Envelope query;
    query.set_event_id("status");
    query.mutable_query()->mutable_status();
    const auto ack = Send(client, query);
    EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_ACCEPTED) << ack.reason();
    EXPECT_EQ(ack.response().status().journal_last_seq(), 3u);
    EXPECT_EQ(ack.response().status().engine_applied_seq(), 1u);
    EXPECT_EQ(ack.journal_seq(), 1u);

    stop.store(true);
    serving.join();
  }
}

}  // namespace
}  // namespace riskd::daemon
