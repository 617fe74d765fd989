// The engine thread's publishing under the lease (EngineWorker::AnnounceEpoch)
// with the fence and the second destination (NATS subjects in the daemon)
// held by the test: a lease that lapses and comes back under the same epoch
// (a renewal answered after its deadline), which real NATS cannot be made
// to do on cue, and a new epoch. Everything else is real: the demo network,
// the state store, the engine thread and its inproc channels.
#include "daemon/engine_worker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq_addon.hpp>

#include "connectors/alertmanager/alertmanager_client.h"
#include "connectors/codec/output_codec.h"
#include "daemon/base_network.h"
#include "daemon/incident_ids.h"
#include "daemon/pipeline.h"
#include "daemon/settings.h"

namespace riskd::daemon {
namespace {

namespace fs = std::filesystem;
using riskd::v1::Incident;
using riskd::v1::Publication;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The lease, as the test says.
class TestFence final : public connectors::PublicationFence {
 public:
  std::optional<std::uint64_t> CurrentEpoch() const override {
    std::lock_guard lock(mu_);
    return epoch_;
  }
  void Grant(std::uint64_t epoch) {
    std::lock_guard lock(mu_);
    epoch_ = epoch;
  }
  void Lapse() {
    std::lock_guard lock(mu_);
    epoch_.reset();
  }

 private:
  mutable std::mutex mu_;
  std::optional<std::uint64_t> epoch_;
};

// Every message sent, in order.
class TestSink final : public connectors::PublicationSink {
 public:
  void Send(const std::string&, const std::string& payload) override {
    Publication pub;
    EXPECT_TRUE(pub.ParseFromString(payload));
    std::lock_guard lock(mu_);
    sent_.push_back(std::move(pub));
    if (lapse_ != nullptr) std::exchange(lapse_, nullptr)->Lapse();
  }
  // The lease lapses right after the next message is sent (then the
  // publisher sends nothing more until it is granted again).
  void LapseAfterNextSend(TestFence* fence) {
    std::lock_guard lock(mu_);
    lapse_ = fence;
  }
  std::vector<Publication> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Publication> sent_;
  TestFence* lapse_ = nullptr;
};

template <typename Pred>
bool WaitFor(Pred pred, seconds timeout = seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

std::string SourceDir() {
  const char* s = std::getenv("RISKD_SOURCE_DIR");
  return s ? s : RISKD_SOURCE_DIR_DEFAULT;
}

// The open incident and the open alerts among `pubs`, by id (latest).
struct Open {
  std::map<std::string, Incident> incidents;
  std::map<std::string, riskd::v1::Alert> alerts;
};
Open OpenIn(const std::vector<Publication>& pubs) {
  Open open;
  for (const auto& p : pubs) {
    if (p.has_incident()) {
      if (connectors::IncidentIsOver(p.incident())) {
        open.incidents.erase(p.incident().incident_id());
        for (auto a = open.alerts.begin(); a != open.alerts.end();) {
          a = a->second.incident_id() == p.incident().incident_id() ? open.alerts.erase(a)
                                                                    : std::next(a);
        }
      } else {
        open.incidents[p.incident().incident_id()] = p.incident();
      }
      for (const auto& id : p.incident().resolved_alert_ids()) open.alerts.erase(id);
    }
    if (p.has_alert()) {
      if (p.alert().lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
        open.alerts.erase(p.alert().alert_id());
      } else {
        open.alerts[p.alert().alert_id()] = p.alert();
      }
    }
  }
  return open;
}

// The incident closings among `pubs`.
std::size_t ClosingsIn(const std::vector<Publication>& pubs) {
  return static_cast<std::size_t>(std::count_if(pubs.begin(), pubs.end(), [](const auto& p) {
    return p.has_incident() && p.incident().lifecycle() == Incident::LIFECYCLE_CLOSED;
  }));
}

// The alerts resolved one by one (Alert messages) among `pubs`.
std::set<std::string> ResolutionsIn(const std::vector<Publication>& pubs) {
  std::set<std::string> ids;
  for (const auto& p : pubs) {
    if (p.has_alert() && p.alert().lifecycle() == riskd::v1::Alert::LIFECYCLE_RESOLVED) {
      ids.insert(p.alert().alert_id());
    }
  }
  return ids;
}

// Every alert (raised or resolved) among `pubs` follows a message of its
// incident among them: an announcement names incidents its subscribers know.
void ExpectAlertsAfterTheirIncidents(const std::vector<Publication>& pubs) {
  std::set<std::string> incidents;
  for (const auto& p : pubs) {
    if (p.has_incident()) incidents.insert(p.incident().incident_id());
    if (p.has_alert()) {
      EXPECT_TRUE(incidents.count(p.alert().incident_id()))
          << "alert " << p.alert().alert_id() << " before its incident " << p.alert().incident_id();
    }
  }
}

class EngineWorkerTest : public ::testing::Test {
 protected:
  // What a test's fixture adds to the configuration, and changes in the
  // settings parsed from it.
  virtual std::string ExtraConfig() const { return ""; }
  virtual void AdjustSettings(DaemonSettings*) const {}
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("engine_worker_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string demo = SourceDir() + "/config/demo/";
    config_ = "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
              "edges.csv\" } }\nprojection { method: METHOD_DMP }\nplanner { k: 0 }\n" +
              ExtraConfig();
    auto settings = ParseSettings(config_, dir_.string());
    ASSERT_TRUE(settings.ok()) << settings.status().ToString();
    settings_ = std::move(*settings);
    AdjustSettings(&settings_);
    settings_.publish_endpoint = "inproc://engine-worker-test";
    auto store = connectors::StateStore::Open((dir_ / "riskd.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto base = LoadBaseNetwork(store->get(), settings_.config.network(), settings_.config_dir,
                                /*reimport=*/false);
    ASSERT_TRUE(base.ok()) << base.status().ToString();
    auto engine = engine::Engine::Create(settings_.engine, std::move(base->network));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    worker_ = std::make_unique<EngineWorker>(&settings_, std::move(*engine), std::move(*store),
                                             &incident_ids_);
    worker_->SetOutputs(&fence_, &sink_, "t");
    ASSERT_TRUE(worker_->Bind(&context_).ok());
    worker_->StartClock();
    ASSERT_TRUE(worker_->Recover(/*journal_intact=*/true).ok());
    events_ = zmq::socket_t(context_, zmq::socket_type::push);
    events_.set(zmq::sockopt::linger, 0);
    events_.connect(kEventsEndpoint);
    replies_ = zmq::socket_t(context_, zmq::socket_type::pull);
    replies_.set(zmq::sockopt::linger, 0);
    replies_.connect(kRepliesEndpoint);
    thread_ = std::thread([this] { worker_->Run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      (void)events_.send(zmq::buffer(&kStopFrame, 1), zmq::send_flags::none);
      std::vector<zmq::message_t> frames;
      while (zmq::recv_multipart(replies_, std::back_inserter(frames)) && !IsStopMessage(frames)) {
        frames.clear();
      }
      thread_.join();
    }
    worker_.reset();
    fs::remove_all(dir_);
  }

  // Queues the next event and waits until the engine thread applied it
  // and published its round: a query queued behind it is answered after
  // the round.
  void Apply(const riskd::v1::Envelope& env) {
    const std::string payload = env.SerializeAsString();
    EventBatch batch;
    batch.Add(++seq_, NowUnixNs(), payload);
    ASSERT_TRUE(zmq::send_multipart(events_, batch.Message()));
    riskd::v1::Ack ack;
    ASSERT_NO_FATAL_FAILURE(Ask([](riskd::v1::Query* q) { q->mutable_status(); }, &ack));
  }

  // The engine thread's answer to a query.
  template <typename Fill>
  void Ask(Fill fill, riskd::v1::Ack* ack) {
    riskd::v1::Envelope query;
    query.set_event_id("query");
    fill(query.mutable_query());
    const std::string q = query.SerializeAsString();
    std::vector<zmq::message_t> frames;
    frames.emplace_back(&kQueryFrame, 1);
    frames.emplace_back(q.data(), q.size());
    frames.emplace_back("r", 1);
    ASSERT_TRUE(zmq::send_multipart(events_, frames));
    frames.clear();
    ASSERT_TRUE(zmq::recv_multipart(replies_, std::back_inserter(frames)));
    ASSERT_EQ(frames.size(), 2u);
    ASSERT_TRUE(ack->ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size())));
  }

  void Report(const std::string& node, riskd::v1::NodeState state, double severity = 0) {
    riskd::v1::Envelope env;
    env.set_event_id("status-" + std::to_string(seq_ + 1));
    env.mutable_supplier_status()->set_node_id(node);
    env.mutable_supplier_status()->set_state(state);
    if (severity > 0) env.mutable_supplier_status()->set_severity(severity);
    Apply(env);
  }

  // Hands the engine thread settings with `extra` config (as a SIGHUP
  // does) and waits for its round.
  void Reload(const std::string& extra) {
    auto next = ParseSettings(config_ + extra, dir_.string());
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    reloaded_ = std::make_unique<DaemonSettings>(std::move(*next));
    reloaded_->publish_endpoint = settings_.publish_endpoint;
    ASSERT_TRUE(zmq::send_multipart(events_, SettingsMessage(reloaded_.get())));
    riskd::v1::Ack ack;
    ASSERT_NO_FATAL_FAILURE(Ask([](riskd::v1::Query* q) { q->mutable_status(); }, &ack));
  }

  void Disrupt(const std::string& node) { Report(node, riskd::v1::NODE_STATE_DISRUPTED, 0.9); }

  void MarkNoImpact(const std::string& incident_id) {
    riskd::v1::Envelope env;
    env.set_event_id("action-" + std::to_string(seq_ + 1));
    auto* a = env.mutable_operator_action();
    a->set_incident_id(incident_id);
    a->set_kind(riskd::v1::OperatorAction::KIND_MARK_NO_IMPACT);
    a->set_operator_("ana");
    Apply(env);
  }

  // Grants `epoch` and waits until the engine thread adopted it (its
  // announcement is out then).
  void GrantAndWait(std::uint64_t epoch) {
    fence_.Grant(epoch);
    ASSERT_TRUE(WaitFor([&] { return worker_->publishing_epoch() == epoch; }));
  }

  // Lapses the lease and waits until the engine thread ended its adoption.
  void LapseAndWait() {
    fence_.Lapse();
    ASSERT_TRUE(WaitFor([&] { return worker_->adoption().epoch == 0; }));
  }

  // Waits until the engine thread finished its turn (a query is answered
  // after it): an announcement under way is out.
  void Sync() {
    riskd::v1::Ack ack;
    ASSERT_NO_FATAL_FAILURE(Ask([](riskd::v1::Query* q) { q->mutable_status(); }, &ack));
  }

  // The messages sent from the `from`th on.
  std::vector<Publication> SentFrom(std::size_t from) const {
    const auto all = sink_.sent();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
  }

  // Opens an incident with alerts under epoch 7 (before_lapse_: what a
  // subscriber holds then), then lapses the lease (at_lapse_: the messages
  // sent by then) and closes the incident.
  void CloseAnIncidentDuringALapse() {
    GrantAndWait(7);
    Disrupt("FAB-KUM");
    before_lapse_ = OpenIn(sink_.sent());
    ASSERT_EQ(before_lapse_.incidents.size(), 1u);
    ASSERT_FALSE(before_lapse_.alerts.empty());
    LapseAndWait();
    at_lapse_ = sink_.sent().size();
    MarkNoImpact(before_lapse_.incidents.begin()->first);
  }

  // Grants `epoch` and waits until its announcement is out.
  void GrantAndSync(std::uint64_t epoch) {
    ASSERT_NO_FATAL_FAILURE(GrantAndWait(epoch));
    ASSERT_NO_FATAL_FAILURE(Sync());
  }

  // The messages sent from the `from`th on closed the incident
  // CloseAnIncidentDuringALapse opened and resolved each of its alerts,
  // after it; a subscriber of every message holds nothing open.
  void ExpectClosedAndResolved(std::size_t from) const {
    const auto sent = SentFrom(from);
    EXPECT_EQ(ClosingsIn(sent), 1u) << "the closing was not sent";
    std::set<std::string> alerts;
    for (const auto& [id, alert] : before_lapse_.alerts) alerts.insert(id);
    EXPECT_EQ(ResolutionsIn(sent), alerts);
    ExpectAlertsAfterTheirIncidents(sent);
    const Open after = OpenIn(sink_.sent());
    EXPECT_TRUE(after.incidents.empty());
    EXPECT_TRUE(after.alerts.empty());
  }

  fs::path dir_;
  std::string config_;
  DaemonSettings settings_;
  std::unique_ptr<DaemonSettings> reloaded_;  // the engine thread's, once reloaded
  IncidentIds incident_ids_;
  TestFence fence_;
  TestSink sink_;
  zmq::context_t context_;
  std::unique_ptr<EngineWorker> worker_;
  zmq::socket_t events_;
  zmq::socket_t replies_;
  std::thread thread_;
  std::uint64_t seq_ = 0;
  Open before_lapse_;         // CloseAnIncidentDuringALapse
  std::size_t at_lapse_ = 0;  // CloseAnIncidentDuringALapse
};

// A lease that lapses and comes back under the same epoch (a renewal
// answered after its deadline): the incident closed meanwhile was dropped,
// and its closing goes out when the epoch is adopted again (subscribers
// and the Alertmanager forwarder, which keeps its open alerts through such
// a lapse, would otherwise hold it and its alerts open for good). Nothing
// is sent while the lease lapsed.
TEST_F(EngineWorkerTest, AnIncidentClosedDuringALapseIsSentWhenTheSameEpochComesBack) {
  GrantAndWait(7);
  Disrupt("FAB-KUM");
  const Open before = OpenIn(sink_.sent());
  ASSERT_EQ(before.incidents.size(), 1u);
  ASSERT_FALSE(before.alerts.empty());
  const std::string incident_id = before.incidents.begin()->first;

  LapseAndWait();
  const std::size_t at_lapse = sink_.sent().size();
  const auto fenced = worker_->stats().publications_fenced.load();
  MarkNoImpact(incident_id);
  EXPECT_GT(worker_->stats().publications_fenced.load(), fenced);
  EXPECT_EQ(sink_.sent().size(), at_lapse) << "sent while the lease lapsed";

  GrantAndWait(7);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& p : SentFrom(at_lapse)) {
      if (p.has_incident() && p.incident().lifecycle() == Incident::LIFECYCLE_CLOSED) return true;
    }
    return false;
  })) << "the incident closed during the lapse was never sent";
  for (const auto& p : SentFrom(at_lapse)) EXPECT_EQ(p.epoch(), 7u);
  // What a subscriber of every message now holds: nothing open.
  const Open after = OpenIn(sink_.sent());
  EXPECT_TRUE(after.incidents.empty());
  EXPECT_TRUE(after.alerts.empty());
}

// Whatever changed while the lease lapsed (incidents restored, opened,
// alerts raised and resolved), once the same epoch comes back a subscriber
// of every message holds what the instance holds: its open incidents and
// alerts, as its snapshot lists them.
TEST_F(EngineWorkerTest, AfterALapseUnderTheSameEpochSubscribersHoldWhatTheInstanceHolds) {
  GrantAndWait(7);
  Disrupt("FAB-KUM");
  Disrupt("RES-RAY");
  ASSERT_FALSE(OpenIn(sink_.sent()).alerts.empty());

  LapseAndWait();
  const std::size_t at_lapse = sink_.sent().size();
  Report("FAB-KUM", riskd::v1::NODE_STATE_RECOVERED);
  Disrupt("STL-DUI");
  // Thresholds only the most likely alerts pass: the others resolve one
  // by one, their incidents open.
  ASSERT_NO_FATAL_FAILURE(
      Reload("alert_policy { warning_raise: 0.9 warning_clear: 0.85 critical_raise: 0.95 "
             "critical_clear: 0.9 }\n"));
  EXPECT_EQ(sink_.sent().size(), at_lapse) << "sent while the lease lapsed";

  GrantAndWait(7);
  riskd::v1::Ack ack;
  ASSERT_NO_FATAL_FAILURE(Ask([](riskd::v1::Query* q) { q->mutable_snapshot(); }, &ack));
  const auto& snap = ack.response().snapshot();
  std::map<std::string, double> expected_alerts, held_alerts;
  for (const auto& a : snap.open_alerts()) expected_alerts[a.alert_id()] = a.probability();
  std::set<std::string> expected_incidents, held_incidents;
  for (const auto& i : snap.incidents()) {
    if (!connectors::IncidentIsOver(i)) expected_incidents.insert(i.incident_id());
  }
  const Open held = OpenIn(sink_.sent());
  for (const auto& [id, a] : held.alerts) held_alerts[id] = a.probability();
  for (const auto& [id, i] : held.incidents) held_incidents.insert(id);
  EXPECT_FALSE(expected_alerts.empty());
  EXPECT_EQ(held_alerts, expected_alerts);
  EXPECT_EQ(held_incidents, expected_incidents);
  // The resolutions owed went out after their incidents.
  EXPECT_FALSE(ResolutionsIn(SentFrom(at_lapse)).empty());
  ExpectAlertsAfterTheirIncidents(SentFrom(at_lapse));
}

// A new epoch (this instance takes over) announces the open incidents and
// then their open node alerts, each alert after its incident, so a new
// active instance's subscribers and Alertmanager forwarder learn them at
// once, not at their next change (the previous active's Alertmanager
// entries would otherwise expire while the alerts are still open).
TEST_F(EngineWorkerTest, ANewEpochAnnouncesTheOpenAlertsAfterTheirIncidents) {
  GrantAndWait(7);
  Disrupt("FAB-KUM");
  Disrupt("RES-RAY");
  const Open before = OpenIn(sink_.sent());
  ASSERT_FALSE(before.incidents.empty());
  ASSERT_FALSE(before.alerts.empty());

  LapseAndWait();
  const std::size_t at_lapse = sink_.sent().size();
  GrantAndWait(8);
  ASSERT_TRUE(WaitFor([&] {
    return OpenIn(SentFrom(at_lapse)).alerts.size() >= before.alerts.size();
  })) << "the open alerts were not announced under the new epoch";
  for (const auto& p : SentFrom(at_lapse)) EXPECT_EQ(p.epoch(), 8u);
  ExpectAlertsAfterTheirIncidents(SentFrom(at_lapse));
  const Open announced = OpenIn(SentFrom(at_lapse));
  EXPECT_EQ(announced.incidents.size(), before.incidents.size());
  ASSERT_EQ(announced.alerts.size(), before.alerts.size());
  for (const auto& [id, alert] : before.alerts) {
    ASSERT_TRUE(announced.alerts.count(id)) << id;
    EXPECT_EQ(announced.alerts.at(id).probability(), alert.probability()) << id;
  }
}

// Retention forgetting closed incidents at once (the book takes a closing
// for published when it was only attempted).
class EngineWorkerRetainingNoClosedIncidentTest : public EngineWorkerTest {
 protected:
  std::string ExtraConfig() const override { return "incidents { retain_closed: 0 }\n"; }
};

// An incident closed during a lapse and forgotten by retention in the same
// round (its row deleted): its closing and its alerts' resolutions are
// still owed, and sent when the same epoch comes back.
TEST_F(EngineWorkerRetainingNoClosedIncidentTest,
       AClosingDroppedByALapseIsSentThoughRetentionForgotTheIncident) {
  ASSERT_NO_FATAL_FAILURE(CloseAnIncidentDuringALapse());

  ASSERT_NO_FATAL_FAILURE(GrantAndSync(7));
  ExpectClosedAndResolved(at_lapse_);
}

// The lease lapses again right after the comeback announcement's first
// message: what that announcement could not send (the closing, the
// resolutions) is still owed, and sent when the epoch comes back again.
TEST_F(EngineWorkerTest, WhatASecondLapseDropsFromTheComebackIsSentAtTheNextComeback) {
  ASSERT_NO_FATAL_FAILURE(CloseAnIncidentDuringALapse());

  sink_.LapseAfterNextSend(&fence_);
  fence_.Grant(7);
  ASSERT_TRUE(WaitFor([&] { return sink_.sent().size() > at_lapse_; }));
  ASSERT_TRUE(WaitFor([&] { return worker_->adoption().epoch == 0; }));
  // The announcement's first message is a summary: the closing was dropped.
  ASSERT_EQ(ClosingsIn(SentFrom(at_lapse_)), 0u);
  const std::size_t at_second_lapse = sink_.sent().size();

  ASSERT_NO_FATAL_FAILURE(GrantAndSync(7));
  ExpectClosedAndResolved(at_second_lapse);
}

// A new epoch is a new term: its announcement holds the open incidents and
// alerts, none of what the lapsed term dropped (an incident closed during
// the lapse is not in it, nor are its alerts' resolutions).
TEST_F(EngineWorkerTest, ANewEpochOwesNothingTheLapsedOneDropped) {
  ASSERT_NO_FATAL_FAILURE(CloseAnIncidentDuringALapse());

  ASSERT_NO_FATAL_FAILURE(GrantAndSync(8));
  ASSERT_GT(sink_.sent().size(), at_lapse_) << "nothing announced";
  EXPECT_EQ(ClosingsIn(SentFrom(at_lapse_)), 0u);
  EXPECT_TRUE(ResolutionsIn(SentFrom(at_lapse_)).empty());
}

// A lease whose ttl runs out at once after a lapse is noticed.
class EngineWorkerShortLeaseTest : public EngineWorkerTest {
 protected:
  void AdjustSettings(DaemonSettings* s) const override { s->nats.lease_ttl = milliseconds(1); }
};

// Once the lease's ttl has passed since the lapse was noticed, the lapsed
// epoch cannot come back (the server dropped its key): what it dropped is
// no longer owed, and a grant of the same number is a new term.
TEST_F(EngineWorkerShortLeaseTest, AfterTheLeaseTtlWhatTheLapseDroppedIsNoLongerOwed) {
  // The closing's round begins by noticing the lapse, if the loop had not
  // already: the ttl runs from there.
  ASSERT_NO_FATAL_FAILURE(CloseAnIncidentDuringALapse());
  std::this_thread::sleep_for(milliseconds(20));  // past the ttl

  ASSERT_NO_FATAL_FAILURE(GrantAndSync(7));
  ASSERT_GT(sink_.sent().size(), at_lapse_) << "nothing announced";
  EXPECT_EQ(ClosingsIn(SentFrom(at_lapse_)), 0u);
  EXPECT_TRUE(ResolutionsIn(SentFrom(at_lapse_)).empty());
}

}  // namespace
}  // namespace riskd::daemon
