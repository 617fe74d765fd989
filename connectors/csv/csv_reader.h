// CsvReader: RFC 4180 CSV as real files write it: an optional UTF-8 byte
// order mark, CRLF or LF line ends, quoted fields with doubled quotes and
// embedded newlines, and ragged rows (rows may have more or fewer fields than
// the header). Reading is strict about what it cannot interpret (an
// unterminated quote is an error naming the line).
#ifndef RISKD_CONNECTORS_CSV_CSV_READER_H_
#define RISKD_CONNECTORS_CSV_CSV_READER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace riskd::connectors {

class CsvReader {
 public:
  // Parses the whole text at once. `text` may start with a BOM.
  explicit CsvReader(std::string text);
  // Reads a file; NotFound/IoError if it cannot.
  static Result<CsvReader> FromFile(const std::string& path);

  // Next record into *fields. Returns false at the end; sets status() on a
  // malformed record. Blank lines are skipped.
  bool Next(std::vector<std::string>* fields);
  const Status& status() const { return status_; }
  // 1-based line number where the last record returned started.
  std::size_t line() const { return record_line_; }

 private:
  std::string text_;
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

// Trims ASCII whitespace at both ends.
std::string_view Trim(std::string_view s);
// Strict number parsing: the whole (trimmed) field must be a finite number.
std::optional<double> ParseDouble(std::string_view s);
std::optional<long long> ParseInt(std::string_view s);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CSV_CSV_READER_H_
