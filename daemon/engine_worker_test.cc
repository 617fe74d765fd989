// The engine thread's publishing under the lease (EngineWorker::AnnounceEpoch)
// with the fence and the second destination (NATS subjects in the daemon)
// held by the test: a lease that lapses and comes back under the same epoch
// (a renewal answered after its deadline), which real NATS cannot be made
// to do on cue, and a new epoch. Everything else is real: the demo network,
// the state store, the engine thread and its inproc channels.
#include "daemon/engine_worker.h"

#include <gtest/gtest.h>

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
  }
  std::vector<Publication> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Publication> sent_;
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

class EngineWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("engine_worker_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string demo = SourceDir() + "/config/demo/";
    config_ = "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
              "edges.csv\" } }\nprojection { method: METHOD_DMP }\nplanner { k: 0 }\n";
    auto settings = ParseSettings(config_, dir_.string());
    ASSERT_TRUE(settings.ok()) << settings.status().ToString();
    settings_ = std::move(*settings);
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

  // The messages sent from the `from`th on.
  std::vector<Publication> SentFrom(std::size_t from) const {
    const auto all = sink_.sent();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
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
};

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
  std::set<std::string> incidents_announced;
  for (const auto& p : SentFrom(at_lapse)) {
    EXPECT_EQ(p.epoch(), 8u);
    if (p.has_incident()) incidents_announced.insert(p.incident().incident_id());
    if (p.has_alert()) {
      EXPECT_TRUE(incidents_announced.count(p.alert().incident_id()))
          << "alert " << p.alert().alert_id() << " before its incident " << p.alert().incident_id();
    }
  }
  const Open announced = OpenIn(SentFrom(at_lapse));
  EXPECT_EQ(announced.incidents.size(), before.incidents.size());
  ASSERT_EQ(announced.alerts.size(), before.alerts.size());
  for (const auto& [id, alert] : before.alerts) {
    ASSERT_TRUE(announced.alerts.count(id)) << id;
    EXPECT_EQ(announced.alerts.at(id).probability(), alert.probability()) << id;
  }
}

}  // namespace
}  // namespace riskd::daemon
