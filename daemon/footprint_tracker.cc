#include "daemon/footprint_tracker.h"

#include <algorithm>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"

namespace riskd::daemon {

using Footprint = riskd::v1::DisruptionFootprint;

void FootprintTracker::Add(std::uint64_t journal_seq, const riskd::v1::Envelope& envelope,
                           int risk_type, const std::string& risk_type_name,
                           std::vector<engine::NodeIndex> hit, engine::Step at,
                           engine::Step duration) {
  const auto& d = envelope.disruption();
  Tracked t;
  auto& f = t.footprint;
  f.set_event_id(envelope.event_id());
  f.set_hazard(d.hazard());
  f.set_risk_type(risk_type_name);
  f.set_severity(d.severity());
  f.set_title(d.title());
  f.set_feed_event_id(d.feed_event_id());
  if (d.has_place()) *f.mutable_place() = d.place();
  f.mutable_node_ids()->CopyFrom(d.node_ids());
  f.set_nodes_hit(static_cast<std::int32_t>(hit.size()));
  f.set_journal_seq(journal_seq);
  if (envelope.has_occurred_at()) {
    *f.mutable_occurred_at() = envelope.occurred_at();
  } else {
    connectors::SetTimestamp(connectors::UnixNsOfStep(at, step_ns_), f.mutable_occurred_at());
  }
  if (duration > 0) {
    connectors::SetTimestamp(connectors::UnixNsOfStep(at + duration, step_ns_),
                             f.mutable_expected_end());
  }
  t.risk_type = risk_type;
  t.at = at;
  t.duration = duration;
  t.hit = std::move(hit);
  tracked_.push_back(std::move(t));
}

std::vector<connectors::CheckpointedFootprint> FootprintTracker::Checkpoint() const {
  std::vector<connectors::CheckpointedFootprint> out;
  out.reserve(tracked_.size());
  for (const auto& t : tracked_) {
    out.push_back(
        {t.footprint.SerializeAsString(), t.announced, t.risk_type, t.at, t.duration, t.hit});
  }
  return out;
}

Status FootprintTracker::Restore(const std::vector<connectors::CheckpointedFootprint>& footprints,
                                 const engine::Engine& engine) {
  std::vector<Tracked> tracked;
  tracked.reserve(footprints.size());
  for (const auto& c : footprints) {
    Tracked t;
    if (!t.footprint.ParseFromString(c.footprint)) {
      return Status::InvalidArgument("footprint: does not parse");
    }
    if (c.risk_type < 0 || c.risk_type >= engine.risk_type_count()) {
      return Status::InvalidArgument("footprint " + t.footprint.event_id() + ": no risk type " +
                                     std::to_string(c.risk_type));
    }
    for (engine::NodeIndex v : c.hit) {
      if (v >= engine.network().node_slots()) {
        return Status::InvalidArgument("footprint " + t.footprint.event_id() +
                                       ": a node beyond the network");
      }
    }
    t.announced = c.announced;
    t.risk_type = c.risk_type;
    t.at = c.at;
    t.duration = c.duration;
    t.hit = c.hit;
    tracked.push_back(std::move(t));
  }
  tracked_ = std::move(tracked);
  return Status::Ok();
}

std::int32_t FootprintTracker::StillDisrupted(const Tracked& t, const engine::Engine& engine) {
  // Where the engine's reports say this Disruption is (engine/reports.h):
  // before the window it is history only, unless its known duration runs
  // into the window (it then counts from the window's start); after now it
  // counts as at now.
  const engine::Step now = engine.now();
  const engine::Step window_start = now - engine.options().clock.history_window_steps;
  if (t.at < window_start && !(t.duration > 0 && t.at + t.duration > window_start)) return -1;
  const engine::Step at = std::min(std::max(t.at, window_start), now);
  // A node is disrupted by it while it is disrupted in an episode that
  // began no later than the Disruption: one begun after it ended (another
  // event) is not this footprint's.
  const auto& network = engine.network();
  const auto& observed = engine.risk_state(t.risk_type).observed();
  std::int32_t disrupted = 0;
  for (engine::NodeIndex v : t.hit) {
    if (!network.alive(v) || v >= observed.size()) continue;
    const engine::Observation& o = observed[v];
    if (o.state == engine::NodeState::kDisrupted && o.since <= at) ++disrupted;
  }
  return disrupted;
}

void FootprintTracker::Judge(const engine::Engine& engine, std::vector<Footprint>* changes) {
  std::vector<Tracked> kept;
  kept.reserve(tracked_.size());
  for (auto& t : tracked_) {
    const std::int32_t still = StillDisrupted(t, engine);
    const auto lifecycle = still > 0 ? Footprint::LIFECYCLE_ACTIVE : Footprint::LIFECYCLE_ENDED;
    auto& f = t.footprint;
    const bool changed = !t.announced || f.lifecycle() != lifecycle ||
                         f.nodes_still_disrupted() != std::max(still, 0);
    f.set_lifecycle(lifecycle);
    f.set_nodes_still_disrupted(std::max(still, 0));
    t.announced = true;
    if (changed && changes) changes->push_back(f);
    // History only, or a place that covered no node: it can never be in
    // effect again.
    if (still >= 0 && !t.hit.empty()) kept.push_back(std::move(t));
  }
  tracked_ = std::move(kept);
}

std::vector<Footprint> FootprintTracker::TakeChanges(const engine::Engine& engine) {
  std::vector<Footprint> changes;
  Judge(engine, &changes);
  return changes;
}

void FootprintTracker::DropChanges(const engine::Engine& engine) { Judge(engine, nullptr); }

void FootprintTracker::AppendActive(google::protobuf::RepeatedPtrField<Footprint>* out) const {
  for (const auto& t : tracked_) {
    if (t.announced && t.footprint.lifecycle() == Footprint::LIFECYCLE_ACTIVE)
      *out->Add() = t.footprint;
  }
}

std::size_t FootprintTracker::active_count() const {
  return static_cast<std::size_t>(
      std::count_if(tracked_.begin(), tracked_.end(), [](const Tracked& t) {
        return t.announced && t.footprint.lifecycle() == Footprint::LIFECYCLE_ACTIVE;
      }));
}

}  // namespace riskd::daemon
