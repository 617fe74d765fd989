#include "daemon/alert_forwarder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <zmq_addon.hpp>

#include "daemon/log_text.h"
#include "daemon/pipeline.h"

namespace riskd::daemon {

AlertForwarder::AlertForwarder(zmq::context_t* context, Options options)
    : context_(context), options_(std::move(options)) {}

AlertForwarder::~AlertForwarder() { Stop(); }

Status AlertForwarder::Start(const std::string& publish_endpoint,
                             const std::optional<connectors::CurveClientKeys>& curve) {
  try {
    sub_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::sub);
    if (curve) ApplyCurveClient(*sub_, *curve);
    sub_->set(zmq::sockopt::linger, 0);
    sub_->set(zmq::sockopt::subscribe, "alert.");
    sub_->set(zmq::sockopt::subscribe, "incident.");
    sub_->connect(publish_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("alert forwarder: ") + e.what());
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void AlertForwarder::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void AlertForwarder::Queue(connectors::PostableAlert alert) {
  if (pending_.size() >= options_.max_pending) {
    pending_.pop_front();
    stats_.dropped.fetch_add(1, std::memory_order_relaxed);
  }
  pending_.push_back(std::move(alert));
}

void AlertForwarder::Take(const riskd::v1::Alert& alert) {
  auto it = open_.find(alert.alert_id());
  // The level is Alertmanager's severity label: a change of level is a new
  // Alertmanager alert, so the old label set is resolved explicitly.
  if (it != open_.end() && it->second.severity() != alert.severity()) {
    Queue({it->second, /*resolved=*/true});
  }
  if (alert.lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
    if (it != open_.end()) open_.erase(it);
  } else {
    open_[alert.alert_id()] = alert;
  }
  Queue({alert, false});
}

void AlertForwarder::Take(const riskd::v1::Incident& incident) {
  auto it = incidents_.find(incident.incident_id());
  // Its level is the severity label: a new level is a new Alertmanager alert.
  if (it != incidents_.end() && it->second.level() != incident.level()) {
    Queue({{}, /*resolved=*/true, it->second});
  }
  const bool over = connectors::IncidentIsOver(incident);
  if (over) {
    if (it != incidents_.end()) incidents_.erase(it);
  } else {
    incidents_[incident.incident_id()] = incident;
  }
  Queue({{}, false, incident});
  // Its alerts resolved in bulk (all of them once it is over).
  for (const auto& id : incident.resolved_alert_ids()) {
    auto a = open_.find(id);
    if (a == open_.end()) continue;
    Queue({a->second, /*resolved=*/true});
    open_.erase(a);
  }
  if (!over) return;
  for (auto a = open_.begin(); a != open_.end();) {
    if (a->second.incident_id() != incident.incident_id()) {
      ++a;
      continue;
    }
    Queue({a->second, /*resolved=*/true});
    a = open_.erase(a);
  }
}

void AlertForwarder::NewAdoption(const connectors::Publisher::Adoption& adoption) {
  const std::size_t held = open_.size() + incidents_.size();
  if (held > 0 || !pending_.empty()) {
    spdlog::info(
        "alertmanager: publishing under epoch {} after epoch {}; forgetting {} open alert(s) "
        "and incident(s) and {} pending change(s) of the earlier term",
        adoption.epoch, adoption_.epoch, held, pending_.size());
  }
  stats_.forgotten.fetch_add(held, std::memory_order_relaxed);
  open_.clear();
  incidents_.clear();
  pending_.clear();
  adoption_ = adoption;
}

void AlertForwarder::Run() {
  const connectors::AlertmanagerClient client(options_.client);
  using Clock = std::chrono::steady_clock;
  auto next_resend = Clock::now() + options_.resend_interval;
  auto next_attempt = Clock::now();
  std::chrono::milliseconds backoff{500};
  while (!stop_) {
    zmq::pollitem_t item{sub_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    std::vector<riskd::v1::Publication> received;
    while (true) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(*sub_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
      riskd::v1::Publication pub;
      if (frames.size() != 2 ||
          !pub.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) {
        continue;
      }
      received.push_back(std::move(pub));
    }
    bool posting = true;
    if (options_.adoption) {
      // Read after receiving: what was sent under the adoption read was
      // sent after its announcement, so none of that is mistaken for an
      // earlier adoption's; what was sent under another is of a term that
      // is over.
      const auto adoption = options_.adoption();
      // Only another epoch means another instance may have published
      // meanwhile (an epoch is the lease's revision at its acquisition): a
      // lapse that comes back under the same epoch (a renewal answered
      // after the deadline) keeps what is open and only paused posting.
      if (adoption.epoch != 0 && adoption.epoch != adoption_.epoch) NewAdoption(adoption);
      std::erase_if(received, [&](const auto& pub) {
        return adoption.epoch == 0 || pub.epoch() != adoption.epoch ||
               pub.sequence() <= adoption.after_sequence;
      });
      posting = adoption.granted;
    }
    for (const auto& pub : received) {
      if (pub.has_alert()) Take(pub.alert());
      if (pub.has_incident()) Take(pub.incident());
    }
    if (!posting) continue;  // standing by (or the lease lapsed): nothing posted
    const auto now = Clock::now();
    if (now >= next_resend) {
      for (const auto& [id, alert] : open_) Queue({alert, false});
      for (const auto& [id, incident] : incidents_) Queue({{}, false, incident});
      next_resend = now + options_.resend_interval;
    }
    if (pending_.empty() || now < next_attempt) continue;
    std::vector<connectors::PostableAlert> batch(pending_.begin(), pending_.end());
    const std::string body = connectors::ToAlertmanagerJson(
        batch, NowUnixNs(), 4 * options_.resend_interval, options_.generator_url);
    const Status st = client.Post(body);
    if (st.ok()) {
      stats_.posted.fetch_add(batch.size(), std::memory_order_relaxed);
      pending_.clear();
      backoff = std::chrono::milliseconds(500);
      next_attempt = now;
    } else {
      stats_.post_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("alertmanager: {} ({} alert change(s) pending, retry in {} ms)",
                   LogSafe(st.ToString()), pending_.size(), backoff.count());
      next_attempt = now + backoff;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
    }
  }
}

}  // namespace riskd::daemon
