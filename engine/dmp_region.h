// How a DMP run lists its region and hands out each entry's values, shared
// by dmp.cc's kernel and the pair kernel (dmp_pairs.h) so that both give
// RunDmpRegion's outputs in the same order and places.
#ifndef RISKD_ENGINE_DMP_REGION_H_
#define RISKD_ENGINE_DMP_REGION_H_

#include <algorithm>
#include <vector>

#include "engine/dmp.h"
#include "engine/transmission.h"

namespace riskd::engine::dmp_region {

// out->nodes: `touched` (in order of touching), then the touched nodes'
// other out-neighbours, ascending; `take(i)` says whether i is one of
// those not listed yet (and marks it listed). Sizes the region's value
// vectors unless the values go to `values`.
template <typename Take>
void List(const TransmissionGraph& g, std::vector<NodeIndex> touched, DmpRegion* out,
          const DmpNodeValues* values, Take take) {
  out->touched_count = touched.size();
  out->nodes = std::move(touched);
  const std::size_t first_extra = out->nodes.size();
  for (std::size_t x = 0; x < first_extra; ++x) {
    for (const NodeIndex i : g.successors(out->nodes[x])) {
      if (take(i)) out->nodes.push_back(i);
    }
  }
  std::sort(out->nodes.begin() + static_cast<std::ptrdiff_t>(first_extra), out->nodes.end());
  if (values == nullptr) {
    const std::size_t size = out->nodes.size();
    out->risk.resize(size);
    out->eta.resize(size);
    out->parent.resize(size);
  }
}

// Entry x (node v) of the region: its values into `values` at v, or into
// the region's vectors at x.
inline void Put(DmpRegion* out, const DmpNodeValues* values, std::size_t x, NodeIndex v,
                double risk, int eta, NodeIndex parent) {
  if (values != nullptr) {
    values->risk[v] = risk;
    values->eta[v] = eta;
    values->parent[v] = parent;
  } else {
    out->risk[x] = risk;
    out->eta[x] = eta;
    out->parent[x] = parent;
  }
}

}  // namespace riskd::engine::dmp_region

#endif  // RISKD_ENGINE_DMP_REGION_H_
