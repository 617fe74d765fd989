#include "daemon/footprint_tracker.h"

#include <gtest/gtest.h>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"

namespace riskd::daemon {
namespace {

using Footprint = riskd::v1::DisruptionFootprint;

// Four sites: two in Kumamoto, one in Nagoya, one in Detroit; one risk type.
class FootprintTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::Network net;
    auto add = [&](const char* id, double lat, double lon) {
      engine::NodeAttributes a;
      a.id = id;
      a.location = engine::GeoPoint{lat, lon};
      ASSERT_TRUE(net.AddNode(a).ok());
    };
    add("KUM-1", 32.80, 130.71);
    add("KUM-2", 32.85, 130.75);
    add("NGO", 35.18, 136.91);
    add("DET", 42.33, -83.05);
    ASSERT_TRUE(net.AddEdge("KUM-1", "NGO", engine::Layer::kMaterial, 1.0).ok());
    auto e = engine::Engine::Create({}, std::move(net));  // 1-day steps, 30-day window
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
    ASSERT_TRUE(engine_->AdvanceClock(kDay0).ok());
    types_.names = {"supply"};
    types_.default_risk_type = "supply";
  }

  // Applies an event as the engine worker does (EngineWorker::Apply and
  // TrackFootprint) and feeds the tracker.
  void Apply(std::uint64_t seq, const riskd::v1::Envelope& env,
             FootprintTracker* tracker = nullptr) {
    if (!tracker) tracker = &tracker_;
    connectors::AppliedEvent applied;
    ASSERT_TRUE(connectors::ApplyEnvelope(env, types_, engine_.get(), &applied, timing_).ok());
    std::vector<engine::NodeIndex> hit = applied.touched;
    if (env.has_disruption()) {
      const engine::Step at =
          env.has_occurred_at()
              ? connectors::StepOfUnixNs(connectors::UnixNs(env.occurred_at()), timing_.step_ns)
              : engine_->now();
      tracker->Add(seq, env, 0, "supply", std::move(hit), at,
                   connectors::DisruptionSteps(env.disruption(), timing_));
    }
  }

  // Moves the model clock to day `day` (of kDay0) with a ClockTick.
  void Tick(std::uint64_t seq, int day, FootprintTracker* tracker = nullptr) {
    riskd::v1::Envelope env;
    env.set_event_id("tick-" + std::to_string(day));
    connectors::SetTimestamp((kDay0 + day) * kDayNs,
                             env.mutable_clock_tick()->mutable_advance_to());
    Apply(seq, env, tracker);
  }

  static void At(int day, riskd::v1::Envelope* env) {
    connectors::SetTimestamp((kDay0 + day) * kDayNs, env->mutable_occurred_at());
  }

  std::vector<Footprint> Active(const FootprintTracker& tracker) const {
    google::protobuf::RepeatedPtrField<Footprint> active;
    tracker.AppendActive(&active);
    return {active.begin(), active.end()};
  }

  static riskd::v1::Envelope Quake(const std::string& id, double lat, double lon, double km) {
    riskd::v1::Envelope env;
    env.set_event_id(id);
    auto* d = env.mutable_disruption();
    d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
    d->set_severity(0.9);
    d->set_title("M 7.0 near " + id);
    auto* c = d->mutable_place()->mutable_circle();
    c->mutable_center()->set_lat(lat);
    c->mutable_center()->set_lon(lon);
    c->set_radius_km(km);
    return env;
  }

  static riskd::v1::Envelope Status(const std::string& id, const std::string& node,
                                    riskd::v1::NodeState state) {
    riskd::v1::Envelope env;
    env.set_event_id(id);
    env.mutable_supplier_status()->set_node_id(node);
    env.mutable_supplier_status()->set_state(state);
    return env;
  }

  static constexpr std::int64_t kDayNs = 86'400'000'000'000;
  static constexpr engine::Step kDay0 = 19675;  // 2023-11-14, day 0 of these tests

  std::unique_ptr<engine::Engine> engine_;
  connectors::RiskTypeResolver types_;
  connectors::EventTiming timing_;  // 1-day steps
  FootprintTracker tracker_{kDayNs};
};

TEST_F(FootprintTrackerTest, ADisruptionIsActiveUntilEveryNodeItHitRecovers) {
  Apply(1, Quake("quake-kum", 32.8, 130.7, 30));
  auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  const Footprint& f = changes[0];
  EXPECT_EQ(f.event_id(), "quake-kum");
  EXPECT_EQ(f.lifecycle(), Footprint::LIFECYCLE_ACTIVE);
  EXPECT_EQ(f.hazard(), riskd::v1::HAZARD_EARTHQUAKE);
  EXPECT_EQ(f.risk_type(), "supply");
  EXPECT_DOUBLE_EQ(f.severity(), 0.9);
  EXPECT_EQ(f.title(), "M 7.0 near quake-kum");
  EXPECT_DOUBLE_EQ(f.place().circle().radius_km(), 30);
  EXPECT_EQ(f.nodes_hit(), 2);  // KUM-1 and KUM-2, not Nagoya
  EXPECT_EQ(f.nodes_still_disrupted(), 2);
  EXPECT_EQ(f.journal_seq(), 1u);
  EXPECT_EQ(f.occurred_at().seconds(), kDay0 * 86400);  // no time given: the model clock's
  EXPECT_FALSE(f.has_expected_end());                   // no duration given
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());  // reported once

  Apply(2, Status("kum-1-back", "KUM-1", riskd::v1::NODE_STATE_RECOVERED));
  changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);  // the new count: a page that watched sees what a late page sees
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ACTIVE);  // KUM-2 is still down
  EXPECT_EQ(changes[0].nodes_still_disrupted(), 1);
  google::protobuf::RepeatedPtrField<Footprint> active;
  tracker_.AppendActive(&active);
  ASSERT_EQ(active.size(), 1);
  EXPECT_EQ(active[0].nodes_still_disrupted(), 1);

  Apply(3, Status("kum-2-back", "KUM-2", riskd::v1::NODE_STATE_SUSCEPTIBLE));
  changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].event_id(), "quake-kum");
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  EXPECT_EQ(changes[0].nodes_still_disrupted(), 0);
  EXPECT_EQ(tracker_.active_count(), 0u);
}

TEST_F(FootprintTrackerTest, NamedNodesAndRemovalEndAFootprint) {
  riskd::v1::Envelope env;
  env.set_event_id("strike-det");
  env.mutable_disruption()->set_hazard(riskd::v1::HAZARD_SOCIAL_UNREST);
  env.mutable_disruption()->set_severity(1.0);
  env.mutable_disruption()->add_node_ids("DET");
  At(-2, &env);  // two days ago: a late report, placed at its time
  Apply(1, env);
  auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].has_place());
  ASSERT_EQ(changes[0].node_ids_size(), 1);
  EXPECT_EQ(changes[0].node_ids(0), "DET");
  EXPECT_EQ(changes[0].nodes_hit(), 1);
  EXPECT_EQ(changes[0].occurred_at().seconds(), (kDay0 - 2) * 86400);  // the event's own time

  riskd::v1::Envelope remove;
  remove.set_event_id("remove-det");
  remove.mutable_network_change()->set_remove_node("DET");
  Apply(2, remove);
  changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
}

TEST_F(FootprintTrackerTest, APlaceThatHitsNothingIsReportedEndedAtOnce) {
  Apply(1, Quake("quake-sea", 0, -150, 100));
  auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].nodes_hit(), 0);
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  EXPECT_EQ(tracker_.active_count(), 0u);
  EXPECT_EQ(tracker_.tracked_count(), 0u);
}

TEST_F(FootprintTrackerTest, OverlappingFootprintsEndSeparatelyAndReplayPublishesNothing) {
  Apply(1, Quake("quake-a", 32.8, 130.7, 30));
  riskd::v1::Envelope named;
  named.set_event_id("flood-kum-1");
  named.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  named.mutable_disruption()->set_severity(1.0);
  named.mutable_disruption()->add_node_ids("KUM-1");
  Apply(2, named);
  Apply(3, Status("kum-2-back", "KUM-2", riskd::v1::NODE_STATE_RECOVERED));
  // As after start-up replay: nothing to publish, both still active (KUM-1).
  tracker_.DropChanges(*engine_);
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());
  google::protobuf::RepeatedPtrField<Footprint> active;
  tracker_.AppendActive(&active);
  ASSERT_EQ(active.size(), 2);
  EXPECT_EQ(active[0].event_id(), "quake-a");  // oldest first
  EXPECT_EQ(active[0].nodes_still_disrupted(), 1);
  EXPECT_EQ(active[1].event_id(), "flood-kum-1");

  Apply(4, Status("kum-1-back", "KUM-1", riskd::v1::NODE_STATE_RECOVERED));
  const auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].event_id(), "quake-a");
  EXPECT_EQ(changes[1].event_id(), "flood-kum-1");
}

TEST_F(FootprintTrackerTest, AFootprintEndsWhenItsDurationPassesOnAClockTick) {
  auto quake = Quake("quake-kum", 32.8, 130.7, 30);
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(3 * 86400);
  At(0, &quake);
  Apply(1, quake);
  auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ACTIVE);
  EXPECT_EQ(changes[0].expected_end().seconds(), (kDay0 + 3) * 86400);

  Tick(2, 2);  // two days on: the sites are still down
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());
  EXPECT_EQ(tracker_.active_count(), 1u);

  Tick(3, 3);  // the third day is over: both recover, no report needed
  changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].event_id(), "quake-kum");
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  EXPECT_EQ(changes[0].nodes_still_disrupted(), 0);
  EXPECT_TRUE(Active(tracker_).empty());
}

TEST_F(FootprintTrackerTest, TheHazardsDefaultDurationEndsIt) {
  timing_.hazard_duration_ns[riskd::v1::HAZARD_EARTHQUAKE] = 2 * kDayNs;
  Apply(1, Quake("quake-kum", 32.8, 130.7, 30));
  ASSERT_EQ(tracker_.TakeChanges(*engine_).size(), 1u);
  Tick(2, 2);
  const auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
}

TEST_F(FootprintTrackerTest, ADisruptionOlderThanTheHistoryWindowIsNeverInEffect) {
  auto old = Quake("quake-old", 32.8, 130.7, 30);
  At(-31, &old);  // the window is 30 days: history only
  Apply(1, old);
  const auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);  // told once, as over
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  EXPECT_EQ(changes[0].nodes_hit(), 2);
  EXPECT_EQ(changes[0].nodes_still_disrupted(), 0);
  EXPECT_EQ(tracker_.tracked_count(), 0u);  // and forgotten
}

TEST_F(FootprintTrackerTest, AFootprintEndsWhenItLeavesTheHistoryWindow) {
  auto quake = Quake("quake-kum", 32.8, 130.7, 30);  // no known duration
  At(-20, &quake);
  Apply(1, quake);
  ASSERT_EQ(tracker_.TakeChanges(*engine_)[0].lifecycle(), Footprint::LIFECYCLE_ACTIVE);
  Tick(2, 10);  // still inside the window (day -20 >= day 10 - 30)
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());
  Tick(3, 11);
  const auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  EXPECT_EQ(tracker_.tracked_count(), 0u);
}

TEST_F(FootprintTrackerTest, ANodeDisruptedAgainByAnotherEventDoesNotReviveIt) {
  auto quake = Quake("quake-kum", 32.8, 130.7, 30);
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(2 * 86400);
  Apply(1, quake);
  ASSERT_EQ(tracker_.TakeChanges(*engine_).size(), 1u);
  Tick(2, 2);
  ASSERT_EQ(tracker_.TakeChanges(*engine_)[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  // KUM-1 reports itself down the next day: a new episode, not the quake's.
  Tick(3, 3);
  Apply(4, Status("kum-1-down", "KUM-1", riskd::v1::NODE_STATE_DISRUPTED));
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());
  EXPECT_TRUE(Active(tracker_).empty());
}

TEST_F(FootprintTrackerTest, ALateReportThatLengthensTheEpisodeRevivesIt) {
  auto quake = Quake("quake-kum", 32.8, 130.7, 30);
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(2 * 86400);
  Apply(1, quake);
  ASSERT_EQ(tracker_.TakeChanges(*engine_).size(), 1u);
  Tick(2, 4);
  ASSERT_EQ(tracker_.TakeChanges(*engine_)[0].lifecycle(), Footprint::LIFECYCLE_ENDED);
  // Learned late: KUM-1 was down from day 1 for ten days, within the quake's
  // episode, which is then still running.
  riskd::v1::Envelope late;
  late.set_event_id("kum-1-outage");
  late.mutable_disruption()->set_hazard(riskd::v1::HAZARD_OTHER);
  late.mutable_disruption()->set_severity(1.0);
  late.mutable_disruption()->add_node_ids("KUM-1");
  late.mutable_disruption()->mutable_expected_duration()->set_seconds(10 * 86400);
  At(1, &late);
  Apply(3, late);
  const auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].event_id(), "quake-kum");
  EXPECT_EQ(changes[0].lifecycle(), Footprint::LIFECYCLE_ACTIVE);
  EXPECT_EQ(changes[0].nodes_still_disrupted(), 1);
  EXPECT_EQ(changes[1].event_id(), "kum-1-outage");
  EXPECT_EQ(changes[1].lifecycle(), Footprint::LIFECYCLE_ACTIVE);
}

// What start-up replay does: the same events, judged only at the end. The
// footprints must be those of a daemon that judged after every event.
TEST_F(FootprintTrackerTest, JudgedOnceAtTheEndGivesWhatJudgingAllAlongGave) {
  auto quake = Quake("quake-kum", 32.8, 130.7, 30);
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(2 * 86400);
  riskd::v1::Envelope strike;
  strike.set_event_id("strike-det");
  strike.mutable_disruption()->set_hazard(riskd::v1::HAZARD_SOCIAL_UNREST);
  strike.mutable_disruption()->set_severity(1.0);
  strike.mutable_disruption()->add_node_ids("DET");
  riskd::v1::Envelope flood;  // learned late: KUM-2 flooded on day 1 for 5 days
  flood.set_event_id("flood-kum-2");
  flood.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  flood.mutable_disruption()->set_severity(0.8);
  flood.mutable_disruption()->add_node_ids("KUM-2");
  flood.mutable_disruption()->mutable_expected_duration()->set_seconds(5 * 86400);
  At(1, &flood);

  // Live: judged after every event, as the daemon does after each batch.
  std::vector<Footprint> published;
  auto judge = [&] {
    for (auto& f : tracker_.TakeChanges(*engine_)) published.push_back(std::move(f));
  };
  auto events = [&](auto apply, auto tick, auto after_each) {
    apply(1, quake);
    after_each();
    apply(2, strike);
    after_each();
    tick(3, 2);  // the quake's two days are over
    after_each();
    apply(4, Status("kum-1-down", "KUM-1", riskd::v1::NODE_STATE_DISRUPTED));  // a new episode
    after_each();
    apply(5, flood);  // KUM-2's quake episode lasts to day 6: the quake is back
    after_each();
    apply(6, Status("det-back", "DET", riskd::v1::NODE_STATE_RECOVERED));
    after_each();
    tick(7, 4);
    after_each();
  };
  events([&](std::uint64_t q, const riskd::v1::Envelope& e) { Apply(q, e); },
         [&](std::uint64_t q, int day) { Tick(q, day); }, judge);
  const auto live = Active(tracker_);

  // Replay: a fresh engine and tracker, judged once at the end.
  SetUp();
  FootprintTracker replayed(kDayNs);
  events([&](std::uint64_t q, const riskd::v1::Envelope& e) { Apply(q, e, &replayed); },
         [&](std::uint64_t q, int day) { Tick(q, day, &replayed); }, [] {});
  replayed.DropChanges(*engine_);
  const auto after_replay = Active(replayed);

  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].event_id(), "quake-kum");
  EXPECT_EQ(live[0].nodes_still_disrupted(), 1);  // KUM-2, not KUM-1 (its own new episode)
  EXPECT_EQ(live[1].event_id(), "flood-kum-2");
  ASSERT_EQ(after_replay.size(), live.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(after_replay[i].SerializeAsString(), live[i].SerializeAsString()) << i;
  }
  // What the live tracker published along the way: the quake started, ended
  // on the tick, came back with the late flood; the strike started and ended.
  std::vector<std::pair<std::string, int>> story;
  for (const auto& f : published) story.emplace_back(f.event_id(), f.lifecycle());
  const std::vector<std::pair<std::string, int>> expected = {
      {"quake-kum", Footprint::LIFECYCLE_ACTIVE},   {"strike-det", Footprint::LIFECYCLE_ACTIVE},
      {"quake-kum", Footprint::LIFECYCLE_ENDED},    {"quake-kum", Footprint::LIFECYCLE_ACTIVE},
      {"flood-kum-2", Footprint::LIFECYCLE_ACTIVE}, {"strike-det", Footprint::LIFECYCLE_ENDED}};
  EXPECT_EQ(story, expected);
}

}  // namespace
}  // namespace riskd::daemon
