// The generic CSV network format (docs/network-csv.md).
//
// nodes.csv: header row, then one node per row. Columns by name, any order:
//   id (required), name, kind, tier, region, lat, lon, inventory_days,
//   alternates (ids separated by ';'), emergency_plan_id, value (what the
//   node is worth for value at risk; default: the volume through it)
// edges.csv: from, to (required), weight (required, > 0), layer (material |
//   data | financial; default material)
// Unknown columns are an error (a typo would otherwise be silently ignored).
//
// Thread-safety: Import is const and reads only its files; one importer may
// serve several threads, each importing into its own Network.
#ifndef RISKD_CONNECTORS_IMPORTERS_CSV_IMPORTER_H_
#define RISKD_CONNECTORS_IMPORTERS_CSV_IMPORTER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "connectors/csv/csv_reader.h"
#include "connectors/importers/importer.h"

namespace riskd::connectors {

class CsvImporter : public NetworkImporter {
 public:
  CsvImporter(std::string nodes_path, std::string edges_path)
      : nodes_path_(std::move(nodes_path)), edges_path_(std::move(edges_path)) {}
  std::string_view format() const override { return "csv"; }
  Status Import(engine::Network* network) const override;

 private:
  // The steps of Import: every node row, then every edge row checked and
  // collected in file order.
  Status ImportNodes(engine::Network* network) const;
  Status ReadEdges(const engine::Network& network, std::vector<engine::Edge>* batch) const;
  // The edges file, its header read into *header and its columns checked.
  Result<CsvReader> OpenEdges(std::optional<CsvHeader>* header) const;
  // The error for an edge listed twice, naming the first two lines that
  // list it (the file is read again: rows keep no line numbers).
  Status RepeatedEdgeError(const engine::Network& network, const engine::Edge& repeated) const;

  std::string nodes_path_;
  std::string edges_path_;
};

// "material", "data", "financial" (case-insensitive) or empty (material).
Result<engine::Layer> ParseLayerName(std::string_view name);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_IMPORTERS_CSV_IMPORTER_H_
