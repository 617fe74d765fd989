#include "connectors/http/network_json.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace riskd::connectors {
namespace {

// Both printers' output, parsed: equal as JSON values.
void ExpectSameAsProtobuf(const riskd::v1::QueryResponse& r) {
  std::string expected;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(r, &expected).ok());
  const std::string got = NetworkJson(r);
  EXPECT_EQ(nlohmann::json::parse(got), nlohmann::json::parse(expected)) << got << "\n" << expected;
}

TEST(NetworkJsonTest, MatchesProtobufsJsonMapping) {
  riskd::v1::QueryResponse r;
  ExpectSameAsProtobuf(r);  // empty network, version 0
  r.set_network_version(42);
  auto* a = r.add_network_nodes();
  a->set_id("FAB-KUM");
  a->set_name("Kumamoto \"wafer\" fab \\ ÄÖ 熊本\n\t\x01");
  a->set_kind("supplier");
  a->set_tier(-1);
  a->set_region("JP");
  a->mutable_location()->set_lat(32.8);
  a->mutable_location()->set_lon(130.71000000000001);
  a->set_inventory_days(2.5);
  a->add_alternates("CHP-SND");
  a->add_alternates("X");
  a->set_emergency_plan_id("plan-7");
  auto* b = r.add_network_nodes();
  b->set_id("ORIGIN");
  b->mutable_location();  // (0, 0): present, both zero
  auto* c = r.add_network_nodes();
  c->set_id("EQUATOR");
  c->mutable_location()->set_lon(-97.74);
  c->set_tier(3);
  r.add_network_nodes()->set_id("bare");
  ExpectSameAsProtobuf(r);
}

TEST(NetworkJsonTest, DoublesRoundTrip) {
  riskd::v1::QueryResponse r;
  for (double v : {1e-300, 0.1, 1.0 / 3.0, -179.99999999999997, 89.123456789012345}) {
    auto* n = r.add_network_nodes();
    n->set_id("n");
    n->mutable_location()->set_lat(v);
    n->set_inventory_days(v > 0 ? v : 1);
  }
  const auto j = nlohmann::json::parse(NetworkJson(r));
  for (int i = 0; i < r.network_nodes_size(); ++i) {
    EXPECT_EQ(j["networkNodes"][i]["location"]["lat"].get<double>(),
              r.network_nodes(i).location().lat());
  }
  ExpectSameAsProtobuf(r);
}

}  // namespace
}  // namespace riskd::connectors
