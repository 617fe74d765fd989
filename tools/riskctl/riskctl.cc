// riskctl: the operator's command line for riskd (riskctl --help, and
// riskctl COMMAND --help for each command).
//
//   riskctl send   [--endpoint E] [--file F | JSON...]   send Envelopes (protobuf JSON,
//                                                       one per line in F, "-" = stdin)
//   riskctl tail   [--endpoint E] [--topic P] [--count N] [--timeout S] [--json]
//                                                       print published messages
//   riskctl query  [--endpoint E] [--text] snapshot | projection [RISK] | node ID... | plan K [RISK]
//                                                       (--text: for people, not JSON)
//   riskctl status [--endpoint E] [--json]              the daemon's sequences, counters, health
//   riskctl verify-journal --db PATH                    check the journal's hash chain (read-only)
//   riskctl import --config FILE                        (re-)import the configured network
//                                                       into the database (daemon stopped)
//   riskctl calibrate --db PATH [--risk-type R] [--config F] [--gap-days D] [--max-days D]
//                     [--confidence C]                  fit alpha, beta, kappa to the journal's
//                                                       cascades (calibrate_command.h)
//   riskctl keygen --out FILE                           make a CURVE key pair (zcert file)
//
// With CURVE on (config `security`), clients add
//   --server-key KEY|FILE   the daemon's public key (Z85) or its cert file
//   --cert FILE             this client's cert (with secret key)
//
// Default endpoints: ingest tcp://127.0.0.1:7750, publish tcp://127.0.0.1:7751.
// Exit status: 0 on success, 1 when something was rejected or failed, 2 on
// usage errors (unknown flags, bad numbers; tools/common/command_line.h).
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "connectors/store/journal.h"
#include "connectors/store/state_store.h"
#include "connectors/zmq/curve_auth.h"
#include "daemon/base_network.h"
#include "daemon/settings.h"
#include "tools/common/command_line.h"
#include "tools/riskctl/calibrate_command.h"
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"

namespace {

using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

struct Args {
  std::string endpoint;
  std::string file;
  std::string topic;
  std::string db;
  std::string config;
  long count = -1;
  double timeout_s = -1;
  double ack_timeout_s = 10;
  bool json = false;
  bool text = false;
  std::string server_key;
  std::string cert;
  std::vector<std::string> rest;
  // query
  std::string risk_type;
  std::vector<std::string> node_ids;
  int plan_k = 0;
};

// CURVE client options from --server-key / --cert; false (and a message) on
// bad keys.
bool ApplyCurve(const Args& args, zmq::socket_t& socket) {
  if (args.server_key.empty() && args.cert.empty()) return true;
  if (args.server_key.empty() || args.cert.empty()) {
    std::cerr << "riskctl: CURVE needs both --server-key and --cert\n";
    return false;
  }
  riskd::connectors::CurveClientKeys keys;
  if (riskd::connectors::IsCurveKey(args.server_key)) {
    keys.server_public_key = args.server_key;
  } else {
    auto server = riskd::connectors::LoadCurveCert(args.server_key);
    if (!server.ok()) {
      std::cerr << "riskctl: --server-key: " << server.status().ToString() << "\n";
      return false;
    }
    keys.server_public_key = server->public_key;
  }
  auto client = riskd::connectors::LoadCurveCert(args.cert);
  if (!client.ok() || client->secret_key.empty()) {
    std::cerr << "riskctl: --cert: " << (client.ok() ? "no secret-key" : client.status().ToString()) << "\n";
    return false;
  }
  keys.client = *client;
  riskd::connectors::ApplyCurveClient(socket, keys);
  return true;
}

int Keygen(const Args& args) {
  auto pair = riskd::connectors::GenerateCurveKeyPair();
  if (!pair.ok()) {
    std::cerr << "riskctl: " << pair.status().ToString() << "\n";
    return 1;
  }
  const auto st = riskd::connectors::SaveCurveCert(args.file, *pair);
  if (!st.ok()) {
    std::cerr << "riskctl: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << pair->public_key << "\n";
  return 0;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  JsonPrintOptions opt;
  opt.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opt);
  return out;
}

std::string Severity(riskd::v1::Severity s) {
  switch (s) {
    case riskd::v1::SEVERITY_CRITICAL: return "CRITICAL";
    case riskd::v1::SEVERITY_WARNING: return "WARNING";
    default: return "INFO";
  }
}

std::string Lifecycle(riskd::v1::Alert::Lifecycle l) {
  switch (l) {
    case riskd::v1::Alert::LIFECYCLE_RAISED: return "raised";
    case riskd::v1::Alert::LIFECYCLE_UPDATED: return "updated";
    case riskd::v1::Alert::LIFECYCLE_RESOLVED: return "resolved";
    default: return "?";
  }
}

std::string DescribeBody(const riskd::v1::Publication& p);

// One line a dashboard operator can read; "#<sequence>" first for published
// messages (snapshots hold bodies without one).
std::string Describe(const riskd::v1::Publication& p) {
  std::string body = DescribeBody(p);
  if (p.sequence() == 0) return body;
  return "#" + std::to_string(p.sequence()) + " " + body;
}

std::string DescribeBody(const riskd::v1::Publication& p) {
  char buf[512];
  if (p.has_alert()) {
    const auto& a = p.alert();
    std::string path;
    for (const auto& n : a.cause_path()) path += (path.empty() ? "" : " > ") + n;
    std::snprintf(buf, sizeof buf, "ALERT %-8s %-9s %-8s %-12s P=%.3f eta=%s%s",
                  Severity(a.severity()).c_str(),
                  Lifecycle(a.lifecycle()).c_str(), a.risk_type().c_str(), a.node_id().c_str(),
                  a.probability(),
                  a.eta_steps() < 0 ? "-" : (std::to_string(a.eta_steps()) + "d").c_str(),
                  path.empty() ? "" : ("  via " + path).c_str());
    return buf;
  }
  if (p.has_projection_summary()) {
    const auto& s = p.projection_summary();
    std::snprintf(buf, sizeof buf,
                  "SUMMARY %-8s expected disrupted %.2f [%.1f, %.1f] within %d steps; "
                  "observed disrupted %d, immunized %d, at risk %d (%.1f ms)",
                  s.risk_type().c_str(),
                  s.expected_disrupted(), s.disrupted_p05(), s.disrupted_p95(), s.horizon_steps(),
                  s.observed_disrupted(), s.immunized(), s.nodes_at_risk(), s.compute_ms());
    return buf;
  }
  if (p.has_immunization_plan()) {
    const auto& pl = p.immunization_plan();
    std::string targets;
    for (const auto& t : pl.targets()) {
      char one[160];
      std::snprintf(one, sizeof one, "%s%s (-%.2f)", targets.empty() ? "" : ", ", t.node_id().c_str(),
                    t.expected_averted());
      targets += one;
    }
    std::snprintf(buf, sizeof buf, "PLAN %-8s k=%d %s: %s (%.2f -> %.2f)",
                  pl.risk_type().c_str(), pl.k(),
                  pl.strategy().c_str(), targets.c_str(), pl.expected_disrupted_before(),
                  pl.expected_disrupted_after());
    return buf;
  }
  return "(unknown body)";
}

// Sends one Envelope on a DEALER and waits for its Ack.
bool Exchange(zmq::socket_t& dealer, const riskd::v1::Envelope& env, double timeout_s,
              riskd::v1::Ack* ack) {
  dealer.send(zmq::buffer(env.SerializeAsString()), zmq::send_flags::none);
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(static_cast<long>(timeout_s * 1000))) <= 0) {
    return false;
  }
  zmq::message_t reply;
  (void)dealer.recv(reply, zmq::recv_flags::none);
  return ack->ParseFromArray(reply.data(), static_cast<int>(reply.size()));
}

int Send(const Args& args, zmq::context_t& ctx) {
  std::vector<std::string> docs = args.rest;
  if (!args.file.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (args.file != "-") {
      file.open(args.file);
      if (!file) {
        std::cerr << "riskctl: cannot open " << args.file << "\n";
        return 1;
      }
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      docs.push_back(line);
    }
  }
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  if (!ApplyCurve(args, dealer)) return 2;
  dealer.connect(args.endpoint);
  int failures = 0;
  for (const auto& doc : docs) {
    riskd::v1::Envelope env;
    JsonParseOptions opt;
    const auto st = google::protobuf::util::JsonStringToMessage(doc, &env, opt);
    if (!st.ok()) {
      std::cout << "LOCAL-REJECT  " << st.ToString() << "\n";
      ++failures;
      continue;
    }
    riskd::v1::Ack ack;
    if (!Exchange(dealer, env, args.ack_timeout_s, &ack)) {
      std::cout << "TIMEOUT       " << env.event_id() << " (no ack from " << args.endpoint << ")\n";
      return 1;
    }
    switch (ack.result()) {
      case riskd::v1::Ack::RESULT_ACCEPTED:
        std::cout << "ACCEPTED      " << ack.event_id() << " seq " << ack.journal_seq() << "\n";
        if (ack.has_response()) std::cout << ToJson(ack.response()) << "\n";
        break;
      case riskd::v1::Ack::RESULT_DUPLICATE:
        std::cout << "DUPLICATE     " << ack.event_id() << " seq " << ack.journal_seq() << "\n";
        break;
      default:
        std::cout << "REJECTED      " << ack.event_id() << ": " << ack.reason() << "\n";
        ++failures;
    }
  }
  return failures ? 1 : 0;
}

int Tail(const Args& args, zmq::context_t& ctx) {
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, args.topic);
  if (!ApplyCurve(args, sub)) return 2;
  sub.connect(args.endpoint);
  const auto start = std::chrono::steady_clock::now();
  long seen = 0;
  while (args.count < 0 || seen < args.count) {
    long wait_ms = 1000;
    if (args.timeout_s >= 0) {
      const double left =
          args.timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (left <= 0) break;
      wait_ms = static_cast<long>(left * 1000) + 1;
    }
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(wait_ms)) <= 0) continue;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(sub, std::back_inserter(frames));
    if (frames.size() != 2) continue;
    riskd::v1::Publication pub;
    if (!pub.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) continue;
    if (args.json) {
      std::cout << "{\"topic\":\"" << frames[0].to_string() << "\",\"publication\":" << ToJson(pub)
                << "}\n";
    } else {
      std::cout << Describe(pub) << "\n";
    }
    std::cout.flush();
    ++seen;
  }
  return 0;
}

// The answer to a query, for people.
void PrintText(const riskd::v1::QueryResponse& r) {
  auto plan = [](const riskd::v1::ImmunizationPlan& p) {
    std::printf("Immunization plan (%s, k=%d, %s): expected disrupted %.2f -> %.2f\n",
                p.risk_type().c_str(), p.k(), p.strategy().c_str(), p.expected_disrupted_before(),
                p.expected_disrupted_after());
    int rank = 0;
    for (const auto& t : p.targets()) {
      std::printf("  %d. %-14s %-34s averts %.2f  %s\n", ++rank, t.node_id().c_str(),
                  t.node_name().c_str(), t.expected_averted(), t.reason().c_str());
    }
  };
  if (r.has_snapshot()) {
    const auto& s = r.snapshot();
    std::printf("Snapshot at journal seq %llu, publication seq %llu\n",
                static_cast<unsigned long long>(s.journal_seq()),
                static_cast<unsigned long long>(s.sequence()));
    std::printf("Hit directly (observed disrupted):\n");
    for (const auto& n : s.node_risks()) {
      if (n.observed_state() == riskd::v1::NODE_STATE_DISRUPTED) {
        std::printf("  %-16s %-10s P=%.2f\n", n.node_id().c_str(), n.risk_type().c_str(), n.probability());
      }
    }
    std::vector<riskd::v1::Alert> alerts(s.open_alerts().begin(), s.open_alerts().end());
    std::sort(alerts.begin(), alerts.end(),
              [](const auto& a, const auto& b) { return a.probability() > b.probability(); });
    std::printf("Warned (%zu open alerts):\n", alerts.size());
    for (const auto& a : alerts) {
      riskd::v1::Publication p;
      *p.mutable_alert() = a;
      std::printf("  %s\n", Describe(p).c_str());
    }
    for (const auto& sum : s.projections()) {
      riskd::v1::Publication p;
      *p.mutable_projection_summary() = sum;
      std::printf("%s\n", Describe(p).c_str());
    }
    for (const auto& p : s.plans()) plan(p);
  }
  for (const auto& n : r.node_risks()) {
    std::printf("%-16s %-10s observed %-24s P=%.3f eta=%d\n", n.node_id().c_str(), n.risk_type().c_str(),
                riskd::v1::NodeState_Name(n.observed_state()).c_str(), n.probability(), n.eta_steps());
  }
  for (const auto& sum : r.projections()) {
    riskd::v1::Publication p;
    *p.mutable_projection_summary() = sum;
    std::printf("%s\n", Describe(p).c_str());
  }
  if (r.has_plan()) plan(r.plan());
}

// One query on a DEALER; its Ack when answered ACCEPTED (else a message
// and nullopt).
std::optional<riskd::v1::Ack> Ask(const Args& args, zmq::context_t& ctx, riskd::v1::Envelope env) {
  env.set_event_id("riskctl-query-" + std::to_string(::getpid()));
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  if (!ApplyCurve(args, dealer)) return std::nullopt;
  dealer.connect(args.endpoint);
  riskd::v1::Ack ack;
  if (!Exchange(dealer, env, args.ack_timeout_s, &ack)) {
    std::cerr << "riskctl: no answer from " << args.endpoint << "\n";
    return std::nullopt;
  }
  if (ack.result() != riskd::v1::Ack::RESULT_ACCEPTED) {
    std::cerr << "riskctl: rejected: " << ack.reason() << "\n";
    return std::nullopt;
  }
  return ack;
}

int Query(const Args& args, zmq::context_t& ctx, const riskd::v1::Envelope& env) {
  auto ack = Ask(args, ctx, env);
  if (!ack) return 1;
  if (args.text) {
    PrintText(ack->response());
  } else {
    std::cout << ToJson(ack->response()) << "\n";
  }
  return 0;
}

int Status(const Args& args, zmq::context_t& ctx) {
  riskd::v1::Envelope env;
  env.mutable_query()->mutable_status();
  auto ack = Ask(args, ctx, env);
  if (!ack) return 1;
  const auto& s = ack->response().status();
  if (args.json) {
    std::cout << ToJson(s) << "\n";
    return 0;
  }
  const auto backlog = s.journal_last_seq() - std::min(s.journal_last_seq(), s.engine_applied_seq());
  std::printf("riskd %s, up since %s\n", s.version().c_str(),
              google::protobuf::util::TimeUtil::ToString(s.started_at()).c_str());
  std::printf("journal: last seq %llu, hash chain %s\n",
              static_cast<unsigned long long>(s.journal_last_seq()),
              s.journal_chain_intact() ? "intact" : "BROKEN (events refused)");
  std::printf("engine: applied seq %llu (%llu behind), %llu open alert(s), publication seq %llu\n",
              static_cast<unsigned long long>(s.engine_applied_seq()),
              static_cast<unsigned long long>(backlog), static_cast<unsigned long long>(s.open_alerts()),
              static_cast<unsigned long long>(s.publication_sequence()));
  std::printf("ingest since start: %llu received, %llu accepted, %llu duplicate, %llu rejected, "
              "%llu queries\n",
              static_cast<unsigned long long>(s.received()), static_cast<unsigned long long>(s.accepted()),
              static_cast<unsigned long long>(s.duplicates()), static_cast<unsigned long long>(s.rejected()),
              static_cast<unsigned long long>(s.queries()));
  std::printf("config reloads: %llu applied, %llu refused\n",
              static_cast<unsigned long long>(s.reloads()),
              static_cast<unsigned long long>(s.reloads_failed()));
  std::printf("start: restored checkpoint at seq %llu, replayed %llu event(s); newest checkpoint seq %llu\n",
              static_cast<unsigned long long>(s.restored_checkpoint_seq()),
              static_cast<unsigned long long>(s.replayed_at_start()),
              static_cast<unsigned long long>(s.checkpoint_seq()));
  return 0;
}

int VerifyJournal(const Args& args) {
  auto journal = riskd::connectors::Journal::OpenReadOnly(args.db);
  if (!journal.ok()) {
    std::cerr << "riskctl: " << journal.status().ToString() << "\n";
    return 1;
  }
  auto report = (*journal)->Verify();
  if (!report.ok()) {
    std::cerr << "riskctl: " << report.status().ToString() << "\n";
    return 1;
  }
  if (!report->ok) {
    std::cout << "journal BROKEN at seq " << report->first_bad_seq << ": " << report->problem
              << " (" << report->rows << " rows verified before it)\n";
    return 1;
  }
  if (report->rows == 0) {
    std::cout << "journal EMPTY: no rows in " << args.db << "\n";
    return 1;
  }
  std::cout << "journal OK: " << report->rows << " rows, hash chain intact; last seq "
            << report->last_seq << " hash " << riskd::connectors::HexBytes(report->last_hash)
            << "\n";
  return 0;
}

int Import(const Args& args) {
  auto settings = riskd::daemon::LoadSettings(args.config);
  if (!settings.ok()) {
    std::cerr << "riskctl: " << settings.status().ToString() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(settings->state_dir, ec);
  auto store = riskd::connectors::StateStore::Open(settings->database);
  if (!store.ok()) {
    std::cerr << "riskctl: " << store.status().ToString() << "\n";
    return 1;
  }
  auto base = riskd::daemon::LoadBaseNetwork(store->get(), settings->config.network(),
                                             settings->config_dir, /*reimport=*/true);
  if (!base.ok()) {
    std::cerr << "riskctl: " << base.status().ToString() << "\n";
    return 1;
  }
  auto digest = (*store)->NetworkDigest();
  std::cout << "imported " << base->network.node_count() << " nodes, " << base->network.edge_count()
            << " edges into " << settings->database << " (source digest "
            << (digest.ok() ? *digest : std::string("?")) << ")\n";
  return 0;
}

// The client options of commands that talk to a running daemon.
void AddClientOptions(CLI::App* cmd, Args* args) {
  cmd->add_option("--endpoint", args->endpoint, "daemon endpoint (tcp://, ipc://)");
  cmd->add_option("--server-key", args->server_key, "CURVE: the daemon's public key (Z85) or cert file");
  cmd->add_option("--cert", args->cert, "CURVE: this client's cert file (with secret key)");
  cmd->add_option("--ack-timeout", args->ack_timeout_s, "seconds to wait for each answer (default 10)")
      ->check(riskd::tools::Number(0.001));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  riskd::v1::Envelope query;
  CLI::App app{"riskctl: the operator's command line for riskd (docs/operations.md)", "riskctl"};
  app.set_version_flag("--version", riskd::tools::VersionLine("riskctl"));
  app.require_subcommand(1);

  auto* send = app.add_subcommand("send", "send Envelopes written as protobuf JSON");
  AddClientOptions(send, &args);
  send->add_option("--file", args.file, "one Envelope per line ('-': stdin; # comments)");
  send->add_option("json", args.rest, "Envelopes as JSON");

  auto* tail = app.add_subcommand("tail", "print published messages");
  AddClientOptions(tail, &args);
  tail->add_option("--topic", args.topic, "topic prefix, e.g. alert.critical.");
  tail->add_option("--count", args.count, "stop after N messages")->check(riskd::tools::Integer(0));
  tail->add_option("--timeout", args.timeout_s, "stop after S seconds")->check(riskd::tools::Number(0));
  tail->add_flag("--json", args.json, "one JSON object per message");

  auto* q = app.add_subcommand("query", "ask the daemon (JSON answer, --text for people)");
  AddClientOptions(q, &args);
  q->add_flag("--text", args.text, "print for people");
  q->require_subcommand(1);
  // `query snapshot --text` as well as `query --text snapshot`.
  q->fallthrough();
  q->add_subcommand("snapshot", "states, open alerts, summaries, plans")->callback([&] {
    query.mutable_query()->mutable_snapshot();
  });
  auto* projection = q->add_subcommand("projection", "latest projection summaries");
  projection->add_option("risk_type", args.risk_type, "one risk type (default: all)");
  projection->callback([&] { query.mutable_query()->mutable_projection()->set_risk_type(args.risk_type); });
  auto* node = q->add_subcommand("node", "current risk of nodes");
  node->add_option("ids", args.node_ids, "node ids")->required();
  node->callback([&] {
    for (const auto& id : args.node_ids) query.mutable_query()->mutable_node_risk()->add_node_ids(id);
  });
  auto* plan = q->add_subcommand("plan", "an immunization plan computed now");
  plan->add_option("k", args.plan_k, "number of targets")->required()->check(riskd::tools::Integer(1, 10000));
  plan->add_option("risk_type", args.risk_type, "risk type (default: the configured default)");
  plan->callback([&] {
    query.mutable_query()->mutable_plan()->set_k(args.plan_k);
    query.mutable_query()->mutable_plan()->set_risk_type(args.risk_type);
  });

  auto* status = app.add_subcommand("status", "the daemon's sequences, counters and health");
  AddClientOptions(status, &args);
  status->add_flag("--json", args.json, "as JSON");

  auto* verify = app.add_subcommand("verify-journal", "check the journal's hash chain (read-only)");
  verify->add_option("--db", args.db, "database file")->required();

  auto* import = app.add_subcommand(
      "import", "import the configured network source into the database (riskd stopped)");
  import->add_option("--config", args.config, "riskd configuration file")->required();

  riskd::tools::CalibrateArgs calibration;
  auto* calibrate = app.add_subcommand(
      "calibrate", "fit alpha, beta and kappa to the journal's cascades (docs/model.md section 12)");
  calibrate->add_option("--db", calibration.db, "database file (journal and base network)")->required();
  calibrate->add_option("--risk-type", calibration.risk_type, "risk type (default: the configured default)");
  calibrate->add_option("--config", calibration.config,
                        "riskd configuration file: current rates, layers, direction, step");
  calibrate->add_option("--gap-days", calibration.gap_days, "a cascade ends after this many quiet days (14)")
      ->check(riskd::tools::Number(0.001));
  calibrate->add_option("--max-days", calibration.max_days, "longest cascade in days (365)")
      ->check(riskd::tools::Number(0.001));
  calibrate->add_option("--confidence", calibration.confidence, "level of the intervals (0.95)")
      ->check(riskd::tools::Number(0.01, 0.999));

  auto* keygen = app.add_subcommand("keygen", "make a CURVE key pair (zcert file, mode 0600)");
  keygen->add_option("--out", args.file, "certificate file to write")->required();

  if (auto code = riskd::tools::ParseCommandLine(app, argc, argv)) return *code;
  if (args.endpoint.empty()) args.endpoint = tail->parsed() ? "tcp://127.0.0.1:7751" : "tcp://127.0.0.1:7750";
  zmq::context_t ctx(1);
  if (send->parsed()) return Send(args, ctx);
  if (tail->parsed()) return Tail(args, ctx);
  if (q->parsed()) return Query(args, ctx, query);
  if (status->parsed()) return Status(args, ctx);
  if (verify->parsed()) return VerifyJournal(args);
  if (import->parsed()) return Import(args);
  if (calibrate->parsed()) return riskd::tools::RunCalibrate(calibration, std::cout, std::cerr);
  return Keygen(args);
}
