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
// rejected), 1 on a usage, input or connection error, 2 when some envelopes
// got no Ack.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "connectors/feeds/feed_factory.h"
#include "connectors/feeds/feed_time.h"
#include "connectors/feeds/feed_fetch.h"
#include "connectors/feeds/feed_sender.h"

namespace {

using riskd::Result;
using riskd::Status;
using riskd::connectors::FeedBatch;
using riskd::connectors::FeedSender;
using riskd::connectors::SendOutcome;

constexpr const char* kUsage =
    "usage: riskd-feed --adapter NAME (--file PATH | --url URL) [--endpoint EP] [--dry-run]\n"
    "                  [--timeout-ms MS] [--attempts N] [--window N]\n"
    "                  [--now YYYY-MM-DD] [--lookback-days N] [--vendor-map CSV] [--risk-type T]\n"
    "                  [--only ID,ID...]\n"
    "adapters: usgs_geojson gdacs_rss nws_cap_atom scms_csv\n";

struct Flags {
  std::map<std::string, std::string> values;
  bool dry_run = false;
};

Result<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dry-run") {
      flags.dry_run = true;
      continue;
    }
    static const char* kValued[] = {"--adapter",  "--file",          "--url",
                                    "--endpoint", "--timeout-ms",    "--attempts",
                                    "--window",   "--now",           "--lookback-days",
                                    "--vendor-map", "--risk-type",   "--only"};
    bool known = false;
    for (const char* name : kValued) known |= arg == name;
    if (!known) return Status::InvalidArgument("unknown flag '" + arg + "'");
    if (i + 1 >= argc) return Status::InvalidArgument(arg + " needs a value");
    flags.values[arg.substr(2)] = argv[++i];
  }
  if (!flags.values.count("adapter")) return Status::InvalidArgument("--adapter is required");
  if (flags.values.count("file") == flags.values.count("url")) {
    return Status::InvalidArgument("give exactly one of --file and --url");
  }
  return flags;
}

Result<long> IntFlag(const Flags& flags, const std::string& name, long fallback, long min) {
  auto it = flags.values.find(name);
  if (it == flags.values.end()) return fallback;
  char* end = nullptr;
  const long v = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < min) {
    return Status::InvalidArgument("--" + name + " must be an integer >= " + std::to_string(min));
  }
  return v;
}

Result<riskd::connectors::FeedAdapterOptions> AdapterOptions(const Flags& flags) {
  riskd::connectors::FeedAdapterOptions options;
  if (auto it = flags.values.find("now"); it != flags.values.end()) {
    auto now = riskd::connectors::ParseIso8601(it->second);
    if (!now) return Status::InvalidArgument("--now must be an ISO 8601 date or time");
    options.scms.now = *now;
  }
  auto lookback = IntFlag(flags, "lookback-days", options.scms.lookback_days, 0);
  if (!lookback.ok()) return lookback.status();
  options.scms.lookback_days = static_cast<int>(*lookback);
  if (auto it = flags.values.find("vendor-map"); it != flags.values.end()) {
    auto map = riskd::connectors::LoadVendorNodeMap(it->second);
    if (!map.ok()) return map.status();
    options.scms.vendor_nodes = std::move(*map);
  }
  if (auto it = flags.values.find("risk-type"); it != flags.values.end()) {
    options.scms.risk_type = it->second;
  }
  return options;
}

Result<std::string> ReadDocument(const Flags& flags) {
  if (auto it = flags.values.find("url"); it != flags.values.end()) {
    return riskd::connectors::FetchUrl(it->second);
  }
  const std::string& path = flags.values.at("file");
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
  auto flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n%s", flags.status().message().c_str(), kUsage);
    return 1;
  }
  auto options = AdapterOptions(*flags);
  if (!options.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n", options.status().ToString().c_str());
    return 1;
  }
  auto adapter = riskd::connectors::MakeFeedAdapter(flags->values.at("adapter"), *options);
  if (!adapter.ok()) {
    std::fprintf(stderr, "riskd-feed: %s\n%s", adapter.status().message().c_str(), kUsage);
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
  if (auto it = flags->values.find("only"); it != flags->values.end()) {
    filtered = KeepOnly(it->second, &*batch);
  }
  if (flags->dry_run) {
    google::protobuf::util::JsonPrintOptions json;
    json.always_print_primitive_fields = false;
    for (const auto& env : batch->envelopes) {
      std::string line;
      if (!google::protobuf::util::MessageToJsonString(env, &line, json).ok()) return 1;
      std::printf("%s\n", line.c_str());
    }
    std::printf("totals: entries=%zu envelopes=%zu invalid=%zu skipped=%zu filtered=%zu (dry run)\n",
                batch->entries, batch->envelopes.size(), batch->rejected.size(),
                batch->skipped.size(), filtered);
    return 0;
  }
  FeedSender::Options send;
  if (auto it = flags->values.find("endpoint"); it != flags->values.end()) send.endpoint = it->second;
  auto timeout = IntFlag(*flags, "timeout-ms", 2000, 1);
  auto attempts = IntFlag(*flags, "attempts", 3, 1);
  auto window = IntFlag(*flags, "window", 32, 1);
  for (const auto* r : {&timeout, &attempts, &window}) {
    if (!r->ok()) {
      std::fprintf(stderr, "riskd-feed: %s\n", r->status().message().c_str());
      return 1;
    }
  }
  send.ack_timeout = std::chrono::milliseconds(*timeout);
  send.max_attempts = static_cast<int>(*attempts);
  send.window = static_cast<std::size_t>(*window);
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
