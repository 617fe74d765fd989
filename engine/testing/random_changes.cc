#include "engine/testing/random_changes.h"

#include <optional>
#include <string>

namespace riskd::engine::testing {

NodeIndex RandomChanges::AliveNode(const Network& network) {
  for (;;) {
    const auto v = static_cast<NodeIndex>(Pick(network.node_slots()));
    if (network.alive(v)) return v;
  }
}

void RandomChanges::ApplyBatch(Engine& engine) {
  const int batch = 1 + static_cast<int>(Pick(3));
  for (int b = 0; b < batch; ++b) Apply(engine);
}

void RandomChanges::Apply(Engine& engine) {
  // Adjacency is read below: the changes so far compacted in.
  const Network& n = engine.CompactNetwork();
  const NodeIndex v = AliveNode(n), u = AliveNode(n);
  const int r = static_cast<int>(Pick(2));
  auto id = [&](NodeIndex x) { return std::string(n.id(x)); };
  // Event steps: now, or on the clock up to 6 steps before.
  auto at = [&]() -> std::optional<Step> {
    if (!options_.clock) return std::nullopt;
    return engine.now() - static_cast<Step>(Pick(7));
  };
  switch (Pick(options_.clock ? 13 : 12)) {
    case 0:
    case 1:
    case 2: {
      const Step duration = options_.clock && Pick(3) == 0 ? 1 + static_cast<Step>(Pick(6)) : 0;
      (void)engine.Disrupt(r, {&v, 1}, 0.3 + 0.7 * (static_cast<double>(Pick(100)) / 100.0), at(),
                           duration);
      break;
    }
    case 3:
      (void)engine.SetStatus(r, v, NodeState::kRecovered, 1, at());
      break;
    case 4:
      (void)engine.SetStatus(r, v, NodeState::kSusceptible, 1, at());
      break;
    case 12:
      (void)engine.AdvanceClock(engine.now() + 1 + static_cast<Step>(Pick(2)));
      break;
    case 5:
      (void)engine.Immunize(std::nullopt, {&v, 1}, Pick(3) == 0);
      break;
    case 6: {
      NodeAttributes a;
      a.id = "new" + std::to_string(added_++);
      (void)engine.AddNode(a);
      (void)engine.AddEdge(a.id, id(v), Layer::kMaterial, 1.0 + static_cast<double>(Pick(5)));
      break;
    }
    case 7:
      (void)engine.RemoveNode(id(v));
      break;
    case 8: {
      const bool two_way = n.FindEdge(v, u, Layer::kMaterial) || n.FindEdge(v, u, Layer::kData);
      if (u != v && !(options_.one_way && two_way)) {
        (void)engine.AddEdge(id(u), id(v), Pick(2) ? Layer::kMaterial : Layer::kData,
                             0.5 + static_cast<double>(Pick(4)));
      }
      break;
    }
    case 9:
      if (n.out_end(v) > n.out_begin(v)) {
        const EdgeIndex e = n.out_begin(v);
        (void)engine.RemoveEdge(id(v), id(n.edge_target(e)), n.edge_layer(e));
      }
      break;
    case 10:
      if (n.out_end(v) > n.out_begin(v)) {
        const EdgeIndex e = n.out_end(v) - 1;
        (void)engine.SetEdgeWeight(id(v), id(n.edge_target(e)), n.edge_layer(e),
                                   0.1 + static_cast<double>(Pick(9)));
      }
      break;
    case 11: {
      NodeAttributes a = n.node(v);
      a.inventory_days = static_cast<double>(Pick(4));
      (void)engine.UpdateNode(a);
      break;
    }
  }
}

}  // namespace riskd::engine::testing
