// EngineWorker: the daemon's engine thread. It takes journaled events from
// the ingest thread, applies them to the engine in batches (coalescing what
// arrived while it was busy), re-projects, persists and publishes alert
// changes and projection summaries, and answers queries after the events
// that preceded them (read-your-writes).
//
// Incidents: every applied event also feeds the incident book
// (engine/incidents.h) with its receipt time, and so does every journaled
// OperatorAction; after each round the worker publishes the incidents that
// changed materially (incident.<level>.<risk_type>) before the node alerts
// the budget pushes, records those alerts (and the ones resolved in bulk
// with their incident) in SQLite, from where snapshots read the latest
// published incidents back (those not recorded yet are kept until they are).
// Replay feeds the book the same way, so a restart rebuilds
// it from the journal (after a checkpoint: from the book it holds, as
// replay built it, and the journal's tail).
//
// Immunization plans: after a projection whose expected number disrupted
// moved materially since the last plan of its risk type (MaterialChange),
// a plan of planner.k targets becomes due; it is computed and published on
// immunization.<risk_type> once planner.min_interval has passed since the
// previous one, and only while no event is waiting, so a burst of events is
// never held up by planning (its cost is bounded by the planner's work
// budgets). PlanQuery is answered with a plan computed on the spot.
//
// Publish first, refine after (projection.defer_check, daemon/refinement.h):
// projections publish DMP at once, unchecked; between rounds, and slice
// after slice while no event waits, the worker runs the pending Monte Carlo
// checks (Engine::Refine) and publishes what they changed materially
// through the same path as a round. A slice started while no event waited
// gives way to the first event that arrives (the check under way is
// abandoned and redone later), so an event waits at most about one Monte
// Carlo realization for it. Queries are answered once the checks pending
// at their arrival are done (they see checked values).
#ifndef RISKD_DAEMON_ENGINE_WORKER_H_
#define RISKD_DAEMON_ENGINE_WORKER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "connectors/metrics/latency_histogram.h"
#include "connectors/store/checkpoint_store.h"
#include "connectors/store/state_store.h"
#include "connectors/zmq/publisher.h"
#include "daemon/announcement_deadline.h"
#include "daemon/footprint_tracker.h"
#include "daemon/incident_ids.h"
#include "daemon/log_text.h"
#include "daemon/refinement.h"
#include "daemon/risk_delta_tracker.h"
#include "daemon/settings.h"
#include "daemon/spectral_schedule.h"
#include "engine/engine.h"
#include "engine/immunization/planner.h"
#include "engine/incidents.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::daemon {

// Gauges by label set, replaced whole after each round (metrics thread
// reads a copy).
struct LabeledGauges {
  struct Entry {
    std::string name;
    std::string help;
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  mutable std::mutex mu;
  std::vector<Entry> entries;
};

struct EngineWorkerStats {
  std::atomic<std::uint64_t> events_applied{0};
  std::atomic<std::uint64_t> events_not_applied{0};
  std::atomic<std::uint64_t> projections{0};
  std::atomic<std::uint64_t> alerts_published{0};
  std::atomic<std::uint64_t> plans_published{0};
  // Plans abandoned because an event arrived (PublishDuePlans).
  std::atomic<std::uint64_t> plans_interrupted{0};
  std::atomic<std::uint64_t> last_applied_seq{0};
  std::atomic<std::uint64_t> incidents_published{0};
  // Wall time of each projection round (Engine::Project).
  connectors::LatencyHistogram projection;
  // Open incidents and alerts by level, expected disrupted per risk type.
  LabeledGauges gauges;
  // The newest publication's sequence, and the open alerts.
  std::atomic<std::uint64_t> publication_sequence{0};
  std::atomic<std::uint64_t> open_alerts{0};
  // Publications dropped because their sequence could not be reserved.
  std::atomic<std::uint64_t> publications_unsent{0};
  // Events applied and queries answered of those the ingest thread
  // forwarded (the other end of the queue it bounds in events).
  std::atomic<std::uint64_t> requests_done{0};
  // Journal sequence of the newest checkpoint written (0: none yet).
  std::atomic<std::uint64_t> checkpoint_seq{0};
  std::atomic<std::uint64_t> checkpoint_failures{0};
  // Publications not sent because the lease did not grant their epoch (a
  // standby's, or an instance's that lost its lease).
  std::atomic<std::uint64_t> publications_fenced{0};
  // Epochs adopted without announcing their open incidents: the state
  // store could not be read for AnnouncementDeadline's bound.
  std::atomic<std::uint64_t> announcements_without_incidents{0};
};

class EngineWorker {
 public:
  // `settings` must outlive the worker, or the next settings it is handed
  // (pipeline.h, ["R", settings]). `incident_ids` receives the id of every
  // incident opened (for the ingest thread's check of OperatorActions).
  EngineWorker(const DaemonSettings* settings, std::unique_ptr<engine::Engine> engine,
               std::unique_ptr<connectors::StateStore> store, IncidentIds* incident_ids);

  // Checkpoints go to `store` (daemon/checkpoints.h), with `fingerprint`.
  // The engine was restored from the checkpoint covering the journal up to
  // `restored_seq` (0: none) with this manual clock and the incident book
  // and footprints in `restored` (checked by RestoreFromCheckpoint): replay
  // continues after it. REQUIRES: before Replay().
  Status UseCheckpoints(std::unique_ptr<connectors::CheckpointStore> store, std::string fingerprint,
                        std::uint64_t restored_seq, std::optional<std::int64_t> manual_clock_ns,
                        std::optional<connectors::DaemonCheckpointState> restored);
  // Applies one journaled event during start-up replay (no publishing).
  // Journal rows from before event times were stamped at ingest have no
  // occurred_at: `received_ns` (when the row was journaled) stands in.
  void Replay(std::uint64_t seq, const std::string& payload, std::int64_t received_ns);
  // After replay: CLOCK_WALL moves the model clock to the wall clock's step
  // (CLOCK_MANUAL: the replayed ticks set it). Before Recover().
  void StartClock();
  // CLOCK_MANUAL: the time the last applied tick moved the clock to.
  std::optional<std::int64_t> manual_clock_ns() const { return manual_clock_ns_; }
  // After replay: re-opens the alerts stored as open, projects, and persists
  // and publishes whatever differs (e.g. alerts lost to a crash). With
  // `journal_intact` (the replay saw every event), stored closed incidents
  // the book no longer holds are deleted: retention forgot them, but a
  // failed write kept their rows. So are, whatever the journal, the rows
  // of incidents the replay forgot (IncidentBook::SettleReplayed).
  Status Recover(bool journal_intact);

  // Active/standby (docs/operations.md): who may publish and under which
  // epoch, a second destination of every publication (NATS subjects), and
  // the instance name publications carry. REQUIRES: before Bind().
  void SetOutputs(const connectors::PublicationFence* fence, connectors::PublicationSink* sink,
                  std::string name);
  // Binds the PUB endpoint and the inproc channels. REQUIRES: before Run().
  Status Bind(zmq::context_t* context);
  // Runs until a stop frame arrives and everything before it is applied.
  void Run();

  const std::string& publish_endpoint() const { return publisher_->endpoint(); }
  // The epoch this instance publishes under now: the one it adopted with
  // its announcement while the lease still grants it, else 0 (a standby,
  // a lease granted but not announced yet, or lost). Thread-safe, after
  // Bind().
  std::uint64_t publishing_epoch() const { return publisher_->current_epoch(); }
  // The publisher's latest adoption (connectors::Publisher::adoption).
  // Thread-safe, after Bind().
  connectors::Publisher::Adoption adoption() const { return publisher_->adoption(); }
  // REQUIRES: not running (start-up only).
  const engine::Network& network() const { return engine_->network(); }
  const EngineWorkerStats& stats() const { return stats_; }

 private:
  // Per risk type: the state of its published plans.
  struct PlanSchedule {
    bool published = false;
    double expected_at_plan = 0;  // projection's expected disrupted then
    std::chrono::steady_clock::time_point published_at{};
    bool due = false;  // a material change awaits a plan
    // When it became due: a plan gives way to arriving events until it has
    // waited planner.min_interval, then it runs to the end.
    std::chrono::steady_clock::time_point due_since{};
  };

  // An incident's latest publication, not sent (unsent_incidents_).
  struct OwedIncident {
    std::string incident_id;
    std::string payload;
  };

  void Apply(std::uint64_t seq, std::string_view payload, bool live, std::int64_t received_ns = 0);
  // CLOCK_WALL: a tick (and re-projection) when the wall clock entered a
  // new step.
  void TickWallClock();
  // Logs (rate-limited) an "E" message that is not whole.
  void BadEventMessage(std::size_t frames, std::size_t left_over);
  std::string ModelTimeText() const;  // RFC 3339, for logs
  // The time the incident book places an event at: a status's or
  // disruption's occurred_at, a tick's advance_to, else (operator actions,
  // network changes, interventions) the receipt time, or with a manual
  // clock the book's latest time.
  std::int64_t EventTimeNs(const riskd::v1::Envelope& env, std::int64_t received_ns) const;
  // The incident book's side of an applied event or action (its trigger
  // is moved into the book).
  void ApplyToIncidents(std::uint64_t seq, std::int64_t time_ns, const riskd::v1::Envelope& env,
                        connectors::AppliedEvent& applied);
  // Watchlists: thresholds in the engine, names in the book.
  void ResolveWatchlists();
  // Projects and publishes the round; returns Engine::Project's wall time
  // in ms (the round's timing log). A projection of at least
  // kLargeProjectionMs makes the scratch's release due (ReleaseScratchIfDue).
  double ProjectAndPublish();
  // Publish first, refine after (daemon/refinement.h): one slice of the
  // pending Monte Carlo checks, and what it changed materially, published.
  // `yield_to_events`: an event arriving abandons the check under way (its
  // region stays pending and is checked again when the queue is idle).
  void RefineAndPublish(bool yield_to_events);
  // How often a yielding slice or plan looks for events.
  static constexpr std::chrono::microseconds kEventPollInterval{500};
  // "An event is waiting", asked at most once per kEventPollInterval: what
  // yielding work (a refinement slice, a plan) polls.
  engine::InterruptRequested EventArrived();
  bool RefinePending() const { return !refine_stalled_ && engine_->UncheckedRegions() > 0; }
  // Persists and publishes a round's incidents, alert changes, risk
  // changes and summaries of the risk types `projected` (or refined: then
  // summaries only where they differ materially).
  void PublishRound(const std::vector<int>& projected, double compute_ms, bool refinement);
  // Brings the spectral radius of `risk_types` up to date, unless
  // `may_postpone` and spectral_schedule_ says it waits (events are
  // waiting; at most 1 s).
  void RefreshSpectral(const std::vector<int>& risk_types, bool may_postpone);
  // Idle: refreshes the postponed spectral radii and publishes those risk
  // types' summaries again.
  void RefreshPostponedSpectral();
  // A risk type's summary as published now.
  riskd::v1::ProjectionSummary Summary(int risk_type, const connectors::OutputContext& ctx,
                                       double compute_ms) const;
  // Keeps a published summary as the latest of its risk type (snapshots,
  // history).
  void RememberSummary(const riskd::v1::ProjectionSummary& summary);
  // Publishes the incidents due; returns the publication sequence of each.
  std::map<std::uint64_t, std::uint64_t> PublishIncidents(const connectors::OutputContext& ctx);
  void UpdateGauges();
  // An applied Disruption that hit `hit`: a footprint to follow.
  void TrackFootprint(std::uint64_t seq, const riskd::v1::Envelope& disruption,
                      std::vector<engine::NodeIndex> hit);
  // Publishes the disruption footprints that started or ended.
  void PublishFootprints();
  riskd::v1::Ack Answer(const riskd::v1::Envelope& query);
  Result<riskd::v1::Snapshot> MakeSnapshot() const;
  // A plan of k targets from the current observed state of a risk type;
  // Aborted when `interrupt` stopped it.
  Result<engine::immunization::Plan> ComputePlan(
      int risk_type, int k, const engine::InterruptRequested& interrupt = nullptr);
  // Marks plans due after the projection of these risk types.
  void MarkPlansDue(const std::vector<int>& projected);
  // Computes and publishes the due plans whose interval has passed. A plan
  // that has been due for less than planner.min_interval is abandoned when
  // an event arrives (it stays due): the planner takes seconds on a large
  // outbreak and the event's alerts should not wait for it.
  void PublishDuePlans();
  bool EventsWaiting();
  // Called with no event queued, before the deferred check and the plan:
  // after a large projection, frees the engine's projection scratch (the
  // DMP workspace, 15.8 MB on 100k nodes / 1M edges after a run; the
  // projection frees it after its last DMP run when Project had taken
  // kLargeProjectionMs by then, Compact, graph and initial state included,
  // and no event was queued) and hands the free
  // pages back to the kernel (bench/README.md "Where the daemon's memory
  // goes"), so the check's and the plan's memory (about as much, on a large
  // region) does not stack on it. Only after a large projection, because
  // the next projection allocates the scratch anew (~10 ms on 100k / 1M,
  // allocation, initialization and the trim): small rounds, whose checks and
  // plans are small too, keep it and pay nothing; back-to-back rounds under
  // load keep it as well (events are queued).
  void ReleaseScratchIfDue();
  // A projection at least this long (ms) covered a large region: the ~10 ms
  // of allocating the scratch again is then a small part of the next one.
  static constexpr double kLargeProjectionMs = 50;
  // When the fence grants an epoch the publisher does not hold (this
  // instance became active, or its lease lapsed and came back), adopts it
  // and publishes the latest summaries, the open incidents and then the
  // open alerts under it at once, before anything else of the new term;
  // under the same epoch as the lapsed adoption, also the closings and
  // resolutions that were not sent since (unsent_incidents_,
  // unsent_resolutions_). Runs between rounds only. While the incidents or
  // alerts cannot be read it waits, a bounded time (AnnouncementDeadline),
  // then adopts and publishes the summaries only.
  void AnnounceEpoch();
  // The announcement of a term just adopted: the latest summaries, the
  // incidents not closed (unless null: they could not be read), the owed
  // incidents and resolutions (empty unless the epoch was adopted again
  // after a lapse; those not sent now stay owed) and the open alerts
  // (unless null).
  void Announce(const std::vector<connectors::StoredIncident>* incidents,
                const std::vector<connectors::StoredAlert>* alerts,
                const std::map<std::uint64_t, OwedIncident>& owed_incidents,
                const std::map<std::string, std::string>& owed_resolutions);
  // Records whether an incident's (or an alert's) latest publication was
  // sent: what a lapse that comes back under the same epoch owes.
  void NoteSent(std::uint64_t incident_key, const riskd::v1::Incident& incident, bool sent);
  void NoteSent(const riskd::v1::Alert& alert, bool sent);
  // Nothing owed any more: a new term, or the lapsed epoch cannot come back.
  void ForgetOwed();
  // The open alerts' latest payloads by id: `stored` (the state store's
  // open alerts) and the ones whose recording failed. Views of both.
  std::map<std::string_view, std::string_view> OpenAlertPayloads(
      const std::vector<connectors::StoredAlert>& stored) const;
  // Takes reloaded settings: new alert thresholds and risk-type rates go to
  // the engine (re-projected at once); everything else is read from them.
  // Returns whether the engine changed (then it must re-project).
  bool UseSettings(const DaemonSettings* settings);
  // Logs (rate-limited) publications the publisher could not sequence.
  void ReportUnsent();
  // Writes a checkpoint when checkpoint.interval_events events were applied
  // since the last one (or, with `now`, when any was).
  void MaybeCheckpoint(bool now);
  // When idle and after each round: syncs the state file when publications
  // were recorded since its last sync and a second has passed (a power
  // loss then loses at most about a second plus the round under way of
  // alert history, even under a steady load, not everything since the last
  // sequence reservation or checkpoint; docs/operations.md, "Durability").
  // `why` goes into a failure's message.
  void SyncStateIfDue(const char* why);
  // Binds the state file to the journal's first row once events were
  // applied, if the start found the journal empty (StateStore::CheckJournal):
  // a copy of the state file from this run is then refused beside another
  // journal.
  void BindStateToJournal();
  // Syncs the state file; a failure stops checkpoints until a restart.
  Status SyncState(const char* why);

  const DaemonSettings* settings_;
  std::unique_ptr<engine::Engine> engine_;
  // Apply's parsed event, reused (ParseFromArray clears it): its
  // sub-messages and strings stay allocated from one event to the next.
  riskd::v1::Envelope apply_envelope_;
  std::unique_ptr<connectors::StateStore> store_;
  IncidentIds* incident_ids_;
  engine::IncidentBook book_;
  // The latest published Incident of each incident is the payload the state
  // store holds for it (every chunk is recorded before it is sent);
  // snapshots and a new epoch's announcement read it back from there, as
  // they do open alerts: a copy here was ~0.3 KB per incident, tens of
  // thousands under load (bench/README.md, "Where the daemon's memory
  // goes"). Incidents whose recording failed keep their payload in memory
  // until recorded or forgotten.
  struct UnrecordedIncident {
    int lifecycle = 0;  // riskd.v1.Incident.Lifecycle
    std::string payload;
  };
  std::map<std::uint64_t, UnrecordedIncident> unrecorded_incidents_;
  // Keys of forgotten incidents whose rows a failed recording left in the
  // store: deleted with the next recording that succeeds (and at start-up,
  // every row the book does not hold is deleted).
  std::vector<std::uint64_t> undeleted_incidents_;
  // The incidents as last published that the book still holds, by key
  // (the store's rows, unless recording them failed).
  Result<std::vector<connectors::StoredIncident>> PublishedIncidents() const;
  std::unique_ptr<connectors::Publisher> publisher_;
  const connectors::PublicationFence* fence_ = nullptr;
  connectors::PublicationSink* sink_ = nullptr;
  std::string publisher_name_;
  // How long a new term waits for its incidents (AnnounceEpoch).
  AnnouncementDeadline announcement_deadline_;
  // The epoch of the latest adoption while it may still come back after a
  // lapse (0: none): a renewal answered after its deadline grants the same
  // epoch again, and then what was dropped meanwhile is owed. After the
  // lease's ttl lapsed (lapsed_at_), only a new term can follow.
  std::uint64_t owed_epoch_ = 0;
  std::optional<std::chrono::steady_clock::time_point> lapsed_at_;
  // The incidents whose latest publication was not sent since
  // owed_epoch_'s adoption, by key, with that publication's payload (kept
  // here: retention may forget a closed one and delete its row), and the
  // resolved alerts whose resolution was not (one by one, or with an
  // incident not sent), by id, with their payload.
  std::map<std::uint64_t, OwedIncident> unsent_incidents_;
  std::map<std::string, std::string> unsent_resolutions_;
  std::unique_ptr<zmq::socket_t> events_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::uint64_t applied_seq_ = 0;
  std::optional<std::int64_t> manual_clock_ns_;
  bool unprojected_events_ = false;  // applied since the last projection
  // Refinement slices: when they may run, and whether the last one found
  // nothing it could refine (until the next projection).
  RefineScheduler refine_scheduler_;
  bool refine_stalled_ = false;
  // The last projection was large (kLargeProjectionMs): ReleaseScratchIfDue.
  bool scratch_release_due_ = false;
  std::uint64_t restored_sequence_ = 0;
  // Ids of the open alerts. Their last published Alert is the payload the
  // state store holds for them (every chunk is recorded before it is sent);
  // snapshots read it back from there. Tens of thousands of alerts kept
  // here, parsed or serialized, cost more than the engine's projections.
  // Alerts whose recording failed keep their payload in memory until
  // recorded or resolved.
  std::set<std::string> open_alerts_;
  std::map<std::string, std::string> unrecorded_alerts_;
  std::map<std::string, riskd::v1::ProjectionSummary> summaries_;
  // The latest kSummaryHistory summaries per risk type, oldest first (the
  // snapshot's timeline).
  static constexpr std::size_t kSummaryHistory = 720;
  std::map<std::string, std::deque<riskd::v1::ProjectionSummary>> summary_history_;
  // Per risk type: the journal seq of the newest state its spectral radius
  // holds for.
  std::vector<std::uint64_t> spectral_seq_;
  SpectralSchedule spectral_schedule_{std::chrono::seconds(1)};
  FootprintTracker footprints_;
  RiskDeltaTracker risk_deltas_;
  engine::immunization::StatePlanner planner_;
  std::vector<PlanSchedule> plan_schedule_;  // per risk type
  // Latest published plan, by risk type name (for snapshots).
  std::map<std::string, riskd::v1::ImmunizationPlan> plans_;
  EngineWorkerStats stats_;
  LogRateLimiter not_applied_lines_;
  LogRateLimiter unsent_lines_;
  std::uint64_t unsent_reported_ = 0;
  LogRateLimiter record_errors_;
  std::unique_ptr<connectors::CheckpointStore> checkpoints_;
  std::string checkpoint_fingerprint_;
  std::uint64_t checkpointed_seq_ = 0;  // covered by the newest checkpoint
  // An fsync of the state file failed: what it held may never reach the
  // disk even if a later sync succeeds (the kernel may have dropped the
  // pages), so no checkpoint may claim to follow it until a restart.
  bool state_sync_failed_ = false;
  bool bind_failed_ = false;                  // BindStateToJournal: tried once
  std::uint64_t synced_publication_seq_ = 0;  // publisher's sequence at the last sync
  std::chrono::steady_clock::time_point synced_at_{};
  LogRateLimiter checkpoint_errors_;
  LogRateLimiter bad_event_lines_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ENGINE_WORKER_H_
