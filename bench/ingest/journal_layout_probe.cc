// What journaling one row per received batch instead of one per event
// would save (issue 12 point 5, an estimate, not an implementation): the
// same events, the same batches (1,024), the same durability (WAL,
// synchronous=FULL, one transaction per batch), on a fresh file each:
//   per_event            the journal as it is (connectors/store/journal.h:
//                        a row, a unique id index entry and a SHA-256 per
//                        event, the Bloom filter);
//   per_batch            one row per batch: the events' ids, times and
//                        payloads length-prefixed in one blob, one SHA-256
//                        over it chained like the rows now; duplicates
//                        then need an id -> batch map rebuilt in memory at
//                        every start (not measured here);
//   per_batch_id_index   per_batch plus a WITHOUT ROWID table event_id ->
//                        batch, one entry per event (durable duplicate
//                        answers across restarts, as now).
// Printed: thread CPU and wall time per event, median of the rounds.
//
//   journal_layout_probe [--events N] [--rounds R]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/common/json_line.h"
#include "connectors/store/journal.h"
#include "connectors/store/sqlite_db.h"

namespace {

using riskd::connectors::JournalEntry;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Cost {
  double cpu_us = 0, wall_us = 0;  // per event
};

void PutU64(std::string* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::vector<JournalEntry> MakeEntries(std::size_t n) {
  std::vector<JournalEntry> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "bench-00-%08zu", i);
    out[i].event_id = id;
    out[i].received_unix_ns = 1700000000000000000 + static_cast<std::int64_t>(i);
    out[i].payload.assign(41, static_cast<char>('a' + i % 26));  // ingest_bench's size
  }
  return out;
}

template <typename Fn>
Cost Measure(std::size_t events, Fn&& fn) {
  const double c0 = ThreadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double n = static_cast<double>(events);
  return {(ThreadCpuSeconds() - c0) / n * 1e6, wall / n * 1e6};
}

Cost PerEvent(const std::string& path, const std::vector<JournalEntry>& entries,
              std::size_t batch) {
  auto journal = riskd::connectors::Journal::Open(path);
  if (!journal.ok()) std::abort();
  return Measure(entries.size(), [&] {
    for (std::size_t at = 0; at < entries.size(); at += batch) {
      const std::span<const JournalEntry> span(entries.data() + at,
                                               std::min(batch, entries.size() - at));
      if (!(*journal)->Append(span).ok()) std::abort();
    }
  });
}

Cost PerBatch(const std::string& path, const std::vector<JournalEntry>& entries, std::size_t batch,
              bool id_index) {
  auto db = riskd::connectors::SqliteDb::Open(path);
  if (!db.ok()) std::abort();
  (void)(*db)->Exec(
      "CREATE TABLE batches (seq INTEGER PRIMARY KEY, first_event_seq INTEGER NOT NULL,"
      " events INTEGER NOT NULL, body BLOB NOT NULL, prev_hash BLOB NOT NULL,"
      " hash BLOB NOT NULL)");
  (void)(*db)->Exec(
      "CREATE TABLE event_ids (event_id TEXT PRIMARY KEY, batch INTEGER NOT NULL) WITHOUT ROWID");
  auto ins = (*db)->Prepare("INSERT INTO batches VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  auto ids = (*db)->Prepare("INSERT INTO event_ids VALUES(?1, ?2)");
  if (!ins.ok() || !ids.ok()) std::abort();
  std::string body, prev(32, '\0'), chained;
  return Measure(entries.size(), [&] {
    std::uint64_t seq = 0;
    for (std::size_t at = 0; at < entries.size(); at += batch, ++seq) {
      const std::size_t n = std::min(batch, entries.size() - at);
      body.clear();
      for (std::size_t k = at; k < at + n; ++k) {
        PutU64(&body, entries[k].event_id.size());
        body += entries[k].event_id;
        PutU64(&body, static_cast<std::uint64_t>(entries[k].received_unix_ns));
        PutU64(&body, entries[k].payload.size());
        body += entries[k].payload;
      }
      chained = prev;
      PutU64(&chained, seq + 1);
      chained += body;
      const std::string hash = riskd::connectors::Sha256(chained);
      riskd::connectors::SqliteTransaction tx(db->get());
      ins->BindInt(1, static_cast<std::int64_t>(seq + 1));
      ins->BindInt(2, static_cast<std::int64_t>(at + 1));
      ins->BindInt(3, static_cast<std::int64_t>(n));
      ins->BindBlobNoCopy(4, body);
      ins->BindBlobNoCopy(5, prev);
      ins->BindBlobNoCopy(6, hash);
      if (!ins->Run().ok()) std::abort();
      if (id_index) {
        for (std::size_t k = at; k < at + n; ++k) {
          ids->BindTextNoCopy(1, entries[k].event_id);
          ids->BindInt(2, static_cast<std::int64_t>(seq + 1));
          if (!ids->Run().ok()) std::abort();
        }
      }
      if (!tx.Commit().ok()) std::abort();
      prev = hash;
    }
  });
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 300000;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) events = std::stoul(argv[++i]);
    if (a == "--rounds" && i + 1 < argc) rounds = std::stoi(argv[++i]);
  }
  const std::size_t batch = 1024;
  const auto entries = MakeEntries(events);
  const auto dir =
      std::filesystem::temp_directory_path() / ("riskd_layout_probe_" + std::to_string(::getpid()));
  const char* names[] = {"per_event", "per_batch", "per_batch_id_index"};
  std::vector<double> cpu[3], wall[3];
  for (int r = 0; r < rounds; ++r) {
    for (int v = 0; v < 3; ++v) {  // alternated: load from elsewhere hits all alike
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      const std::string path = (dir / "j.db").string();
      const Cost c =
          v == 0 ? PerEvent(path, entries, batch) : PerBatch(path, entries, batch, v == 2);
      cpu[v].push_back(c.cpu_us);
      wall[v].push_back(c.wall_us);
    }
  }
  std::filesystem::remove_all(dir);
  for (int v = 0; v < 3; ++v) {
    riskd::bench::JsonLine("journal_layout", "journal_cpu_us_per_event", Median(cpu[v]), "us")
        .Param("layout", names[v])
        .Param("events", static_cast<long long>(events))
        .Param("batch", static_cast<long long>(batch))
        .Param("wall_us_per_event", Median(wall[v]))
        .Print();
  }
  return 0;
}
