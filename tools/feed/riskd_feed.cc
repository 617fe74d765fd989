// riskd-feed: the feed connector process. Reads one feed document (a file, or
// a URL when built with libcurl), turns it into Envelopes with a feed adapter
// and delivers them to the daemon's ingest endpoint, printing one line per
// entry and the totals (docs/feeds.md).
//
//   riskd-feed --adapter usgs_geojson --file data/usgs_quakes/x.geojson
//              [--endpoint tcp://127.0.0.1:7750] [--dry-run]
//              [--timeout-ms 2000] [--attempts 3] [--window 32]
//              [--now 2014-02-03] [--lookback-days 30] [--vendor-map map.csv]
//              [--risk-type logistics]          (scms_csv only)
//              [--only ID,ID...]  keep only these events (event ids or the
//                                 feed's own ids), e.g. to replay one event
//
// Exit status: 0 when every envelope was answered (accepted, duplicate or
// rejected) and for --help/--version, 1 on a usage (unknown flag, bad
// number), input or connection error, 2 when some envelopes got no Ack.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "connectors/feeds/feed_factory.h"
#include "connectors/feeds/feed_fetch.h"
#include "connectors/feeds/feed_sender.h"
#include "connectors/feeds/feed_time.h"
#include "connectors/feeds/scms_csv_adapter.h"
#include "tools/common/command_line.h"

namespace {

using riskd::Result;
using riskd::Status;
using riskd::connectors::FeedBatch;
using riskd::connectors::FeedSender;
using riskd::connectors::SendOutcome;

// Parsed command line. Optional values stay unset when not given.
struct Flags {
  std::string adapter, file, url, endpoint, vendor_map, risk_type, only, now;
  long timeout_ms = 2000, attempts = 3, window = 32;
  std::optional<long> lookback_days;
  bool dry_run = false;
};

// nullopt: go on; otherwise the exit status (usage errors exit 1 here: 2
// means envelopes without an Ack).
std::optional<int> ParseFlags(int argc, char** argv, Flags* f) {
  CLI::App app{
      "riskd-feed: reads a feed document and delivers it to riskd's ingest (docs/feeds.md)",
      "riskd-feed"};
  app.set_version_flag("--version", riskd::tools::VersionLine("riskd-feed"));
  app.add_option("--adapter", f->adapter, "usgs_geojson, gdacs_rss, nws_cap_atom or scms_csv")
      ->required();
  auto* file = app.add_option("--file", f->file, "the feed document");
  auto* url = app.add_option("--url", f->url, "the feed document's URL (http, https, file)");
  file->excludes(url);
  app.add_option("--endpoint", f->endpoint, "riskd ingest endpoint (default tcp://127.0.0.1:7750)");
  app.add_flag("--dry-run", f->dry_run, "print the Envelopes as JSON, send nothing");
  app.add_option("--timeout-ms", f->timeout_ms, "wait for each Ack (default 2000)")
      ->check(riskd::tools::Integer(1, 3600000));
  app.add_option("--attempts", f->attempts, "sends per envelope (default 3)")
      ->check(riskd::tools::Integer(1, 1000));
  app.add_option("--window", f->window, "envelopes in flight (default 32)")
      ->check(riskd::tools::Integer(1, 100000));
  app.add_option("--now", f->now, "scms_csv: the date taken as today (ISO 8601)");
  app.add_option("--lookback-days", f->lookback_days, "scms_csv: how far back to look")
      ->check(riskd::tools::Integer(0, 100000));
  app.add_option("--vendor-map", f->vendor_map, "scms_csv: CSV vendor name -> node id");
  app.add_option("--risk-type", f->risk_type, "scms_csv: risk type (default logistics)");
  app.add_option("--only", f->only,
                 "keep only these ids (event ids or the feed's own), comma-separated");
  if (auto code = riskd::tools::ParseCommandLine(app, argc, argv)) return *code == 0 ? 0 : 1;
  if (f->file.empty() == f->url.empty()) {
    std::fprintf(stderr,
                 "riskd-feed: give exactly one of --file and --url\nRun with --help for more "
                 "information.\n");
    return 1;
  }
  return std::nullopt;
}

// The flags as the daemon's FeedConfig for the same adapter; the scms_csv
// flags configure only that adapter (others ignore them).
Result<riskd::v1::FeedConfig> AdapterConfig(const Flags& flags) {
  riskd::v1::FeedConfig config;
  config.set_adapter(flags.adapter);
  if (!flags.now.empty() && !riskd::connectors::ParseIso8601(flags.now)) {
    return Status::InvalidArgument("--now must be an ISO 8601 date or time");
  }
  std::map<std::string, std::string> vendor_nodes;
  if (!flags.vendor_map.empty()) {
    auto map = riskd::connectors::LoadVendorNodeMap(flags.vendor_map);
    if (!map.ok()) return map.status();
    vendor_nodes = std::move(*map);
  }
  if (flags.adapter != "scms_csv") return config;
  riskd::v1::ScmsCsvFeed* scms = config.mutable_scms_csv();
  scms->set_as_of(flags.now);
  if (flags.lookback_days) scms->set_lookback_days(static_cast<int>(*flags.lookback_days));
  scms->mutable_vendor_nodes()->insert(vendor_nodes.begin(), vendor_nodes.end());
  scms->set_risk_type(flags.risk_type);
  return config;
}

Result<std::string> ReadDocument(const Flags& flags) {
  if (!flags.url.empty()) return riskd::connectors::FetchUrl(flags.url);
  const std::string& path = flags.file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open '" + path + "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Keeps the envelopes named in the comma-separated `only` list (by event id or
// the feed's own id); returns how many were dropped.
std::size_t KeepOnly(const std::string& only, FeedBatch* batch) {
  std::set<std::string> wanted;
  std::stringstream list(only);
  for (std::string id; std::getline(list, id, ',');) wanted.insert(id);
  std::vector<riskd::v1::Envelope> kept;
  for (auto& env : batch->envelopes) {
    const std::string& feed_id =
        env.has_disruption() ? env.disruption().feed_event_id() : env.event_id();
    if (wanted.count(env.event_id()) || wanted.count(feed_id)) kept.push_back(std::move(env));
  }
  const std::size_t dropped = batch->envelopes.size() - kept.size();
  batch->envelopes = std::move(kept);
  return dropped;
}

void PrintIssues(const FeedBatch& batch) {
  for (const auto& r : batch.rejected) {
    std::printf("invalid entry %zu %s: %s\n", r.index, r.feed_id.c_str(), r.reason.c_str());
  }
  for (const auto& s : batch.skipped) {
    std::printf("skipped entry %zu %s: %s\n", s.index, s.feed_id.c_str(), s.reason.c_str());
  }
}

int Run(int argc, char** argv) {
  Flags parsed;
  if (auto code = ParseFlags(argc, argv, &parsed)) return *code;
  const Flags* flags = &parsed;
  auto config = AdapterConfig(*flags);
  if (!config.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n", config.status().ToString().c_str());
    return 1;
  }
  auto adapter = riskd::connectors::MakeFeedAdapter(*config);
  if (!adapter.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\nRun with --help for more information.\n",
                 adapter.status().message().c_str());
    return 1;
  }
  auto document = ReadDocument(*flags);
  if (!document.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n", document.status().ToString().c_str());
    return 1;
  }
  auto batch = (*adapter)->Parse(*document);
  if (!batch.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n", batch.status().ToString().c_str());
    return 1;
  }
  PrintIssues(*batch);
  std::size_t filtered = 0;
  if (!flags->only.empty()) filtered = KeepOnly(flags->only, &*batch);
  if (flags->dry_run) {
    google::protobuf::util::JsonPrintOptions json;
    json.always_print_primitive_fields = false;
    for (const auto& env : batch->envelopes) {
      std::string line;
      if (!google::protobuf::util::MessageToJsonString(env, &line, json).ok()) return 1;
      std::printf("%s\n", line.c_str());
    }
    std::printf(
        "totals: entries=%zu envelopes=%zu invalid=%zu skipped=%zu filtered=%zu (dry run)\n",
        batch->entries, batch->envelopes.size(), batch->rejected.size(), batch->skipped.size(),
        filtered);
    return 0;
  }
  FeedSender::Options send;
  if (!flags->endpoint.empty()) send.endpoint = flags->endpoint;
  send.ack_timeout = std::chrono::milliseconds(flags->timeout_ms);
  send.max_attempts = static_cast<int>(flags->attempts);
  send.window = static_cast<std::size_t>(flags->window);
  auto totals = FeedSender(send).Send(batch->envelopes, [](const SendOutcome& o) {
    std::printf("%s %s", std::string(riskd::connectors::ResultName(o.result)).c_str(),
                o.event_id.c_str());
    if (!o.reason.empty()) std::printf(": %s", o.reason.c_str());
    if (o.attempts > 1 && o.result != SendOutcome::Result::kUnanswered) {
      std::printf(" (%d sends)", o.attempts);
    }
    std::printf("\n");
  });
  if (!totals.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n", totals.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "totals: entries=%zu sent=%zu accepted=%zu duplicate=%zu rejected=%zu unanswered=%zu "
      "invalid=%zu skipped=%zu filtered=%zu\n",
      batch->entries, batch->envelopes.size(), totals->accepted, totals->duplicate,
      totals->rejected, totals->unanswered, batch->rejected.size(), batch->skipped.size(),
      filtered);
  return totals->unanswered == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
