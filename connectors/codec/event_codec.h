// Event codec: checks riskd.v1.Envelope messages and turns them into engine
// calls. Validation has two parts: ValidateEnvelope() runs on the ingest
// thread before anything is journaled (structure, ranges, known risk types,
// known node ids, using the ingest thread's NodeDirectory); ApplyEnvelope()
// runs on the engine thread and performs the change. Everything a producer
// can get wrong is caught by the first, so an accepted event applies, except
// for races between network changes in flight (documented in
// docs/protocol.md), which ApplyEnvelope reports.
#ifndef RISKD_CONNECTORS_CODEC_EVENT_CODEC_H_
#define RISKD_CONNECTORS_CODEC_EVENT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "connectors/codec/node_directory.h"
#include "engine/engine.h"
#include "engine/incidents.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

// How events name risk types: explicitly, through the hazard, or by default.
struct RiskTypeResolver {
  std::set<std::string> names;                   // configured risk types
  std::string default_risk_type;                 // one of names
  std::map<int, std::string> hazard_risk_types;  // riskd.v1.Hazard -> name

  // The risk type an event means. InvalidArgument for unknown names.
  Result<std::string> Resolve(std::string_view explicit_name, int hazard) const;
};

// How event times map to the model clock: steps of projection.step counted
// from the Unix epoch (docs/protocol.md, "The model clock").
struct EventTiming {
  std::int64_t step_ns = 86'400'000'000'000;  // > 0
  // Default expected duration of a Disruption per riskd.v1.Hazard, in ns.
  std::map<int, std::int64_t> hazard_duration_ns;
};

// The step a time falls in (floor), and the time a step starts at.
engine::Step StepOfUnixNs(std::int64_t unix_ns, std::int64_t step_ns);
std::int64_t UnixNsOfStep(engine::Step step, std::int64_t step_ns);
// The latest event time and clock tick ingest accepts (exclusive):
// 2162-01-01T00:00:00Z. Times are kept as int64 nanoseconds, which end on
// 2262-04-11, and a disruption may last 100 years past its time, so its end
// must fit too; later times used to be clamped to 2262 silently.
inline constexpr std::int64_t kEndOfEventTimeSeconds = 6'058'972'800;
// Nanoseconds since the Unix epoch (times after 2262-04-11, the end of
// int64 nanoseconds, count as then: ingest refuses them since
// kEndOfEventTimeSeconds, but a journal written before replays as recorded).
std::int64_t UnixNs(const google::protobuf::Timestamp& time);
// How many steps a disruption lasts: its expected_duration, else the
// hazard's default, rounded up to whole steps; 0 when neither is known.
engine::Step DisruptionSteps(const riskd::v1::Disruption& disruption, const EventTiming& timing);

// What one Envelope may hold (config ingest.*, declared in envelope.proto);
// more is answered resource_exhausted naming the key.
struct ValidationLimits {
  // ingest.max_nodes_per_event: ids in one list (disruption, intervention,
  // node_risk query, a node's alternates).
  std::size_t max_ids_per_event = 100000;
  // ingest.max_place_vertices: vertices of one polygon place.
  std::size_t max_polygon_vertices = 10000;
  // Circles and polygons covering more are rejected; 0: no limit.
  double max_place_area_km2 = 0;
};

// Length bounds of the Envelope's free text (declared in envelope.proto).
// Every text field is also one line: no control characters (C0 including
// newline, tab and NUL, DEL, C1), invalid_argument otherwise.
inline constexpr std::size_t kMaxSourceBytes = 256;       // Envelope.source
inline constexpr std::size_t kMaxDetailBytes = 4096;      // SupplierStatus.detail
inline constexpr std::size_t kMaxTitleBytes = 1024;       // Disruption.title
inline constexpr std::size_t kMaxFeedEventIdBytes = 256;  // Disruption.feed_event_id
inline constexpr std::size_t kMaxNodeTextBytes = 256;     // NodeSpec name, kind, region, plan
inline constexpr std::size_t kMaxRiskTypeBytes = 32;      // any risk_type ([a-z0-9_]{1,32})

// Text the daemon takes from an outside feed (a quake's title, a CSV
// field) made what ingest accepts, rather than lose the event: every
// control character (C0, DEL, C1) becomes a space, every byte that is not
// UTF-8 a '?', and the result is cut to at most `max_bytes` bytes, at a
// character boundary.
std::string SanitizeFeedText(std::string_view text, std::size_t max_bytes);

// The length of the well-formed UTF-8 character at text[i] (RFC 3629, as
// protobuf checks strings: no overlong forms, no surrogates, nothing past
// U+10FFFF), or 0 if none starts there. REQUIRES: i < text.size().
std::size_t Utf8CharLength(std::string_view text, std::size_t i);

// The first control character of `text` (C0 including newline, tab and
// NUL, DEL, or C1 as UTF-8: what LogSafe escapes and ingest refuses in
// text), as "0xNN at byte K", or "" if there is none.
std::string FirstControlCharacter(std::string_view text);

// Structural and referential validation; the Status message says what is
// wrong and where (field path), e.g.
//   not_found: disruption.node_ids[2]: node 'X9' is not in the network
Status ValidateEnvelope(const riskd::v1::Envelope& envelope, const NodeDirectory& nodes,
                        const RiskTypeResolver& resolver, const ValidationLimits& limits = {});

// What differs between an event sent again under a journaled event id and
// the event journaled under it: "" when nothing does (a producer's retry),
// else "body" or "occurred_at". What the daemon fills in before journaling
// does not count: occurred_at when the retry has none, and an operator
// action's authenticated_client; nor does source (audit only).
std::string DuplicateDifference(const riskd::v1::Envelope& retry,
                                const riskd::v1::Envelope& journaled);

// What an applied event did, for the incident book.
struct AppliedEvent {
  // The event disrupted nodes (a Disruption, or a DISRUPTED status): the
  // trigger, without seq and time (the caller knows them).
  std::optional<engine::Trigger> trigger;
  // Nodes whose observed state it may have changed, for risk_type (-1:
  // every risk type). For a Disruption: every node it hit, sorted (its
  // footprint).
  int risk_type = -1;
  std::vector<engine::NodeIndex> touched;
  // A Disruption with a place: the nodes the place matched.
  std::size_t place_matched = 0;
};

// Applies a validated event (not a Query, not an OperatorAction) to the
// engine and, if `applied` is not null, says what it did. Statuses and
// disruptions are placed at the step of occurred_at (unset: the engine's
// now), a disruption lasts its expected_duration or the hazard's default
// (rounded up to steps; neither: not known), a ClockTick advances the
// engine's clock.
Status ApplyEnvelope(const riskd::v1::Envelope& envelope, const RiskTypeResolver& resolver,
                     engine::Engine* engine, AppliedEvent* applied = nullptr,
                     const EventTiming& timing = {});

// A validated OperatorAction for the incident book (seq and time unset).
engine::OperatorAction ToOperatorAction(const riskd::v1::OperatorAction& action,
                                        const std::string& event_id);

// Conversions shared with importers and outputs.
engine::NodeAttributes ToNodeAttributes(const riskd::v1::NodeSpec& spec);
engine::Layer ToLayer(riskd::v1::Layer layer);  // UNSPECIFIED -> material
engine::Place ToPlace(const riskd::v1::Place& place);

namespace internal {
inline Status AsStatus(Status s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

// Applies a network change to anything with the network's change methods
// (engine::Engine, engine::Network): the one place that maps a
// NetworkChange to calls.
template <typename Target>
Status ApplyNetworkChange(const riskd::v1::NetworkChange& c, Target* target) {
  using C = riskd::v1::NetworkChange;
  switch (c.change_case()) {
    case C::kAddNode:
      return internal::AsStatus(target->AddNode(ToNodeAttributes(c.add_node())));
    case C::kUpdateNode:
      return target->UpdateNode(ToNodeAttributes(c.update_node()));
    case C::kRemoveNode:
      return target->RemoveNode(c.remove_node());
    case C::kAddEdge:
      return target->AddEdge(c.add_edge().from(), c.add_edge().to(), ToLayer(c.add_edge().layer()),
                             c.add_edge().weight());
    case C::kRemoveEdge:
      return target->RemoveEdge(c.remove_edge().from(), c.remove_edge().to(),
                                ToLayer(c.remove_edge().layer()));
    case C::kSetEdgeWeight:
      return target->SetEdgeWeight(c.set_edge_weight().from(), c.set_edge_weight().to(),
                                   ToLayer(c.set_edge_weight().layer()),
                                   c.set_edge_weight().weight());
    case C::CHANGE_NOT_SET:
      break;
  }
  return Status::InvalidArgument("network_change: no change set");
}

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CODEC_EVENT_CODEC_H_
