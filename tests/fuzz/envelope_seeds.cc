#include "tests/fuzz/envelope_seeds.h"

#include <utility>

#include "riskd/v1/envelope.pb.h"

namespace riskd::fuzz {

std::vector<std::string> EnvelopeSeeds() {
  using namespace riskd::v1;
  std::vector<Envelope> seeds;
  auto add = [&](auto fill) {
    Envelope e;
    e.set_event_id("seed-" + std::to_string(seeds.size()));
    e.set_source("fuzz");
    e.mutable_occurred_at()->set_seconds(1700000000);
    fill(e);
    seeds.push_back(e);
  };
  add([](Envelope& e) {
    auto* d = e.mutable_disruption();
    d->set_hazard(HAZARD_EARTHQUAKE);
    d->set_severity(0.8);
    d->add_node_ids("A");
    d->add_node_ids("C");
  });
  add([](Envelope& e) {
    auto* d = e.mutable_disruption();
    d->set_hazard(HAZARD_FLOOD);
    d->set_severity(0.5);
    auto* c = d->mutable_place()->mutable_circle();
    c->mutable_center()->set_lat(35);
    c->mutable_center()->set_lon(139);
    c->set_radius_km(300);
  });
  add([](Envelope& e) {
    auto* d = e.mutable_disruption();
    d->set_hazard(HAZARD_STORM);
    d->set_severity(1);
    auto* p = d->mutable_place()->mutable_polygon();
    for (auto [la, lo] : {std::pair{30.0, 100.0}, {40.0, 100.0}, {40.0, 150.0}, {30.0, 150.0}}) {
      auto* v = p->add_vertices();
      v->set_lat(la);
      v->set_lon(lo);
    }
  });
  add([](Envelope& e) {
    auto* d = e.mutable_disruption();
    d->set_hazard(HAZARD_DATA_LEAK);
    d->set_severity(0.9);
    d->mutable_place()->set_region("jp");
  });
  add([](Envelope& e) {
    e.mutable_supplier_status()->set_node_id("B");
    e.mutable_supplier_status()->set_state(NODE_STATE_DISRUPTED);
    e.mutable_supplier_status()->set_severity(0.3);
  });
  add([](Envelope& e) {
    e.mutable_supplier_status()->set_node_id("B");
    e.mutable_supplier_status()->set_state(NODE_STATE_RECOVERED);
  });
  add([](Envelope& e) {
    auto* n = e.mutable_network_change()->mutable_add_node();
    n->set_id("Z");
    n->set_region("JP");
    n->mutable_location()->set_lat(1);
    n->mutable_location()->set_lon(2);
    n->set_inventory_days(3);
  });
  add([](Envelope& e) { e.mutable_network_change()->set_remove_node("F"); });
  add([](Envelope& e) {
    auto* x = e.mutable_network_change()->mutable_add_edge();
    x->set_from("A");
    x->set_to("E");
    x->set_weight(4);
    x->set_layer(LAYER_DATA);
  });
  add([](Envelope& e) {
    auto* x = e.mutable_network_change()->mutable_set_edge_weight();
    x->set_from("A");
    x->set_to("B");
    x->set_weight(9);
  });
  add([](Envelope& e) {
    auto* x = e.mutable_network_change()->mutable_remove_edge();
    x->set_from("B");
    x->set_to("C");
  });
  add([](Envelope& e) {
    e.mutable_intervention()->set_kind(Intervention::KIND_IMMUNIZE);
    e.mutable_intervention()->add_node_ids("C");
  });
  add([](Envelope& e) { e.mutable_query()->mutable_snapshot(); });
  add([](Envelope& e) { e.mutable_query()->mutable_node_risk()->add_node_ids("A"); });
  std::vector<std::string> out;
  for (const auto& s : seeds) out.push_back(s.SerializeAsString());
  return out;
}

}  // namespace riskd::fuzz
