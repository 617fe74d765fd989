// NetworkImporter: reads a supplier network from some source format into an
// engine::Network. One implementation per format (generic CSV, Willems 2008,
// SupplyGraph, BEA input-output), chosen by MakeImporter from the daemon's
// NetworkSource config.
#ifndef RISKD_CONNECTORS_IMPORTERS_IMPORTER_H_
#define RISKD_CONNECTORS_IMPORTERS_IMPORTER_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/network.h"
#include "riskd/v1/config.pb.h"

namespace riskd::connectors {

class NetworkImporter {
 public:
  virtual ~NetworkImporter() = default;
  // Format name, e.g. "csv".
  virtual std::string_view format() const = 0;
  // Adds the source's nodes and edges to *network. On error the network may
  // hold part of the import; callers discard it.
  // REQUIRES: network != nullptr
  virtual Status Import(engine::Network* network) const = 0;
};

// The largest node value and edge weight riskd takes in, at ingest
// (event_codec.cc) and at import alike. Both are summed (a node's in-weights
// normalise its edges, its volume is its default value, value at risk adds
// up): any finite number could overflow those sums to inf (1e308 twice),
// and w / inf silently cut the edge (risk then 0); 1e15 leaves room for a
// billion of them. Not an engine rule: journal replay accepts what it
// recorded.
inline constexpr double kMaxWeightOrValue = 1e15;
// InvalidArgument "<what>: must be at most 1e15" if v is larger.
Status CheckWeightOrValue(std::string_view what, double v);

// A node's text as the wire carries it. Every field (id, name, kind, region,
// emergency plan, alternates) must be valid UTF-8: protobuf refuses any
// other string when it parses a message, so one node imported from a
// Latin-1 file made every snapshot, alert and incident naming it
// unreadable to every subscriber. Ids (the node's and its alternates')
// have no control characters, as at ingest. InvalidArgument naming the
// node and field otherwise.
Status CheckNodeText(const engine::NodeAttributes& a);
// The importer for `source`; relative paths resolve against base_dir.
// InvalidArgument if no format is set.
Result<std::unique_ptr<NetworkImporter>> MakeImporter(const riskd::v1::NetworkSource& source,
                                                      const std::string& base_dir);

// Runs the importer, then applies source.locations_csv if set, and compacts.
Result<engine::Network> ImportNetwork(const riskd::v1::NetworkSource& source,
                                      const std::string& base_dir);

// Applies a locations CSV (header id,lat,lon,region; lat/lon may be empty
// when only the region is known) to nodes already in the network. Ids not in
// the network are an error naming the line.
Status ApplyLocations(const std::string& path, engine::Network* network);

// base_dir/path unless path is absolute or base_dir is empty.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_IMPORTERS_IMPORTER_H_
