// End-to-end: the model clock through the real daemon (docs/protocol.md,
// "The model clock"). With clock.mode MODE_MANUAL journaled ClockTick
// envelopes drive time, deterministically: ETAs count down, a disruption of
// known duration ends and its alerts resolve, far-future events are
// rejected with a reason, and an archive replayed later in event time (or
// the journal replayed at restart) gives the state received live.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kDay = 86400 * kSecond;
constexpr std::int64_t kT0 = 19'800 * kDay;  // 2024-03-18T00:00Z

std::string ManualClockConfig() {
  return DemoNetworkConfig() +
         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 }\n"
         "projection { method: METHOD_DMP }\n"
         "clock { mode: MODE_MANUAL }\n";
}

Envelope Tick(const std::string& id, std::int64_t to_ns) {
  Envelope e;
  e.set_event_id(id);
  connectors::SetTimestamp(to_ns, e.mutable_clock_tick()->mutable_advance_to());
  return e;
}

Envelope Quake(const std::string& id, const std::string& node, std::int64_t at_ns,
               std::int64_t duration_days = 0, double severity = 1.0) {
  Envelope e;
  e.set_event_id(id);
  connectors::SetTimestamp(at_ns, e.mutable_occurred_at());
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(severity);
  d->add_node_ids(node);
  if (duration_days) d->mutable_expected_duration()->set_seconds(duration_days * 86400);
  return e;
}

riskd::v1::Snapshot Snapshot(DaemonHarness& h, const std::string& id) {
  bool accepted = false;
  riskd::v1::Snapshot s = QuerySnapshot(h, &accepted, id);
  EXPECT_TRUE(accepted);
  return s;
}

// node -> (probability, eta, observed state) for risk type supply.
std::map<std::string, std::tuple<double, int, int>> Risks(const riskd::v1::Snapshot& s) {
  std::map<std::string, std::tuple<double, int, int>> out;
  for (const auto& r : s.node_risks()) {
    out[r.node_id()] = {r.probability(), r.eta_steps(), r.observed_state()};
  }
  return out;
}

TEST(ClockE2ETest, TicksCountEtasDownAndEndDisruptionsOfKnownDuration) {
  DaemonHarness h(ManualClockConfig());
  ASSERT_TRUE(h.Start());
  Subscriber sub(h.context(), h.publish(), "alert.");
  Subscriber incidents(h.context(), h.publish(), "incident.");

  // No clock yet: observations wait for the first tick.
  auto early = h.Send(Quake("q-early", "FAB-KUM", kT0));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(early->reason().rfind("failed_precondition: disruption: the model clock is not set", 0),
            0u)
      << early->reason();

  ASSERT_EQ(h.Send(Tick("t0", kT0))->result(), Ack::RESULT_ACCEPTED);
  ASSERT_EQ(h.Send(Quake("q1", "FAB-KUM", kT0, /*duration_days=*/3))->result(),
            Ack::RESULT_ACCEPTED);
  const auto day0 = Snapshot(h, "s0");
  EXPECT_EQ(connectors::UnixNs(day0.model_time()), kT0);
  const auto r0 = Risks(day0);
  ASSERT_TRUE(r0.count("OEM-TOY"));
  EXPECT_EQ(std::get<2>(r0.at("FAB-KUM")), riskd::v1::NODE_STATE_DISRUPTED);

  // One day later every ETA of a node not yet disrupted reads one less.
  ASSERT_EQ(h.Send(Tick("t1", kT0 + kDay))->result(), Ack::RESULT_ACCEPTED);
  const auto r1 = Risks(Snapshot(h, "s1"));
  int counted = 0;
  for (const auto& [node, before] : r0) {
    const int eta = std::get<1>(before);
    if (eta < 2) continue;
    ASSERT_TRUE(r1.count(node)) << node;
    EXPECT_EQ(std::get<1>(r1.at(node)), eta - 1) << node;
    ++counted;
  }
  EXPECT_GT(counted, 0);

  // Far ahead of the model clock: rejected with the reason; backwards too.
  auto future = h.Send(Quake("q-future", "RES-RAY", kT0 + 5 * kDay));
  EXPECT_EQ(future->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(future->reason().find("ahead of the daemon's clock"), std::string::npos)
      << future->reason();
  auto back = h.Send(Tick("t-back", kT0));
  EXPECT_EQ(back->result(), Ack::RESULT_REJECTED);
  EXPECT_NE(back->reason().find("before the model clock"), std::string::npos) << back->reason();

  // Day 3: the quake's three days are over; the source recovered and its
  // alert resolved.
  while (sub.Next(std::chrono::milliseconds(200))) {
  }
  while (incidents.Next(std::chrono::milliseconds(50))) {
  }
  ASSERT_EQ(h.Send(Tick("t3", kT0 + 3 * kDay))->result(), Ack::RESULT_ACCEPTED);
  const auto r3 = Risks(Snapshot(h, "s3"));
  EXPECT_EQ(std::get<2>(r3.at("FAB-KUM")), riskd::v1::NODE_STATE_RECOVERED);
  EXPECT_EQ(std::get<0>(r3.at("FAB-KUM")), 0.0);
  // Its incident is restored at the tick, and the pushed alerts resolve
  // with it in bulk (listed in the incident, no message per node).
  bool resolved = false;
  while (auto msg = sub.Next(std::chrono::milliseconds(500))) {
    const auto& a = msg->second.alert();
    resolved |= a.node_id() == "FAB-KUM" && a.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED;
    EXPECT_EQ(connectors::UnixNs(a.model_time()), kT0 + 3 * kDay);
  }
  EXPECT_FALSE(resolved);
  bool restored = false;
  while (auto msg = incidents.Next(std::chrono::milliseconds(500))) {
    const auto& inc = msg->second.incident();
    EXPECT_EQ(connectors::UnixNs(inc.model_time()), kT0 + 3 * kDay);
    if (inc.lifecycle() != riskd::v1::Incident::LIFECYCLE_RESTORED) continue;
    restored = true;
    EXPECT_EQ(inc.resolution(), riskd::v1::Incident::RESOLUTION_SOURCES_RECOVERED);
    EXPECT_EQ(inc.sources_disrupted(), 0);
    // Restored in event time: the tick's.
    EXPECT_EQ(connectors::UnixNs(inc.restored_at()), kT0 + 3 * kDay);
    for (const auto& id : inc.resolved_alert_ids())
      resolved |= id.find("FAB-KUM") != std::string::npos;
  }
  EXPECT_TRUE(restored);
  EXPECT_TRUE(resolved);
  EXPECT_EQ(h.Stop(), 0);
}

// The archive: disruptions over six days, one of them reported late.
struct ArchiveEvent {
  std::int64_t at;
  Envelope envelope;
};
std::vector<ArchiveEvent> Archive() {
  return {{kT0, Quake("a1", "FAB-KUM", kT0, 4)},
          {kT0 + kDay, Quake("a2", "RES-RAY", kT0 + kDay, 0, 0.7)},
          {kT0 + 2 * kDay, Quake("a3", "STL-DUI", kT0 + 2 * kDay, 2)},
          {kT0 + 4 * kDay, Quake("a4", "CEL-OCH", kT0 + 4 * kDay, 0, 0.5)},
          {kT0 + 5 * kDay, Quake("a5", "MAG-BAO", kT0 + 3 * kDay)}};  // late
}

TEST(ClockE2ETest, AnArchiveReplayedInEventTimeGivesTheStateReceivedLive) {
  const std::int64_t end = kT0 + 6 * kDay;
  // Live: the clock ticks through the archive, events arrive as they come.
  DaemonHarness live(ManualClockConfig());
  ASSERT_TRUE(live.Start());
  int n = 0;
  for (const auto& e : Archive()) {
    ASSERT_EQ(live.Send(Tick("t" + std::to_string(n++), e.at))->result(), Ack::RESULT_ACCEPTED);
    ASSERT_EQ(live.Send(e.envelope)->result(), Ack::RESULT_ACCEPTED);
  }
  ASSERT_EQ(live.Send(Tick("t-end", end))->result(), Ack::RESULT_ACCEPTED);
  const auto a = Snapshot(live, "live");
  // Replayed: a daemon whose clock is already at the end gets the archive
  // afterwards, every event at its own time.
  DaemonHarness replay(ManualClockConfig());
  ASSERT_TRUE(replay.Start());
  ASSERT_EQ(replay.Send(Tick("t-end", end))->result(), Ack::RESULT_ACCEPTED);
  for (const auto& e : Archive())
    ASSERT_EQ(replay.Send(e.envelope)->result(), Ack::RESULT_ACCEPTED);
  const auto b = Snapshot(replay, "replay");
  // And the live daemon restarted: its journal replayed, ticks included.
  live.Kill();
  ASSERT_TRUE(live.Start());
  const auto c = Snapshot(live, "restarted");
  const auto ra = Risks(a), rb = Risks(b), rc = Risks(c);
  EXPECT_GT(ra.size(), 5u);
  EXPECT_EQ(std::get<2>(ra.at("STL-DUI")), riskd::v1::NODE_STATE_RECOVERED);  // 2 days, over
  EXPECT_EQ(std::get<2>(ra.at("MAG-BAO")), riskd::v1::NODE_STATE_DISRUPTED);
  for (const auto* other : {&rb, &rc}) {
    ASSERT_EQ(other->size(), ra.size());
    for (const auto& [node, risk] : ra) {
      ASSERT_TRUE(other->count(node)) << node;
      EXPECT_NEAR(std::get<0>(other->at(node)), std::get<0>(risk), 1e-9) << node;
      EXPECT_EQ(std::get<1>(other->at(node)), std::get<1>(risk)) << node;
      EXPECT_EQ(std::get<2>(other->at(node)), std::get<2>(risk)) << node;
    }
  }
  EXPECT_EQ(connectors::UnixNs(c.model_time()), end);
  EXPECT_EQ(replay.Stop(), 0);
  EXPECT_EQ(live.Stop(), 0);
}

TEST(ClockE2ETest, WallClockStampsReceiptTimeAndRejectsFarFutureEvents) {
  DaemonHarness h(DemoNetworkConfig() + "clock { max_skew { seconds: 60 } }\n");
  ASSERT_TRUE(h.Start());
  Envelope unstamped = Quake("w1", "FAB-KUM", 0);
  unstamped.clear_occurred_at();
  ASSERT_EQ(h.Send(unstamped)->result(), Ack::RESULT_ACCEPTED);
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto future = h.Send(Quake("w2", "RES-RAY", now + kDay));
  EXPECT_EQ(future->result(), Ack::RESULT_REJECTED);
  EXPECT_EQ(future->reason().rfind("invalid_argument: occurred_at: ", 0), 0u) << future->reason();
  // Older than the history window: journaled, history only.
  ASSERT_EQ(h.Send(Quake("w3", "STL-DUI", now - 40 * kDay))->result(), Ack::RESULT_ACCEPTED);
  const auto risks = Risks(Snapshot(h, "s"));
  EXPECT_EQ(std::get<2>(risks.at("FAB-KUM")), riskd::v1::NODE_STATE_DISRUPTED);
  EXPECT_EQ(risks.count("STL-DUI"), 0u);  // nothing at risk there
  EXPECT_EQ(h.Stop(), 0);
  // The journal holds the time the daemon gave the unstamped event.
  auto journal = connectors::Journal::Open(h.database());
  ASSERT_TRUE(journal.ok());
  int rows = 0;
  ASSERT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& e) {
                              Envelope env;
                              EXPECT_TRUE(env.ParseFromString(e.payload));
                              EXPECT_TRUE(env.has_occurred_at()) << env.event_id();
                              if (env.event_id() == "w1") {
                                EXPECT_EQ(connectors::UnixNs(env.occurred_at()),
                                          e.received_unix_ns);
                              }
                              ++rows;
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_EQ(rows, 2);
}

}  // namespace
}  // namespace riskd::testing
