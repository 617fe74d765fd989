#include "daemon/engine_worker.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <google/protobuf/arena.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <tuple>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "daemon/checkpoints.h"
#include "daemon/log_text.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {

using connectors::OutputContext;

namespace {

std::vector<std::string> RiskTypeNames(const engine::Engine& engine) {
  std::vector<std::string> names;
  for (int r = 0; r < engine.risk_type_count(); ++r)
    names.push_back(engine.risk_state(r).type().name);
  return names;
}

}  // namespace

EngineWorker::EngineWorker(const DaemonSettings* settings, std::unique_ptr<engine::Engine> engine,
                           std::unique_ptr<connectors::StateStore> store, IncidentIds* incident_ids)
    : settings_(settings),
      engine_(std::move(engine)),
      store_(std::move(store)),
      incident_ids_(incident_ids),
      book_(settings->incidents.options, RiskTypeNames(*engine_),
            engine::EmergencyPlans(settings->incidents.plans)),
      footprints_(settings->timing.step_ns),
      planner_(settings->planner.options),
      plan_schedule_(static_cast<std::size_t>(engine_->risk_type_count())) {
  spectral_seq_.assign(static_cast<std::size_t>(engine_->risk_type_count()), 0);
}

std::int64_t EngineWorker::EventTimeNs(const riskd::v1::Envelope& env,
                                       std::int64_t received_ns) const {
  if ((env.has_supplier_status() || env.has_disruption()) && env.has_occurred_at()) {
    return connectors::UnixNs(env.occurred_at());
  }
  if (env.has_clock_tick()) return connectors::UnixNs(env.clock_tick().advance_to());
  // A manual clock: what happens between ticks happens at the time the
  // events so far reached (journaled, so a replay gives the same), not on
  // the wall clock the replayed archive knows nothing of.
  if (settings_->clock.manual) return book_.now_ns();
  return received_ns;
}

void EngineWorker::ApplyToIncidents(std::uint64_t seq, std::int64_t time_ns,
                                    const riskd::v1::Envelope& env,
                                    connectors::AppliedEvent& applied) {
  if (applied.trigger) {
    engine::Trigger trigger = std::move(*applied.trigger);
    trigger.seq = seq;
    trigger.time_ns = time_ns;
    // A trigger opens an incident, or re-opens a closed one (the same feed
    // event), or joins one that stays closed.
    if (const engine::Incident* inc = book_.AddTrigger(std::move(trigger)); inc && incident_ids_) {
      incident_ids_->Add(inc->id, inc->lifecycle == engine::IncidentLifecycle::kClosed);
    }
  }
  if (!applied.touched.empty()) {
    book_.NodesChanged(*engine_, applied.risk_type, applied.touched, time_ns);
  }
  (void)env;
  book_.AdvanceTime(time_ns);
}

void EngineWorker::Apply(std::uint64_t seq, std::string_view payload, bool live,
                         std::int64_t received_ns) {
  riskd::v1::Envelope& env = apply_envelope_;
  Status st;
  if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    st = Status::Corruption("journaled payload does not parse");
  } else if (env.has_operator_action()) {
    engine::OperatorAction action =
        connectors::ToOperatorAction(env.operator_action(), env.event_id());
    action.seq = seq;
    action.time_ns = EventTimeNs(env, received_ns);
    // The book as of the action's time first: a restored incident closes
    // close_after later, live at a wall-clock tick (not journaled) or at
    // the next event, on replay only at the next event. So the ingest
    // thread refused such an action on an incident it knew closed, and
    // this refuses one accepted before the closing reached it only if the
    // incident had closed by the action's own time: the same answer live
    // and on replay. (One that a tick closed after the action's time is
    // served as on replay, where it is still restored; only a no-impact
    // verdict then differs: a no-op on the closed incident live, its
    // closing on replay, as before closed incidents refused actions.)
    book_.AdvanceTime(action.time_ns);
    const engine::Incident* inc = book_.Find(action.incident_id);
    st = inc && inc->lifecycle == engine::IncidentLifecycle::kClosed &&
                 inc->closed_at_ns <= action.time_ns
             ? CheckActionOnClosedIncident(env.operator_action().kind(), action.incident_id)
             : Status::Ok();
    if (st.ok()) st = book_.Apply(action);
    book_.AdvanceTime(action.time_ns);  // a restoring with close_after 0 closes at once
    if (st.ok() && live) {
      spdlog::info("event {} ({}): operator '{}'{} {} incident {}", seq, LogSafe(env.event_id()),
                   LogSafe(action.operator_name),
                   action.authenticated_client.empty()
                       ? ""
                       : " (client " + LogSafe(action.authenticated_client) + ")",
                   riskd::v1::OperatorAction::Kind_Name(env.operator_action().kind()),
                   LogSafe(action.incident_id));
    }
  } else {
    const bool observation = env.has_supplier_status() || env.has_disruption();
    if (observation && !env.has_occurred_at() && received_ns > 0) {
      connectors::SetTimestamp(received_ns, env.mutable_occurred_at());  // an older journal row
    }
    // A tick closes a moment of the model clock: what happened before it
    // is projected and published at its own time, not coalesced with what
    // comes after (a burst of ticks, e.g. an archive replayed day by day,
    // publishes every day).
    if (live && env.has_clock_tick() && unprojected_events_) ProjectAndPublish();
    connectors::AppliedEvent applied;
    st = connectors::ApplyEnvelope(env, settings_->risk_type_resolver, engine_.get(), &applied,
                                   settings_->timing);
    unprojected_events_ = true;
    if (st.ok() && env.has_clock_tick()) {
      manual_clock_ns_ = connectors::UnixNs(env.clock_tick().advance_to());
      // Sources whose disruption's duration ended are back.
      book_.SourcesMayHaveChanged(*engine_, EventTimeNs(env, received_ns));
    }
    if (st.ok()) ApplyToIncidents(seq, EventTimeNs(env, received_ns), env, applied);
    if (st.ok() && env.has_disruption() && env.disruption().has_place() && live) {
      spdlog::info("event {} ({}): disruption place covers {} node(s)", seq,
                   LogSafe(env.event_id()), applied.place_matched);
    }
    if (st.ok() && env.has_disruption()) TrackFootprint(seq, env, applied.touched);
    if (st.ok() && observation && live && env.has_occurred_at()) {
      const engine::Step at = connectors::StepOfUnixNs(connectors::UnixNs(env.occurred_at()),
                                                       settings_->timing.step_ns);
      if (at < engine_->now() - settings_->engine.clock.history_window_steps) {
        spdlog::info(
            "event {} ({}) occurred before the history window (clock.history_window): "
            "journaled as history only",
            seq, LogSafe(env.event_id()));
      }
    }
  }
  if (st.ok()) {
    stats_.events_applied.fetch_add(1, std::memory_order_relaxed);
  } else {
    // Accepted and journaled, but the network moved under it (e.g. an edge
    // removed by an earlier event in flight). Replays give the same result.
    stats_.events_not_applied.fetch_add(1, std::memory_order_relaxed);
    if (auto held = not_applied_lines_.Allow()) {
      spdlog::warn("event {} ({}) not applied: {}{}", seq, LogSafe(env.event_id()),
                   LogSafe(st.ToString()),
                   *held ? " (" + std::to_string(*held) + " similar line(s) not logged)" : "");
    }
  }
  if (!live) {
    // Replay publishes nothing: the closed incidents live forgot after
    // publishing this event's round are forgotten now, not all kept until
    // the first round after the replay (which made a long replay quadratic,
    // IncidentBook::SettleReplayed). Their stored rows are dealt with after
    // the replay (book_.TakeForgottenKeys() there).
    book_.SettleReplayed();
    if (std::vector<std::string> ids = book_.TakeForgottenIds(); !ids.empty() && incident_ids_) {
      incident_ids_->Remove(ids);
    }
  }
  applied_seq_ = seq;
  stats_.last_applied_seq.store(seq, std::memory_order_relaxed);
}

Status EngineWorker::UseCheckpoints(std::unique_ptr<connectors::CheckpointStore> store,
                                    std::string fingerprint, std::uint64_t restored_seq,
                                    std::optional<std::int64_t> manual_clock_ns,
                                    std::optional<connectors::DaemonCheckpointState> restored) {
  checkpoints_ = std::move(store);
  checkpoint_fingerprint_ = std::move(fingerprint);
  checkpointed_seq_ = restored_seq;
  applied_seq_ = restored_seq;
  stats_.last_applied_seq.store(restored_seq, std::memory_order_relaxed);
  manual_clock_ns_ = manual_clock_ns;
  if (!restored) return Status::Ok();
  // The book and the footprints as replaying the journal up to the
  // checkpoint would have rebuilt them.
  RISKD_RETURN_IF_ERROR(
      book_.Restore(std::move(restored->incidents), engine_->network().node_slots())
          .WithContext("checkpoint"));
  return footprints_.Restore(restored->footprints, *engine_).WithContext("checkpoint");
}

void EngineWorker::MaybeCheckpoint(bool now) {
  const std::uint64_t interval = settings_->checkpoint_interval_events;
  if (!checkpoints_ || interval == 0 || applied_seq_ <= checkpointed_seq_) return;
  if (state_sync_failed_) return;
  if (!now && applied_seq_ - checkpointed_seq_ < interval) return;
  const auto t0 = std::chrono::steady_clock::now();
  // The state file synced first: the checkpoint (a file of its own) must
  // not survive a power loss that the recorded alerts and incidents up to
  // it do not (docs/operations.md, "Durability").
  const Status synced = SyncState("syncing the state file first");
  // Compacted here (a no-op when the round was projected): the store would
  // otherwise write from a compacted copy of the whole network. The book is
  // written from a view of it, not a copy (bench/README.md "`ckptbook`").
  auto save = [&]() -> Result<connectors::CheckpointHeader> {
    if (!synced.ok()) return synced;
    const engine::IncidentBookView incidents = book_.View();
    const std::vector<connectors::CheckpointedFootprint> footprints = footprints_.Checkpoint();
    return checkpoints_->Save(applied_seq_, checkpoint_fingerprint_, manual_clock_ns_,
                              engine_->CompactNetwork(), engine_->Checkpoint(),
                              connectors::DaemonCheckpointView{incidents, footprints});
  };
  const Result<connectors::CheckpointHeader> saved = save();
  // Tried once per interval: a failing disk is not retried after every batch.
  checkpointed_seq_ = applied_seq_;
  if (!saved.ok()) {
    stats_.checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
    if (auto held = checkpoint_errors_.Allow()) {
      spdlog::error("checkpoint at journal seq {} not written: {}{}", applied_seq_,
                    LogSafe(saved.status().ToString()),
                    *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
    }
    // A damaged file fails every later Save too: moved aside for a new one.
    if (saved.status().code() == Status::Code::kCorruption) {
      checkpoints_.reset();  // closed before its files move
      checkpoints_ = RecoverCheckpointStore(settings_->database, saved.status());
    }
    return;
  }
  stats_.checkpoint_seq.store(applied_seq_, std::memory_order_relaxed);
  spdlog::info(
      "checkpoint at journal seq {}: {:.1f} MB in {:.1f} ms", applied_seq_,
      static_cast<double>(saved->bytes) / 1e6,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

Status EngineWorker::SyncState(const char* why) {
  const std::uint64_t seq = publisher_->last_sequence();
  const Status synced = store_->Sync().WithContext(why);
  synced_at_ = std::chrono::steady_clock::now();
  if (synced.ok()) {
    synced_publication_seq_ = seq;
    return synced;
  }
  if (!state_sync_failed_) {
    // As the journal treats a failed fsync (docs/operations.md,
    // "Durability"): not retried for checkpoints, whose restart replays
    // from the last good one.
    state_sync_failed_ = true;
    spdlog::error(
        "no checkpoint until riskd restarts: the state file's fsync failed, and what it held"
        " may not be on disk even if a later sync succeeds ({})",
        LogSafe(synced.ToString()));
  }
  return synced;
}

void EngineWorker::SyncStateIfDue(const char* why) {
  if (state_sync_failed_ || publisher_->last_sequence() == synced_publication_seq_) return;
  if (std::chrono::steady_clock::now() - synced_at_ < std::chrono::seconds(1)) return;
  (void)SyncState(why);
}

void EngineWorker::BindStateToJournal() {
  if (store_->bound() || bind_failed_ || applied_seq_ == 0) return;
  // Once: the journal's first row is committed now.
  const Status st = store_->CheckJournal(settings_->database);
  if (!st.ok()) {
    bind_failed_ = true;
    spdlog::error("cannot bind the state file to the journal (checked again at the next start): {}",
                  LogSafe(st.ToString()));
  }
}

void EngineWorker::TrackFootprint(std::uint64_t seq, const riskd::v1::Envelope& env,
                                  std::vector<engine::NodeIndex> hit) {
  const auto& d = env.disruption();
  // Applied, so its risk type resolves.
  const auto name = settings_->risk_type_resolver.Resolve(d.risk_type(), d.hazard());
  const auto r = name.ok() ? engine_->FindRiskType(*name) : std::nullopt;
  if (!r) return;
  // Where ApplyEnvelope placed it on the model clock.
  const engine::Step at = env.has_occurred_at()
                              ? connectors::StepOfUnixNs(connectors::UnixNs(env.occurred_at()),
                                                         settings_->timing.step_ns)
                              : engine_->now();
  footprints_.Add(seq, env, *r, *name, std::move(hit), at,
                  connectors::DisruptionSteps(d, settings_->timing));
}

void EngineWorker::Replay(std::uint64_t seq, const std::string& payload, std::int64_t received_ns) {
  Apply(seq, payload, false, received_ns);
}

void EngineWorker::StartClock() {
  if (settings_->clock.manual) {
    const auto start = settings_->clock.start_ns;
    if (start && (!manual_clock_ns_ || *manual_clock_ns_ < *start)) {
      (void)engine_->AdvanceClock(connectors::StepOfUnixNs(*start, settings_->timing.step_ns));
      manual_clock_ns_ = start;
    }
    if (manual_clock_ns_) {
      spdlog::info("model clock (manual) at {} after replay", LogSafe(ModelTimeText()));
    }
    return;
  }
  (void)engine_->AdvanceClock(connectors::StepOfUnixNs(NowUnixNs(), settings_->timing.step_ns));
  book_.SourcesMayHaveChanged(*engine_, NowUnixNs());
  book_.AdvanceTime(NowUnixNs());  // closes what was restored long enough ago
}

void EngineWorker::TickWallClock() {
  if (settings_->clock.manual) return;
  const engine::Step step = connectors::StepOfUnixNs(NowUnixNs(), settings_->timing.step_ns);
  if (step <= engine_->now()) return;
  (void)engine_->AdvanceClock(step);
  // Sources whose disruption's duration ended are back; incidents restored
  // for close_after close, even on a day without events.
  book_.SourcesMayHaveChanged(*engine_, NowUnixNs());
  book_.AdvanceTime(NowUnixNs());
  spdlog::info("model clock tick: {}", LogSafe(ModelTimeText()));
  ProjectAndPublish();
}

std::string EngineWorker::ModelTimeText() const {
  google::protobuf::Timestamp t;
  connectors::SetTimestamp(connectors::UnixNsOfStep(engine_->now(), settings_->timing.step_ns), &t);
  return google::protobuf::util::TimeUtil::ToString(t);
}

void EngineWorker::SetOutputs(const connectors::PublicationFence* fence,
                              connectors::PublicationSink* sink, std::string name) {
  fence_ = fence;
  sink_ = sink;
  publisher_name_ = std::move(name);
}

void EngineWorker::ResolveWatchlists() {
  const auto& net = engine_->network();
  for (const auto& list : settings_->incidents.watchlists) {
    std::size_t missing = 0;
    for (const auto& id : list.node_ids) {
      const auto v = net.Find(id);
      if (!v) {
        ++missing;
        continue;
      }
      for (int r = 0; r < engine_->risk_type_count(); ++r) {
        if (list.risk_type >= 0 && list.risk_type != r) continue;
        // A node on several watchlists gets the lowest of each threshold.
        engine::AlertPolicyOptions t = list.thresholds;
        for (const auto& other : settings_->incidents.watchlists) {
          if (&other == &list || (other.risk_type >= 0 && other.risk_type != r)) continue;
          if (std::find(other.node_ids.begin(), other.node_ids.end(), id) == other.node_ids.end()) {
            continue;
          }
          t.warning_raise = std::min(t.warning_raise, other.thresholds.warning_raise);
          t.warning_clear = std::min(t.warning_clear, other.thresholds.warning_clear);
          t.critical_raise = std::min(t.critical_raise, other.thresholds.critical_raise);
          t.critical_clear = std::min(t.critical_clear, other.thresholds.critical_clear);
        }
        const Status st = engine_->SetNodeAlertPolicy(r, *v, t);
        if (!st.ok()) spdlog::warn("watchlist {}: node {}: {}", list.name, id, st.ToString());
      }
      book_.Watch(list.risk_type, *v, list.name);
    }
    if (missing > 0) {
      spdlog::warn("watchlist {}: {} node id(s) not in the network, ignored", list.name, missing);
    }
  }
}

Status EngineWorker::Bind(zmq::context_t* context) {
  auto last = store_->LastSequence();
  if (!last.ok()) return last.status();
  restored_sequence_ = *last;
  const connectors::CurveKeyPair* curve =
      settings_->server_key.public_key.empty() ? nullptr : &settings_->server_key;
  auto pub = connectors::Publisher::Bind(
      context, settings_->publish_endpoint, kInprocPublishEndpoint, *last, curve,
      [store = store_.get()](std::uint64_t ceiling) { return store->ReserveSequences(ceiling); },
      settings_->publish_send_hwm);
  if (!pub.ok()) return pub.status();
  publisher_ = std::move(*pub);
  publisher_->SetOutputs(fence_, sink_, publisher_name_);
  RISKD_RETURN_IF_ERROR(publisher_->Monitor(kPublishMonitorEndpoint, kHandshakeMonitorEvents));
  try {
    events_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pull);
    events_->set(zmq::sockopt::rcvhwm, static_cast<int>(settings_->queue_capacity));
    events_->bind(kEventsEndpoint);
    replies_ = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::push);
    replies_->set(zmq::sockopt::linger, 0);
    replies_->bind(kRepliesEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("inproc bind: ") + e.what());
  }
  return Status::Ok();
}

Status EngineWorker::Recover(bool journal_intact) {
  ResolveWatchlists();
  auto open = store_->OpenAlerts();
  if (!open.ok()) return open.status();
  std::vector<connectors::StoredAlert> gone;
  // Restored in node order below (the store lists them by alert id): the
  // tracker keeps its alerts sorted by node, and in order each one is
  // appended rather than inserted in the middle.
  struct Restored {
    int risk_type;
    engine::NodeIndex node;
    engine::OpenAlert alert;
  };
  std::vector<Restored> restored;
  for (const auto& a : *open) {
    auto r = engine_->FindRiskType(a.risk_type);
    auto v = engine_->network().Find(a.node_id);
    riskd::v1::Alert alert;
    if (!r || !v || !alert.ParseFromString(a.payload)) {
      spdlog::warn("stored alert {} no longer matches the configuration; dropped",
                   LogSafe(a.alert_id));
      continue;
    }
    engine::OpenAlert oa;
    oa.level = alert.severity() == riskd::v1::SEVERITY_CRITICAL ? engine::AlertLevel::kCritical
                                                                : engine::AlertLevel::kWarning;
    oa.probability = a.probability;
    oa.eta = a.eta_steps;
    oa.raised_journal_seq = a.raised_journal_seq;
    // A pushed alert goes on under its incident, unless the incident has
    // been restored or closed since (then it was resolved with it).
    if (!book_.RestorePushed(*r, *v, alert.incident_id(),
                             {0, oa.level, oa.probability, oa.eta, oa.raised_journal_seq, false})) {
      alert.set_lifecycle(riskd::v1::Alert::LIFECYCLE_RESOLVED);
      connectors::StoredAlert resolved = a;
      resolved.lifecycle = riskd::v1::Alert::LIFECYCLE_RESOLVED;
      resolved.payload = alert.SerializeAsString();
      resolved.published = false;
      gone.push_back(std::move(resolved));
      continue;
    }
    restored.push_back({*r, *v, oa});
    open_alerts_.insert(a.alert_id);
  }
  // Stable: of two stored alerts of one node, the later one wins, as before.
  std::stable_sort(restored.begin(), restored.end(), [](const Restored& a, const Restored& b) {
    return std::tie(a.risk_type, a.node) < std::tie(b.risk_type, b.node);
  });
  for (const Restored& x : restored) engine_->RestoreAlert(x.risk_type, x.node, x.alert);
  if (!gone.empty()) {
    for (auto& a : gone) a.sequence = restored_sequence_;
    const Status st = store_->RecordAlerts(gone, restored_sequence_);
    if (!st.ok())
      spdlog::error("cannot record alerts resolved with their incident: {}", st.ToString());
  }
  for (const auto& [key, inc] : book_.incidents()) {
    if (incident_ids_)
      incident_ids_->Add(inc.id, inc.lifecycle == engine::IncidentLifecycle::kClosed);
  }
  // The incidents as last published: closed ones stay as they were (replay
  // does not recompute a closed incident's figures); the others are
  // published again after the projection below.
  auto incidents = store_->Incidents();
  if (!incidents.ok()) return incidents.status();
  // Rows of closed incidents the book forgot whose deletion failed before
  // the stop (see undeleted_incidents_): deleted now. Only closed ones
  // (retention forgets nothing else) and only after a replay of an intact
  // journal: a row the book lacks for another reason (a broken journal, a
  // changed network or configuration) is the last copy of what was
  // published, and stays.
  // Rows of incidents the replay itself forgot (retention, as live did
  // after publishing their closing) go too, whatever the journal: live
  // would have deleted them.
  std::vector<std::uint64_t> replay_forgot = book_.TakeForgottenKeys();
  std::sort(replay_forgot.begin(), replay_forgot.end());
  std::vector<std::uint64_t> orphans;
  std::vector<std::string> orphan_ids;
  for (const auto& stored : *incidents) {
    riskd::v1::Incident published;
    const engine::Incident* inc = book_.Find(stored.key);
    if (!inc && ((journal_intact && stored.lifecycle == riskd::v1::Incident::LIFECYCLE_CLOSED) ||
                 std::binary_search(replay_forgot.begin(), replay_forgot.end(), stored.key))) {
      orphans.push_back(stored.key);
      orphan_ids.push_back(LogSafe(stored.incident_id));
    }
    if (!inc || !published.ParseFromString(stored.payload)) continue;
    book_.HoldRanks(stored.key);
    if (inc->lifecycle == engine::IncidentLifecycle::kClosed &&
        stored.lifecycle == riskd::v1::Incident::LIFECYCLE_CLOSED) {
      book_.MarkPublished(stored.key);
    }
  }
  if (!orphans.empty()) {
    const Status st = store_->RecordIncidents({}, orphans);
    if (st.ok()) {
      spdlog::info("deleted {} stored closed incident(s) the book no longer holds: {}",
                   orphans.size(), fmt::join(orphan_ids, ", "));
    } else {
      spdlog::error("cannot delete {} stored incident(s) the book no longer holds: {}",
                    orphans.size(), st.ToString());
      undeleted_incidents_ = std::move(orphans);
    }
  }
  spdlog::info("recovered {} open alert(s); publication sequence {}", open_alerts_.size(),
               restored_sequence_);
  // Footprints that started or ended before the restart were published then.
  footprints_.DropChanges(*engine_);
  ProjectAndPublish();
  ReportUnsent();
  // A replay of more than checkpoint.interval_events is checkpointed at
  // the engine thread's first idle moment (Run), not here: the daemon
  // serves first (a checkpoint of 100k nodes / 1M edges takes ~1 s).
  UpdateGauges();
  return Status::Ok();
}

std::map<std::uint64_t, std::uint64_t> EngineWorker::PublishIncidents(const OutputContext& ctx) {
  // In chunks, each recorded then sent before the next is built: a round
  // can have thousands of incidents due (a disrupting status opens one),
  // and building every Publication and payload first held ~10 MB at the
  // round's peak (bench/README.md, "Where the daemon's memory goes").
  constexpr std::size_t kIncidentsChunk = 2048;
  std::map<std::uint64_t, std::uint64_t> sequences;
  // A chunk's Publications are built on an arena, reset once they are
  // sent: an incident is dozens of messages and strings, allocated and
  // freed one by one on the heap otherwise (bench/README.md "pubcost").
  google::protobuf::Arena arena;
  std::vector<std::pair<std::string, riskd::v1::Publication*>> out;
  std::vector<connectors::StoredIncident> stored;
  std::size_t published = 0;
  // Recorded before sent, as alerts are.
  auto flush = [&](const std::vector<std::uint64_t>& forgotten) {
    const Status st = store_->RecordIncidents(stored, forgotten);
    if (!st.ok()) {
      spdlog::error("cannot record incidents: {}", st.ToString());
      for (auto& i : stored) {
        unrecorded_incidents_[i.key] = {i.lifecycle, std::move(i.payload)};
      }
    } else if (!unrecorded_incidents_.empty()) {
      for (const auto& i : stored) unrecorded_incidents_.erase(i.key);
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      NoteSent(stored[i].key, out[i].second->incident(),
               publisher_->Send(out[i].first, *out[i].second));
    }
    published += out.size();
    out.clear();
    stored.clear();
    arena.Reset();
    return st.ok();
  };
  for (std::uint64_t key : book_.Due()) {
    const engine::Incident* inc = book_.Find(key);
    if (!inc) continue;
    // Once closed, the ingest thread refuses what acts on an open incident.
    if (incident_ids_ && inc->lifecycle == engine::IncidentLifecycle::kClosed) {
      incident_ids_->Add(inc->id, /*closed=*/true);
    }
    auto* pub = google::protobuf::Arena::CreateMessage<riskd::v1::Publication>(&arena);
    connectors::FillIncident(*engine_, book_, *inc, ctx, pub->mutable_incident());
    publisher_->Stamp(pub, ctx.computed_at_unix_ns);
    sequences[key] = pub->sequence();
    stored.push_back({key, inc->id, pub->incident().lifecycle(), pub->sequence(),
                      pub->incident().SerializeAsString()});
    out.emplace_back(connectors::IncidentTopic(pub->incident()), pub);
    book_.MarkPublished(key);
    if (out.size() >= kIncidentsChunk) flush({});
  }
  // Forget what the book forgot (retention).
  if (incident_ids_) incident_ids_->Remove(book_.TakeForgottenIds());
  // With the rows a failed recording left behind (undeleted_incidents_).
  std::vector<std::uint64_t> forgotten = std::exchange(undeleted_incidents_, {});
  const std::vector<std::uint64_t> newly_forgotten = book_.TakeForgottenKeys();
  forgotten.insert(forgotten.end(), newly_forgotten.begin(), newly_forgotten.end());
  if (!flush(forgotten)) undeleted_incidents_ = forgotten;
  // After the flush: a failed one keeps what it could not record, and an
  // incident published and forgotten in this same round would otherwise
  // stay there for good. A closing not sent stays owed (unsent_incidents_
  // holds its payload, not the row deleted here): retention takes a
  // published closing for a sent one.
  for (std::uint64_t key : forgotten) unrecorded_incidents_.erase(key);
  stats_.incidents_published.fetch_add(published, std::memory_order_relaxed);
  return sequences;
}

double EngineWorker::ProjectAndPublish() {
  unprojected_events_ = false;
  refine_stalled_ = false;
  // Footprints first: a page sees the hazard, then the risk it spreads.
  PublishFootprints();
  const auto t0 = std::chrono::steady_clock::now();
  // A projection that has taken kLargeProjectionMs by the time its last
  // risk type's DMP run is done, with no event queued, frees the DMP
  // workspace there: the regions' split and the alerts' and the round's
  // memory then do not stack on it (ReleaseScratchIfDue trims after the
  // round). Measured from t0, so the time counted is Project's up to that
  // point, not the DMP's alone: the batch's Compact, graph rebuilds,
  // BuildInitial and the earlier risk types' projections count too.
  const auto release_scratch = [this, t0] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                   .count() >= kLargeProjectionMs &&
           !EventsWaiting();
  };
  // The spectral radius waits for the alerts (PublishRound): only the
  // summaries carry it.
  const std::vector<int> projected =
      engine_->Project(applied_seq_, engine::Engine::Spectral::kLater, release_scratch);
  const double compute_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!projected.empty()) {
    stats_.projections.fetch_add(1, std::memory_order_relaxed);
    stats_.projection.Observe(compute_ms / 1000);
  }
  // A projection this long covered a large region, whose deferred check and
  // plan need about as much memory as the workspace (ReleaseScratchIfDue).
  if (compute_ms >= kLargeProjectionMs) scratch_release_due_ = true;
  PublishRound(projected, compute_ms, /*refinement=*/false);
  return compute_ms;
}

void EngineWorker::RefineAndPublish(bool yield_to_events) {
  const auto t0 = std::chrono::steady_clock::now();
  // Yielding: an event arriving stops the slice within one Monte Carlo
  // realization (plus kEventPollInterval), so it never waits for a whole
  // check; the inproc queue is polled at most once per interval.
  const engine::InterruptRequested interrupt =
      yield_to_events ? EventArrived() : engine::InterruptRequested();
  const engine::Engine::Refinement done =
      engine_->Refine(applied_seq_, settings_->refine.slice_work, interrupt);
  const double compute_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  refine_scheduler_.SliceDone(compute_ms / 1000);
  // Nothing refinable (pending regions wait for their next projection),
  // unless an event interrupted the check: it runs again when idle.
  if (done.risk_types.empty()) {
    if (done.interrupted) {
      spdlog::debug("refinement slice interrupted by an event after {:.2f} ms", compute_ms);
    } else {
      refine_stalled_ = true;
    }
    return;
  }
  // At info once the projections are fully checked (an operator sees when
  // the published values became the checked ones); each slice before that
  // at debug, as it can run many times a second.
  spdlog::log(done.pending == 0 && !done.interrupted ? spdlog::level::info : spdlog::level::debug,
              "refinement at journal seq {}: largest risk change {:.3g}, {} region(s) pending, "
              "{:.2f} ms{}",
              applied_seq_, done.max_risk_change, done.pending, compute_ms,
              done.interrupted ? " (interrupted by an event)" : "");
  PublishRound(done.risk_types, compute_ms, /*refinement=*/true);
}

// Long on purpose: one round's publications share the chunk buffers and the
// flush that persists each chunk before sending it; split, they would have
// to be passed around as a class of their own.
void EngineWorker::PublishRound(const std::vector<int>& projected, double compute_ms,
                                bool refinement) {
  // compute_ms: the projection's (or refinement's); the spectral radius's
  // is added below.
  // The incidents and the alert budget of every risk type re-projected, or
  // whose incidents changed through events, actions or time.
  using Clock = std::chrono::steady_clock;
  using Ms = std::chrono::duration<double, std::milli>;
  const auto t_start = Clock::now();
  std::vector<std::pair<int, engine::IncidentUpdate>> updates;
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    const bool again = std::find(projected.begin(), projected.end(), r) != projected.end();
    // A refined type's round belongs to the projection it refines (the
    // book keeps that round's growth and bulk-recovery decisions).
    if (again || book_.Pending(r)) {
      updates.emplace_back(r, book_.Update(*engine_, r, again, refinement && again));
    }
  }
  OutputContext ctx{settings_->step_seconds, applied_seq_, NowUnixNs()};
  const auto t_book = Clock::now();
  // Incidents first: an alert names an incident its subscribers know.
  const auto incident_sequences = PublishIncidents(ctx);
  const auto t_incidents = Clock::now();
  std::optional<Clock::time_point> t_first_sent;  // the round's first alert or summary out
  if (projected.empty() && updates.empty() && incident_sequences.empty()) return;

  struct Outgoing {
    std::string topic;
    riskd::v1::Publication pub;
  };
  // Messages go out in chunks: even within the budget a projection can
  // change many alerts, and holding every Publication and its stored row at
  // once cost more memory than the engine. Each chunk is persisted before
  // it is sent, so what subscribers see is always in SQLite.
  constexpr std::size_t kChunk = 4096;
  constexpr std::size_t kRiskChangesChunk = 4096;  // nodes per NodeRiskChanges
  std::vector<Outgoing> out;
  std::vector<connectors::StoredAlert> stored;
  std::size_t published = 0;
  std::size_t summaries_published = 0;
  // `give_back`: the last message is risk changes whose NodeRisk messages
  // go back there once sent, for the tracker to fill again (RiskDeltaTracker).
  auto flush = [&](riskd::v1::NodeRiskChanges* give_back = nullptr) {
    // A chunk without alert rows (risk changes, summaries) has nothing to
    // persist: its sequences are within the ceiling the publisher reserved
    // durably before stamping them, which is what a restart continues
    // after (StateStore::LastSequence), so recording last_sequence alone
    // would be a transaction per chunk for nothing (bench/README.md
    // "pubcost").
    const Status st =
        stored.empty() ? Status::Ok() : store_->RecordAlerts(stored, publisher_->last_sequence());
    if (!st.ok()) {
      if (auto held = record_errors_.Allow()) {
        spdlog::error(
            "cannot record alerts: {}{}", LogSafe(st.ToString()),
            *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
      }
      for (const auto& a : stored) {
        if (open_alerts_.count(a.alert_id)) unrecorded_alerts_[a.alert_id] = a.payload;
      }
    } else if (!unrecorded_alerts_.empty()) {
      for (const auto& a : stored) unrecorded_alerts_.erase(a.alert_id);
    }
    for (const auto& o : out) {
      const bool sent = publisher_->Send(o.topic, o.pub);
      if (o.pub.has_alert()) NoteSent(o.pub.alert(), sent);
    }
    if (!out.empty() && !t_first_sent) t_first_sent = Clock::now();
    published += out.size();
    if (give_back != nullptr && !out.empty()) {
      give_back->Swap(out.back().pub.mutable_node_risk_changes());
    }
    out.clear();
    stored.clear();
  };
  auto track = [&](const riskd::v1::Alert& a) {
    if (a.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
      open_alerts_.erase(a.alert_id());
      unrecorded_alerts_.erase(a.alert_id());
    } else {
      open_alerts_.insert(a.alert_id());
    }
  };
  // Room for the round's alerts, at most a chunk: a chunk's full reserve
  // (~0.4 MB of messages, ~0.7 MB of rows) is above riskd's 256 KiB mmap
  // threshold, so it was mapped and unmapped every round, and most rounds
  // change far fewer alerts. The risk changes' and summaries' messages,
  // sent after the alerts, grow `out` when it has no room left.
  std::size_t pushed_alerts = 0, resolved_alerts = 0;
  for (const auto& [r, update] : updates) {
    pushed_alerts += update.alerts.size();
    resolved_alerts += update.resolved_in_bulk.size();
  }
  out.reserve(std::min(kChunk, pushed_alerts));
  stored.reserve(std::min(kChunk, pushed_alerts + resolved_alerts));
  for (const auto& [r, update] : updates) {
    // Resolved with their incident: recorded, not published one by one.
    for (const auto& push : update.resolved_in_bulk) {
      const riskd::v1::Alert a = connectors::MakeAlert(*engine_, book_, r, push, ctx);
      auto seq = incident_sequences.find(push.incident);
      stored.push_back({a.alert_id(), a.risk_type(), a.node_id(), a.lifecycle(), a.severity(),
                        a.probability(), a.eta_steps(), push.raised_journal_seq,
                        seq != incident_sequences.end() ? seq->second : publisher_->last_sequence(),
                        a.SerializeAsString(), /*published=*/false});
      // Its incident's publication carries the resolution: when that was
      // not sent, it is owed as the incident is, naming it (retention may
      // have forgotten it already: then MakeAlert could not).
      if (auto owed = unsent_incidents_.find(push.incident); owed != unsent_incidents_.end()) {
        riskd::v1::Alert resolution = a;
        resolution.set_incident_id(owed->second.incident_id);
        NoteSent(resolution, /*sent=*/false);
      }
      track(a);
      if (stored.size() >= kChunk) flush();
    }
    for (const auto& push : update.alerts) {
      Outgoing o;
      *o.pub.mutable_alert() = connectors::MakeAlert(*engine_, book_, r, push, ctx);
      o.pub.mutable_alert()->set_refinement(refinement);
      o.topic = connectors::AlertTopic(o.pub.alert());
      publisher_->Stamp(&o.pub, ctx.computed_at_unix_ns);
      const auto& a = o.pub.alert();
      stored.push_back({a.alert_id(), a.risk_type(), a.node_id(), a.lifecycle(), a.severity(),
                        a.probability(), a.eta_steps(), push.raised_journal_seq, o.pub.sequence(),
                        a.SerializeAsString()});
      track(a);
      out.push_back(std::move(o));
      // `stored` also holds the bulk resolutions before these: without its
      // own test it could reach almost two chunks.
      if (out.size() >= kChunk || stored.size() >= kChunk) flush();
    }
  }
  // The alerts go out before the risk changes and summaries are built:
  // they are what subscribers wait for (bench/README.md "Event to alert").
  if (!out.empty() || !stored.empty()) flush();
  // Then the spectral radius the summaries carry (Project left it), its
  // time counted in theirs.
  const auto t_spectral = Clock::now();
  RefreshSpectral(projected, /*may_postpone=*/true);
  compute_ms += Ms(Clock::now() - t_spectral).count();
  for (int r : projected) {
    // Each chunk of risk changes goes out as it is made: a projection that
    // changes most of a big network would otherwise hold all of them
    // (~16 MB on 100k nodes, bench/README.md "Where the daemon's memory goes").
    risk_deltas_.TakeChanges(*engine_, r, applied_seq_, kRiskChangesChunk,
                             [&](riskd::v1::NodeRiskChanges& changes) {
                               Outgoing c;
                               c.topic = connectors::RiskTopic(changes.risk_type());
                               c.pub.mutable_node_risk_changes()->Swap(&changes);
                               publisher_->Stamp(&c.pub, ctx.computed_at_unix_ns);
                               out.push_back(std::move(c));
                               flush(&changes);
                             });
    Outgoing s;
    *s.pub.mutable_projection_summary() = Summary(r, ctx, compute_ms);
    const std::string& name = engine_->risk_state(r).type().name;
    if (refinement) {
      // A refinement's summary goes out only when it matters (refinement.h).
      s.pub.mutable_projection_summary()->set_refinement(true);
      const auto update =
          std::find_if(updates.begin(), updates.end(), [r](const auto& u) { return u.first == r; });
      const bool alerts_changed =
          update != updates.end() &&
          (!update->second.alerts.empty() || !update->second.resolved_in_bulk.empty());
      const auto last = summaries_.find(name);
      if (last != summaries_.end() &&
          !SummaryMateriallyDiffers(last->second, s.pub.projection_summary(), alerts_changed,
                                    settings_->planner)) {
        continue;
      }
    }
    s.topic = connectors::SummaryTopic(name);
    publisher_->Stamp(&s.pub, ctx.computed_at_unix_ns);
    RememberSummary(s.pub.projection_summary());
    out.push_back(std::move(s));
    ++summaries_published;
  }
  flush();
  const std::size_t alert_messages = published - summaries_published;
  stats_.alerts_published.fetch_add(alert_messages, std::memory_order_relaxed);
  ReportUnsent();
  const auto t_end = Clock::now();
  spdlog::debug(
      "{} at journal seq {}: {} incident(s), {} alert change(s) in {:.2f} ms; publishing: "
      "incident book {:.2f} ms, incidents {:.2f} ms, first alert out after {:.2f} ms, all "
      "out after {:.2f} ms",
      refinement ? "refinement" : "round", applied_seq_, incident_sequences.size(), alert_messages,
      compute_ms, Ms(t_book - t_start).count(), Ms(t_incidents - t_book).count(),
      t_first_sent ? Ms(*t_first_sent - t_start).count() : -1.0, Ms(t_end - t_start).count());
  UpdateGauges();
  MarkPlansDue(projected);
}

void EngineWorker::UpdateGauges() {
  std::vector<LabeledGauges::Entry> entries;
  static const char* kLevels[] = {"info", "warning", "critical"};
  auto level_index = [](engine::AlertLevel level) {
    return level == engine::AlertLevel::kCritical  ? 2
           : level == engine::AlertLevel::kWarning ? 1
                                                   : 0;
  };
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    const auto& state = engine_->risk_state(r);
    const std::string& name = state.type().name;
    int incidents[3] = {0, 0, 0};
    for (const auto& [key, inc] : book_.incidents()) {
      if (inc.risk_type == r && inc.active()) ++incidents[level_index(inc.level())];
    }
    int alerts[3] = {0, 0, 0}, pushed[3] = {0, 0, 0};
    for (const auto& [v, alert] : state.alerts().open()) ++alerts[level_index(alert.level)];
    for (const auto& [v, alert] : book_.pushed(r)) ++pushed[level_index(alert.level)];
    for (int l = 0; l < 3; ++l) {
      const std::map<std::string, std::string> labels{{"risk_type", name}, {"level", kLevels[l]}};
      entries.push_back({"riskd_incidents_open", "Incidents potential or confirmed, by level",
                         labels, static_cast<double>(incidents[l])});
      if (l == 0) continue;  // alerts are warning or critical
      entries.push_back({"riskd_alerts_open", "Open node alerts (pushed or not), by level", labels,
                         static_cast<double>(alerts[l])});
      entries.push_back({"riskd_alerts_pushed_open", "Open node alerts pushed within the budget",
                         labels, static_cast<double>(pushed[l])});
    }
    entries.push_back({"riskd_expected_disrupted",
                       "Expected number of nodes disrupted within the horizon",
                       {{"risk_type", name}},
                       state.projected() ? state.projection().expected_disrupted : 0.0});
  }
  std::lock_guard<std::mutex> lock(stats_.gauges.mu);
  stats_.gauges.entries = std::move(entries);
}

void EngineWorker::RefreshSpectral(const std::vector<int>& risk_types, bool may_postpone) {
  const bool any_stale = std::any_of(risk_types.begin(), risk_types.end(), [this](int r) {
    return engine_->risk_state(r).spectral_stale();
  });
  const bool postpone =
      any_stale && may_postpone &&
      spectral_schedule_.Postpone(EventsWaiting(), SpectralSchedule::Clock::now());
  for (int r : risk_types) {
    if (engine_->risk_state(r).spectral_stale()) {
      if (postpone) continue;
      (void)engine_->RefreshSpectral(r);
    }
    spectral_seq_[static_cast<std::size_t>(r)] = applied_seq_;
  }
  if (any_stale && !postpone) spectral_schedule_.Refreshed();
}

void EngineWorker::RefreshPostponedSpectral() {
  std::vector<int> stale;
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    if (engine_->risk_state(r).spectral_stale()) stale.push_back(r);
  }
  if (stale.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  RefreshSpectral(stale, /*may_postpone=*/false);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const OutputContext ctx{settings_->step_seconds, applied_seq_, NowUnixNs()};
  for (int r : stale) {
    riskd::v1::Publication pub;
    *pub.mutable_projection_summary() = Summary(r, ctx, ms);
    RememberSummary(pub.projection_summary());
    publisher_->Publish(connectors::SummaryTopic(engine_->risk_state(r).type().name), &pub,
                        ctx.computed_at_unix_ns);
  }
  ReportUnsent();
  spdlog::debug("spectral radius postponed under load, refreshed in {:.2f} ms", ms);
}

riskd::v1::ProjectionSummary EngineWorker::Summary(int risk_type, const OutputContext& ctx,
                                                   double compute_ms) const {
  riskd::v1::ProjectionSummary summary =
      connectors::MakeSummary(*engine_, risk_type, ctx, compute_ms);
  summary.set_spectral_radius_journal_seq(spectral_seq_[static_cast<std::size_t>(risk_type)]);
  return summary;
}

void EngineWorker::RememberSummary(const riskd::v1::ProjectionSummary& summary) {
  summaries_[summary.risk_type()] = summary;
  auto& history = summary_history_[summary.risk_type()];
  history.push_back(summary);
  if (history.size() > kSummaryHistory) history.pop_front();
}

engine::InterruptRequested EngineWorker::EventArrived() {
  return [this, next_poll = std::chrono::steady_clock::now()]() mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_poll) return false;
    next_poll = now + kEventPollInterval;
    return EventsWaiting();
  };
}

Result<engine::immunization::Plan> EngineWorker::ComputePlan(
    int risk_type, int k, const engine::InterruptRequested& interrupt) {
  const auto& state = engine_->risk_state(risk_type);
  const engine::InitialState initial =
      engine::InitialState::FromObserved(engine_->network(), state.observed());
  const auto graph = engine_->Graph(risk_type);
  return planner_.MakePlan({.network = &engine_->network(),
                            .layers = state.type().layers,
                            .state = &initial,
                            .transmission = graph.get(),
                            .horizon = settings_->engine.dmp.horizon},
                           k, interrupt);
}

void EngineWorker::MarkPlansDue(const std::vector<int>& projected) {
  if (settings_->planner.k == 0) return;
  for (int r : projected) {
    auto& schedule = plan_schedule_[static_cast<std::size_t>(r)];
    const double previous = schedule.published ? schedule.expected_at_plan : 0.0;
    if (MaterialChange(settings_->planner, previous,
                       engine_->risk_state(r).projection().expected_disrupted)) {
      if (!schedule.due) schedule.due_since = std::chrono::steady_clock::now();
      schedule.due = true;
    }
  }
}

void EngineWorker::PublishDuePlans() {
  const auto interval = std::chrono::duration<double>(settings_->planner.min_interval_seconds);
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    // Per plan: the one before may have taken seconds.
    const auto now = std::chrono::steady_clock::now();
    auto& schedule = plan_schedule_[static_cast<std::size_t>(r)];
    if (!schedule.due || (schedule.published && now - schedule.published_at < interval)) continue;
    const bool may_yield = now - schedule.due_since < interval;
    auto plan = ComputePlan(r, settings_->planner.k,
                            may_yield ? EventArrived() : engine::InterruptRequested());
    const std::string& name = engine_->risk_state(r).type().name;
    if (!plan.ok() && plan.status().code() == Status::Code::kAborted) {
      // Still due: planned again at the next idle moment, from the state
      // the waiting events leave.
      spdlog::debug(
          "immunization plan for {} gave way to an event after {:.1f} ms", name,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - now)
              .count());
      stats_.plans_interrupted.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    schedule.due = false;
    if (!plan.ok()) {
      spdlog::error("immunization plan for {}: {}", name, plan.status().ToString());
      continue;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - now).count();
    riskd::v1::Publication pub;
    const OutputContext ctx{settings_->step_seconds, applied_seq_, NowUnixNs()};
    *pub.mutable_immunization_plan() =
        connectors::MakePlan(*engine_, r, settings_->planner.k, *plan, ctx);
    publisher_->Publish(connectors::PlanTopic(name), &pub, ctx.computed_at_unix_ns);
    plans_[name] = pub.immunization_plan();
    schedule.published = true;
    schedule.published_at = now;
    schedule.expected_at_plan = engine_->risk_state(r).projection().expected_disrupted;
    stats_.plans_published.fetch_add(1, std::memory_order_relaxed);
    ReportUnsent();
    spdlog::info(
        "immunization plan for {} at journal seq {}: {} target(s), expected disrupted {:.3g} -> "
        "{:.3g} on {} outbreaks, {:.1f} ms",
        name, applied_seq_, plan->targets.size(), plan->expected_before, plan->expected_after,
        plan->realizations, ms);
  }
}

void EngineWorker::NoteSent(std::uint64_t incident_key, const riskd::v1::Incident& incident,
                            bool sent) {
  if (sent) {
    unsent_incidents_.erase(incident_key);
  } else if (owed_epoch_ != 0) {
    unsent_incidents_[incident_key] = {incident.incident_id(), incident.SerializeAsString()};
  }
}

void EngineWorker::NoteSent(const riskd::v1::Alert& alert, bool sent) {
  // An open alert not sent is announced with the open alerts; only a
  // resolution has to be kept.
  if (sent || alert.lifecycle() != riskd::v1::Alert::LIFECYCLE_RESOLVED) {
    unsent_resolutions_.erase(alert.alert_id());
  } else if (owed_epoch_ != 0) {
    unsent_resolutions_[alert.alert_id()] = alert.SerializeAsString();
  }
}

void EngineWorker::AnnounceEpoch() {
  if (fence_ == nullptr) return;
  // Called by Run() between rounds: a grant (this instance became active,
  // or its lease lapsed and came back) takes effect for publishing only
  // here, with the announcement below first, so no alert goes out before
  // the incident it belongs to. A loss takes effect at once, in the
  // publisher (connectors/zmq/publisher.h), and is noticed here at the
  // latest (an idle instance's Alertmanager forwarder forgets its alerts).
  publisher_->EndLapsedAdoption();
  const auto now_steady = std::chrono::steady_clock::now();
  if (owed_epoch_ != 0 && publisher_->current_epoch() == 0) {
    // Lapsed. The epoch can come back (a renewal answered after its
    // deadline) only while the server still holds the key, at most the
    // lease's ttl after the last renewal it received: after that, any
    // grant is a new term, which owes nothing of this one.
    if (!lapsed_at_) lapsed_at_ = now_steady;
    if (now_steady - *lapsed_at_ > settings_->nats.lease_ttl) ForgetOwed();
  }
  const std::uint64_t epoch = fence_->CurrentEpoch().value_or(0);
  if (epoch == 0 || epoch == publisher_->current_epoch()) return;
  // The incidents not yet closed and the open alerts, as last computed:
  // what this instance computed while standing by was fenced off, so its
  // Alertmanager forwarder and subscribers learn them now rather than at
  // their next change (the previous active's Alertmanager entries would
  // otherwise lapse). They are read from the state store: when that fails,
  // the epoch is not adopted (nothing is published) and the announcement is
  // tried again on the next turn of the loop, for a bounded time
  // (daemon/announcement_deadline.h): then the epoch is adopted without
  // them rather than hold the lease without publishing.
  auto incidents = PublishedIncidents();
  auto alerts = incidents.ok() ? store_->OpenAlerts()
                               : Result<std::vector<connectors::StoredAlert>>(incidents.status());
  if (!alerts.ok()) {
    const Status failed =
        incidents.ok()
            ? Status::Unavailable("cannot read the open alerts: " + alerts.status().ToString())
            : incidents.status();
    switch (announcement_deadline_.ReadFailed(epoch, now_steady)) {
      case AnnouncementDeadline::Verdict::kFirstFailure:
        spdlog::error("epoch {}: incidents not announced yet, not publishing, retrying: {}", epoch,
                      failed.ToString());
        return;
      case AnnouncementDeadline::Verdict::kWait:
        return;
      case AnnouncementDeadline::Verdict::kGiveUp:
        spdlog::error(
            "epoch {}: publishing without announcing the open incidents and alerts (they go out "
            "at their next change): {}",
            epoch, failed.ToString());
        stats_.announcements_without_incidents.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }
  publisher_->AdoptEpoch(epoch);
  announcement_deadline_.Adopted();
  // The same epoch again: a lapse that came back, whose dropped closings
  // and resolutions subscribers and the Alertmanager forwarder (which keeps
  // its open alerts through it) would otherwise never learn.
  // What is owed is taken out first: Announce owes again what it could not
  // send (the lease can lapse again during it).
  const bool comeback = epoch == owed_epoch_;
  auto owed_incidents = std::exchange(unsent_incidents_, {});
  auto owed_resolutions = std::exchange(unsent_resolutions_, {});
  ForgetOwed();
  owed_epoch_ = epoch;
  if (!comeback) {
    owed_incidents.clear();
    owed_resolutions.clear();
  }
  Announce(alerts.ok() ? &*incidents : nullptr, alerts.ok() ? &*alerts : nullptr, owed_incidents,
           owed_resolutions);
  ReportUnsent();
  spdlog::info("publishing under epoch {} from journal seq {}{}", epoch, applied_seq_,
               comeback ? " again (the lease lapsed and came back)" : "");
}

void EngineWorker::Announce(const std::vector<connectors::StoredIncident>* incidents,
                            const std::vector<connectors::StoredAlert>* alerts,
                            const std::map<std::uint64_t, OwedIncident>& owed_incidents,
                            const std::map<std::string, std::string>& owed_resolutions) {
  const std::int64_t now = NowUnixNs();
  // The latest summaries too: subscribers learn of the new term without
  // waiting for the next event.
  for (const auto& [name, summary] : summaries_) {
    riskd::v1::Publication pub;
    *pub.mutable_projection_summary() = summary;
    publisher_->Publish(connectors::SummaryTopic(name), &pub, now);
  }
  // Incidents first (those not closed, as stored, then the other owed
  // ones from memory: retention may have deleted a closed one's row), then
  // the resolutions owed, then the open alerts: an alert names an incident
  // its subscribers know. Without the store (it could not be read) the
  // owed ones still go out: they are held in memory, and every incident
  // an owed resolution names was sent or is owed too.
  std::set<std::uint64_t> announced;
  if (incidents != nullptr) {
    for (const auto& incident : *incidents) {
      if (incident.lifecycle == riskd::v1::Incident::LIFECYCLE_CLOSED) continue;
      riskd::v1::Publication pub;
      if (!pub.mutable_incident()->ParseFromString(incident.payload)) continue;
      publisher_->Publish(connectors::IncidentTopic(pub.incident()), &pub, now);
      announced.insert(incident.key);
    }
  }
  for (const auto& [key, owed] : owed_incidents) {
    riskd::v1::Publication pub;
    if (announced.count(key) || !pub.mutable_incident()->ParseFromString(owed.payload)) continue;
    publisher_->Stamp(&pub, now);
    NoteSent(key, pub.incident(), publisher_->Send(connectors::IncidentTopic(pub.incident()), pub));
  }
  for (const auto& [id, payload] : owed_resolutions) {
    if (open_alerts_.count(id)) continue;  // open: raised again since
    riskd::v1::Publication pub;
    if (!pub.mutable_alert()->ParseFromString(payload)) continue;
    publisher_->Stamp(&pub, now);
    NoteSent(pub.alert(), publisher_->Send(connectors::AlertTopic(pub.alert()), pub));
  }
  if (alerts != nullptr) {
    for (const auto& [id, payload] : OpenAlertPayloads(*alerts)) {
      riskd::v1::Publication pub;
      if (!pub.mutable_alert()->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        continue;
      }
      publisher_->Publish(connectors::AlertTopic(pub.alert()), &pub, now);
    }
  }
}

void EngineWorker::ForgetOwed() {
  owed_epoch_ = 0;
  lapsed_at_.reset();
  unsent_incidents_.clear();
  unsent_resolutions_.clear();
}

std::map<std::string_view, std::string_view> EngineWorker::OpenAlertPayloads(
    const std::vector<connectors::StoredAlert>& stored) const {
  std::map<std::string_view, std::string_view> payloads;
  for (const auto& a : stored) {
    if (open_alerts_.count(a.alert_id)) payloads.emplace(a.alert_id, a.payload);
  }
  for (const auto& [id, payload] : unrecorded_alerts_) payloads[id] = payload;
  return payloads;
}

Result<std::vector<connectors::StoredIncident>> EngineWorker::PublishedIncidents() const {
  auto stored = store_->Incidents();
  if (!stored.ok()) {
    return Status::Unavailable("cannot read the published incidents: " +
                               stored.status().ToString());
  }
  std::vector<connectors::StoredIncident> out = std::move(*stored);
  for (const auto& [key, inc] : unrecorded_incidents_) {
    auto at = std::lower_bound(out.begin(), out.end(), key,
                               [](const auto& i, std::uint64_t k) { return i.key < k; });
    if (at == out.end() || at->key != key) at = out.insert(at, connectors::StoredIncident{});
    at->key = key;
    at->lifecycle = inc.lifecycle;
    at->payload = inc.payload;
  }
  std::erase_if(out, [&](const auto& i) { return book_.Find(i.key) == nullptr; });
  return out;
}

void EngineWorker::PublishFootprints() {
  const auto changes = footprints_.TakeChanges(*engine_);
  if (changes.empty()) return;
  const std::int64_t now = NowUnixNs();
  for (const auto& f : changes) {
    riskd::v1::Publication pub;
    *pub.mutable_disruption_footprint() = f;
    publisher_->Publish(connectors::FootprintTopic(f.risk_type()), &pub, now);
  }
}

void EngineWorker::ReportUnsent() {
  stats_.publication_sequence.store(publisher_->last_sequence(), std::memory_order_relaxed);
  stats_.open_alerts.store(open_alerts_.size(), std::memory_order_relaxed);
  const std::uint64_t unsent = publisher_->unsent();
  stats_.publications_unsent.store(unsent, std::memory_order_relaxed);
  stats_.publications_fenced.store(publisher_->fenced_off(), std::memory_order_relaxed);
  if (unsent == unsent_reported_) return;
  if (auto held = unsent_lines_.Allow()) {
    spdlog::error("{} publication(s) not sent: cannot reserve their sequence numbers: {}{}",
                  unsent - unsent_reported_, LogSafe(publisher_->reserve_error().ToString()),
                  *held ? " (" + std::to_string(*held) + " similar line(s) not logged)" : "");
    unsent_reported_ = unsent;
  }
}

bool EngineWorker::UseSettings(const DaemonSettings* next) {
  bool changed = false;
  if (next->engine.alerts != settings_->engine.alerts) {
    const Status st = engine_->SetAlertPolicy(next->engine.alerts);
    if (!st.ok()) spdlog::error("reload: alert policy not applied: {}", st.ToString());
    changed |= st.ok();
  }
  for (const auto& t : next->engine.risk_types) {
    const auto r = engine_->FindRiskType(t.name);
    if (!r) continue;  // a new risk type needs a restart
    const auto& now = engine_->risk_state(*r).type();
    if (now.alpha == t.alpha && now.beta == t.beta) continue;
    const Status st = engine_->SetRiskTypeRates(*r, t.alpha, t.beta);
    if (!st.ok()) spdlog::error("reload: rates of {} not applied: {}", t.name, st.ToString());
    changed |= st.ok();
  }
  settings_ = next;
  spdlog::info("engine thread: reloaded settings in force from journal seq {}", applied_seq_);
  return changed;
}

bool EngineWorker::EventsWaiting() {
  zmq::pollitem_t item{events_->handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(0));
  return (item.revents & ZMQ_POLLIN) != 0;
}

void EngineWorker::ReleaseScratchIfDue() {
  if (!scratch_release_due_) return;
  scratch_release_due_ = false;
  const std::size_t bytes = engine_->ReleaseScratch();
  if (bytes == 0) return;
  // Arrays this big come from the heap, not from mmap, once glibc's mmap
  // threshold has grown past them (it does when the first such block is
  // freed), and freed heap pages stay resident until trimmed; main's
  // periodic trim comes too late for the check or plan that runs next.
  const auto t0 = std::chrono::steady_clock::now();
  ::malloc_trim(0);
  spdlog::debug(
      "projection scratch released: {:.1f} MB, trimmed in {:.2f} ms",
      static_cast<double>(bytes) / 1e6,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

Result<riskd::v1::Snapshot> EngineWorker::MakeSnapshot() const {
  riskd::v1::Snapshot snap;
  snap.set_sequence(publisher_->last_sequence());
  snap.set_journal_seq(applied_seq_);
  snap.set_epoch(publisher_->current_epoch());
  const auto& net = engine_->network();
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    const auto& s = engine_->risk_state(r);
    for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
      if (!net.alive(v)) continue;
      const bool observed = s.observed()[v].state != engine::NodeState::kSusceptible;
      const bool at_risk = s.projected() && s.projection().risk[v] > 0;
      if (observed || at_risk) *snap.add_node_risks() = connectors::MakeNodeRisk(*engine_, r, v);
    }
  }
  {
    // Open alerts by id: the stored payloads, unless recording them failed.
    // A snapshot without them would make a re-syncing subscriber drop
    // them: refused instead, with the reason.
    auto stored = store_->OpenAlerts();
    if (!stored.ok()) {
      return Status::Unavailable("snapshot: cannot read the open alerts: " +
                                 stored.status().ToString());
    }
    for (const auto& [id, payload] : OpenAlertPayloads(*stored)) {
      // Serialized by this process from a valid Alert: it parses.
      (void)snap.add_open_alerts()->ParseFromArray(payload.data(),
                                                   static_cast<int>(payload.size()));
    }
  }
  for (const auto& [name, summary] : summaries_) *snap.add_projections() = summary;
  for (const auto& [name, plan] : plans_) *snap.add_plans() = plan;
  // Every incident not closed, then the latest closed ones (the store can
  // hold up to incidents.retain_closed of them: only their sort keys are
  // kept while choosing, and only the chosen ones parsed into the snapshot).
  auto incidents = PublishedIncidents();
  if (!incidents.ok()) return Status::Unavailable("snapshot: " + incidents.status().message());
  struct Closed {
    std::int64_t closed_at_seconds;
    std::uint64_t opened_journal_seq;
    std::size_t index;  // in *incidents
  };
  std::vector<Closed> closed;
  riskd::v1::Incident parsed;
  for (std::size_t i = 0; i < incidents->size(); ++i) {
    const auto& inc = (*incidents)[i];
    if (inc.lifecycle == riskd::v1::Incident::LIFECYCLE_CLOSED) {
      if (parsed.ParseFromString(inc.payload)) {
        closed.push_back({parsed.closed_at().seconds(), parsed.opened_journal_seq(), i});
      }
    } else if (!snap.add_incidents()->ParseFromString(inc.payload)) {
      snap.mutable_incidents()->RemoveLast();
    }
  }
  constexpr std::size_t kClosedInSnapshot = 50;
  const auto latest_first = [](const Closed& a, const Closed& b) {
    return a.closed_at_seconds != b.closed_at_seconds ? a.closed_at_seconds > b.closed_at_seconds
                                                      : a.opened_journal_seq > b.opened_journal_seq;
  };
  const std::size_t kept = std::min(closed.size(), kClosedInSnapshot);
  std::partial_sort(closed.begin(), closed.begin() + static_cast<std::ptrdiff_t>(kept),
                    closed.end(), latest_first);
  for (std::size_t i = 0; i < kept; ++i) {
    (void)snap.add_incidents()->ParseFromString((*incidents)[closed[i].index].payload);
  }
  footprints_.AppendActive(snap.mutable_footprints());
  for (const auto& [name, history] : summary_history_) {
    for (const auto& summary : history) *snap.add_recent_projections() = summary;
  }
  snap.set_network_version(net.version());
  connectors::SetTimestamp(NowUnixNs(), snap.mutable_taken_at());
  connectors::SetTimestamp(connectors::ModelTimeUnixNs(*engine_, settings_->step_seconds),
                           snap.mutable_model_time());
  return snap;
}

// Long on purpose: one short case per Query kind, the dispatch table of the
// query protocol (docs/protocol.md).
riskd::v1::Ack EngineWorker::Answer(const riskd::v1::Envelope& env) {
  riskd::v1::Ack ack;
  ack.set_event_id(env.event_id());
  ack.set_result(riskd::v1::Ack::RESULT_ACCEPTED);
  ack.set_journal_seq(applied_seq_);
  const auto& q = env.query();
  auto* resp = ack.mutable_response();
  auto reject = [&](const Status& st) {
    ack.clear_response();
    ack.set_result(riskd::v1::Ack::RESULT_REJECTED);
    ack.set_reason(st.ToString());
  };
  switch (q.what_case()) {
    case riskd::v1::Query::kNodeRisk: {
      for (const auto& id : q.node_risk().node_ids()) {
        auto v = engine_->network().Find(id);
        if (!v) {
          reject(Status::NotFound("query.node_risk: node '" + id + "' is not in the network"));
          return ack;
        }
        for (int r = 0; r < engine_->risk_type_count(); ++r) {
          if (!q.node_risk().risk_type().empty() &&
              engine_->risk_state(r).type().name != q.node_risk().risk_type()) {
            continue;
          }
          *resp->add_node_risks() = connectors::MakeNodeRisk(*engine_, r, *v);
        }
      }
      break;
    }
    case riskd::v1::Query::kProjection:
      for (const auto& [name, summary] : summaries_) {
        if (q.projection().risk_type().empty() || q.projection().risk_type() == name) {
          *resp->add_projections() = summary;
        }
      }
      break;
    case riskd::v1::Query::kSnapshot: {
      auto snap = MakeSnapshot();
      if (!snap.ok()) {
        reject(snap.status());
        return ack;
      }
      *resp->mutable_snapshot() = std::move(*snap);
      break;
    }
    case riskd::v1::Query::kNetwork: {
      const auto& net = engine_->network();
      resp->mutable_network_nodes()->Reserve(static_cast<int>(net.node_count()));
      for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
        if (net.alive(v)) connectors::ToNodeSpec(net.node(v), resp->add_network_nodes());
      }
      resp->set_network_version(net.version());
      break;
    }
    case riskd::v1::Query::kPlan: {
      const int k = q.plan().k();
      if (k < 1 || k > settings_->planner.max_query_k) {
        reject(Status::InvalidArgument("query.plan: k must be in 1.." +
                                       std::to_string(settings_->planner.max_query_k)));
        return ack;
      }
      const std::string& name = q.plan().risk_type().empty()
                                    ? settings_->risk_type_resolver.default_risk_type
                                    : q.plan().risk_type();
      const auto r = engine_->FindRiskType(name);
      if (!r) {
        reject(Status::NotFound("query.plan: unknown risk type '" + name + "'"));
        return ack;
      }
      auto plan = ComputePlan(*r, k);
      if (!plan.ok()) {
        reject(plan.status().WithContext("query.plan"));
        return ack;
      }
      *resp->mutable_plan() = connectors::MakePlan(
          *engine_, *r, k, *plan, {settings_->step_seconds, applied_seq_, NowUnixNs()});
      break;
    }
    case riskd::v1::Query::kIncident: {
      const engine::Incident* inc = book_.Find(q.incident().incident_id());
      if (!inc) {
        reject(
            Status::NotFound("query.incident: no incident '" + q.incident().incident_id() + "'"));
        return ack;
      }
      const std::size_t max_nodes =
          q.incident().max_nodes() > 0 ? static_cast<std::size_t>(q.incident().max_nodes()) : 100;
      const std::uint64_t key = inc->key;
      connectors::FillIncident(*engine_, book_, *inc,
                               {settings_->step_seconds, applied_seq_, NowUnixNs()},
                               resp->mutable_incident());
      for (const auto& node : book_.NodesOf(*engine_, key, max_nodes)) {
        connectors::FillIncidentNode(engine_->network(), node, resp->add_incident_nodes());
      }
      break;
    }
    case riskd::v1::Query::kStatus:  // answered by the socket thread
    case riskd::v1::Query::WHAT_NOT_SET:
      reject(Status::InvalidArgument("query: no question set"));
      break;
  }
  return ack;
}

void EngineWorker::BadEventMessage(std::size_t frames, std::size_t left_over) {
  // Only a bug between the threads (pipeline.h) makes one: its events are
  // journaled but not applied, which must not go unnoticed.
  if (auto held = bad_event_lines_.Allow()) {
    spdlog::error(
        "engine: a malformed events message from the ingest thread: {} frame(s), {} "
        "byte(s) left over that are not a whole event; its events are not applied{}",
        frames, left_over,
        *held ? " (" + std::to_string(*held) + " similar line(s) not logged)" : "");
  }
}

void EngineWorker::Run() {
  struct PendingQuery {
    riskd::v1::Envelope envelope;
    std::vector<zmq::message_t> routing;
  };
  bool stopping = false;
  while (!stopping) {
    // Checks pending (projection.defer_check): look for events without
    // waiting, refine a slice when there are none.
    const bool refine = RefinePending();
    zmq::pollitem_t item{events_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(refine ? 0 : 200));
    // Between rounds, before anything of this turn is published: a lease
    // granted while the loop waited covers the round that follows.
    AnnounceEpoch();
    TickWallClock();
    if (!(item.revents & ZMQ_POLLIN)) {
      refine_scheduler_.Idle();
      ReleaseScratchIfDue();
      SyncStateIfDue("syncing the state file when idle");
      if (RefinePending()) RefineAndPublish(/*yield_to_events=*/true);
      RefreshPostponedSpectral();
      MaybeCheckpoint(false);  // idle: also the first after a long replay
      PublishDuePlans();       // idle: plans whose interval has passed
      continue;
    }
    const auto round_start = std::chrono::steady_clock::now();
    // Drain everything already queued: events that arrived while the last
    // projection ran are coalesced into one projection.
    bool any_event = false;
    std::size_t round_events = 0;
    std::int64_t oldest_received_ns = 0;  // of the round's events (wall clock)
    std::vector<PendingQuery> queries;
    for (std::size_t n = 0; n < 65536; ++n) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(*events_, std::back_inserter(frames), zmq::recv_flags::dontwait))
        break;
      const char kind = frames[0].size() ? *frames[0].data<char>() : '?';
      if (kind == kEventFrame && frames.size() == 2) {
        std::string_view events(frames[1].data<char>(), frames[1].size());
        ForwardedEvent e;
        while (EventBatch::Next(&events, &e)) {
          const std::int64_t received_ns = e.received_unix_ns;
          Apply(e.seq, e.payload, true, received_ns);
          if (round_events++ == 0 || received_ns < oldest_received_ns) {
            oldest_received_ns = received_ns;
          }
          any_event = true;
          stats_.requests_done.fetch_add(1, std::memory_order_release);
        }
        if (!events.empty()) BadEventMessage(frames.size(), events.size());
      } else if (kind == kEventFrame) {
        BadEventMessage(frames.size(), 0);
      } else if (kind == kQueryFrame && frames.size() >= 2) {
        PendingQuery q;
        (void)q.envelope.ParseFromString(frames[1].to_string());
        for (std::size_t i = 2; i < frames.size(); ++i) q.routing.push_back(std::move(frames[i]));
        queries.push_back(std::move(q));
      } else if (kind == kSettingsFrame && frames.size() == 2) {
        // Re-project with new thresholds or rates.
        any_event |= UseSettings(static_cast<const DaemonSettings*>(DecodeSettings(frames[1])));
      } else if (kind == kStopFrame) {
        stopping = true;
        break;
      }
    }
    if (any_event) {
      const auto applied = std::chrono::steady_clock::now();
      const std::int64_t applied_unix_ns = NowUnixNs();
      const double projection_ms = ProjectAndPublish();
      // Where an event's time goes on its way to the alerts (bench/README.md
      // "Event to alert"): waiting since the ingest thread received it, this
      // round's applying, projecting, and publishing.
      using Ms = std::chrono::duration<double, std::milli>;
      const double round_ms = Ms(std::chrono::steady_clock::now() - applied).count();
      spdlog::debug(
          "round of {} event(s): oldest received {:.2f} ms before applied, applied in {:.2f} "
          "ms, projected in {:.2f} ms, published in {:.2f} ms",
          round_events, static_cast<double>(applied_unix_ns - oldest_received_ns) / 1e6,
          Ms(applied - round_start).count(), projection_ms, round_ms - projection_ms);
    }
    // Queries see checked values, as from a daemon that checks first: the
    // checks pending now run (and publish) before they are answered.
    while (!queries.empty() && RefinePending()) RefineAndPublish(/*yield_to_events=*/false);
    // ... and a spectral radius up to date.
    if (!queries.empty()) RefreshPostponedSpectral();
    for (auto& q : queries) {
      const std::string ack = Answer(q.envelope).SerializeAsString();
      for (auto& r : q.routing) replies_->send(r, zmq::send_flags::sndmore);
      replies_->send(zmq::buffer(ack), zmq::send_flags::none);
      stats_.requests_done.fetch_add(1, std::memory_order_release);
    }
    refine_scheduler_.RoundDone(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - round_start).count());
    if (stopping) break;
    MaybeCheckpoint(false);
    // Under a steady load the loop is never idle: the round's publications
    // are synced here too, at most once a second (one fsync of the state
    // file's WAL), so a power loss loses about a second of them, not up to
    // the next reservation (docs/operations.md, "Durability").
    SyncStateIfDue("syncing the state file under load");
    BindStateToJournal();
    const bool waiting = EventsWaiting();
    if (!waiting) {
      ReleaseScratchIfDue();  // before the plan and the check below
      PublishDuePlans();
    }
    // Between rounds: one slice, unless events wait and refinement had its
    // share of the thread (refinement.h). A slice started with no event
    // waiting yields to the next one; one that takes its share does not.
    if (RefinePending() && refine_scheduler_.MayRefine(waiting, settings_->refine)) {
      RefineAndPublish(/*yield_to_events=*/!waiting);
    }
  }
  // A clean stop leaves a checkpoint of everything applied: the next start
  // replays nothing.
  MaybeCheckpoint(true);
  // Drained: every event and query before the stop frame is done.
  replies_->send(zmq::buffer(&kStopFrame, 1), zmq::send_flags::none);
  spdlog::info("engine thread stopped at journal seq {}", applied_seq_);
}

}  // namespace riskd::daemon
