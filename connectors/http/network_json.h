// NetworkJson: the answer to Query{network} (QueryResponse.network_nodes
// and network_version) as protobuf's canonical JSON mapping prints it, the
// same names and values with fields at their default omitted, but written
// directly: the generic printer takes ~8 us a node, a second for the 100k
// nodes a large network's map reads; this takes well under a tenth of that.
// network_json_test.cc checks it against the generic printer.
//
// Thread-safe (a pure function).
#ifndef RISKD_CONNECTORS_HTTP_NETWORK_JSON_H_
#define RISKD_CONNECTORS_HTTP_NETWORK_JSON_H_

#include <string>

#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

// {"networkNodes":[...],"networkVersion":"N"}; other fields are ignored.
std::string NetworkJson(const riskd::v1::QueryResponse& response);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_HTTP_NETWORK_JSON_H_
