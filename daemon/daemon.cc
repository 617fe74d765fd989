#include "daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <malloc.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "connectors/codec/output_codec.h"
#include "connectors/importers/importer.h"
#include "connectors/store/state_store.h"
#include "daemon/base_network.h"
#include "daemon/checkpoints.h"
#include "daemon/config_reload.h"
#include "daemon/listener_rule.h"
#include "daemon/pipeline.h"
#include "daemon/signal_mask.h"

namespace riskd::daemon {

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonSettings settings, Progress progress,
                                              StopRequested stop_requested) {
  const auto go_on = [&](const char* next) {
    return stop_requested && stop_requested()
               ? Status::Aborted(std::string("stop requested before ") + next)
               : Status::Ok();
  };
  std::unique_ptr<Daemon> d(new Daemon());
  d->settings_ = std::make_unique<DaemonSettings>(std::move(settings));
  RISKD_RETURN_IF_ERROR(d->OpenStore());
  RISKD_RETURN_IF_ERROR(go_on("loading the network"));
  RISKD_RETURN_IF_ERROR(d->LoadNetwork());
  RISKD_RETURN_IF_ERROR(go_on("the journal replay"));
  RISKD_RETURN_IF_ERROR(d->Replay(progress, stop_requested));
  RISKD_RETURN_IF_ERROR(go_on("opening the event log"));
  RISKD_RETURN_IF_ERROR(d->OpenEventLog());
  RISKD_RETURN_IF_ERROR(go_on("binding the endpoints"));
  RISKD_RETURN_IF_ERROR(d->Bind());
  return d;
}

Status Daemon::OpenStore() {
  const DaemonSettings& s = *settings_;
  std::error_code ec;
  std::filesystem::create_directories(s.state_dir, ec);
  if (ec) return Status::IoError("cannot create state_dir '" + s.state_dir + "': " + ec.message());
  // The state store first: it has its own file (`<database>.state`) and
  // moves its tables out of the journal's file if an earlier riskd left
  // them there, which it does before anything is appended to the journal
  // (connectors/store/state_store.h).
  auto store = connectors::StateStore::Open(s.database);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  if (!store_->moved_tables().empty()) {
    spdlog::info("moved the state tables ({}) from {} into {} (done once)",
                 fmt::join(store_->moved_tables(), ", "), s.database,
                 connectors::StateStore::PathFor(s.database));
  }
  if (!store_->dropped_leftover_tables().empty()) {
    spdlog::warn("dropped the state tables ({}) from {}: {}",
                 fmt::join(store_->dropped_leftover_tables(), ", "), s.database,
                 store_->dropped_leftovers_why());
  }
  if (store_->created_beside_journal_seq() > 0) {
    spdlog::warn(
        "created {} beside a journal of {} event(s) with no state to move (a journal restored"
        " without its state file?): the state is re-derived from the journal and published"
        " afresh, and the publication sequence starts again from 0",
        connectors::StateStore::PathFor(s.database), store_->created_beside_journal_seq());
  }
  auto journal = connectors::Journal::Open(s.database);
  if (!journal.ok()) return journal.status();
  journal_ = std::move(*journal);
  // A broken hash chain (rows modified, deleted or reordered) is reported;
  // appending to it needs the operator's word.
  auto chain = journal_->Verify();
  if (!chain.ok()) return chain.status().WithContext("journal");
  journal_intact_ = chain->ok;
  if (!chain->ok) {
    spdlog::critical(
        "journal hash chain broken at seq {}: {} ({} rows intact before it); {} "
        "(riskctl verify-journal --db {})",
        chain->first_bad_seq, chain->problem, chain->rows,
        s.accept_broken_journal
            ? "appending anyway (--accept-broken-journal)"
            : "events are refused until riskd restarts with --accept-broken-journal",
        s.database);
  }
  // A state file of another journal, or ahead of this one (two backups
  // restored together that were not taken together), would be combined
  // with it silently: refused, saying which file and what to do. Checked
  // after the chain: a journal whose first or last rows were deleted or
  // modified fails this check too, and is then reported as the damage it
  // is (the operator's --accept-broken-journal covers it), not as a mix-up
  // of backups.
  const Status belongs = store_->CheckJournal(s.database);
  if (!belongs.ok() && !chain->ok) {
    if (!s.accept_broken_journal) {
      return Status::FailedPrecondition(
          "the journal " + s.database + " is damaged (hash chain broken at seq " +
          std::to_string(chain->first_bad_seq) + ": " + chain->problem +
          "; riskctl verify-journal --db " + s.database +
          "), and the state file does not match it: " + belongs.message() +
          ". If the journal lost or changed rows in place, restart with "
          "--accept-broken-journal to keep this state file with it");
    }
    spdlog::critical(
        "the state file does not match the damaged journal, kept anyway "
        "(--accept-broken-journal): {}",
        LogSafe(belongs.message()));
    return Status::Ok();
  }
  return belongs;
}

Status Daemon::LoadNetwork() {
  const DaemonSettings& s = *settings_;
  if (s.checkpoint_interval_events > 0) {
    auto store = connectors::CheckpointStore::Open(s.database);
    checkpoints_ =
        store.ok() ? std::move(*store) : RecoverCheckpointStore(s.database, store.status());
  }
  if (checkpoints_) {
    auto digest = NetworkSourceDigest(s.config.network(), s.config_dir);
    if (!digest.ok()) return digest.status().WithContext("network");
    checkpoint_fingerprint_ = CheckpointFingerprint(s, *digest);
    if (s.reimport_network) {
      spdlog::info("re-importing the network: the checkpoint is not used");
    } else {
      auto restored = RestoreFromCheckpoint(checkpoints_.get(), s, checkpoint_fingerprint_,
                                            journal_->last_seq());
      if (!restored.ok()) {
        checkpoints_.reset();  // closed before its files move
        checkpoints_ = RecoverCheckpointStore(s.database, restored.status());
        spdlog::info("replaying the whole journal");
      } else if (*restored) {
        engine_ = std::move((*restored)->engine);
        restored_seq_ = (*restored)->header.journal_seq;
        restored_manual_clock_ns_ = (*restored)->manual_clock_ns;
        restored_state_ = std::move((*restored)->daemon);
        return Status::Ok();
      }
    }
  }
  auto base = LoadBaseNetwork(store_.get(), s.config.network(), s.config_dir, s.reimport_network);
  if (!base.ok()) return base.status();
  auto engine = engine::Engine::Create(s.engine, std::move(base->network));
  if (!engine.ok()) return engine.status();
  engine_ = std::move(*engine);
  return Status::Ok();
}

Status Daemon::Replay(const Progress& progress, const StopRequested& stop_requested) {
  incident_ids_ = std::make_unique<IncidentIds>();
  worker_ = std::make_unique<EngineWorker>(settings_.get(), std::move(engine_), std::move(store_),
                                           incident_ids_.get());
  if (checkpoints_) {
    RISKD_RETURN_IF_ERROR(worker_->UseCheckpoints(std::move(checkpoints_), checkpoint_fingerprint_,
                                                  restored_seq_, restored_manual_clock_ns_,
                                                  std::move(restored_state_)));
  }
  // Every journaled event after the checkpoint (all without one), in
  // order: the engine reaches the state it had.
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t tail = journal_->last_seq() - std::min(journal_->last_seq(), restored_seq_);
  RISKD_RETURN_IF_ERROR(journal_->ForEach(restored_seq_, [&](std::uint64_t seq,
                                                             const connectors::JournalEntry& e) {
    if (replayed_ % 1000 == 0 && stop_requested && stop_requested()) {
      return Status::Aborted("stop requested during the journal replay, after " +
                             std::to_string(replayed_) + " of " + std::to_string(tail) + " events");
    }
    worker_->Replay(seq, e.payload, e.received_unix_ns);
    if (++replayed_ % 10000 == 0 && progress) {
      progress("replayed " + std::to_string(replayed_) + " of " + std::to_string(tail) +
               " journaled events");
    }
    return Status::Ok();
  }));
  spdlog::info(
      "replayed {} journaled event(s) after journal seq {} in {:.1f} ms", replayed_, restored_seq_,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return Status::Ok();
}

Status Daemon::OpenEventLog() {
  const DaemonSettings& s = *settings_;
  if (!s.nats.enabled) {
    if (const Status st = journal_->SetOrigin(""); !st.ok()) {
      return Status::FailedPrecondition(
          st.message() +
          "; this state directory mirrors a NATS stream: keep the nats "
          "config, or start with an empty state_dir");
    }
    journal_log_ = std::make_unique<JournalEventLog>(journal_.get());
    event_log_ = journal_log_.get();
    return Status::Ok();
  }
  auto nats = NatsReplication::Open(s, journal_.get(), worker_->network());
  if (!nats.ok()) return nats.status();
  nats_ = std::move(*nats);
  event_log_ = nats_->event_log();
  worker_->SetOutputs(nats_->fence(), nats_->sink(), s.nats.instance);
  return Status::Ok();
}

Status Daemon::Bind() {
  const DaemonSettings& s = *settings_;
  // Helper threads started here never take a signal (signal_mask.h).
  BlockSignals signals_stay_with_the_socket_thread;
  if (!s.server_key.public_key.empty()) {
    // The daemon's own feed poller and Alertmanager forwarder connect over
    // inproc to the same CURVE sockets, with a key pair made for this run.
    auto internal = connectors::GenerateCurveKeyPair();
    if (!internal.ok()) return internal.status();
    internal_client_ = connectors::CurveClientKeys{s.server_key.public_key, *internal};
    auto allowed = s.allowed_clients;
    allowed[internal->public_key] = {connectors::ClientRole::kProducer, "riskd-internal"};
    if (s.dashboard.enabled()) {
      auto dashboard = connectors::GenerateCurveKeyPair();
      if (!dashboard.ok()) return dashboard.status();
      dashboard_client_ = connectors::CurveClientKeys{s.server_key.public_key, *dashboard};
      allowed[dashboard->public_key] = {connectors::ClientRole::kAdmin, "riskd-dashboard"};
    }
    auto zap = connectors::ZapHandler::Start(
        &context_, std::move(allowed), [r = &refusals_](const connectors::ZapDenial& d) {
          if (d.reason == "unknown_key") {
            r->Record(RefusalReason::kUnknownKey, "CURVE key " + d.public_key + " from " +
                                                      d.address + " is not in security.clients");
          } else {
            r->Record(RefusalReason::kHandshakeFailed, "a ZAP request from " + d.address +
                                                           " (mechanism " + d.mechanism +
                                                           ") could not be read");
          }
        });
    if (!zap.ok()) return zap.status();
    zap_ = std::move(*zap);
    spdlog::info("CURVE on: {} client key(s) allowed", s.allowed_clients.size());
  }
  RISKD_RETURN_IF_ERROR(worker_->Bind(&context_));
  worker_->StartClock();
  RISKD_RETURN_IF_ERROR(worker_->Recover(journal_intact_));
  // Loading freed its temporaries (parsed rows, edge batches, CSR rebuilds,
  // the first transmission graph's scratch) in this thread's malloc arena,
  // which the engine thread does not allocate from: hand the free pages back
  // to the kernel rather than keep them resident for the daemon's lifetime.
  ::malloc_trim(0);
  // The ingest thread's view of node ids is the network after replay.
  ingest_ = std::make_unique<IngestLoop>(
      &s, event_log_, connectors::NodeDirectory(worker_->network()), incident_ids_.get());
  RISKD_RETURN_IF_ERROR(ingest_->Bind(&context_, &worker_->stats().requests_done, &refusals_,
                                      kPublishMonitorEndpoint));
  // Read before the engine thread starts: the clock is its own from then on.
  const std::optional<std::int64_t> manual_clock_ns = worker_->manual_clock_ns();
  ingest_->SetModelClock(manual_clock_ns);
  started_unix_ns_ = NowUnixNs();
  ingest_->SetStatusSource([this] { return MakeStatus(); });
  if (!journal_intact_ && !s.accept_broken_journal) {
    ingest_->RefuseEvents(Status::FailedPrecondition(
        "the journal's hash chain is broken; events are refused until the operator restarts riskd "
        "with --accept-broken-journal"));
  }
  for (const Listener& l : ConfiguredListeners(s)) {
    if (!l.loopback && !l.authenticated && l.opted_out) {
      spdlog::warn(
          "{} '{}' listens off loopback without authentication ({}): anyone who can reach it may "
          "{}",
          l.key, LogSafe(l.address), l.opt_out_with, l.exposes);
    }
  }
  if (!s.metrics_listen.empty()) {
    auto metrics = connectors::MetricsServer::Start(s.metrics_listen, s.metrics_users);
    if (!metrics.ok()) return metrics.status();
    metrics_ = std::move(*metrics);
    spdlog::info("metrics on http://{}/metrics (port {})", s.metrics_listen, metrics_->port());
  }
  engine_thread_ = std::thread([w = worker_.get()] { w->Run(); });
  // Named for top -H, perf and the benchmarks' CPU accounting.
  ::pthread_setname_np(engine_thread_.native_handle(), "riskd-engine");
  if (nats_) nats_->Start(&context_, manual_clock_ns);
  RISKD_RETURN_IF_ERROR(StartFeeds(s));
  RISKD_RETURN_IF_ERROR(StartAlertForwarder(s));
  return StartDashboard(s);
}

Status Daemon::StartDashboard(const DaemonSettings& s) {
  if (!s.dashboard.enabled()) return Status::Ok();
  connectors::DashboardServer::Options options;
  options.settings = s.dashboard;
  options.context = &context_;
  options.ingest_endpoint = kInprocIngestEndpoint;
  options.publish_endpoint = kInprocPublishEndpoint;
  options.curve = dashboard_client_;
  options.audit = [](const std::string& line) { spdlog::info("{}", line); };
  BlockSignals signals_stay_with_the_socket_thread;
  auto dashboard = connectors::DashboardServer::Start(std::move(options));
  if (!dashboard.ok()) return dashboard.status();
  dashboard_ = std::move(*dashboard);
  spdlog::info("dashboard on {}", dashboard_->url());
  if (!s.dashboard.loopback && s.dashboard.anonymous_read) {
    spdlog::warn(
        "dashboard: anonymous_read is on for a non-loopback address: anyone who reaches {} "
        "can read the network and its risks",
        s.dashboard.listen);
  }
  return Status::Ok();
}

Status Daemon::StartFeeds(const DaemonSettings& s) {
  auto feeds = FeedPoller::Create(s, &context_);
  if (!feeds.ok()) return feeds.status();
  BlockSignals signals_stay_with_the_socket_thread;
  if (feeds_) feeds_->Stop();
  feeds_ = std::move(*feeds);
  feeds_->Start(internal_client_);
  return Status::Ok();
}

Status Daemon::StartAlertForwarder(const DaemonSettings& s) {
  BlockSignals signals_stay_with_the_socket_thread;
  if (alertmanager_) alertmanager_->Stop();
  alertmanager_.reset();
  if (s.alertmanager_url.empty()) return Status::Ok();
  AlertForwarder::Options options;
  options.client.url = s.alertmanager_url;
  options.client.timeout =
      std::chrono::milliseconds(static_cast<long>(s.alertmanager_timeout_s * 1000));
  options.resend_interval = std::chrono::seconds(static_cast<long>(s.alertmanager_resend_s));
  options.generator_url = s.config.alertmanager().generator_url();
  if (nats_) {
    // Posts only what this instance publishes (alert_forwarder.h).
    options.adoption = [w = worker_.get()] { return w->adoption(); };
  }
  alertmanager_ = std::make_unique<AlertForwarder>(&context_, options);
  return alertmanager_->Start(kInprocPublishEndpoint, internal_client_);
}

Result<std::string> Daemon::Reload(const std::string& config_path) {
  auto fresh = LoadSettings(config_path);
  auto plan = fresh.ok() ? PlanReload(*settings_, *fresh) : Result<ReloadPlan>(fresh.status());
  if (!plan.ok()) {
    ++reloads_failed_;
    return plan.status();
  }
  auto join = [](const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? std::string("none") : out;
  };
  ++reloads_;
  const std::string summary =
      "applied: " + join(plan->live) + "; changed but kept until a restart: " + join(plan->restart);
  if (plan->live.empty()) return summary;  // the running settings stay as they are
  auto next = std::make_unique<DaemonSettings>(std::move(plan->applied));
  auto changed = [&](std::string_view prefix) {
    return std::any_of(plan->live.begin(), plan->live.end(),
                       [&](const std::string& k) { return k.rfind(prefix, 0) == 0; });
  };
  // What can fail first: the running configuration stays if it does.
  if (changed("feeds")) {
    if (auto st = FeedPoller::Create(*next, &context_).status(); !st.ok()) {
      --reloads_;
      ++reloads_failed_;
      return st;
    }
  }
  spdlog::set_level(spdlog::level::from_str(next->log_level));
  ingest_->UseSettings(next.get());
  ingest_->ForwardSettings(next.get());  // the engine thread, after the events before it
  if (changed("feeds")) RISKD_RETURN_IF_ERROR(StartFeeds(*next));
  if (changed("alertmanager")) RISKD_RETURN_IF_ERROR(StartAlertForwarder(*next));
  retired_settings_.push_back(std::move(settings_));
  settings_ = std::move(next);
  return summary;
}

riskd::v1::DaemonStatus Daemon::MakeStatus() const {
  riskd::v1::DaemonStatus st;
  st.set_version(RISKD_VERSION);
  connectors::SetTimestamp(started_unix_ns_, st.mutable_started_at());
  // Applied first: read after the journal's, an event journaled and
  // applied in between would put it past journal_last_seq.
  const auto& w = worker_->stats();
  st.set_engine_applied_seq(w.last_applied_seq.load());
  st.set_journal_last_seq(event_log_->last_seq());
  st.set_journal_chain_intact(journal_intact_);
  const auto& in = ingest_->stats();
  st.set_received(in.received.load());
  st.set_accepted(in.accepted.load());
  st.set_duplicates(in.duplicates.load());
  st.set_rejected(in.rejected.load());
  st.set_queries(in.queries.load());
  st.set_publication_sequence(w.publication_sequence.load());
  st.set_open_alerts(w.open_alerts.load());
  st.set_reloads(reloads_);
  st.set_reloads_failed(reloads_failed_);
  st.set_restored_checkpoint_seq(restored_seq_);
  st.set_replayed_at_start(replayed_);
  st.set_checkpoint_seq(w.checkpoint_seq.load());
  if (nats_) {
    nats_->FillStatus(&st);
    st.set_epoch(worker_->publishing_epoch());
  }
  return st;
}

// Long on purpose: one Set call per exported series; a flat list is the
// easiest to check against docs/configuration.md's list of metrics.
void Daemon::UpdateMetrics() {
  if (!metrics_) return;
  auto& m = *metrics_;
  const auto& in = ingest_->stats();
  m.SetCounter("riskd_ingest_received_total", "Envelopes received on the ingest socket",
               in.received);
  m.SetCounter("riskd_ingest_accepted_total", "Events journaled and acknowledged ACCEPTED",
               in.accepted);
  m.SetCounter("riskd_ingest_duplicates_total", "Events answered DUPLICATE", in.duplicates);
  m.SetCounter("riskd_ingest_rejected_total", "Envelopes rejected (the Ack says why)", in.rejected);
  for (std::size_t code = 1; code < in.rejected_by_code.size(); ++code) {
    const std::uint64_t n = in.rejected_by_code[code].load(std::memory_order_relaxed);
    if (n == 0) continue;  // a series appears with its first rejection
    m.SetCounter("riskd_ingest_rejected_by_reason_total",
                 "Envelopes rejected, by the code their Ack's reason starts with",
                 {{"code", std::string(Status::CodeName(static_cast<Status::Code>(code)))}}, n);
  }
  const auto bounds = std::vector<double>(connectors::LatencyHistogram::kBounds.begin(),
                                          connectors::LatencyHistogram::kBounds.end());
  m.SetHistogram("riskd_journal_commit_seconds",
                 "Time to commit one batch of events to the journal", bounds,
                 in.journal_commit.Counts(), in.journal_commit.SumSeconds());
  m.SetCounter("riskd_ingest_queries_total", "Queries answered", in.queries);
  m.SetCounter("riskd_journal_batches_total", "Journal transactions (group commits)", in.batches);
  m.SetCounter(
      "riskd_ingest_disconnects_total",
      "Producer connections closed (by the producer, or for a message over the transport limit)",
      in.disconnects);
  for (std::size_t e = 0; e < in.aborted_handshakes.size(); ++e) {
    m.SetCounter("riskd_aborted_handshakes_total",
                 "Without CURVE: connections the peer closed before the ZMTP handshake finished "
                 "(e.g. a TCP health check), by endpoint",
                 {{"endpoint", e == 0 ? "ingest" : "publish"}},
                 in.aborted_handshakes[e].load(std::memory_order_relaxed));
  }
  m.SetCounter("riskd_journal_failures_total",
               "Batches the journal could not commit (answered unavailable)", in.journal_failures);
  m.SetCounter("riskd_ingest_interrupted_total",
               "Socket calls a signal interrupted on the ingest thread (each retried)",
               in.interrupted);
  for (std::size_t r = 0; r < kRefusalReasons; ++r) {
    const auto reason = static_cast<RefusalReason>(r);
    m.SetCounter(
        "riskd_security_refusals_total",
        "Connections and requests refused for who the peer is or what it may do, by reason",
        {{"reason", std::string(RefusalReasonName(reason))}}, refusals_.count(reason));
  }
  m.SetCounter("riskd_config_reloads_total", "Configuration reloads applied (SIGHUP)", reloads_);
  m.SetCounter("riskd_config_reload_failures_total", "Configuration reloads refused (invalid file)",
               reloads_failed_);
  m.SetGauge("riskd_journal_chain_intact",
             "1 when the journal's hash chain verified at start, 0 when it is broken",
             journal_intact_ ? 1 : 0);
  const std::uint64_t last_seq = event_log_->last_seq();
  m.SetGauge("riskd_journal_last_seq", "Sequence of the last journaled event",
             static_cast<double>(last_seq));
  const auto& w = worker_->stats();
  m.SetCounter("riskd_engine_events_applied_total", "Journaled events applied to the engine",
               w.events_applied);
  m.SetCounter("riskd_engine_events_not_applied_total",
               "Journaled events the engine could not apply (see the log)", w.events_not_applied);
  m.SetCounter("riskd_projections_total", "Projection rounds", w.projections);
  m.SetHistogram("riskd_projection_seconds", "Time of each projection round (Engine::Project)",
                 bounds, w.projection.Counts(), w.projection.SumSeconds());
  m.SetCounter("riskd_incidents_published_total", "Incident publications", w.incidents_published);
  m.SetCounter("riskd_plans_published_total", "Immunization plans published", w.plans_published);
  m.SetCounter("riskd_plans_interrupted_total",
               "Immunization plans abandoned because an event arrived (planned again when idle)",
               w.plans_interrupted);
  {
    std::lock_guard<std::mutex> lock(w.gauges.mu);
    for (const auto& g : w.gauges.entries) m.SetGauge(g.name, g.help, g.labels, g.value);
  }
  m.SetCounter("riskd_alerts_published_total", "Alert changes published", w.alerts_published);
  m.SetCounter("riskd_publications_unsent_total",
               "Publications not sent because their sequence could not be reserved (disk error)",
               w.publications_unsent);
  m.SetGauge("riskd_checkpoint_seq", "Journal sequence covered by the newest checkpoint written",
             static_cast<double>(w.checkpoint_seq.load()));
  m.SetCounter("riskd_checkpoint_failures_total",
               "Checkpoints that could not be written (see the log)", w.checkpoint_failures);
  m.SetGauge("riskd_engine_applied_seq", "Journal sequence the engine has applied",
             static_cast<double>(w.last_applied_seq.load()));
  m.SetGauge("riskd_engine_lag_events", "Journaled events not yet applied by the engine",
             static_cast<double>(last_seq - std::min(last_seq, w.last_applied_seq.load())));
  if (nats_) {
    nats_->UpdateMetrics(&m);
    m.SetCounter("riskd_publications_fenced_total",
                 "Publications not sent because this instance did not hold the lease (standby)",
                 w.publications_fenced);
    m.SetGauge("riskd_publishing_epoch",
               "Epoch this instance publishes under (adopted and still granted by the lease), "
               "else 0",
               static_cast<double>(worker_->publishing_epoch()));
    m.SetCounter("riskd_announcements_without_incidents_total",
                 "Epochs this instance adopted without announcing the open incidents (the state "
                 "store could not be read for a few seconds; see the log)",
                 w.announcements_without_incidents);
  }
  const auto& f = feeds_->stats();
  m.SetCounter("riskd_feed_polls_total", "Feed documents read", f.polls);
  m.SetCounter("riskd_feed_read_errors_total", "Feed documents that could not be read or parsed",
               f.read_errors);
  m.SetCounter("riskd_feed_accepted_total", "Feed events accepted", f.accepted);
  if (dashboard_) {
    const auto& h = dashboard_->stats();
    m.SetCounter("riskd_dashboard_requests_total", "HTTP requests to the dashboard", h.requests);
    m.SetCounter("riskd_dashboard_refused_total", "Dashboard requests refused (401, 403)",
                 h.refused);
    m.SetCounter("riskd_dashboard_actions_total", "Actions dashboard users sent", h.actions);
    m.SetGauge("riskd_dashboard_streams", "Browsers on the live stream",
               static_cast<double>(h.stream_clients.load()));
    m.SetCounter("riskd_dashboard_backlog_drops_total",
                 "Browser backlogs dropped (the page resyncs)",
                 dashboard_->fanout_stats().overflows);
  }
  if (alertmanager_) {
    const auto& a = alertmanager_->stats();
    m.SetCounter("riskd_alertmanager_posted_total", "Alerts delivered to Alertmanager", a.posted);
    m.SetCounter("riskd_alertmanager_failures_total", "Failed Alertmanager requests",
                 a.post_failures);
    m.SetCounter("riskd_alertmanager_forgotten_total",
                 "Open alerts and incidents the forwarder forgot because this instance stopped "
                 "publishing (active/standby: the instance publishing posts its own)",
                 a.forgotten);
    m.SetCounter("riskd_alertmanager_dropped_total",
                 "Alert changes dropped while Alertmanager was unreachable", a.dropped);
  }
}

void Daemon::Serve(const std::function<void()>& tick) {
  UpdateMetrics();
  ingest_->Run(&stop_, [&] {
    UpdateMetrics();
    tick();
  });
  Drain();
}

void Daemon::Drain() {
  if (drained_) return;
  drained_ = true;
  // No new requests from browsers; those waiting for the daemon end now.
  if (dashboard_) dashboard_->Stop();
  // No new events from inside: feeds stop first, and the stream follower
  // (what it has not handed over yet is in the mirror for the next start).
  if (feeds_) feeds_->Stop();
  if (nats_) nats_->StopFollower();
  // Requests still queued are refused, the engine applies every committed
  // event and answers the queries it has, their replies are relayed.
  // (Only with an engine thread to answer: a start that failed before it
  // began has nothing to drain.)
  if (ingest_ && engine_thread_.joinable()) ingest_->Drain();
  if (engine_thread_.joinable()) engine_thread_.join();
  // Published everything: a standby may take over at once.
  if (nats_) nats_->Stop();
  if (alertmanager_) alertmanager_->Stop();
  if (zap_) zap_->Stop();
  UpdateMetrics();
}

Daemon::~Daemon() { Drain(); }

}  // namespace riskd::daemon
