#include "engine/reports.h"

#include <algorithm>

namespace riskd::engine {
namespace {

// Whether a report before the window still counts (from the window start).
bool RunsInto(const Report& r, Step window_start) {
  return r.state == NodeState::kDisrupted && r.duration > 0 && r.at + r.duration > window_start;
}

}  // namespace

void ReduceReport(NodeHistory* history, Report r, Step now, Step window_start) {
  NodeHistory& h = *history;
  auto ongoing = [&](Step t) { return h.disrupted && (h.end == kNoStep || t < h.end); };
  auto end_episode = [&](Step t) {
    if (t <= h.onset) {
      // Recovered in the step it was hit: no time to pass anything on.
      h.disrupted = false;
      h.recovered_at = t;
    } else {
      h.end = t;
    }
  };
  if (r.at < window_start) {
    if (!RunsInto(r, window_start)) return;
    r.duration = r.at + r.duration - window_start;
    r.at = window_start;
  }
  r.at = std::min(r.at, now);
  switch (r.state) {
    case NodeState::kDisrupted:
      if (ongoing(r.at)) {
        h.severity = std::max(h.severity, r.severity);
        if (r.duration > 0) h.end = std::max(h.end, r.at + r.duration);  // kNoStep is the least
      } else {
        h = NodeHistory{};
        h.disrupted = true;
        h.onset = r.at;
        h.severity = r.severity;
        h.end = r.duration > 0 ? r.at + r.duration : kNoStep;
      }
      break;
    case NodeState::kRecovered:
      if (ongoing(r.at)) {
        end_episode(r.at);
      } else if (!h.disrupted && h.recovered_at == kNoStep) {
        h.recovered_at = r.at;
        h.normal_at = kNoStep;
      }
      break;
    case NodeState::kSusceptible:
      if (ongoing(r.at)) {
        end_episode(r.at);
      } else if (!h.disrupted && h.recovered_at == kNoStep) {
        h.normal_at = r.at;
      }
      break;
    case NodeState::kImmunized:
      break;  // an intervention, never a report
  }
}

NodeHistory ReduceReports(std::span<const Report> reports, Step now, Step window_start) {
  NodeHistory h;
  for (const Report& r : reports) ReduceReport(&h, r, now, window_start);
  return h;
}

bool IsPruned(const Report& r, Step window_start) {
  return r.at < window_start && !RunsInto(r, window_start);
}

void PruneReports(std::vector<Report>* reports, Step window_start) {
  std::erase_if(*reports, [&](const Report& r) { return IsPruned(r, window_start); });
}

void InsertReport(std::vector<Report>* reports, const Report& report) {
  const auto at = std::upper_bound(reports->begin(), reports->end(), report,
                                   [](const Report& a, const Report& b) {
                                     return a.at != b.at ? a.at < b.at : a.order < b.order;
                                   });
  reports->insert(at, report);
}

namespace {

bool Foldable(const Report& r, Step at) { return r.at == at && r.duration == 0; }
bool IsEnd(const Report& r) {
  return r.state == NodeState::kRecovered || r.state == NodeState::kSusceptible;
}

}  // namespace

void FoldSameStepTail(std::vector<Report>* reports) {
  auto& v = *reports;
  if (v.size() < 2) return;
  const Step at = v.back().at;
  const std::size_t n = v.size();
  Report& last = v[n - 1];
  Report& prev = v[n - 2];
  if (!Foldable(last, at) || !Foldable(prev, at)) return;
  if (last.state == NodeState::kDisrupted && prev.state == NodeState::kDisrupted) {
    prev.severity = std::max(prev.severity, last.severity);
    prev.order = last.order;
    v.pop_back();
  } else if (IsEnd(last) && IsEnd(prev)) {
    if (last.state == NodeState::kRecovered) prev.state = NodeState::kRecovered;
    prev.order = last.order;
    v.pop_back();
  } else if (last.state == NodeState::kDisrupted && n >= 5) {
    // D1 X1 D2 X2 D3 -> D1 X1 D3.
    const auto all_foldable =
        std::all_of(v.end() - 5, v.end(), [&](const Report& r) { return Foldable(r, at); });
    if (all_foldable && v[n - 5].state == NodeState::kDisrupted && IsEnd(v[n - 4]) &&
        v[n - 3].state == NodeState::kDisrupted && IsEnd(v[n - 2])) {
      v[n - 3] = v[n - 1];
      v.resize(n - 2);
    }
  }
}

Observation ObservationAt(const NodeHistory& h, Step now) {
  Observation o;
  if (h.disrupted) {
    if (h.end != kNoStep && h.end <= now) {
      o.state = NodeState::kRecovered;
      o.since = h.end;
    } else {
      o.state = NodeState::kDisrupted;
      o.severity = h.severity;
      o.since = h.onset;
      o.until = h.end;
    }
  } else if (h.recovered_at != kNoStep) {
    o.state = NodeState::kRecovered;
    o.since = h.recovered_at;
  }
  return o;
}

}  // namespace riskd::engine
