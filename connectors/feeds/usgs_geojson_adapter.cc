#include "connectors/feeds/usgs_geojson_adapter.h"

#include "connectors/feeds/feed_registry.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace riskd::connectors {
namespace {

using nlohmann::json;

// Member `key` of object `j` if it has that JSON type, else nullptr.
const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::optional<double> Number(const json& j, const char* key) {
  const json* m = Member(j, key);
  if (!m || !m->is_number()) return std::nullopt;
  const double v = m->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::string String(const json& j, const char* key) {
  const json* m = Member(j, key);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

}  // namespace

// Long on purpose: one loop reading a feature's fields in document order,
// each rejection next to the field it concerns (docs/feeds.md mapping).
Result<FeedBatch> UsgsGeoJsonAdapter::Parse(std::string_view document) const {
  const json root = json::parse(document.begin(), document.end(), nullptr,
                                /*allow_exceptions=*/false, /*ignore_comments=*/false);
  if (root.is_discarded()) return Status::InvalidArgument("usgs_geojson: not valid JSON");
  const json* features = Member(root, "features");
  if (String(root, "type") != "FeatureCollection" || !features || !features->is_array()) {
    return Status::InvalidArgument("usgs_geojson: not a GeoJSON FeatureCollection");
  }
  FeedBatchBuilder out(options_.source);
  for (std::size_t i = 0; i < features->size(); ++i) {
    out.CountEntry();
    const json& f = (*features)[i];
    const std::string id = String(f, "id");
    if (id.empty()) {
      out.Reject(i, "", "feature has no string id");
      continue;
    }
    const json* props = Member(f, "properties");
    if (!props || !props->is_object()) {
      out.Reject(i, id, "feature has no properties object");
      continue;
    }
    const std::string type = String(*props, "type");
    if (!type.empty() && type != "earthquake") {
      out.Skip(i, id, "not an earthquake: " + type);
      continue;
    }
    if (String(*props, "status") == "deleted") {
      out.Skip(i, id, "event deleted by USGS");
      continue;
    }
    const auto mag = Number(*props, "mag");
    if (!mag) {
      out.Reject(i, id, "magnitude missing or not a number");
      continue;
    }
    const json* geometry = Member(f, "geometry");
    const json* coords = geometry ? Member(*geometry, "coordinates") : nullptr;
    if (!geometry || String(*geometry, "type") != "Point" || !coords || !coords->is_array() ||
        coords->size() < 2 || !(*coords)[0].is_number() || !(*coords)[1].is_number()) {
      out.Reject(i, id, "geometry is not a Point with [lon, lat]");
      continue;
    }
    const double lon = (*coords)[0].get<double>(), lat = (*coords)[1].get<double>();
    if (!(std::fabs(lat) <= 90) || !(std::fabs(lon) <= 180)) {
      out.Reject(i, id, "coordinates out of range");
      continue;
    }
    double depth = 0;
    if (coords->size() >= 3 && (*coords)[2].is_number()) depth = (*coords)[2].get<double>();
    if (!std::isfinite(depth)) depth = 0;

    double severity = QuakeSeverity(*mag, options_.quake);
    if (const json* alert = Member(*props, "alert"); alert && !alert->is_null()) {
      auto colour =
          alert->is_string() ? AlertColourSeverity(alert->get<std::string>()) : std::nullopt;
      if (!colour) {
        out.Reject(i, id, "unknown PAGER alert level " + alert->dump());
        continue;
      }
      severity = *colour;
    }
    riskd::v1::Envelope env;
    env.set_event_id("usgs:" + id);
    if (auto t = Number(*props, "time"); t && std::fabs(*t) < 1e15) {
      SetTimestampMillis(static_cast<std::int64_t>(*t), env.mutable_occurred_at());
    }
    auto* d = env.mutable_disruption();
    d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
    d->set_severity(severity);
    d->set_feed_event_id(id);
    std::string title = String(*props, "title");
    d->set_title(title.empty() ? "M " + std::to_string(*mag) + " - " + String(*props, "place")
                               : title);
    auto* circle = d->mutable_place()->mutable_circle();
    circle->mutable_center()->set_lat(lat);
    circle->mutable_center()->set_lon(lon);
    circle->set_radius_km(QuakeRadiusKm(*mag, depth, options_.quake));
    out.Add(i, std::move(env));
  }
  return std::move(out).Finish();
}

RISKD_REGISTER_FEED_ADAPTER(usgs_geojson, {"usgs_geojson", riskd::v1::FeedConfig::kUsgsGeojson,
                                           &MakeWithSourceOnly<UsgsGeoJsonAdapter>});

}  // namespace riskd::connectors
