// The Willems (2008) multi-echelon supply chains (data/willems2008/), one
// chain per willems_NN.csv file.
//
// Each row is a stage (stage_id, lead_time, max_s_time, cost_rate, risk_pool,
// ext_demand_mean, ext_demand_std, ext_demand_thres) followed by its upstream
// stages as (name, quantity) pairs in the trailing columns (the header names
// only the first of them, "up_stages"). Stages become nodes (kind: the stage id
// prefix in lower case: part, manuf, trans, dist, retail); each upstream pair
// becomes an edge upstream -> stage on the material layer.
//
// Weight (docs/network-csv.md): quantity x the upstream stage's cumulative
// unit cost, i.e. the value the supplier ships per unit the customer makes:
//   C(s) = cost_rate(s) + sum over upstream (u, q) of q * C(u)
//   w(u -> s) = q * C(u)
// A zero cumulative cost (parts recorded at cost 0) gets Options::min_weight.
// Tier is the number of edges to the nearest stage with no customers (0).
#ifndef RISKD_CONNECTORS_IMPORTERS_WILLEMS_IMPORTER_H_
#define RISKD_CONNECTORS_IMPORTERS_WILLEMS_IMPORTER_H_

#include <string>

#include "connectors/importers/importer.h"

namespace riskd::connectors {

class WillemsImporter : public NetworkImporter {
 public:
  struct Options {
    // Weight of an edge whose upstream stage has a zero cumulative cost, so
    // that every edge keeps a (tiny) positive business volume. Default 0.01.
    double min_weight = 0.01;
  };

  explicit WillemsImporter(std::string path) : WillemsImporter(std::move(path), Options()) {}
  WillemsImporter(std::string path, Options options) : path_(std::move(path)), options_(options) {}
  std::string_view format() const override { return "willems2008"; }
  Status Import(engine::Network* network) const override;

 private:
  std::string path_;
  Options options_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_IMPORTERS_WILLEMS_IMPORTER_H_
