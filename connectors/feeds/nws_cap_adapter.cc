#include "connectors/feeds/nws_cap_adapter.h"

#include "connectors/feeds/feed_registry.h"

#include <array>
#include <cmath>
#include <utility>

#include "connectors/csv/csv_reader.h"
#include "connectors/feeds/feed_time.h"
#include "connectors/feeds/xml_document.h"

namespace riskd::connectors {
namespace {

constexpr std::string_view kAtom = "http://www.w3.org/2005/Atom";
constexpr std::string_view kCapPrefix = "urn:oasis:names:tc:emergency:cap:";

bool IsCap(const XmlElement& e) { return e.ns.rfind(kCapPrefix, 0) == 0; }

// Text of the first CAP child (any CAP version) named `local`.
std::string_view CapText(const XmlElement& parent, std::string_view local) {
  for (const auto& c : parent.children) {
    if (c.name == local && IsCap(c)) return Trim(c.text);
  }
  return {};
}

std::vector<const XmlElement*> CapChildren(const XmlElement& parent, std::string_view local) {
  std::vector<const XmlElement*> out;
  for (const auto& c : parent.children) {
    if (c.name == local && IsCap(c)) out.push_back(&c);
  }
  return out;
}

// CAP polygon: "lat,lon lat,lon ..." closed (first == last), >= 4 pairs.
Result<std::vector<std::pair<double, double>>> ParsePolygon(std::string_view text) {
  std::vector<std::pair<double, double>> points;
  while (!text.empty()) {
    const auto space = text.find_first_of(" \t\r\n");
    const std::string_view pair = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (pair.empty()) continue;
    const auto comma = pair.find(',');
    auto lat = ParseDouble(pair.substr(0, comma));
    auto lon = comma == std::string_view::npos ? std::nullopt : ParseDouble(pair.substr(comma + 1));
    if (!lat || !lon || std::fabs(*lat) > 90 || std::fabs(*lon) > 180) {
      return Status::InvalidArgument("polygon point '" + std::string(pair) + "' is not lat,lon");
    }
    points.emplace_back(*lat, *lon);
  }
  if (points.size() < 4 || points.front() != points.back()) {
    return Status::InvalidArgument("polygon must be a closed ring of at least 4 points");
  }
  points.pop_back();
  return points;
}

// What the CAP fields of one alert say, independent of the container.
struct CapFields {
  std::string_view status, msg_type, event, severity, urgency, certainty;
  std::string_view effective, expires, title;
};

// Severity in (0, 1], or a skip/reject reason in *reason (is_reject set for
// malformed values).
std::optional<double> Score(const CapFields& f, std::string* reason, bool* is_reject) {
  *is_reject = false;
  if (f.status != "Actual") {
    *reason = "status '" + std::string(f.status) + "' is not Actual";
    return std::nullopt;
  }
  if (f.msg_type == "Cancel") {
    *reason = "msgType Cancel (retractions are not events in v1)";
    return std::nullopt;
  }
  if (f.msg_type != "Alert" && f.msg_type != "Update") {
    *is_reject = true;
    *reason = "unknown msgType '" + std::string(f.msg_type) + "'";
    return std::nullopt;
  }
  const auto impact = CapSeverityImpact(f.severity);
  const auto timing = CapUrgencyTiming(f.urgency);
  const auto probability = CapCertaintyProbability(f.certainty);
  auto check = [&](std::string_view field, std::string_view value, bool known,
                   std::initializer_list<std::string_view> skipped) {
    if (known) return true;
    for (auto s : skipped) {
      if (value == s) {
        *reason = std::string(field) + " " + std::string(value);
        return false;
      }
    }
    *is_reject = true;
    *reason = "unknown " + std::string(field) + " '" + std::string(value) + "'";
    return false;
  };
  if (!check("severity", f.severity, impact.has_value(), {"Unknown"}) ||
      !check("urgency", f.urgency, timing.has_value(), {"Past"}) ||
      !check("certainty", f.certainty, probability.has_value(), {"Unlikely"})) {
    return std::nullopt;
  }
  return *impact * *timing * *probability;
}

riskd::v1::Envelope MakeEnvelope(const CapFields& f, double severity,
                                 const std::vector<std::pair<double, double>>& polygon,
                                 std::string event_id, std::string feed_id) {
  riskd::v1::Envelope env;
  env.set_event_id(std::move(event_id));
  const auto effective = ParseIso8601(f.effective);
  if (effective) SetTimestampSeconds(*effective, env.mutable_occurred_at());
  auto* d = env.mutable_disruption();
  d->set_hazard(CapEventHazard(f.event));
  d->set_severity(severity);
  d->set_feed_event_id(std::move(feed_id));
  d->set_title(std::string(f.title.empty() ? f.event : f.title));
  for (const auto& [lat, lon] : polygon) {
    auto* v = d->mutable_place()->mutable_polygon()->add_vertices();
    v->set_lat(lat);
    v->set_lon(lon);
  }
  const auto expires = ParseIso8601(f.expires);
  if (effective && expires && *expires > *effective) {
    d->mutable_expected_duration()->set_seconds(*expires - *effective);
  }
  return env;
}

// The x= key of an NWS entry id URL, else the whole id.
std::string AlertKey(std::string_view id) {
  const auto x = id.find("?x=");
  return std::string(x == std::string_view::npos ? id : id.substr(x + 3));
}

void ParseAtomEntry(std::size_t index, const XmlElement& entry, FeedBatchBuilder* out) {
  const std::string id(entry.ChildText(kAtom, "id"));
  if (id.empty()) {
    out->Reject(index, "", "entry has no id");
    return;
  }
  CapFields f{
      CapText(entry, "status"),    CapText(entry, "msgType"), CapText(entry, "event"),
      CapText(entry, "severity"),  CapText(entry, "urgency"), CapText(entry, "certainty"),
      CapText(entry, "effective"), CapText(entry, "expires"), entry.ChildText(kAtom, "title")};
  std::string reason;
  bool is_reject = false;
  const auto severity = Score(f, &reason, &is_reject);
  if (!severity) {
    is_reject ? out->Reject(index, id, reason) : out->Skip(index, id, reason);
    return;
  }
  const std::string_view polygon_text = CapText(entry, "polygon");
  if (polygon_text.empty()) {
    out->Skip(index, id, "no polygon (zone-coded alert)");
    return;
  }
  auto polygon = ParsePolygon(polygon_text);
  if (!polygon.ok()) {
    out->Reject(index, id, polygon.status().message());
    return;
  }
  out->Add(index, MakeEnvelope(f, *severity, *polygon, "nws:" + AlertKey(id), id));
}

void ParseCapAlert(const XmlElement& alert, FeedBatchBuilder* out) {
  out->CountEntry();
  const std::string id(CapText(alert, "identifier"));
  if (id.empty()) {
    out->Reject(0, "", "alert has no identifier");
    return;
  }
  const auto infos = CapChildren(alert, "info");
  if (infos.empty()) {
    out->Reject(0, id, "alert has no info block");
    return;
  }
  // The first info block; further ones repeat it in other languages.
  const XmlElement& info = *infos.front();
  CapFields f{CapText(alert, "status"),   CapText(alert, "msgType"), CapText(info, "event"),
              CapText(info, "severity"),  CapText(info, "urgency"),  CapText(info, "certainty"),
              CapText(info, "effective"), CapText(info, "expires"),  CapText(info, "headline")};
  if (f.effective.empty()) f.effective = CapText(alert, "sent");
  std::string reason;
  bool is_reject = false;
  const auto severity = Score(f, &reason, &is_reject);
  if (!severity) {
    is_reject ? out->Reject(0, id, reason) : out->Skip(0, id, reason);
    return;
  }
  std::vector<std::vector<std::pair<double, double>>> polygons;
  for (const XmlElement* area : CapChildren(info, "area")) {
    for (const XmlElement* p : CapChildren(*area, "polygon")) {
      auto polygon = ParsePolygon(p->text);
      if (!polygon.ok()) {
        out->Reject(0, id, polygon.status().message());
        return;
      }
      polygons.push_back(std::move(*polygon));
    }
  }
  if (polygons.empty()) {
    out->Skip(0, id, "no polygon (area given by geocodes only)");
    return;
  }
  for (std::size_t k = 0; k < polygons.size(); ++k) {
    std::string event_id = "cap:" + id;
    if (polygons.size() > 1) event_id += "/" + std::to_string(k + 1);
    out->Add(0, MakeEnvelope(f, *severity, polygons[k], std::move(event_id), id));
  }
}

}  // namespace

std::optional<double> CapSeverityImpact(std::string_view severity) {
  if (severity == "Extreme") return 0.9;
  if (severity == "Severe") return 0.6;
  if (severity == "Moderate") return 0.3;
  if (severity == "Minor") return 0.1;
  return std::nullopt;
}

std::optional<double> CapUrgencyTiming(std::string_view urgency) {
  if (urgency == "Immediate") return 1.0;
  if (urgency == "Expected") return 0.8;
  if (urgency == "Future") return 0.5;
  if (urgency == "Unknown") return 0.5;
  return std::nullopt;
}

std::optional<double> CapCertaintyProbability(std::string_view certainty) {
  if (certainty == "Observed") return 1.0;
  if (certainty == "Likely") return 0.8;
  if (certainty == "Possible") return 0.4;
  if (certainty == "Unknown") return 0.5;
  return std::nullopt;
}

riskd::v1::Hazard CapEventHazard(std::string_view event) {
  static constexpr std::array<std::pair<std::string_view, riskd::v1::Hazard>, 17> kKeywords = {{
      {"Flood", riskd::v1::HAZARD_FLOOD},
      {"Tsunami", riskd::v1::HAZARD_FLOOD},
      {"Storm Surge", riskd::v1::HAZARD_FLOOD},
      {"Fire", riskd::v1::HAZARD_WILDFIRE},
      {"Red Flag", riskd::v1::HAZARD_WILDFIRE},
      {"Volcan", riskd::v1::HAZARD_VOLCANO},
      {"Ash", riskd::v1::HAZARD_VOLCANO},
      {"Earthquake", riskd::v1::HAZARD_EARTHQUAKE},
      {"Drought", riskd::v1::HAZARD_DROUGHT},
      {"Hurricane", riskd::v1::HAZARD_STORM},
      {"Tropical", riskd::v1::HAZARD_STORM},
      {"Tornado", riskd::v1::HAZARD_STORM},
      {"Thunderstorm", riskd::v1::HAZARD_STORM},
      {"Wind", riskd::v1::HAZARD_STORM},
      {"Winter", riskd::v1::HAZARD_STORM},
      {"Blizzard", riskd::v1::HAZARD_STORM},
      {"Ice", riskd::v1::HAZARD_STORM},
  }};
  for (const auto& [keyword, hazard] : kKeywords) {
    if (event.find(keyword) != std::string_view::npos) return hazard;
  }
  return riskd::v1::HAZARD_OTHER;
}

Result<FeedBatch> NwsCapAdapter::Parse(std::string_view document) const {
  auto root = ParseXml(document);
  if (!root.ok()) return root.status().WithContext("nws_cap_atom");
  FeedBatchBuilder out(options_.source);
  if (root->name == "feed" && root->ns == kAtom) {
    const auto entries = root->Children(kAtom, "entry");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      out.CountEntry();
      ParseAtomEntry(i, *entries[i], &out);
    }
  } else if (root->name == "alert" && IsCap(*root)) {
    ParseCapAlert(*root, &out);
  } else {
    return Status::InvalidArgument("nws_cap_atom: root is neither an Atom feed nor a CAP alert");
  }
  return std::move(out).Finish();
}

RISKD_REGISTER_FEED_ADAPTER(nws_cap, {"nws_cap_atom", riskd::v1::FeedConfig::kNwsCapAtom,
                                      &MakeWithSourceOnly<NwsCapAdapter>});

}  // namespace riskd::connectors
