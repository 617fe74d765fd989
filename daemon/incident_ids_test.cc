#include "daemon/incident_ids.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace riskd::daemon {
namespace {

TEST(IncidentIdsTest, HoldsTheIdsAddedUntilRemoved) {
  IncidentIds ids;
  ids.Add("supply/7");
  ids.Add("supply/12");
  ids.Add("cyber/7");
  ids.Add("supply/9");  // out of order: inserted in place
  ids.Add("supply/9");  // twice: held once
  EXPECT_EQ(ids.size(), 4u);
  for (const char* id : {"supply/7", "supply/9", "supply/12", "cyber/7"}) EXPECT_TRUE(ids.Has(id));
  for (const char* id : {"supply/8", "cyber/12", "logistics/7", "supply/07", "supply/", "supply",
                         "/7", "supply/7x", "supply/-7", ""}) {
    EXPECT_FALSE(ids.Has(id)) << id;
  }
  ids.Remove({"supply/9", "cyber/7", "supply/99", "nope/1"});
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids.Has("supply/7"));
  EXPECT_TRUE(ids.Has("supply/12"));
  EXPECT_FALSE(ids.Has("supply/9"));
  EXPECT_FALSE(ids.Has("cyber/7"));
}

// Which incidents are closed: set and cleared by Add (a re-opened one),
// forgotten with the id; only an acknowledgment may act on a closed one.
TEST(IncidentIdsTest, KnowsWhichAreClosedAndWhatMayActOnThem) {
  IncidentIds ids;
  ids.Add("supply/7");
  ids.Add("supply/9", /*closed=*/true);
  ids.Add("odd-id", /*closed=*/true);
  EXPECT_FALSE(ids.Closed("supply/7"));
  EXPECT_TRUE(ids.Closed("supply/9"));
  EXPECT_TRUE(ids.Closed("odd-id"));
  EXPECT_FALSE(ids.Closed("supply/8"));
  ids.Add("supply/9");  // re-opened
  EXPECT_FALSE(ids.Closed("supply/9"));
  ids.Add("supply/7", /*closed=*/true);
  ids.Remove({"supply/7", "odd-id"});
  EXPECT_FALSE(ids.Closed("supply/7"));
  EXPECT_FALSE(ids.Closed("odd-id"));
  EXPECT_EQ(ids.size(), 1u);

  using riskd::v1::OperatorAction;
  EXPECT_TRUE(CheckActionOnClosedIncident(OperatorAction::KIND_ACKNOWLEDGE, "supply/9").ok());
  for (const auto kind :
       {OperatorAction::KIND_ASSIGN, OperatorAction::KIND_OVERRIDE_LEVEL,
        OperatorAction::KIND_MARK_NO_IMPACT, OperatorAction::KIND_MARK_RESTORED}) {
    const Status st = CheckActionOnClosedIncident(kind, "supply/9");
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << OperatorAction::Kind_Name(kind);
    EXPECT_NE(st.message().find("incident 'supply/9' is closed"), std::string::npos)
        << st.message();
  }
}

// Ids of another form than "<risk type>/<key>" are held as they are.
TEST(IncidentIdsTest, HoldsIdsOfAnotherFormAsStrings) {
  IncidentIds ids;
  ids.Add("a/b/3");  // the key follows the last '/'
  ids.Add("odd-id");
  ids.Add("supply/007");
  EXPECT_TRUE(ids.Has("a/b/3"));
  EXPECT_FALSE(ids.Has("a/3"));
  EXPECT_TRUE(ids.Has("odd-id"));
  EXPECT_TRUE(ids.Has("supply/007"));
  EXPECT_FALSE(ids.Has("supply/7"));
  ids.Remove({"odd-id", "supply/007"});
  EXPECT_FALSE(ids.Has("odd-id"));
  EXPECT_FALSE(ids.Has("supply/007"));
  EXPECT_EQ(ids.size(), 1u);
}

// What a round under load leaves: thousands of incidents opened, most of
// them forgotten together. Eight bytes per id held (a std::set of strings
// took 80 with malloc's header), and removing many at once keeps the rest.
TEST(IncidentIdsTest, ThousandsOfIdsCostEightBytesEach) {
  IncidentIds ids;
  constexpr std::uint64_t kIds = 20000;
  for (std::uint64_t k = 1; k <= kIds; ++k) ids.Add("supply/" + std::to_string(k));
  EXPECT_EQ(ids.size(), kIds);
  EXPECT_LE(ids.MemoryBytes(), 2 * kIds * sizeof(std::uint64_t) + 256);
  std::vector<std::string> forgotten;
  for (std::uint64_t k = 1; k <= kIds; ++k) {
    if (k % 4 != 0) forgotten.push_back("supply/" + std::to_string(k));
  }
  ids.Remove(forgotten);
  EXPECT_EQ(ids.size(), kIds / 4);
  for (std::uint64_t k = 1; k <= kIds; ++k) {
    ASSERT_EQ(ids.Has("supply/" + std::to_string(k)), k % 4 == 0) << k;
  }
}

}  // namespace
}  // namespace riskd::daemon
