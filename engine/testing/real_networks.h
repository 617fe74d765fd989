// TEST-ONLY loader of the real networks in data/ for engine tests and
// benchmarks. The engine itself never reads files; the production importers
// live in connectors/ and will replace this. Deliberately minimal:
//   willems_NN   data/willems2008/willems_NN.csv: one row per stage, the
//                upstream stages as trailing (name, quantity) pairs; an edge
//                upstream -> stage weighted by the quantity. Downstream risk.
//   supplygraph  data/supplygraph: 41 products; two products are linked when
//                they share plants or storage locations (edge files list a
//                pair once per shared site, in either order); weight = number
//                of distinct shared sites. Undirected risk (both ways).
//   bea_io_1997  data/bea_io_1997/IODirectRequirements.txt: commodity ->
//                industry with the direct-requirements coefficient as weight
//                (zero coefficients and commodity == industry dropped).
//                Dense: about 11.7k edges on 130 nodes. Downstream risk.
#ifndef RISKD_ENGINE_TESTING_REAL_NETWORKS_H_
#define RISKD_ENGINE_TESTING_REAL_NETWORKS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/network.h"
#include "engine/risk_type.h"

namespace riskd::engine::testing {

struct RealNetwork {
  std::string name;
  Network network;
  Direction direction = Direction::kDownstream;  // how risk naturally flows
};

// "willems_01", "willems_20", "willems_38", "supplygraph", "bea_io_1997".
std::vector<std::string> RealNetworkNames();
Result<RealNetwork> LoadRealNetwork(const std::string& name);

}  // namespace riskd::engine::testing

#endif  // RISKD_ENGINE_TESTING_REAL_NETWORKS_H_
