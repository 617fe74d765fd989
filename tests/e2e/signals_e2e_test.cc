// Signals against the real daemon: what operators do to it (reload, stop)
// while it is busy must never lose an event it committed.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <thread>

#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

Envelope StatusEvent(int i) {
  const auto& nodes = DemoNodes();
  Envelope e;
  e.set_event_id("sig-" + std::to_string(i));
  auto* s = e.mutable_supplier_status();
  s->set_node_id(nodes[static_cast<std::size_t>(i) % nodes.size()]);
  s->set_state(i / static_cast<int>(nodes.size()) % 2 == 0 ? riskd::v1::NODE_STATE_DISRUPTED
                                                           : riskd::v1::NODE_STATE_SUSCEPTIBLE);
  return e;
}

// Sends SIGHUP to `pid` every few milliseconds until destroyed.
class SignalStorm {
 public:
  SignalStorm(pid_t pid, int signal) : thread_([this, pid, signal] {
    while (!stop_) {
      ::kill(pid, signal);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  }) {}
  ~SignalStorm() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The engine's queue holds two batches of one event, and each projection is
// slow (Monte Carlo with many runs), so the ingest thread spends most of its
// time blocked sending to the engine while SIGHUPs arrive.
TEST(SignalsE2ETest, ReloadSignalsWhileTheEngineQueueIsFullLoseNoCommittedEvent) {
  DaemonHarness h(DemoNetworkConfig() +
                  "ingest { max_batch: 1 queue_capacity: 1 }\n"
                  "projection { method: METHOD_MONTE_CARLO check_realizations: 2000 "
                  "serve_realizations: 200000 max_serve_work: 4000000000 }\n"
                  "planner { k: 0 }\n"
                  "metrics { listen: \"127.0.0.1:0\" }\n");
  ASSERT_TRUE(h.Start());
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());

  constexpr int kEvents = 40;
  std::map<std::string, Ack> acks;
  {
    SignalStorm storm(h.pid(), SIGHUP);
    for (int i = 0; i < kEvents; ++i) {
      dealer.send(zmq::buffer(StatusEvent(i).SerializeAsString()), zmq::send_flags::none);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acks.size() < kEvents && std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) continue;
      zmq::message_t reply;
      (void)dealer.recv(reply, zmq::recv_flags::none);
      Ack ack;
      ASSERT_TRUE(ack.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
      acks[ack.event_id()] = ack;
    }
  }
  // Every event acknowledged, in order, exactly once in the journal.
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kEvents)) << h.log();
  for (int i = 0; i < kEvents; ++i) {
    const Ack& ack = acks["sig-" + std::to_string(i)];
    EXPECT_EQ(ack.result(), Ack::RESULT_ACCEPTED) << ack.reason();
    EXPECT_EQ(ack.journal_seq(), static_cast<std::uint64_t>(i + 1));
  }
  // The signals did interrupt blocked sends (the scenario happened) ...
  EXPECT_GT(h.Metric("riskd_ingest_interrupted_total").value_or(0), 0) << h.log();
  // ... and the engine applied every committed event.
  std::optional<double> applied;
  for (int i = 0; i < 200; ++i) {
    applied = h.Metric("riskd_engine_events_applied_total");
    if (applied == kEvents) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(applied, kEvents);
  EXPECT_EQ(h.Metric("riskd_engine_events_not_applied_total"), 0);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
