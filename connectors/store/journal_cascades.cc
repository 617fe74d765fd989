#include "connectors/store/journal_cascades.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "engine/geo.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {
namespace {

// A SupplierStatus or Disruption event of the wanted risk type.
struct Event {
  enum class Kind { kDisruption, kDisrupted, kNormal };
  Kind kind = Kind::kDisrupted;
  std::int64_t time_ns = 0;
  std::uint64_t seq = 0;
  std::string event_id;
  std::vector<std::string> nodes;
  double severity = 1;
};

// What a cascade knows about one node so far.
struct NodeRecord {
  enum class Role { kSource, kDisrupted, kNormal };
  Role role = Role::kNormal;
  int onset = 0;
  int recovery = -1;
  double severity = 1;
};

std::int64_t EventTimeNs(const riskd::v1::Envelope& env, std::int64_t received_ns) {
  if (!env.has_occurred_at()) return received_ns;
  return env.occurred_at().seconds() * 1'000'000'000 + env.occurred_at().nanos();
}

// The cascade being read, by node id (in order of first mention).
class CascadeBuilder {
 public:
  CascadeBuilder(const Event& first, double step_ns) : step_ns_(step_ns), t0_(first.time_ns) {
    origin_.start_unix_ns = first.time_ns;
    origin_.first_seq = first.seq;
    origin_.first_event_id = first.event_id;
  }

  std::int64_t last_ns() const { return origin_.end_unix_ns; }
  std::int64_t start_ns() const { return t0_; }
  std::size_t repeated() const { return repeated_; }

  void Add(const Event& e) {
    origin_.end_unix_ns = std::max(origin_.end_unix_ns, e.time_ns);
    origin_.last_seq = std::max(origin_.last_seq, e.seq);
    ++origin_.events;
    const double offset = static_cast<double>(e.time_ns - t0_) / step_ns_;
    const int floor_step = static_cast<int>(std::floor(offset));
    const int ceil_step = static_cast<int>(std::ceil(offset));
    last_step_ = std::max(last_step_, ceil_step);
    for (const std::string& id : e.nodes) {
      auto [it, fresh] = records_.try_emplace(id);
      if (fresh) order_.push_back(id);
      NodeRecord& r = it->second;
      const bool disrupted_before = !fresh && r.role != NodeRecord::Role::kNormal;
      switch (e.kind) {
        case Event::Kind::kDisruption:
        case Event::Kind::kDisrupted:
          if (disrupted_before) {
            if (r.recovery >= 0) ++repeated_;  // SIR: a recovered node stays recovered
            continue;
          }
          // The report that opens a cascade names its source.
          if (e.kind == Event::Kind::kDisruption || origin_.events == 1) {
            r.role = NodeRecord::Role::kSource;
            r.onset = floor_step;
          } else {
            r.role = NodeRecord::Role::kDisrupted;
            r.onset = std::max(1, ceil_step);
          }
          r.severity = e.severity;
          break;
        case Event::Kind::kNormal:
          if (disrupted_before) {
            if (r.recovery < 0) r.recovery = std::max(r.onset + 1, ceil_step);
          } else {
            r.role = NodeRecord::Role::kNormal;
          }
          break;
      }
    }
  }

  // The cascade on `network`; false if no source at step 0 is left.
  bool Finish(const engine::Network& network, engine::ObservedCascade* out, CascadeOrigin* origin,
              std::size_t* unknown) const {
    int end = last_step_;
    for (const auto& [id, r] : records_) end = std::max({end, r.onset, r.recovery});
    out->end = end;
    bool source_at_zero = false;
    std::vector<std::pair<engine::NodeIndex, int>> normal;
    for (const std::string& id : order_) {
      const NodeRecord& r = records_.at(id);
      const auto v = network.Find(id);
      if (!v || !network.alive(*v)) {
        ++*unknown;
        continue;
      }
      const engine::DisruptionReport report{*v, r.onset, r.recovery, r.severity};
      switch (r.role) {
        case NodeRecord::Role::kSource:
          out->sources.push_back(report);
          source_at_zero = source_at_zero || r.onset == 0;
          break;
        case NodeRecord::Role::kDisrupted:
          out->disrupted.push_back(report);
          break;
        case NodeRecord::Role::kNormal:
          // A status persists until changed: normal through the end.
          out->normal.push_back({*v, end});
          break;
      }
    }
    *origin = origin_;
    return source_at_zero;
  }

 private:
  double step_ns_;
  std::int64_t t0_;
  CascadeOrigin origin_;
  int last_step_ = 0;
  std::size_t repeated_ = 0;
  std::map<std::string, NodeRecord> records_;
  std::vector<std::string> order_;
};

}  // namespace

// Long on purpose: one pass over the journal feeding per-cascade state held
// in the enclosing scope (lambdas over it); splitting would pass it all.
Result<JournalCascades> ExtractCascades(Journal& journal, engine::Network network,
                                        const RiskTypeResolver& resolver,
                                        const CascadeExtractionOptions& o) {
  if (!resolver.names.count(o.risk_type)) {
    return Status::InvalidArgument("risk type '" + o.risk_type + "' is not configured");
  }
  if (!(o.step_seconds > 0) || !(o.gap_seconds > 0) || o.max_steps < 1) {
    return Status::InvalidArgument("cascade extraction: step and gap must be > 0, max_steps >= 1");
  }
  JournalCascades out;
  std::vector<Event> events;
  auto wanted = [&](const std::string& explicit_name, int hazard) {
    auto name = resolver.Resolve(explicit_name, hazard);
    return name.ok() && *name == o.risk_type;
  };
  const Status read =
      journal.ForEach(0, [&](std::uint64_t seq, const JournalEntry& entry) -> Status {
        ++out.journal_rows;
        riskd::v1::Envelope env;
        if (!env.ParseFromString(entry.payload)) {
          return Status::Corruption("journal seq " + std::to_string(seq) + ": not an Envelope");
        }
        Event e;
        e.seq = seq;
        e.event_id = env.event_id();
        e.time_ns = EventTimeNs(env, entry.received_unix_ns);
        switch (env.body_case()) {
          case riskd::v1::Envelope::kNetworkChange:
            if (ApplyNetworkChange(env.network_change(), &network).ok()) {
              ++out.network_changes;
            } else {
              ++out.network_changes_failed;
            }
            return Status::Ok();
          case riskd::v1::Envelope::kSupplierStatus: {
            const auto& s = env.supplier_status();
            if (!wanted(s.risk_type(), 0)) return Status::Ok();
            if (s.state() == riskd::v1::NODE_STATE_DISRUPTED) {
              e.kind = Event::Kind::kDisrupted;
              e.severity = s.severity() > 0 ? s.severity() : 1.0;
            } else if (s.state() == riskd::v1::NODE_STATE_RECOVERED ||
                       s.state() == riskd::v1::NODE_STATE_SUSCEPTIBLE) {
              e.kind = Event::Kind::kNormal;
            } else {
              return Status::Ok();
            }
            e.nodes.push_back(s.node_id());
            break;
          }
          case riskd::v1::Envelope::kDisruption: {
            const auto& d = env.disruption();
            if (!wanted(d.risk_type(), d.hazard())) return Status::Ok();
            e.kind = Event::Kind::kDisruption;
            e.severity = d.severity() > 0 ? std::min(1.0, d.severity()) : 1.0;
            e.nodes.assign(d.node_ids().begin(), d.node_ids().end());
            if (d.has_place()) {
              // Located as the daemon located it: on the network of that moment.
              if (!network.compacted()) network.Compact();
              for (engine::NodeIndex v : engine::NodesInPlace(network, ToPlace(d.place()))) {
                e.nodes.emplace_back(network.id(v));
              }
            }
            std::sort(e.nodes.begin(), e.nodes.end());
            e.nodes.erase(std::unique(e.nodes.begin(), e.nodes.end()), e.nodes.end());
            break;
          }
          default:
            return Status::Ok();
        }
        ++out.events_of_risk_type;
        events.push_back(std::move(e));
        return Status::Ok();
      });
  RISKD_RETURN_IF_ERROR(read);
  network.Compact();
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });

  const double step_ns = o.step_seconds * 1e9;
  const auto gap_ns = static_cast<std::int64_t>(o.gap_seconds * 1e9);
  const double window_ns = o.max_steps * step_ns;
  std::vector<CascadeBuilder> built;
  for (const Event& e : events) {
    bool joins = false;
    if (!built.empty()) {
      const CascadeBuilder& open = built.back();
      joins = e.time_ns - open.last_ns() <= gap_ns &&
              static_cast<double>(e.time_ns - open.start_ns()) <= window_ns;
    }
    if (!joins) {
      if (e.kind == Event::Kind::kNormal) {
        ++out.outside_cascades;
        continue;
      }
      built.emplace_back(e, step_ns);
    }
    built.back().Add(e);
  }
  for (const CascadeBuilder& b : built) {
    out.repeated_disruptions += b.repeated();
    engine::ObservedCascade cascade;
    CascadeOrigin origin;
    if (!b.Finish(network, &cascade, &origin, &out.unknown_nodes)) {
      ++out.dropped_cascades;
      continue;
    }
    out.cascades.push_back(std::move(cascade));
    out.origins.push_back(origin);
  }
  out.network = std::move(network);
  return out;
}

}  // namespace riskd::connectors
