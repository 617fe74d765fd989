#include "connectors/csv/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace riskd::connectors {

CsvReader::CsvReader(std::string text) : text_(std::move(text)) { SkipBom(); }

CsvReader::CsvReader(std::unique_ptr<std::FILE, FileCloser> file, std::string path,
                     std::size_t chunk_bytes)
    : file_(std::move(file)),
      path_(std::move(path)),
      chunk_bytes_(std::max<std::size_t>(1, chunk_bytes)) {
  SkipBom();
}

Result<CsvReader> CsvReader::FromFile(const std::string& path, std::size_t chunk_bytes) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return Status::NotFound("cannot open '" + path + "'");
  CsvReader reader(std::move(file), path, chunk_bytes);
  if (!reader.status_.ok()) return reader.status_;
  return reader;
}

void CsvReader::SkipBom() {
  if (Have(2) && text_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) pos_ += 3;
}

bool CsvReader::Refill(std::size_t ahead) {
  while (file_ && pos_ + ahead >= text_.size()) {
    text_.erase(0, pos_);
    pos_ = 0;
    const std::size_t held = text_.size();
    text_.resize(held + chunk_bytes_);
    const std::size_t got = std::fread(text_.data() + held, 1, chunk_bytes_, file_.get());
    text_.resize(held + got);
    if (got < chunk_bytes_) {
      if (std::ferror(file_.get())) status_ = Status::IoError("cannot read '" + path_ + "'");
      file_.reset();
    }
  }
  return status_.ok() && pos_ + ahead < text_.size();
}

bool CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (!status_.ok()) return false;
  // Skip blank lines.
  while (Have(0) && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (!Have(0)) return false;
  record_line_ = line_;
  std::string field;
  bool quoted = false;
  bool field_started_quoted = false;
  while (Have(0)) {
    const char c = text_[pos_];
    if (quoted) {
      if (c == '"') {
        if (Have(1) && text_[pos_ + 1] == '"') {
          field += '"';
          pos_ += 2;
          continue;
        }
        quoted = false;
        ++pos_;
        continue;
      }
      if (c == '\n') ++line_;
      field += c;
      ++pos_;
      continue;
    }
    if (c == '"' && field.empty() && !field_started_quoted) {
      quoted = true;
      field_started_quoted = true;
      ++pos_;
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      field_started_quoted = false;
      ++pos_;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && Have(1) && text_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
      fields->push_back(std::move(field));
      return true;
    }
    field += c;
    ++pos_;
  }
  if (!status_.ok()) {  // a read error
    fields->clear();
    return false;
  }
  if (quoted) {
    status_ = Status::InvalidArgument("line " + std::to_string(record_line_) +
                                      ": unterminated quoted field");
    fields->clear();
    return false;
  }
  fields->push_back(std::move(field));
  return true;
}

CsvHeader::CsvHeader(std::vector<std::string> names) : names_(std::move(names)) {
  for (auto& n : names_) n = std::string(Trim(n));
}

std::optional<std::size_t> CsvHeader::Find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  return std::nullopt;
}

std::string_view CsvHeader::Get(const std::vector<std::string>& record,
                                std::string_view name) const {
  auto i = Find(name);
  if (!i || *i >= record.size()) return {};
  return record[*i];
}

Result<std::size_t> CountLines(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return Status::NotFound("cannot open '" + path + "'");
  std::vector<char> chunk(CsvReader::kDefaultChunkBytes);
  // Line ends as CsvReader reads them: LF, CRLF, or a CR alone.
  std::size_t lines = 0, got = 0;
  bool after_cr = false;  // the previous chunk ended with a CR
  char last = '\n';
  while ((got = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0) {
    const char* const begin = chunk.data();
    const char* const end = begin + got;
    if (after_cr && *begin != '\n') ++lines;
    lines += static_cast<std::size_t>(std::count(begin, end, '\n'));
    for (const char* cr = std::find(begin, end, '\r'); cr != end;
         cr = std::find(cr + 1, end, '\r')) {
      if (cr + 1 != end && cr[1] != '\n') ++lines;
    }
    after_cr = end[-1] == '\r';
    last = end[-1];
  }
  if (std::ferror(file.get())) return Status::IoError("cannot read '" + path + "'");
  return lines + (after_cr ? 1 : 0) + (last != '\n' && last != '\r' ? 1 : 0);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<double> ParseDouble(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> ParseInt(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace riskd::connectors
