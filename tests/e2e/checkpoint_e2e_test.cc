// End-to-end: engine-state checkpoints through the real daemon (issue 12,
// "restart in seconds"). A daemon killed mid-stream restarts from its newest
// checkpoint and replays only the journal's tail, and what it then serves
// equals what a start replaying the whole journal serves; a checkpoint that
// does not fit (another configuration, another journal) is not used.
// Checkpoints hold the incident book and the footprints too: incidents,
// their operator state and footprints from checkpoint + tail equal a full
// replay's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "connectors/codec/event_codec.h"
#include "connectors/codec/output_codec.h"
#include "connectors/store/checkpoint_store.h"
#include "connectors/store/journal.h"
#include "connectors/store/sqlite_db.h"
#include "connectors/store/state_store.h"
#include "tests/support/daemon_harness.h"

namespace riskd::testing {
namespace {

using riskd::v1::Ack;
using riskd::v1::Envelope;

constexpr std::int64_t kDay = 86400LL * 1'000'000'000;
constexpr std::int64_t kT0 = 19'800 * kDay;

std::string Config(int interval_events, double refresh_changes = 3) {
  return DemoNetworkConfig() +
         "risk_types { name: \"supply\" alpha: 0.8 beta: 0.3 }\n"
         "risk_types { name: \"cyber\" alpha: 1.2 beta: 0.5 layers: [LAYER_MATERIAL, LAYER_DATA] "
         "}\n"
         "clock { mode: MODE_MANUAL history_window { seconds: 432000 } }\n"
         "vulnerability { refresh_changes: " +
         std::to_string(static_cast<int>(refresh_changes)) +
         " }\n"
         "checkpoint { interval_events: " +
         std::to_string(interval_events) + " }\n";
}

// A stream of every kind of event the state depends on: ticks, quakes of
// known and unknown duration, statuses (some late, before the window),
// interventions, nodes and edges added, re-weighted and removed. Quakes
// (which open incidents) only from event `quakes_from` on: before it,
// interventions in their place.
std::vector<Envelope> Stream(int n, int quakes_from = 0) {
  const auto& nodes = DemoNodes();
  std::vector<Envelope> out;
  std::int64_t now = kT0;
  for (int i = 0; i < n; ++i) {
    Envelope e;
    e.set_event_id("ev-" + std::to_string(i));
    const std::string& node = nodes[static_cast<std::size_t>(i * 7) % nodes.size()];
    const bool quake_slot = i % 9 == 1 || i % 9 == 5;
    switch (quake_slot && i < quakes_from ? 8 : i % 9) {
      case 0:
        now += kDay;
        connectors::SetTimestamp(now, e.mutable_clock_tick()->mutable_advance_to());
        break;
      case 1:
      case 5: {
        connectors::SetTimestamp(now - (i % 4) * kDay, e.mutable_occurred_at());
        auto* d = e.mutable_disruption();
        d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
        d->set_severity(0.3 + 0.1 * (i % 7));
        d->add_node_ids(node);
        if (i % 2) d->mutable_expected_duration()->set_seconds(3 * 86400);
        if (i % 3 == 0) d->set_risk_type("cyber");
        break;
      }
      case 2:
      case 6: {
        connectors::SetTimestamp(now - (i % 11) * kDay, e.mutable_occurred_at());
        auto* s = e.mutable_supplier_status();
        s->set_node_id(node);
        s->set_state(i % 4 ? riskd::v1::NODE_STATE_RECOVERED : riskd::v1::NODE_STATE_SUSCEPTIBLE);
        break;
      }
      case 3: {
        auto* a = e.mutable_network_change()->mutable_add_node();
        a->set_id("NEW-" + std::to_string(i));
        a->set_kind("supplier");
        a->set_tier(3);
        break;
      }
      case 4: {
        auto* a = e.mutable_network_change()->mutable_add_edge();
        a->set_from("NEW-" + std::to_string(i - 1));
        a->set_to(node);
        a->set_weight(5 + i % 13);
        a->set_layer(i % 2 ? riskd::v1::LAYER_MATERIAL : riskd::v1::LAYER_DATA);
        break;
      }
      case 7:
        if (i % 4 == 3) {
          e.mutable_network_change()->set_remove_node("NEW-" + std::to_string(i - 4));
        } else {
          auto* w = e.mutable_network_change()->mutable_set_edge_weight();
          w->set_from("NEW-" + std::to_string(i - 4));
          w->set_to(nodes[static_cast<std::size_t>((i - 3) * 7) % nodes.size()]);
          w->set_weight(1 + i % 5);
          w->set_layer((i - 3) % 2 ? riskd::v1::LAYER_MATERIAL : riskd::v1::LAYER_DATA);
        }
        break;
      default: {
        auto* v = e.mutable_intervention();
        v->set_kind(i % 2 ? riskd::v1::Intervention::KIND_IMMUNIZE
                          : riskd::v1::Intervention::KIND_LIFT);
        v->add_node_ids(nodes[static_cast<std::size_t>(i) % nodes.size()]);
        break;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The files a damaged checkpoint at `path` was moved to (not their WAL and
// shared-memory files).
std::set<std::string> DamagedFiles(const std::string& path) {
  std::set<std::string> out;
  const std::filesystem::path p(path);
  for (const auto& e : std::filesystem::directory_iterator(p.parent_path())) {
    const std::string name = e.path().filename().string();
    const std::string prefix = p.filename().string() + ".damaged-";
    if (name.rfind(prefix, 0) == 0 && name.find("-wal") == std::string::npos &&
        name.find("-shm") == std::string::npos) {
      out.insert(e.path().string());
    }
  }
  return out;
}

riskd::v1::DaemonStatus Status(DaemonHarness& h) {
  Envelope q;
  q.set_event_id("status");
  q.mutable_query()->mutable_status();
  auto ack = h.Send(q);
  EXPECT_TRUE(ack && ack->result() == Ack::RESULT_ACCEPTED);
  return ack ? ack->response().status() : riskd::v1::DaemonStatus{};
}

riskd::v1::Snapshot Snapshot(DaemonHarness& h) {
  bool accepted = false;
  riskd::v1::Snapshot s = QuerySnapshot(h, &accepted);
  EXPECT_TRUE(accepted);
  return s;
}

// What the daemon serves, by node and risk type, and per risk type.
struct Served {
  std::map<std::string, std::tuple<int, double, int>> nodes;
  std::map<std::string, std::tuple<double, double, double>> projections;
  std::size_t open_alerts = 0;
  // Incidents by id: lifecycle, sources, events, alerts pushed, opened at
  // (journal seq), expected disrupted, and the whole message without its
  // computation time.
  std::map<std::string, std::tuple<int, int, int, int, std::uint64_t, double>> incidents;
  std::map<std::string, std::string> incident_messages;
  // Footprints in effect, whole.
  std::vector<std::string> footprints;
  std::set<std::string> alert_ids;
  // Snapshot.network_version: increases with every network change, so the
  // same journal gives the same version however the state was rebuilt.
  std::uint64_t network_version = 0;
};

Served Serve(DaemonHarness& h) {
  const auto snap = Snapshot(h);
  Served s;
  for (const auto& r : snap.node_risks()) {
    s.nodes[r.node_id() + "/" + r.risk_type()] = {r.observed_state(), r.probability(),
                                                  r.eta_steps()};
  }
  for (const auto& p : snap.projections()) {
    s.projections[p.risk_type()] = {p.expected_disrupted(), p.disrupted_p05(), p.disrupted_p95()};
  }
  s.open_alerts = static_cast<std::size_t>(snap.open_alerts_size());
  for (const auto& i : snap.incidents()) {
    s.incidents[i.incident_id()] = {i.lifecycle(),          i.sources_hit(),
                                    i.event_count(),        i.alerts_pushed(),
                                    i.opened_journal_seq(), i.expected_disrupted()};
    riskd::v1::Incident copy = i;
    copy.clear_computed_at();
    s.incident_messages[i.incident_id()] = copy.DebugString();
  }
  for (const auto& f : snap.footprints()) s.footprints.push_back(f.DebugString());
  for (const auto& a : snap.open_alerts()) s.alert_ids.insert(a.alert_id());
  s.network_version = snap.network_version();
  return s;
}

void SendAll(DaemonHarness& h, const std::vector<Envelope>& events) {
  for (const auto& e : events) {
    auto ack = h.Send(e);
    ASSERT_TRUE(ack) << e.event_id();
    ASSERT_EQ(ack->result(), Ack::RESULT_ACCEPTED) << e.event_id() << ": " << ack->reason();
  }
}

// The harness's config with another body (its state_dir and endpoints kept).
void WriteConfig(const DaemonHarness& h, const std::string& body) {
  std::ifstream in(h.config_path());
  std::string state_dir, endpoints;
  std::getline(in, state_dir);
  std::getline(in, endpoints);
  in.close();
  std::ofstream(h.config_path()) << state_dir << "\n" << endpoints << "\n" << body << "\n";
}

void RemoveCheckpoint(const DaemonHarness& h) {
  const std::string path = connectors::CheckpointStore::PathFor(h.database());
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(CheckpointE2ETest, CheckpointPlusTheJournalsTailEqualsAFullReplay) {
  DaemonHarness h(Config(20));
  ASSERT_TRUE(h.Start());
  // Quakes (incidents, footprints) from the start, and an operator's
  // actions on the first incident (the quake ev-1, journal seq 2) while it
  // is open (a closed one takes no assignment).
  const auto events = Stream(130);
  ASSERT_NO_FATAL_FAILURE(SendAll(h, {events.begin(), events.begin() + 2}));
  // An action names an incident the ingest thread knows, which the engine
  // thread makes known when it applies the quake: a snapshot is answered
  // after the events before it (an action sent on the quake's Ack alone
  // could meet not_found).
  ASSERT_EQ(Serve(h).incidents.count("supply/2"), 1u);
  for (auto kind :
       {riskd::v1::OperatorAction::KIND_ACKNOWLEDGE, riskd::v1::OperatorAction::KIND_ASSIGN}) {
    Envelope e;
    e.set_event_id("op-" + std::to_string(kind));
    auto* a = e.mutable_operator_action();
    a->set_incident_id("supply/2");
    a->set_kind(kind);
    a->set_operator_("ana");
    if (kind == riskd::v1::OperatorAction::KIND_ASSIGN) a->set_assignee("logistics");
    ASSERT_NO_FATAL_FAILURE(SendAll(h, {e}));
  }
  ASSERT_NO_FATAL_FAILURE(SendAll(h, {events.begin() + 2, events.begin() + 100}));
  const Served before_stop = Serve(h);  // answered after the events before it
  ASSERT_FALSE(before_stop.incidents.empty());
  // A checkpoint every 20 events applied, incidents open or not (the
  // status is the socket thread's: the newest may be written just after
  // the answer).
  for (int i = 0; i < 50 && Status(h).checkpoint_seq() < 82; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(Status(h).checkpoint_seq(), 82u);
  // A clean stop checkpoints everything: the next start replays nothing
  // and serves the same incidents, footprints and alerts.
  EXPECT_EQ(h.Stop(), 0);
  WriteConfig(h, Config(1000));  // no periodic checkpoint in this test from here
  ASSERT_TRUE(h.Start());
  auto st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 102u);
  EXPECT_EQ(st.replayed_at_start(), 0u);
  const Served after_start = Serve(h);
  // (Figures an incident's projection gives may differ from the live
  // ones, which coalesced events differently: as after a full replay.)
  ASSERT_EQ(after_start.incidents.size(), before_stop.incidents.size());
  for (const auto& [id, value] : before_stop.incidents) {
    ASSERT_TRUE(after_start.incidents.count(id)) << id;
    EXPECT_EQ(std::get<0>(after_start.incidents.at(id)), std::get<0>(value)) << id;  // lifecycle
    EXPECT_EQ(std::get<2>(after_start.incidents.at(id)), std::get<2>(value)) << id;  // events
  }
  EXPECT_EQ(after_start.footprints, before_stop.footprints);
  EXPECT_EQ(after_start.alert_ids, before_stop.alert_ids);
  // The network's version did not go back across the restart (it was the
  // rebuilt network's count of its own changes: lower).
  EXPECT_EQ(after_start.network_version, before_stop.network_version);
  ASSERT_TRUE(after_start.incident_messages.count("supply/2"));
  EXPECT_NE(after_start.incident_messages.at("supply/2").find("assignee: \"logistics\""),
            std::string::npos)
      << after_start.incident_messages.at("supply/2");

  // Killed with 30 events after the checkpoint.
  ASSERT_NO_FATAL_FAILURE(SendAll(h, {events.begin() + 100, events.end()}));
  const Served live = Serve(h);
  h.Kill();
  ASSERT_TRUE(h.Start());
  st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 102u);
  EXPECT_EQ(st.replayed_at_start(), 30u);
  EXPECT_EQ(st.engine_applied_seq(), 132u);
  const Served from_checkpoint = Serve(h);
  EXPECT_EQ(h.Stop(), 0);

  // The same journal replayed in full.
  RemoveCheckpoint(h);
  ASSERT_TRUE(h.Start());
  st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 132u);
  const Served from_journal = Serve(h);
  EXPECT_EQ(h.Stop(), 0);

  ASSERT_FALSE(from_journal.nodes.empty());
  EXPECT_GT(from_journal.network_version, 0u);
  EXPECT_EQ(from_checkpoint.network_version, from_journal.network_version);
  EXPECT_EQ(live.network_version, from_journal.network_version);
  EXPECT_EQ(from_checkpoint.nodes, from_journal.nodes);
  EXPECT_EQ(from_checkpoint.projections, from_journal.projections);
  EXPECT_EQ(from_checkpoint.open_alerts, from_journal.open_alerts);
  // The incident book and footprints from the checkpoint and the tail
  // equal the full replay's, message for message, and hold what was served
  // live.
  ASSERT_FALSE(from_journal.incidents.empty());
  EXPECT_EQ(from_checkpoint.incidents, from_journal.incidents);
  EXPECT_EQ(from_checkpoint.incident_messages, from_journal.incident_messages);
  EXPECT_EQ(from_checkpoint.footprints, from_journal.footprints);
  EXPECT_EQ(from_checkpoint.alert_ids, from_journal.alert_ids);
  ASSERT_FALSE(from_journal.footprints.empty());
  EXPECT_EQ(from_checkpoint.incidents.size(), live.incidents.size());
  for (const auto& [id, value] : live.incidents)
    EXPECT_TRUE(from_journal.incidents.count(id)) << id;
  EXPECT_NE(from_checkpoint.incident_messages.at("supply/2").find("acknowledged: true"),
            std::string::npos);
  // And what the daemon served live, before the kill: the same nodes and
  // observed states (projections coalesce events differently live).
  ASSERT_EQ(live.nodes.size(), from_journal.nodes.size());
  for (const auto& [key, value] : live.nodes) {
    ASSERT_TRUE(from_journal.nodes.count(key)) << key;
    EXPECT_EQ(std::get<0>(value), std::get<0>(from_journal.nodes.at(key))) << key;
  }
}

// A checkpoint is written only after the state file is synced (they are
// two files; after a power loss the checkpoint must not be ahead of the
// recorded alerts and incidents). Once the state file's fsync has failed,
// no checkpoint is written until a restart, even when fsync works again
// (the kernel may have dropped what the failed one was to write); the
// restart replays the journal and checkpoints again.
TEST(CheckpointE2ETest, NoCheckpointIsWrittenAfterTheStateFileFailedToSync) {
  DaemonHarness h(Config(10));
  const std::string faults = (h.dir() / "faults").string();
  h.EnableFaultInjection(faults);
  ASSERT_TRUE(h.Start());
  const std::vector<Envelope> events = Stream(40, 40);
  DaemonHarness::ArmFaults(faults, "fdatasync riskd.db.state-wal EIO always\n");
  ASSERT_NO_FATAL_FAILURE(SendAll(h, {events.begin(), events.begin() + 30}));
  // (The failed sync is the checkpoint's, or an idle one's before it.)
  EXPECT_TRUE(h.WaitForLog("no checkpoint until riskd restarts", std::chrono::seconds(10)))
      << h.log();
  EXPECT_TRUE(h.WaitForLog("io_error: syncing the state file", std::chrono::seconds(10)))
      << h.log();
  EXPECT_EQ(Status(h).checkpoint_seq(), 0u);
  std::ifstream log(faults + ".log");
  const std::string injected((std::istreambuf_iterator<char>(log)),
                             std::istreambuf_iterator<char>());
  EXPECT_NE(injected.find("fdatasync " + h.database() + ".state-wal Input/output error"),
            std::string::npos)
      << injected;
  // fsync works again: still no checkpoint, not even the clean stop's.
  DaemonHarness::ArmFaults(faults, "# disarmed\n");
  ASSERT_NO_FATAL_FAILURE(SendAll(h, {events.begin() + 30, events.end()}));
  for (int i = 0; i < 100 && Status(h).engine_applied_seq() < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Status(h).engine_applied_seq(), 40u);
  EXPECT_EQ(Status(h).checkpoint_seq(), 0u);
  EXPECT_EQ(h.Stop(), 0);
  EXPECT_EQ(h.log().find(" MB in "), std::string::npos) << h.log();
  // The restart replays the whole journal, and checkpoints from then on.
  ASSERT_TRUE(h.Start());
  auto st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 40u);
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 40u);
  EXPECT_EQ(st.replayed_at_start(), 0u);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(CheckpointE2ETest, ACheckpointOfAnotherConfigurationOrJournalIsNotUsed) {
  DaemonHarness h(Config(10));
  ASSERT_TRUE(h.Start());
  // Without quakes: no incident holds checkpoints back.
  ASSERT_NO_FATAL_FAILURE(SendAll(h, Stream(30, 30)));
  EXPECT_EQ(h.Stop(), 0);

  // Vulnerability refreshed at another interval: the state would differ.
  WriteConfig(h, Config(10, 5));
  const std::size_t mark = h.log().size();
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(h.WaitForLog("another network source or engine configuration",
                           std::chrono::seconds(5), mark));
  auto st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 30u);
  EXPECT_EQ(h.Stop(), 0);  // checkpoints again, with this configuration

  // Checkpoints off: the whole journal, always.
  WriteConfig(h, Config(0, 5));
  ASSERT_TRUE(h.Start());
  st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 30u);
  EXPECT_EQ(st.checkpoint_seq(), 0u);
  EXPECT_EQ(h.Stop(), 0);

  // Rows of the journal rewritten (here: another installation's files,
  // whose row 30 differs, copied in as an operator would): the checkpoint
  // does not match them. Copied alone, either file is refused at the start
  // (it does not belong with the other one), and the error says which.
  WriteConfig(h, Config(10, 5));
  const std::string journal = h.database();
  const std::string state = connectors::StateStore::PathFor(journal);
  const std::filesystem::path own = h.dir() / "own";
  std::filesystem::create_directories(own);
  const auto copy = [](const std::string& from, const std::string& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(to + suffix);
      if (std::filesystem::exists(from + suffix)) {
        std::filesystem::copy_file(from + suffix, to + suffix);
      }
    }
  };
  copy(journal, (own / "riskd.db").string());
  copy(state, (own / "riskd.db.state").string());
  {
    DaemonHarness other(Config(10, 5));
    ASSERT_TRUE(other.Start());
    auto events = Stream(30, 30);
    events.back().set_event_id("another-30");
    ASSERT_NO_FATAL_FAILURE(SendAll(other, events));
    EXPECT_EQ(other.Stop(), 0);
    // The journal alone.
    copy(other.database(), journal);
    // Refused; a regression that starts it stops it again, so no daemon
    // outlives the test.
    const auto expect_refused = [&h] {
      if (h.Start()) {
        ADD_FAILURE() << "started beside a state file of another journal";
        EXPECT_EQ(h.Stop(), 0);
      }
    };
    std::size_t at = h.log().size();
    expect_refused();
    EXPECT_TRUE(h.WaitForLog(state + " belongs to another journal than " + journal,
                             std::chrono::seconds(5), at))
        << h.log().substr(at);
    // The state file alone.
    copy((own / "riskd.db").string(), journal);
    copy(connectors::StateStore::PathFor(other.database()), state);
    at = h.log().size();
    expect_refused();
    EXPECT_TRUE(h.WaitForLog(state + " belongs to another journal than " + journal,
                             std::chrono::seconds(5), at))
        << h.log().substr(at);
    // Both: they belong together; this directory's checkpoint does not.
    copy(other.database(), journal);
  }
  const std::size_t mark2 = h.log().size();
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(h.WaitForLog("does not match the journal", std::chrono::seconds(5), mark2));
  st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 30u);
  EXPECT_EQ(h.Stop(), 0);
}

// Starts `h` (stopped after the 30 events `before` was served) on a
// checkpoint it cannot use, which the log says with `why`: the start
// replays the whole journal and serves what was served before, the
// network's version included; its stop writes a checkpoint the next start
// uses.
void ExpectAFullReplayThenANewCheckpoint(DaemonHarness& h, const Served& before,
                                         const std::string& why) {
  const std::size_t mark = h.log().size();
  ASSERT_TRUE(h.Start()) << h.log().substr(mark);
  EXPECT_TRUE(h.WaitForLog(why, std::chrono::seconds(5), mark)) << h.log().substr(mark);
  auto st = Status(h);
  EXPECT_EQ(st.restored_checkpoint_seq(), 0u);
  EXPECT_EQ(st.replayed_at_start(), 30u);
  const Served after = Serve(h);
  EXPECT_EQ(after.nodes, before.nodes);
  EXPECT_EQ(after.projections, before.projections);
  EXPECT_EQ(after.network_version, before.network_version);
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(Status(h).restored_checkpoint_seq(), 30u);
  EXPECT_EQ(Serve(h).network_version, before.network_version);
  EXPECT_EQ(h.Stop(), 0);
}

// The checkpoint is derived data ("deleting the checkpoint file is always
// safe"): a damaged file (here its first half, as a torn copy leaves it) is
// moved aside and the journal replayed. The daemon refused to start on it
// ("cannot start: io_error: checkpoint: sqlite: database disk image is
// malformed"), and under systemd restarted into the same refusal forever.
TEST(CheckpointE2ETest, ADamagedCheckpointFileIsMovedAsideAndTheJournalReplayed) {
  DaemonHarness h(Config(10));
  ASSERT_TRUE(h.Start());
  ASSERT_NO_FATAL_FAILURE(SendAll(h, Stream(30, 30)));
  const Served before = Serve(h);
  EXPECT_EQ(h.Stop(), 0);
  const std::string path = connectors::CheckpointStore::PathFor(h.database());
  ASSERT_TRUE(std::filesystem::exists(path));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);

  ASSERT_NO_FATAL_FAILURE(
      ExpectAFullReplayThenANewCheckpoint(h, before, "moved it to " + path + ".damaged-"));
  // Damaged again: moved beside the first, which stays (it was renamed
  // over `.damaged`, and one start that failed after the move could make
  // the next rename an empty file over a good one).
  const std::set<std::string> first = DamagedFiles(path);
  EXPECT_EQ(first.size(), 1u);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const std::size_t mark = h.log().size();
  ASSERT_TRUE(h.Start()) << h.log().substr(mark);
  EXPECT_TRUE(h.WaitForLog("moved it to " + path + ".damaged-", std::chrono::seconds(5), mark))
      << h.log().substr(mark);
  EXPECT_EQ(Status(h).restored_checkpoint_seq(), 0u);
  EXPECT_EQ(h.Stop(), 0);
  const std::set<std::string> both = DamagedFiles(path);
  EXPECT_EQ(both.size(), 2u);
  for (const auto& f : first) EXPECT_EQ(both.count(f), 1u) << f;
}

// A checkpoint of the previous format ("riskdck5", whose incidents had no
// event count) is not used: the start replays the whole journal, says why as a
// warning, and serves what was served before, the network's version
// included; the next stop writes a checkpoint of this format, used by the
// start after it.
TEST(CheckpointE2ETest, ACheckpointOfTheEarlierFormatLeadsToAFullReplay) {
  DaemonHarness h(Config(10));
  ASSERT_TRUE(h.Start());
  ASSERT_NO_FATAL_FAILURE(SendAll(h, Stream(30, 30)));
  const Served before = Serve(h);
  EXPECT_EQ(h.Stop(), 0);
  {
    // Its marker rewritten, the part's hash to match: a well-formed
    // checkpoint of the earlier format as far as the file goes.
    auto db = connectors::SqliteDb::Open(connectors::CheckpointStore::PathFor(h.database()));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto read = (*db)->Prepare("SELECT data FROM checkpoint_parts WHERE part = 0");
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    riskd::Status step;
    ASSERT_TRUE(read->Step(&step)) << step.ToString();
    std::string data = read->ColumnBlob(0);
    read->Reset();
    ASSERT_EQ(data.substr(0, 8), "riskdck6");
    data.replace(0, 8, "riskdck5");
    auto write = (*db)->Prepare("UPDATE checkpoint_parts SET data = ?1, hash = ?2 WHERE part = 0");
    ASSERT_TRUE(write.ok()) << write.status().ToString();
    write->BindBlob(1, data);
    write->BindBlob(2, connectors::Sha256(data));
    ASSERT_TRUE(write->Run().ok());
  }
  ASSERT_NO_FATAL_FAILURE(
      ExpectAFullReplayThenANewCheckpoint(h, before, "not a checkpoint of this version"));
}

// Damage inside the checkpoint (here a part's hash; SQLite pages malformed
// in the body are the same kind): moved aside like a file that does not
// open. It stayed, and every start replayed the whole journal (a body
// SQLite finds malformed also failed every Save, "malformed in: DELETE FROM
// checkpoint_parts").
TEST(CheckpointE2ETest, ACheckpointDamagedInsideIsMovedAsideToo) {
  DaemonHarness h(Config(10));
  ASSERT_TRUE(h.Start());
  ASSERT_NO_FATAL_FAILURE(SendAll(h, Stream(30, 30)));
  EXPECT_EQ(h.Stop(), 0);
  const std::string path = connectors::CheckpointStore::PathFor(h.database());
  {
    auto db = connectors::SqliteDb::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("UPDATE checkpoint_parts SET hash = zeroblob(32)").ok());
  }
  const std::size_t mark = h.log().size();
  ASSERT_TRUE(h.Start()) << h.log().substr(mark);
  EXPECT_TRUE(h.WaitForLog("moved it to " + path + ".damaged-", std::chrono::seconds(5), mark))
      << h.log().substr(mark);
  EXPECT_EQ(DamagedFiles(path).size(), 1u);
  EXPECT_EQ(Status(h).replayed_at_start(), 30u);
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(Status(h).restored_checkpoint_seq(), 30u);
  EXPECT_EQ(h.Stop(), 0);
}

// A checkpoint that cannot be opened for another reason than damage (here
// another process holds it locked: SQLITE_BUSY after the 5 s busy timeout;
// a full disk or a failed read are the same) is left as it is and this run
// replays the journal. It was moved aside as "damaged", a good checkpoint
// lost for a lock.
TEST(CheckpointE2ETest, ALockedCheckpointIsLeftAsItIsAndUsedAtTheNextStart) {
  DaemonHarness h(Config(10));
  ASSERT_TRUE(h.Start());
  ASSERT_NO_FATAL_FAILURE(SendAll(h, Stream(30, 30)));
  EXPECT_EQ(h.Stop(), 0);
  const std::string path = connectors::CheckpointStore::PathFor(h.database());
  {
    auto lock = connectors::SqliteDb::Open(path);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    ASSERT_TRUE((*lock)->Exec("PRAGMA locking_mode=EXCLUSIVE").ok());
    ASSERT_TRUE((*lock)->Exec("BEGIN EXCLUSIVE").ok());
    const std::size_t mark = h.log().size();
    ASSERT_TRUE(h.Start()) << h.log().substr(mark);
    EXPECT_TRUE(h.WaitForLog("cannot be used now", std::chrono::seconds(5), mark))
        << h.log().substr(mark);
    EXPECT_TRUE(DamagedFiles(path).empty());
    EXPECT_EQ(Status(h).replayed_at_start(), 30u);
    EXPECT_EQ(h.Stop(), 0);
    ASSERT_TRUE((*lock)->Exec("COMMIT").ok());
  }
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(Status(h).restored_checkpoint_seq(), 30u);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
