#include "connectors/codec/event_codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "connectors/importers/importer.h"
#include "engine/geo.h"

namespace riskd::connectors {
namespace {

using riskd::v1::Envelope;

Status Invalid(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

bool Finite(double x) { return std::isfinite(x); }

// Ids travel into topics, logs, Alertmanager labels and dashboards: no
// control characters (NUL included).
Status CheckId(const std::string& where, const std::string& id) {
  if (id.empty()) return Invalid(where, "is required");
  if (id.size() > 256) return Invalid(where, "is longer than 256 bytes");
  if (const std::string c = FirstControlCharacter(id); !c.empty()) {
    return Invalid(where, "contains a control character (" + c + ")");
  }
  return Status::Ok();
}

// Free text from the wire (operators' who, assignee, note and reason; a
// title, a status's detail, names, the source) is journaled, published with
// the incident or event, posted to Alertmanager, written to CSV and printed
// by riskctl and the dashboard: a length bound, and one line without control
// characters (a newline or an escape sequence would forge lines in a
// terminal, a log, a CSV file or the audit trail). Protobuf has already
// refused invalid UTF-8 when the Envelope was parsed.
Status CheckText(const std::string& where, const std::string& text, std::size_t min,
                 std::size_t max) {
  if (text.size() < min) return Invalid(where, "is required");
  if (text.size() > max) return Invalid(where, "is longer than " + std::to_string(max) + " bytes");
  if (const std::string c = FirstControlCharacter(text); !c.empty()) {
    return Invalid(where, "contains a control character (" + c + ")");
  }
  return Status::Ok();
}

// A risk type an event names: configured names are [a-z0-9_]{1,32}, so a
// longer one, or one with a control character, is refused before "unknown
// risk type '...'" echoes it into the Ack and the refusal log.
Result<std::string> ResolveRiskType(const std::string& where, const std::string& name, int hazard,
                                    const RiskTypeResolver& types) {
  RISKD_RETURN_IF_ERROR(CheckText(where, name, 0, kMaxRiskTypeBytes));
  auto r = types.Resolve(name, hazard);
  if (!r.ok()) return r.status().WithContext(where);
  return r;
}

Status OverLimit(const std::string& where, std::size_t count, const char* what, const char* key,
                 std::size_t limit) {
  return Status::ResourceExhausted(where + ": " + std::to_string(count) + " " + what + ", over " +
                                   key + " (" + std::to_string(limit) + ")");
}

Status CheckNode(const std::string& where, const std::string& id, const NodeDirectory& nodes) {
  RISKD_RETURN_IF_ERROR(CheckId(where, id));
  if (!nodes.Has(id)) return Status::NotFound(where + ": node '" + id + "' is not in the network");
  return Status::Ok();
}

Status CheckPoint(const std::string& where, const riskd::v1::GeoPoint& p) {
  if (!Finite(p.lat()) || !Finite(p.lon()) || std::fabs(p.lat()) > 90 || std::fabs(p.lon()) > 180) {
    return Invalid(where, "lat must be in [-90, 90] and lon in [-180, 180]");
  }
  return Status::Ok();
}

// Circles and polygons larger than the limit are rejected: a place that
// covers a continent is a mistake (or an attack), not a disruption.
Status CheckPlaceArea(const std::string& where, const engine::Place& place,
                      const ValidationLimits& limits) {
  if (!(limits.max_place_area_km2 > 0)) return Status::Ok();
  const double area = engine::PlaceAreaKm2(place);
  if (area <= limits.max_place_area_km2) return Status::Ok();
  char text[160];
  std::snprintf(text, sizeof text, "covers %.3g km^2, more than ingest.max_place_area_km2 (%.3g)",
                area, limits.max_place_area_km2);
  return Status::ResourceExhausted(where + ": " + text);
}

Status CheckPlace(const riskd::v1::Place& place, const ValidationLimits& limits) {
  switch (place.shape_case()) {
    case riskd::v1::Place::kCircle:
      RISKD_RETURN_IF_ERROR(CheckPoint("disruption.place.circle.center", place.circle().center()));
      if (!Finite(place.circle().radius_km()) || place.circle().radius_km() <= 0) {
        return Invalid("disruption.place.circle.radius_km", "must be finite and > 0");
      }
      return CheckPlaceArea("disruption.place.circle", ToPlace(place), limits);
    case riskd::v1::Place::kPolygon: {
      const auto& v = place.polygon().vertices();
      if (v.size() < 3) return Invalid("disruption.place.polygon", "needs at least 3 vertices");
      if (static_cast<std::size_t>(v.size()) > limits.max_polygon_vertices) {
        return OverLimit("disruption.place.polygon", static_cast<std::size_t>(v.size()), "vertices",
                         "ingest.max_place_vertices", limits.max_polygon_vertices);
      }
      for (int i = 0; i < v.size(); ++i) {
        RISKD_RETURN_IF_ERROR(
            CheckPoint("disruption.place.polygon.vertices[" + std::to_string(i) + "]", v[i]));
      }
      return CheckPlaceArea("disruption.place.polygon", ToPlace(place), limits);
    }
    case riskd::v1::Place::kRegion:
      if (place.region().empty() || place.region().size() > 64) {
        return Invalid("disruption.place.region", "must be 1..64 bytes");
      }
      return CheckText("disruption.place.region", place.region(), 1, 64);
    case riskd::v1::Place::SHAPE_NOT_SET:
      break;
  }
  return Invalid("disruption.place", "has no shape (circle, polygon or region)");
}

Status CheckNodeSpec(const std::string& where, const riskd::v1::NodeSpec& n,
                     const ValidationLimits& limits) {
  RISKD_RETURN_IF_ERROR(CheckId(where + ".id", n.id()));
  for (const auto& [field, text] : {std::pair<const char*, const std::string*>{"name", &n.name()},
                                    {"kind", &n.kind()},
                                    {"region", &n.region()},
                                    {"emergency_plan_id", &n.emergency_plan_id()}}) {
    RISKD_RETURN_IF_ERROR(CheckText(where + "." + field, *text, 0, kMaxNodeTextBytes));
  }
  if (static_cast<std::size_t>(n.alternates_size()) > limits.max_ids_per_event) {
    return OverLimit(where + ".alternates", static_cast<std::size_t>(n.alternates_size()), "ids",
                     "ingest.max_nodes_per_event", limits.max_ids_per_event);
  }
  for (int i = 0; i < n.alternates_size(); ++i) {
    RISKD_RETURN_IF_ERROR(
        CheckId(where + ".alternates[" + std::to_string(i) + "]", n.alternates(i)));
  }
  if (n.has_location()) RISKD_RETURN_IF_ERROR(CheckPoint(where + ".location", n.location()));
  if (!Finite(n.inventory_days()) || n.inventory_days() < 0) {
    return Invalid(where + ".inventory_days", "must be finite and >= 0");
  }
  if (n.has_value() && (!Finite(n.value()) || n.value() < 0)) {
    return Invalid(where + ".value", "must be finite and >= 0");
  }
  if (n.has_value()) RISKD_RETURN_IF_ERROR(CheckWeightOrValue(where + ".value", n.value()));
  return Status::Ok();
}

Status CheckTimestamp(const std::string& where, const google::protobuf::Timestamp& ts) {
  if (ts.nanos() < 0 || ts.nanos() > 999999999 || ts.seconds() < 0 || ts.seconds() > 253402300799) {
    return Invalid(where, "is not a valid timestamp (1970-01-01 .. 9999-12-31)");
  }
  if (ts.seconds() >= kEndOfEventTimeSeconds) {
    return Invalid(where, google::protobuf::util::TimeUtil::ToString(ts) +
                              " is after 2161-12-31T23:59:59Z, the latest time riskd accepts "
                              "(int64 nanoseconds end in 2262 and a disruption may last 100 "
                              "years)");
  }
  return Status::Ok();
}

Status CheckLayer(const std::string& where, riskd::v1::Layer layer) {
  if (!riskd::v1::Layer_IsValid(layer)) return Invalid(where, "unknown layer value");
  return Status::Ok();
}

Status CheckEdge(const std::string& where, const riskd::v1::EdgeSpec& e, const NodeDirectory& nodes,
                 bool needs_weight) {
  RISKD_RETURN_IF_ERROR(CheckNode(where + ".from", e.from(), nodes));
  RISKD_RETURN_IF_ERROR(CheckNode(where + ".to", e.to(), nodes));
  if (e.from() == e.to()) return Invalid(where, "from and to must differ");
  RISKD_RETURN_IF_ERROR(CheckLayer(where + ".layer", e.layer()));
  if (needs_weight && (!Finite(e.weight()) || e.weight() <= 0)) {
    return Invalid(where + ".weight", "must be finite and > 0");
  }
  if (needs_weight) RISKD_RETURN_IF_ERROR(CheckWeightOrValue(where + ".weight", e.weight()));
  return Status::Ok();
}

Status CheckNetworkChange(const riskd::v1::NetworkChange& c, const NodeDirectory& nodes,
                          const ValidationLimits& limits) {
  using C = riskd::v1::NetworkChange;
  switch (c.change_case()) {
    case C::kAddNode:
      RISKD_RETURN_IF_ERROR(CheckNodeSpec("network_change.add_node", c.add_node(), limits));
      if (nodes.Has(c.add_node().id())) {
        return Status::AlreadyExists("network_change.add_node.id: node '" + c.add_node().id() +
                                     "' already exists");
      }
      return Status::Ok();
    case C::kUpdateNode:
      RISKD_RETURN_IF_ERROR(CheckNodeSpec("network_change.update_node", c.update_node(), limits));
      return CheckNode("network_change.update_node.id", c.update_node().id(), nodes);
    case C::kRemoveNode:
      return CheckNode("network_change.remove_node", c.remove_node(), nodes);
    case C::kAddEdge:
      return CheckEdge("network_change.add_edge", c.add_edge(), nodes, true);
    case C::kRemoveEdge:
      return CheckEdge("network_change.remove_edge", c.remove_edge(), nodes, false);
    case C::kSetEdgeWeight:
      return CheckEdge("network_change.set_edge_weight", c.set_edge_weight(), nodes, true);
    case C::CHANGE_NOT_SET:
      break;
  }
  return Invalid("network_change", "no change set");
}

Status CheckIds(const std::string& where,
                const google::protobuf::RepeatedPtrField<std::string>& ids,
                const NodeDirectory& nodes, const ValidationLimits& limits) {
  if (static_cast<std::size_t>(ids.size()) > limits.max_ids_per_event) {
    return OverLimit(where, static_cast<std::size_t>(ids.size()), "nodes",
                     "ingest.max_nodes_per_event", limits.max_ids_per_event);
  }
  // A node listed twice is most likely a producer's bug (a join gone
  // wrong): say so rather than silently count it once.
  std::unordered_map<std::string_view, int> first;
  first.reserve(static_cast<std::size_t>(ids.size()));
  for (int i = 0; i < ids.size(); ++i) {
    RISKD_RETURN_IF_ERROR(CheckNode(where + "[" + std::to_string(i) + "]", ids[i], nodes));
    const auto [at, inserted] = first.emplace(ids[i], i);
    if (!inserted) {
      return Invalid(
          where + "[" + std::to_string(i) + "]",
          "node '" + ids[i] + "' is listed twice (also at [" + std::to_string(at->second) + "])");
    }
  }
  return Status::Ok();
}

Status CheckOperatorAction(const riskd::v1::OperatorAction& a) {
  using A = riskd::v1::OperatorAction;
  RISKD_RETURN_IF_ERROR(CheckId("operator_action.incident_id", a.incident_id()));
  if (a.kind() == A::KIND_UNSPECIFIED || !A::Kind_IsValid(a.kind())) {
    return Invalid("operator_action.kind",
                   "is required (ACKNOWLEDGE, ASSIGN, OVERRIDE_LEVEL, MARK_NO_IMPACT or "
                   "MARK_RESTORED)");
  }
  RISKD_RETURN_IF_ERROR(CheckText("operator_action.operator", a.operator_(), 1, 128));
  RISKD_RETURN_IF_ERROR(
      CheckText("operator_action.assignee", a.assignee(), a.kind() == A::KIND_ASSIGN ? 1 : 0, 128));
  if (a.kind() != A::KIND_ASSIGN && !a.assignee().empty()) {
    return Invalid("operator_action.assignee", "is only for KIND_ASSIGN");
  }
  if (!riskd::v1::Severity_IsValid(a.level())) {
    return Invalid("operator_action.level", "unknown level value");
  }
  if (a.kind() != A::KIND_OVERRIDE_LEVEL && a.level() != riskd::v1::SEVERITY_UNSPECIFIED) {
    return Invalid("operator_action.level", "is only for KIND_OVERRIDE_LEVEL");
  }
  RISKD_RETURN_IF_ERROR(CheckText("operator_action.note", a.note(), 0, 1024));
  if (!a.authenticated_client().empty()) {
    return Invalid("operator_action.authenticated_client", "is set by the daemon, not by clients");
  }
  return Status::Ok();
}

Status CheckQuery(const riskd::v1::Query& q, const NodeDirectory& nodes,
                  const RiskTypeResolver& types, const ValidationLimits& limits) {
  using Q = riskd::v1::Query;
  switch (q.what_case()) {
    case Q::kNodeRisk:
      if (!q.node_risk().risk_type().empty()) {
        auto r = ResolveRiskType("query.node_risk.risk_type", q.node_risk().risk_type(), 0, types);
        if (!r.ok()) return r.status();
      }
      return CheckIds("query.node_risk.node_ids", q.node_risk().node_ids(), nodes, limits);
    case Q::kProjection:
      if (!q.projection().risk_type().empty()) {
        auto r =
            ResolveRiskType("query.projection.risk_type", q.projection().risk_type(), 0, types);
        if (!r.ok()) return r.status();
      }
      return Status::Ok();
    case Q::kPlan: {
      if (q.plan().k() < 1 || q.plan().k() > 10000) {
        return Invalid("query.plan.k", "must be in 1..10000");
      }
      return ResolveRiskType("query.plan.risk_type", q.plan().risk_type(), 0, types).status();
    }
    case Q::kSnapshot:
    case Q::kStatus:
    case Q::kNetwork:
      return Status::Ok();
    case Q::kIncident:
      RISKD_RETURN_IF_ERROR(CheckId("query.incident.incident_id", q.incident().incident_id()));
      if (q.incident().max_nodes() < 0 || q.incident().max_nodes() > 10000) {
        return Invalid("query.incident.max_nodes", "must be in 0..10000");
      }
      return Status::Ok();
    case Q::WHAT_NOT_SET:
      break;
  }
  return Invalid("query", "no question set");
}

}  // namespace

Result<std::string> RiskTypeResolver::Resolve(std::string_view explicit_name, int hazard) const {
  if (!explicit_name.empty()) {
    if (!names.count(std::string(explicit_name))) {
      return Status::InvalidArgument("unknown risk type '" + std::string(explicit_name) + "'");
    }
    return std::string(explicit_name);
  }
  if (auto it = hazard_risk_types.find(hazard); it != hazard_risk_types.end()) return it->second;
  return default_risk_type;
}

// Long on purpose: one case per Envelope payload, each its list of checks
// in wire order, so a reader finds every rule for a payload in one place.
Status ValidateEnvelope(const Envelope& env, const NodeDirectory& nodes,
                        const RiskTypeResolver& types, const ValidationLimits& limits) {
  RISKD_RETURN_IF_ERROR(CheckId("event_id", env.event_id()));
  // Bytes of another message type often parse as an Envelope with only
  // unknown fields; say so rather than "no body".
  const auto* reflection = env.GetReflection();
  if (!reflection->GetUnknownFields(env).empty()) {
    return Invalid("envelope",
                   "has fields riskd.v1.Envelope does not define (wrong message type?)");
  }
  RISKD_RETURN_IF_ERROR(CheckText("source", env.source(), 0, kMaxSourceBytes));
  if (env.has_occurred_at())
    RISKD_RETURN_IF_ERROR(CheckTimestamp("occurred_at", env.occurred_at()));
  switch (env.body_case()) {
    case Envelope::kSupplierStatus: {
      const auto& s = env.supplier_status();
      RISKD_RETURN_IF_ERROR(CheckNode("supplier_status.node_id", s.node_id(), nodes));
      auto r = ResolveRiskType("supplier_status.risk_type", s.risk_type(), 0, types);
      if (!r.ok()) return r.status();
      switch (s.state()) {
        case riskd::v1::NODE_STATE_SUSCEPTIBLE:
        case riskd::v1::NODE_STATE_DISRUPTED:
        case riskd::v1::NODE_STATE_RECOVERED:
          break;
        case riskd::v1::NODE_STATE_IMMUNIZED:
          return Invalid("supplier_status.state",
                         "IMMUNIZED is set by an Intervention, not a status");
        default:
          return Invalid("supplier_status.state",
                         "is required (SUSCEPTIBLE, DISRUPTED or RECOVERED)");
      }
      if (!Finite(s.severity()) || s.severity() < 0 || s.severity() > 1) {
        return Invalid("supplier_status.severity", "must be in [0, 1]");
      }
      return CheckText("supplier_status.detail", s.detail(), 0, kMaxDetailBytes);
    }
    case Envelope::kDisruption: {
      const auto& d = env.disruption();
      if (d.hazard() == riskd::v1::HAZARD_UNSPECIFIED || !riskd::v1::Hazard_IsValid(d.hazard())) {
        return Invalid("disruption.hazard", "is required and must be a known hazard");
      }
      auto r = ResolveRiskType("disruption.risk_type", d.risk_type(), d.hazard(), types);
      if (!r.ok()) return r.status();
      if (!Finite(d.severity()) || d.severity() <= 0 || d.severity() > 1) {
        return Invalid("disruption.severity", "must be in (0, 1]");
      }
      if (d.node_ids().empty() && !d.has_place()) {
        return Invalid("disruption", "names no node_ids and no place");
      }
      RISKD_RETURN_IF_ERROR(CheckIds("disruption.node_ids", d.node_ids(), nodes, limits));
      if (d.has_place()) RISKD_RETURN_IF_ERROR(CheckPlace(d.place(), limits));
      RISKD_RETURN_IF_ERROR(CheckText("disruption.title", d.title(), 0, kMaxTitleBytes));
      // Kept with the incident it starts and published with it.
      RISKD_RETURN_IF_ERROR(
          CheckText("disruption.feed_event_id", d.feed_event_id(), 0, kMaxFeedEventIdBytes));
      if (d.has_expected_duration()) {
        const auto& x = d.expected_duration();
        constexpr std::int64_t kHundredYears = 100LL * 366 * 86400;
        if (x.seconds() < 0 || x.nanos() < 0 || x.nanos() > 999999999 ||
            x.seconds() > kHundredYears) {
          return Invalid("disruption.expected_duration", "must be >= 0 and at most 100 years");
        }
      }
      return Status::Ok();
    }
    case Envelope::kNetworkChange:
      return CheckNetworkChange(env.network_change(), nodes, limits);
    case Envelope::kIntervention: {
      const auto& iv = env.intervention();
      if (iv.kind() != riskd::v1::Intervention::KIND_IMMUNIZE &&
          iv.kind() != riskd::v1::Intervention::KIND_LIFT) {
        return Invalid("intervention.kind", "is required (IMMUNIZE or LIFT)");
      }
      if (iv.node_ids().empty()) return Invalid("intervention.node_ids", "needs at least one node");
      if (!iv.risk_type().empty()) {
        auto r = ResolveRiskType("intervention.risk_type", iv.risk_type(), 0, types);
        if (!r.ok()) return r.status();
      }
      RISKD_RETURN_IF_ERROR(CheckIds("intervention.node_ids", iv.node_ids(), nodes, limits));
      return CheckText("intervention.reason", iv.reason(), 0, 1024);
    }
    case Envelope::kQuery:
      return CheckQuery(env.query(), nodes, types, limits);
    case Envelope::kOperatorAction:
      return CheckOperatorAction(env.operator_action());
    case Envelope::kClockTick:
      if (!env.clock_tick().has_advance_to())
        return Invalid("clock_tick.advance_to", "is required");
      return CheckTimestamp("clock_tick.advance_to", env.clock_tick().advance_to());
    case Envelope::BODY_NOT_SET:
      break;
  }
  return Invalid("envelope",
                 "has no body (supplier_status, disruption, network_change, "
                 "intervention, clock_tick, query or operator_action)");
}

std::size_t Utf8CharLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > text.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

std::string FirstControlCharacter(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() &&
                    static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (c < 0x20 || c == 0x7f || c1) {
      static constexpr char kHex[] = "0123456789abcdef";
      const unsigned char v = c1 ? static_cast<unsigned char>(text[i + 1]) : c;
      return std::string("0x") + kHex[v >> 4] + kHex[v & 0xf] + " at byte " + std::to_string(i);
    }
  }
  return "";
}

std::string SanitizeFeedText(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8CharLength(text, i);
    std::string_view piece = "?";
    if (n > 0) {
      const auto c = static_cast<unsigned char>(text[i]);
      // The characters FirstControlCharacter finds: C0, DEL, and C1 (U+0080..U+009F).
      const bool control = (n == 1 && (c < 0x20 || c == 0x7f)) ||
                           (n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f);
      piece = control ? " " : text.substr(i, n);
    }
    i += std::max<std::size_t>(n, 1);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
  }
  return out;
}

std::string DuplicateDifference(const Envelope& retry, const Envelope& journaled) {
  if (retry.has_occurred_at() && !google::protobuf::util::MessageDifferencer::Equals(
                                     retry.occurred_at(), journaled.occurred_at())) {
    return "occurred_at";
  }
  // Copies: this runs for duplicates only.
  Envelope a = retry;
  Envelope b = journaled;
  for (Envelope* e : {&a, &b}) {
    e->clear_occurred_at();
    e->clear_source();
    if (e->has_operator_action()) e->mutable_operator_action()->clear_authenticated_client();
  }
  return google::protobuf::util::MessageDifferencer::Equals(a, b) ? "" : "body";
}

engine::Layer ToLayer(riskd::v1::Layer layer) {
  switch (layer) {
    case riskd::v1::LAYER_DATA:
      return engine::Layer::kData;
    case riskd::v1::LAYER_FINANCIAL:
      return engine::Layer::kFinancial;
    default:
      return engine::Layer::kMaterial;
  }
}

engine::NodeAttributes ToNodeAttributes(const riskd::v1::NodeSpec& s) {
  engine::NodeAttributes a;
  a.id = s.id();
  a.name = s.name();
  a.kind = s.kind();
  a.tier = s.tier();
  a.region = s.region();
  if (s.has_location()) a.location = engine::GeoPoint{s.location().lat(), s.location().lon()};
  a.inventory_days = s.inventory_days();
  a.alternates.assign(s.alternates().begin(), s.alternates().end());
  a.emergency_plan_id = s.emergency_plan_id();
  if (s.has_value()) a.value = s.value();
  return a;
}

engine::Place ToPlace(const riskd::v1::Place& p) {
  switch (p.shape_case()) {
    case riskd::v1::Place::kCircle:
      return engine::GeoCircle{{p.circle().center().lat(), p.circle().center().lon()},
                               p.circle().radius_km()};
    case riskd::v1::Place::kPolygon: {
      engine::GeoPolygon poly;
      for (const auto& v : p.polygon().vertices()) poly.vertices.push_back({v.lat(), v.lon()});
      return poly;
    }
    default:
      return engine::RegionCode{p.region()};
  }
}

engine::OperatorAction ToOperatorAction(const riskd::v1::OperatorAction& a,
                                        const std::string& event_id) {
  using A = riskd::v1::OperatorAction;
  engine::OperatorAction out;
  out.event_id = event_id;
  out.incident_id = a.incident_id();
  out.operator_name = a.operator_();
  out.authenticated_client = a.authenticated_client();
  out.assignee = a.assignee();
  out.note = a.note();
  switch (a.kind()) {
    case A::KIND_ASSIGN:
      out.kind = engine::OperatorActionKind::kAssign;
      break;
    case A::KIND_OVERRIDE_LEVEL:
      out.kind = engine::OperatorActionKind::kOverrideLevel;
      break;
    case A::KIND_MARK_NO_IMPACT:
      out.kind = engine::OperatorActionKind::kMarkNoImpact;
      break;
    case A::KIND_MARK_RESTORED:
      out.kind = engine::OperatorActionKind::kMarkRestored;
      break;
    default:
      out.kind = engine::OperatorActionKind::kAcknowledge;
      break;
  }
  switch (a.level()) {
    case riskd::v1::SEVERITY_INFO:
      out.level = engine::AlertLevel::kNone;
      break;
    case riskd::v1::SEVERITY_WARNING:
      out.level = engine::AlertLevel::kWarning;
      break;
    case riskd::v1::SEVERITY_CRITICAL:
      out.level = engine::AlertLevel::kCritical;
      break;
    default:
      break;  // unspecified: clears the override
  }
  return out;
}

engine::Step StepOfUnixNs(std::int64_t unix_ns, std::int64_t step_ns) {
  const std::int64_t q = unix_ns / step_ns;
  return unix_ns % step_ns < 0 ? q - 1 : q;  // floor
}

std::int64_t UnixNsOfStep(engine::Step step, std::int64_t step_ns) { return step * step_ns; }

std::int64_t UnixNs(const google::protobuf::Timestamp& t) {
  // int64 nanoseconds end in 2262: later times count as then.
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  return std::min<std::int64_t>(t.seconds(), kMaxSeconds) * 1'000'000'000 + t.nanos();
}

engine::Step DisruptionSteps(const riskd::v1::Disruption& d, const EventTiming& timing) {
  std::int64_t duration_ns = 0;
  if (d.has_expected_duration()) {
    duration_ns = d.expected_duration().seconds() * 1'000'000'000 + d.expected_duration().nanos();
  }
  if (duration_ns <= 0) {
    if (auto it = timing.hazard_duration_ns.find(d.hazard());
        it != timing.hazard_duration_ns.end()) {
      duration_ns = it->second;
    }
  }
  // Whole steps, rounded up: a disruption lasts at least as long as said.
  return duration_ns > 0 ? (duration_ns + timing.step_ns - 1) / timing.step_ns : 0;
}

// Long on purpose: one case per Envelope payload, each a few engine calls;
// the switch is the table of what every event does.
Status ApplyEnvelope(const Envelope& env, const RiskTypeResolver& types, engine::Engine* engine,
                     AppliedEvent* applied, const EventTiming& timing) {
  AppliedEvent scratch;
  AppliedEvent& did = applied ? *applied : scratch;
  did = AppliedEvent{};
  std::optional<engine::Step> at;
  if (env.has_occurred_at()) at = StepOfUnixNs(UnixNs(env.occurred_at()), timing.step_ns);
  auto risk_index = [&](const std::string& explicit_name, int hazard) -> Result<int> {
    auto name = types.Resolve(explicit_name, hazard);
    if (!name.ok()) return name.status();
    auto idx = engine->FindRiskType(*name);
    if (!idx) return Status::InvalidArgument("risk type '" + *name + "' is not configured");
    return *idx;
  };
  auto resolve_ids = [&](const auto& ids, std::vector<engine::NodeIndex>* out) -> Status {
    for (const auto& id : ids) {
      auto v = engine->network().Find(id);
      if (!v) return Status::NotFound("node '" + id + "' is not in the network");
      out->push_back(*v);
    }
    return Status::Ok();
  };

  switch (env.body_case()) {
    case Envelope::kSupplierStatus: {
      const auto& s = env.supplier_status();
      auto r = risk_index(s.risk_type(), 0);
      if (!r.ok()) return r.status();
      auto v = engine->network().Find(s.node_id());
      if (!v) return Status::NotFound("node '" + s.node_id() + "' is not in the network");
      engine::NodeState state = engine::NodeState::kSusceptible;
      if (s.state() == riskd::v1::NODE_STATE_DISRUPTED) state = engine::NodeState::kDisrupted;
      if (s.state() == riskd::v1::NODE_STATE_RECOVERED) state = engine::NodeState::kRecovered;
      const double severity = s.severity() > 0 ? s.severity() : 1.0;
      RISKD_RETURN_IF_ERROR(engine->SetStatus(*r, *v, state, severity, at));
      did.risk_type = *r;
      did.touched = {*v};
      if (state == engine::NodeState::kDisrupted) {
        engine::Trigger t;
        t.event_id = env.event_id();
        t.risk_type = *r;
        t.kind = engine::TriggerKind::kStatus;
        t.title = s.detail();
        t.nodes = {*v};
        did.trigger = std::move(t);
      }
      return Status::Ok();
    }
    case Envelope::kDisruption: {
      const auto& d = env.disruption();
      auto r = risk_index(d.risk_type(), d.hazard());
      if (!r.ok()) return r.status();
      std::vector<engine::NodeIndex> nodes;
      RISKD_RETURN_IF_ERROR(resolve_ids(d.node_ids(), &nodes));
      if (d.has_place()) {
        auto in_place = engine->ResolvePlace(ToPlace(d.place()));
        if (!in_place.ok()) return in_place.status();
        did.place_matched = in_place->size();
        nodes.insert(nodes.end(), in_place->begin(), in_place->end());
      }
      std::sort(nodes.begin(), nodes.end());
      nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
      RISKD_RETURN_IF_ERROR(
          engine->Disrupt(*r, nodes, d.severity(), at, DisruptionSteps(d, timing)));
      did.risk_type = *r;
      did.touched = nodes;
      engine::Trigger t;
      t.event_id = env.event_id();
      t.risk_type = *r;
      t.kind = d.node_ids().empty() ? engine::TriggerKind::kPlace : engine::TriggerKind::kNamed;
      t.hazard = d.hazard();
      t.title = d.title();
      t.feed_event_id = d.feed_event_id();
      t.nodes = std::move(nodes);
      did.trigger = std::move(t);
      return Status::Ok();
    }
    case Envelope::kNetworkChange: {
      const auto& c = env.network_change();
      // A removed node's incidents see it go (the index outlives the node).
      if (c.change_case() == riskd::v1::NetworkChange::kRemoveNode) {
        if (auto v = engine->network().Find(c.remove_node())) did.touched = {*v};
      }
      return ApplyNetworkChange(c, engine);
    }
    case Envelope::kIntervention: {
      const auto& iv = env.intervention();
      std::optional<int> r;
      if (!iv.risk_type().empty()) {
        auto idx = risk_index(iv.risk_type(), 0);
        if (!idx.ok()) return idx.status();
        r = *idx;
      }
      std::vector<engine::NodeIndex> nodes;
      RISKD_RETURN_IF_ERROR(resolve_ids(iv.node_ids(), &nodes));
      RISKD_RETURN_IF_ERROR(
          engine->Immunize(r, nodes, iv.kind() == riskd::v1::Intervention::KIND_LIFT));
      did.risk_type = r ? *r : -1;
      did.touched = std::move(nodes);
      return Status::Ok();
    }
    case Envelope::kQuery:
      return Status::InvalidArgument("queries are not events");
    case Envelope::kOperatorAction:
      return Status::InvalidArgument("operator actions apply to incidents, not to the engine");
    case Envelope::kClockTick:
      return engine->AdvanceClock(
          StepOfUnixNs(UnixNs(env.clock_tick().advance_to()), timing.step_ns));
    case Envelope::BODY_NOT_SET:
      break;
  }
  return Status::InvalidArgument("envelope has no body");
}

}  // namespace riskd::connectors
