// The SupplyGraph data set (data/supplygraph/): a Bangladeshi FMCG company's
// products with the plants that make them and the storage locations that
// hold them, and 221 days of production, factory-issue, sales and delivery
// series per product.
//
// Nodes: the products of nodes/nodes.csv (kind "product"; the file lists
// POP001L12P twice, which is one node), one node per plant ("plant-<code>",
// kind "plant") and per storage location ("storage-<code>", kind "warehouse",
// codes written "130.0" in the files become "130") from
// nodes/nodes_type_plant_storage.csv (a product-plant-storage row per
// combination, repeated; rows with no storage location only link the plant).
// Edges (material layer), weights from temporal_data/weight/ (docs/network-csv.md):
//   plant -> product:   the product's total production over the series,
//                       split equally among the plants making it;
//   product -> storage: the product's total factory issue, split equally
//                       among its storage locations.
// Temporal columns named "X.1" (pandas' suffix for a repeated header) add to X.
// A zero total (a product never produced or issued in the window) gets
// Options::min_weight. The product-product edge files (edges/, one row per
// shared plant or storage location) are what these bipartite edges imply,
// so they are not imported again.
#ifndef RISKD_CONNECTORS_IMPORTERS_SUPPLYGRAPH_IMPORTER_H_
#define RISKD_CONNECTORS_IMPORTERS_SUPPLYGRAPH_IMPORTER_H_

#include <string>

#include "connectors/importers/importer.h"

namespace riskd::connectors {

class SupplyGraphImporter : public NetworkImporter {
 public:
  struct Options {
    // Weight given to an edge whose volume is zero in the series. Default
    // 0.001 (the weight files' unit; a product with no volume then carries a
    // negligible share of its storage location's inflow).
    double min_weight = 0.001;
  };

  explicit SupplyGraphImporter(std::string directory)
      : SupplyGraphImporter(std::move(directory), Options()) {}
  SupplyGraphImporter(std::string directory, Options options)
      : dir_(std::move(directory)), options_(options) {}
  std::string_view format() const override { return "supplygraph"; }
  Status Import(engine::Network* network) const override;

 private:
  std::string dir_;
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_IMPORTERS_SUPPLYGRAPH_IMPORTER_H_
