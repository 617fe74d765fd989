#include "connectors/feeds/gdacs_rss_adapter.h"

#include "connectors/feeds/feed_registry.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "connectors/csv/csv_reader.h"
#include "connectors/feeds/feed_time.h"
#include "connectors/feeds/xml_document.h"

namespace riskd::connectors {
namespace {

constexpr std::string_view kGdacs = "http://www.gdacs.org";
constexpr std::string_view kGeo = "http://www.w3.org/2003/01/geo/wgs84_pos#";
constexpr std::string_view kGeoRss = "http://www.georss.org/georss";

std::optional<riskd::v1::Hazard> HazardOf(std::string_view type) {
  if (type == "EQ") return riskd::v1::HAZARD_EARTHQUAKE;
  if (type == "TC") return riskd::v1::HAZARD_STORM;
  if (type == "FL" || type == "TS") return riskd::v1::HAZARD_FLOOD;
  if (type == "DR") return riskd::v1::HAZARD_DROUGHT;
  if (type == "VO") return riskd::v1::HAZARD_VOLCANO;
  if (type == "WF") return riskd::v1::HAZARD_WILDFIRE;
  return std::nullopt;
}

// geo:Point/geo:lat,geo:long, else georss:point "lat lon".
std::optional<std::pair<double, double>> PointOf(const XmlElement& item) {
  if (const XmlElement* p = item.Child(kGeo, "Point")) {
    auto lat = ParseDouble(p->ChildText(kGeo, "lat"));
    auto lon = ParseDouble(p->ChildText(kGeo, "long"));
    if (lat && lon) return std::make_pair(*lat, *lon);
  }
  const std::string_view text = item.ChildText(kGeoRss, "point");
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto lat = ParseDouble(text.substr(0, space));
  auto lon = ParseDouble(text.substr(space + 1));
  if (lat && lon) return std::make_pair(*lat, *lon);
  return std::nullopt;
}

// "Magnitude 6.7M, Depth:55km" -> 55.
double DepthKm(std::string_view text) {
  const auto at = text.find("Depth:");
  if (at == std::string_view::npos) return 0;
  std::string_view rest = text.substr(at + 6);
  const auto end = rest.find("km");
  auto depth = ParseDouble(rest.substr(0, end));
  return depth && *depth > 0 ? *depth : 0;
}

}  // namespace

// Long on purpose: one loop reading an item's fields in document order,
// each rejection next to the field it concerns (docs/feeds.md mapping).
Result<FeedBatch> GdacsRssAdapter::Parse(std::string_view document) const {
  auto root = ParseXml(document);
  if (!root.ok()) return root.status().WithContext("gdacs_rss");
  const XmlElement* channel = root->name == "rss" ? root->Child("", "channel") : nullptr;
  if (!channel) return Status::InvalidArgument("gdacs_rss: not an RSS document (rss/channel)");
  FeedBatchBuilder out(options_.source);
  const auto items = channel->Children("", "item");
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.CountEntry();
    const XmlElement& item = *items[i];
    const std::string type(item.ChildText(kGdacs, "eventtype"));
    const std::string event_id(item.ChildText(kGdacs, "eventid"));
    const std::string episode(item.ChildText(kGdacs, "episodeid"));
    const std::string feed_id = type + event_id;
    if (type.empty() || event_id.empty()) {
      out.Reject(i, std::string(item.ChildText("", "guid")), "missing gdacs:eventtype or eventid");
      continue;
    }
    auto hazard = HazardOf(type);
    if (!hazard) {
      out.Reject(i, feed_id, "unknown event type '" + type + "'");
      continue;
    }
    const std::string_view level = item.ChildText(kGdacs, "alertlevel");
    auto severity = AlertColourSeverity(level);
    if (!severity) {
      out.Reject(i, feed_id, "unknown alert level '" + std::string(level) + "'");
      continue;
    }
    auto point = PointOf(item);
    if (!point || !(std::fabs(point->first) <= 90) || !(std::fabs(point->second) <= 180)) {
      out.Reject(i, feed_id, "missing or invalid geo:Point");
      continue;
    }
    const XmlElement* sev = item.Child(kGdacs, "severity");
    const auto sev_value = sev ? ParseDouble(sev->Attribute("value")) : std::nullopt;
    double radius = 0;
    switch (*hazard) {
      case riskd::v1::HAZARD_EARTHQUAKE:
        if (!sev_value) {
          out.Reject(i, feed_id, "earthquake without a magnitude in gdacs:severity");
          continue;
        }
        radius = QuakeRadiusKm(*sev_value, DepthKm(sev->text), options_.quake);
        break;
      case riskd::v1::HAZARD_DROUGHT:
        radius = sev_value && *sev_value > 0
                     ? std::clamp(std::sqrt(*sev_value / std::numbers::pi),
                                  options_.drought_min_radius_km, options_.drought_max_radius_km)
                     : options_.drought_fallback_radius_km;
        break;
      case riskd::v1::HAZARD_STORM:
        radius = options_.cyclone_radius_km;
        break;
      case riskd::v1::HAZARD_VOLCANO:
        radius = options_.volcano_radius_km;
        break;
      case riskd::v1::HAZARD_WILDFIRE:
        radius = options_.wildfire_radius_km;
        break;
      default:
        radius = type == "TS" ? options_.tsunami_radius_km : options_.flood_radius_km;
        break;
    }
    riskd::v1::Envelope env;
    env.set_event_id("gdacs:" + feed_id + (episode.empty() ? "" : ":" + episode));
    auto when = ParseRfc822(item.ChildText(kGdacs, "fromdate"));
    if (!when) when = ParseRfc822(item.ChildText("", "pubDate"));
    if (when) SetTimestampSeconds(*when, env.mutable_occurred_at());
    auto* d = env.mutable_disruption();
    d->set_hazard(*hazard);
    d->set_severity(*severity);
    d->set_feed_event_id(feed_id);
    d->set_title(std::string(item.ChildText("", "title")));
    auto* circle = d->mutable_place()->mutable_circle();
    circle->mutable_center()->set_lat(point->first);
    circle->mutable_center()->set_lon(point->second);
    circle->set_radius_km(radius);
    out.Add(i, std::move(env));
  }
  return std::move(out).Finish();
}

RISKD_REGISTER_FEED_ADAPTER(gdacs_rss, {"gdacs_rss", riskd::v1::FeedConfig::kGdacsRss,
                                        &MakeWithSourceOnly<GdacsRssAdapter>});

}  // namespace riskd::connectors
