// The bad-input matrix through the running daemon (issue 14, point 5):
// every kind of malformed, out-of-range or hostile request is answered as
// docs/protocol.md documents, the daemon keeps serving, and afterwards its
// state equals that of a fresh daemon sent the accepted events only.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kDay = 86400 * kSecond;
constexpr std::int64_t kT0 = 19'800 * kDay;  // 2024-03-18T00:00Z: the model clock

std::string Config() {
  return DemoNetworkConfig() +
         "ingest { max_message_bytes: 4096 }\n"
         "clock { mode: MODE_MANUAL start { seconds: " +
         std::to_string(kT0 / kSecond) + " } }\n";
}

Envelope Quake(const std::string& id, std::vector<std::string> nodes, double severity = 1.0,
               std::int64_t at_ns = kT0) {
  Envelope e;
  e.set_event_id(id);
  connectors::SetTimestamp(at_ns, e.mutable_occurred_at());
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(severity);
  for (auto& n : nodes) d->add_node_ids(n);
  return e;
}

Envelope Edge(const std::string& id, double weight) {
  Envelope e;
  e.set_event_id(id);
  auto* edge = e.mutable_network_change()->mutable_add_edge();
  edge->set_from("FAB-KUM");
  edge->set_to("OEM-TOY");
  edge->set_weight(weight);
  return e;
}

Envelope AddNode(const std::string& id, const std::string& node) {
  Envelope e;
  e.set_event_id(id);
  e.mutable_network_change()->mutable_add_node()->set_id(node);
  return e;
}

// Sends `frames` as one multi-part message on a fresh DEALER; the Ack.
std::optional<Ack> SendFrames(DaemonHarness& h, const std::vector<std::string>& frames) {
  zmq::socket_t dealer(h.context(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(h.ingest());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    dealer.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::seconds(10)) <= 0) return std::nullopt;
  zmq::message_t reply;
  (void)dealer.recv(reply);
  if (reply.size() == 0 && reply.more()) (void)dealer.recv(reply);  // REQ framing kept
  Ack ack;
  if (!ack.ParseFromArray(reply.data(), static_cast<int>(reply.size()))) return std::nullopt;
  return ack;
}

std::string Digest(DaemonHarness& h) {
  Envelope q;
  q.set_event_id("digest");
  q.mutable_query()->mutable_snapshot();
  auto ack = h.Send(q);
  EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  return ack ? SnapshotStateDigest(ack->response().snapshot()) : "";
}

TEST(BadInputE2ETest, EveryBadInputIsAnsweredAsDocumentedAndStateEqualsAReplayOfTheAccepted) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();

  // What must be accepted, in order, interleaved with the bad input below.
  std::vector<Envelope> accepted;
  // Each bad request: raw frames, and the reason expected (exactly, or as a
  // prefix when it ends with "...").
  struct Case {
    std::string name;
    std::vector<std::string> frames;
    std::string reason;
  };
  const std::string good = Quake("frame-ok", {"FAB-KUM"}).SerializeAsString();
  std::vector<Case> cases = {
      {"garbage",
       {std::string("\xff\xfe\x00garbage\x01", 11)},
       "invalid_argument: payload: cannot parse 11 bytes as riskd.v1.Envelope..."},
      {"empty", {""}, "invalid_argument: event_id: is required"},
      {"truncated",
       {good.substr(0, good.size() - 3)},
       "invalid_argument: payload: cannot parse..."},
      {"oversized",
       {std::string(8000, 'x')},
       "resource_exhausted: envelope of 8000 bytes exceeds ingest.max_message_bytes (4096)"},
      {"extra frame",
       {good, "trailer"},
       "invalid_argument: an Envelope is one frame; the message had 2"},
      {"extra frames",
       {good, "x", "y"},
       "invalid_argument: an Envelope is one frame; the message had 3"},
      // REQ framing (an empty delimiter) around an empty Envelope.
      {"delimited empty", {"", ""}, "invalid_argument: event_id: is required"},
  };
  // Wrong oneof: another message's bytes; missing oneof: only an id.
  riskd::v1::Alert alert;
  alert.set_alert_id("not-an-envelope");
  alert.set_probability(0.5);
  cases.push_back({"wrong message", {alert.SerializeAsString()}, "invalid_argument: ..."});
  Envelope bodiless;
  bodiless.set_event_id("no-body");
  cases.push_back({"missing oneof",
                   {bodiless.SerializeAsString()},
                   "invalid_argument: envelope: has no body..."});
  for (const auto& [name, severity] :
       std::vector<std::pair<std::string, double>>{{"nan", nan},
                                                   {"+inf", inf},
                                                   {"-inf", -inf},
                                                   {"negative", -0.5},
                                                   {"zero", 0},
                                                   {"over one", 1.5}}) {
    cases.push_back({"severity " + name,
                     {Quake("sev-" + name, {"FAB-KUM"}, severity).SerializeAsString()},
                     "invalid_argument: disruption.severity: must be in (0, 1]"});
  }
  for (const auto& [name, weight] : std::vector<std::pair<std::string, double>>{
           {"nan", nan}, {"+inf", inf}, {"-inf", -inf}, {"negative", -3}, {"zero", 0}}) {
    cases.push_back({"weight " + name,
                     {Edge("w-" + name, weight).SerializeAsString()},
                     "invalid_argument: network_change.add_edge.weight: must be finite and > 0"});
  }
  cases.push_back({"weight 1e308",
                   {Edge("w-huge", 1e308).SerializeAsString()},
                   "invalid_argument: network_change.add_edge.weight: must be at most 1e15"});
  cases.push_back({"unknown node",
                   {Quake("unknown", {"NO-SUCH-NODE"}).SerializeAsString()},
                   "not_found: disruption.node_ids[0]: node 'NO-SUCH-NODE' is not in the network"});
  cases.push_back(
      {"duplicate node",
       {Quake("dup-node", {"FAB-KUM", "COK-CHI", "FAB-KUM"}).SerializeAsString()},
       "invalid_argument: disruption.node_ids[2]: node 'FAB-KUM' is listed twice (also at [0])"});
  cases.push_back({"existing node",
                   {AddNode("exists", "FAB-KUM").SerializeAsString()},
                   "already_exists: network_change.add_node.id: node 'FAB-KUM' already exists"});
  cases.push_back({"NUL in event id",
                   {Quake(std::string("nul\0id", 6), {"FAB-KUM"}).SerializeAsString()},
                   "invalid_argument: event_id: contains a control character (0x00 at byte 3)"});
  cases.push_back({"escape in event id",
                   {Quake("esc\x1b[2J", {"FAB-KUM"}).SerializeAsString()},
                   "invalid_argument: event_id: contains a control character (0x1b at byte 3)"});
  cases.push_back({"newline in node id",
                   {AddNode("ctl-node", "N\nforged").SerializeAsString()},
                   "invalid_argument: network_change.add_node.id: contains a control character "
                   "(0x0a at byte 1)"});
  cases.push_back({"C1 in node id",
                   {AddNode("c1-node", "N\xc2\x85x").SerializeAsString()},
                   "invalid_argument: network_change.add_node.id: contains a control character "
                   "(0x85 at byte 1)"});
  // Operators' text is journaled and published: bounded, one line.
  Envelope protect;
  protect.set_event_id("protect");
  protect.mutable_intervention()->set_kind(riskd::v1::Intervention::KIND_IMMUNIZE);
  protect.mutable_intervention()->add_node_ids("FAB-KUM");
  protect.mutable_intervention()->set_reason(std::string(1025, 'r'));
  cases.push_back({"long intervention reason",
                   {protect.SerializeAsString()},
                   "invalid_argument: intervention.reason: is longer than 1024 bytes"});
  protect.mutable_intervention()->set_reason("ok\nFORGED");
  cases.push_back({"newline in intervention reason",
                   {protect.SerializeAsString()},
                   "invalid_argument: intervention.reason: contains a control character (0x0a "
                   "at byte 2)"});
  Envelope ack_note;
  ack_note.set_event_id("ack-note");
  ack_note.mutable_operator_action()->set_incident_id("supply/1");
  ack_note.mutable_operator_action()->set_kind(riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  ack_note.mutable_operator_action()->set_operator_("ana");
  ack_note.mutable_operator_action()->set_note("seen\x1b[2J");
  cases.push_back({"escape in operator note",
                   {ack_note.SerializeAsString()},
                   "invalid_argument: operator_action.note: contains a control character (0x1b "
                   "at byte 4)"});
  // Every other text is bounded and one line too: a title, a status's
  // detail, the source, node names reach the journal, incidents,
  // Alertmanager, CSV exports and logs; a risk type is echoed in the Ack.
  Envelope titled = Quake("titled", {"FAB-KUM"});
  titled.mutable_disruption()->set_title("M 7.1\nFORGED LINE");
  cases.push_back({"newline in disruption title",
                   {titled.SerializeAsString()},
                   "invalid_argument: disruption.title: contains a control character (0x0a at "
                   "byte 5)"});
  Envelope detailed;
  detailed.set_event_id("detailed");
  detailed.mutable_supplier_status()->set_node_id("FAB-KUM");
  detailed.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_DISRUPTED);
  detailed.mutable_supplier_status()->set_detail("line down\x1b[31m");
  cases.push_back({"escape in supplier status detail",
                   {detailed.SerializeAsString()},
                   "invalid_argument: supplier_status.detail: contains a control character "
                   "(0x1b at byte 9)"});
  Envelope sourced = Quake("sourced", {"FAB-KUM"});
  sourced.set_source("erp\r\nX-Forged: 1");
  cases.push_back({"carriage return in source",
                   {sourced.SerializeAsString()},
                   "invalid_argument: source: contains a control character (0x0d at byte 3)"});
  Envelope named = AddNode("named", "NEW-NODE");
  named.mutable_network_change()->mutable_add_node()->set_name("Kumamoto\tfab");
  cases.push_back({"tab in node name",
                   {named.SerializeAsString()},
                   "invalid_argument: network_change.add_node.name: contains a control "
                   "character (0x09 at byte 8)"});
  Envelope typed = Quake("typed", {"FAB-KUM"});
  typed.mutable_disruption()->set_risk_type(std::string(200, 't'));
  cases.push_back({"long risk type",
                   {typed.SerializeAsString()},
                   "invalid_argument: disruption.risk_type: is longer than 32 bytes"});
  // int64 nanoseconds end in 2262: the clock used to stop there silently.
  Envelope tick;
  tick.set_event_id("tick-9999");
  tick.mutable_clock_tick()->mutable_advance_to()->set_seconds(253370764800);
  cases.push_back({"tick to 9999",
                   {tick.SerializeAsString()},
                   "invalid_argument: clock_tick.advance_to: 9999-01-01T00:00:00Z is after "
                   "2161-12-31T23:59:59Z, the latest time riskd accepts (int64 nanoseconds end "
                   "in 2262 and a disruption may last 100 years)"});
  cases.push_back({"far future",
                   {Quake("future", {"FAB-KUM"}, 1, kT0 + 5 * kDay).SerializeAsString()},
                   "invalid_argument: occurred_at: 2024-03-23T00:00:00Z is 432000 s ahead of the "
                   "daemon's clock "
                   "(2024-03-18T00:00:00Z; clock.max_skew 300 s)"});

  // A place covering the whole Earth (every node) is refused by
  // ingest.max_place_area_km2 (docs/protocol.md).
  Envelope everywhere;
  everywhere.set_event_id("everywhere");
  connectors::SetTimestamp(kT0 - 2 * kDay, everywhere.mutable_occurred_at());
  everywhere.mutable_disruption()->set_hazard(riskd::v1::HAZARD_FLOOD);
  everywhere.mutable_disruption()->set_severity(0.2);
  auto* circle = everywhere.mutable_disruption()->mutable_place()->mutable_circle();
  circle->mutable_center()->set_lat(0);
  circle->mutable_center()->set_lon(0);
  circle->set_radius_km(20'100);  // half the Earth's circumference: all of it
  cases.push_back({"place covering every node",
                   {everywhere.SerializeAsString()},
                   "resource_exhausted: disruption.place.circle: covers 5.1e+08 km^2, more than "
                   "ingest.max_place_area_km2 (3.2e+06)"});
  // Accepted: out-of-order and far-past times.
  accepted.push_back(Quake("later", {"FAB-KUM"}, 1.0, kT0 - kDay));
  accepted.push_back(Quake("earlier", {"COK-CHI"}, 0.7, kT0 - 3 * kDay));     // out of order
  accepted.push_back(Quake("far-past", {"STL-DUI"}, 1.0, kT0 - 400 * kDay));  // history only

  std::size_t next_good = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    auto ack = SendFrames(h, c.frames);
    ASSERT_TRUE(ack) << c.name << ": no answer";
    EXPECT_EQ(ack->result(), Ack::RESULT_REJECTED) << c.name;
    if (c.reason.size() > 3 && c.reason.compare(c.reason.size() - 3, 3, "...") == 0) {
      const std::string prefix = c.reason.substr(0, c.reason.size() - 3);
      EXPECT_EQ(ack->reason().substr(0, prefix.size()), prefix) << c.name << ": " << ack->reason();
    } else {
      EXPECT_EQ(ack->reason(), c.reason) << c.name;
    }
    // Interleave the accepted events: the bad input around them changes nothing.
    if (i % 7 == 3 && next_good < accepted.size()) {
      auto ok = h.Send(accepted[next_good]);
      ASSERT_TRUE(ok);
      EXPECT_EQ(ok->result(), Ack::RESULT_ACCEPTED)
          << accepted[next_good].event_id() << ": " << ok->reason();
      EXPECT_EQ(ok->journal_seq(), next_good + 1);
      ++next_good;
    }
  }
  for (; next_good < accepted.size(); ++next_good) {
    auto ok = h.Send(accepted[next_good]);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result(), Ack::RESULT_ACCEPTED)
        << accepted[next_good].event_id() << ": " << ok->reason();
  }
  // Duplicates change nothing either.
  auto dup = h.Send(accepted.front());
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(dup->journal_seq(), 1u);
  EXPECT_EQ(dup->reason(), "");  // a retry
  // The same id for another event: DUPLICATE too (nothing changes), and
  // the reason says it is not a retry.
  Envelope reused = accepted.front();
  reused.mutable_disruption()->set_node_ids(0, "COK-CHI");
  dup = h.Send(reused);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->result(), Ack::RESULT_DUPLICATE);
  EXPECT_EQ(dup->journal_seq(), 1u);
  EXPECT_EQ(dup->reason(),
            "already_exists: event_id 'later' was journaled with a different body; this "
            "envelope changed nothing (a new event needs a new event_id)");
  EXPECT_TRUE(h.WaitForLog("(far-past) occurred before the history window")) << h.log();

  const std::string state = Digest(h);
  EXPECT_NE(state.find("FAB-KUM"), std::string::npos) << state;
  EXPECT_EQ(h.Stop(), 0);

  // A fresh daemon sent the accepted events only reaches the same state.
  DaemonHarness replay(Config());
  ASSERT_TRUE(replay.Start());
  for (const auto& e : accepted)
    ASSERT_EQ(replay.Send(e)->result(), Ack::RESULT_ACCEPTED) << e.event_id();
  EXPECT_EQ(Digest(replay), state);
  EXPECT_EQ(replay.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
