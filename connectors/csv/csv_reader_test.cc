#include "connectors/csv/csv_reader.h"

#include <gtest/gtest.h>

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
