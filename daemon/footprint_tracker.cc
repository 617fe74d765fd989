#include "daemon/footprint_tracker.h"

#include <algorithm>

#include "connectors/codec/output_codec.h"

namespace riskd::daemon {

void FootprintTracker::Add(std::uint64_t journal_seq, const riskd::v1::Envelope& envelope,
                           int risk_type, const std::string& risk_type_name,
                           std::vector<engine::NodeIndex> hit, std::int64_t received_unix_ns) {
  const auto& d = envelope.disruption();
  Active a;
  auto& f = a.footprint;
  f.set_event_id(envelope.event_id());
  f.set_lifecycle(riskd::v1::DisruptionFootprint::LIFECYCLE_ACTIVE);
  f.set_hazard(d.hazard());
  f.set_risk_type(risk_type_name);
  f.set_severity(d.severity());
  f.set_title(d.title());
  f.set_feed_event_id(d.feed_event_id());
  if (d.has_place()) *f.mutable_place() = d.place();
  f.mutable_node_ids()->CopyFrom(d.node_ids());
  f.set_nodes_hit(static_cast<std::int32_t>(hit.size()));
  f.set_nodes_still_disrupted(static_cast<std::int32_t>(hit.size()));
  f.set_journal_seq(journal_seq);
  if (envelope.has_occurred_at()) {
    *f.mutable_occurred_at() = envelope.occurred_at();
  } else if (received_unix_ns > 0) {
    connectors::SetTimestamp(received_unix_ns, f.mutable_occurred_at());
  }
  a.risk_type = risk_type;
  a.hit = std::move(hit);
  // A disruption that hit nothing (an empty place) is never in effect: it
  // is reported once, as ended.
  if (a.hit.empty()) {
    f.set_lifecycle(riskd::v1::DisruptionFootprint::LIFECYCLE_ENDED);
    started_.push_back(f);
    return;
  }
  started_.push_back(f);
  active_.push_back(std::move(a));
}

void FootprintTracker::FindEnded(const engine::Engine& engine,
                                 std::vector<riskd::v1::DisruptionFootprint>* ended) {
  if (!maybe_ended_) return;
  maybe_ended_ = false;
  const auto& network = engine.network();
  std::vector<Active> still;
  still.reserve(active_.size());
  for (auto& a : active_) {
    const auto& observed = engine.risk_state(a.risk_type).observed;
    std::int32_t disrupted = 0;
    for (engine::NodeIndex v : a.hit) {
      if (network.alive(v) && v < observed.size() &&
          observed[v].state == engine::NodeState::kDisrupted) {
        ++disrupted;
      }
    }
    a.footprint.set_nodes_still_disrupted(disrupted);
    if (disrupted > 0) {
      still.push_back(std::move(a));
    } else {
      a.footprint.set_lifecycle(riskd::v1::DisruptionFootprint::LIFECYCLE_ENDED);
      if (ended) ended->push_back(std::move(a.footprint));
    }
  }
  active_ = std::move(still);
}

std::vector<riskd::v1::DisruptionFootprint> FootprintTracker::TakeChanges(
    const engine::Engine& engine) {
  std::vector<riskd::v1::DisruptionFootprint> out = std::move(started_);
  started_.clear();
  FindEnded(engine, &out);
  return out;
}

void FootprintTracker::DropChanges(const engine::Engine& engine) {
  started_.clear();
  FindEnded(engine, nullptr);
}

void FootprintTracker::AppendActive(
    google::protobuf::RepeatedPtrField<riskd::v1::DisruptionFootprint>* out) const {
  out->Reserve(out->size() + static_cast<int>(active_.size()));
  for (const auto& a : active_) *out->Add() = a.footprint;
}

}  // namespace riskd::daemon
