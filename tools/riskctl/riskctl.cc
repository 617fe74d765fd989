// riskctl: the operator's command line for riskd (riskctl --help, and
// riskctl COMMAND --help for each command).
//
//   riskctl send   [--endpoint E] [--file F | JSON...]   send Envelopes (protobuf JSON,
//                                                       one per line in F, "-" = stdin)
//   riskctl tail   [--endpoint E] [--topic P] [--count N] [--timeout S] [--json]
//                                                       print published messages
//   riskctl query  [--endpoint E] [--text] snapshot | projection [RISK] | node ID... | plan K
//   [RISK]
//                                                       (--text: for people, not JSON)
//   riskctl status [--endpoint E] [--json]              the daemon's sequences, counters, health
//   riskctl incident list [--all] | show ID [--nodes N]  incidents (text; --json)
//   riskctl incident ack|no-impact|restored ID | assign ID WHO | level ID
//   info|warning|critical|auto
//                  [--operator NAME] [--note TEXT]      an operator action (journaled)
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
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
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
#include "riskd/v1/envelope.pb.h"
#include "riskd/v1/outputs.pb.h"
#include "tools/common/command_line.h"
#include "tools/riskctl/calibrate_command.h"
#include "tools/riskctl/text.h"

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
  // incident
  std::string incident_id;
  std::string operator_name;
  std::string assignee;
  std::string level;
  std::string note;
  int max_nodes = 0;
  bool all = false;
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
    std::cerr << "riskctl: --cert: " << (client.ok() ? "no secret-key" : client.status().ToString())
              << "\n";
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
        // A reason only when the id was reused for another event.
        std::cout << "DUPLICATE     " << ack.event_id() << " seq " << ack.journal_seq()
                  << (ack.reason().empty() ? "" : ": " + ack.reason()) << "\n";
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
          args.timeout_s -
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
      std::cout << riskd::riskctl::Describe(pub) << "\n";
    }
    std::cout.flush();
    ++seen;
  }
  return 0;
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
    std::cout << riskd::riskctl::ResponseText(ack->response());
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
  const auto backlog =
      s.journal_last_seq() - std::min(s.journal_last_seq(), s.engine_applied_seq());
  std::printf("riskd %s, up since %s\n", s.version().c_str(),
              google::protobuf::util::TimeUtil::ToString(s.started_at()).c_str());
  std::printf("journal: last seq %llu, hash chain %s\n",
              static_cast<unsigned long long>(s.journal_last_seq()),
              s.journal_chain_intact() ? "intact" : "BROKEN (events refused)");
  std::printf("engine: applied seq %llu (%llu behind), %llu open alert(s), publication seq %llu\n",
              static_cast<unsigned long long>(s.engine_applied_seq()),
              static_cast<unsigned long long>(backlog),
              static_cast<unsigned long long>(s.open_alerts()),
              static_cast<unsigned long long>(s.publication_sequence()));
  std::printf(
      "ingest since start: %llu received, %llu accepted, %llu duplicate, %llu rejected, "
      "%llu queries\n",
      static_cast<unsigned long long>(s.received()), static_cast<unsigned long long>(s.accepted()),
      static_cast<unsigned long long>(s.duplicates()),
      static_cast<unsigned long long>(s.rejected()), static_cast<unsigned long long>(s.queries()));
  std::printf("config reloads: %llu applied, %llu refused\n",
              static_cast<unsigned long long>(s.reloads()),
              static_cast<unsigned long long>(s.reloads_failed()));
  std::printf(
      "start: restored checkpoint at seq %llu, replayed %llu event(s); newest checkpoint seq "
      "%llu\n",
      static_cast<unsigned long long>(s.restored_checkpoint_seq()),
      static_cast<unsigned long long>(s.replayed_at_start()),
      static_cast<unsigned long long>(s.checkpoint_seq()));
  if (!s.nats_instance().empty()) {
    std::printf("nats: instance %s, stream read to seq %llu, %s\n", s.nats_instance().c_str(),
                static_cast<unsigned long long>(s.stream_read_seq()),
                s.epoch() > 0
                    ? ("active, publishing under epoch " + std::to_string(s.epoch())).c_str()
                    : "not publishing (standby, or no lease)");
  }
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
            << " edges into " << riskd::connectors::StateStore::PathFor(settings->database)
            << " (source digest " << (digest.ok() ? *digest : std::string("?")) << ")\n";
  return 0;
}

// riskctl incident list: the incidents of the snapshot (open ones, and with
// --all the latest closed ones too).
int IncidentList(const Args& args, zmq::context_t& ctx) {
  riskd::v1::Envelope env;
  env.mutable_query()->mutable_snapshot();
  auto ack = Ask(args, ctx, env);
  if (!ack) return 1;
  riskd::v1::QueryResponse only;
  for (const auto& i : ack->response().snapshot().incidents()) {
    if (args.all || i.lifecycle() != riskd::v1::Incident::LIFECYCLE_CLOSED) {
      *only.mutable_snapshot()->add_incidents() = i;
    }
  }
  if (args.json) {
    std::cout << ToJson(only.snapshot()) << "\n";
    return 0;
  }
  if (only.snapshot().incidents().empty()) std::cout << "no incidents\n";
  for (const auto& i : only.snapshot().incidents()) {
    std::cout << riskd::riskctl::DescribeIncident(i, /*details=*/true);
  }
  return 0;
}

// riskctl incident show ID: the incident and every node it puts at risk.
int IncidentShow(const Args& args, zmq::context_t& ctx) {
  riskd::v1::Envelope env;
  env.mutable_query()->mutable_incident()->set_incident_id(args.incident_id);
  env.mutable_query()->mutable_incident()->set_max_nodes(args.max_nodes);
  auto ack = Ask(args, ctx, env);
  if (!ack) return 1;
  if (args.json) {
    std::cout << ToJson(ack->response()) << "\n";
  } else {
    std::cout << riskd::riskctl::ResponseText(ack->response());
  }
  return 0;
}

// riskctl incident ack|assign|level|no-impact|restored: one OperatorAction.
int IncidentAct(const Args& args, zmq::context_t& ctx, riskd::v1::OperatorAction::Kind kind) {
  riskd::v1::Envelope env;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  env.set_event_id(
      "riskctl-" + args.operator_name + "-" + args.incident_id + "-" +
      std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
  env.set_source("riskctl");
  auto* a = env.mutable_operator_action();
  a->set_incident_id(args.incident_id);
  a->set_kind(kind);
  a->set_operator_(args.operator_name);
  a->set_note(args.note);
  if (kind == riskd::v1::OperatorAction::KIND_ASSIGN) a->set_assignee(args.assignee);
  if (kind == riskd::v1::OperatorAction::KIND_OVERRIDE_LEVEL) {
    if (args.level == "info") a->set_level(riskd::v1::SEVERITY_INFO);
    if (args.level == "warning") a->set_level(riskd::v1::SEVERITY_WARNING);
    if (args.level == "critical") a->set_level(riskd::v1::SEVERITY_CRITICAL);
    // "auto": unspecified, back to the computed level.
  }
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  if (!ApplyCurve(args, dealer)) return 2;
  dealer.connect(args.endpoint);
  riskd::v1::Ack ack;
  if (!Exchange(dealer, env, args.ack_timeout_s, &ack)) {
    std::cerr << "riskctl: no answer from " << args.endpoint << "\n";
    return 1;
  }
  if (ack.result() == riskd::v1::Ack::RESULT_REJECTED) {
    std::cerr << "riskctl: rejected: " << ack.reason() << "\n";
    return 1;
  }
  std::cout << "ACCEPTED      " << ack.event_id() << " seq " << ack.journal_seq() << "\n";
  return 0;
}

// The client options of commands that talk to a running daemon.
void AddClientOptions(CLI::App* cmd, Args* args) {
  cmd->add_option("--endpoint", args->endpoint, "daemon endpoint (tcp://, ipc://)");
  cmd->add_option("--server-key", args->server_key,
                  "CURVE: the daemon's public key (Z85) or cert file");
  cmd->add_option("--cert", args->cert, "CURVE: this client's cert file (with secret key)");
  cmd->add_option("--ack-timeout", args->ack_timeout_s,
                  "seconds to wait for each answer (default 10)")
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
  tail->add_option("--timeout", args.timeout_s, "stop after S seconds")
      ->check(riskd::tools::Number(0));
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
  projection->callback(
      [&] { query.mutable_query()->mutable_projection()->set_risk_type(args.risk_type); });
  auto* node = q->add_subcommand("node", "current risk of nodes");
  node->add_option("ids", args.node_ids, "node ids")->required();
  node->callback([&] {
    for (const auto& id : args.node_ids)
      query.mutable_query()->mutable_node_risk()->add_node_ids(id);
  });
  auto* plan = q->add_subcommand("plan", "an immunization plan computed now");
  plan->add_option("k", args.plan_k, "number of targets")
      ->required()
      ->check(riskd::tools::Integer(1, 10000));
  plan->add_option("risk_type", args.risk_type, "risk type (default: the configured default)");
  plan->callback([&] {
    query.mutable_query()->mutable_plan()->set_k(args.plan_k);
    query.mutable_query()->mutable_plan()->set_risk_type(args.risk_type);
  });

  auto* incident =
      app.add_subcommand("incident", "list, show and act on incidents (docs/protocol.md)");
  incident->require_subcommand(1);
  const char* user = std::getenv("USER");
  args.operator_name = user && *user ? user : "riskctl";
  auto* inc_list =
      incident->add_subcommand("list", "the open incidents (--all: the latest closed too)");
  inc_list->add_flag("--all", args.all, "closed ones too");
  inc_list->add_flag("--json", args.json, "as JSON");
  AddClientOptions(inc_list, &args);
  auto* inc_show = incident->add_subcommand("show", "an incident and every node it puts at risk");
  inc_show->add_option("id", args.incident_id, "incident id, e.g. supply/17")->required();
  inc_show->add_option("--nodes", args.max_nodes, "most nodes listed (default 100)")
      ->check(riskd::tools::Integer(1, 10000));
  inc_show->add_flag("--json", args.json, "as JSON");
  AddClientOptions(inc_show, &args);
  std::vector<std::pair<CLI::App*, riskd::v1::OperatorAction::Kind>> acts;
  auto act = [&](const char* name, const char* help, riskd::v1::OperatorAction::Kind kind) {
    auto* cmd = incident->add_subcommand(name, help);
    cmd->add_option("id", args.incident_id, "incident id, e.g. supply/17")->required();
    cmd->add_option("--operator", args.operator_name, "who acts (default: $USER)");
    cmd->add_option("--note", args.note, "a note for the history");
    AddClientOptions(cmd, &args);
    acts.emplace_back(cmd, kind);
    return cmd;
  };
  act("ack", "acknowledge: you own the response", riskd::v1::OperatorAction::KIND_ACKNOWLEDGE);
  act("assign", "hand it to someone", riskd::v1::OperatorAction::KIND_ASSIGN)
      ->add_option("assignee", args.assignee, "person or team")
      ->required();
  act("level", "override its level (auto: back to the computed one)",
      riskd::v1::OperatorAction::KIND_OVERRIDE_LEVEL)
      ->add_option("level", args.level, "info, warning, critical or auto")
      ->required()
      ->check(CLI::IsMember({"info", "warning", "critical", "auto"}));
  act("no-impact", "it affects nothing that matters: close it",
      riskd::v1::OperatorAction::KIND_MARK_NO_IMPACT);
  act("restored", "the sites are back: restore it", riskd::v1::OperatorAction::KIND_MARK_RESTORED);

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
      "calibrate",
      "fit alpha, beta and kappa to the journal's cascades (docs/model.md section 12)");
  calibrate
      ->add_option("--db", calibration.db,
                   "database file (the journal; the base network is read from <db>.state)")
      ->required();
  calibrate->add_option("--risk-type", calibration.risk_type,
                        "risk type (default: the configured default)");
  calibrate->add_option("--config", calibration.config,
                        "riskd configuration file: current rates, layers, direction, step");
  calibrate
      ->add_option("--gap-days", calibration.gap_days,
                   "a cascade ends after this many quiet days (14)")
      ->check(riskd::tools::Number(0.001));
  calibrate->add_option("--max-days", calibration.max_days, "longest cascade in days (365)")
      ->check(riskd::tools::Number(0.001));
  calibrate->add_option("--confidence", calibration.confidence, "level of the intervals (0.95)")
      ->check(riskd::tools::Number(0.01, 0.999));

  auto* keygen = app.add_subcommand("keygen", "make a CURVE key pair (zcert file, mode 0600)");
  keygen->add_option("--out", args.file, "certificate file to write")->required();

  if (auto code = riskd::tools::ParseCommandLine(app, argc, argv)) return *code;
  if (args.endpoint.empty())
    args.endpoint = tail->parsed() ? "tcp://127.0.0.1:7751" : "tcp://127.0.0.1:7750";
  zmq::context_t ctx(1);
  if (send->parsed()) return Send(args, ctx);
  if (tail->parsed()) return Tail(args, ctx);
  if (q->parsed()) return Query(args, ctx, query);
  if (status->parsed()) return Status(args, ctx);
  if (inc_list->parsed()) return IncidentList(args, ctx);
  if (inc_show->parsed()) return IncidentShow(args, ctx);
  for (const auto& [cmd, kind] : acts) {
    if (cmd->parsed()) return IncidentAct(args, ctx, kind);
  }
  if (verify->parsed()) return VerifyJournal(args);
  if (import->parsed()) return Import(args);
  if (calibrate->parsed()) return riskd::tools::RunCalibrate(calibration, std::cout, std::cerr);
  return Keygen(args);
}
