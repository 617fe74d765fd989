#include "daemon/footprint_tracker.h"

#include <gtest/gtest.h>

#include "connectors/codec/event_codec.h"

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
    auto e = engine::Engine::Create({}, std::move(net));
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
    types_.names = {"supply"};
    types_.default_risk_type = "supply";
  }

  // Applies an event as the engine worker does and feeds the tracker.
  void Apply(std::uint64_t seq, const riskd::v1::Envelope& env) {
    std::vector<engine::NodeIndex> hit;
    ASSERT_TRUE(connectors::ApplyEnvelope(env, types_, engine_.get(), nullptr, &hit).ok());
    if (env.has_disruption()) {
      tracker_.Add(seq, env, 0, "supply", std::move(hit), 1'700'000'000'000'000'000);
    } else {
      tracker_.MarkMaybeEnded();
    }
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

  std::unique_ptr<engine::Engine> engine_;
  connectors::RiskTypeResolver types_;
  FootprintTracker tracker_;
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
  EXPECT_EQ(f.occurred_at().seconds(), 1'700'000'000);
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());  // reported once

  Apply(2, Status("kum-1-back", "KUM-1", riskd::v1::NODE_STATE_RECOVERED));
  EXPECT_TRUE(tracker_.TakeChanges(*engine_).empty());  // KUM-2 is still down
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
  env.mutable_occurred_at()->set_seconds(1'600'000'000);
  Apply(1, env);
  auto changes = tracker_.TakeChanges(*engine_);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].has_place());
  ASSERT_EQ(changes[0].node_ids_size(), 1);
  EXPECT_EQ(changes[0].node_ids(0), "DET");
  EXPECT_EQ(changes[0].nodes_hit(), 1);
  EXPECT_EQ(changes[0].occurred_at().seconds(), 1'600'000'000);  // the event's own time

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

}  // namespace
}  // namespace riskd::daemon
