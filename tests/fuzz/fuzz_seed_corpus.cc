// Writes the seed corpus of every libFuzzer target (scripts/fuzz.sh):
//   fuzz_seed_corpus SOURCE_DIR OUT_DIR
// makes OUT_DIR/<target>/ with inputs taken from the repository's real data
// (data/, cut to their first entries so each run stays fast), the demo
// configuration, the unit tests' cases (tests/fuzz/seeds/<target>/, copied
// as they are) and, for the envelope target, valid Envelopes of every kind.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/envelope_seeds.h"
#include "tests/fuzz/fuzz_files.h"

namespace fs = std::filesystem;

namespace {

std::string source_dir;
std::string out_dir;
int written = 0;

std::string Read(const std::string& relative) {
  std::ifstream in(fs::path(source_dir) / relative, std::ios::binary);
  if (!in) {
    std::cerr << "fuzz_seed_corpus: cannot read " << relative << "\n";
    std::exit(1);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Seed(const std::string& target, const std::string& name, const std::string& content) {
  const fs::path dir = fs::path(out_dir) / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << content;
  ++written;
}

// The first `lines` lines of a text (a CSV's header and first rows).
std::string Head(const std::string& text, std::size_t lines) {
  std::size_t at = 0;
  for (std::size_t n = 0; n < lines && at != std::string::npos; ++n) {
    at = text.find('\n', at);
    if (at != std::string::npos) ++at;
  }
  return at == std::string::npos ? text : text.substr(0, at);
}

// An XML feed cut after its n-th `item_end` tag, closed with `closing`.
std::string FirstItems(const std::string& xml, const std::string& item_end, int n,
                       const std::string& closing) {
  std::size_t at = 0;
  for (int i = 0; i < n; ++i) {
    const auto next = xml.find(item_end, at);
    if (next == std::string::npos) return xml;
    at = next + item_end.size();
  }
  return xml.substr(0, at) + "\n" + closing;
}

void EnvelopeSeedsOut() {
  int i = 0;
  for (const auto& s : riskd::fuzz::EnvelopeSeeds())
    Seed("envelope_fuzzer", "seed-" + std::to_string(i++), s);
}

void FeedSeeds() {
  for (const char* f : {"usgs_quakes/usgs_4.5_month_2014-04-01.geojson",
                        "usgs_quakes/usgs_4.5_month_2014-03-older.geojson"}) {
    auto doc = nlohmann::json::parse(Read(std::string("data/") + f));
    auto& features = doc["features"];
    features.erase(features.begin() +
                       std::min<std::ptrdiff_t>(4, static_cast<std::ptrdiff_t>(features.size())),
                   features.end());
    Seed("usgs_geojson_fuzzer", fs::path(f).filename().string(), doc.dump());
  }
  for (const char* f : {"gdacs/gdacs_rss_2016-04-09.xml", "gdacs/gdacs-rss.xml",
                        "gdacs/gdacs-rss-7d.xml", "gdacs/gdacs_rss_archive_orange_2012-2016.xml"}) {
    Seed("gdacs_rss_fuzzer", fs::path(f).filename().string(),
         FirstItems(Read(std::string("data/") + f), "</item>", 4, "</channel>\n</rss>\n"));
  }
  Seed("nws_cap_fuzzer", "nws_atom_feed_example.xml",
       FirstItems(Read("data/nws_cap/nws_atom_feed_example.xml"), "</entry>", 3, "</feed>\n"));
  Seed("nws_cap_fuzzer", "cap_amber_alert_example.xml",
       Read("data/nws_cap/cap_amber_alert_example.xml"));
  const std::string scms = Read("data/scms_shipments/SCMS_Delivery_History_Dataset_20150929.csv");
  Seed("scms_csv_fuzzer", "scms_head.csv", Head(scms, 30));
}

void ImporterSeeds() {
  using riskd::fuzz::JoinFiles;
  Seed("csv_importer_fuzzer", "demo",
       JoinFiles({Read("config/demo/nodes.csv"), Read("config/demo/edges.csv"),
                  "id,lat,lon,region\nFAB-KUM,32.8,130.7,JP\nRES-RAY,,,TH\n"}));
  for (const char* f : {"willems_01.csv", "willems_08.csv", "willems_13.csv", "willems_38.csv"}) {
    Seed("willems_importer_fuzzer", f, Head(Read(std::string("data/willems2008/") + f), 60));
  }
  const std::string sg = "data/supplygraph/";
  Seed("supplygraph_importer_fuzzer", "supplygraph",
       JoinFiles({Read(sg + "nodes/nodes.csv"),
                  Head(Read(sg + "nodes/nodes_type_plant_storage.csv"), 80),
                  Head(Read(sg + "temporal_data/weight/production.csv"), 20),
                  Head(Read(sg + "temporal_data/weight/factory_issue.csv"), 20)}));
  const std::string bea = "data/bea_io_1997/";
  Seed("bea_io_importer_fuzzer", "bea_io",
       JoinFiles({Head(Read(bea + "IODirectRequirements.txt"), 300),
                  Read(bea + "IO-CodeSummary.txt"), Head(Read(bea + "iousesummary.txt"), 300)}));
}

void ConfigSeeds() {
  Seed("config_fuzzer", "riskd.conf", Read("config/riskd.conf"));
  Seed("config_fuzzer", "replay.conf", Read("config/demo/replay.conf"));
}

// The unit tests' cases, committed as files.
void CommittedSeeds() {
  const fs::path seeds = fs::path(source_dir) / "tests/fuzz/seeds";
  if (!fs::is_directory(seeds)) return;
  for (const auto& target : fs::directory_iterator(seeds)) {
    if (!target.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(target.path())) {
      Seed(target.path().filename().string(), "test-" + file.path().filename().string(),
           Read(fs::relative(file.path(), source_dir).string()));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seed_corpus SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  source_dir = argv[1];
  out_dir = argv[2];
  EnvelopeSeedsOut();
  FeedSeeds();
  ImporterSeeds();
  ConfigSeeds();
  CommittedSeeds();
  std::printf("fuzz_seed_corpus: %d seed(s) in %s\n", written, out_dir.c_str());
  return 0;
}
