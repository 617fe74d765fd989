#include "engine/geo.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace riskd::engine {
namespace {

double Radians(double deg) { return deg * std::numbers::pi / 180.0; }

bool ValidPoint(GeoPoint p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && std::fabs(p.lat) <= 90 &&
         std::fabs(p.lon) <= 180;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool SameRegionCode(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

double PlaceAreaKm2(const Place& place) {
  constexpr double kR2 = kEarthRadiusKm * kEarthRadiusKm;
  if (const auto* c = std::get_if<GeoCircle>(&place)) {
    const double angle = std::min(c->radius_km / kEarthRadiusKm, std::numbers::pi);
    return 2 * std::numbers::pi * kR2 * (1 - std::cos(angle));
  }
  if (const auto* poly = std::get_if<GeoPolygon>(&place)) {
    // Chamberlain & Duquette (2007): R^2 / 2 |sum of (lon2 - lon1)(2 +
    // sin lat1 + sin lat2)| over the edges, longitude steps taken the short
    // way round; the smaller of the two areas the ring bounds.
    const auto& v = poly->vertices;
    double sum = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const GeoPoint& a = v[i];
      const GeoPoint& b = v[(i + 1) % v.size()];
      double dlon = b.lon - a.lon;
      while (dlon > 180) dlon -= 360;
      while (dlon < -180) dlon += 360;
      sum += Radians(dlon) * (2 + std::sin(Radians(a.lat)) + std::sin(Radians(b.lat)));
    }
    const double area = std::fabs(sum) * kR2 / 2;
    return std::min(area, 4 * std::numbers::pi * kR2 - area);
  }
  return 0;
}

double GreatCircleKm(GeoPoint a, GeoPoint b) {
  const double dlat = Radians(b.lat - a.lat);
  const double dlon = Radians(b.lon - a.lon);
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(Radians(a.lat)) * std::cos(Radians(b.lat)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

bool PointInPolygon(GeoPoint p, const GeoPolygon& poly) {
  // Unwrap longitudes relative to the first vertex so that a polygon crossing
  // the antimeridian is contiguous; shift the point into the same frame.
  const auto& v = poly.vertices;
  const double ref = v.front().lon;
  auto unwrap = [ref](double lon) {
    while (lon - ref > 180) lon -= 360;
    while (lon - ref < -180) lon += 360;
    return lon;
  };
  const double px = unwrap(p.lon), py = p.lat;
  bool inside = false;
  for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
    const double xi = unwrap(v[i].lon), yi = v[i].lat;
    const double xj = unwrap(v[j].lon), yj = v[j].lat;
    if ((yi > py) != (yj > py)) {
      const double x_cross = xi + (py - yi) * (xj - xi) / (yj - yi);
      if (px < x_cross) inside = !inside;
    }
  }
  return inside;
}

Status ValidatePlace(const Place& place) {
  if (const auto* c = std::get_if<GeoCircle>(&place)) {
    if (!ValidPoint(c->center)) return Status::InvalidArgument("circle center out of range");
    if (!std::isfinite(c->radius_km) || c->radius_km <= 0) {
      return Status::InvalidArgument("circle radius_km must be finite and > 0");
    }
    return Status::Ok();
  }
  if (const auto* poly = std::get_if<GeoPolygon>(&place)) {
    if (poly->vertices.size() < 3) {
      return Status::InvalidArgument("polygon needs at least 3 vertices");
    }
    for (const auto& v : poly->vertices) {
      if (!ValidPoint(v)) return Status::InvalidArgument("polygon vertex out of range");
    }
    return Status::Ok();
  }
  const auto& r = std::get<RegionCode>(place);
  if (r.code.empty() || r.code.size() > 64) {
    return Status::InvalidArgument("region code must be 1..64 bytes");
  }
  return Status::Ok();
}

std::vector<NodeIndex> NodesInPlace(const Network& net, const Place& place) {
  std::vector<NodeIndex> out;
  for (NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (!net.alive(v)) continue;
    bool in = false;
    if (const auto* c = std::get_if<GeoCircle>(&place)) {
      const auto at = net.location(v);
      in = at && GreatCircleKm(*at, c->center) <= c->radius_km;
    } else if (const auto* poly = std::get_if<GeoPolygon>(&place)) {
      const auto at = net.location(v);
      in = at && PointInPolygon(*at, *poly);
    } else {
      const std::string_view region = net.region(v);
      in = !region.empty() && SameRegionCode(region, std::get<RegionCode>(place).code);
    }
    if (in) out.push_back(v);
  }
  return out;
}

}  // namespace riskd::engine
