// EngineWorker: the daemon's engine thread. It takes journaled events from
// the ingest thread, applies them to the engine in batches (coalescing what
// arrived while it was busy), re-projects, persists and publishes alert
// changes and projection summaries, and answers queries after the events
// that preceded them (read-your-writes).
//
// Immunization plans: after a projection whose expected number disrupted
// moved materially since the last plan of its risk type (MaterialChange),
// a plan of planner.k targets becomes due; it is computed and published on
// immunization.<risk_type> once planner.min_interval has passed since the
// previous one, and only while no event is waiting, so a burst of events is
// never held up by planning (its cost is bounded by the planner's work
// budgets). PlanQuery is answered with a plan computed on the spot.
#ifndef RISKD_DAEMON_ENGINE_WORKER_H_
#define RISKD_DAEMON_ENGINE_WORKER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "connectors/store/checkpoint_store.h"
#include "connectors/store/state_store.h"
#include "connectors/zmq/publisher.h"
#include "daemon/footprint_tracker.h"
#include "daemon/risk_delta_tracker.h"
#include "daemon/log_text.h"
#include "daemon/settings.h"
#include "engine/engine.h"
#include "engine/immunization/planner.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::daemon {

struct EngineWorkerStats {
  std::atomic<std::uint64_t> events_applied{0};
  std::atomic<std::uint64_t> events_not_applied{0};
  std::atomic<std::uint64_t> projections{0};
  std::atomic<std::uint64_t> alerts_published{0};
  std::atomic<std::uint64_t> plans_published{0};
  std::atomic<std::uint64_t> last_applied_seq{0};
  // The newest publication's sequence, and the open alerts.
  std::atomic<std::uint64_t> publication_sequence{0};
  std::atomic<std::uint64_t> open_alerts{0};
  // Publications dropped because their sequence could not be reserved.
  std::atomic<std::uint64_t> publications_unsent{0};
  // Journal sequence of the newest checkpoint written (0: none yet).
  std::atomic<std::uint64_t> checkpoint_seq{0};
  std::atomic<std::uint64_t> checkpoint_failures{0};
};

class EngineWorker {
 public:
  // `settings` must outlive the worker, or the next settings it is handed
  // (pipeline.h, ["R", settings]).
  EngineWorker(const DaemonSettings* settings, std::unique_ptr<engine::Engine> engine,
               std::unique_ptr<connectors::StateStore> store);

  // Checkpoints go to `store` (daemon/checkpoints.h), with `fingerprint`.
  // The engine was restored from the checkpoint covering the journal up to
  // `restored_seq` (0: none) with this manual clock: replay continues after
  // it. REQUIRES: before Replay().
  void UseCheckpoints(std::unique_ptr<connectors::CheckpointStore> store, std::string fingerprint,
                      std::uint64_t restored_seq, std::optional<std::int64_t> manual_clock_ns);
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
  // and publishes whatever differs (e.g. alerts lost to a crash).
  Status Recover();

  // Binds the PUB endpoint and the inproc channels. REQUIRES: before Run().
  Status Bind(zmq::context_t* context);
  // Runs until a stop frame arrives and everything before it is applied.
  void Run();

  const std::string& publish_endpoint() const { return publisher_->endpoint(); }
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
  };

  void Apply(std::uint64_t seq, std::string_view payload, bool live, std::int64_t received_ns = 0);
  // CLOCK_WALL: a tick (and re-projection) when the wall clock entered a
  // new step.
  void TickWallClock();
  std::string ModelTimeText() const;  // RFC 3339, for logs
  // An applied Disruption that hit `hit`: a footprint to follow.
  void TrackFootprint(std::uint64_t seq, const riskd::v1::Envelope& disruption,
                      std::vector<engine::NodeIndex> hit);
  void ProjectAndPublish();
  // Publishes the disruption footprints that started or ended.
  void PublishFootprints();
  riskd::v1::Ack Answer(const riskd::v1::Envelope& query);
  riskd::v1::Snapshot MakeSnapshot() const;
  // A plan of k targets from the current observed state of a risk type.
  Result<engine::immunization::Plan> ComputePlan(int risk_type, int k);
  // Marks plans due after the projection of these risk types.
  void MarkPlansDue(const std::vector<int>& projected);
  // Computes and publishes the due plans whose interval has passed.
  void PublishDuePlans();
  bool EventsWaiting();
  // Takes reloaded settings: new alert thresholds and risk-type rates go to
  // the engine (re-projected at once); everything else is read from them.
  // Returns whether the engine changed (then it must re-project).
  bool UseSettings(const DaemonSettings* settings);
  // Logs (rate-limited) publications the publisher could not sequence.
  void ReportUnsent();
  // Writes a checkpoint when checkpoint.interval_events events were applied
  // since the last one (or, with `now`, when any was).
  void MaybeCheckpoint(bool now);

  const DaemonSettings* settings_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<connectors::StateStore> store_;
  std::unique_ptr<connectors::Publisher> publisher_;
  std::unique_ptr<zmq::socket_t> events_;
  std::unique_ptr<zmq::socket_t> replies_;
  std::uint64_t applied_seq_ = 0;
  std::optional<std::int64_t> manual_clock_ns_;
  bool unprojected_events_ = false;  // applied since the last projection
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
  LogRateLimiter checkpoint_errors_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_ENGINE_WORKER_H_
