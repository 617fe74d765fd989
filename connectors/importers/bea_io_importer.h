// The US BEA 1997 benchmark input-output summary tables (data/bea_io_1997/).
//
// The tables are comma-separated cells (row code, column code, table number,
// values...), layouts in the F*.txt files. Commodity codes of the summary
// tables coincide with the code of the industry that primarily makes the
// commodity, so a cell (commodity c, industry i) is a supply relation from
// industry c to industry i.
//
// Nodes: the industries, i.e. the columns of IODirectRequirements.txt (table
// 5 has one column per industry; 131 in 1997), so final uses (F*), value
// added (V*) and the import and scrap rows (S003, S004, S006) drop out. Names
// come from IO-CodeSummary.txt, region is "US", kind "industry".
// Edges (material layer), one per positive off-diagonal cell:
//   kUse:                IOUseSummary.txt (table 4, after redefinitions),
//                        field 5, millions of dollars at producers' prices;
//   kDirectRequirements: IODirectRequirements.txt (table 5), field 4, dollars
//                        of the commodity per dollar of the industry's output.
// Both give the same dependency shares w_ij / sum_y w_yj up to the tables'
// rounding (table 5 is table 4 divided by each column's output). Diagonal
// cells (an industry buying from itself) have no edge. File names are matched
// case-insensitively (the copy in data/ is "iousesummary.txt").
#ifndef RISKD_CONNECTORS_IMPORTERS_BEA_IO_IMPORTER_H_
#define RISKD_CONNECTORS_IMPORTERS_BEA_IO_IMPORTER_H_

#include <string>

#include "connectors/importers/importer.h"

namespace riskd::connectors {

class BeaIoImporter : public NetworkImporter {
 public:
  enum class Table { kUse, kDirectRequirements };
  struct Options {
    // Which table gives the weights. Default kUse (business volume in $M).
    Table table = Table::kUse;
  };

  explicit BeaIoImporter(std::string directory) : BeaIoImporter(std::move(directory), Options()) {}
  BeaIoImporter(std::string directory, Options options)
      : dir_(std::move(directory)), options_(options) {}
  std::string_view format() const override { return "bea_io"; }
  Status Import(engine::Network* network) const override;

 private:
  std::string dir_;
  Options options_;
};

// Path of the file in `directory` whose name equals `name` ignoring ASCII
// case; NotFound if there is none.
Result<std::string> FindFileIgnoringCase(const std::string& directory, std::string_view name);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_IMPORTERS_BEA_IO_IMPORTER_H_
