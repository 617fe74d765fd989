#include "engine/incidents.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "engine/monte_carlo.h"
#include "engine/value_at_risk.h"

namespace riskd::engine {
namespace {

constexpr std::uint32_t kUnknown = 0xffffffffu;   // root not computed yet
constexpr std::uint32_t kVisiting = 0xfffffffeu;  // on the current walk
constexpr std::uint32_t kNoRoot = 0xfffffffdu;    // no observed source behind it
constexpr std::size_t kMaxSourceEvents = 8;

int Rank(AlertLevel level) { return static_cast<int>(level); }

// A move by `fraction` of the largest of before, now and the figure's peak
// so far: a decline (sites coming back one by one) takes about 1/fraction
// publications, not one per step of a geometric series.
bool Moved(double before, double now, double fraction, double peak = 0) {
  const double change = std::fabs(now - before);
  if (change == 0) return false;
  return change >= fraction * std::max({std::fabs(before), std::fabs(now), peak});
}

// Orders by value at risk, then probability, then node index: a total
// order, so budgets and top lists are deterministic.
bool ByValue(const IncidentNode& a, const IncidentNode& b) {
  if (a.value_at_risk != b.value_at_risk) return a.value_at_risk > b.value_at_risk;
  if (a.probability != b.probability) return a.probability > b.probability;
  return a.node < b.node;
}

// Orders (source, event index) pairs by source only (stable merges keep a
// source's events oldest first).
bool BySource(const std::pair<NodeIndex, std::uint32_t>& a,
              const std::pair<NodeIndex, std::uint32_t>& b) {
  return a.first < b.first;
}

}  // namespace

const IncidentOperatorState Incident::kNoOperator;

std::string_view IncidentLifecycleName(IncidentLifecycle lifecycle) {
  switch (lifecycle) {
    case IncidentLifecycle::kPotential:
      return "potential";
    case IncidentLifecycle::kConfirmed:
      return "confirmed";
    case IncidentLifecycle::kRestored:
      return "restored";
    case IncidentLifecycle::kClosed:
      return "closed";
  }
  return "unknown";
}

Status ValidateIncidentOptions(const IncidentOptions& o) {
  if (o.top_nodes < 0 || o.top_nodes > 100) {
    return Status::InvalidArgument("incidents.top_nodes must be in 0..100");
  }
  if (o.alert_top_n < 0 || o.alert_top_n > 10000) {
    return Status::InvalidArgument("incidents.alert_top_n must be in 0..10000");
  }
  if (o.alert_max_tier < -1 || o.alert_max_tier > 1000) {
    return Status::InvalidArgument("incidents.alert_max_tier must be in -1..1000");
  }
  if (o.max_alerts_per_incident < 0 || o.max_alerts_per_incident > 10000) {
    return Status::InvalidArgument("incidents.max_alerts_per_incident must be in 0..10000");
  }
  if (o.close_after_ns < 0) return Status::InvalidArgument("incidents.close_after must be >= 0");
  if (o.retain_restored < 0 || o.retain_restored > 100000) {
    return Status::InvalidArgument("incidents.retain_restored must be in 0..100000");
  }
  if (o.retain_closed < 0 || o.retain_closed > 100000) {
    return Status::InvalidArgument("incidents.retain_closed must be in 0..100000");
  }
  if (!(o.min_change_fraction >= 0 && o.min_change_fraction <= 1)) {
    return Status::InvalidArgument("incidents.min_change_fraction must be in [0, 1]");
  }
  if (!(o.min_update_delta >= 0) || !std::isfinite(o.min_update_delta)) {
    return Status::InvalidArgument("incidents: min_update_delta must be finite and >= 0");
  }
  if (o.max_listed < 1 || o.max_history < 1) {
    return Status::InvalidArgument("incidents: list bounds must be >= 1");
  }
  return Status::Ok();
}

IncidentBook::IncidentBook(IncidentOptions options, std::vector<std::string> risk_type_names,
                           EmergencyPlans plans)
    : options_(options),
      names_(std::move(risk_type_names)),
      plans_(std::move(plans)),
      types_(names_.size()),
      pending_(names_.size(), 0) {}

void IncidentBook::Watch(int risk_type, NodeIndex node, const std::string& name) {
  for (std::size_t r = 0; r < types_.size(); ++r) {
    if (risk_type >= 0 && static_cast<std::size_t>(risk_type) != r) continue;
    auto& names = types_[r].watch[node];
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
}

std::span<const std::string> IncidentBook::WatchlistsOf(int risk_type, NodeIndex node) const {
  const auto& watch = types_[static_cast<std::size_t>(risk_type)].watch;
  auto it = watch.find(node);
  if (it == watch.end()) return {};
  return it->second;
}

Incident* IncidentBook::Mutable(std::uint64_t key) {
  auto it = incidents_.find(key);
  return it == incidents_.end() ? nullptr : &it->second;
}

const Incident* IncidentBook::Find(std::uint64_t key) const {
  auto it = incidents_.find(key);
  return it == incidents_.end() ? nullptr : &it->second;
}

const Incident* IncidentBook::Find(std::string_view id) const {
  const auto slash = id.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= id.size()) return nullptr;
  std::uint64_t key = 0;
  for (char c : id.substr(slash + 1)) {
    if (c < '0' || c > '9' || key > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
      return nullptr;
    }
    key = key * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const Incident* incident = Find(key);
  return incident && incident->id == id ? incident : nullptr;
}

void IncidentBook::SetLifecycle(Incident* inc, IncidentLifecycle lifecycle,
                                IncidentResolution resolution, std::int64_t time_ns) {
  if (inc->lifecycle == IncidentLifecycle::kRestored) {
    auto [first, last] = restored_.equal_range(inc->restored_at_ns);
    for (auto it = first; it != last; ++it) {
      if (it->second == inc->key) {
        restored_.erase(it);
        break;
      }
    }
  }
  if (inc->lifecycle == IncidentLifecycle::kClosed) {
    closed_.erase(std::remove(closed_.begin(), closed_.end(), inc->key), closed_.end());
  }
  inc->lifecycle = lifecycle;
  inc->resolution = resolution;
  switch (lifecycle) {
    case IncidentLifecycle::kPotential:
    case IncidentLifecycle::kConfirmed:
      inc->restored_at_ns = 0;
      inc->closed_at_ns = 0;
      break;
    case IncidentLifecycle::kRestored:
      inc->restored_at_ns = time_ns;
      inc->closed_at_ns = 0;
      restored_.emplace(time_ns, inc->key);
      // Retention: the one restored longest ago closes now rather than
      // after close_after (SetLifecycle takes it out of restored_).
      while (restored_.size() > static_cast<std::size_t>(options_.retain_restored)) {
        Incident* oldest = Mutable(restored_.begin()->second);
        if (!oldest) {
          restored_.erase(restored_.begin());
          continue;
        }
        SetLifecycle(oldest, IncidentLifecycle::kClosed, oldest->resolution, time_ns);
      }
      break;
    case IncidentLifecycle::kClosed:
      if (inc->restored_at_ns == 0) inc->restored_at_ns = time_ns;
      inc->closed_at_ns = time_ns;
      closed_.push_back(inc->key);
      break;
  }
  Changed(*inc);
}

void IncidentBook::Trim(bool replaying) {
  // Retention: forget the oldest closed incidents once their closing has
  // been published, and nothing since is still to be published (an
  // operator's action on a closed incident, accepted and journaled, would
  // otherwise never reach a subscriber when another incident is published
  // before it in the same round). A replay publishes nothing: what it
  // replays was published when it happened (SettleReplayed).
  while (closed_.size() > static_cast<std::size_t>(options_.retain_closed)) {
    const Incident* oldest = Find(closed_.front());
    if (!replaying && oldest &&
        (oldest->touched || !oldest->published ||
         oldest->published->lifecycle != IncidentLifecycle::kClosed)) {
      break;
    }
    const std::uint64_t key = closed_.front();
    closed_.pop_front();
    Forget(key);
  }
}

void IncidentBook::Forget(std::uint64_t key) {
  auto it = incidents_.find(key);
  if (it == incidents_.end()) return;
  TypeState& t = types_[static_cast<std::size_t>(it->second.risk_type)];
  for (NodeIndex v : it->second.sources) {
    auto s = t.sources.find(v);
    if (s != t.sources.end()) {
      auto& list = s->second.incidents;
      list.erase(std::remove(list.begin(), list.end(), key), list.end());
      if (list.empty()) t.sources.erase(s);
    }
    auto o = t.owner.find(v);
    if (o != t.owner.end() && o->second == key) t.owner.erase(o);
  }
  for (const auto& feed : it->second.feed_event_ids) {
    auto f = t.feed_events.find(feed);
    if (f != t.feed_events.end() && f->second == key) t.feed_events.erase(f);
  }
  if (auto l = std::lower_bound(t.live.begin(), t.live.end(), key);
      l != t.live.end() && *l == key) {
    t.live.erase(l);
  }
  // Its key stays in touched_ until the next Due() drops it.
  forgotten_ids_.push_back(it->second.id);
  forgotten_keys_.push_back(key);
  incidents_.erase(it);
}

const Incident* IncidentBook::AddTrigger(Trigger trigger) {
  if (trigger.nodes.empty()) return nullptr;
  const auto r = static_cast<std::size_t>(trigger.risk_type);
  TypeState& t = types_[r];
  Incident* inc = nullptr;
  bool by_feed = false;
  if (!trigger.feed_event_id.empty()) {
    auto it = t.feed_events.find(trigger.feed_event_id);
    if (it != t.feed_events.end()) {
      inc = Mutable(it->second);
      by_feed = inc != nullptr;
    }
  }
  if (!inc) {
    std::uint64_t oldest = 0;
    for (NodeIndex v : trigger.nodes) {
      auto s = t.sources.find(v);
      if (s == t.sources.end()) continue;
      for (std::uint64_t key : s->second.incidents) {
        const Incident* candidate = Find(key);
        if (candidate && candidate->active() && (oldest == 0 || key < oldest)) oldest = key;
      }
    }
    if (oldest != 0) inc = Mutable(oldest);
  }
  const bool confirming = trigger.kind != TriggerKind::kPlace;
  if (!inc) {
    Incident fresh;
    fresh.key = trigger.seq;
    fresh.id = names_[r] + "/" + std::to_string(trigger.seq);
    fresh.risk_type = trigger.risk_type;
    fresh.lifecycle = confirming ? IncidentLifecycle::kConfirmed : IncidentLifecycle::kPotential;
    fresh.opened_at_ns = trigger.time_ns;
    inc = &incidents_.emplace(fresh.key, std::move(fresh)).first->second;
  } else if (inc->resolution == IncidentResolution::kOperatorRestored ||
             inc->resolution == IncidentResolution::kNoImpact) {
    // An operator's verdict stands: a report of the same feed event is
    // absorbed (other evidence opened a new incident above).
  } else if (!inc->active()) {
    SetLifecycle(inc,
                 inc->confirmed || confirming ? IncidentLifecycle::kConfirmed
                                              : IncidentLifecycle::kPotential,
                 IncidentResolution::kNone, trigger.time_ns);
    // Its count was frozen while it was restored or closed: recount.
    inc->sources_disrupted = 0;
    for (NodeIndex v : inc->sources) {
      auto entry = t.sources.find(v);
      if (entry != t.sources.end() && entry->second.disrupted) ++inc->sources_disrupted;
    }
  } else if (confirming) {
    inc->lifecycle = IncidentLifecycle::kConfirmed;
  }
  (void)by_feed;
  inc->confirmed = inc->confirmed || confirming;
  if (inc->hazard == 0) inc->hazard = trigger.hazard;
  if (inc->title.empty()) inc->title = std::move(trigger.title);
  if (!trigger.feed_event_id.empty()) {
    if (std::find(inc->feed_event_ids.begin(), inc->feed_event_ids.end(), trigger.feed_event_id) ==
        inc->feed_event_ids.end()) {
      inc->feed_event_ids.push_back(trigger.feed_event_id);
    }
    t.feed_events.emplace(trigger.feed_event_id, inc->key);
  }
  // Its place among the incident's events, counting those not kept.
  const std::uint64_t ordinal = inc->event_count++;
  inc->last_seq = std::max(inc->last_seq, trigger.seq);

  std::vector<NodeIndex>& nodes = trigger.nodes;
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  // A source hit again (most triggers re-report one) leaves the list as it is.
  if (!std::includes(inc->sources.begin(), inc->sources.end(), nodes.begin(), nodes.end())) {
    std::vector<NodeIndex> merged;
    merged.reserve(inc->sources.size() + nodes.size());
    std::set_union(inc->sources.begin(), inc->sources.end(), nodes.begin(), nodes.end(),
                   std::back_inserter(merged));
    inc->sources.swap(merged);
  }
  // Appended in source order, then merged stably: a source's events stay
  // oldest first.
  auto& source_events = inc->source_events;
  const std::size_t before = source_events.size();
  const auto event_index = static_cast<std::uint32_t>(inc->events.size());
  for (NodeIndex v : nodes) {
    const auto [first, last] = std::equal_range(
        source_events.begin(), source_events.begin() + static_cast<std::ptrdiff_t>(before),
        std::pair<NodeIndex, std::uint32_t>{v, 0}, BySource);
    if (last - first < static_cast<std::ptrdiff_t>(kMaxSourceEvents)) {
      source_events.emplace_back(v, event_index);
    }
  }
  // Kept when published (among the first max_listed) or named by a source
  // above; else only counted. Decided by the event's place and the options
  // alone, so a replay keeps the same events as the live book did.
  if (ordinal < static_cast<std::uint64_t>(options_.max_listed) || source_events.size() > before) {
    inc->events.push_back({std::move(trigger.event_id), trigger.seq});
  }
  std::inplace_merge(source_events.begin(),
                     source_events.begin() + static_cast<std::ptrdiff_t>(before),
                     source_events.end(), BySource);
  for (NodeIndex v : nodes) {
    SourceEntry& entry = t.sources[v];
    if (std::find(entry.incidents.begin(), entry.incidents.end(), inc->key) ==
        entry.incidents.end()) {
      entry.incidents.push_back(inc->key);
      if (entry.disrupted) ++inc->sources_disrupted;
    }
    // The first open incident to hit a source owns it.
    auto owner = t.owner.find(v);
    const Incident* current = owner == t.owner.end() ? nullptr : Find(owner->second);
    if (!current || !current->active() || current == inc) t.owner[v] = inc->key;
  }
  Changed(*inc);
  return inc;
}

void IncidentBook::NodesChanged(const Engine& engine, int risk_type,
                                std::span<const NodeIndex> nodes, std::int64_t time_ns) {
  const auto& net = engine.network();
  for (std::size_t r = 0; r < types_.size(); ++r) {
    if (risk_type >= 0 && static_cast<std::size_t>(risk_type) != r) continue;
    TypeState& t = types_[r];
    if (t.sources.empty()) continue;
    const auto& observed = engine.risk_state(static_cast<int>(r)).observed();
    for (NodeIndex v : nodes) {
      auto it = t.sources.find(v);
      if (it == t.sources.end()) continue;
      const bool now =
          net.alive(v) && v < observed.size() && observed[v].state == NodeState::kDisrupted;
      if (now == it->second.disrupted) continue;
      it->second.disrupted = now;
      for (std::uint64_t key : it->second.incidents) {
        Incident* inc = Mutable(key);
        // A restored or closed incident keeps its count (a site hit again
        // by other evidence belongs to the incident that evidence opens).
        if (!inc || !inc->active()) continue;
        inc->sources_disrupted += now ? 1 : -1;
        Changed(*inc);
        if (inc->sources_disrupted == 0 && inc->active()) {
          SetLifecycle(inc, IncidentLifecycle::kRestored, IncidentResolution::kSourcesRecovered,
                       time_ns);
        }
      }
    }
  }
}

void IncidentBook::SourcesMayHaveChanged(const Engine& engine, std::int64_t time_ns) {
  for (std::size_t r = 0; r < types_.size(); ++r) {
    std::vector<NodeIndex> sources;
    sources.reserve(types_[r].sources.size());
    for (const auto& [v, entry] : types_[r].sources) sources.push_back(v);
    if (!sources.empty()) NodesChanged(engine, static_cast<int>(r), sources, time_ns);
  }
}

IncidentBookView IncidentBook::View() const {
  IncidentBookView c;
  c.now_ns = now_ns_;
  c.incidents.reserve(incidents_.size());
  for (const auto& [key, inc] : incidents_) c.incidents.push_back(&inc);
  for (const TypeState& t : types_) {
    auto& out = c.risk_types.emplace_back();
    out.sources.reserve(t.sources.size());
    for (const auto& [v, entry] : t.sources)
      out.sources.push_back({v, entry.disrupted, entry.incidents});
    std::sort(out.sources.begin(), out.sources.end(),
              [](const auto& a, const auto& b) { return a.node < b.node; });
    out.owner.assign(t.owner.begin(), t.owner.end());
    std::sort(out.owner.begin(), out.owner.end());
    out.feed_events.assign(t.feed_events.begin(), t.feed_events.end());
  }
  c.restored.assign(restored_.begin(), restored_.end());
  c.closed.assign(closed_.begin(), closed_.end());
  return c;
}

IncidentBookCheckpoint IncidentBook::Checkpoint() const {
  IncidentBookView view = View();
  IncidentBookCheckpoint c;
  c.now_ns = view.now_ns;
  c.incidents.reserve(view.incidents.size());
  for (const Incident* in : view.incidents) {
    const Incident& inc = *in;
    // The event-derived fields only: what a replay, which runs no
    // projection, leaves in an incident.
    Incident& out = c.incidents.emplace_back();
    out.key = inc.key;
    out.id = inc.id;
    out.risk_type = inc.risk_type;
    out.lifecycle = inc.lifecycle;
    out.resolution = inc.resolution;
    out.confirmed = inc.confirmed;
    out.hazard = inc.hazard;
    out.title = inc.title;
    out.events = inc.events;
    out.event_count = inc.event_count;
    out.feed_event_ids = inc.feed_event_ids;
    out.sources = inc.sources;
    out.source_events = inc.source_events;
    out.sources_disrupted = inc.sources_disrupted;
    out.opened_at_ns = inc.opened_at_ns;
    out.restored_at_ns = inc.restored_at_ns;
    out.closed_at_ns = inc.closed_at_ns;
    out.last_seq = inc.last_seq;
    if (!inc.op().empty()) out.mutable_op() = inc.op();
    out.operator_version = inc.operator_version;
  }
  for (auto& t : view.risk_types) {
    auto& out = c.risk_types.emplace_back();
    for (const auto& s : t.sources)
      out.sources.push_back({s.node, s.disrupted, {s.incidents.begin(), s.incidents.end()}});
    out.owner = std::move(t.owner);
    out.feed_events.assign(t.feed_events.begin(), t.feed_events.end());
  }
  c.restored = std::move(view.restored);
  c.closed = std::move(view.closed);
  return c;
}

IncidentBookView ViewOf(const IncidentBookCheckpoint& checkpoint) {
  IncidentBookView c;
  c.now_ns = checkpoint.now_ns;
  c.incidents.reserve(checkpoint.incidents.size());
  for (const Incident& inc : checkpoint.incidents) c.incidents.push_back(&inc);
  for (const auto& t : checkpoint.risk_types) {
    auto& out = c.risk_types.emplace_back();
    out.sources.reserve(t.sources.size());
    for (const auto& s : t.sources) out.sources.push_back({s.node, s.disrupted, s.incidents});
    out.owner = t.owner;
    out.feed_events.assign(t.feed_events.begin(), t.feed_events.end());
  }
  c.restored = checkpoint.restored;
  c.closed = checkpoint.closed;
  return c;
}

Status IncidentBook::Restore(IncidentBookCheckpoint c, std::size_t node_slots) {
  if (c.risk_types.size() != types_.size()) {
    return Status::InvalidArgument("incident book: " + std::to_string(c.risk_types.size()) +
                                   " risk types, the configuration has " +
                                   std::to_string(types_.size()));
  }
  std::map<std::uint64_t, Incident> incidents;
  for (Incident& inc : c.incidents) {
    if (inc.key == 0 || inc.risk_type < 0 ||
        static_cast<std::size_t>(inc.risk_type) >= types_.size()) {
      return Status::InvalidArgument("incident book: incident " + std::to_string(inc.key) +
                                     " of an unknown risk type");
    }
    if (inc.id != names_[static_cast<std::size_t>(inc.risk_type)] + "/" + std::to_string(inc.key)) {
      return Status::InvalidArgument("incident book: incident " + std::to_string(inc.key) +
                                     " is named '" + inc.id + "'");
    }
    for (NodeIndex v : inc.sources) {
      if (v >= node_slots)
        return Status::InvalidArgument("incident book: a source beyond the network");
    }
    for (const auto& [v, e] : inc.source_events) {
      if (v >= node_slots || e >= inc.events.size()) {
        return Status::InvalidArgument("incident book: a source event out of range");
      }
    }
    if (inc.event_count < inc.events.size()) {
      return Status::InvalidArgument("incident book: incident " + std::to_string(inc.key) +
                                     " counts fewer events than it keeps");
    }
    if (!std::is_sorted(inc.source_events.begin(), inc.source_events.end(), BySource)) {
      return Status::InvalidArgument("incident book: source events not by source");
    }
    const std::uint64_t key = inc.key;
    if (!incidents.emplace(key, std::move(inc)).second) {
      return Status::InvalidArgument("incident book: incident " + std::to_string(key) + " twice");
    }
  }
  auto known = [&](std::uint64_t key) { return incidents.count(key) > 0; };
  std::vector<TypeState> types(types_.size());
  for (std::size_t r = 0; r < types.size(); ++r) {
    auto& in = c.risk_types[r];
    TypeState& t = types[r];
    t.watch = types_[r].watch;  // from settings, not events
    for (auto& src : in.sources) {
      if (src.node >= node_slots ||
          !std::all_of(src.incidents.begin(), src.incidents.end(), known)) {
        return Status::InvalidArgument("incident book: a source out of range");
      }
      t.sources[src.node] = {src.disrupted, std::move(src.incidents)};
    }
    for (const auto& [v, key] : in.owner) {
      if (v >= node_slots || !known(key)) {
        return Status::InvalidArgument("incident book: an owner out of range");
      }
      t.owner[v] = key;
    }
    for (auto& [id, key] : in.feed_events) {
      if (!known(key)) {
        return Status::InvalidArgument("incident book: a feed event of no incident");
      }
      t.feed_events.emplace(std::move(id), key);
    }
  }
  for (const auto& [at, key] : c.restored) {
    if (!known(key))
      return Status::InvalidArgument("incident book: a restored incident it does not hold");
  }
  for (std::uint64_t key : c.closed) {
    if (!known(key))
      return Status::InvalidArgument("incident book: a closed incident it does not hold");
  }
  // Everything fits: as a replay leaves the book, every incident changed
  // (due for an Update() of its type and a publication).
  types_ = std::move(types);
  incidents_ = std::move(incidents);
  restored_.clear();
  restored_.insert(c.restored.begin(), c.restored.end());
  closed_.assign(c.closed.begin(), c.closed.end());
  touched_.clear();
  std::fill(pending_.begin(), pending_.end(), 0);
  for (auto& [key, inc] : incidents_) {
    inc.touched = false;  // as the checkpoint's copy had it
    Changed(inc);
  }
  now_ns_ = c.now_ns;
  return Status::Ok();
}

void IncidentBook::AdvanceTime(std::int64_t time_ns) {
  now_ns_ = std::max(now_ns_, time_ns);
  while (!restored_.empty()) {
    const auto [at, key] = *restored_.begin();
    if (at > now_ns_ - options_.close_after_ns) break;
    Incident* inc = Mutable(key);
    if (!inc) {
      restored_.erase(restored_.begin());
      continue;
    }
    // SetLifecycle removes it from restored_.
    SetLifecycle(inc, IncidentLifecycle::kClosed, inc->resolution, at + options_.close_after_ns);
  }
}

Status IncidentBook::Apply(const OperatorAction& a) {
  const Incident* found = Find(a.incident_id);
  if (!found) return Status::NotFound("no incident '" + a.incident_id + "'");
  Incident* inc = Mutable(found->key);
  switch (a.kind) {
    case OperatorActionKind::kAcknowledge:
      inc->mutable_op().acknowledged = true;
      inc->mutable_op().acknowledged_by = a.operator_name;
      inc->mutable_op().acknowledged_at_ns = a.time_ns;
      break;
    case OperatorActionKind::kAssign:
      inc->mutable_op().assignee = a.assignee;
      break;
    case OperatorActionKind::kOverrideLevel:
      inc->mutable_op().level_override = a.level;
      break;
    case OperatorActionKind::kMarkNoImpact:
      if (inc->lifecycle != IncidentLifecycle::kClosed) {
        SetLifecycle(inc, IncidentLifecycle::kClosed, IncidentResolution::kNoImpact, a.time_ns);
      }
      break;
    case OperatorActionKind::kMarkRestored:
      if (inc->active()) {
        SetLifecycle(inc, IncidentLifecycle::kRestored, IncidentResolution::kOperatorRestored,
                     a.time_ns);
      }
      break;
  }
  auto& history = inc->mutable_op().history;
  history.push_back(a);
  if (history.size() > static_cast<std::size_t>(options_.max_history)) {
    history.erase(history.begin(),
                  history.end() - static_cast<std::ptrdiff_t>(options_.max_history));
  }
  ++inc->operator_version;
  inc->last_seq = std::max(inc->last_seq, a.seq);
  Changed(*inc);
  return Status::Ok();
}

const std::vector<double>& IncidentBook::Values(const Network& net) {
  if (values_version_ != net.version() || values_slots_ != net.node_slots()) {
    values_ = NodeValues(net);
    values_version_ = net.version();
    values_slots_ = net.node_slots();
  }
  return values_;
}

IncidentBook::Attribution IncidentBook::Attribute(const Engine& engine, int risk_type) const {
  Attribution attribution;
  const auto& s = engine.risk_state(risk_type);
  const std::size_t n = engine.network().node_slots();
  attribution.incident.assign(n, 0);
  attribution.source.assign(n, 0);
  if (!s.projected()) return attribution;
  const auto& risk = s.projection().risk;
  const auto& parent = s.projection().parent;
  const auto& p_i = s.initial().p_i;
  const TypeState& t = types_[static_cast<std::size_t>(risk_type)];
  const std::size_t slots = std::min({n, risk.size(), parent.size(), p_i.size()});
  std::vector<std::uint32_t> roots(slots, kUnknown);  // per node: its source, or kUnknown
  std::vector<NodeIndex> walk;
  for (NodeIndex v = 0; v < slots; ++v) {
    if (p_i[v] > 0) attribution.source[v] = 1;
    if (!(risk[v] > 0) && !(p_i[v] > 0)) continue;
    // Follow parents to a source (or to a node already resolved).
    NodeIndex u = v;
    walk.clear();
    std::uint32_t root = kNoRoot;
    while (true) {
      if (roots[u] != kUnknown) {
        root = roots[u] == kVisiting ? kNoRoot : roots[u];
        break;
      }
      if (p_i[u] > 0) {
        roots[u] = u;
        root = u;
        break;
      }
      roots[u] = kVisiting;
      walk.push_back(u);
      const NodeIndex up = parent[u];
      if (up == kNoNode || up >= slots) break;
      u = up;
    }
    for (NodeIndex w : walk) roots[w] = root;
    if (root == kNoRoot) continue;
    auto owner = t.owner.find(root);
    if (owner != t.owner.end()) attribution.incident[v] = owner->second;
  }
  return attribution;
}

IncidentUpdate IncidentBook::Update(const Engine& engine, int risk_type, bool projected,
                                    bool refinement) {
  IncidentUpdate out;
  const auto r = static_cast<std::size_t>(risk_type);
  pending_[r] = 0;
  TypeState& t = types_[r];
  const auto& s = engine.risk_state(risk_type);
  const auto& net = engine.network();
  if (!s.projected()) return out;
  const Attribution attribution = Attribute(engine, risk_type);
  const auto& values = Values(net);
  const auto& risk = s.projection().risk;
  const auto& eta = s.projection().eta;
  const auto& open = s.alerts().open();

  // Accumulate per incident: expectation, value at risk, nodes at risk and
  // candidate nodes; per (incident, region) the expectation, for the
  // interval.
  struct Acc {
    double expected = 0;
    double value = 0;
    int at_risk = 0;
    AlertLevel level = AlertLevel::kNone;
    // Not sources, risk > 0: the top_nodes first by ByValue (a total
    // order), kept bounded as they come (below), not every node at risk
    // (85k on a region spanning the network: ~8 MB of a round's peak).
    std::vector<IncidentNode> nodes;
    std::vector<IncidentNode> sources;  // owned, disrupted
    // By region, in first-seen order (most incidents touch one or two):
    // sorted by region before use, as the std::map it replaces iterated.
    std::vector<std::pair<std::int32_t, double>> region_expected;
    // Where each region is in region_expected, once it has more than a few
    // (a quake's incident can span many): a linear search per node at risk
    // would cost nodes x regions.
    std::unordered_map<std::int32_t, std::uint32_t> region_slot;
    void AddRegionExpected(std::int32_t region, double p) {
      constexpr std::size_t kLinearRegions = 8;
      std::size_t i = region_expected.size();
      if (region_expected.size() <= kLinearRegions) {
        i = static_cast<std::size_t>(
            std::find_if(region_expected.begin(), region_expected.end(),
                         [region](const auto& re) { return re.first == region; }) -
            region_expected.begin());
      } else if (auto it = region_slot.find(region); it != region_slot.end()) {
        i = it->second;
      }
      if (i < region_expected.size()) {
        region_expected[i].second += p;
        return;
      }
      region_expected.emplace_back(region, p);
      if (region_expected.size() > kLinearRegions) {
        if (region_slot.empty()) {
          for (std::size_t j = 0; j < region_expected.size(); ++j) {
            region_slot.emplace(region_expected[j].first, static_cast<std::uint32_t>(j));
          }
        } else {
          region_slot.emplace(region, static_cast<std::uint32_t>(i));
        }
      }
    }
  };
  // Flat, per round: one slot per incident with nodes at risk, found by a
  // hash of its key, not a std::map lookup per node at risk (85k nodes,
  // thousands of incidents under load, bench/README.md "Event to alert").
  std::vector<std::pair<std::uint64_t, Acc>> acc;
  std::unordered_map<std::uint64_t, std::uint32_t> acc_slot;
  std::vector<double> region_total;  // by region id (dense)
  const double warning_raise = s.alerts().options().warning_raise;
  const auto& projector = s.projector();
  const std::size_t n = std::min(attribution.incident.size(), risk.size());
  const auto top = static_cast<std::size_t>(std::max(0, options_.top_nodes));
  std::uint64_t last_key = 0;
  Acc* last = nullptr;
  // The open alerts are by node, as this walk: a cursor finds a node's,
  // not a binary search per node at risk (85k a round on a big region;
  // bench/README.md "pubcost").
  auto open_at = open.begin();
  for (NodeIndex v = 0; v < n; ++v) {
    const double p = risk[v];
    if (!(p > 0)) continue;
    const std::int32_t region = projector.RegionOf(v);
    if (region >= 0) {
      if (static_cast<std::size_t>(region) >= region_total.size()) {
        region_total.resize(static_cast<std::size_t>(region) + 1, 0.0);
      }
      region_total[static_cast<std::size_t>(region)] += p;
    }
    const std::uint64_t key = attribution.incident[v];
    if (key == 0) continue;
    if (!last || key != last_key) {
      auto [slot, fresh] = acc_slot.try_emplace(key, static_cast<std::uint32_t>(acc.size()));
      if (fresh) acc.emplace_back(key, Acc{});
      last = &acc[slot->second].second;
      last_key = key;
    }
    Acc& a = *last;
    a.expected += p;
    const double var = p * values[v];
    a.value += var;
    if (region >= 0) a.AddRegionExpected(region, p);
    IncidentNode node{.node = v, .eta = eta[v], .probability = p, .value_at_risk = var};
    // As the projection summary counts them: at the warning threshold or
    // above, sources included (they are alerted too).
    if (p >= warning_raise) ++a.at_risk;
    while (open_at != open.end() && open_at->first < v) ++open_at;
    if (open_at != open.end() && open_at->first == v) {
      node.level = open_at->second.level;
    } else if (attribution.source[v]) {
      node.level = s.alerts().NextLevel(v, AlertLevel::kNone, p);
    }
    if (attribution.source[v]) {
      a.sources.push_back(node);
    } else if (top > 0) {
      a.nodes.push_back(node);
      if (a.nodes.size() >= 2 * top + 64) {
        std::nth_element(a.nodes.begin(), a.nodes.begin() + static_cast<std::ptrdiff_t>(top),
                         a.nodes.end(), ByValue);
        a.nodes.resize(top);
      }
    }
    if (Rank(node.level) > Rank(a.level)) a.level = node.level;
  }

  // Refresh the incidents with nodes at risk now or before, by key.
  std::vector<std::uint64_t> refresh = std::move(t.live);
  t.live.clear();
  for (const auto& [key, a] : acc) t.live.push_back(key);
  std::sort(t.live.begin(), t.live.end());
  refresh.insert(refresh.end(), t.live.begin(), t.live.end());
  std::sort(refresh.begin(), refresh.end());
  refresh.erase(std::unique(refresh.begin(), refresh.end()), refresh.end());
  Acc empty;
  // Per refreshed incident, parallel to `refresh` (sorted): whether it
  // grows in this round (ranks and tiers may push its alerts).
  // `changed`: whether a projection round changed its figures (value at
  // risk or sources disrupted moved; a newly opened incident moves both):
  // only then does the round replace the verdict its refinements keep.
  std::vector<char> grows(refresh.size(), 0), changed(refresh.size(), 0);
  auto flag_of = [&](const std::vector<char>& flags, std::uint64_t key) {
    const auto at = std::lower_bound(refresh.begin(), refresh.end(), key);
    return at != refresh.end() && *at == key &&
           flags[static_cast<std::size_t>(at - refresh.begin())];
  };
  auto grows_of = [&](std::uint64_t key) { return flag_of(grows, key); };
  for (std::size_t i = 0; i < refresh.size(); ++i) {
    const std::uint64_t key = refresh[i];
    Incident* found_inc = Mutable(key);
    if (!found_inc || found_inc->lifecycle == IncidentLifecycle::kClosed) continue;
    Incident& inc = *found_inc;
    if (!inc.touched) {
      inc.touched = true;
      touched_.push_back(key);
    }
    inc.previous_value_at_risk = inc.value_at_risk;
    auto found = acc_slot.find(key);
    empty = Acc{};
    Acc& a = found == acc_slot.end() ? empty : acc[found->second].second;
    std::sort(a.region_expected.begin(), a.region_expected.end());
    inc.expected_disrupted = a.expected;
    inc.value_at_risk = a.value;
    if (refinement) {
      // The check re-estimates the state the projection round saw: it
      // keeps that round's verdict, and its move is set aside for the next
      // projection round's comparison.
      inc.refined_shift += inc.value_at_risk - inc.previous_value_at_risk;
      grows[i] = inc.grew;
    } else {
      // A projection compares with the previous projection (its estimate
      // before any refinement since); a round of the book alone, on an
      // unchanged projection, with the previous round. An incident whose
      // figures this projection left as they were (it projected another
      // event) does not grow, even if a refinement since moved them up:
      // it keeps its earlier projection's verdict and refined_shift, for
      // a check of that projection still to come (checks run when idle,
      // maybe after later projections).
      changed[i] = inc.value_at_risk != inc.previous_value_at_risk ||
                   inc.sources_disrupted != inc.sources_disrupted_before;
      const double before = inc.previous_value_at_risk - (projected ? inc.refined_shift : 0.0);
      grows[i] = !inc.steady && changed[i] && inc.value_at_risk > before;
    }
    inc.nodes_at_risk = a.at_risk;
    inc.peak_expected_disrupted = std::max(inc.peak_expected_disrupted, a.expected);
    inc.peak_value_at_risk = std::max(inc.peak_value_at_risk, a.value);
    inc.peak_nodes_at_risk = std::max(inc.peak_nodes_at_risk, static_cast<double>(a.at_risk));
    inc.computed_level = a.level;
    // 90% interval: each region's realizations shared among the incidents
    // whose sources it holds, in proportion to their expectation there.
    inc.disrupted_p05 = inc.disrupted_p95 = a.expected;
    if (!a.region_expected.empty()) {
      std::size_t runs = std::numeric_limits<std::size_t>::max();
      for (const auto& [region, e] : a.region_expected) {
        runs = std::min(runs, projector.RegionSizes(region).size());
      }
      if (runs > 0 && runs != std::numeric_limits<std::size_t>::max()) {
        std::vector<double> totals(runs, 0.0);
        for (const auto& [region, e] : a.region_expected) {
          const double total = region_total[static_cast<std::size_t>(region)];
          const double share = total > 0 ? e / total : 0;
          const auto sizes = projector.RegionSizes(region);
          for (std::size_t k = 0; k < runs; ++k) totals[k] += share * sizes[k];
        }
        inc.disrupted_p05 = NearestRankQuantile(totals, 0.05);
        inc.disrupted_p95 = NearestRankQuantile(std::move(totals), 0.95);
      }
    }
    std::sort(a.nodes.begin(), a.nodes.end(), ByValue);
    std::sort(a.sources.begin(), a.sources.end(), ByValue);
    inc.top.assign(
        a.nodes.begin(),
        a.nodes.begin() + static_cast<std::ptrdiff_t>(std::min(
                              a.nodes.size(), static_cast<std::size_t>(options_.top_nodes))));
    // Sources by value at risk: the disrupted ones first, then the rest by id.
    inc.sources_by_value.clear();
    for (const auto& src : a.sources) {
      if (inc.sources_by_value.size() >= static_cast<std::size_t>(options_.max_listed)) break;
      inc.sources_by_value.push_back(src.node);
    }
    for (NodeIndex v : inc.sources) {
      if (inc.sources_by_value.size() >= static_cast<std::size_t>(options_.max_listed)) break;
      if (std::find(inc.sources_by_value.begin(), inc.sources_by_value.end(), v) ==
          inc.sources_by_value.end()) {
        inc.sources_by_value.push_back(v);
      }
    }
    // Plans for its disrupted sources and its top nodes at alert level.
    std::vector<std::pair<NodeIndex, AlertLevel>> plan_nodes;
    for (const auto& src : a.sources) {
      if (src.level != AlertLevel::kNone) plan_nodes.emplace_back(src.node, src.level);
    }
    for (const auto& node : inc.top) {
      if (node.level != AlertLevel::kNone) plan_nodes.emplace_back(node.node, node.level);
    }
    inc.plans = plans_.For(net, risk_type, plan_nodes);
  }

  // The budget. Pushed alerts first: resolved with an incident that is no
  // longer open, resolved or updated on their own otherwise.
  std::unordered_map<std::uint64_t, int> counted;  // non-watchlist pushed per incident
  for (auto it = t.pushed.begin(); it != t.pushed.end();) {
    const NodeIndex v = it->first;
    PushedAlert& pa = it->second;
    Incident* inc = pa.incident ? Mutable(pa.incident) : nullptr;
    const double p = v < risk.size() ? risk[v] : 0.0;
    const int e = v < eta.size() ? eta[v] : -1;
    const double var = v < values.size() ? p * values[v] : 0.0;
    AlertPush push{v, AlertLifecycle::kResolved, pa.level,    p,
                   e, pa.raised_journal_seq,     pa.incident, var};
    auto bulk = [&] {
      out.resolved_in_bulk.push_back(push);
      if (inc) {
        inc->resolved_alerts.emplace_back(v, pa.raised_journal_seq);
        Changed(*inc);
      }
    };
    if (pa.incident != 0 && (!inc || !inc->active())) {
      bulk();
      it = t.pushed.erase(it);
      continue;
    }
    auto o = open.find(v);
    if (o == open.end() || o->second.raised_journal_seq != pa.raised_journal_seq) {
      // Sites of its incident came back since the last round: a bulk
      // recovery, said once by the incident.
      if (inc && (inc->sources_disrupted < inc->sources_disrupted_before ||
                  (refinement && inc->recovering))) {
        bulk();
      } else {
        out.alerts.push_back(push);
      }
      it = t.pushed.erase(it);
      continue;
    }
    // Material: a new level, a probability up by min_update_delta, an
    // earlier ETA. Improvements within a level wait for the level change or
    // the resolution.
    const OpenAlert& alert = o->second;
    const bool earlier = alert.eta >= 0 && (pa.eta < 0 || alert.eta < pa.eta);
    if (alert.level != pa.level || earlier ||
        alert.probability - pa.probability >= options_.min_update_delta) {
      pa.level = alert.level;
      pa.probability = alert.probability;
      pa.eta = alert.eta;
      out.alerts.push_back({v, AlertLifecycle::kUpdated, alert.level, alert.probability, alert.eta,
                            pa.raised_journal_seq, pa.incident, alert.probability * values[v]});
    }
    if (!pa.watched) ++counted[pa.incident];
    ++it;
  }
  // Alerts the latest projection opened (when this round re-projected).
  std::vector<NodeIndex> raised_now;  // sorted (last_changes is by node)
  if (projected) {
    for (const auto& change : s.last_changes()) {
      if (change.lifecycle == AlertLifecycle::kRaised) raised_now.push_back(change.node);
    }
    std::sort(raised_now.begin(), raised_now.end());
  }
  // New pushes: per open incident (and alerts no incident owns, as key 0),
  // its open alerts by value at risk.
  // One flat list sorted by (incident, ByValue): the groups in key order, as
  // a std::map of lists gave them, without a map lookup per open alert.
  std::vector<std::pair<std::uint64_t, IncidentNode>> candidates;
  candidates.reserve(open.size());
  for (const auto& [v, alert] : open) {
    if (v >= attribution.incident.size()) continue;
    const std::uint64_t key = attribution.incident[v];
    if (key != 0) {
      const Incident* inc = Find(key);
      if (!inc || !inc->active()) continue;
    }
    candidates.emplace_back(key, IncidentNode{.node = v,
                                              .eta = alert.eta,
                                              .probability = alert.probability,
                                              .value_at_risk = alert.probability * values[v],
                                              .level = alert.level});
  }
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : ByValue(a.second, b.second);
  });
  for (std::size_t group = 0; group < candidates.size();) {
    const std::uint64_t key = candidates[group].first;
    std::size_t end = group;
    while (end < candidates.size() && candidates[end].first == key) ++end;
    const std::span<const std::pair<std::uint64_t, IncidentNode>> list(candidates.data() + group,
                                                                       end - group);
    group = end;
    int& pushed = counted[key];
    // Ranks and tiers push an alert that opened in this projection, or
    // any while the incident grows (`grows`, above: its value at risk went
    // up since the previous projection): a shrinking incident (sites
    // coming back) resolves alerts and does not refill its ranks with ones
    // it passed over. An incident holding its ranks (after a restart)
    // pushes none. A refinement keeps its projection's verdict for fresh
    // alerts too, and pushes by rank or tier only up to the open pushed
    // non-watchlist alerts its projection left (or alert_top_n if fewer:
    // the check may raise nodes DMP did not rank): its own ranks replace
    // the alerts it resolves, they do not add to DMP's (a checking daemon
    // pushes one top N, not two).
    Incident* owner = key ? Mutable(key) : nullptr;
    const bool steady = owner && owner->steady;
    const bool growing = !owner || (!steady && grows_of(key));
    const int cap = refinement && owner
                        ? std::min(options_.max_alerts_per_incident,
                                   std::max(owner->open_after_projection, options_.alert_top_n))
                        : options_.max_alerts_per_incident;
    for (std::size_t rank = 0; rank < list.size(); ++rank) {
      // Past the cap only watchlist nodes are pushed: without any, the
      // rest of the list (most of a big incident's open alerts) has
      // nothing more to push.
      if (pushed >= cap && t.watch.empty()) break;
      const IncidentNode& c = list[rank].second;
      if (t.pushed.count(c.node)) continue;
      const bool watched = t.watch.count(c.node) > 0;
      if (!watched) {
        // The cheap tests first: the tier is a read at a random node of
        // the network (a cache miss per open alert under load;
        // bench/README.md "pubcost"), needed only when they pass.
        if (pushed >= cap) continue;
        const bool fresh = !steady && (!refinement || growing) &&
                           std::binary_search(raised_now.begin(), raised_now.end(), c.node);
        if (!(growing || fresh)) continue;
        if (rank >= static_cast<std::size_t>(options_.alert_top_n)) {
          const int tier = net.tier(c.node);
          if (tier < 0 || tier > options_.alert_max_tier) continue;
        }
      }
      const OpenAlert& alert = open.at(c.node);
      t.pushed[c.node] = {
          key, alert.level, alert.probability, alert.eta, alert.raised_journal_seq, watched};
      if (!watched) ++pushed;
      out.alerts.push_back({c.node, AlertLifecycle::kRaised, alert.level, alert.probability,
                            alert.eta, alert.raised_journal_seq, key, c.value_at_risk});
    }
  }
  std::sort(out.alerts.begin(), out.alerts.end(),
            [](const AlertPush& a, const AlertPush& b) { return a.node < b.node; });
  for (auto& [key, inc] : incidents_) {
    if (inc.risk_type != risk_type) continue;
    if (projected && !refinement && flag_of(changed, key)) {
      // What this projection's refinements keep (an incident it did not
      // change keeps its earlier projection's, above).
      inc.grew = grows_of(key);
      inc.recovering = inc.sources_disrupted < inc.sources_disrupted_before;
      const auto c = counted.find(key);
      inc.open_after_projection = c == counted.end() ? 0 : c->second;
      inc.refined_shift = 0;
    }
    inc.sources_disrupted_before = inc.sources_disrupted;
    inc.steady = false;
  }
  // Pushed counts and flags on the top lists.
  std::unordered_map<std::uint64_t, int> pushed_count;
  for (const auto& [v, pa] : t.pushed) ++pushed_count[pa.incident];
  for (std::uint64_t key : refresh) {
    Incident* inc = Mutable(key);
    if (!inc) continue;
    inc->alerts_pushed = pushed_count.count(key) ? pushed_count[key] : 0;
    for (auto& node : inc->top) {
      auto p = t.pushed.find(node.node);
      node.pushed = p != t.pushed.end() && p->second.incident == key;
    }
  }
  for (const auto& [key, count] : pushed_count) {
    Incident* inc = key ? Mutable(key) : nullptr;
    if (inc) inc->alerts_pushed = count;
  }
  return out;
}

IncidentDigest IncidentBook::DigestOf(const Incident& inc) const {
  IncidentDigest d;
  d.lifecycle = inc.lifecycle;
  d.level = inc.level();
  d.computed_level = inc.computed_level;
  d.events = inc.event_count;
  d.sources = inc.sources.size();
  d.sources_disrupted = inc.sources_disrupted;
  d.operator_version = inc.operator_version;
  for (const auto& node : inc.top) d.top.push_back(node.node);
  for (const auto& plan : inc.plans) d.plans.push_back(plan.rule);
  d.expected_disrupted = inc.expected_disrupted;
  d.value_at_risk = inc.value_at_risk;
  d.nodes_at_risk = inc.nodes_at_risk;
  d.alerts_resolved = static_cast<int>(inc.resolved_alerts.size());
  return d;
}

bool IncidentBook::Material(const Incident& inc) const {
  if (!inc.published) return true;
  const IncidentDigest& was = *inc.published;
  const IncidentDigest now = DigestOf(inc);
  const double f = options_.min_change_fraction;
  // Counts move by a fraction (2,796 status reports of one quake are not
  // 2,796 publications); lifecycle, level, operator decisions, the top
  // nodes and the plans change them at once.
  return now.lifecycle != was.lifecycle || now.level != was.level ||
         now.computed_level != was.computed_level || now.operator_version != was.operator_version ||
         now.top != was.top || now.plans != was.plans || now.alerts_resolved != 0 ||
         Moved(static_cast<double>(was.events), static_cast<double>(now.events), f) ||
         Moved(static_cast<double>(was.sources), static_cast<double>(now.sources), f) ||
         Moved(was.sources_disrupted, now.sources_disrupted, f, static_cast<double>(now.sources)) ||
         Moved(was.expected_disrupted, now.expected_disrupted, f, inc.peak_expected_disrupted) ||
         Moved(was.value_at_risk, now.value_at_risk, f, inc.peak_value_at_risk) ||
         Moved(was.nodes_at_risk, now.nodes_at_risk, f, inc.peak_nodes_at_risk);
}

std::vector<std::uint64_t> IncidentBook::Due() {
  // By key, once each; the keys no longer marked go (published, or
  // forgotten), and so does the mark of those not materially changed.
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  std::vector<std::uint64_t> due;
  std::size_t kept = 0;
  for (const std::uint64_t key : touched_) {
    Incident* inc = Mutable(key);
    if (!inc || !inc->touched) continue;
    if (!Material(*inc)) {
      inc->touched = false;
      continue;
    }
    due.push_back(key);
    touched_[kept++] = key;
  }
  touched_.resize(kept);
  return due;
}

void IncidentBook::HoldRanks(std::uint64_t key) {
  if (Incident* inc = Mutable(key)) inc->steady = true;
}

void IncidentBook::MarkPublished(std::uint64_t key) {
  Incident* inc = Mutable(key);
  if (!inc) return;
  inc->touched = false;  // its key leaves touched_ at the next Due()
  inc->resolved_alerts.clear();
  inc->published = DigestOf(*inc);
  Trim();
}

std::vector<IncidentNode> IncidentBook::NodesOf(const Engine& engine, std::uint64_t key,
                                                std::size_t max_nodes) {
  std::vector<IncidentNode> out;
  const Incident* inc = Find(key);
  if (!inc) return out;
  const auto& s = engine.risk_state(inc->risk_type);
  if (!s.projected()) return out;
  const Attribution attribution = Attribute(engine, inc->risk_type);
  const auto& values = Values(engine.network());
  const auto& open = s.alerts().open();
  const auto& pushed = types_[static_cast<std::size_t>(inc->risk_type)].pushed;
  const std::size_t n = std::min(attribution.incident.size(), s.projection().risk.size());
  for (NodeIndex v = 0; v < n; ++v) {
    if (attribution.incident[v] != key || attribution.source[v]) continue;
    const double p = s.projection().risk[v];
    if (!(p > 0)) continue;
    IncidentNode node{
        .node = v, .eta = s.projection().eta[v], .probability = p, .value_at_risk = p * values[v]};
    if (auto o = open.find(v); o != open.end()) node.level = o->second.level;
    if (auto pa = pushed.find(v); pa != pushed.end()) node.pushed = pa->second.incident == key;
    out.push_back(node);
  }
  std::sort(out.begin(), out.end(), ByValue);
  if (out.size() > max_nodes) out.resize(max_nodes);
  return out;
}

std::uint64_t IncidentBook::OwnerOf(int risk_type, NodeIndex source) const {
  const auto& owner = types_[static_cast<std::size_t>(risk_type)].owner;
  auto it = owner.find(source);
  return it == owner.end() ? 0 : it->second;
}

std::vector<std::string> IncidentBook::TriggerEventIds(int risk_type, NodeIndex source) const {
  std::vector<std::string> out;
  const Incident* inc = Find(OwnerOf(risk_type, source));
  if (!inc) return out;
  for (std::uint32_t e : inc->EventsOf(source)) out.push_back(inc->events[e].event_id);
  return out;
}

std::vector<std::uint32_t> Incident::EventsOf(NodeIndex source) const {
  std::vector<std::uint32_t> out;
  const auto [first, last] =
      std::equal_range(source_events.begin(), source_events.end(),
                       std::pair<NodeIndex, std::uint32_t>{source, 0}, BySource);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

bool IncidentBook::RestorePushed(int risk_type, NodeIndex node, const std::string& incident_id,
                                 const PushedAlert& alert) {
  PushedAlert kept = alert;
  if (incident_id.empty()) {
    kept.incident = 0;
  } else {
    const Incident* inc = Find(incident_id);
    if (!inc || !inc->active() || inc->risk_type != risk_type) return false;
    kept.incident = inc->key;
  }
  auto& t = types_[static_cast<std::size_t>(risk_type)];
  kept.watched = t.watch.count(node) > 0;
  t.pushed[node] = kept;
  return true;
}

}  // namespace riskd::engine
