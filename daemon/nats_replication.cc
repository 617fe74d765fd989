#include "daemon/nats_replication.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace riskd::daemon {
namespace {

// How long start-up waits for a NATS cluster that does not answer yet.
constexpr std::chrono::seconds kStartupWait{30};

}  // namespace

Result<std::unique_ptr<NatsReplication>> NatsReplication::Open(const DaemonSettings& settings,
                                                               connectors::Journal* mirror,
                                                               const engine::Network& network) {
  const NatsSettings& n = settings.nats;
  std::unique_ptr<NatsReplication> r(new NatsReplication());
  r->settings_ = &settings;
  connectors::nats::NatsOptions options;
  options.servers = n.servers;
  options.name = "riskd-" + n.instance;
  options.timeout = n.timeout;
  auto connection = connectors::nats::NatsConnection::Connect(options);
  if (!connection.ok()) return connection.status();
  r->connection_ = std::move(*connection);
  // A cluster that is starting (or electing) answers `unavailable` for a
  // while: wait for it, up to kStartupWait.
  const auto deadline = std::chrono::steady_clock::now() + kStartupWait;
  auto retry = [&](const Status& st) {
    if (st.code() != Status::Code::kUnavailable || std::chrono::steady_clock::now() >= deadline)
      return false;
    spdlog::warn("waiting for NATS: {}", st.ToString());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return true;
  };
  while (true) {
    auto log = StreamEventLog::Open(settings, r->connection_.get(), mirror, network);
    if (log.ok()) {
      r->log_ = std::move(*log);
      break;
    }
    if (!retry(log.status())) return log.status();
  }
  if (n.lease) {
    connectors::nats::LeaseOptions lo;
    lo.bucket = n.lease_bucket;
    lo.key = n.lease_key;
    lo.holder = n.instance;
    lo.ttl = n.lease_ttl;
    lo.renew_interval = n.lease_renew_interval;
    lo.acquire_interval = n.lease_acquire_interval;
    lo.replicas = n.replicas;
    while (true) {
      auto lease = connectors::nats::Lease::Open(r->connection_.get(), lo);
      if (lease.ok()) {
        r->lease_ = std::move(*lease);
        break;
      }
      if (!retry(lease.status())) return lease.status();
    }
  }
  r->subjects_ =
      std::make_unique<connectors::nats::SubjectPublisher>(r->connection_.get(), n.publish_prefix);
  spdlog::info("event log: JetStream stream {} (subject {}) as instance '{}'{}", n.stream,
               n.subject, n.instance, n.lease ? ", active/standby" : "");
  return r;
}

NatsReplication::~NatsReplication() {
  StopFollower();
  if (lease_) lease_->Stop(false);
}

void NatsReplication::Start(zmq::context_t* context, std::optional<std::int64_t> manual_clock_ns) {
  log_->Start(context, manual_clock_ns);
  if (!lease_) return;
  const auto& o = lease_->options();
  auto holder = lease_->Holder();
  if (holder.ok() && holder->has_value()) {
    spdlog::info("lease {}/{} is held by '{}' (revision {}): standing by", o.bucket, o.key,
                 (*holder)->name, (*holder)->revision);
  }
  lease_->Start([log = log_.get()] { return log->caught_up(); },
                [o](std::uint64_t epoch, const std::string& why) {
                  if (epoch != 0) {
                    spdlog::info("lease {}/{} {}: active, epoch {}", o.bucket, o.key, why, epoch);
                  } else {
                    spdlog::warn("lease {}/{}: standing by: {}", o.bucket, o.key, why);
                  }
                });
}

void NatsReplication::StopFollower() {
  if (log_) log_->Stop();
}

void NatsReplication::Stop() {
  StopFollower();
  if (lease_) lease_->Stop(true);
}

void NatsReplication::FillStatus(riskd::v1::DaemonStatus* status) const {
  status->set_nats_instance(settings_->nats.instance);
  status->set_stream_read_seq(log_->stats().read_seq.load());
}

void NatsReplication::UpdateMetrics(connectors::MetricsServer* metrics) const {
  auto& m = *metrics;
  const auto& f = log_->stats();
  m.SetGauge("riskd_stream_read_seq", "Last stream sequence the follower read",
             static_cast<double>(f.read_seq.load()));
  m.SetGauge("riskd_stream_pending_events", "Stream messages the follower has not read yet",
             static_cast<double>(f.pending.load()));
  m.SetCounter("riskd_stream_mirrored_total", "Stream events mirrored and passed to the engine",
               f.mirrored.load());
  m.SetCounter("riskd_stream_rejected_total", "Stream messages skipped as invalid (see the log)",
               f.rejected.load());
  m.SetCounter("riskd_stream_late_duplicates_total",
               "Stream messages skipped because their event id was already applied",
               f.late_duplicates.load());
  m.SetCounter("riskd_stream_read_errors_total", "Failed reads from the stream",
               f.read_errors.load());
  m.SetCounter(
      "riskd_stream_reads_refused_total",
      "Consumer starts and batches that are not what the stream's leader holds (or when it "
      "could not say), refused",
      f.reads_refused.load());
  m.SetCounter("riskd_stream_jumps_taken_total",
               "Stream messages past a jump in the sequence (other subjects' messages, deleted "
               "ones) taken on the stream leader's word, without re-creating the consumer",
               f.jumps_taken.load());
  m.SetCounter("riskd_stream_lost_deliveries_total",
               "Jumps in the stream sequence the stream's leader contradicted past deliveries "
               "lost on the way (the consumer sequence skipped too), and consumer starts past a "
               "lost first delivery, each read again from a re-created consumer",
               f.lost_deliveries.load());
  m.SetCounter("riskd_stream_jump_mismatches_total",
               "Jumps in the stream sequence the stream's leader contradicted with no delivery "
               "lost (a replica that lacks or diverged from its messages), each read again from "
               "a re-created consumer",
               f.jump_mismatches.load());
  m.SetCounter("riskd_nats_publications_total", "Publications sent on NATS subjects",
               subjects_->sent());
  if (!lease_) return;
  const auto epoch = lease_->CurrentEpoch();
  m.SetGauge("riskd_lease_active", "1 while this instance holds the lease (active), else 0",
             epoch ? 1.0 : 0.0);
  m.SetGauge("riskd_lease_epoch", "Fencing epoch while active, else 0",
             static_cast<double>(epoch.value_or(0)));
  const auto& l = lease_->stats();
  m.SetCounter("riskd_lease_acquisitions_total", "Times this instance became active",
               l.acquisitions.load());
  m.SetCounter("riskd_lease_losses_total", "Times this instance stopped being active",
               l.losses.load());
  m.SetCounter("riskd_lease_renew_failures_total", "Lease renewals that failed and were retried",
               l.renew_failures.load());
}

}  // namespace riskd::daemon
