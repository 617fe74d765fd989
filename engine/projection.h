// Projector: the forward projection the engine publishes for one risk type,
// kept up to date incrementally (docs/model.md section 8).
//
// Regions. A DMP run from a set of sources touches some nodes (their
// messages are propagated) and reaches their out-neighbours; touched nodes
// plus those neighbours are the run's frontier. Runs from two source sets
// whose frontiers do not meet exchange no message, so DMP from their union
// equals the two runs side by side, and so does a Monte Carlo restricted to
// each frontier. The projector therefore keeps the sources partitioned into
// regions: the connected components (a touched node linked to each
// out-neighbour) of the joint DMP run, with pairwise disjoint frontiers.
//
// Incremental updates. A change (new or lifted disruption, recovery,
// immunization, node or edge added, removed or re-weighted, inventory
// changed) is reported as the set of nodes whose initial state, latency or
// in- or out-edges changed. Only regions whose frontier contains such a node
// are recomputed, together with any new sources; when the recomputed
// frontier meets another region, that region joins and the run is repeated.
// Every other region is left as is: the result equals a full recompute
// (tests check 1e-9), at a cost that follows the regions involved.
// With Choice::kDmp (one-way and two-way graphs alike), the projector also
// keeps the P_S trajectories of every touched node and updates only the
// nodes whose messages change (incremental_dmp.h), merging or re-splitting
// regions from the touched set; updates too big for it (more in-edges than
// a quarter of the graph's, at least incremental_min_edges) fall back to the
// region recompute above. Projection::incremental_dmp says which served.
//
// Method per region. DMP is exact on trees but overestimates on loops
// (shared suppliers form triangles), badly near the epidemic threshold. So
// each region is checked: a Monte Carlo of check_realizations runs on the
// region estimates DMP's root-mean-square error over the nodes at risk,
// corrected for the Monte Carlo's own sampling variance,
//   err^2 = mean[(dmp - mc)^2 - mc (1 - mc) / (K - 1)].
// If err <= max_dmp_error the region serves DMP, else the Monte Carlo is
// extended to serve_realizations and serves. The same realizations (common
// random numbers, fixed seed) give the 90% interval of the number
// disrupted, so everything published is a deterministic function of the
// state.
//
// Publish first, refine after (ProjectionOptions::defer_check). The check
// costs ~1000 Monte Carlo runs of a region, which on a big region is
// seconds: with defer_check, Full and Update publish DMP at once with the
// region marked unchecked (RegionSummary::checked, Projection::node_checked),
// and Refine() runs the pending checks later under a work budget. A region
// changed before its check is recomputed and stays pending; once checked,
// its values equal what the synchronous check serves.
#ifndef RISKD_ENGINE_PROJECTION_H_
#define RISKD_ENGINE_PROJECTION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/dmp.h"
#include "engine/incremental_dmp.h"
#include "engine/monte_carlo.h"
#include "engine/spectral.h"
#include "engine/state.h"
#include "engine/transmission.h"

namespace riskd::engine {

enum class ProjectionMethod : std::uint8_t {
  kNone = 0,  // nothing at risk
  kDmp = 1,
  kMonteCarlo = 2,
  kMixed = 3,  // some regions each (projection level only)
};
std::string_view ProjectionMethodName(ProjectionMethod method);

struct ProjectionOptions {
  enum class Choice {
    kAuto,        // DMP where the check accepts it, else Monte Carlo
    kDmp,         // DMP everywhere, unchecked, no interval
    kMonteCarlo,  // Monte Carlo everywhere
  };
  Choice method = Choice::kAuto;
  // Monte Carlo runs of the check (and of the interval), >= 2.
  int check_realizations = 1000;
  // Monte Carlo runs where Monte Carlo serves, >= check_realizations.
  int serve_realizations = 2000;
  // Largest accepted RMS error of DMP on the nodes at risk, in (0, 1).
  double max_dmp_error = 0.01;
  // Nodes count as at risk for the check when DMP or Monte Carlo gives them
  // at least this probability, in [0, 1).
  double min_check_risk = 0.01;
  // Seed of the Monte Carlo realizations.
  std::uint64_t seed = 0x7269736b64;  // "riskd"
  // Work budgets in out-edges examined per region; a region whose runs
  // exceed them gets fewer runs (never fewer than min_realizations).
  std::uint64_t max_check_work = 20'000'000;
  std::uint64_t max_serve_work = 50'000'000;
  int min_realizations = 50;
  // Publish first, refine after (Choice::kAuto only): Full and Update serve
  // DMP at once, unchecked, and Refine() runs the Monte Carlo checks later
  // (the daemon between batches, under a work budget). Once every region is
  // refined the values are those of a synchronous kAuto projection.
  bool defer_check = false;
  // Incremental DMP (Choice::kDmp) gives up on an update
  // whose nodes have more in-edges than a quarter of the graph's or this,
  // whichever is more (its scratch is about 8 bytes per such edge with the
  // projections' float messages, about 40 plus cavity rings on two-way
  // graphs; incremental_dmp.h lists its
  // other limits), and the regions involved are recomputed instead.
  std::uint64_t incremental_min_edges = 65536;
};

Status ValidateProjectionOptions(const ProjectionOptions& options);

struct RegionSummary {
  NodeIndex first_source = kNoNode;  // smallest source index: a stable name
  std::uint32_t sources = 0;
  std::uint32_t nodes = 0;  // frontier size
  ProjectionMethod method = ProjectionMethod::kNone;
  // Estimated RMS error of DMP on the region's nodes at risk (0 when
  // unchecked or nothing at risk).
  double dmp_error = 0;
  std::uint32_t check_realizations = 0;
  std::uint32_t served_realizations = 0;  // Monte Carlo only
  // The Monte Carlo check ran on the region's current state (always with
  // kAuto and kMonteCarlo, after Refine() with defer_check; never with kDmp).
  bool checked = false;
};

// What one Projector::Refine() did.
struct RefineOutcome {
  std::size_t regions_checked = 0;
  std::size_t served_monte_carlo = 0;  // of those, now served by Monte Carlo
  std::size_t regions_pending = 0;     // still unchecked (budget spent)
  // Largest change of a published risk: the refinement matters to
  // subscribers only when this is material.
  double max_risk_change = 0;
  // The interrupt stopped a check: that region (and those after it) stay
  // pending with their values untouched.
  bool interrupted = false;
};

struct Projection {
  int horizon = 0;
  // The frame's now (InitialState::now) the values are relative to.
  int now = 0;
  // Per node slot: P(disrupted within T), ETA (first t at which that passes
  // 0.5, else -1) and the likely infector (cause), from the serving method.
  std::vector<double> risk;
  std::vector<int> eta;
  std::vector<NodeIndex> parent;
  // Per node slot: the method that served it (kNone outside every region).
  std::vector<ProjectionMethod> node_method;
  // Per node slot: 1 when its region's values passed the Monte Carlo check
  // (or are Monte Carlo's), 0 when served unchecked.
  std::vector<std::uint8_t> node_checked;
  double expected_disrupted = 0;
  ProjectionMethod method = ProjectionMethod::kNone;
  // 90% interval of the number disrupted within T (sources included), from
  // interval_realizations Monte Carlo runs; both equal expected_disrupted
  // when no run was made (Choice::kDmp).
  double disrupted_p05 = 0;
  double disrupted_p95 = 0;
  std::uint32_t interval_realizations = 0;
  std::vector<RegionSummary> regions;  // by first_source
  // Regions published unchecked and waiting for Refine() (defer_check).
  std::size_t unchecked_regions = 0;
  // Filled in by the engine (see spectral.h).
  SpectralRadius spectral;
  // Work of the latest Full/Update.
  std::size_t recomputed_regions = 0;
  std::size_t recomputed_nodes = 0;
  std::uint64_t dmp_edge_updates = 0;
  std::uint64_t mc_work = 0;
  // Monte Carlo checks of the latest Full/Update/Refine served from an
  // earlier check of the same inputs (Projector::Check), without running
  // it again; their work still counts in mc_work.
  std::size_t reused_checks = 0;
  // The latest Update took the incremental DMP path (incremental_dmp.h):
  // recomputed_nodes then counts the nodes it recomputed, and
  // recomputed_regions the regions it created or changed.
  bool incremental_dmp = false;
  // The latest projection recomputed everything (Full, or an Update that
  // had to: a new frame).
  bool full = false;
};

// The most likely transmission path back to an observed source (see
// dmp.h): source first, empty if `node` has no risk.
std::vector<NodeIndex> CausePath(const Projection& projection, const InitialState& initial,
                                 NodeIndex node, std::size_t max_length = 64);

// How the projections' DMP stores its messages per edge (dmp.h,
// BasicDmpWorkspace): float, 8 bytes per edge instead of 16 (8 MB less on
// 100k nodes / 1M edges). Published risks move by at most ~1e-6 absolute,
// growing with in-degree x horizon (docs/model.md, "Storage precision");
// calibration keeps double.
using ProjectionMessage = float;

// Scratch space, shared by the projectors of all risk types (one at a time).
struct ProjectionWorkspace {
  BasicDmpWorkspace<ProjectionMessage> dmp;
  MonteCarloWorkspace mc;
  // Asked by Full and Update once their DMP is done, before its regions
  // are split, checked and served: true frees the DMP workspace there, so
  // what the projection (and its caller) builds next does not stack on it.
  // Unset: kept. The bytes freed that way wait in released_bytes for the
  // next Release().
  std::function<bool()> release_dmp_after_run;
  std::size_t released_bytes = 0;
  // Frees the DMP workspace and returns the bytes freed, with those freed
  // after a run since the last call (the Monte Carlo's, ~12 bytes per node
  // of the largest region checked, is prepared by every check and kept,
  // with defer_check until the next Full or Update that runs DMP frees it
  // before its run). Every Full, Update and Refine prepares what it uses,
  // so a release between calls (or after a run) changes no result.
  std::size_t Release() { return dmp.Release() + std::exchange(released_bytes, 0); }
};

class Projector {
 public:
  Projector(DmpOptions dmp, ProjectionOptions options);

  // Recomputes everything.
  void Full(const TransmissionGraph& graph, const InitialState& initial,
            ProjectionWorkspace* workspace);
  // Recomputes what `changed` can affect (everything when initial.now
  // differs from the projection's). REQUIRES: Full() ran before; graph and
  // initial reflect every change since the last call, and each node whose
  // initial state (start, end, fixed included), latency, or in- or
  // out-edges (or their weights) changed since then is in `changed`; the
  // frame's first step is the same absolute step as before (the engine
  // calls Full() when it moves).
  void Update(const TransmissionGraph& graph, const InitialState& initial,
              std::span<const NodeIndex> changed, ProjectionWorkspace* workspace);

  // Runs the Monte Carlo check of regions left unchecked (defer_check), the
  // smallest first source first, until at least one is done and the Monte
  // Carlo work exceeds max_work; each serves Monte Carlo where DMP is off,
  // exactly as a synchronous check would. With `interrupt` (monte_carlo.h),
  // a check it stops before its last realization is abandoned: the region
  // stays pending, untouched, and its next check starts over (the same
  // realizations, so the same result), so the caller's events never wait
  // for a whole check. REQUIRES: graph and initial are those of the latest
  // Full/Update (the engine refines between batches).
  RefineOutcome Refine(const TransmissionGraph& graph, const InitialState& initial,
                       std::uint64_t max_work, ProjectionWorkspace* workspace,
                       const InterruptRequested& interrupt = nullptr);

  const Projection& projection() const { return projection_; }
  Projection& mutable_projection() { return projection_; }
  // The region whose frontier holds `node` (an id valid until the next
  // Full or Update), or -1 outside every region.
  std::int32_t RegionOf(NodeIndex node) const {
    return node < region_of_.size() ? region_of_[node] : -1;
  }
  // The number disrupted within T in each of the region's check
  // realizations (common random numbers: realization k of every region is
  // one joint outcome); empty when the region was not checked.
  std::span<const std::uint32_t> RegionSizes(std::int32_t region) const {
    if (region < 0 || static_cast<std::size_t>(region) >= regions_.size()) return {};
    return regions_[static_cast<std::size_t>(region)].sizes;
  }
  // Memory held for incremental DMP updates (trajectories, work order).
  std::size_t IncrementalMemoryBytes() const { return incremental_.MemoryBytes(); }
  // Memory held by the kept Monte Carlo checks (at most kCheckMemoBytes,
  // per projector: one per risk type).
  std::size_t KeptCheckBytes() const { return check_memo_bytes_; }
  static constexpr std::size_t kCheckMemoBytes = std::size_t{4} << 20;

 private:
  struct Region {
    bool alive = false;
    std::vector<NodeIndex> sources;  // ascending
    std::vector<NodeIndex> nodes;    // frontier
    RegionSummary summary;
    std::vector<std::uint32_t> sizes;  // per check realization
    bool pending_check = false;        // served unchecked, for Refine()
  };

  void Prepare(std::size_t node_count);
  // Zeroes the work counters of the latest Full/Update/Refine.
  void ResetWork();
  // Whether this projector keeps incremental DMP state (Choice::kDmp), on
  // any graph.
  bool KeepsTrajectories() const;
  void Drop(std::int32_t region);
  // Drop without touching the published values or region_of_.
  void Forget(std::int32_t region);
  std::int32_t NewRegion();
  void Summarize(Region* region) const;
  void Recompute(const TransmissionGraph& graph, const InitialState& initial,
                 std::vector<NodeIndex> sources, ProjectionWorkspace* workspace,
                 bool record = false);
  // The incremental DMP path (everything but Publish); false when the
  // update was too big for it (nothing changed).
  bool UpdateIncremental(const TransmissionGraph& graph, const InitialState& initial,
                         std::span<const NodeIndex> changed);
  // Region bookkeeping after an incremental update: merges only, or the
  // involved regions re-split from the touched nodes.
  bool MergeRegions(const TransmissionGraph& graph, const InitialState& initial);
  void RebuildRegions(const TransmissionGraph& graph, const InitialState& initial);
  // The DMP risk of a region's entry x (region->nodes[x]).
  using DmpRiskOf = std::function<double(std::size_t x)>;
  // Takes the Monte Carlo's values of entry x where it serves.
  using ServeEntry = std::function<void(std::size_t x, double risk, int eta, NodeIndex parent)>;
  // The Monte Carlo check of a region whose DMP risks dmp_risk gives; sets
  // sizes and summary, and where Monte Carlo serves hands every entry's
  // values to serve (after the last realization: an interrupted check
  // serves nothing). The callers read and write their values in place
  // (Refine: the projection's own), not through copies of the region's.
  // False when `interrupt` stopped it: then only mc_work changed.
  bool Check(const TransmissionGraph& graph, const InitialState& initial, Region* region,
             const DmpRiskOf& dmp_risk, const ServeEntry& serve, ProjectionWorkspace* workspace,
             const InterruptRequested& interrupt = nullptr);
  void AddSizes(const Region& region);
  // A region of the latest DMP run, its nodes and sources set and its DMP
  // values in the projection already: checks it (unless deferred) and
  // keeps it.
  void Serve(const TransmissionGraph& graph, const InitialState& initial, Region region,
             ProjectionWorkspace* workspace);
  void Publish();

  DmpOptions dmp_;
  ProjectionOptions options_;
  Projection projection_;
  std::vector<Region> regions_;
  std::vector<std::int32_t> free_regions_;
  std::vector<std::int32_t> region_of_;  // per node: region whose frontier holds it, or -1
  // With Choice::kDmp: the trajectories of
  // every region's touched nodes (incremental_ready_ when they are all
  // there), and the scratch of an incremental update.
  BasicIncrementalDmp<ProjectionMessage> incremental_;
  bool incremental_ready_ = false;
  std::vector<IncrementalDmpNode> recomputed_;
  // Per node: index in scratch lists, or ~0 (Choice::kDmp only).
  std::vector<std::uint32_t> position_;
  // Sum over regions of their sizes, per check realization, and how many
  // regions have each number of realizations (the interval uses the
  // realizations every region has).
  std::vector<std::uint64_t> total_sizes_;
  std::map<std::uint32_t, int> realization_counts_;

  // Completed Monte Carlo checks, kept to be served again. A check is a
  // pure function of its inputs: the graph (its generation), the frame's
  // now, the region's entries and, per entry, its initial state (p_s, p_i,
  // p_r, start, end, fixed) and DMP risk (the options and seed are this
  // projector's). Every realization's random numbers are keyed by the
  // realization and nodes (rng.h), so a second check of the same inputs
  // draws the same numbers and ends with the same tally: serving the kept
  // outcome gives the same values, summary, sizes and work. Under a steady
  // load of events that leave a region's state as it was (a node reporting
  // the state it is in), every round's projection leaves the region
  // unchecked and the check between rounds was most of the engine thread's
  // time (bench/README.md, "`enginecpu` branch").
  struct CheckInput {
    double p_s = 0, p_i = 0, p_r = 0, dmp_risk = 0;
    std::int32_t start = 0, end = 0;
    bool fixed = false;
    bool operator==(const CheckInput&) const = default;
  };
  struct CheckMemo {
    std::uint64_t graph_generation = 0;
    int now = 0;
    std::vector<NodeIndex> nodes;
    std::vector<CheckInput> inputs;  // per entry
    // The outcome.
    std::vector<std::uint32_t> sizes;
    std::uint32_t check_realizations = 0;
    std::uint32_t served_realizations = 0;
    double dmp_error = 0;
    bool serve_mc = false;
    std::uint64_t work = 0;
    // Per entry, where Monte Carlo serves: the values served.
    std::vector<double> risk;
    std::vector<int> eta;
    std::vector<NodeIndex> parent;
    std::uint64_t kept_order = 0;  // when kept (the oldest go first)
    std::size_t Bytes() const;
    // Bytes() of a memo of that many entries and realizations, as built
    // (exact sizes, no spare capacity).
    static std::size_t BytesFor(std::size_t entries, std::size_t realizations, bool serve_mc);
  };
  // The kept checks hold at most kCheckMemoBytes together (the oldest go
  // first; a check bigger than that is not kept): ~52 bytes per region
  // entry (~68 where Monte Carlo serves) and 4 per realization, so a
  // region of ~60k nodes, or ~1,000 small regions of 1,000 realizations.
  CheckInput InputOf(const InitialState& initial, NodeIndex node, double dmp_risk) const;
  // The kept check of exactly these inputs, or nullptr.
  const CheckMemo* FindCheck(const TransmissionGraph& graph, const InitialState& initial,
                             const Region& region, const DmpRiskOf& dmp_risk) const;
  void KeepCheck(NodeIndex first_source, CheckMemo memo);
  // By the region's first source (its stable name): one check per region,
  // the latest.
  std::map<NodeIndex, CheckMemo> check_memos_;
  std::size_t check_memo_bytes_ = 0;
  std::uint64_t check_memo_order_ = 0;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_PROJECTION_H_
