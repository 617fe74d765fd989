#include "daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "connectors/importers/importer.h"
#include "connectors/store/state_store.h"

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

  // Network: the stored base network, or a first import of the source.
  auto has = (*store)->HasNetwork();
  if (!has.ok()) return has.status();
  Result<engine::Network> network = Status::Internal("unset");
  if (*has) {
    network = (*store)->LoadNetwork();
  } else {
    network = connectors::ImportNetwork(s.config.network(), s.config_dir);
    if (network.ok()) {
      RISKD_RETURN_IF_ERROR((*store)->SaveNetwork(*network));
      spdlog::info("imported base network: {} nodes, {} edges", network->node_count(),
                   network->edge_count());
    }
  }
  if (!network.ok()) return network.status().WithContext("network");

  auto engine = engine::Engine::Create(s.engine, std::move(*network));
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

  RISKD_RETURN_IF_ERROR(d->worker_->Bind(&d->context_));
  RISKD_RETURN_IF_ERROR(d->worker_->Recover());
  // The ingest thread's view of node ids is the network after replay.
  d->ingest_ = std::make_unique<IngestLoop>(s, d->journal_.get(),
                                            connectors::NodeDirectory(d->worker_->network()));
  RISKD_RETURN_IF_ERROR(d->ingest_->Bind(&d->context_));
  auto feeds = FeedPoller::Create(s, &d->context_);
  if (!feeds.ok()) return feeds.status();
  d->feeds_ = std::move(*feeds);
  // Signals go to the socket thread only: the engine thread blocks them, so
  // its blocking calls are never interrupted.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  d->engine_thread_ = std::thread([w = d->worker_.get()] { w->Run(); });
  d->feeds_->Start();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return d;
}

void Daemon::Run(const std::atomic<bool>* stop, const std::function<void()>& tick) {
  ingest_->Run(stop, tick);
  feeds_->Stop();
  if (engine_thread_.joinable()) engine_thread_.join();
}

Daemon::~Daemon() {
  if (feeds_) feeds_->Stop();
  if (engine_thread_.joinable()) {
    // Run() was never called: stop the engine thread directly.
    std::atomic<bool> stop{true};
    ingest_->Run(&stop, [] {});
    engine_thread_.join();
  }
}

}  // namespace riskd::daemon
