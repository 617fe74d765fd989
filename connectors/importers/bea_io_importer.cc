#include "connectors/importers/bea_io_importer.h"

#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "connectors/csv/csv_reader.h"

namespace riskd::connectors {
namespace {

bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct Cell {
  std::string row;
  std::string column;
  double value = 0;
  std::size_t line = 0;
};

Status ReadCells(const std::string& path, std::size_t value_field, std::vector<Cell>* cells) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  while (csv->Next(&rec)) {
    const std::string where = path + ":" + std::to_string(csv->line());
    if (rec.size() <= value_field) {
      return Status::InvalidArgument(where + ": expected at least " +
                                     std::to_string(value_field + 1) + " fields");
    }
    auto v = ParseDouble(rec[value_field]);
    if (!v)
      return Status::InvalidArgument(where + ": value '" + rec[value_field] + "' is not a number");
    cells->push_back({std::string(Trim(rec[0])), std::string(Trim(rec[1])), *v, csv->line()});
  }
  return csv->status().WithContext(path);
}

Status ReadNames(const std::string& path, std::map<std::string, std::string>* names) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  while (csv->Next(&rec)) {
    if (rec.size() >= 2) (*names)[std::string(Trim(rec[0]))] = std::string(Trim(rec[1]));
  }
  return csv->status().WithContext(path);
}

Status AddIndustries(const std::set<std::string>& industries, const std::string& codes_path,
                     engine::Network* network) {
  std::map<std::string, std::string> names;
  RISKD_RETURN_IF_ERROR(ReadNames(codes_path, &names));
  for (const auto& code : industries) {
    engine::NodeAttributes a;
    a.id = code;
    auto name = names.find(code);
    a.name = name != names.end() ? name->second : code;
    a.kind = "industry";
    a.region = "US";
    auto added = network->AddNode(std::move(a));
    if (!added.ok()) return added.status();
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> FindFileIgnoringCase(const std::string& directory, std::string_view name) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (EqualIgnoringCase(entry.path().filename().string(), name)) return entry.path().string();
  }
  if (ec) return Status::NotFound("cannot list '" + directory + "': " + ec.message());
  return Status::NotFound(directory + ": no file named '" + std::string(name) + "' (any case)");
}

Status BeaIoImporter::Import(engine::Network* network) const {
  // Table 5 has one column per industry by definition: its columns are the
  // node set whichever table gives the weights.
  auto requirements = FindFileIgnoringCase(dir_, "IODirectRequirements.txt");
  if (!requirements.ok()) return requirements.status();
  auto codes = FindFileIgnoringCase(dir_, "IO-CodeSummary.txt");
  if (!codes.ok()) return codes.status();
  std::vector<Cell> cells;
  RISKD_RETURN_IF_ERROR(ReadCells(*requirements, 3, &cells));
  std::set<std::string> industries;
  for (const auto& c : cells) industries.insert(c.column);
  RISKD_RETURN_IF_ERROR(AddIndustries(industries, *codes, network));
  std::string table = *requirements;
  if (options_.table == Table::kUse) {
    auto use = FindFileIgnoringCase(dir_, "IOUseSummary.txt");
    if (!use.ok()) return use.status();
    table = *use;
    cells.clear();
    RISKD_RETURN_IF_ERROR(ReadCells(table, 4, &cells));
  }
  for (const auto& c : cells) {
    if (c.row == c.column) continue;
    auto from = network->Find(c.row), to = network->Find(c.column);
    if (!from || !to) continue;  // final uses, value added, imports, scrap
    const std::string where = table + ":" + std::to_string(c.line);
    if (c.value < 0) return Status::InvalidArgument(where + ": negative value between industries");
    if (c.value == 0) continue;
    RISKD_RETURN_IF_ERROR(
        network->AddEdge(*from, *to, engine::Layer::kMaterial, c.value).WithContext(where));
  }
  return Status::Ok();
}

}  // namespace riskd::connectors
