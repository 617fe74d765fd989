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
#include "daemon/pipeline.h"

namespace riskd::daemon {

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonSettings settings) {
  std::unique_ptr<Daemon> d(new Daemon());
  d->settings_ = std::make_unique<DaemonSettings>(std::move(settings));
  const DaemonSettings& s = *d->settings_;

  std::error_code ec;
  std::filesystem::create_directories(s.state_dir, ec);
  if (ec) return Status::IoError("cannot create state_dir '" + s.state_dir + "': " + ec.message());

  auto store = connectors::StateStore::Open(s.database);
  if (!store.ok()) return store.status();
  auto journal = connectors::Journal::Open(s.database);
  if (!journal.ok()) return journal.status();
  d->journal_ = std::move(*journal);
  // A broken hash chain (rows modified, deleted or reordered) is reported;
  // appending to it needs the operator's word.
  auto chain = d->journal_->Verify();
  if (!chain.ok()) return chain.status().WithContext("journal");
  d->journal_intact_ = chain->ok;
  if (!chain->ok) {
    spdlog::critical(
        "journal hash chain broken at seq {}: {} ({} rows intact before it); {} "
        "(riskctl verify-journal --db {})",
        chain->first_bad_seq, chain->problem, chain->rows,
        s.accept_broken_journal ? "appending anyway (--accept-broken-journal)"
                                : "events are refused until riskd restarts with --accept-broken-journal",
        s.database);
  }

  // Network: the stored base network, or an import of the source.
  auto base = LoadBaseNetwork(store->get(), s.config.network(), s.config_dir, s.reimport_network);
  if (!base.ok()) return base.status();

  auto engine = engine::Engine::Create(s.engine, std::move(base->network));
  if (!engine.ok()) return engine.status();
  d->worker_ = std::make_unique<EngineWorker>(s, std::move(*engine), std::move(*store));

  // Replay every journaled event: the engine reaches the state it had.
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t replayed = 0;
  RISKD_RETURN_IF_ERROR(d->journal_->ForEach(0, [&](std::uint64_t seq, const connectors::JournalEntry& e) {
    d->worker_->Replay(seq, e.payload);
    ++replayed;
    return Status::Ok();
  }));
  spdlog::info("replayed {} journaled event(s) in {:.1f} ms", replayed,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());

  // The event log: the journal, or the JetStream stream it then mirrors.
  if (s.nats.enabled) {
    auto nats = NatsReplication::Open(s, d->journal_.get(), d->worker_->network());
    if (!nats.ok()) return nats.status();
    d->nats_ = std::move(*nats);
    d->event_log_ = d->nats_->event_log();
    d->worker_->SetOutputs(d->nats_->fence(), d->nats_->sink(), s.nats.instance);
  } else {
    if (const Status st = d->journal_->SetOrigin(""); !st.ok()) {
      return Status::FailedPrecondition(st.message() +
                                        "; this state directory mirrors a NATS stream: keep the nats "
                                        "config, or start with an empty state_dir");
    }
    d->journal_log_ = std::make_unique<JournalEventLog>(d->journal_.get());
    d->event_log_ = d->journal_log_.get();
  }

  if (!s.server_key.public_key.empty()) {
    // The daemon's own feed poller and Alertmanager forwarder connect over
    // inproc to the same CURVE sockets, with a key pair made for this run.
    auto internal = connectors::GenerateCurveKeyPair();
    if (!internal.ok()) return internal.status();
    d->internal_client_ = connectors::CurveClientKeys{s.server_key.public_key, *internal};
    auto allowed = s.allowed_clients;
    allowed[internal->public_key] = {connectors::ClientRole::kProducer, "riskd-internal"};
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    auto zap = connectors::ZapHandler::Start(&d->context_, std::move(allowed));
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (!zap.ok()) return zap.status();
    d->zap_ = std::move(*zap);
    spdlog::info("CURVE on: {} client key(s) allowed", s.allowed_clients.size());
  }
  RISKD_RETURN_IF_ERROR(d->worker_->Bind(&d->context_));
  RISKD_RETURN_IF_ERROR(d->worker_->Recover());
  // Loading freed its temporaries (parsed rows, edge batches, CSR rebuilds,
  // the first transmission graph's scratch) in this thread's malloc arena,
  // which the engine thread does not allocate from: hand the free pages back
  // to the kernel rather than keep them resident for the daemon's lifetime.
  ::malloc_trim(0);
  // The ingest thread's view of node ids is the network after replay.
  d->ingest_ = std::make_unique<IngestLoop>(s, d->event_log_,
                                            connectors::NodeDirectory(d->worker_->network()));
  RISKD_RETURN_IF_ERROR(d->ingest_->Bind(&d->context_));
  d->started_unix_ns_ = NowUnixNs();
  d->ingest_->SetStatusSource([p = d.get()] { return p->MakeStatus(); });
  if (!d->journal_intact_ && !s.accept_broken_journal) {
    d->ingest_->RefuseEvents(Status::FailedPrecondition(
        "the journal's hash chain is broken; events are refused until the operator restarts riskd "
        "with --accept-broken-journal"));
  }
  auto feeds = FeedPoller::Create(s, &d->context_);
  if (!feeds.ok()) return feeds.status();
  d->feeds_ = std::move(*feeds);
  if (!s.metrics_listen.empty()) {
    auto metrics = connectors::MetricsServer::Start(s.metrics_listen);
    if (!metrics.ok()) return metrics.status();
    d->metrics_ = std::move(*metrics);
    spdlog::info("metrics on http://{}/metrics (port {})", s.metrics_listen, d->metrics_->port());
  }
  if (!s.alertmanager_url.empty()) {
    AlertForwarder::Options options;
    options.client.url = s.alertmanager_url;
    options.client.timeout = std::chrono::milliseconds(static_cast<long>(s.alertmanager_timeout_s * 1000));
    options.resend_interval = std::chrono::seconds(static_cast<long>(s.alertmanager_resend_s));
    options.generator_url = s.config.alertmanager().generator_url();
    d->alertmanager_ = std::make_unique<AlertForwarder>(&d->context_, options);
  }
  // Signals go to the socket thread only: the engine thread blocks them, so
  // its blocking calls are never interrupted.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  d->engine_thread_ = std::thread([w = d->worker_.get()] { w->Run(); });
  if (d->nats_) d->nats_->Start(&d->context_);
  d->feeds_->Start(d->internal_client_);
  if (d->alertmanager_) {
    const Status st = d->alertmanager_->Start(kInprocPublishEndpoint, d->internal_client_);
    if (!st.ok()) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      return st;
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return d;
}

riskd::v1::DaemonStatus Daemon::MakeStatus() const {
  riskd::v1::DaemonStatus st;
  st.set_version(RISKD_VERSION);
  connectors::SetTimestamp(started_unix_ns_, st.mutable_started_at());
  st.set_journal_last_seq(event_log_->last_seq());
  const auto& w = worker_->stats();
  st.set_engine_applied_seq(w.last_applied_seq.load());
  st.set_journal_chain_intact(journal_intact_);
  const auto& in = ingest_->stats();
  st.set_received(in.received.load());
  st.set_accepted(in.accepted.load());
  st.set_duplicates(in.duplicates.load());
  st.set_rejected(in.rejected.load());
  st.set_queries(in.queries.load());
  st.set_publication_sequence(w.publication_sequence.load());
  st.set_open_alerts(w.open_alerts.load());
  return st;
}

void Daemon::UpdateMetrics() {
  if (!metrics_) return;
  auto& m = *metrics_;
  const auto& in = ingest_->stats();
  m.SetCounter("riskd_ingest_received_total", "Envelopes received on the ingest socket", in.received);
  m.SetCounter("riskd_ingest_accepted_total", "Events journaled and acknowledged ACCEPTED", in.accepted);
  m.SetCounter("riskd_ingest_duplicates_total", "Events answered DUPLICATE", in.duplicates);
  m.SetCounter("riskd_ingest_rejected_total", "Envelopes rejected (the Ack says why)", in.rejected);
  m.SetCounter("riskd_ingest_queries_total", "Queries answered", in.queries);
  m.SetCounter("riskd_journal_batches_total", "Journal transactions (group commits)", in.batches);
  m.SetCounter("riskd_ingest_disconnects_total",
               "Producer connections closed (by the producer, or for a message over the transport limit)",
               in.disconnects);
  m.SetCounter("riskd_journal_failures_total", "Batches the journal could not commit (answered unavailable)",
               in.journal_failures);
  m.SetCounter("riskd_ingest_interrupted_total",
               "Socket calls a signal interrupted on the ingest thread (each retried)", in.interrupted);
  m.SetGauge("riskd_journal_chain_intact",
             "1 when the journal's hash chain verified at start, 0 when it is broken",
             journal_intact_ ? 1 : 0);
  const std::uint64_t last_seq = event_log_->last_seq();
  m.SetGauge("riskd_journal_last_seq", "Sequence of the last journaled event", static_cast<double>(last_seq));
  const auto& w = worker_->stats();
  m.SetCounter("riskd_engine_events_applied_total", "Journaled events applied to the engine", w.events_applied);
  m.SetCounter("riskd_engine_events_not_applied_total",
               "Journaled events the engine could not apply (see the log)", w.events_not_applied);
  m.SetCounter("riskd_projections_total", "Projection rounds", w.projections);
  m.SetCounter("riskd_alerts_published_total", "Alert changes published", w.alerts_published);
  m.SetCounter("riskd_publications_unsent_total",
               "Publications not sent because their sequence could not be reserved (disk error)",
               w.publications_unsent);
  m.SetGauge("riskd_engine_applied_seq", "Journal sequence the engine has applied",
             static_cast<double>(w.last_applied_seq.load()));
  m.SetGauge("riskd_engine_lag_events", "Journaled events not yet applied by the engine",
             static_cast<double>(last_seq - std::min(last_seq, w.last_applied_seq.load())));
  if (nats_) {
    nats_->UpdateMetrics(&m);
    m.SetCounter("riskd_publications_fenced_total",
                 "Publications not sent because this instance did not hold the lease (standby)",
                 w.publications_fenced);
  }
  const auto& f = feeds_->stats();
  m.SetCounter("riskd_feed_polls_total", "Feed documents read", f.polls);
  m.SetCounter("riskd_feed_read_errors_total", "Feed documents that could not be read or parsed", f.read_errors);
  m.SetCounter("riskd_feed_accepted_total", "Feed events accepted", f.accepted);
  if (alertmanager_) {
    const auto& a = alertmanager_->stats();
    m.SetCounter("riskd_alertmanager_posted_total", "Alerts delivered to Alertmanager", a.posted);
    m.SetCounter("riskd_alertmanager_failures_total", "Failed Alertmanager requests", a.post_failures);
    m.SetCounter("riskd_alertmanager_dropped_total", "Alert changes dropped while Alertmanager was unreachable", a.dropped);
  }
}

void Daemon::Run(const std::atomic<bool>* stop, const std::function<void()>& tick) {
  UpdateMetrics();
  ingest_->Run(stop, [&] {
    UpdateMetrics();
    tick();
    // Nothing more from the stream once stopping: the engine drains what
    // it was handed (the rest is in the mirror for the next start).
    if (stop->load() && nats_) nats_->StopFollower();
  });
  feeds_->Stop();
  if (alertmanager_) alertmanager_->Stop();
  if (zap_) zap_->Stop();
  if (engine_thread_.joinable()) engine_thread_.join();
  if (nats_) nats_->Stop();
}

Daemon::~Daemon() {
  if (nats_) nats_->StopFollower();
  if (feeds_) feeds_->Stop();
  if (alertmanager_) alertmanager_->Stop();
  if (engine_thread_.joinable()) {
    // Run() was never called: stop the engine thread directly.
    std::atomic<bool> stop{true};
    ingest_->Run(&stop, [] {});
    engine_thread_.join();
  }
}

}  // namespace riskd::daemon
