// A generated supplier network for the scale-out study (docs/scale-out.md):
// a million nodes in five tiers (raw material, components, sub-assemblies,
// assembly, OEM/distribution) spread over regions of Zipf-like sizes. Each
// node above tier 0 buys from a few suppliers of the tier below, most of
// them in its own region (locality), chosen by preferential attachment so
// large suppliers serve many customers (hubs). Edges go supplier ->
// customer on the material layer, weights log-normal (business volume).
// A pure function of its options (std::mt19937_64, no std:: distributions).
#ifndef RISKD_BENCH_SCALEOUT_SUPPLIER_NETWORK_H_
#define RISKD_BENCH_SCALEOUT_SUPPLIER_NETWORK_H_

#include <cstdint>
#include <vector>

#include "engine/network.h"

namespace riskd::bench {

struct SupplierNetworkOptions {
  std::size_t nodes = 1'000'000;
  int regions = 100;
  // Region r gets a share proportional to 1 / (r + 1)^region_skew.
  double region_skew = 0.8;
  // Suppliers per node above tier 0: uniform in 1 .. 2 * mean - 1.
  int mean_suppliers = 4;
  // Probability that a supplier is in the customer's own region.
  double local_share = 0.75;
  std::uint64_t seed = 20261130;
};

struct SupplierNetwork {
  engine::Network network;
  std::vector<std::uint16_t> region;  // per node
  std::vector<std::uint8_t> tier;     // per node, 0..4
  int regions = 0;
};

SupplierNetwork GenerateSupplierNetwork(const SupplierNetworkOptions& options);

}  // namespace riskd::bench

#endif  // RISKD_BENCH_SCALEOUT_SUPPLIER_NETWORK_H_
