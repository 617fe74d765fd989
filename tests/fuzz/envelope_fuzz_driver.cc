// A deterministic, bounded fuzz run for the test suite (no libFuzzer
// needed): mutates a seed corpus of valid Envelopes of every kind (bit flips,
// byte changes, insertions, deletions, truncation, splicing) with a fixed
// seed and feeds each result to the fuzz target. Under ASan+UBSan in CI this
// checks that no input crashes the validation and apply path.
//   envelope_fuzz_driver [iterations] [seed]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "riskd/v1/envelope.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" void RiskdFuzzReach(std::uint64_t* parsed, std::uint64_t* valid, std::uint64_t* applied);

namespace {

std::vector<std::string> SeedCorpus() {
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

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261123);
  const auto corpus = SeedCorpus();
  for (const auto& s : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  for (long i = 0; i < iterations; ++i) {
    std::string in = corpus[rng() % corpus.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      const std::size_t at = in.empty() ? 0 : rng() % in.size();
      switch (rng() % 6) {
        case 0: if (!in.empty()) in[at] = static_cast<char>(in[at] ^ (1 << (rng() % 8))); break;
        case 1: if (!in.empty()) in[at] = static_cast<char>(rng()); break;
        case 2: in.insert(at, 1, static_cast<char>(rng())); break;
        case 3: if (!in.empty()) in.erase(at, 1 + rng() % 4); break;
        case 4: in.resize(at); break;
        default: {
          const std::string& other = corpus[rng() % corpus.size()];
          in.insert(at, other.substr(rng() % other.size()));
        }
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
  }
  std::uint64_t parsed = 0, valid = 0, applied = 0;
  RiskdFuzzReach(&parsed, &valid, &applied);
  std::printf("envelope fuzz: %ld inputs (%llu parsed, %llu valid, %llu applied), no invariant violated\n",
              iterations + static_cast<long>(corpus.size()), static_cast<unsigned long long>(parsed),
              static_cast<unsigned long long>(valid), static_cast<unsigned long long>(applied));
  // A campaign that never gets past the parser or the validator tests little.
  return valid > static_cast<std::uint64_t>(iterations) / 100 && applied > 0 ? 0 : 1;
}
