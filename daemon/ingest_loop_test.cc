// The ingest loop with the engine thread's end of its channels held by the
// test: events journaled (in a log kept in memory) and queued to an engine
// that has not applied them yet, which a real engine thread cannot be held
// at deterministically.
#include "daemon/ingest_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
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
  // From now on every look-up fails with `why` (set before the loop runs).
  void FailLookUps(Status why) { lookup_error_ = std::move(why); }
  Result<std::optional<std::uint64_t>> Lookup(const std::string& event_id) override {
    if (!lookup_error_.ok()) return lookup_error_;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == event_id) return std::optional<std::uint64_t>(i + 1);
    }
    return std::optional<std::uint64_t>();
  }
  // Bodies are not kept: a duplicate is answered without the hint.
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
  Status lookup_error_;
};

riskd::v1::Ack ReceiveAck(zmq::socket_t& client) {
  zmq::message_t reply;
  riskd::v1::Ack ack;
  if (client.recv(reply, zmq::recv_flags::none)) {
    EXPECT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
  }
  return ack;
}

void SendOnly(zmq::socket_t& client, const riskd::v1::Envelope& env) {
  const std::string bytes = env.SerializeAsString();
  client.send(zmq::buffer(bytes), zmq::send_flags::none);
}

// Over a REQ or DEALER socket: the request and its ack.
riskd::v1::Ack Send(zmq::socket_t& client, const riskd::v1::Envelope& env) {
  SendOnly(client, env);
  return ReceiveAck(client);
}

// An ingest loop on an inproc endpoint, with the engine thread's ends of
// its channels held by the test (nothing is applied unless a test does).
class IngestLoopTest : public ::testing::Test {
 protected:
  IngestLoopTest() {
    engine_events_.set(zmq::sockopt::linger, 0);
    engine_events_.bind(kEventsEndpoint);
    engine_replies_.set(zmq::sockopt::linger, 0);
    engine_replies_.bind(kRepliesEndpoint);
    settings_.ingest_endpoint = "inproc://ingest-loop-test";
  }
  ~IngestLoopTest() override { StopServing(); }

  // Binds the loop (set its sources before Serve()).
  IngestLoop& Bind() {
    loop_ =
        std::make_unique<IngestLoop>(&settings_, &log_, connectors::NodeDirectory(), &incidents_);
    EXPECT_TRUE(loop_->Bind(&context_, &engine_done_, nullptr).ok());
    return *loop_;
  }
  void Serve() {
    serving_ = std::thread([this] { loop_->Run(&stop_, [] {}); });
  }
  void StopServing() {
    stop_.store(true);
    if (serving_.joinable()) serving_.join();
  }
  zmq::socket_t Connect(zmq::socket_type type) {
    zmq::socket_t client(context_, type);
    client.set(zmq::sockopt::linger, 0);
    client.connect(settings_.ingest_endpoint);
    return client;
  }

  zmq::context_t context_;
  // The engine thread's ends: events queued to it, its replies.
  zmq::socket_t engine_events_{context_, zmq::socket_type::pull};
  zmq::socket_t engine_replies_{context_, zmq::socket_type::push};
  DaemonSettings settings_;
  MemoryLog log_;
  IncidentIds incidents_;
  std::atomic<std::uint64_t> engine_done_{0};
  std::atomic<bool> stop_{false};
  std::unique_ptr<IngestLoop> loop_;
  std::thread serving_;
};

riskd::v1::Envelope AddNode(const std::string& event_id, const std::string& node) {
  riskd::v1::Envelope add;
  add.set_event_id(event_id);
  add.mutable_network_change()->mutable_add_node()->set_id(node);
  return add;
}

riskd::v1::Envelope StatusQuery() {
  riskd::v1::Envelope query;
  query.set_event_id("status");
  query.mutable_query()->mutable_status();
  return query;
}

std::uint64_t Rejected(const IngestStats& stats, Status::Code code) {
  return stats.rejected_by_code[static_cast<std::size_t>(code)].load();
}

// Three events journaled, the engine (the test) has applied the first
// only: a status query, answered by the socket thread at once, reports
// both sequences, and its Ack's journal_seq is, as for every query, what
// the engine has applied (1), not the journal's last (3).
TEST_F(IngestLoopTest, AStatusAckCarriesTheAppliedSeqNotTheJournals) {
  std::atomic<std::uint64_t> applied{0};
  IngestLoop& loop = Bind();
  // As Daemon::MakeStatus.
  loop.SetStatusSource([&] {
    riskd::v1::DaemonStatus st;
    st.set_engine_applied_seq(applied.load());
    st.set_journal_last_seq(log_.last_seq());
    return st;
  });
  Serve();

  zmq::socket_t client = Connect(zmq::socket_type::req);
  for (int i = 1; i <= 3; ++i) {
    const auto ack = Send(client, AddNode("add-" + std::to_string(i), "N" + std::to_string(i)));
    EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_ACCEPTED) << ack.reason();
    EXPECT_EQ(ack.journal_seq(), static_cast<std::uint64_t>(i));
  }
  // The engine takes the first event off its queue and applies it.
  zmq::message_t frame;
  ASSERT_TRUE(engine_events_.recv(frame, zmq::recv_flags::none));
  applied.store(1);

  const auto ack = Send(client, StatusQuery());
  EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_ACCEPTED) << ack.reason();
  EXPECT_EQ(ack.response().status().journal_last_seq(), 3u);
  EXPECT_EQ(ack.response().status().engine_applied_seq(), 1u);
  EXPECT_EQ(ack.journal_seq(), 1u);
}

// Without a status source (the daemon always sets one) a status query is
// refused unavailable, counted as a query and as a refusal.
TEST_F(IngestLoopTest, AStatusQueryWithoutASourceIsRefusedUnavailable) {
  IngestLoop& loop = Bind();
  Serve();
  zmq::socket_t client = Connect(zmq::socket_type::req);
  const auto ack = Send(client, StatusQuery());
  EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_REJECTED);
  EXPECT_EQ(ack.reason(), "unavailable: query.status: not available");
  EXPECT_EQ(ack.event_id(), "status");
  EXPECT_FALSE(ack.has_response());
  EXPECT_EQ(loop.stats().queries.load(), 1u);
  EXPECT_EQ(loop.stats().rejected.load(), 1u);
  EXPECT_EQ(Rejected(loop.stats(), Status::Code::kUnavailable), 1u);
}

// A journal that cannot say whether it holds an id: the event is refused
// with the journal's error (not journaled, not validated first), and
// counted under its code.
TEST_F(IngestLoopTest, AnEventWhoseIdTheJournalCannotLookUpIsRefusedWithItsError) {
  log_.FailLookUps(Status::Unavailable("the test's journal cannot look ids up"));
  IngestLoop& loop = Bind();
  Serve();
  zmq::socket_t client = Connect(zmq::socket_type::req);
  const auto ack = Send(client, AddNode("add", "N1"));
  EXPECT_EQ(ack.result(), riskd::v1::Ack::RESULT_REJECTED);
  EXPECT_EQ(ack.reason(), "unavailable: the test's journal cannot look ids up");
  EXPECT_EQ(ack.journal_seq(), 0u);
  EXPECT_EQ(log_.last_seq(), 0u);
  EXPECT_EQ(loop.stats().rejected.load(), 1u);
  EXPECT_EQ(Rejected(loop.stats(), Status::Code::kUnavailable), 1u);
  EXPECT_EQ(loop.stats().accepted.load(), 0u);
}

// Four requests queued before the loop serves, so read as one batch: an
// id staged earlier in the batch is answered DUPLICATE with its seq
// before any validation (a retried add_node that would no longer
// validate; another event under the same id, with the reason saying so),
// and a network change applies to the directory at once (another id
// adding the same node is refused). The same id in a later batch is the
// journal's duplicate (this journal keeps no bodies: no reason).
TEST_F(IngestLoopTest, AnIdStagedEarlierInTheBatchIsAnsweredAsItsDuplicate) {
  IngestLoop& loop = Bind();
  zmq::socket_t client = Connect(zmq::socket_type::dealer);
  const std::vector<riskd::v1::Envelope> batch = {AddNode("add", "N1"), AddNode("add", "N1"),
                                                  AddNode("add", "N2"), AddNode("again", "N1")};
  for (const auto& env : batch) SendOnly(client, env);
  Serve();
  std::vector<riskd::v1::Ack> acks;
  for (std::size_t k = 0; k < batch.size(); ++k) acks.push_back(ReceiveAck(client));
  EXPECT_EQ(loop.stats().batches.load(), 1u);
  EXPECT_EQ(acks[0].result(), riskd::v1::Ack::RESULT_ACCEPTED) << acks[0].reason();
  EXPECT_EQ(acks[0].journal_seq(), 1u);
  EXPECT_EQ(acks[1].result(), riskd::v1::Ack::RESULT_DUPLICATE) << acks[1].reason();
  EXPECT_EQ(acks[1].journal_seq(), 1u);
  EXPECT_EQ(acks[1].reason(), "");
  EXPECT_EQ(acks[2].result(), riskd::v1::Ack::RESULT_DUPLICATE) << acks[2].reason();
  EXPECT_EQ(acks[2].journal_seq(), 1u);
  EXPECT_EQ(acks[2].reason(),
            "already_exists: event_id 'add' was journaled with a different body; this envelope "
            "changed nothing (a new event needs a new event_id)");
  EXPECT_EQ(acks[3].result(), riskd::v1::Ack::RESULT_REJECTED);
  EXPECT_EQ(acks[3].reason(),
            "already_exists: network_change.add_node.id: node 'N1' already exists");
  EXPECT_EQ(log_.last_seq(), 1u);
  EXPECT_EQ(loop.stats().accepted.load(), 1u);
  EXPECT_EQ(loop.stats().duplicates.load(), 2u);
  EXPECT_EQ(loop.stats().rejected.load(), 1u);

  const auto later = Send(client, AddNode("add", "N1"));
  EXPECT_EQ(later.result(), riskd::v1::Ack::RESULT_DUPLICATE) << later.reason();
  EXPECT_EQ(later.journal_seq(), 1u);
  EXPECT_EQ(later.reason(), "");
  EXPECT_EQ(loop.stats().duplicates.load(), 3u);
}

}  // namespace
}  // namespace riskd::daemon
