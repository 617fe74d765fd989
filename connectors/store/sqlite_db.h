// SqliteDb: a thin RAII wrapper over one SQLite connection and its prepared
// statements, returning riskd::Status instead of error codes. Shared by the
// journal, the state store and the checkpoint store (each opens its own
// connection to its own WAL-mode database file, so the ingest and engine
// threads never wait for each other's write lock).
#ifndef RISKD_CONNECTORS_STORE_SQLITE_DB_H_
#define RISKD_CONNECTORS_STORE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace riskd::connectors {

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, bool damage_is_corruption = false)
      : db_(db), stmt_(stmt), damage_is_corruption_(damage_is_corruption) {}
  SqliteStatement(SqliteStatement&& o) noexcept
      : db_(o.db_), stmt_(o.stmt_), damage_is_corruption_(o.damage_is_corruption_) {
    o.stmt_ = nullptr;
  }
  SqliteStatement& operator=(SqliteStatement&& o) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Binders use 1-based parameter indices.
  void BindInt(int index, std::int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);
  // Without copying the bytes: they must stay valid and unchanged until the
  // statement is reset (Run() resets it). For hot loops over data that
  // outlives the step (the journal's batch).
  void BindTextNoCopy(int index, std::string_view value);
  void BindBlobNoCopy(int index, std::string_view value);

  // Steps once: true if a row is available, false when done; errors in *status.
  bool Step(Status* status);
  // Steps to completion (for statements without rows) and resets.
  Status Run();
  void Reset();
  bool prepared() const { return stmt_ != nullptr; }
  // Whether the last Step() or Run() failed on a constraint (UNIQUE, ...):
  // the statement then changed nothing (SQLite's default ABORT).
  bool constraint_failed() const { return (last_code_ & 0xff) == SQLITE_CONSTRAINT; }

  std::int64_t ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
  double ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool damage_is_corruption_ = false;
  int last_code_ = SQLITE_OK;
};

class SqliteDb {
 public:
  enum class Durability {
    // synchronous=FULL: a commit survives power loss (the journal).
    kFull,
    // synchronous=NORMAL: a commit survives a crash of the process, and in
    // WAL mode stays consistent after power loss but may lose the newest
    // commits (state that can be re-derived from the journal).
    kNormal,
  };
  // How long a statement waits for another connection's lock before it
  // fails with SQLITE_BUSY.
  static constexpr int kBusyTimeoutMs = 5000;
  // How errors that mean the file itself is damaged (SQLITE_CORRUPT,
  // SQLITE_NOTADB) are reported. Every error is an IoError by default (what
  // the journal's callers expect); a connection to a file that may be
  // thrown away when damaged (the checkpoint) reports those as Corruption,
  // so that a lock, a full disk or a failed read never counts as damage.
  enum class Damage { kIoError, kCorruption };
  // Opens (creating if needed) the database in WAL mode with a busy timeout.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                Durability durability = Durability::kFull,
                                                Damage damage = Damage::kIoError);
  // Opens an existing database for reading only: never creates the file,
  // never writes to it (NotFound when it does not exist).
  static Result<std::unique_ptr<SqliteDb>> OpenReadOnly(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(std::string_view sql);
  // Whether the database (or the attached one named `schema`) has a table
  // of that name.
  Result<bool> HasTable(std::string_view name, std::string_view schema = "main");
  Result<SqliteStatement> Prepare(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  const std::string& path() const { return path_; }
  // Frees the connection's page cache (pages not in use by a running
  // statement; sqlite3_db_release_memory). Nothing read or written changes:
  // pages are read again from the file (the OS page cache) when needed.
  // After a bulk write or read that filled the cache and is not repeated
  // soon, so the pages are not kept resident for the process's lifetime.
  void ReleaseCache() { (void)sqlite3_db_release_memory(db_); }
  // Bytes the connection's page cache holds now (SQLITE_DBSTATUS_CACHE_USED).
  std::int64_t CacheBytes() const {
    int current = 0, highwater = 0;
    (void)sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
    return current;
  }

  // Whether the database file is no longer at its path: deleted, renamed,
  // or another file put in its place since it was opened. The connection
  // still reads and writes the file it opened, which no path leads to any
  // more (SQLITE_FCNTL_HAS_MOVED; one stat).
  bool FileMoved() const;

  // Status for the connection's last error, prefixed with `what`.
  Status Error(std::string_view what) const;

 private:
  SqliteDb(sqlite3* db, std::string path, bool damage_is_corruption)
      : db_(db), path_(std::move(path)), damage_is_corruption_(damage_is_corruption) {}
  sqlite3* db_;
  std::string path_;
  bool damage_is_corruption_;
};

// RAII transaction: BEGIN IMMEDIATE on construction, ROLLBACK unless
// Commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb* db);
  ~SqliteTransaction();
  const Status& status() const { return status_; }
  Status Commit();

 private:
  SqliteDb* db_;
  Status status_;
  bool open_ = false;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_STORE_SQLITE_DB_H_
