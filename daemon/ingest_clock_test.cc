#include "daemon/ingest_clock.h"

#include <gtest/gtest.h>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"

namespace riskd::daemon {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;

riskd::v1::Envelope Disruption(std::int64_t occurred_ns = 0) {
  riskd::v1::Envelope e;
  e.set_event_id("d");
  e.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  e.mutable_disruption()->set_severity(1);
  e.mutable_disruption()->add_node_ids("n0");
  if (occurred_ns) connectors::SetTimestamp(occurred_ns, e.mutable_occurred_at());
  return e;
}

riskd::v1::Envelope Tick(std::int64_t to_ns) {
  riskd::v1::Envelope e;
  e.set_event_id("t");
  connectors::SetTimestamp(to_ns, e.mutable_clock_tick()->mutable_advance_to());
  return e;
}

TEST(IngestClockTest, WallClockStampsEventTimesAndRejectsTheFarFuture) {
  ClockSettings settings;  // wall, 5 minutes of skew
  IngestClock clock(settings);
  auto e = Disruption();
  auto changed = clock.Admit(&e, kT0);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(connectors::UnixNs(e.occurred_at()), kT0);  // receipt
  auto past = Disruption(kT0 - 40 * 86400 * kSecond);   // history, but accepted
  EXPECT_FALSE(*clock.Admit(&past, kT0));
  auto soon = Disruption(kT0 + 299 * kSecond);
  EXPECT_TRUE(clock.Admit(&soon, kT0).ok());
  auto late = Disruption(kT0 + 3600 * kSecond);
  const Status st = clock.Admit(&late, kT0).status();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.ToString().find("3600 s ahead of the daemon's clock"), std::string::npos)
      << st.ToString();
  auto tick = Tick(kT0);
  EXPECT_EQ(clock.Admit(&tick, kT0).status().code(), Status::Code::kFailedPrecondition);
}

TEST(IngestClockTest, ManualClockMovesOnlyByTicksAndOnlyForward) {
  ClockSettings settings;
  settings.manual = true;
  IngestClock clock(settings);
  auto early = Disruption();
  EXPECT_EQ(clock.Admit(&early, kT0).status().code(), Status::Code::kFailedPrecondition);
  auto tick = Tick(kT0 - 86400 * kSecond);
  ASSERT_TRUE(clock.Admit(&tick, kT0).ok());
  auto e = Disruption();
  ASSERT_TRUE(clock.Admit(&e, kT0).ok());
  EXPECT_EQ(connectors::UnixNs(e.occurred_at()), kT0 - 86400 * kSecond);  // the model's time
  auto back = Tick(kT0 - 2 * 86400 * kSecond);
  const Status st = clock.Admit(&back, kT0).status();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.ToString().find("before the model clock"), std::string::npos) << st.ToString();
  // Ahead of the model clock (not of the wall clock) counts.
  auto ahead = Disruption(kT0);
  EXPECT_EQ(clock.Admit(&ahead, kT0).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace riskd::daemon
