// CsvReader: RFC 4180 CSV as real files write it: an optional UTF-8 byte
// order mark, CRLF or LF line ends, quoted fields with doubled quotes and
// embedded newlines, and ragged rows (rows may have more or fewer fields than
// the header). Reading is strict about what it cannot interpret (an
// unterminated quote is an error naming the line).
//
// A file is read as it is parsed, a chunk at a time: only the chunk and the
// record being parsed are held, never the whole text (a 21 MB edge list
// would otherwise sit in memory next to the network built from it).
// Not thread-safe: one reader per thread.
#ifndef RISKD_CONNECTORS_CSV_CSV_READER_H_
#define RISKD_CONNECTORS_CSV_CSV_READER_H_

#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace riskd::connectors {

class CsvReader {
 public:
  // How much of a file is read at a time by default.
  static constexpr std::size_t kDefaultChunkBytes = 64 * 1024;

  // Parses a text held in memory. `text` may start with a BOM.
  explicit CsvReader(std::string text);
  // Reads a file chunk_bytes at a time as it is parsed (a chunk of any
  // size >= 1 gives the same records: tests use tiny ones). NotFound if it
  // cannot be opened; a read error later is status() IoError.
  static Result<CsvReader> FromFile(const std::string& path,
                                    std::size_t chunk_bytes = kDefaultChunkBytes);

  // Next record into *fields. Returns false at the end; sets status() on a
  // malformed record. Blank lines are skipped.
  bool Next(std::vector<std::string>* fields);
  const Status& status() const { return status_; }
  // 1-based line number where the last record returned started.
  std::size_t line() const { return record_line_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  CsvReader(std::unique_ptr<std::FILE, FileCloser> file, std::string path, std::size_t chunk_bytes);
  // Whether text_[pos_ + ahead] exists, reading more of the file if needed.
  bool Have(std::size_t ahead) { return pos_ + ahead < text_.size() || Refill(ahead); }
  // Drops the parsed text before pos_ and appends chunks until
  // text_[pos_ + ahead] exists or the file ends (false; a read error sets
  // status_).
  bool Refill(std::size_t ahead);
  // Skips a byte order mark at the start of the text.
  void SkipBom();

  // The input held: all of a text; for a file what was read since the last
  // refill dropped the parsed bytes. text_[pos_] is the next byte to parse.
  std::string text_;
  std::unique_ptr<std::FILE, FileCloser> file_;  // null: no more input
  std::string path_;
  std::size_t chunk_bytes_ = kDefaultChunkBytes;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
  Status status_;
};

// A header row mapped to column positions.
class CsvHeader {
 public:
  explicit CsvHeader(std::vector<std::string> names);
  // Position of a column by name (exact, after trimming spaces), if present.
  std::optional<std::size_t> Find(std::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }
  // Field `name` of a record, or "" if the column or the field is missing.
  std::string_view Get(const std::vector<std::string>& record, std::string_view name) const;

 private:
  std::vector<std::string> names_;
};

// The lines of a file (the last one counted with or without its line end):
// an upper bound on its records, for sizing what is read from it once.
// Reads the file a chunk at a time. NotFound/IoError as CsvReader::FromFile.
Result<std::size_t> CountLines(const std::string& path);

// Trims ASCII whitespace at both ends.
std::string_view Trim(std::string_view s);
// Strict number parsing: the whole (trimmed) field must be a finite number.
std::optional<double> ParseDouble(std::string_view s);
std::optional<long long> ParseInt(std::string_view s);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CSV_CSV_READER_H_
