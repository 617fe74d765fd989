#include "connectors/importers/willems_importer.h"

#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/csv/csv_reader.h"

namespace riskd::connectors {
namespace {

struct Stage {
  std::string id;
  double cost = 0;
  std::vector<std::pair<std::size_t, double>> upstream;  // (stage index, quantity)
  std::vector<std::size_t> downstream;
  double cumulative_cost = 0;
  int tier = -1;
};

std::string KindOf(const std::string& id) {
  std::string kind = id.substr(0, id.find('_'));
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kind;
}

// Reads the stages and resolves upstream names to indices.
Status ReadStages(const std::string& path, std::vector<Stage>* stages) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  const CsvHeader header(rec);
  const auto id_col = header.Find("stage_id");
  const auto cost_col = header.Find("cost_rate");
  const auto up_col = header.Find("up_stages");
  if (!id_col || !cost_col || !up_col) {
    return Status::InvalidArgument(path + ": needs columns stage_id, cost_rate and up_stages");
  }
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::vector<std::pair<std::string, double>>> names;
  std::vector<std::size_t> lines;
  while (csv->Next(&rec)) {
    const std::string where = path + ":" + std::to_string(csv->line());
    Stage s;
    s.id = std::string(Trim(header.Get(rec, "stage_id")));
    if (s.id.empty()) return Status::InvalidArgument(where + ": empty stage_id");
    auto cost = ParseDouble(header.Get(rec, "cost_rate"));
    if (!cost || *cost < 0)
      return Status::InvalidArgument(where + ": cost_rate must be a number >= 0");
    s.cost = *cost;
    // Upstream (name, quantity) pairs run from up_stages to the end of the
    // row; ragged rows end early or carry trailing empty fields.
    std::size_t end = rec.size();
    while (end > *up_col && Trim(rec[end - 1]).empty()) --end;
    std::vector<std::pair<std::string, double>> ups;
    for (std::size_t i = *up_col; i < end; i += 2) {
      if (i + 1 >= end) {
        return Status::InvalidArgument(where + ": upstream stage '" + rec[i] + "' has no quantity");
      }
      auto qty = ParseDouble(rec[i + 1]);
      if (!qty || *qty <= 0) {
        return Status::InvalidArgument(where + ": quantity of upstream '" + rec[i] +
                                       "' must be a number > 0");
      }
      ups.emplace_back(std::string(Trim(rec[i])), *qty);
    }
    if (!index.emplace(s.id, stages->size()).second) {
      return Status::AlreadyExists(where + ": stage '" + s.id + "' listed twice");
    }
    stages->push_back(std::move(s));
    names.push_back(std::move(ups));
    lines.push_back(csv->line());
  }
  RISKD_RETURN_IF_ERROR(csv->status().WithContext(path));
  for (std::size_t s = 0; s < stages->size(); ++s) {
    for (auto& [name, qty] : names[s]) {
      auto it = index.find(name);
      if (it == index.end()) {
        return Status::NotFound(path + ":" + std::to_string(lines[s]) + ": upstream stage '" +
                                name + "' is not in the file");
      }
      (*stages)[s].upstream.emplace_back(it->second, qty);
      (*stages)[it->second].downstream.push_back(s);
    }
  }
  return Status::Ok();
}

// Cumulative unit costs in topological order (Kahn); a cycle is an error.
Status RollUpCosts(const std::string& path, std::vector<Stage>* stages) {
  std::vector<std::size_t> pending(stages->size());
  std::deque<std::size_t> ready;
  for (std::size_t s = 0; s < stages->size(); ++s) {
    pending[s] = (*stages)[s].upstream.size();
    if (pending[s] == 0) ready.push_back(s);
  }
  std::size_t done = 0;
  while (!ready.empty()) {
    const std::size_t s = ready.front();
    ready.pop_front();
    ++done;
    Stage& st = (*stages)[s];
    st.cumulative_cost = st.cost;
    for (auto [u, qty] : st.upstream) st.cumulative_cost += qty * (*stages)[u].cumulative_cost;
    for (std::size_t d : st.downstream) {
      if (--pending[d] == 0) ready.push_back(d);
    }
  }
  if (done != stages->size()) {
    return Status::InvalidArgument(path + ": upstream relations form a cycle");
  }
  return Status::Ok();
}

// Tier = hops to the nearest stage without customers (breadth-first upstream).
void AssignTiers(std::vector<Stage>* stages) {
  std::deque<std::size_t> queue;
  for (std::size_t s = 0; s < stages->size(); ++s) {
    if ((*stages)[s].downstream.empty()) {
      (*stages)[s].tier = 0;
      queue.push_back(s);
    }
  }
  while (!queue.empty()) {
    const std::size_t s = queue.front();
    queue.pop_front();
    for (auto [u, qty] : (*stages)[s].upstream) {
      if ((*stages)[u].tier < 0) {
        (*stages)[u].tier = (*stages)[s].tier + 1;
        queue.push_back(u);
      }
    }
  }
}

}  // namespace

Status WillemsImporter::Import(engine::Network* network) const {
  std::vector<Stage> stages;
  RISKD_RETURN_IF_ERROR(ReadStages(path_, &stages));
  RISKD_RETURN_IF_ERROR(RollUpCosts(path_, &stages));
  AssignTiers(&stages);
  std::vector<engine::NodeIndex> node(stages.size());
  for (std::size_t s = 0; s < stages.size(); ++s) {
    engine::NodeAttributes a;
    a.id = stages[s].id;
    a.name = stages[s].id;
    a.kind = KindOf(stages[s].id);
    a.tier = stages[s].tier;
    auto added = network->AddNode(std::move(a));
    if (!added.ok()) return added.status().WithContext(path_);
    node[s] = *added;
  }
  for (std::size_t s = 0; s < stages.size(); ++s) {
    for (auto [u, qty] : stages[s].upstream) {
      double weight = qty * stages[u].cumulative_cost;
      if (weight <= 0) weight = options_.min_weight;
      RISKD_RETURN_IF_ERROR(network->AddEdge(node[u], node[s], engine::Layer::kMaterial, weight)
                                .WithContext(path_ + ": " + stages[u].id + " -> " + stages[s].id));
    }
  }
  return Status::Ok();
}

}  // namespace riskd::connectors
