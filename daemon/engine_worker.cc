#include "daemon/engine_worker.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <iterator>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "daemon/log_text.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {

using connectors::OutputContext;

EngineWorker::EngineWorker(const DaemonSettings* settings, std::unique_ptr<engine::Engine> engine,
                           std::unique_ptr<connectors::StateStore> store)
    : settings_(settings),
      engine_(std::move(engine)),
      store_(std::move(store)),
      footprints_(settings->timing.step_ns),
      planner_(settings->planner.options),
      plan_schedule_(static_cast<std::size_t>(engine_->risk_type_count())) {}

void EngineWorker::Apply(std::uint64_t seq, std::string_view payload, bool live,
                         std::int64_t received_ns) {
  riskd::v1::Envelope env;
  Status st;
  if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    st = Status::Corruption("journaled payload does not parse");
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
    std::size_t affected = 0;
    std::vector<engine::NodeIndex> hit;
    st = connectors::ApplyEnvelope(env, settings_->risk_types, engine_.get(), &affected,
                                   settings_->timing, &hit);
    unprojected_events_ = true;
    if (st.ok() && env.has_clock_tick()) {
      manual_clock_ns_ = connectors::UnixNs(env.clock_tick().advance_to());
    }
    if (st.ok() && env.has_disruption() && env.disruption().has_place() && live) {
      spdlog::info("event {} ({}): disruption place covers {} node(s)", seq, LogSafe(env.event_id()),
                   affected);
    }
    if (st.ok() && env.has_disruption()) TrackFootprint(seq, env, std::move(hit));
    if (st.ok() && observation && live && env.has_occurred_at()) {
      const engine::Step at =
          connectors::StepOfUnixNs(connectors::UnixNs(env.occurred_at()), settings_->timing.step_ns);
      if (at < engine_->now() - settings_->engine.clock.history_window_steps) {
        spdlog::info("event {} ({}) occurred before the history window (clock.history_window): "
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
  applied_seq_ = seq;
  stats_.last_applied_seq.store(seq, std::memory_order_relaxed);
}

void EngineWorker::UseCheckpoints(std::unique_ptr<connectors::CheckpointStore> store,
                                  std::string fingerprint, std::uint64_t restored_seq,
                                  std::optional<std::int64_t> manual_clock_ns) {
  checkpoints_ = std::move(store);
  checkpoint_fingerprint_ = std::move(fingerprint);
  checkpointed_seq_ = restored_seq;
  applied_seq_ = restored_seq;
  stats_.last_applied_seq.store(restored_seq, std::memory_order_relaxed);
  manual_clock_ns_ = manual_clock_ns;
}

void EngineWorker::MaybeCheckpoint(bool now) {
  const std::uint64_t interval = settings_->checkpoint_interval_events;
  if (!checkpoints_ || interval == 0 || applied_seq_ <= checkpointed_seq_) return;
  if (!now && applied_seq_ - checkpointed_seq_ < interval) return;
  const auto t0 = std::chrono::steady_clock::now();
  auto saved = checkpoints_->Save(applied_seq_, checkpoint_fingerprint_, manual_clock_ns_,
                                  engine_->network(), engine_->Checkpoint());
  // Tried once per interval: a failing disk is not retried after every batch.
  checkpointed_seq_ = applied_seq_;
  if (!saved.ok()) {
    stats_.checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
    if (auto held = checkpoint_errors_.Allow()) {
      spdlog::error("checkpoint at journal seq {} not written: {}{}", applied_seq_,
                    LogSafe(saved.status().ToString()),
                    *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
    }
    return;
  }
  stats_.checkpoint_seq.store(applied_seq_, std::memory_order_relaxed);
  spdlog::info("checkpoint at journal seq {}: {:.1f} MB in {:.1f} ms", applied_seq_,
               static_cast<double>(saved->bytes) / 1e6,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

void EngineWorker::TrackFootprint(std::uint64_t seq, const riskd::v1::Envelope& env,
                                  std::vector<engine::NodeIndex> hit) {
  const auto& d = env.disruption();
  // Applied, so its risk type resolves.
  const auto name = settings_->risk_types.Resolve(d.risk_type(), d.hazard());
  const auto r = name.ok() ? engine_->FindRiskType(*name) : std::nullopt;
  if (!r) return;
  // Where ApplyEnvelope placed it on the model clock.
  const engine::Step at =
      env.has_occurred_at()
          ? connectors::StepOfUnixNs(connectors::UnixNs(env.occurred_at()), settings_->timing.step_ns)
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
}

void EngineWorker::TickWallClock() {
  if (settings_->clock.manual) return;
  const engine::Step step = connectors::StepOfUnixNs(NowUnixNs(), settings_->timing.step_ns);
  if (step <= engine_->now()) return;
  (void)engine_->AdvanceClock(step);
  spdlog::info("model clock tick: {}", LogSafe(ModelTimeText()));
  ProjectAndPublish();
}

std::string EngineWorker::ModelTimeText() const {
  google::protobuf::Timestamp t;
  connectors::SetTimestamp(connectors::UnixNsOfStep(engine_->now(), settings_->timing.step_ns), &t);
  return google::protobuf::util::TimeUtil::ToString(t);
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

Status EngineWorker::Recover() {
  auto open = store_->OpenAlerts();
  if (!open.ok()) return open.status();
  for (const auto& a : *open) {
    auto r = engine_->FindRiskType(a.risk_type);
    auto v = engine_->network().Find(a.node_id);
    riskd::v1::Alert alert;
    if (!r || !v || !alert.ParseFromString(a.payload)) {
      spdlog::warn("stored alert {} no longer matches the configuration; dropped", LogSafe(a.alert_id));
      continue;
    }
    engine::OpenAlert oa;
    oa.level = alert.severity() == riskd::v1::SEVERITY_CRITICAL ? engine::AlertLevel::kCritical
                                                                 : engine::AlertLevel::kWarning;
    oa.probability = a.probability;
    oa.eta = a.eta_steps;
    oa.raised_tag = a.raised_tag;
    engine_->RestoreAlert(*r, *v, oa);
    open_alerts_.insert(a.alert_id);
  }
  spdlog::info("recovered {} open alert(s); publication sequence {}", open_alerts_.size(),
               restored_sequence_);
  // Footprints that started or ended before the restart were published then.
  footprints_.DropChanges(*engine_);
  ProjectAndPublish();
  ReportUnsent();
  MaybeCheckpoint(false);  // after a long replay: the next start need not repeat it
  return Status::Ok();
}

void EngineWorker::ProjectAndPublish() {
  unprojected_events_ = false;
  // Footprints first: a page sees the hazard, then the risk it spreads.
  PublishFootprints();
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> projected = engine_->Project(applied_seq_);
  if (projected.empty()) return;
  const double compute_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  stats_.projections.fetch_add(1, std::memory_order_relaxed);

  OutputContext ctx{settings_->step_seconds, applied_seq_, NowUnixNs()};
  struct Outgoing {
    std::string topic;
    riskd::v1::Publication pub;
  };
  // Messages go out in chunks: a projection can change alerts on most of
  // the network (85k on the 100k-node benchmark), and holding every
  // Publication and its stored row at once cost more memory than the engine.
  // Each chunk is persisted before it is sent, so what subscribers see is
  // always in SQLite.
  constexpr std::size_t kChunk = 4096;
  std::vector<Outgoing> out;
  std::vector<connectors::StoredAlert> stored;
  std::size_t published = 0;
  auto flush = [&] {
    const Status st = store_->RecordAlerts(stored, publisher_->last_sequence());
    if (!st.ok()) {
      if (auto held = record_errors_.Allow()) {
        spdlog::error("cannot record alerts: {}{}", LogSafe(st.ToString()),
                      *held ? " (" + std::to_string(*held) + " similar failure(s) not logged)" : "");
      }
      for (const auto& a : stored) {
        if (open_alerts_.count(a.alert_id)) unrecorded_alerts_[a.alert_id] = a.payload;
      }
    } else if (!unrecorded_alerts_.empty()) {
      for (const auto& a : stored) unrecorded_alerts_.erase(a.alert_id);
    }
    for (const auto& o : out) publisher_->Send(o.topic, o.pub);
    published += stored.size();
    out.clear();
    stored.clear();
  };
  out.reserve(kChunk);
  stored.reserve(kChunk);
  for (int r : projected) {
    for (const auto& change : engine_->risk_state(r).last_changes) {
      Outgoing o;
      *o.pub.mutable_alert() = connectors::MakeAlert(*engine_, r, change, ctx);
      o.topic = connectors::AlertTopic(o.pub.alert());
      publisher_->Stamp(&o.pub, ctx.computed_at_unix_ns);
      const auto& a = o.pub.alert();
      stored.push_back({a.alert_id(), a.risk_type(), a.node_id(), a.lifecycle(), a.severity(),
                        a.probability(), a.eta_steps(), change.raised_tag, o.pub.sequence(),
                        a.SerializeAsString()});
      if (a.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
        open_alerts_.erase(a.alert_id());
        unrecorded_alerts_.erase(a.alert_id());
      } else {
        open_alerts_.insert(a.alert_id());
      }
      out.push_back(std::move(o));
      if (out.size() >= kChunk) flush();
    }
    for (auto& changes : risk_deltas_.TakeChanges(*engine_, r, applied_seq_)) {
      Outgoing c;
      c.topic = connectors::RiskTopic(changes.risk_type());
      *c.pub.mutable_node_risk_changes() = std::move(changes);
      publisher_->Stamp(&c.pub, ctx.computed_at_unix_ns);
      out.push_back(std::move(c));
      if (out.size() >= kChunk) flush();
    }
    Outgoing s;
    *s.pub.mutable_projection_summary() = connectors::MakeSummary(*engine_, r, ctx, compute_ms);
    s.topic = connectors::SummaryTopic(engine_->risk_state(r).type.name);
    publisher_->Stamp(&s.pub, ctx.computed_at_unix_ns);
    summaries_[engine_->risk_state(r).type.name] = s.pub.projection_summary();
    auto& history = summary_history_[engine_->risk_state(r).type.name];
    history.push_back(s.pub.projection_summary());
    if (history.size() > kSummaryHistory) history.pop_front();
    out.push_back(std::move(s));
  }
  flush();
  stats_.alerts_published.fetch_add(published, std::memory_order_relaxed);
  ReportUnsent();
  spdlog::debug("projection at journal seq {}: {} alert change(s) in {:.2f} ms", applied_seq_,
                published, compute_ms);
  MarkPlansDue(projected);
}

Result<engine::immunization::Plan> EngineWorker::ComputePlan(int risk_type, int k) {
  const auto& state = engine_->risk_state(risk_type);
  const engine::InitialState initial =
      engine::InitialState::FromObservations(engine_->network(), state.observed);
  const auto graph = engine_->Graph(risk_type);
  return planner_.MakePlan({.network = &engine_->network(),
                            .layers = state.type.layers,
                            .state = &initial,
                            .transmission = graph.get(),
                            .horizon = settings_->engine.dmp.horizon},
                           k);
}

void EngineWorker::MarkPlansDue(const std::vector<int>& projected) {
  if (settings_->planner.k == 0) return;
  for (int r : projected) {
    auto& schedule = plan_schedule_[static_cast<std::size_t>(r)];
    const double previous = schedule.published ? schedule.expected_at_plan : 0.0;
    if (MaterialChange(settings_->planner, previous,
                       engine_->risk_state(r).projection.expected_disrupted)) {
      schedule.due = true;
    }
  }
}

void EngineWorker::PublishDuePlans() {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(settings_->planner.min_interval_seconds);
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    auto& schedule = plan_schedule_[static_cast<std::size_t>(r)];
    if (!schedule.due || (schedule.published && now - schedule.published_at < interval)) continue;
    auto plan = ComputePlan(r, settings_->planner.k);
    schedule.due = false;
    const std::string& name = engine_->risk_state(r).type.name;
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
    schedule.expected_at_plan = engine_->risk_state(r).projection.expected_disrupted;
    stats_.plans_published.fetch_add(1, std::memory_order_relaxed);
    ReportUnsent();
    spdlog::info(
        "immunization plan for {} at journal seq {}: {} target(s), expected disrupted {:.3g} -> "
        "{:.3g} on {} outbreaks, {:.1f} ms",
        name, applied_seq_, plan->targets.size(), plan->expected_before, plan->expected_after,
        plan->realizations, ms);
  }
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
    const auto& now = engine_->risk_state(*r).type;
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

riskd::v1::Snapshot EngineWorker::MakeSnapshot() const {
  riskd::v1::Snapshot snap;
  snap.set_sequence(publisher_->last_sequence());
  snap.set_journal_seq(applied_seq_);
  const auto& net = engine_->network();
  for (int r = 0; r < engine_->risk_type_count(); ++r) {
    const auto& s = engine_->risk_state(r);
    for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
      if (!net.alive(v)) continue;
      const bool observed = s.observed[v].state != engine::NodeState::kSusceptible;
      const bool at_risk = s.projected && s.projection.risk[v] > 0;
      if (observed || at_risk) *snap.add_node_risks() = connectors::MakeNodeRisk(*engine_, r, v);
    }
  }
  {
    // Open alerts by id: the stored payloads, unless recording them failed.
    auto stored = store_->OpenAlerts();
    if (!stored.ok()) {
      spdlog::error("snapshot: cannot read the open alerts: {}", stored.status().ToString());
    }
    std::map<std::string_view, std::string_view> payloads;
    if (stored.ok()) {
      for (const auto& a : *stored) {
        if (open_alerts_.count(a.alert_id)) payloads.emplace(a.alert_id, a.payload);
      }
    }
    for (const auto& [id, payload] : unrecorded_alerts_) payloads[id] = payload;
    for (const auto& [id, payload] : payloads) {
      // Serialized by this process from a valid Alert: it parses.
      (void)snap.add_open_alerts()->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
    }
  }
  for (const auto& [name, summary] : summaries_) *snap.add_projections() = summary;
  for (const auto& [name, plan] : plans_) *snap.add_plans() = plan;
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
              engine_->risk_state(r).type.name != q.node_risk().risk_type()) {
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
    case riskd::v1::Query::kSnapshot:
      *resp->mutable_snapshot() = MakeSnapshot();
      break;
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
                                    ? settings_->risk_types.default_risk_type
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
    case riskd::v1::Query::kStatus:  // answered by the socket thread
    case riskd::v1::Query::WHAT_NOT_SET:
      reject(Status::InvalidArgument("query: no question set"));
      break;
  }
  return ack;
}

void EngineWorker::Run() {
  struct PendingQuery {
    riskd::v1::Envelope envelope;
    std::vector<zmq::message_t> routing;
  };
  bool stopping = false;
  while (!stopping) {
    zmq::pollitem_t item{events_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(200));
    TickWallClock();
    if (!(item.revents & ZMQ_POLLIN)) {
      PublishDuePlans();  // idle: plans whose interval has passed
      continue;
    }
    // Drain everything already queued: events that arrived while the last
    // projection ran are coalesced into one projection.
    bool any_event = false;
    std::vector<PendingQuery> queries;
    for (std::size_t n = 0; n < 65536; ++n) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(*events_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
      const char kind = frames[0].size() ? *frames[0].data<char>() : '?';
      if (kind == kEventFrame) {
        for (std::size_t f = 1; f + 1 < frames.size(); f += 2) {
          Apply(DecodeSeq(frames[f].data(), frames[f].size()),
                std::string_view(frames[f + 1].data<char>(), frames[f + 1].size()), true);
          any_event = true;
        }
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
    if (any_event) ProjectAndPublish();
    for (auto& q : queries) {
      const std::string ack = Answer(q.envelope).SerializeAsString();
      for (auto& r : q.routing) replies_->send(r, zmq::send_flags::sndmore);
      replies_->send(zmq::buffer(ack), zmq::send_flags::none);
    }
    if (!stopping) MaybeCheckpoint(false);
    if (!stopping && !EventsWaiting()) PublishDuePlans();
  }
  // A clean stop leaves a checkpoint of everything applied: the next start
  // replays nothing.
  MaybeCheckpoint(true);
  // Drained: every event and query before the stop frame is done.
  replies_->send(zmq::buffer(&kStopFrame, 1), zmq::send_flags::none);
  spdlog::info("engine thread stopped at journal seq {}", applied_seq_);
}

}  // namespace riskd::daemon
