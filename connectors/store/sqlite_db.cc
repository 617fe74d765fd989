#include "connectors/store/sqlite_db.h"

#include <unistd.h>

namespace riskd::connectors {
namespace {

// Process-wide settings, before SQLite initializes (the first connection):
// no memory statistics. They take a global mutex around every allocation
// and free SQLite makes (a few per journaled row: ~5% of the ingest
// thread's CPU); nothing here reads them (sqlite3_memory_used, a soft heap
// limit). Should SQLite be initialized already, the call changes nothing.
void ConfigureOnce() {
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

// The Status for SQLite's result code `rc` (SqliteDb::Damage).
Status Failure(int rc, bool damage_is_corruption, std::string message) {
  const int primary = rc & 0xff;
  if (damage_is_corruption && (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)) {
    return Status::Corruption(std::move(message));
  }
  return Status::IoError(std::move(message));
}

}  // namespace

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    damage_is_corruption_ = o.damage_is_corruption_;
    o.stmt_ = nullptr;
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

void SqliteStatement::BindInt(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void SqliteStatement::BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void SqliteStatement::BindText(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void SqliteStatement::BindBlob(int i, std::string_view v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void SqliteStatement::BindNull(int i) { sqlite3_bind_null(stmt_, i); }
void SqliteStatement::BindTextNoCopy(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void SqliteStatement::BindBlobNoCopy(int i, std::string_view v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

bool SqliteStatement::Step(Status* status) {
  const int rc = sqlite3_step(stmt_);
  last_code_ = rc;
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    *status =
        Failure(rc, damage_is_corruption_, std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  return false;
}

Status SqliteStatement::Run() {
  Status st;
  while (Step(&st)) {
  }
  Reset();
  return st;
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStatement::ColumnText(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

std::string SqliteStatement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, Durability durability,
                                                 Damage damage) {
  ConfigureOnce();
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path, damage == Damage::kCorruption));
  if (rc != SQLITE_OK) {
    return Failure(
        rc, db->damage_is_corruption_,
        "cannot open database '" + path + "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // The first statements read the file: a damaged one fails here, and the
  // daemon keeps three files; say which.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL",
        durability == Durability::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON"}) {
    const Status st = db->Exec(pragma);
    if (!st.ok()) return st.WithContext("database '" + path + "'");
  }
  return db;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::OpenReadOnly(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) {
    return Status::NotFound("database '" + path + "' does not exist");
  }
  ConfigureOnce();
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path, false));
  if (rc != SQLITE_OK) {
    return Status::IoError("cannot open database '" + path +
                           "' read-only: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Result<bool> SqliteDb::HasTable(std::string_view name, std::string_view schema) {
  auto q = Prepare("SELECT 1 FROM \"" + std::string(schema) +
                   "\".sqlite_master WHERE type = 'table' AND name = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, name);
  Status st;
  const bool found = q->Step(&st);
  RISKD_RETURN_IF_ERROR(st);
  return found;
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

bool SqliteDb::FileMoved() const {
  int moved = 0;
  return sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
         moved != 0;
}

Status SqliteDb::Error(std::string_view what) const {
  return Failure(sqlite3_extended_errcode(db_), damage_is_corruption_,
                 std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    Status st = Failure(rc, damage_is_corruption_,
                        "sqlite: " + std::string(err ? err : "error") + " in: " + text);
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Error("prepare '" + std::string(sql) + "'");
  }
  return SqliteStatement(db_, stmt, damage_is_corruption_);
}

SqliteTransaction::SqliteTransaction(SqliteDb* db) : db_(db) {
  status_ = db_->Exec("BEGIN IMMEDIATE");
  open_ = status_.ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  if (!open_) return status_.ok() ? Status::FailedPrecondition("transaction not open") : status_;
  Status st = db_->Exec("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

}  // namespace riskd::connectors
