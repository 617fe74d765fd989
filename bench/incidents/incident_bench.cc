// Incidents, not floods (issue 11): one large earthquake on a generated
// 10,000-node supplier network, the daemon (a child process) running its
// default configuration. Metrics:
//   alerts_per_incident_max         distinct node alerts pushed under one
//                                   incident over the whole scenario (target
//                                   <= 50)
//   incidents                       incidents published (target: 1)
//   alert_messages_per_incident_max alert publications (raised, updated,
//                                   resolved) under one incident
//   open_alerts_unbudgeted          nodes at alert level after the quake:
//                                   what would have been pushed without a
//                                   budget
//   recovery_alert_messages         alert publications while every hit site
//                                   reports itself recovered, one status
//                                   event per site
//   incident_messages               incident publications over the scenario
//   incident_latency_ms             quake sent -> its incident received
// The network: Barabasi-Albert, m = 3 (old suppliers, new customers),
// weights uniform in [1, 10], seed 20261130; nodes placed uniformly in
// 31..45 N, 129..146 E; tier = distance in edges to the nearest node with no
// customer. The quake: severity 1, 150 km around 38 N 138 E (about 3% of
// the nodes).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>

#include "bench/common/json_line.h"
#include "engine/testing/generators.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"
#include "tests/support/daemon_harness.h"

namespace {

using Clock = std::chrono::steady_clock;
using riskd::bench::JsonLine;

struct Files {
  std::string nodes, edges;
  std::size_t node_count = 0, edge_count = 0;
};

Files WriteNetwork(const std::string& dir, std::size_t n, std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  riskd::engine::GeneratorOptions options;
  options.seed = seed;
  options.min_weight = 1;
  options.max_weight = 10;
  const auto net = riskd::engine::BarabasiAlbert(n, 3, options);
  // Tier: edges to the nearest node without customers (breadth first,
  // backwards from those nodes).
  std::vector<int> tier(net.node_slots(), -1);
  std::deque<riskd::engine::NodeIndex> queue;
  for (riskd::engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    if (net.out_begin(v) == net.out_end(v)) {
      tier[v] = 0;
      queue.push_back(v);
    }
  }
  while (!queue.empty()) {
    const auto v = queue.front();
    queue.pop_front();
    for (const auto u : net.in_sources(v)) {
      if (tier[u] < 0) {
        tier[u] = tier[v] + 1;
        queue.push_back(u);
      }
    }
  }
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
  };
  Files f{dir + "/nodes.csv", dir + "/edges.csv", net.node_count(), net.edge_count()};
  FILE* nodes = std::fopen(f.nodes.c_str(), "w");
  std::fprintf(nodes, "id,tier,lat,lon\n");
  for (riskd::engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    const double lat = uniform(31, 45), lon = uniform(129, 146);
    std::fprintf(nodes, "%s,%d,%.5f,%.5f\n", std::string(net.id(v)).c_str(), tier[v], lat, lon);
  }
  std::fclose(nodes);
  FILE* edges = std::fopen(f.edges.c_str(), "w");
  std::fprintf(edges, "from,to,weight\n");
  for (const auto& e : net.Edges()) {
    std::fprintf(edges, "%s,%s,%.6g\n", std::string(net.id(e.from)).c_str(),
                 std::string(net.id(e.to)).c_str(), e.weight);
  }
  std::fclose(edges);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) quick |= std::string(argv[i]) == "--quick";
  (void)quick;  // one scenario, already small
  const std::size_t n = 10000;
  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_incident_" + std::to_string(::getpid()));
  const Files files = WriteNetwork(dir.string(), n, 20261130);

  // The default configuration: only the network and quiet logs.
  riskd::testing::DaemonHarness daemon("network { csv { nodes: \"" + files.nodes + "\" edges: \"" +
                                       files.edges +
                                       "\" } }\n"
                                       "logging { level: \"warn\" }\n");
  if (!daemon.Start()) return 1;
  riskd::testing::Subscriber sub(daemon.context(), daemon.publish(), "");

  std::map<std::string, std::set<std::string>> alerts_by_incident;  // incident -> alert ids
  std::map<std::string, int> messages_by_incident;
  std::set<std::string> incidents;
  riskd::v1::Incident last_incident;
  int alert_messages = 0, incident_messages = 0;
  auto take = [&](const riskd::v1::Publication& pub) {
    if (pub.has_incident()) {
      ++incident_messages;
      incidents.insert(pub.incident().incident_id());
      last_incident = pub.incident();
    }
    if (pub.has_alert()) {
      ++alert_messages;
      alerts_by_incident[pub.alert().incident_id()].insert(pub.alert().alert_id());
      ++messages_by_incident[pub.alert().incident_id()];
    }
  };
  // Reads publications until `done` or the timeout.
  auto drain = [&](auto done, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto msg = sub.Next(std::chrono::milliseconds(100));
      if (!msg) continue;
      take(msg->second);
      if (done(msg->second)) return true;
    }
    return false;
  };

  riskd::v1::Envelope quake;
  quake.set_event_id("usgs:bench-quake");
  auto* d = quake.mutable_disruption();
  d->set_hazard(riskd::v1::HAZARD_EARTHQUAKE);
  d->set_severity(1.0);
  d->set_feed_event_id("bench-quake");
  d->set_title("M 7.8 - bench quake");
  d->mutable_place()->mutable_circle()->mutable_center()->set_lat(38);
  d->mutable_place()->mutable_circle()->mutable_center()->set_lon(138);
  d->mutable_place()->mutable_circle()->set_radius_km(150);
  const auto t0 = Clock::now();
  auto ack = daemon.Send(quake);
  if (!ack || ack->result() != riskd::v1::Ack::RESULT_ACCEPTED) return 1;
  const std::size_t hit = ack->place_matched_nodes();
  double incident_ms = -1;
  if (!drain(
          [&](const riskd::v1::Publication& p) {
            if (p.has_incident() && incident_ms < 0) {
              incident_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            }
            return p.has_projection_summary();
          },
          std::chrono::seconds(120))) {
    std::fprintf(stderr, "incident_bench: no projection after the quake\n");
    return 1;
  }
  // Nodes at alert level (the whole flood, answered by queries).
  riskd::v1::Envelope q;
  q.set_event_id("bench-query");
  q.mutable_query()->mutable_projection();
  auto summary = daemon.Send(q);
  const int unbudgeted = summary && summary->response().projections_size() > 0
                             ? summary->response().projections(0).nodes_at_risk()
                             : -1;
  // Let the rest of the round and the plan go by.
  drain([](const riskd::v1::Publication&) { return false; }, std::chrono::seconds(2));

  // Every hit site reports itself recovered.
  riskd::v1::Envelope incident_query;
  incident_query.set_event_id("bench-incident");
  incident_query.mutable_query()->mutable_incident()->set_incident_id(last_incident.incident_id());
  incident_query.mutable_query()->mutable_incident()->set_max_nodes(10000);
  auto answer = daemon.Send(incident_query);
  const int alerts_before_recovery = alert_messages;
  std::vector<std::string> sources;
  {
    // The sources: the snapshot's observed disrupted nodes (the Ack lists
    // only the first 10).
    riskd::v1::Envelope snap;
    snap.set_event_id("bench-snapshot");
    snap.mutable_query()->mutable_snapshot();
    auto s = daemon.Send(snap);
    if (s) {
      for (const auto& nr : s->response().snapshot().node_risks()) {
        if (nr.observed_state() == riskd::v1::NODE_STATE_DISRUPTED) sources.push_back(nr.node_id());
      }
    }
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    riskd::v1::Envelope e;
    e.set_event_id("erp:recovered-" + std::to_string(i));
    e.mutable_supplier_status()->set_node_id(sources[i]);
    e.mutable_supplier_status()->set_state(riskd::v1::NODE_STATE_RECOVERED);
    if (!daemon.Send(e)) return 1;
  }
  const bool restored = drain(
      [](const riskd::v1::Publication& p) {
        return p.has_incident() &&
               p.incident().lifecycle() == riskd::v1::Incident::LIFECYCLE_RESTORED;
      },
      std::chrono::seconds(120));
  drain([](const riskd::v1::Publication&) { return false; }, std::chrono::seconds(1));
  const int recovery_messages = alert_messages - alerts_before_recovery;
  const int stop = daemon.Stop();
  std::filesystem::remove_all(dir);

  std::size_t alerts_max = 0;
  int messages_max = 0;
  for (const auto& [id, alerts] : alerts_by_incident)
    alerts_max = std::max(alerts_max, alerts.size());
  for (const auto& [id, count] : messages_by_incident) messages_max = std::max(messages_max, count);
  auto params = [&](JsonLine l) {
    l.Param("nodes", static_cast<long long>(files.node_count))
        .Param("edges", static_cast<long long>(files.edge_count))
        .Param("generator", "barabasi_albert_m3_seed20261130")
        .Param("quake_radius_km", 150.0)
        .Param("sources", static_cast<long long>(hit))
        .Param("config", "default");
    return l;
  };
  params(
      JsonLine("incidents", "alerts_per_incident_max", static_cast<double>(alerts_max), "alerts"))
      .Param("target", 50.0)
      .Print();
  params(JsonLine("incidents", "incidents", static_cast<double>(incidents.size()), "incidents"))
      .Param("target", 1.0)
      .Print();
  params(JsonLine("incidents", "alert_messages_per_incident_max", messages_max, "messages"))
      .Print();
  params(JsonLine("incidents", "open_alerts_unbudgeted", unbudgeted, "alerts")).Print();
  params(JsonLine("incidents", "recovery_alert_messages", recovery_messages, "messages"))
      .Param("status_events", static_cast<long long>(sources.size()))
      .Param("restored", restored)
      .Print();
  params(JsonLine("incidents", "incident_messages", incident_messages, "messages"))
      .Param("status_events", static_cast<long long>(sources.size()))
      .Print();
  params(JsonLine("incidents", "incident_latency_ms", incident_ms, "ms")).Print();
  params(JsonLine("incidents", "nodes_in_incident_query",
                  answer ? answer->response().incident_nodes_size() : -1, "nodes"))
      .Print();
  return stop == 0 && restored ? 0 : 1;
}
