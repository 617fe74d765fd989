// Engine: the pure core of riskd. It owns the network, the observed state of
// every node per risk type, and the latest projection and open alerts per
// risk type. The daemon feeds it events (already validated for syntax) and
// calls Project() after each batch; everything here is deterministic and free
// of I/O, clocks, logging and globals. Not thread-safe: one thread drives it.
//
// Time is an input (docs/model.md section 3, "Time"). The engine keeps a
// model clock now() in steps of dt, moved forward only by AdvanceClock (the
// daemon's ticks, or a test's). Reports (statuses, disruptions) carry their
// event step and are placed there, whatever order they arrive in; the state
// is a function of the reports and of now(), so replaying them later gives
// what receiving them live gave. Projections start from the sources' onset
// steps, risk and ETA are relative to now, sources of known duration
// recover at its end, and reports older than the history window are
// history only.
//
// Projections are incremental (engine/projection.h): every event records the
// nodes it touched, and Project() recomputes only the regions those nodes
// can affect. Vulnerability (omega, sigma, rho) depends on the whole network
// (eigenvector centrality), so it is a snapshot: network changes update the
// dependency shares w~ at once but keep sigma and rho of existing nodes (new
// nodes get the typical node's 1) until vulnerability_refresh_changes network changes
// (or a fraction of the edges, whichever is more) have accumulated; the
// refresh then recomputes every projection. The spectral radius (the
// supercritical check, a global power iteration) belongs to the same
// snapshot after network changes. Network changes themselves cost
// O(degree): the CSR is rebuilt once per Project(), not per change, and each
// risk type's transmission graph is updated there, copying the rows the
// changes did not touch (UpdateTransmissionGraph) instead of rebuilding.
#ifndef RISKD_ENGINE_ENGINE_H_
#define RISKD_ENGINE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/alert_policy.h"
#include "engine/dmp.h"
#include "engine/engine_checkpoint.h"
#include "engine/geo.h"
#include "engine/network.h"
#include "engine/observation_table.h"
#include "engine/projection.h"
#include "engine/reports.h"
#include "engine/risk_type.h"
#include "engine/spectral.h"
#include "engine/state.h"
#include "engine/transmission.h"
#include "engine/vulnerability.h"

namespace riskd::engine {

struct ClockOptions {
  // Reports whose event step is before now - history_window_steps are
  // history only: they no longer enter projections (a disruption of known
  // duration still running then counts from there). It also bounds how far
  // back a projection starts, so its cost: at most (window + T) steps.
  // >= 1.
  int history_window_steps = 30;
};

struct EngineOptions {
  // At least one; names unique.
  std::vector<RiskType> risk_types{RiskType{}};
  VulnerabilityOptions vulnerability;
  // Projection horizon T (steps) and DMP tolerance.
  DmpOptions dmp;
  // Method choice, Monte Carlo check and serving (projection.h).
  ProjectionOptions projection;
  AlertPolicyOptions alerts;
  SpectralOptions spectral;
  // Length of a step in days (dt), > 0: inventory cover of c days delays
  // onset by ceil(c / step_days) steps.
  double step_days = 1.0;
  // Network changes after which vulnerability (and the spectral radius) is
  // recomputed (a global re-projection): the larger of
  // vulnerability_refresh_changes and vulnerability_refresh_edge_fraction
  // times the network's edges, so a big network's refreshes stay rare when
  // changes stream in at rate (each costs O(edges) several times over);
  // 0 and 0 recompute after every change. >= 0; fraction in [0, 1].
  int vulnerability_refresh_changes = 256;
  double vulnerability_refresh_edge_fraction = 0.05;
  ClockOptions clock;
};

Status ValidateEngineOptions(const EngineOptions& options);

// Everything the engine knows about one risk type: a read-only view for
// callers (Engine::risk_state); only the engine changes it. Valid until the
// engine's next non-const call.
class RiskTypeState {
 public:
  // The reports of a node that has any in the window, in event-time order,
  // and what they say.
  struct NodeReports {
    std::vector<Report> reports;
    NodeHistory history;
  };

  const RiskType& type() const { return type_; }
  // Per node slot, at now (observed()[v], observed().size() as with a
  // vector; stored sparsely, see observation_table.h).
  const ObservationTable& observed() const { return observed_; }
  // Every node that has reports in the window.
  const std::unordered_map<NodeIndex, NodeReports>& reports() const { return reports_; }
  // Per node slot: 1 when protected (Engine::Immunize).
  const std::vector<std::uint8_t>& immunized() const { return immunized_; }
  // Whether Project() has run for this risk type (the values below are
  // empty before).
  bool projected() const { return projected_; }
  // The projection's spectral radius is older than its state: Project(...,
  // Spectral::kLater) left it for Engine::RefreshSpectral.
  bool spectral_stale() const { return projected_ && spectral_stale_; }
  // The latest projection's initial state.
  const InitialState& initial() const { return initial_; }
  // The latest projection (refined in place by Engine::Refine): the
  // projector's own, not a copy.
  const Projection& projection() const { return projector_->projection(); }
  const Projector& projector() const { return *projector_; }
  const AlertTracker& alerts() const { return alerts_; }
  // The alert changes of the latest projection (or refinement).
  const std::vector<AlertChange>& last_changes() const { return last_changes_; }

 private:
  friend class Engine;

  RiskType type_;
  ObservationTable observed_;
  std::unordered_map<NodeIndex, NodeReports> reports_;
  std::vector<std::uint8_t> immunized_;
  // The latest projection's frame: its step 0 and now, absolute.
  Step frame_start_ = kNoStep;
  Step frame_now_ = kNoStep;
  bool dirty_ = true;  // inputs changed since the last projection
  bool projected_ = false;
  InitialState initial_;
  AlertTracker alerts_;
  std::vector<AlertChange> last_changes_;
  std::shared_ptr<const TransmissionGraph> graph_;
  // Nodes whose arcs in may have changed since `graph_` was built: its rows
  // to rebuild (UpdateTransmissionGraph) at the next Graph().
  std::vector<NodeIndex> graph_rows_;
  // Incremental bookkeeping: nodes changed since the latest projection, or
  // a full recompute pending.
  std::vector<NodeIndex> changed_;
  bool needs_full_ = true;
  bool spectral_stale_ = true;
  // CyclicNodes(*graph_), kept for the spectral refreshes until the graph
  // changes (Engine::Graph empties it): a refresh then iterates on the
  // cycles only, and on an acyclic graph not at all (docs/model.md
  // section 9). 1 byte per node.
  std::vector<char> cyclic_;
  bool cyclic_valid_ = false;
  std::unique_ptr<Projector> projector_;  // holds the latest projection
};

class Engine {
 public:
  // Validates the options. The network is compacted.
  static Result<std::unique_ptr<Engine>> Create(EngineOptions options, Network network);
  // An engine equal to the one that took `checkpoint` with `network`
  // (engine_checkpoint.h), without recomputing vulnerability. Invalid when
  // the checkpoint does not fit the options (other risk types) or the
  // network (nodes that are not in it, snapshots of the wrong size), or
  // holds a report no event could have made.
  static Result<std::unique_ptr<Engine>> Restore(EngineOptions options, Network network,
                                                 EngineCheckpoint checkpoint);
  // What Restore() needs besides the network. O(nodes + reports).
  EngineCheckpoint Checkpoint() const;

  const EngineOptions& options() const { return options_; }
  // Lookups (Find, id, alive, FindEdge, counts) are always current; the
  // adjacency (CSR views) reflects network changes after the next Project()
  // or CompactNetwork(): changes are batched into one rebuild.
  const Network& network() const { return network_; }
  const Network& CompactNetwork() {
    network_.Compact();
    return network_;
  }
  int risk_type_count() const { return static_cast<int>(types_.size()); }
  std::optional<int> FindRiskType(std::string_view name) const;
  const RiskTypeState& risk_state(int risk_type) const { return types_[risk_type]; }

  // --- The model clock.
  Step now() const { return now_; }
  // Moves the clock forward to `now` (a tick). Earlier steps are rejected;
  // the same step changes nothing. Every projection is recomputed at the
  // next Project().
  Status AdvanceClock(Step now);

  // --- Events. Each either applies completely or returns an error and
  // changes nothing. `at` is the event's step (default: now); reports after
  // now count as at now until the clock reaches them. Every method taking a
  // risk type and nodes takes them in that order: risk type, node(s), what
  // happened, when.

  // A node's own status report. kImmunized is not a status (use Immunize).
  // severity in (0, 1] is used with kDisrupted. A disruption report during
  // a disruption keeps the larger severity (a report is evidence);
  // kRecovered or kSusceptible ends it.
  Status SetStatus(int risk_type, NodeIndex node, NodeState state, double severity,
                   std::optional<Step> at = std::nullopt);
  // Disrupts the nodes with the given severity in (0, 1] from step `at`,
  // for `duration` steps (0: not known, the model's recovery rate applies).
  // A node already disrupted keeps the larger severity.
  Status Disrupt(int risk_type, std::span<const NodeIndex> nodes, double severity,
                 std::optional<Step> at = std::nullopt, Step duration = 0);
  // Protects (or, with lift, unprotects) the nodes for one risk type, or for
  // all when risk_type is empty. An intervention is a state, not a report:
  // a protected node is protected throughout the projection.
  Status Immunize(std::optional<int> risk_type, std::span<const NodeIndex> nodes, bool lift);
  // Nodes inside a place.
  Result<std::vector<NodeIndex>> ResolvePlace(const Place& place) const;

  // Network changes (see Network for the contracts).
  Status AddNode(NodeAttributes attrs);
  Status UpdateNode(NodeAttributes attrs);
  Status RemoveNode(std::string_view id);
  Status AddEdge(std::string_view from, std::string_view to, Layer layer, double weight);
  Status RemoveEdge(std::string_view from, std::string_view to, Layer layer);
  Status SetEdgeWeight(std::string_view from, std::string_view to, Layer layer, double weight);

  // Re-projects every risk type whose inputs changed and updates its alerts.
  // `journal_seq` identifies this projection: the journal sequence of the
  // batch's last event (any number that grows from batch to batch does);
  // alerts it raises keep it as their raised_journal_seq. Returns the
  // indices of the risk types re-projected. The spectral radius (a power
  // iteration over every edge, recomputed when a node became removed or
  // came back) is part of the projection unless `spectral` is kLater: then
  // it waits for RefreshSpectral(), so a caller can publish the alerts,
  // which do not depend on it, first. `release_scratch`, when set, is asked
  // once the last re-projected risk type's DMP is done (before its regions
  // are checked and served and its alerts updated): true frees the scratch
  // there, as ReleaseScratch() would (whose next call counts its bytes), so
  // the rest of the projection and what the caller does next (publishing)
  // do not stack on it. It is not asked at all when that last type runs no
  // DMP: it takes the incremental path (method kDmp) or has no source to
  // start one from; the scratch is then kept (ReleaseScratch() frees it).
  // Results are the same either way.
  enum class Spectral { kNow, kLater };
  std::vector<int> Project(std::uint64_t journal_seq, Spectral spectral = Spectral::kNow,
                           const std::function<bool()>& release_scratch = nullptr);
  // Brings the spectral radius of `risk_type`'s projection up to date
  // (after Project(..., kLater)); false when it already was.
  bool RefreshSpectral(int risk_type);

  // Publish first, refine after (projection.defer_check): runs the Monte
  // Carlo checks that projections left pending (Projector::Refine), up to
  // about max_work out-edges examined over all risk types, and updates the
  // alerts of the risk types refined. Risk types with inputs changed since
  // their projection wait for the next Project(). `journal_seq` as in
  // Project(). `interrupt` (monte_carlo.h) may stop the slice within a
  // check: that check is abandoned, its region stays pending, and what was
  // checked before it is kept (Projector::Refine).
  struct Refinement {
    std::vector<int> risk_types;  // refined (their alerts updated)
    double max_risk_change = 0;   // largest change of a published risk
    std::size_t pending = 0;      // regions still unchecked, all types
    bool interrupted = false;     // the interrupt stopped a check
  };
  Refinement Refine(std::uint64_t journal_seq, std::uint64_t max_work,
                    const InterruptRequested& interrupt = nullptr);
  // Regions published unchecked, over every risk type.
  std::size_t UncheckedRegions() const;

  // Frees the projections' scratch (the DMP workspace: ~8 bytes per edge
  // with its float messages, ~20 on graphs with reverse edges, and ~78 per
  // node, kept between projections so that back-to-back ones do not
  // allocate it anew). A caller with nothing queued calls this before
  // other work (Refine, the planner), whose memory then does not stack on
  // it; the next Project() allocates it again, and its results are the same
  // as with the scratch kept (tests). Returns the bytes freed (0 when it was
  // already free).
  std::size_t ReleaseScratch();

  // Live reconfiguration (a daemon's SIGHUP). New alert thresholds, used
  // from the next projection, which re-projects every risk type. Invalid
  // thresholds change nothing.
  Status SetAlertPolicy(const AlertPolicyOptions& alerts);
  // New infection and recovery rates of a risk type: its transmission graph
  // is rebuilt and it is fully re-projected at the next Project(). Invalid
  // rates change nothing.
  Status SetRiskTypeRates(int risk_type, double alpha, double beta);

  // Re-opens an alert from persistent storage.
  void RestoreAlert(int risk_type, NodeIndex node, const OpenAlert& alert);
  // Gives a node its own alert thresholds for a risk type (a watchlist).
  // Validates them.
  Status SetNodeAlertPolicy(int risk_type, NodeIndex node, const AlertPolicyOptions& options);

  // Transmission graph of a risk type for the current network (cached).
  std::shared_ptr<const TransmissionGraph> Graph(int risk_type);

  // Recomputes vulnerability now; the next Project() re-projects everything.
  // Called at creation and after every vulnerability_refresh_changes
  // network changes, at the change itself rather than at the next
  // projection, so vulnerability depends only on the sequence of changes and
  // a journal replay reproduces it exactly.
  void RefreshVulnerability();
  // The vulnerability snapshot in use for a layer mask.
  const Vulnerability& VulnerabilityFor(LayerMask layers);

 private:
  // Without compute_vulnerability the snapshot is left empty (Restore).
  Engine(EngineOptions options, Network network, bool compute_vulnerability = true);
  // After a network change touching `nodes`; for an edge, its layer (risk
  // types on other layers are left alone).
  void NetworkChanged(std::span<const NodeIndex> nodes, std::optional<Layer> layer = std::nullopt);
  void MarkChanged(RiskTypeState& s, std::span<const NodeIndex> nodes);
  Status CheckNodes(std::span<const NodeIndex> nodes) const;
  Step WindowStart() const { return now_ - options_.clock.history_window_steps; }
  void AddReport(RiskTypeState& s, NodeIndex node, Report report);
  // Re-derives what a node's reports say now (pruning the ones out of the
  // window) into s.observed.
  void Reobserve(RiskTypeState& s, NodeIndex node);
  // Sets s.observed[node] from what its reports say now.
  void Observe(RiskTypeState& s, NodeIndex node, const NodeHistory& history);
  // The projection's initial state from the reports, into *out (rewritten
  // whole, its vectors' storage reused); its step 0 (absolute) into
  // *frame_start.
  void BuildInitial(const RiskTypeState& s, Step* frame_start, InitialState* out) const;
  // Updates the alerts from the projector's projection.
  void PublishProjection(RiskTypeState& s, std::uint64_t journal_seq);

  EngineOptions options_;
  Network network_;
  std::vector<RiskTypeState> types_;
  // The vulnerability snapshot, one entry per layer mask (risk types on the
  // same layers share it). Keyed on the mask only, not on a network
  // version: RefreshVulnerability() clears it, and until then entries are
  // only padded for nodes added since (docs/model.md section 2, "Snapshot").
  std::vector<std::pair<LayerMask, Vulnerability>> vulnerability_;
  int network_changes_since_refresh_ = 0;
  ProjectionWorkspace workspace_;
  // Graphs built or updated so far (TransmissionGraph::generation).
  std::uint64_t graph_generations_ = 0;
  Step now_ = 0;
  std::uint64_t report_order_ = 0;  // arrival order of reports
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_ENGINE_H_
