#include "connectors/feeds/xml_document.h"

#include <gtest/gtest.h>

namespace riskd::connectors {
namespace {

TEST(XmlDocumentTest, ElementsAreNamedByNamespaceUriNotPrefix) {
  const std::string doc =
      "\xEF\xBB\xBF<?xml version = \"1.0\" encoding = \"UTF-8\"?>"
      "<rss xmlns:g=\"http://www.gdacs.org\"><channel><item>"
      "<g:eventid>42</g:eventid>"
      "<x:eventid xmlns:x=\"http://www.gdacs.org\">43</x:eventid>"
      "<title> A &amp; B </title><g:severity unit=\"M\" value=\"6.7\">M 6.7</g:severity>"
      "</item></channel></rss>";
  auto root = ParseXml(doc);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "rss");
  const XmlElement* item = root->Child("", "channel")->Child("", "item");
  ASSERT_NE(item, nullptr);
  const auto ids = item->Children("http://www.gdacs.org", "eventid");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1]->text, "43");
  EXPECT_EQ(item->ChildText("", "title"), "A & B");
  EXPECT_EQ(item->Child("http://www.gdacs.org", "severity")->Attribute("value"), "6.7");
  EXPECT_EQ(item->ChildText("", "eventid"), "");  // no-namespace name differs
}

TEST(XmlDocumentTest, MalformedDeepAndEmptyDocumentsAreErrors) {
  auto bad = ParseXml("<a>\n<b></a>");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status().ToString();
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  XmlOptions options;
  options.max_depth = 50;
  auto too_deep = ParseXml(deep, options);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.status().message().find("deeper than 50"), std::string::npos);
  EXPECT_TRUE(ParseXml(deep).ok() == false);  // default depth 64 < 100
  EXPECT_FALSE(ParseXml("").ok());
  options.max_bytes = 4;
  EXPECT_FALSE(ParseXml("<a></a>", options).ok());
}

}  // namespace
}  // namespace riskd::connectors
