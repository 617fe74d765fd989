#include "connectors/codec/event_codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <vector>

#include "connectors/codec/output_codec.h"
#include "riskd/v1/outputs.pb.h"

namespace riskd::connectors {
namespace {

using riskd::v1::Envelope;

class EventCodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"S1", "P1", "O1"}) {
      engine::NodeAttributes a;
      a.id = id;
      a.region = "JP";
      a.location = engine::GeoPoint{35, 139};
      ASSERT_TRUE(net_.AddNode(a).ok());
    }
    ASSERT_TRUE(net_.AddEdge("S1", "P1", engine::Layer::kMaterial, 1).ok());
    ASSERT_TRUE(net_.AddEdge("P1", "O1", engine::Layer::kMaterial, 1).ok());
    net_.Compact();
    dir_ = NodeDirectory(net_);
    types_.names = {"supply", "data"};
    types_.default_risk_type = "supply";
    types_.hazard_risk_types[riskd::v1::HAZARD_DATA_LEAK] = "data";
  }

  Status Validate(const Envelope& e) { return ValidateEnvelope(e, dir_, types_); }

  Envelope Disruption(std::initializer_list<const char*> ids, double severity = 0.9) {
    Envelope e;
    e.set_event_id("ev-1");
    auto* d = e.mutable_disruption();
    d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
    d->set_severity(severity);
    for (const char* id : ids) d->add_node_ids(id);
    return e;
  }

  // Ana hands incident supply/7 to apac-procurement.
  static Envelope Assign() {
    Envelope e;
    e.set_event_id("op-1");
    auto* a = e.mutable_operator_action();
    a->set_incident_id("supply/7");
    a->set_kind(riskd::v1::OperatorAction::KIND_ASSIGN);
    a->set_operator_("ana");
    a->set_assignee("apac-procurement");
    return e;
  }

  engine::Network net_;
  NodeDirectory dir_;
  RiskTypeResolver types_;
};

TEST_F(EventCodecTest, AcceptsWellFormedEvents) {
  EXPECT_TRUE(Validate(Disruption({"S1"})).ok());
  Envelope s;
  s.set_event_id("st-1");
  s.mutable_supplier_status()->set_node_id("P1");
  s.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_DISRUPTED);
  EXPECT_TRUE(Validate(s).ok());
  Envelope q;
  q.set_event_id("q-1");
  q.mutable_query()->mutable_snapshot();
  EXPECT_TRUE(Validate(q).ok());
}

TEST_F(EventCodecTest, RejectionsSayWhatAndWhere) {
  auto reason = [&](const Envelope& e) { return Validate(e).ToString(); };
  Envelope e = Disruption({"S1", "X9"});
  EXPECT_EQ(reason(e), "not_found: disruption.node_ids[1]: node 'X9' is not in the network");
  e = Disruption({"S1"}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(reason(e), "invalid_argument: disruption.severity: must be in (0, 1]");
  e = Disruption({});
  EXPECT_EQ(reason(e), "invalid_argument: disruption: names no node_ids and no place");
  e = Disruption({"S1"});
  e.clear_event_id();
  EXPECT_EQ(reason(e), "invalid_argument: event_id: is required");
  e = Disruption({"S1"});
  e.mutable_disruption()->set_risk_type("nope");
  EXPECT_EQ(reason(e), "invalid_argument: disruption.risk_type: unknown risk type 'nope'");
  e = Disruption({});
  e.mutable_disruption()->mutable_place()->mutable_circle()->set_radius_km(-5);
  EXPECT_NE(reason(e).find("radius_km"), std::string::npos);
  Envelope empty;
  empty.set_event_id("x");
  EXPECT_NE(reason(empty).find("has no body"), std::string::npos);
  Envelope edge;
  edge.set_event_id("x");
  auto* add = edge.mutable_network_change()->mutable_add_edge();
  add->set_from("S1");
  add->set_to("O1");
  add->set_weight(-1);
  EXPECT_EQ(reason(edge),
            "invalid_argument: network_change.add_edge.weight: must be finite and > 0");
  // Weights and values are summed (a node's in-weights normalise its
  // edges, its volume is its value): 1e308 twice is +inf, and w / inf made
  // a node fed by two such edges immune to anything upstream.
  add->set_weight(1e15);
  EXPECT_TRUE(Validate(edge).ok());
  add->set_weight(1.0000001e15);
  EXPECT_EQ(reason(edge), "invalid_argument: network_change.add_edge.weight: must be at most 1e15");
  Envelope valued;
  valued.set_event_id("x");
  valued.mutable_network_change()->mutable_add_node()->set_id("V1");
  valued.mutable_network_change()->mutable_add_node()->set_value(1e15);
  EXPECT_TRUE(Validate(valued).ok());
  valued.mutable_network_change()->mutable_add_node()->set_value(1.7e308);
  EXPECT_EQ(reason(valued),
            "invalid_argument: network_change.add_node.value: must be at most 1e15");
  e = Disruption({"S1"});
  e.mutable_disruption()->set_feed_event_id(std::string(256, 'u'));
  EXPECT_TRUE(Validate(e).ok());
  e.mutable_disruption()->set_feed_event_id(std::string(257, 'u'));
  EXPECT_EQ(reason(e), "invalid_argument: disruption.feed_event_id: is longer than 256 bytes");
  e = Disruption({"S1"});
  e.mutable_disruption()->set_title(std::string(1025, 't'));
  EXPECT_EQ(reason(e), "invalid_argument: disruption.title: is longer than 1024 bytes");
  Envelope node;
  node.set_event_id("x");
  node.mutable_network_change()->mutable_add_node()->set_id("S1");
  EXPECT_EQ(reason(node), "already_exists: network_change.add_node.id: node 'S1' already exists");
}

TEST_F(EventCodecTest, BytesOfAnotherMessageTypeAreCalledOut) {
  riskd::v1::ProjectionSummary other;
  other.set_risk_type("supply");
  other.set_expected_disrupted(3.5);
  other.set_nodes_at_risk(4);
  Envelope e;
  // Parses (protobuf is lenient), but only into unknown fields.
  if (e.ParseFromString(other.SerializeAsString())) {
    EXPECT_NE(Validate(e).message().find("wrong message type"), std::string::npos)
        << Validate(e).ToString();
  }
}

TEST_F(EventCodecTest, HazardPicksTheRiskTypeAndPlacesResolveToNodes) {
  auto r = types_.Resolve("", riskd::v1::HAZARD_DATA_LEAK);
  EXPECT_EQ(*r, "data");
  EXPECT_EQ(*types_.Resolve("", riskd::v1::HAZARD_FLOOD), "supply");

  engine::EngineOptions o;
  o.risk_types = {engine::RiskType{}, engine::RiskType{.name = "data"}};
  auto eng = engine::Engine::Create(o, net_);
  ASSERT_TRUE(eng.ok());
  Envelope e = Disruption({});
  auto* c = e.mutable_disruption()->mutable_place()->mutable_circle();
  c->mutable_center()->set_lat(35);
  c->mutable_center()->set_lon(139);
  c->set_radius_km(10);
  AppliedEvent applied;
  ASSERT_TRUE(ApplyEnvelope(e, types_, eng->get(), &applied).ok());
  EXPECT_EQ(applied.place_matched, 3u);
  ASSERT_TRUE(applied.trigger);
  EXPECT_EQ(applied.trigger->kind, engine::TriggerKind::kPlace);
  EXPECT_EQ(applied.trigger->nodes, (std::vector<engine::NodeIndex>{0, 1, 2}));
  EXPECT_EQ(applied.trigger->event_id, "ev-1");
  EXPECT_EQ(applied.risk_type, 0);
  EXPECT_EQ((*eng)->risk_state(0).observed()[1].state, engine::NodeState::kDisrupted);
  EXPECT_DOUBLE_EQ((*eng)->risk_state(0).observed()[1].severity, 0.9);
  EXPECT_EQ((*eng)->risk_state(1).observed()[1].state, engine::NodeState::kSusceptible);
}

// Event time: occurred_at places the report on its step, the expected
// duration (or the hazard's default) ends it, a ClockTick moves the clock.
TEST_F(EventCodecTest, EventTimesDurationsAndTicksReachTheEngine) {
  engine::EngineOptions o;
  o.risk_types = {engine::RiskType{}, engine::RiskType{.name = "data"}};
  auto eng = engine::Engine::Create(o, net_);
  ASSERT_TRUE(eng.ok());
  EventTiming timing;
  timing.step_ns = 3600LL * 1'000'000'000;                                      // hourly steps
  timing.hazard_duration_ns[riskd::v1::HAZARD_STORM] = 5400LL * 1'000'000'000;  // 1.5 h
  Envelope tick;
  tick.set_event_id("t");
  tick.mutable_clock_tick()->mutable_advance_to()->set_seconds(100 * 3600 + 1800);
  ASSERT_TRUE(Validate(tick).ok());
  ASSERT_TRUE(ApplyEnvelope(tick, types_, eng->get(), nullptr, timing).ok());
  EXPECT_EQ((*eng)->now(), 100);  // the step the time falls in
  Envelope e = Disruption({"S1"});
  e.mutable_occurred_at()->set_seconds(98 * 3600 + 10);
  e.mutable_disruption()->mutable_expected_duration()->set_seconds(7201);  // rounds up: 3 steps
  ASSERT_TRUE(ApplyEnvelope(e, types_, eng->get(), nullptr, timing).ok());
  const auto& s1 = (*eng)->risk_state(0).observed()[*net_.Find("S1")];
  EXPECT_EQ(s1.since, 98);
  EXPECT_EQ(s1.until, 101);
  Envelope storm = Disruption({"P1"});
  storm.mutable_disruption()->set_hazard(riskd::v1::HAZARD_STORM);
  ASSERT_TRUE(ApplyEnvelope(storm, types_, eng->get(), nullptr, timing).ok());  // at now
  const auto& s2 = (*eng)->risk_state(0).observed()[*net_.Find("P1")];
  EXPECT_EQ(s2.since, 100);
  EXPECT_EQ(s2.until, 102);  // the hazard's 1.5 h, rounded up
  Envelope negative = Disruption({"S1"});
  negative.mutable_disruption()->mutable_expected_duration()->set_seconds(-1);
  EXPECT_NE(Validate(negative).ToString().find("expected_duration"), std::string::npos);
  Envelope no_time;
  no_time.set_event_id("t2");
  no_time.mutable_clock_tick();
  EXPECT_NE(Validate(no_time).ToString().find("clock_tick.advance_to"), std::string::npos);
  // Back in time: the engine refuses.
  tick.mutable_clock_tick()->mutable_advance_to()->set_seconds(3600);
  EXPECT_FALSE(ApplyEnvelope(tick, types_, eng->get(), nullptr, timing).ok());
}

// int64 nanoseconds end on 2262-04-11: a tick to 9999 was accepted and
// the clock silently stopped at 2262. Times are refused from 2162 on (a
// disruption may last 100 years past its time), ticks and event times alike.
TEST_F(EventCodecTest, TimesPastTheLastRepresentableOneAreRefused) {
  Envelope tick;
  tick.set_event_id("t");
  auto* to = tick.mutable_clock_tick()->mutable_advance_to();
  to->set_seconds(kEndOfEventTimeSeconds - 1);  // 2161-12-31T23:59:59Z
  to->set_nanos(999999999);
  EXPECT_TRUE(Validate(tick).ok()) << Validate(tick).ToString();
  to->set_seconds(253370764800);  // 9999-01-01T00:00:00Z
  to->set_nanos(0);
  EXPECT_EQ(Validate(tick).ToString(),
            "invalid_argument: clock_tick.advance_to: 9999-01-01T00:00:00Z is after "
            "2161-12-31T23:59:59Z, the latest time riskd accepts (int64 nanoseconds end in 2262 "
            "and a disruption may last 100 years)");
  to->set_seconds(kEndOfEventTimeSeconds);
  EXPECT_NE(Validate(tick).ToString().find("2162-01-01T00:00:00Z is after"), std::string::npos);
  Envelope e = Disruption({"S1"});
  e.mutable_occurred_at()->set_seconds(kEndOfEventTimeSeconds);
  EXPECT_NE(Validate(e).ToString().find("occurred_at: 2162-01-01T00:00:00Z is after"),
            std::string::npos);
  // A 100-year disruption at the last accepted time still ends in range.
  EXPECT_LT(kEndOfEventTimeSeconds + 100LL * 366 * 86400,
            std::numeric_limits<std::int64_t>::max() / 1'000'000'000);
}

// A retry is the same event; an id reused for another event is not, and
// its DUPLICATE says so. What the daemon adds before journaling does not
// make a retry different.
TEST_F(EventCodecTest, ADuplicateTellsARetryFromAnotherEventUnderTheSameId) {
  Envelope sent = Disruption({"S1"});
  Envelope journaled = sent;
  journaled.mutable_occurred_at()->set_seconds(1'700'000'000);  // set by the daemon
  EXPECT_EQ(DuplicateDifference(sent, journaled), "");
  Envelope retry = sent;
  retry.set_source("erp-2");  // audit only
  EXPECT_EQ(DuplicateDifference(retry, journaled), "");
  retry.mutable_occurred_at()->set_seconds(1'700'000'000);
  EXPECT_EQ(DuplicateDifference(retry, journaled), "");
  retry.mutable_occurred_at()->set_seconds(1'700'086'400);
  EXPECT_EQ(DuplicateDifference(retry, journaled), "occurred_at");
  Envelope other = Disruption({"S1"}, 0.5);
  EXPECT_EQ(DuplicateDifference(other, journaled), "body");
  other = Disruption({"P1"});
  EXPECT_EQ(DuplicateDifference(other, journaled), "body");
  other.clear_disruption();
  other.mutable_supplier_status()->set_node_id("S1");
  EXPECT_EQ(DuplicateDifference(other, journaled), "body");
  // The CURVE client name is the daemon's addition.
  Envelope action = Assign();
  Envelope recorded = action;
  recorded.mutable_operator_action()->set_authenticated_client("ops-console");
  EXPECT_EQ(DuplicateDifference(action, recorded), "");
  action.mutable_operator_action()->set_assignee("emea-procurement");
  EXPECT_EQ(DuplicateDifference(action, recorded), "body");
}

TEST_F(EventCodecTest, DirectoryFollowsAcceptedNetworkChanges) {
  riskd::v1::NetworkChange add;
  add.mutable_add_node()->set_id("N9");
  dir_.Apply(add);
  EXPECT_TRUE(dir_.Has("N9"));
  riskd::v1::NetworkChange rm;
  rm.set_remove_node("S1");
  dir_.Apply(rm);
  EXPECT_FALSE(dir_.Has("S1"));
  EXPECT_EQ(Validate(Disruption({"S1"})).code(), Status::Code::kNotFound);
}

TEST_F(EventCodecTest, DirectoryMatchesPlacesAsTheEngineDoesAndFollowsMovedNodes) {
  riskd::v1::Place circle;
  circle.mutable_circle()->mutable_center()->set_lat(35);
  circle.mutable_circle()->mutable_center()->set_lon(139);
  circle.mutable_circle()->set_radius_km(10);
  auto match = dir_.Match(circle, 2);
  EXPECT_EQ(match.count, 3u);
  EXPECT_EQ(match.first_ids, (std::vector<std::string>{"O1", "P1"}));  // the first two by id
  // P1 moves to Osaka (400 km away) and changes region.
  riskd::v1::NetworkChange move;
  move.mutable_update_node()->set_id("P1");
  move.mutable_update_node()->set_region("JP-27");
  move.mutable_update_node()->mutable_location()->set_lat(34.69);
  move.mutable_update_node()->mutable_location()->set_lon(135.50);
  dir_.Apply(move);
  EXPECT_EQ(dir_.Match(circle, 10).count, 2u);
  riskd::v1::Place region;
  region.set_region("jp-27");
  match = dir_.Match(region, 10);
  EXPECT_EQ(match.first_ids, std::vector<std::string>{"P1"});
  region.set_region("JP");
  EXPECT_EQ(dir_.Match(region, 10).count, 2u);
}

TEST_F(EventCodecTest, PlacesLargerThanTheLimitAreRefused) {
  ValidationLimits limits;
  limits.max_place_area_km2 = 10000;  // a circle of about 56 km
  Envelope e = Disruption({});
  auto* c = e.mutable_disruption()->mutable_place()->mutable_circle();
  c->mutable_center()->set_lat(35);
  c->mutable_center()->set_lon(139);
  c->set_radius_km(50);
  EXPECT_TRUE(ValidateEnvelope(e, dir_, types_, limits).ok());
  c->set_radius_km(60);
  const Status st = ValidateEnvelope(e, dir_, types_, limits);
  EXPECT_EQ(st.ToString(),
            "resource_exhausted: disruption.place.circle: covers 1.13e+04 km^2, more than "
            "ingest.max_place_area_km2 (1e+04)");
  limits.max_place_area_km2 = 0;  // no limit
  c->set_radius_km(5000);
  EXPECT_TRUE(ValidateEnvelope(e, dir_, types_, limits).ok());
}

TEST_F(EventCodecTest, OperatorActionsAreCheckedAndConverted) {
  Envelope e = Assign();
  auto* a = e.mutable_operator_action();
  EXPECT_TRUE(Validate(e).ok());
  auto action = ToOperatorAction(*a, e.event_id());
  EXPECT_EQ(action.kind, engine::OperatorActionKind::kAssign);
  EXPECT_EQ(action.assignee, "apac-procurement");
  EXPECT_EQ(action.incident_id, "supply/7");
  EXPECT_EQ(action.event_id, "op-1");
  auto reason = [&] { return Validate(e).ToString(); };
  a->clear_assignee();
  EXPECT_EQ(reason(), "invalid_argument: operator_action.assignee: is required");
  a->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  a->set_level(riskd::v1::SEVERITY_CRITICAL);
  EXPECT_EQ(reason(), "invalid_argument: operator_action.level: is only for KIND_OVERRIDE_LEVEL");
  a->set_kind(riskd::v1::OperatorAction::KIND_OVERRIDE_LEVEL);
  EXPECT_TRUE(Validate(e).ok());
  EXPECT_EQ(ToOperatorAction(*a, "x").level, engine::AlertLevel::kCritical);
  a->set_level(riskd::v1::SEVERITY_UNSPECIFIED);
  EXPECT_FALSE(ToOperatorAction(*a, "x").level.has_value());  // clears the override
  a->clear_operator_();
  EXPECT_EQ(reason(), "invalid_argument: operator_action.operator: is required");
  a->set_operator_("ana");
  a->set_authenticated_client("forged");
  EXPECT_EQ(reason(),
            "invalid_argument: operator_action.authenticated_client: is set by the daemon, not by "
            "clients");
  a->clear_authenticated_client();
  a->set_kind(riskd::v1::OperatorAction::KIND_UNSPECIFIED);
  EXPECT_NE(reason().find("operator_action.kind: is required"), std::string::npos);
  // Operators act on incidents, not on the engine.
  engine::EngineOptions o;
  auto eng = engine::Engine::Create(o, net_);
  EXPECT_FALSE(ApplyEnvelope(e, types_, eng->get()).ok());
}

// Operators' free text is journaled and published: bounded, and without
// control characters (a newline or an escape would forge lines wherever it
// is printed). A reason of 1 MB used to be accepted.
TEST_F(EventCodecTest, OperatorFreeTextIsBoundedAndHasNoControlCharacters) {
  Envelope iv;
  iv.set_event_id("iv-1");
  iv.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  iv.mutable_intervention()->add_node_ids("S1");
  iv.mutable_intervention()->set_reason("Zürich plant on backup power");  // UTF-8 is text
  EXPECT_TRUE(Validate(iv).ok()) << Validate(iv).ToString();
  iv.mutable_intervention()->set_reason(std::string(1024, 'r'));
  EXPECT_TRUE(Validate(iv).ok());
  iv.mutable_intervention()->set_reason(std::string(1 << 20, 'r'));
  EXPECT_EQ(Validate(iv).ToString(),
            "invalid_argument: intervention.reason: is longer than 1024 bytes");
  iv.mutable_intervention()->set_reason("ok\nFORGED LINE");
  EXPECT_EQ(Validate(iv).ToString(),
            "invalid_argument: intervention.reason: contains a control character (0x0a at byte "
            "2)");
  iv.mutable_intervention()->set_reason("\x1b[2J");
  EXPECT_EQ(Validate(iv).ToString(),
            "invalid_argument: intervention.reason: contains a control character (0x1b at byte "
            "0)");
  // Not UTF-8: the Envelope does not even parse (proto3 strings), so the
  // ingest endpoint rejects it before validation.
  iv.mutable_intervention()->set_reason("\xff\xfe");
  Envelope parsed;
  EXPECT_FALSE(parsed.ParseFromString(iv.SerializeAsString()));

  Envelope e = Assign();
  auto* a = e.mutable_operator_action();
  a->set_note(std::string(1024, 'n'));
  ASSERT_TRUE(Validate(e).ok());
  a->set_operator_(std::string("an\0a", 4));
  EXPECT_EQ(Validate(e).ToString(),
            "invalid_argument: operator_action.operator: contains a control character (0x00 at "
            "byte 2)");
  a->set_operator_("ana");
  a->set_assignee("apac\tprocurement");
  EXPECT_EQ(Validate(e).ToString(),
            "invalid_argument: operator_action.assignee: contains a control character (0x09 at "
            "byte 4)");
  a->set_assignee("apac-procurement");
  a->set_note(
      "done \xc2\x9b"
      "31m");  // C1 CSI as UTF-8
  EXPECT_EQ(Validate(e).ToString(),
            "invalid_argument: operator_action.note: contains a control character (0x9b at byte "
            "5)");
}

// Every other text an Envelope carries into the journal, the incidents,
// Alertmanager, CSV exports, logs or an Ack: a bound, and one line without
// control characters, refused naming the field. A title, a status's detail,
// the source and node names used to take a newline or an escape sequence,
// and a risk type of any length was echoed back in "unknown risk type".
TEST_F(EventCodecTest, EveryTextFieldIsBoundedAndOneLineWithoutControlCharacters) {
  const std::string long_type(kMaxRiskTypeBytes, 'r');  // configured: the bound is accepted
  types_.names.insert(long_type);
  Envelope status;
  status.set_event_id("st-1");
  status.mutable_supplier_status()->set_node_id("P1");
  status.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_DISRUPTED);
  Envelope add_node;
  add_node.set_event_id("add-1");
  add_node.mutable_network_change()->mutable_add_node()->set_id("N1");
  Envelope update_node;
  update_node.set_event_id("upd-1");
  update_node.mutable_network_change()->mutable_update_node()->set_id("S1");
  Envelope region = Disruption({});
  region.mutable_disruption()->mutable_place()->set_region("JP");
  Envelope protect;
  protect.set_event_id("iv-1");
  protect.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  protect.mutable_intervention()->add_node_ids("S1");
  Envelope node_risk;
  node_risk.set_event_id("q-1");
  node_risk.mutable_query()->mutable_node_risk()->add_node_ids("S1");
  Envelope projection;
  projection.set_event_id("q-2");
  projection.mutable_query()->mutable_projection();
  Envelope plan;
  plan.set_event_id("q-3");
  plan.mutable_query()->mutable_plan()->set_k(1);

  struct Field {
    std::string path;      // as the reason names it
    std::size_t max;       // bytes
    std::string too_long;  // the reason past the bound
    Envelope base;         // valid as it is
    std::function<void(Envelope&, const std::string&)> set;
  };
  const auto longer = [](const std::string& path, std::size_t max) {
    return "invalid_argument: " + path + ": is longer than " + std::to_string(max) + " bytes";
  };
  const std::vector<Field> fields = {
      {"source", 256, longer("source", 256), Disruption({"S1"}),
       [](Envelope& e, const std::string& t) { e.set_source(t); }},
      {"supplier_status.detail", 4096, longer("supplier_status.detail", 4096), status,
       [](Envelope& e, const std::string& t) { e.mutable_supplier_status()->set_detail(t); }},
      {"disruption.title", 1024, longer("disruption.title", 1024), Disruption({"S1"}),
       [](Envelope& e, const std::string& t) { e.mutable_disruption()->set_title(t); }},
      {"disruption.feed_event_id", 256, longer("disruption.feed_event_id", 256), Disruption({"S1"}),
       [](Envelope& e, const std::string& t) { e.mutable_disruption()->set_feed_event_id(t); }},
      {"disruption.place.region", 64,
       "invalid_argument: disruption.place.region: must be 1..64 bytes", region,
       [](Envelope& e, const std::string& t) {
         e.mutable_disruption()->mutable_place()->set_region(t);
       }},
      {"network_change.add_node.name", 256, longer("network_change.add_node.name", 256), add_node,
       [](Envelope& e, const std::string& t) {
         e.mutable_network_change()->mutable_add_node()->set_name(t);
       }},
      {"network_change.add_node.kind", 256, longer("network_change.add_node.kind", 256), add_node,
       [](Envelope& e, const std::string& t) {
         e.mutable_network_change()->mutable_add_node()->set_kind(t);
       }},
      {"network_change.add_node.region", 256, longer("network_change.add_node.region", 256),
       add_node,
       [](Envelope& e, const std::string& t) {
         e.mutable_network_change()->mutable_add_node()->set_region(t);
       }},
      {"network_change.add_node.emergency_plan_id", 256,
       longer("network_change.add_node.emergency_plan_id", 256), add_node,
       [](Envelope& e, const std::string& t) {
         e.mutable_network_change()->mutable_add_node()->set_emergency_plan_id(t);
       }},
      {"network_change.update_node.name", 256, longer("network_change.update_node.name", 256),
       update_node,
       [](Envelope& e, const std::string& t) {
         e.mutable_network_change()->mutable_update_node()->set_name(t);
       }},
      {"supplier_status.risk_type", 32, longer("supplier_status.risk_type", 32), status,
       [](Envelope& e, const std::string& t) { e.mutable_supplier_status()->set_risk_type(t); }},
      {"disruption.risk_type", 32, longer("disruption.risk_type", 32), Disruption({"S1"}),
       [](Envelope& e, const std::string& t) { e.mutable_disruption()->set_risk_type(t); }},
      {"intervention.risk_type", 32, longer("intervention.risk_type", 32), protect,
       [](Envelope& e, const std::string& t) { e.mutable_intervention()->set_risk_type(t); }},
      {"query.node_risk.risk_type", 32, longer("query.node_risk.risk_type", 32), node_risk,
       [](Envelope& e, const std::string& t) {
         e.mutable_query()->mutable_node_risk()->set_risk_type(t);
       }},
      {"query.projection.risk_type", 32, longer("query.projection.risk_type", 32), projection,
       [](Envelope& e, const std::string& t) {
         e.mutable_query()->mutable_projection()->set_risk_type(t);
       }},
      {"query.plan.risk_type", 32, longer("query.plan.risk_type", 32), plan,
       [](Envelope& e, const std::string& t) {
         e.mutable_query()->mutable_plan()->set_risk_type(t);
       }},
  };
  for (const auto& f : fields) {
    SCOPED_TRACE(f.path);
    const bool risk_type = f.path.find("risk_type") != std::string::npos;
    // At the bound: accepted (free text ends on a two-byte UTF-8 character).
    const std::string at_bound =
        risk_type ? long_type : std::string(f.max - 2, 'x') + "\xc3\xbc";  // ü
    ASSERT_EQ(at_bound.size(), f.max);
    Envelope e = f.base;
    ASSERT_TRUE(Validate(e).ok()) << Validate(e).ToString();
    f.set(e, at_bound);
    EXPECT_TRUE(Validate(e).ok()) << Validate(e).ToString();
    f.set(e, at_bound + "x");
    EXPECT_EQ(Validate(e).ToString(), f.too_long);
    const auto control = [&](const std::string& hex, std::size_t at) {
      return "invalid_argument: " + f.path + ": contains a control character (0x" + hex +
             " at byte " + std::to_string(at) + ")";
    };
    // One line: no newline (nor carriage return or tab), no escape, no C1.
    f.set(e, "one\ntwo");
    EXPECT_EQ(Validate(e).ToString(), control("0a", 3));
    f.set(e, "one\rtwo");
    EXPECT_EQ(Validate(e).ToString(), control("0d", 3));
    f.set(e, "a\tb");
    EXPECT_EQ(Validate(e).ToString(), control("09", 1));
    f.set(e, "ab\x1b[2J");
    EXPECT_EQ(Validate(e).ToString(), control("1b", 2));
    f.set(e, std::string("n\0l", 3));
    EXPECT_EQ(Validate(e).ToString(), control("00", 1));
    f.set(e, "c1\xc2\x85");
    EXPECT_EQ(Validate(e).ToString(), control("85", 2));
    f.set(e, "del\x7f");
    EXPECT_EQ(Validate(e).ToString(), control("7f", 3));
  }
}

// Feed text is sanitized, not refused (connectors/feeds): control characters
// become spaces, bytes that are not UTF-8 '?', and the cut falls on a
// character boundary; what comes out always passes CheckText.
TEST(SanitizeFeedTextTest, ControlCharactersBecomeSpacesAndTheCutKeepsWholeCharacters) {
  EXPECT_EQ(SanitizeFeedText("M 7.1 - Ishinomaki\r\n\tJapan", 100), "M 7.1 - Ishinomaki   Japan");
  EXPECT_EQ(SanitizeFeedText("a\x1b[2Jb\x7f", 100), "a [2Jb ");
  EXPECT_EQ(SanitizeFeedText(std::string("n\0l", 3), 100), "n l");
  EXPECT_EQ(SanitizeFeedText("C1\xc2\x85|\xc2\x9f|\xc2\xa0", 100), "C1 | |\xc2\xa0");  // NBSP stays
  EXPECT_EQ(SanitizeFeedText("Z\xc3\xbcrich", 100), "Z\xc3\xbcrich");
  // Not UTF-8: a Latin-1 byte, a lone continuation byte, a truncated
  // sequence, an overlong '/', a surrogate.
  EXPECT_EQ(SanitizeFeedText("Z\xfcrich", 100), "Z?rich");
  EXPECT_EQ(SanitizeFeedText("\x80x", 100), "?x");
  EXPECT_EQ(SanitizeFeedText("x\xe2\x82", 100), "x??");
  EXPECT_EQ(SanitizeFeedText("\xc0\xaf", 100), "??");
  EXPECT_EQ(SanitizeFeedText("\xed\xa0\x80", 100), "???");
  EXPECT_EQ(SanitizeFeedText("\xf0\x9f\x8c\x8a wave", 100), "\xf0\x9f\x8c\x8a wave");
  // The bound: never more bytes, never half a character.
  EXPECT_EQ(SanitizeFeedText("abcdef", 4), "abcd");
  EXPECT_EQ(SanitizeFeedText("ab\xc3\xbc", 3), "ab");
  EXPECT_EQ(SanitizeFeedText("ab\xc3\xbc", 4), "ab\xc3\xbc");
  EXPECT_EQ(SanitizeFeedText("\xf0\x9f\x8c\x8a", 3), "");
  EXPECT_EQ(SanitizeFeedText("", 4), "");
}

// What a NetworkChange says about a node is what Query{network} (and the
// dashboard's /api/network) answers: every attribute. The node's value was
// left out of the answer.
TEST(NodeSpecTest, ANodeSpecRoundTripsThroughTheEngineWithEveryAttribute) {
  riskd::v1::NodeSpec spec;
  spec.set_id("N1");
  spec.set_name("Kumamoto fab");
  spec.set_kind("supplier");
  spec.set_tier(3);
  spec.set_region("JP");
  spec.mutable_location()->set_lat(32.8);
  spec.mutable_location()->set_lon(130.7);
  spec.set_inventory_days(4.5);
  spec.add_alternates("N2");
  spec.set_emergency_plan_id("plan-7");
  spec.set_value(1000);
  riskd::v1::NodeSpec back;
  ToNodeSpec(ToNodeAttributes(spec), &back);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, spec)) << back.DebugString();
  EXPECT_TRUE(back.has_value());
}

}  // namespace
}  // namespace riskd::connectors
