// Geography: which nodes a place covers. A place is a circle (point and
// radius, great-circle distance on a sphere of radius 6371.0088 km), a
// polygon (ray casting in the lon/lat plane; polygons crossing the
// antimeridian are unwrapped first) or a region code (exact match, ASCII
// case-insensitive, against the node's region attribute).
#ifndef RISKD_ENGINE_GEO_H_
#define RISKD_ENGINE_GEO_H_

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "engine/network.h"

namespace riskd::engine {

inline constexpr double kEarthRadiusKm = 6371.0088;  // IUGG mean radius

struct GeoCircle {
  GeoPoint center;
  double radius_km = 0;
};
struct GeoPolygon {
  std::vector<GeoPoint> vertices;
};
struct RegionCode {
  std::string code;
};
using Place = std::variant<GeoCircle, GeoPolygon, RegionCode>;

// Haversine great-circle distance in km.
double GreatCircleKm(GeoPoint a, GeoPoint b);
// REQUIRES: polygon has >= 3 vertices.
bool PointInPolygon(GeoPoint p, const GeoPolygon& polygon);
Status ValidatePlace(const Place& place);
// Area of a circle or polygon on the sphere, in km^2: a spherical cap, or
// the smaller area the polygon's ring bounds (Chamberlain & Duquette 2007);
// 0 for a region code. REQUIRES: a valid place.
double PlaceAreaKm2(const Place& place);
// Region codes match exactly, ASCII case-insensitively.
bool SameRegionCode(std::string_view a, std::string_view b);
// Alive nodes inside the place, ascending. Nodes without a location match
// only region codes.
std::vector<NodeIndex> NodesInPlace(const Network& network, const Place& place);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_GEO_H_
