// IncidentBook: incidents, not floods (docs/protocol.md, "Incidents"). It groups the
// events that disrupt nodes into incidents, keeps each incident's lifecycle
// and operator state, attributes the nodes at risk to incidents, ranks them
// by value at risk and decides which node alerts are pushed (the alert
// budget).
//
// Grouping (docs/protocol.md, "Incidents"). An applied event that disrupts
// nodes (a Trigger: a Disruption, or a node's own DISRUPTED report) of risk
// type r joins
//   1. the incident of the same feed event (same feed_event_id and risk
//      type), whatever its lifecycle, while it is retained; else
//   2. the oldest potential or confirmed incident of type r one of whose
//      sources it hits again (the same site reported twice, an aftershock
//      on the same plants); else
//   3. it opens a new incident, keyed by its journal sequence.
// Every node a trigger disrupts becomes a source of the incident. A node at
// risk belongs to the incident that owns the source its most likely cause
// path starts from (the first potential or confirmed incident to hit that
// source).
//
// Lifecycle. POTENTIAL while only place-based events (a hazard located near
// nodes) support it; CONFIRMED once a node reported itself disrupted or a
// Disruption named it; RESTORED when none of its sources is disrupted any
// longer, or an operator marks it restored; CLOSED once restored for
// close_after (event time), or when an operator marks it no-impact. A
// trigger of the same feed event re-opens an incident restored or closed
// because its sources recovered; operator verdicts stay (the event is
// absorbed). Everything here depends only on the sequence of events and
// actions and on the current projection, so replaying the journal rebuilds
// the same book.
//
// Alert budget. After each projection, Update() pushes a node alert under
// its incident when the node is on a watchlist (always), or ranks among the
// incident's alert_top_n by value at risk, or has a known tier of at most
// alert_max_tier, while fewer than max_alerts_per_incident non-watchlist
// alerts of the incident are open, when the alert opened in this projection
// or the incident grows (its value at risk went up since the previous
// projection; a round of the book alone compares with the previous round):
// a shrinking incident resolves alerts, it does not refill its ranks with
// alerts it passed over. A refinement (Update's `refinement`: the Monte
// Carlo check of a projection published first with DMP) keeps the growth
// and bulk-recovery verdicts of the projection it refines, and the next
// projection compares with the previous projection's estimate, not with
// the check's: the two estimates differ, and their difference read as
// growth refilled freed slots every other round (bench/README.md "Alerts
// per incident, again"). The projection a refinement keeps the verdicts of
// is the latest that changed its incident's figures (value at risk or
// sources disrupted moved), not a later one of another event: checks run
// when idle, maybe after such projections. A refinement of a non-growing
// projection pushes none by rank or tier (nor fresh ones); one of a growing
// projection pushes by rank or tier (fresh alerts included) up to the open
// pushed non-watchlist alerts its projection left (or alert_top_n if
// fewer; max_alerts_per_incident at most): it replaces alerts it resolved,
// adds no second top N, and leaves DMP's pushed alerts that Monte Carlo
// ranks lower pushed. A pushed alert stays with its incident until resolved;
// it is re-published only on a material change: a new level, a
// probability up by min_update_delta, an earlier ETA. When its incident is
// restored or closed, its pushed alerts are resolved in bulk: the
// incident's publication lists them, no alert message is sent per node; so
// are the alerts that resolve in a round where some of its sources came
// back (a bulk recovery). An incident is re-published when its lifecycle,
// level, top nodes, plans or operator state change, or a count or figure
// (events, sources, sources disrupted, expected disrupted, value at risk,
// nodes at risk) moved by min_change_fraction of the larger of its two
// values, or of its peak (for sources disrupted: of the sources hit), so
// that a decline takes about 1/min_change_fraction publications.
//
// Not thread-safe; one owner (the daemon's engine thread). Pure: no I/O,
// clocks or logging.
#ifndef RISKD_ENGINE_INCIDENTS_H_
#define RISKD_ENGINE_INCIDENTS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/alert_policy.h"
#include "engine/emergency_plans.h"
#include "engine/engine.h"

namespace riskd::engine {

struct IncidentOptions {
  // Nodes listed in an incident's top nodes, 0..100.
  int top_nodes = 10;
  // Pushed: the top N alerts of an incident by value at risk.
  int alert_top_n = 20;
  // Pushed: alerts of nodes with a known tier <= this; -1: none by tier.
  int alert_max_tier = 1;
  // Most open pushed alerts per incident, watchlisted ones aside.
  int max_alerts_per_incident = 50;
  // A restored incident closes this long after it was restored (ns of
  // event time).
  std::int64_t close_after_ns = 86'400'000'000'000;
  // Restored incidents waiting for close_after: beyond this many, the one
  // restored longest ago closes at once. With retain_closed this bounds
  // what a long run of short disruptions (each opening, then restoring, its
  // own incident) keeps in memory, whatever close_after is. 0..100000.
  int retain_restored = 1000;
  // Closed incidents kept (oldest forgotten first).
  int retain_closed = 1000;
  // Expected disrupted, value at risk or nodes at risk moving by this
  // fraction of the larger value is a material change.
  double min_change_fraction = 0.1;
  // A pushed alert whose probability moved this much is re-published
  // (alert_policy.min_update_delta).
  double min_update_delta = 0.05;
  // Ids listed per incident (events, sources); operator history kept.
  // Also what an incident keeps of its events (Incident::events): the first
  // max_listed, and later ones only as a source's trigger events. Raising
  // it does not bring back the events an incident dropped before
  // (docs/configuration.md, "Incidents").
  int max_listed = 100;
  int max_history = 50;
};

Status ValidateIncidentOptions(const IncidentOptions& options);

enum class TriggerKind : std::uint8_t {
  kPlace = 1,   // a Disruption located by a place only: potential
  kNamed = 2,   // a Disruption naming nodes: confirming
  kStatus = 3,  // a node's own DISRUPTED report: confirming
};

// An applied event that disrupted nodes.
struct Trigger {
  std::string event_id;
  std::uint64_t seq = 0;     // journal sequence
  std::int64_t time_ns = 0;  // event time (the daemon's EventTimeNs)
  int risk_type = 0;
  TriggerKind kind = TriggerKind::kPlace;
  int hazard = 0;  // the caller's hazard code (riskd.v1.Hazard); 0: none
  std::string title;
  std::string feed_event_id;     // empty: none
  std::vector<NodeIndex> nodes;  // the nodes it disrupted
};

enum class IncidentLifecycle : std::uint8_t {
  kPotential = 1,
  kConfirmed = 2,
  kRestored = 3,
  kClosed = 4,
};
enum class IncidentResolution : std::uint8_t {
  kNone = 0,
  kSourcesRecovered = 1,
  kOperatorRestored = 2,
  kNoImpact = 3,
};
std::string_view IncidentLifecycleName(IncidentLifecycle lifecycle);

enum class OperatorActionKind : std::uint8_t {
  kAcknowledge = 1,
  kAssign = 2,
  kOverrideLevel = 3,
  kMarkNoImpact = 4,
  kMarkRestored = 5,
};

// A journaled operator action.
struct OperatorAction {
  std::string event_id;
  std::uint64_t seq = 0;
  std::int64_t time_ns = 0;  // event time (the daemon's EventTimeNs)
  OperatorActionKind kind = OperatorActionKind::kAcknowledge;
  std::string incident_id;
  std::string operator_name;
  std::string authenticated_client;
  std::string assignee;             // kAssign
  std::optional<AlertLevel> level;  // kOverrideLevel; nullopt clears
  std::string note;
};

struct IncidentEvent {
  std::string event_id;
  std::uint64_t seq = 0;
};

// A node an incident puts at risk, as of the latest Update(). 32 bytes (the
// integers side by side): every incident keeps top_nodes of them.
struct IncidentNode {
  NodeIndex node = kNoNode;
  int eta = -1;
  double probability = 0;
  double value_at_risk = 0;
  AlertLevel level = AlertLevel::kNone;
  bool pushed = false;
};
static_assert(sizeof(IncidentNode) <= 32);

// What a publication compares against to decide whether a change is
// material.
struct IncidentDigest {
  IncidentLifecycle lifecycle = IncidentLifecycle::kPotential;
  AlertLevel level = AlertLevel::kNone;
  AlertLevel computed_level = AlertLevel::kNone;
  std::uint64_t events = 0;  // Incident::event_count
  std::size_t sources = 0;
  int sources_disrupted = 0;
  std::uint32_t operator_version = 0;
  std::vector<NodeIndex> top;
  std::vector<std::size_t> plans;
  double expected_disrupted = 0;
  double value_at_risk = 0;
  int nodes_at_risk = 0;
  int alerts_resolved = 0;
};

namespace detail {
// A std::unique_ptr copied deeply, so that the Incident holding it stays a
// copyable value: its out-of-line parts (operator state, published digest).
template <class T>
struct DeepCopied {
  std::unique_ptr<T> value;
  DeepCopied() = default;
  DeepCopied(const DeepCopied& other)
      : value(other.value ? std::make_unique<T>(*other.value) : nullptr) {}
  DeepCopied(DeepCopied&&) noexcept = default;
  DeepCopied& operator=(const DeepCopied& other) {
    if (this != &other) *this = DeepCopied(other);
    return *this;
  }
  DeepCopied& operator=(DeepCopied&&) noexcept = default;
  explicit operator bool() const { return value != nullptr; }
  T& operator*() { return *value; }
  const T& operator*() const { return *value; }
};
}  // namespace detail

// An incident's digest as last published, held out of line: most of the
// incidents held at the daemon's peak under load were opened by the round
// being projected and are not published yet, and inline (as a
// std::optional of 112 bytes) it cost each of them 104 bytes more than
// this pointer (bench/README.md,
// "`loadmem` branch"). Used as that optional was: tested, dereferenced,
// assigned a digest.
class PublishedDigest {
 public:
  PublishedDigest& operator=(IncidentDigest digest) {
    if (digest_) {
      *digest_ = std::move(digest);
    } else {
      digest_.value = std::make_unique<IncidentDigest>(std::move(digest));
    }
    return *this;
  }
  explicit operator bool() const { return static_cast<bool>(digest_); }
  const IncidentDigest& operator*() const { return *digest_; }
  const IncidentDigest* operator->() const { return digest_.value.get(); }

 private:
  detail::DeepCopied<IncidentDigest> digest_;
};

// An incident's operator state: out of line (Incident::op()), since most
// incidents never see an operator and it is ~100 bytes inline.
struct IncidentOperatorState {
  bool acknowledged = false;
  std::string acknowledged_by;
  std::int64_t acknowledged_at_ns = 0;
  std::string assignee;
  std::optional<AlertLevel> level_override;
  // Latest max_history, oldest first. A vector: an empty std::deque
  // allocates ~600 bytes.
  std::vector<OperatorAction> history;

  // No operator has acted: nothing to keep out of line.
  bool empty() const {
    return !acknowledged && acknowledged_by.empty() && acknowledged_at_ns == 0 &&
           assignee.empty() && !level_override && history.empty();
  }
};

// Fields are ordered by size (no padding between the small ones): tens of
// thousands of incidents are held under load (bench/README.md, "Where the
// daemon's memory goes").
struct Incident {
  std::uint64_t key = 0;  // journal sequence of the opening event
  std::string id;         // "<risk_type>/<key>"
  std::string title;
  // The grouped events kept, oldest first: the first max_listed (the ids
  // published), then only those that source_events names (a source's first
  // 8). Not every event: an incident a stream of reports keeps open for
  // weeks grouped millions, ~50 bytes each in memory and in every
  // checkpoint, of which nothing read more (event_count counts them all).
  std::vector<IncidentEvent> events;
  std::vector<std::string> feed_event_ids;
  std::vector<NodeIndex> sources;  // sorted
  // (source, index into events) of the events that hit each source, at
  // most 8 per source, sorted by source then oldest first (EventsOf()). Flat
  // pairs: a std::map of lists cost ~100 bytes more per incident, and most
  // incidents have one source (thousands under load).
  std::vector<std::pair<NodeIndex, std::uint32_t>> source_events;
  std::int64_t opened_at_ns = 0;
  std::int64_t restored_at_ns = 0;  // 0: not restored
  std::int64_t closed_at_ns = 0;    // 0: not closed
  std::uint64_t last_seq = 0;       // last event or action included
  std::uint64_t event_count = 0;    // every grouped event, kept or not
  int risk_type = 0;
  int hazard = 0;
  int sources_disrupted = 0;
  std::uint32_t operator_version = 0;  // operator actions applied
  IncidentLifecycle lifecycle = IncidentLifecycle::kPotential;
  IncidentResolution resolution = IncidentResolution::kNone;
  bool confirmed = false;
  // The book's own mark: changed since published, maybe materially (in its
  // list for Due()). A byte of padding here; a std::set of keys beside the
  // book cost a 48-byte node per incident changed since published, i.e.
  // every incident a round under load opens (bench/README.md, "`loadmem2`
  // branch").
  bool touched = false;

  // As of the latest Update() of its risk type.
  AlertLevel computed_level = AlertLevel::kNone;
  bool steady = false;  // the next Update() pushes nothing new by rank or tier
  // What the latest projection round (not a refinement) that changed its
  // figures (value at risk or sources disrupted) decided, which the
  // refinements of that projection keep (IncidentBook::Update), whatever
  // later projections of other events left it as it was: it grew (ranks
  // and tiers may push), some of its sites came back (a bulk recovery).
  bool grew = false;
  bool recovering = false;
  // Its open pushed non-watchlist alerts after that round: its refinements
  // push by rank or tier only up to this, or alert_top_n if that is more
  // (they replace, not add).
  int open_after_projection = 0;
  int nodes_at_risk = 0;  // nodes (sources included) at warning_raise or above
  int alerts_pushed = 0;
  int sources_disrupted_before = 0;  // at the previous Update()
  double expected_disrupted = 0;
  double disrupted_p05 = 0;
  double disrupted_p95 = 0;
  double value_at_risk = 0;
  double previous_value_at_risk = 0;  // before the latest Update()
  // How much the refinements since the latest projection round that changed
  // its figures moved value_at_risk (it keeps adding up through projections
  // that leave them as they were): the Monte Carlo replacing DMP's estimate
  // of the same state, not a change of the state. The next projection round measures
  // growth from value_at_risk less this shift, so that it compares a
  // projection with a projection (DMP with DMP) rather than with the check.
  double refined_shift = 0;
  // The largest figures so far (material changes are fractions of them).
  double peak_expected_disrupted = 0;
  double peak_value_at_risk = 0;
  double peak_nodes_at_risk = 0;
  std::vector<IncidentNode> top;            // by value at risk, not sources
  std::vector<NodeIndex> sources_by_value;  // first max_listed, by value at risk
  std::vector<PlanInstance> plans;
  // Pushed alerts resolved in bulk since published (node, raised journal sequence).
  std::vector<std::pair<NodeIndex, std::uint64_t>> resolved_alerts;

  PublishedDigest published;  // as last published; empty before

  // The indices into events of the events that hit `source`, oldest first.
  std::vector<std::uint32_t> EventsOf(NodeIndex source) const;
  // Operator state (a shared empty one when no operator acted).
  const IncidentOperatorState& op() const { return operator_ ? *operator_ : kNoOperator; }
  IncidentOperatorState& mutable_op() {
    if (!operator_) operator_.value = std::make_unique<IncidentOperatorState>();
    return *operator_;
  }

  bool active() const {
    return lifecycle == IncidentLifecycle::kPotential || lifecycle == IncidentLifecycle::kConfirmed;
  }
  AlertLevel level() const { return op().level_override.value_or(computed_level); }

 private:
  using OperatorPtr = detail::DeepCopied<IncidentOperatorState>;
  static const IncidentOperatorState kNoOperator;
  OperatorPtr operator_;
};

// A pushed alert's change, for publication.
struct AlertPush {
  NodeIndex node = kNoNode;
  AlertLifecycle lifecycle = AlertLifecycle::kRaised;
  AlertLevel level = AlertLevel::kNone;
  double probability = 0;
  int eta = -1;
  std::uint64_t raised_journal_seq = 0;
  std::uint64_t incident = 0;  // key; 0: no incident
  double value_at_risk = 0;
};

struct IncidentUpdate {
  // Pushed alert changes, by node.
  std::vector<AlertPush> alerts;
  // Pushed alerts resolved with their incident (restored or closed): to be
  // recorded as resolved, not published.
  std::vector<AlertPush> resolved_in_bulk;
};

// What a replay of the journal builds the book from, as plain data, for
// the daemon's checkpoints (connectors/store/checkpoint_store.h): every
// incident's event-derived fields (grouping, sources, lifecycle, times,
// operator state and history) and the book's indexes. Figures an Update()
// computes from a projection (expected disrupted, top nodes, plans, pushed
// alerts, the published digest) are left out: replay does not compute them
// either (no projection runs during replay), the daemon recomputes them
// after start-up and re-opens pushed alerts from storage. So a book
// restored from a checkpoint equals the book a replay up to the same
// journal row builds (incidents_test.cc).
struct IncidentBookCheckpoint {
  std::int64_t now_ns = 0;
  // By key; only the event-derived fields are meaningful.
  std::vector<Incident> incidents;
  struct Source {
    NodeIndex node = kNoNode;
    bool disrupted = false;
    std::vector<std::uint64_t> incidents;  // keys listing it as a source
  };
  struct RiskTypeInputs {
    std::vector<Source> sources;                                     // by node
    std::vector<std::pair<NodeIndex, std::uint64_t>> owner;          // by node
    std::vector<std::pair<std::string, std::uint64_t>> feed_events;  // by id
  };
  std::vector<RiskTypeInputs> risk_types;                        // the book's, by index
  std::vector<std::pair<std::int64_t, std::uint64_t>> restored;  // restored at, key
  std::vector<std::uint64_t> closed;                             // in closing order
};

// The same, read in place: what a checkpoint encodes, without copying a
// book whose incidents listed every grouped event (a checkpoint's deep copy
// of them was most of the daemon's engine thread under a sustained ingest,
// bench/README.md "`ckptbook`"). Valid while the book (or checkpoint) it
// views is not changed; same order and contents as IncidentBookCheckpoint.
struct IncidentBookView {
  std::int64_t now_ns = 0;
  // By key; only the event-derived fields are read.
  std::vector<const Incident*> incidents;
  struct Source {
    NodeIndex node = kNoNode;
    bool disrupted = false;
    std::span<const std::uint64_t> incidents;
  };
  struct RiskTypeInputs {
    std::vector<Source> sources;                                          // by node
    std::vector<std::pair<NodeIndex, std::uint64_t>> owner;               // by node
    std::vector<std::pair<std::string_view, std::uint64_t>> feed_events;  // by id
  };
  std::vector<RiskTypeInputs> risk_types;
  std::vector<std::pair<std::int64_t, std::uint64_t>> restored;
  std::vector<std::uint64_t> closed;
};
// A view of an owned checkpoint (e.g. one decoded, or built by a test).
IncidentBookView ViewOf(const IncidentBookCheckpoint& checkpoint);

class IncidentBook {
 public:
  // risk_type_names: the engine's risk types, by index. REQUIRES: valid
  // options and plans.
  IncidentBook(IncidentOptions options, std::vector<std::string> risk_type_names,
               EmergencyPlans plans = {});

  const IncidentOptions& options() const { return options_; }
  const EmergencyPlans& plans() const { return plans_; }

  // Puts `node` on the watchlist `name` for `risk_type` (-1: every type).
  void Watch(int risk_type, NodeIndex node, const std::string& name);
  // Watchlist names of a node for a risk type (empty if none).
  std::span<const std::string> WatchlistsOf(int risk_type, NodeIndex node) const;

  // --- Events, in journal order.

  // Groups a trigger (an applied event that disrupted nodes) and returns
  // the incident it opened or joined, or nullptr when it disrupted no node.
  // By value: the incident keeps its event id, moved in when the caller
  // moves the trigger (the daemon's engine thread, once per event).
  const Incident* AddTrigger(Trigger trigger);
  // After every applied event: the nodes whose observed state it may have
  // changed for `risk_type` (-1: every type). Restores the incidents none
  // of whose sources is disrupted any more.
  void NodesChanged(const Engine& engine, int risk_type, std::span<const NodeIndex> nodes,
                    std::int64_t time_ns);
  // After the engine's clock moved (a tick): every source is checked, as
  // by NodesChanged, since a disruption of known duration ends with time.
  void SourcesMayHaveChanged(const Engine& engine, std::int64_t time_ns);
  // The event clock (the latest event time seen; monotone): closes the
  // incidents restored for close_after.
  void AdvanceTime(std::int64_t time_ns);
  // The latest event time seen (0 before any).
  std::int64_t now_ns() const { return now_ns_; }
  // What replay rebuilds the book from (see IncidentBookCheckpoint).
  // O(incidents + sources), copying every incident's events.
  IncidentBookCheckpoint Checkpoint() const;
  // The same in place (IncidentBookView): O(incidents + sources + feed
  // events), no incident or string copied. Invalidated by any change to
  // the book.
  IncidentBookView View() const;
  // Replaces the book's event-derived state with a checkpoint's, as a
  // replay up to it leaves it: every incident is due for an Update() and a
  // publication. Watchlists are kept. InvalidArgument (nothing changed)
  // when it does not fit: another number of risk types, a node index at or
  // beyond `node_slots`, an index naming an incident it does not hold.
  Status Restore(IncidentBookCheckpoint checkpoint, std::size_t node_slots);
  // An operator action. NotFound for an unknown incident. Actions that do
  // not apply to the incident's lifecycle (marking a closed incident
  // restored) are recorded in its history and change nothing else.
  Status Apply(const OperatorAction& action);

  // --- Projections.

  // After a projection of `risk_type` (or when Pending(risk_type)):
  // attributes the nodes at risk, refreshes every open incident of the
  // type, applies the alert budget and returns the pushed alert changes.
  // Incidents that changed materially are marked for publication.
  // `projected`: the type was re-projected since the last Update() (its
  // alert changes are new). `refinement`: what changed is a refinement
  // (Engine::Refine: the Monte Carlo check of a projection published
  // first with DMP, projection.defer_check), not a new projection: a
  // refinement re-estimates the same state, so it keeps the growth and
  // bulk-recovery decisions of the projection round it refines (per
  // incident, the latest projection round that changed its figures; its own
  // estimate is never compared for growth); it resolves or updates pushed
  // alerts as any round does, and pushes by rank, tier or as fresh only
  // when that projection grew, up to the open pushed non-watchlist alerts
  // the projection left, or alert_top_n if fewer (its ranks replace alerts
  // it resolved, they do not add a second top N to the projection's). Watchlisted alerts are pushed
  // as in any round.
  IncidentUpdate Update(const Engine& engine, int risk_type, bool projected = true,
                        bool refinement = false);
  // Whether incidents of the type changed through events, actions or time
  // since its last Update().
  bool Pending(int risk_type) const { return pending_[static_cast<std::size_t>(risk_type)]; }
  // Incidents to publish (changed materially since last published), by
  // key. Call MarkPublished() for each one published (which also forgets
  // the oldest closed incidents beyond retain_closed).
  std::vector<std::uint64_t> Due();
  void MarkPublished(std::uint64_t key);
  // During a replay of the journal, after each replayed event or action:
  // forgets the oldest closed incidents beyond retain_closed, as the live
  // daemon's publication round after that event did (MarkPublished). A
  // replay publishes nothing, so without this it kept every incident it
  // ever closed, and every source's list of incidents grew with each one
  // that hit it: AddTrigger and NodesChanged walk those lists, and a full
  // replay of a node reporting itself disrupted and back, over and over,
  // took time quadratic in the journal's length (bench/README.md,
  // "`replayfix`"). Live, a round may group several events and forget only
  // at its end; replay forgets after every event, as a round per event
  // does. That is not always the same book: an incident live still held
  // within its round (beyond retain_closed, its closing not yet published)
  // is gone for a later event of that round on replay, so a report of its
  // feed event opens a new incident there where live re-opened it, and an
  // action naming it is not_found (docs/operations.md; before, a replay
  // forgot nothing, the other way round). The forgotten ids and keys are
  // reported as by MarkPublished.
  void SettleReplayed() { Trim(/*replaying=*/true); }
  // The ids of the incidents forgotten (retain_closed) since the last call,
  // so that an owner keeping its own index of ids can drop them.
  std::vector<std::string> TakeForgottenIds() { return std::exchange(forgotten_ids_, {}); }
  // The same incidents' keys, kept apart (an owner may want either).
  std::vector<std::uint64_t> TakeForgottenKeys() { return std::exchange(forgotten_keys_, {}); }

  // --- Lookups.

  const Incident* Find(std::uint64_t key) const;
  const Incident* Find(std::string_view id) const;
  const std::map<std::uint64_t, Incident>& incidents() const { return incidents_; }
  // Every node (not a source) the incident puts at risk, by value at risk,
  // from the current projection. O(network).
  std::vector<IncidentNode> NodesOf(const Engine& engine, std::uint64_t key, std::size_t max_nodes);
  // The ids of the events that hit `source` in the incident owning it (at
  // most 8), or empty.
  std::vector<std::string> TriggerEventIds(int risk_type, NodeIndex source) const;
  // The incident that owns a source, 0 if none.
  std::uint64_t OwnerOf(int risk_type, NodeIndex source) const;
  // Open pushed alerts of a risk type, by node.
  struct PushedAlert {
    std::uint64_t incident = 0;
    AlertLevel level = AlertLevel::kNone;
    double probability = 0;
    int eta = -1;
    std::uint64_t raised_journal_seq = 0;
    bool watched = false;
  };
  const std::unordered_map<NodeIndex, PushedAlert>& pushed(int risk_type) const {
    return types_[static_cast<std::size_t>(risk_type)].pushed;
  }
  // After a restart, for an incident published before it: the next
  // Update() pushes no new alert by rank or tier (replay cannot tell
  // whether the incident was growing; the pushed alerts are restored from
  // storage, so what subscribers saw stays what they see).
  void HoldRanks(std::uint64_t key);
  // After a restart: an alert that was pushed (from persistent storage).
  // False (nothing kept) when its incident is gone or no longer open.
  bool RestorePushed(int risk_type, NodeIndex node, const std::string& incident_id,
                     const PushedAlert& alert);

 private:
  struct SourceEntry {
    bool disrupted = false;
    std::vector<std::uint64_t> incidents;  // listing it as a source
  };
  struct TypeState {
    std::unordered_map<NodeIndex, SourceEntry> sources;
    std::unordered_map<NodeIndex, std::uint64_t> owner;
    std::map<std::string, std::uint64_t> feed_events;  // feed event id -> key
    std::unordered_map<NodeIndex, PushedAlert> pushed;
    std::unordered_map<NodeIndex, std::vector<std::string>> watch;
    std::vector<std::uint64_t> live;  // incidents with nodes at risk at the last Update, sorted
  };
  // Per node slot: owning incident key (0 none). Built by Attribute() for
  // the call at hand and dropped after it (12 bytes per node slot, 1.2 MB
  // on 100k nodes, not kept while the daemon is idle).
  struct Attribution {
    std::vector<std::uint64_t> incident;
    std::vector<char> source;  // the node is a source of the projection
  };

  Incident* Mutable(std::uint64_t key);
  void SetLifecycle(Incident* incident, IncidentLifecycle lifecycle, IncidentResolution resolution,
                    std::int64_t time_ns);
  void Changed(Incident& incident) {
    pending_[static_cast<std::size_t>(incident.risk_type)] = 1;
    if (!incident.touched) {
      incident.touched = true;
      touched_.push_back(incident.key);
    }
  }
  // replaying: forgets without waiting for the closings to be published.
  void Trim(bool replaying = false);
  Attribution Attribute(const Engine& engine, int risk_type) const;
  IncidentDigest DigestOf(const Incident& incident) const;
  bool Material(const Incident& incident) const;
  void Forget(std::uint64_t key);
  const std::vector<double>& Values(const Network& network);

  IncidentOptions options_;
  std::vector<std::string> names_;
  EmergencyPlans plans_;
  std::map<std::uint64_t, Incident> incidents_;
  std::vector<TypeState> types_;
  std::vector<char> pending_;
  std::multimap<std::int64_t, std::uint64_t> restored_;  // restored at -> key
  std::deque<std::uint64_t> closed_;                     // in closing order
  std::vector<std::string> forgotten_ids_;               // since TakeForgottenIds()
  std::vector<std::uint64_t> forgotten_keys_;            // since TakeForgottenKeys()
  // Keys of the incidents marked touched, in the order marked; may also
  // hold keys no longer marked (published, forgotten) or twice (marked
  // again after published): Due() sorts, drops and dedupes them.
  std::vector<std::uint64_t> touched_;
  std::int64_t now_ns_ = 0;
  std::vector<double> values_;
  std::uint64_t values_version_ = ~std::uint64_t{0};
  std::size_t values_slots_ = 0;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_INCIDENTS_H_
