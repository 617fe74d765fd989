#include "connectors/feeds/seen_feed_ids.h"

namespace riskd::connectors {

bool SeenFeedIds::Insert(std::string_view event_id) {
  std::string id(event_id);
  if (!ids_.insert(id).second) return false;
  order_.push_back(std::move(id));
  while (order_.size() > capacity_) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

std::vector<riskd::v1::Envelope> SeenFeedIds::Unseen(
    const std::vector<riskd::v1::Envelope>& envelopes) const {
  std::vector<riskd::v1::Envelope> out;
  for (const auto& e : envelopes) {
    if (!Contains(e.event_id())) out.push_back(e);
  }
  return out;
}

}  // namespace riskd::connectors
