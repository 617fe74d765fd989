#include "connectors/csv/csv_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace riskd::connectors {
namespace {

std::vector<std::vector<std::string>> ReadAll(const std::string& text, Status* status = nullptr) {
  CsvReader r(text);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> rec;
  while (r.Next(&rec)) rows.push_back(rec);
  if (status) *status = r.status();
  return rows;
}

TEST(CsvReaderTest, HandlesBomCrlfQuotesAndRaggedRows) {
  const auto rows =
      ReadAll("\xEF\xBB\xBFid,name\r\na,\"x, \"\"y\"\"\"\r\n\r\nb\nc,\"multi\nline\",extra\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"a", "x, \"y\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"b"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"c", "multi\nline", "extra"}));
}

TEST(CsvReaderTest, UnterminatedQuoteIsAnErrorWithTheLine) {
  Status st;
  ReadAll("a,b\n1,\"oops\n2,3\n", &st);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
}

// A file in a fresh directory (mkdtemp), removed with it.
class CsvFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "riskd_csv_reader_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    const std::string path = (dir_ / "file.csv").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

struct Record {
  std::vector<std::string> fields;
  std::size_t line;
  bool operator==(const Record&) const = default;
};

std::vector<Record> Records(CsvReader* reader) {
  std::vector<Record> out;
  std::vector<std::string> rec;
  while (reader->Next(&rec)) out.push_back({rec, reader->line()});
  return out;
}

TEST_F(CsvFileTest, AFileReadInChunksOfAnySizeGivesTheRecordsAndLinesOfTheWholeText) {
  // Every construct whose bytes can straddle a chunk boundary: the BOM,
  // CRLF, a doubled quote, a quoted comma and line break, blank lines, a
  // lone CR, a last line without a line end.
  std::string text = "\xEF\xBB\xBFid,name,note\r\n";
  for (int i = 0; i < 40; ++i) {
    text += "n" + std::to_string(i) + ",\"Plant \"\"" + std::to_string(i) +
            "\"\", Inc\",\"two\r\nlines\"\r\n";
    if (i % 7 == 0) text += "\r\n\n";
    if (i % 11 == 0) text += "cr,only\r";
    if (i % 5 == 0) text += "ragged\n";
  }
  text += "last,row";
  CsvReader whole(text);
  const std::vector<Record> expected = Records(&whole);
  ASSERT_TRUE(whole.status().ok());
  ASSERT_EQ(expected.size(), 1u + 40 + 4 + 8 + 1);
  EXPECT_EQ(expected.front().fields, (std::vector<std::string>{"id", "name", "note"}));
  EXPECT_EQ(expected[1].fields,
            (std::vector<std::string>{"n0", "Plant \"0\", Inc", "two\r\nlines"}));
  EXPECT_EQ(expected.back().fields, (std::vector<std::string>{"last", "row"}));
  const std::string path = Write(text);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4},
                            std::size_t{7}, std::size_t{64}, CsvReader::kDefaultChunkBytes}) {
    auto reader = CsvReader::FromFile(path, chunk);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(Records(&*reader), expected) << "chunks of " << chunk;
    EXPECT_TRUE(reader->status().ok()) << reader->status().ToString();
  }
}

TEST_F(CsvFileTest, AnUnterminatedQuoteInAFileNamesItsLine) {
  const std::string path = Write("a,b\n1,2\n\n3,\"oops\n4,5\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, CsvReader::kDefaultChunkBytes}) {
    auto reader = CsvReader::FromFile(path, chunk);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(Records(&*reader).size(), 2u);
    EXPECT_EQ(reader->status().ToString(), "invalid_argument: line 4: unterminated quoted field");
  }
  EXPECT_EQ(CsvReader::FromFile((dir_ / "missing.csv").string()).status().code(),
            Status::Code::kNotFound);
}

TEST_F(CsvFileTest, CountLinesCountsEveryKindOfLineEnd) {
  EXPECT_EQ(*CountLines(Write("")), 0u);
  EXPECT_EQ(*CountLines(Write("a")), 1u);
  EXPECT_EQ(*CountLines(Write("a\nb\n")), 2u);
  EXPECT_EQ(*CountLines(Write("a\nb")), 2u);
  EXPECT_EQ(*CountLines(Write("a\r\nb\r\n\r\n")), 3u);
  EXPECT_EQ(*CountLines(Write("a\rb\rc")), 3u);
  EXPECT_EQ(*CountLines(Write("a\rb\r")), 2u);
  // A CRLF split across two of the chunks CountLines reads is one line end;
  // a CR ending a chunk before another byte is one of its own.
  std::string split(CsvReader::kDefaultChunkBytes - 1, 'x');
  EXPECT_EQ(*CountLines(Write(split + "\r\nb\n")), 2u);
  EXPECT_EQ(*CountLines(Write(split + "\rb\n")), 2u);
  EXPECT_EQ(CountLines((dir_ / "missing.csv").string()).status().code(), Status::Code::kNotFound);
}

TEST(CsvReaderTest, StrictNumbers) {
  EXPECT_EQ(*ParseDouble(" 2.5 "), 2.5);
  EXPECT_EQ(*ParseDouble("+3"), 3.0);
  EXPECT_FALSE(ParseDouble("2.5x").has_value());
  EXPECT_FALSE(ParseDouble("nan").has_value());
  EXPECT_FALSE(ParseDouble("").has_value());
  EXPECT_EQ(*ParseInt("-4"), -4);
  EXPECT_FALSE(ParseInt("4.0").has_value());
}

}  // namespace
}  // namespace riskd::connectors
