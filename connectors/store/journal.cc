#include "connectors/store/journal.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace riskd::connectors {
namespace {

constexpr std::size_t kHashBytes = 32;  // SHA-256

}  // namespace

// OpenSSL's SHA-256 (SHA-NI where the CPU has it: the journal hashes every
// event on the ingest thread, and libsodium's portable code cost a quarter
// of that thread's instructions), through the low-level SHA256_Init /
// _Update / _Final rather than EVP (which the one-shot SHA256() also goes
// through since 3.0): fetching an EVP digest sets up OpenSSL 3's provider
// machinery, which touches ~1.8 MB more of libcrypto's pages in every
// daemon for no use here (bench/README.md, stop 26). Deprecated since
// OpenSSL 3.0, kept through the 3.x series; the context is on the stack.
std::string Sha256(std::string_view bytes) {
  static_assert(SHA256_DIGEST_LENGTH == kHashBytes);
  unsigned char out[SHA256_DIGEST_LENGTH];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, bytes.data(), bytes.size()) != 1 ||
      SHA256_Final(out, &ctx) != 1) {
    std::abort();  // cannot fail for in-memory input; nothing to go on with if it did
  }
#pragma GCC diagnostic pop
  return std::string(reinterpret_cast<const char*>(out), kHashBytes);
}

namespace {

// The row hash into `out`: the chained fields fed to SHA-256 piece by piece
// (no message assembled, the payload not copied), no string allocated.
void RowHashInto(std::string_view prev_hash, std::uint64_t seq, const JournalEntry& e,
                 unsigned char* out) {
  // The chained fields, each length-prefixed (8 bytes, big endian) or a
  // big-endian u64: prev_hash | seq | event_id | received_ns | payload.
  auto u64 = [](std::uint64_t v, unsigned char* b) {
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * (7 - i)));
  };
  unsigned char prev_size[8], seq_id_size[16], received_payload_size[16];
  u64(prev_hash.size(), prev_size);
  u64(seq, seq_id_size);
  u64(e.event_id.size(), seq_id_size + 8);
  u64(static_cast<std::uint64_t>(e.received_unix_ns), received_payload_size);
  u64(e.payload.size(), received_payload_size + 8);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  SHA256_CTX ctx;
  const bool ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, prev_size, 8) == 1 &&
                  SHA256_Update(&ctx, prev_hash.data(), prev_hash.size()) == 1 &&
                  SHA256_Update(&ctx, seq_id_size, 16) == 1 &&
                  SHA256_Update(&ctx, e.event_id.data(), e.event_id.size()) == 1 &&
                  SHA256_Update(&ctx, received_payload_size, 16) == 1 &&
                  SHA256_Update(&ctx, e.payload.data(), e.payload.size()) == 1 &&
                  SHA256_Final(out, &ctx) == 1;
#pragma GCC diagnostic pop
  if (!ok) std::abort();  // cannot fail for in-memory input
}

std::string_view View(const unsigned char* hash) {
  return {reinterpret_cast<const char*>(hash), kHashBytes};
}

}  // namespace

std::string JournalRowHash(const std::string& prev_hash, std::uint64_t seq, const JournalEntry& e) {
  unsigned char out[kHashBytes];
  RowHashInto(prev_hash, seq, e, out);
  return std::string(View(out));
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path) {
  auto db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<Journal> j(new Journal(std::move(*db)));
  RISKD_RETURN_IF_ERROR(j->Init(false));
  return j;
}

Result<std::unique_ptr<Journal>> Journal::OpenReadOnly(const std::string& path) {
  auto db = SqliteDb::OpenReadOnly(path);
  if (!db.ok()) return db.status();
  auto has = (*db)->HasTable("journal");
  if (!has.ok()) return has.status().WithContext(path);
  if (!*has) return Status::FailedPrecondition("'" + path + "' has no journal table");
  std::unique_ptr<Journal> j(new Journal(std::move(*db)));
  RISKD_RETURN_IF_ERROR(j->Init(true));
  return j;
}

std::string HexBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

Status Journal::Init(bool read_only) {
  if (!read_only) {
    RISKD_RETURN_IF_ERROR(
        db_->Exec("CREATE TABLE IF NOT EXISTS journal ("
                  " seq INTEGER PRIMARY KEY,"
                  " event_id TEXT NOT NULL UNIQUE,"
                  " received_ns INTEGER NOT NULL,"
                  " payload BLOB NOT NULL,"
                  " prev_hash BLOB NOT NULL,"
                  " hash BLOB NOT NULL)"));
    auto ins = db_->Prepare(
        "INSERT INTO journal(seq, event_id, received_ns, payload, prev_hash, hash)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(event_id) DO NOTHING");
    if (!ins.ok()) return ins.status();
    insert_ = std::move(*ins);
    // Rows in groups: one statement's fixed cost (cursors opened on the
    // table and the id index, the program started and reset) per
    // kRowsPerInsert rows instead of per row. A statement of several rows
    // keeps an undo log of its own (to take back only itself when a row
    // fails), which SQLite moves to a file in a temporary directory past
    // 64 KiB: in memory instead, so a batch needs no temporary file (none
    // may be writable: a read-only root, ProtectSystem=strict) and costs
    // none. It holds the pages one statement touches (some hundred KB).
    RISKD_RETURN_IF_ERROR(db_->Exec("PRAGMA temp_store=MEMORY"));
    std::string sql =
        "INSERT INTO journal(seq, event_id, received_ns, payload, prev_hash, hash) VALUES";
    for (std::size_t r = 0; r < kRowsPerInsert; ++r)
      sql += r == 0 ? "(?,?,?,?,?,?)" : ",(?,?,?,?,?,?)";
    auto rows = db_->Prepare(sql);
    if (!rows.ok()) return rows.status();
    insert_rows_ = std::move(*rows);
  }
  auto find = db_->Prepare("SELECT seq FROM journal WHERE event_id = ?1");
  if (!find.ok()) return find.status();
  find_ = std::move(*find);

  auto last = db_->Prepare("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1");
  if (!last.ok()) return last.status();
  Status st;
  last_hash_.assign(kHashBytes, '\0');
  if (last->Step(&st)) {
    last_seq_ = static_cast<std::uint64_t>(last->ColumnInt(0));
    last_hash_ = last->ColumnBlob(1);
  }
  RISKD_RETURN_IF_ERROR(st);
  return RebuildFilter(std::max<std::size_t>(std::size_t{1} << 20, 2 * last_seq_));
}

Status Journal::RebuildFilter(std::size_t expected) {
  EventIdFilter filter(expected);
  auto ids = db_->Prepare("SELECT event_id FROM journal");
  if (!ids.ok()) return ids.status();
  Status st;
  while (ids->Step(&st)) filter.Add(ids->ColumnText(0));
  RISKD_RETURN_IF_ERROR(st);
  filter_ = std::move(filter);
  return Status::Ok();
}

Result<std::vector<AppendResult>> Journal::Append(std::span<const JournalEntry> entries) {
  return AppendRows(entries, {});
}

Result<std::vector<AppendResult>> Journal::AppendAt(std::span<const JournalEntry> entries,
                                                    std::span<const std::uint64_t> seqs) {
  if (seqs.size() != entries.size()) {
    return Status::InvalidArgument("journal: one sequence per entry is required");
  }
  std::uint64_t previous = last_seq_;
  for (const std::uint64_t seq : seqs) {
    if (seq <= previous) {
      return Status::InvalidArgument("journal: sequence " + std::to_string(seq) +
                                     " does not follow " + std::to_string(previous));
    }
    previous = seq;
  }
  return AppendRows(entries, seqs);
}

Result<std::vector<AppendResult>> Journal::AppendRows(std::span<const JournalEntry> entries,
                                                      std::span<const std::uint64_t> seqs) {
  if (entries.empty()) return std::vector<AppendResult>();
  if (!insert_.prepared()) return Status::FailedPrecondition("journal opened read-only");
  // A journal file deleted or replaced under the running daemon (a clean-up
  // of the state directory, a restore over it) would take every later
  // commit with it: the open connection keeps writing to a file no path
  // leads to, gone at the next start. SQLite checks this only in rollback
  // mode, not in WAL mode. Nothing is written; the caller refuses the
  // events (retry later) instead of acknowledging what a restart loses.
  if (db_->FileMoved()) {
    return Status::IoError(
        "journal: " + db_->path() +
        " was deleted or replaced since riskd opened it: no event is journaled until riskd "
        "restarts; to keep the events it holds, copy them out before stopping it "
        "(docs/operations.md, \"A journal deleted while riskd runs\")");
  }
  auto out = AppendInTransaction(entries, seqs);
  if (!out.ok()) return DiscardFailedAppend(out.status());
  return out;
}

Status Journal::DiscardFailedAppend(const Status& failure) {
  // The transaction was rolled back, but a commit that failed at its fsync
  // has already written its frames, commit marker included, to the WAL;
  // SQLite merely did not publish them. A crash now would let recovery find
  // them and the refused events would come back. A truncating checkpoint
  // copies the published frames into the database and empties the WAL, so
  // the failed ones are gone for good.
  auto q = db_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  Status st = q.ok() ? Status::Ok() : q.status();
  bool busy = true;
  if (q.ok() && q->Step(&st)) busy = q->ColumnInt(0) != 0;
  if (st.ok() && !busy) return failure;
  return Status::Corruption("journal: a failed commit (" + failure.ToString() +
                            ") could not be discarded (" +
                            (st.ok() ? std::string("checkpoint busy") : st.ToString()) +
                            "): its events may or may not be journaled");
}

Result<std::vector<AppendResult>> Journal::AppendInTransaction(
    std::span<const JournalEntry> entries, std::span<const std::uint64_t> seqs) {
  std::vector<AppendResult> out(entries.size());
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  std::uint64_t seq = last_seq_;
  // The chain's head: last_hash_, then the newest row's hash in one of two
  // buffers that take turns (no string per row).
  std::string_view prev = last_hash_;
  unsigned char hashes[2][kHashBytes];
  int next = 0;
  unsigned char group_hashes[kRowsPerInsert][kHashBytes];
  std::size_t row_by_row_until = 0;  // after a group that held a duplicate
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i >= row_by_row_until && entries.size() - i >= kRowsPerInsert) {
      for (std::size_t r = 0; r < kRowsPerInsert; ++r) {
        const JournalEntry& e = entries[i + r];
        const std::uint64_t row_seq = seqs.empty() ? seq + 1 + r : seqs[i + r];
        const std::string_view row_prev = r == 0 ? prev : View(group_hashes[r - 1]);
        RowHashInto(row_prev, row_seq, e, group_hashes[r]);
        const int p = static_cast<int>(6 * r);
        insert_rows_.BindInt(p + 1, static_cast<std::int64_t>(row_seq));
        insert_rows_.BindTextNoCopy(p + 2, e.event_id);
        insert_rows_.BindInt(p + 3, e.received_unix_ns);
        insert_rows_.BindBlobNoCopy(p + 4, e.payload);
        insert_rows_.BindBlobNoCopy(p + 5, row_prev);
        insert_rows_.BindBlobNoCopy(p + 6, View(group_hashes[r]));
        out[i + r] = {row_seq, false};
      }
      if (Status st = insert_rows_.Run(); !st.ok()) {
        if (!insert_rows_.constraint_failed()) return st;
        // A duplicate among them (journaled before, or earlier in the
        // batch): nothing of the group was written; one by one below.
        row_by_row_until = i + kRowsPerInsert;
      } else {
        seq = out[i + kRowsPerInsert - 1].seq;
        std::memcpy(hashes[next], group_hashes[kRowsPerInsert - 1], kHashBytes);
        prev = View(hashes[next]);
        next = 1 - next;
        i += kRowsPerInsert - 1;
        continue;
      }
    }
    const JournalEntry& e = entries[i];
    const std::uint64_t row_seq = seqs.empty() ? seq + 1 : seqs[i];
    RowHashInto(prev, row_seq, e, hashes[next]);
    // The entry and both hashes outlive Run(): no copies.
    insert_.BindInt(1, static_cast<std::int64_t>(row_seq));
    insert_.BindTextNoCopy(2, e.event_id);
    insert_.BindInt(3, e.received_unix_ns);
    insert_.BindBlobNoCopy(4, e.payload);
    insert_.BindBlobNoCopy(5, prev);
    insert_.BindBlobNoCopy(6, View(hashes[next]));
    RISKD_RETURN_IF_ERROR(insert_.Run());
    if (db_->changes() == 0) {
      // Journaled before, or earlier in this batch: this connection's own
      // uncommitted rows are visible to it, so the unique index answers
      // both (no map of the batch's ids).
      find_.BindText(1, e.event_id);
      Status st;
      if (!find_.Step(&st)) {
        find_.Reset();
        return st.ok() ? Status::Internal("duplicate event id vanished") : st;
      }
      out[i] = {static_cast<std::uint64_t>(find_.ColumnInt(0)), true};
      find_.Reset();
      continue;
    }
    seq = row_seq;
    prev = View(hashes[next]);
    next = 1 - next;
    out[i] = {seq, false};
  }
  RISKD_RETURN_IF_ERROR(tx.Commit());
  // The filter's blocks, fetched together (one cache miss each, overlapped)
  // before they are written one by one.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!out[i].duplicate) filter_.Prefetch(entries[i].event_id);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!out[i].duplicate) filter_.Add(entries[i].event_id);
  }
  last_seq_ = seq;
  last_hash_.assign(prev);  // may view last_hash_ itself: assign allows it
  if (filter_.Saturated()) RISKD_RETURN_IF_ERROR(RebuildFilter(2 * filter_.capacity()));
  return out;
}

Result<std::optional<std::uint64_t>> Journal::Lookup(const std::string& event_id) {
  if (!filter_.MayContain(event_id)) return std::optional<std::uint64_t>();
  return LookupInDatabase(event_id);
}

Result<std::optional<std::uint64_t>> Journal::LookupInDatabase(const std::string& event_id) {
  find_.BindText(1, event_id);
  Status st;
  std::optional<std::uint64_t> seq;
  if (find_.Step(&st)) seq = static_cast<std::uint64_t>(find_.ColumnInt(0));
  find_.Reset();
  if (!st.ok()) return st;
  return seq;
}

Result<std::optional<std::string>> Journal::Payload(std::uint64_t seq) {
  auto q = db_->Prepare("SELECT payload FROM journal WHERE seq = ?1");
  if (!q.ok()) return q.status();
  q->BindInt(1, static_cast<std::int64_t>(seq));
  Status st;
  std::optional<std::string> payload;
  if (q->Step(&st)) payload = q->ColumnBlob(0);
  RISKD_RETURN_IF_ERROR(st);
  return payload;
}

Status Journal::ForEach(std::uint64_t after,
                        const std::function<Status(std::uint64_t, const JournalEntry&)>& fn) {
  auto q = db_->Prepare(
      "SELECT seq, event_id, received_ns, payload FROM journal WHERE seq > ?1 ORDER BY seq");
  if (!q.ok()) return q.status();
  q->BindInt(1, static_cast<std::int64_t>(after));
  Status st;
  while (q->Step(&st)) {
    JournalEntry e{q->ColumnText(1), q->ColumnInt(2), q->ColumnBlob(3)};
    RISKD_RETURN_IF_ERROR(fn(static_cast<std::uint64_t>(q->ColumnInt(0)), e));
  }
  return st;
}

Result<std::string> Journal::Origin() {
  auto has = db_->HasTable("journal_origin");
  if (!has.ok()) return has.status();
  if (!*has) return std::string();
  auto q = db_->Prepare("SELECT origin FROM journal_origin LIMIT 1");
  if (!q.ok()) return q.status();
  Status st;
  std::string origin;
  if (q->Step(&st)) origin = q->ColumnText(0);
  RISKD_RETURN_IF_ERROR(st);
  return origin;
}

Status Journal::SetOrigin(const std::string& origin) {
  auto now = Origin();
  if (!now.ok()) return now.status();
  if (*now == origin) return Status::Ok();
  if (last_seq_ != 0) {
    return Status::FailedPrecondition("journal: holds " + std::to_string(last_seq_) +
                                      " event(s) of origin '" + *now + "', cannot become '" +
                                      origin + "'");
  }
  RISKD_RETURN_IF_ERROR(
      db_->Exec("CREATE TABLE IF NOT EXISTS journal_origin (origin TEXT NOT NULL)"));
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  RISKD_RETURN_IF_ERROR(db_->Exec("DELETE FROM journal_origin"));
  auto ins = db_->Prepare("INSERT INTO journal_origin(origin) VALUES(?1)");
  if (!ins.ok()) return ins.status();
  ins->BindText(1, origin);
  RISKD_RETURN_IF_ERROR(ins->Run());
  return tx.Commit();
}

Result<JournalVerifyReport> Journal::Verify() {
  auto q = db_->Prepare(
      "SELECT seq, event_id, received_ns, payload, prev_hash, hash FROM journal ORDER BY seq");
  if (!q.ok()) return q.status();
  JournalVerifyReport report;
  std::string prev(kHashBytes, '\0');
  std::uint64_t expected_seq = 1;
  Status st;
  while (q->Step(&st)) {
    const auto seq = static_cast<std::uint64_t>(q->ColumnInt(0));
    JournalEntry e{q->ColumnText(1), q->ColumnInt(2), q->ColumnBlob(3)};
    auto fail = [&](std::string why) {
      report.ok = false;
      report.first_bad_seq = seq;
      report.problem = std::move(why);
    };
    // A gap is fine when the row chains to its predecessor (a mirror that
    // skipped sequences wrote it so); a deleted row breaks the chain.
    if (q->ColumnBlob(4) != prev) {
      fail(seq != expected_seq ? "sequence gap: expected " + std::to_string(expected_seq) +
                                     ", found " + std::to_string(seq)
                               : std::string("prev_hash does not match the previous row's hash"));
    } else if (JournalRowHash(prev, seq, e) != q->ColumnBlob(5)) {
      fail("row content does not match its hash (modified)");
    }
    if (!report.ok) break;
    prev = q->ColumnBlob(5);
    expected_seq = seq + 1;
    ++report.rows;
    report.last_seq = seq;
    report.last_hash = prev;
  }
  RISKD_RETURN_IF_ERROR(st);
  return report;
}

}  // namespace riskd::connectors
