// End-to-end tests of the dashboard's HTTP side: the real riskd binary, its
// embedded server on a loopback port the kernel picks, plain HTTP clients
// (libcurl, and a socket reading the server-sent event stream). The page
// itself is tested in a real browser by dashboard/test/browser.test.js.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include <google/protobuf/util/time_util.h>

#include "connectors/codec/output_codec.h"
#include "connectors/http/dashboard_settings.h"
#include "connectors/store/journal.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/http_get.h"

namespace riskd::testing {
namespace {

using nlohmann::json;

const char kAdminToken[] = "admin-token-for-the-e2e-test";
const char kReaderToken[] = "reader-token-for-the-e2e-test";
const char kProducerToken[] = "producer-token-for-the-e2e-test";
const char kOperatorToken[] = "operator-token-for-the-e2e-test";

std::string Config(const std::string& dashboard_extra = "",
                   const std::string& projection_extra = "") {
  const std::string demo = SourceDir() + "/config/demo/";
  return "network { csv { nodes: \"" + demo + "nodes.csv\" edges: \"" + demo +
         "edges.csv\" } }\n"
         "planner { k: 0 }\n"
         // One round per event (the tests read up to its summary): checked
         // before publishing; DeferredCheckE2ETest covers refinements.
         "projection { defer_check: false " +
         projection_extra +
         " }\n"
         "dashboard { listen: \"127.0.0.1:0\" " +
         dashboard_extra + " users { name: \"ada\" role: CLIENT_ROLE_ADMIN token_sha256: \"" +
         connectors::Sha256Hex(kAdminToken) +
         "\" }"
         " users { name: \"rita\" role: CLIENT_ROLE_SUBSCRIBER token_sha256: \"" +
         connectors::Sha256Hex(kReaderToken) +
         "\" }"
         " users { name: \"pat\" role: CLIENT_ROLE_PRODUCER token_sha256: \"" +
         connectors::Sha256Hex(kProducerToken) +
         "\" }"
         " users { name: \"olga\" role: CLIENT_ROLE_OPERATOR token_sha256: \"" +
         connectors::Sha256Hex(kOperatorToken) + "\" } }\n";
}

std::string Bearer(const char* token) { return std::string("Authorization: Bearer ") + token; }

riskd::v1::Envelope Quake(const std::string& id) {
  riskd::v1::Envelope e;
  e.set_event_id(id);
  auto* d = e.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(1.0);
  d->set_title("M 7.0 near Kumamoto");
  auto* c = d->mutable_place()->mutable_circle();
  c->mutable_center()->set_lat(32.8);
  c->mutable_center()->set_lon(130.7);
  c->set_radius_km(30);
  return e;
}

// Reads a server-sent event stream over a plain socket.
class EventStream {
 public:
  // Connects to 127.0.0.1:<port of url> and sends GET <path>.
  EventStream(const std::string& url, const std::string& path,
              const std::vector<std::string>& headers = {}) {
    const auto colon = url.rfind(':');
    const int port = std::stoi(url.substr(colon + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& h : headers) request += h + "\r\n";
    request += "\r\n";
    (void)::write(fd_, request.data(), request.size());
  }
  ~EventStream() {
    if (fd_ >= 0) ::close(fd_);
  }

  // The status line and headers.
  std::string Head(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    while (buffer_.find("\r\n\r\n") == std::string::npos && Fill(timeout)) {
    }
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return "";
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    return head;
  }

  // The next event's data line (comments skipped); "resync" events give
  // "event: resync". Empty on timeout.
  std::string NextData(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    while (true) {
      const auto end = buffer_.find("\n\n");
      if (end == std::string::npos) {
        if (!Fill(timeout)) return "";
        continue;
      }
      std::string event = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      if (event.rfind("event: ", 0) == 0) return event.substr(0, event.find('\n'));
      const auto data = event.find("data: ");
      if (data != std::string::npos) return event.substr(data + 6);
    }
  }

 private:
  bool Fill(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

// Node risks of a snapshot (or of risk changes applied to one), by
// risk type and node.
using RiskMap = std::map<std::string, json>;
void Apply(const json& node_risks, RiskMap* risks) {
  for (const auto& r : node_risks) {
    const std::string key = r.value("riskType", "") + "/" + r.value("nodeId", "");
    const bool gone = r.value("observedState", "") == "NODE_STATE_SUSCEPTIBLE" &&
                      r.value("probability", 0.0) == 0.0;
    if (gone) {
      risks->erase(key);
    } else {
      (*risks)[key] = r;
    }
  }
}

// Every Envelope in the daemon's journal, oldest first (after Stop()).
std::vector<riskd::v1::Envelope> Journaled(const DaemonHarness& h) {
  std::vector<riskd::v1::Envelope> journaled;
  auto journal = connectors::Journal::OpenReadOnly(h.database());
  EXPECT_TRUE(journal.ok()) << journal.status().ToString();
  if (!journal.ok()) return journaled;
  EXPECT_TRUE((*journal)
                  ->ForEach(0,
                            [&](std::uint64_t, const connectors::JournalEntry& entry) {
                              riskd::v1::Envelope e;
                              if (!e.ParseFromString(entry.payload))
                                return Status::Corruption("unparsable journal payload");
                              journaled.push_back(std::move(e));
                              return Status::Ok();
                            })
                  .ok());
  return journaled;
}

// POSTs `body` to api/actions as `token`'s user (nullptr: anonymous) and
// expects it refused with `status` and the server's `error`.
void ExpectRefused(const std::string& actions, const char* token, const std::string& body,
                   long status, const std::string& error) {
  auto r = HttpRequest("POST", actions,
                       token ? std::vector<std::string>{Bearer(token)} : std::vector<std::string>{},
                       body);
  EXPECT_EQ(r.status, status) << body;
  EXPECT_EQ(json::parse(r.body)["error"], error) << body;
}

// POSTs `body` to api/actions as `token`'s user and expects the daemon to
// have accepted it as `event_id` at journal sequence `journal_seq`.
void ExpectAccepted(const std::string& actions, const char* token, const std::string& body,
                    const std::string& event_id, const std::string& journal_seq) {
  auto r = HttpRequest("POST", actions, {Bearer(token)}, body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto ack = json::parse(r.body);
  EXPECT_EQ(ack["result"], "RESULT_ACCEPTED");
  EXPECT_EQ(ack["eventId"], event_id);
  EXPECT_EQ(ack["journalSeq"], journal_seq);
}

// The page and its assets, with their headers and ETags.
void ExpectThePage(const std::string& url) {
  auto page = HttpRequest("GET", url);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<div id=\"map\""), std::string::npos);
  EXPECT_NE(page.headers.find("Content-Security-Policy: default-src 'self'"), std::string::npos);
  auto js = HttpRequest("GET", url + "assets/index.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_NE(js.headers.find("Content-Type: text/javascript"), std::string::npos);
  const auto etag_at = js.headers.find("ETag: ");
  ASSERT_NE(etag_at, std::string::npos);
  const std::string etag =
      js.headers.substr(etag_at + 6, js.headers.find('\r', etag_at) - etag_at - 6);
  EXPECT_EQ(HttpRequest("GET", url + "assets/index.js", {"If-None-Match: " + etag}).status, 304);
}

TEST(DashboardE2ETest, ServesThePageAndASnapshotPlusTheStreamEqualsTheNextSnapshot) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << h.log();

  // The page, embedded in the binary (unless built without it).
  if (RISKD_HAVE_DASHBOARD_BUNDLE) {
    ExpectThePage(url);
  } else {
    auto page = HttpRequest("GET", url);
    EXPECT_EQ(page.status, 404);
    EXPECT_NE(page.body.find("RISKD_BUILD_DASHBOARD=OFF"), std::string::npos);
  }
  EXPECT_EQ(HttpRequest("GET", url + "no/such/file").status, 404);

  auto network = json::parse(HttpRequest("GET", url + "api/network").body);
  ASSERT_EQ(network["networkNodes"].size(), 19u);
  EXPECT_EQ(network["networkNodes"][0]["id"], "FAB-KUM");
  EXPECT_EQ(network["networkNodes"][0]["location"]["lat"], 32.8);

  EventStream stream(url, "/api/events");
  ASSERT_NE(stream.Head().find("Content-Type: text/event-stream"), std::string::npos);
  auto before = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  RiskMap risks;
  Apply(before["nodeRisks"], &risks);
  EXPECT_TRUE(risks.empty());
  std::uint64_t sequence = std::stoull(before["sequence"].get<std::string>());

  ASSERT_EQ(h.Send(Quake("e2e-quake"))->result(), riskd::v1::Ack::RESULT_ACCEPTED);
  int footprints = 0, alerts = 0, changes = 0, summaries = 0;
  while (summaries == 0) {
    const std::string data = stream.NextData();
    ASSERT_FALSE(data.empty()) << "stream ended; log:\n" << h.log();
    const auto pub = json::parse(data);
    const std::uint64_t seq = std::stoull(pub["sequence"].get<std::string>());
    if (seq <= sequence) continue;  // already in the snapshot
    ASSERT_EQ(seq, sequence + 1) << "a gap in the stream";
    sequence = seq;
    if (pub.contains("disruptionFootprint")) {
      ++footprints;
      EXPECT_EQ(pub["disruptionFootprint"]["eventId"], "e2e-quake");
      EXPECT_EQ(pub["disruptionFootprint"]["lifecycle"], "LIFECYCLE_ACTIVE");
      EXPECT_EQ(pub["disruptionFootprint"]["nodesHit"], 1);
      EXPECT_EQ(pub["disruptionFootprint"]["place"]["circle"]["radiusKm"], 30);
    } else if (pub.contains("alert")) {
      ++alerts;
    } else if (pub.contains("nodeRiskChanges")) {
      ++changes;
      Apply(pub["nodeRiskChanges"]["nodes"], &risks);
    } else if (pub.contains("projectionSummary")) {
      ++summaries;
    }
  }
  EXPECT_EQ(footprints, 1);
  EXPECT_GE(alerts, 1);
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(risks.at("supply/FAB-KUM")["observedState"], "NODE_STATE_DISRUPTED");

  // The Clone pattern holds exactly: the old snapshot plus the stream is
  // the new snapshot.
  auto after = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  EXPECT_EQ(std::stoull(after["sequence"].get<std::string>()), sequence);
  RiskMap expected;
  Apply(after["nodeRisks"], &expected);
  EXPECT_EQ(risks, expected);
  ASSERT_EQ(after["footprints"].size(), 1u);
  EXPECT_EQ(after["footprints"][0]["title"], "M 7.0 near Kumamoto");
  EXPECT_GE(after["recentProjections"].size(), 2u);  // start-up and this one
  EXPECT_FALSE(after["openAlerts"].empty());
  EXPECT_EQ(h.Stop(), 0);
}

// Under a manual model clock (the demo's): ticks end the footprint whose
// expected duration passed and move every node's risk (ETAs count down),
// and the stream carries all of it, so the first snapshot plus the stream
// is what a page opened late reads; a restart (the journal replayed) gives
// the same footprints and risks again.
TEST(DashboardE2ETest, UnderAManualClockTicksEndFootprintsAndALatePageSeesTheSameState) {
  constexpr std::int64_t kDay = 86'400'000'000'000;
  constexpr std::int64_t kT0 = 19'800 * kDay;  // 2024-03-18T00:00Z
  auto time_text = [](std::int64_t unix_ns) {
    google::protobuf::Timestamp t;
    connectors::SetTimestamp(unix_ns, &t);
    return google::protobuf::util::TimeUtil::ToString(t);
  };
  auto tick = [&](const std::string& id, std::int64_t to) {
    riskd::v1::Envelope e;
    e.set_event_id(id);
    connectors::SetTimestamp(to, e.mutable_clock_tick()->mutable_advance_to());
    return e;
  };
  DaemonHarness h(Config() + "clock { mode: MODE_MANUAL }\n");
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  ASSERT_EQ(h.Send(tick("t0", kT0))->result(), riskd::v1::Ack::RESULT_ACCEPTED);

  EventStream stream(url, "/api/events");
  ASSERT_NE(stream.Head().find("Content-Type: text/event-stream"), std::string::npos);
  auto first = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  EXPECT_EQ(first["modelTime"], time_text(kT0));
  RiskMap risks;
  Apply(first["nodeRisks"], &risks);
  std::uint64_t sequence = std::stoull(first["sequence"].get<std::string>());

  auto quake = Quake("quake-3-days");  // FAB-KUM, for three days
  connectors::SetTimestamp(kT0, quake.mutable_occurred_at());
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(3 * 86400);
  riskd::v1::Envelope strike;  // open-ended
  strike.set_event_id("strike-ray");
  strike.mutable_disruption()->set_hazard(riskd::v1::HAZARD_SOCIAL_UNREST);
  strike.mutable_disruption()->set_severity(1.0);
  strike.mutable_disruption()->add_node_ids("RES-RAY");
  for (const auto& e : {quake, strike, tick("t1", kT0 + kDay), tick("t3", kT0 + 3 * kDay)}) {
    ASSERT_EQ(h.Send(e)->result(), riskd::v1::Ack::RESULT_ACCEPTED) << e.event_id();
  }

  // The stream up to the projection at day 3.
  std::vector<std::string> footprint_story;
  std::map<std::string, int> risk_changes_at;  // model time of the next summary -> publications
  int pending_changes = 0;
  for (bool day3 = false; !day3;) {
    const std::string data = stream.NextData();
    ASSERT_FALSE(data.empty()) << "stream ended; log:\n" << h.log();
    const auto pub = json::parse(data);
    const std::uint64_t seq = std::stoull(pub["sequence"].get<std::string>());
    if (seq <= sequence) continue;
    ASSERT_EQ(seq, sequence + 1) << "a gap in the stream";
    sequence = seq;
    if (pub.contains("disruptionFootprint")) {
      const auto& f = pub["disruptionFootprint"];
      footprint_story.push_back(f["eventId"].get<std::string>() + " " +
                                f["lifecycle"].get<std::string>());
      if (f["eventId"] == "quake-3-days") {
        EXPECT_EQ(f["expectedEnd"], time_text(kT0 + 3 * kDay));
      }
    } else if (pub.contains("nodeRiskChanges")) {
      Apply(pub["nodeRiskChanges"]["nodes"], &risks);
      ++pending_changes;
    } else if (pub.contains("projectionSummary")) {
      const std::string at = pub["projectionSummary"]["modelTime"];
      risk_changes_at[at] += pending_changes;
      pending_changes = 0;
      day3 = at == time_text(kT0 + 3 * kDay);
    }
  }
  const std::vector<std::string> expected_story = {"quake-3-days LIFECYCLE_ACTIVE",
                                                   "strike-ray LIFECYCLE_ACTIVE",
                                                   "quake-3-days LIFECYCLE_ENDED"};
  EXPECT_EQ(footprint_story, expected_story);
  // Each tick moved risks (ETAs count down, the quake's site recovered) and
  // published the change.
  EXPECT_GE(risk_changes_at[time_text(kT0 + kDay)], 1);
  EXPECT_GE(risk_changes_at[time_text(kT0 + 3 * kDay)], 1);
  EXPECT_EQ(risks.at("supply/FAB-KUM")["observedState"], "NODE_STATE_RECOVERED");

  // A page opened now reads exactly that.
  auto late = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  EXPECT_EQ(std::stoull(late["sequence"].get<std::string>()), sequence);
  EXPECT_EQ(late["modelTime"], time_text(kT0 + 3 * kDay));
  RiskMap expected;
  Apply(late["nodeRisks"], &expected);
  EXPECT_EQ(risks, expected);
  ASSERT_EQ(late["footprints"].size(), 1u);
  EXPECT_EQ(late["footprints"][0]["eventId"], "strike-ray");
  EXPECT_EQ(late["footprints"][0]["nodesStillDisrupted"], 1);

  // Restarted: the journal (ticks included) rebuilds the same state.
  EXPECT_EQ(h.Stop(), 0);
  ASSERT_TRUE(h.Start());
  auto restarted = json::parse(HttpRequest("GET", h.dashboard_url() + "api/snapshot").body);
  EXPECT_EQ(restarted["modelTime"], late["modelTime"]);
  EXPECT_EQ(restarted["footprints"], late["footprints"]);
  RiskMap after_restart;
  Apply(restarted["nodeRisks"], &after_restart);
  EXPECT_EQ(after_restart, expected);
  EXPECT_EQ(h.Stop(), 0);
}

// Under the wall clock the daemon ticks by itself: with one-second steps a
// disruption of two seconds ends on one of those ticks, and the page hears
// of it (the footprint's end, the site's recovery) without any event.
TEST(DashboardE2ETest, UnderTheWallClockAFootprintEndsOnTheDaemonsOwnTick) {
  DaemonHarness h(Config("", "step { seconds: 1 } horizon_steps: 30") +
                  "clock { history_window { seconds: 60 } }\n");
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  EventStream stream(url, "/api/events");
  ASSERT_NE(stream.Head().find("Content-Type: text/event-stream"), std::string::npos);
  auto quake = Quake("quake-2-seconds");
  quake.mutable_disruption()->mutable_expected_duration()->set_seconds(2);
  ASSERT_EQ(h.Send(quake)->result(), riskd::v1::Ack::RESULT_ACCEPTED);
  std::vector<std::string> story;
  std::string recovered_at;  // model time of the summary after FAB-KUM recovered
  bool recovered = false;
  while (recovered_at.empty()) {
    const std::string data = stream.NextData();
    ASSERT_FALSE(data.empty()) << "stream ended; log:\n" << h.log();
    const auto pub = json::parse(data);
    if (pub.contains("disruptionFootprint")) {
      story.push_back(pub["disruptionFootprint"]["lifecycle"]);
    } else if (pub.contains("nodeRiskChanges")) {
      for (const auto& r : pub["nodeRiskChanges"]["nodes"]) {
        recovered |= r["nodeId"] == "FAB-KUM" && r["observedState"] == "NODE_STATE_RECOVERED";
      }
    } else if (pub.contains("projectionSummary") && recovered) {
      recovered_at = pub["projectionSummary"]["modelTime"];
    }
  }
  const std::vector<std::string> expected = {"LIFECYCLE_ACTIVE", "LIFECYCLE_ENDED"};
  EXPECT_EQ(story, expected);
  auto late = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  EXPECT_TRUE(late["footprints"].empty());
  EXPECT_GE(late["modelTime"].get<std::string>(), recovered_at);
  EXPECT_NE(h.log().find("model clock tick"), std::string::npos);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(DashboardE2ETest, ActionsFollowRolesAndCarryTheDaemonsAnswer) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  const std::string actions = h.dashboard_url() + "api/actions";
  // The page claims another source: the daemon puts the signed-in user's.
  const std::string protect =
      R"({"eventId":"dash-protect-1","source":"someone-else","intervention":{"kind":"KIND_IMMUNIZE","nodeIds":["ECU-NGO"]}})";

  auto anonymous = HttpRequest("POST", actions, {}, protect);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_NE(anonymous.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
  auto forged = HttpRequest("POST", actions, {"Authorization: Bearer not-a-token"}, protect);
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(json::parse(forged.body)["error"],
            "permission_denied: the token matches no dashboard user");
  ExpectRefused(actions, kReaderToken, protect, 403,
                "permission_denied: role 'subscriber' may not send intervention");
  // A producer may report events to the ingest, but protecting a node is an
  // admin's (the ingest's own role table).
  ExpectRefused(actions, kProducerToken, protect, 403,
                "permission_denied: role 'producer' may not send intervention");
  auto quake =
      HttpRequest("POST", actions, {Bearer(kAdminToken)}, R"({"disruption":{"severity":1}})");
  EXPECT_EQ(quake.status, 403);
  EXPECT_EQ(HttpRequest("POST", actions, {Bearer(kAdminToken)}, "{not json").status, 400);
  EXPECT_EQ(HttpRequest("GET", actions, {Bearer(kAdminToken)}).status, 405);

  ExpectAccepted(actions, kAdminToken, protect, "dash-protect-1", "1");
  // Sent again (a retry): the journal de-duplicates it.
  EXPECT_EQ(
      json::parse(HttpRequest("POST", actions, {Bearer(kAdminToken)}, protect).body)["result"],
      "RESULT_DUPLICATE");
  // The daemon's own rejection comes back as 422 with its reason.
  auto unknown =
      HttpRequest("POST", actions, {Bearer(kAdminToken)},
                  R"({"intervention":{"kind":"KIND_IMMUNIZE","nodeIds":["NO-SUCH-NODE"]}})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(json::parse(unknown.body)["reason"].get<std::string>().find("not_found"),
            std::string::npos);

  // Journaled under the user's name, applied by the engine.
  const auto snapshot = json::parse(HttpRequest("GET", h.dashboard_url() + "api/snapshot").body);
  bool immunized = false;
  for (const auto& r : snapshot["nodeRisks"]) {
    immunized |= r["nodeId"] == "ECU-NGO" && r["observedState"] == "NODE_STATE_IMMUNIZED";
  }
  EXPECT_TRUE(immunized);
  EXPECT_NE(h.log().find(
                "dashboard user 'ada' (admin) sent intervention dash-protect-1: RESULT_ACCEPTED"),
            std::string::npos);
  EXPECT_EQ(h.Stop(), 0);

  // The journal holds exactly the one accepted action, as the user's: the
  // refused ones never reached the ingest, the retry was a duplicate and
  // the unknown node was rejected before journaling.
  const auto journaled = Journaled(h);
  ASSERT_EQ(journaled.size(), 1u);
  EXPECT_EQ(journaled[0].event_id(), "dash-protect-1");
  EXPECT_EQ(journaled[0].source(), "dashboard:ada");
  ASSERT_TRUE(journaled[0].has_intervention());
  EXPECT_EQ(journaled[0].intervention().node_ids(0), "ECU-NGO");
}

// Issue 11's operator workflow from the dashboard: an operator (the role
// for incidents, not for protecting nodes) acknowledges the quake's
// incident through api/actions; the daemon journals it as the signed-in
// user's, whatever the page claimed, and the snapshot shows the incident
// acknowledged by that user.
TEST(DashboardE2ETest, AnOperatorActsOnIncidentsAsTheSignedInUser) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  const std::string actions = url + "api/actions";

  auto session =
      json::parse(HttpRequest("GET", url + "api/session", {Bearer(kOperatorToken)}).body);
  EXPECT_EQ(session["name"], "olga");
  EXPECT_EQ(session["role"], "operator");
  EXPECT_EQ(session["actions"], json::array({"operator_action"}));

  // The quake (journal seq 1) opens incident supply/1; a query is answered
  // after every event before it (read-your-writes), so the snapshot has it.
  ASSERT_EQ(h.Send(Quake("e2e-quake"))->journal_seq(), 1u);
  auto before = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  ASSERT_EQ(before["incidents"].size(), 1u) << before.dump();
  EXPECT_EQ(before["incidents"][0]["incidentId"], "supply/1");
  EXPECT_EQ(before["incidents"][0]["lifecycle"], "LIFECYCLE_POTENTIAL");
  EXPECT_EQ(before["incidents"][0]["operatorState"], json::object());  // nobody acted yet

  // The page names someone else as operator and source: the daemon puts the
  // signed-in user's name in both.
  const std::string acknowledge =
      R"({"eventId":"dash-ack-1","source":"someone-else","operatorAction":)"
      R"({"incidentId":"supply/1","kind":"KIND_ACKNOWLEDGE","operator":"mallory","note":"calling the site"}})";
  ExpectRefused(actions, nullptr, acknowledge, 401,
                "permission_denied: actions need a signed-in user");
  ExpectRefused(actions, kReaderToken, acknowledge, 403,
                "permission_denied: role 'subscriber' may not send operator_action");
  ExpectRefused(actions, kProducerToken, acknowledge, 403,
                "permission_denied: role 'producer' may not send operator_action");
  // An operator acts on incidents; protecting a node stays an admin's.
  ExpectRefused(actions, kOperatorToken,
                R"({"intervention":{"kind":"KIND_IMMUNIZE","nodeIds":["ECU-NGO"]}})", 403,
                "permission_denied: role 'operator' may not send intervention");

  ExpectAccepted(actions, kOperatorToken, acknowledge, "dash-ack-1", "2");
  // An incident the daemon does not know: its own rejection, 422.
  auto unknown =
      HttpRequest("POST", actions, {Bearer(kOperatorToken)},
                  R"({"operatorAction":{"incidentId":"supply/99","kind":"KIND_ACKNOWLEDGE"}})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(json::parse(unknown.body)["result"], "RESULT_REJECTED");
  EXPECT_EQ(json::parse(unknown.body)["reason"],
            "not_found: operator_action.incident_id: no incident 'supply/99' (closed incidents "
            "beyond incidents.retain_closed are forgotten)");

  // The incident, acknowledged by the signed-in user, with the action in
  // its history as journaled.
  auto after = json::parse(HttpRequest("GET", url + "api/snapshot").body);
  ASSERT_EQ(after["incidents"].size(), 1u);
  const auto& state = after["incidents"][0]["operatorState"];
  EXPECT_EQ(state["acknowledged"], true) << state.dump();
  EXPECT_EQ(state["acknowledgedBy"], "olga");
  ASSERT_EQ(state["history"].size(), 1u);
  EXPECT_EQ(state["history"][0]["eventId"], "dash-ack-1");
  EXPECT_EQ(state["history"][0]["journalSeq"], "2");
  EXPECT_EQ(state["history"][0]["action"]["kind"], "KIND_ACKNOWLEDGE");
  EXPECT_EQ(state["history"][0]["action"]["operator"], "olga");
  EXPECT_EQ(state["history"][0]["action"]["note"], "calling the site");
  EXPECT_NE(
      h.log().find(
          "dashboard user 'olga' (operator) sent operator_action dash-ack-1: RESULT_ACCEPTED"),
      std::string::npos);
  EXPECT_EQ(h.Stop(), 0);

  const auto journaled = Journaled(h);
  ASSERT_EQ(journaled.size(), 2u);  // the quake and the acknowledgement
  EXPECT_EQ(journaled[1].event_id(), "dash-ack-1");
  EXPECT_EQ(journaled[1].source(), "dashboard:olga");
  ASSERT_TRUE(journaled[1].has_operator_action());
  EXPECT_EQ(journaled[1].operator_action().operator_(), "olga");
  EXPECT_EQ(journaled[1].operator_action().incident_id(), "supply/1");
  EXPECT_EQ(journaled[1].operator_action().kind(), riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
}

TEST(DashboardE2ETest, WithoutAnonymousReadEveryApiRequestNeedsAToken) {
  DaemonHarness h(Config("anonymous_read: false max_clients: 1"));
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  // The page itself (the sign-in form) is public; the data is not.
  EXPECT_EQ(HttpRequest("GET", url).status, RISKD_HAVE_DASHBOARD_BUNDLE ? 200 : 404);
  for (const char* api : {"api/session", "api/network", "api/snapshot", "api/events"}) {
    EXPECT_EQ(HttpRequest("GET", url + api, {}, "", 2000).status, 401) << api;
  }
  auto session = HttpRequest("GET", url + "api/session", {Bearer(kReaderToken)});
  ASSERT_EQ(session.status, 200);
  EXPECT_EQ(json::parse(session.body)["name"], "rita");
  EXPECT_EQ(json::parse(session.body)["actions"].size(), 0u);
  EXPECT_EQ(json::parse(
                HttpRequest("GET", url + "api/session", {Bearer(kAdminToken)}).body)["actions"][0],
            "intervention");
  EXPECT_EQ(HttpRequest("GET", url + "api/snapshot", {Bearer(kReaderToken)}).status, 200);

  // The stream takes the token in the query (EventSource sends no headers);
  // max_clients 1: a second stream is refused while the first is open.
  EventStream first(url, std::string("/api/events?access_token=") + kReaderToken);
  EXPECT_EQ(first.Head().rfind("HTTP/1.1 200", 0), 0u);
  EventStream second(url, std::string("/api/events?access_token=") + kReaderToken);
  EXPECT_EQ(second.Head().rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_EQ(h.Stop(), 0);
}

TEST(DashboardE2ETest, OnLoopbackOnlyLoopbackHostNamesAreServed) {
  DaemonHarness h(Config());
  ASSERT_TRUE(h.Start());
  const std::string url = h.dashboard_url();
  const std::string port = url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 2);
  EXPECT_EQ(HttpRequest("GET", url + "api/session", {"Host: localhost:" + port}).status, 200);
  // A name rebound to 127.0.0.1 by someone else's DNS is not this server's.
  auto rebound = HttpRequest("GET", url + "api/snapshot", {"Host: attacker.example:" + port});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(json::parse(rebound.body)["error"],
            "permission_denied: this dashboard answers loopback host names only");
  // No CORS: a preflight from another origin gets no Allow-Origin.
  auto preflight =
      HttpRequest("OPTIONS", url + "api/actions",
                  {"Origin: http://attacker.example", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(preflight.headers.find("Access-Control-Allow-Origin"), std::string::npos);
  EXPECT_EQ(h.Stop(), 0);
}

}  // namespace
}  // namespace riskd::testing
