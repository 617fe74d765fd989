#include "connectors/importers/importer.h"

#include "connectors/codec/event_codec.h"
#include "connectors/csv/csv_reader.h"
#include "connectors/importers/bea_io_importer.h"
#include "connectors/importers/csv_importer.h"
#include "connectors/importers/supplygraph_importer.h"
#include "connectors/importers/willems_importer.h"

namespace riskd::connectors {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

Result<std::unique_ptr<NetworkImporter>> MakeImporter(const riskd::v1::NetworkSource& source,
                                                      const std::string& base_dir) {
  using Src = riskd::v1::NetworkSource;
  switch (source.format_case()) {
    case Src::kCsv:
      if (source.csv().nodes().empty() || source.csv().edges().empty()) {
        return Status::InvalidArgument("network.csv needs both nodes and edges");
      }
      return std::unique_ptr<NetworkImporter>(
          new CsvImporter(ResolvePath(base_dir, source.csv().nodes()),
                          ResolvePath(base_dir, source.csv().edges())));
    case Src::kWillems2008:
      if (source.willems2008().file().empty()) {
        return Status::InvalidArgument("network.willems2008 needs a file");
      }
      return std::unique_ptr<NetworkImporter>(
          new WillemsImporter(ResolvePath(base_dir, source.willems2008().file())));
    case Src::kSupplygraph:
      if (source.supplygraph().directory().empty()) {
        return Status::InvalidArgument("network.supplygraph needs a directory");
      }
      return std::unique_ptr<NetworkImporter>(
          new SupplyGraphImporter(ResolvePath(base_dir, source.supplygraph().directory())));
    case Src::kBeaIo:
      if (source.bea_io().directory().empty()) {
        return Status::InvalidArgument("network.bea_io needs a directory");
      }
      {
        BeaIoImporter::Options options;
        if (source.bea_io().table() == riskd::v1::BeaIoNetwork::TABLE_DIRECT_REQUIREMENTS) {
          options.table = BeaIoImporter::Table::kDirectRequirements;
        }
        return std::unique_ptr<NetworkImporter>(
            new BeaIoImporter(ResolvePath(base_dir, source.bea_io().directory()), options));
      }
    case Src::FORMAT_NOT_SET:
      break;
  }
  return Status::InvalidArgument("network: no source format configured");
}

Status ApplyLocations(const std::string& path, engine::Network* network) {
  auto csv = CsvReader::FromFile(path);
  if (!csv.ok()) return csv.status();
  std::vector<std::string> rec;
  if (!csv->Next(&rec)) return Status::InvalidArgument(path + ": no header row");
  const CsvHeader h(rec);
  if (!h.Find("id")) return Status::InvalidArgument(path + ": missing column 'id'");
  while (csv->Next(&rec)) {
    const std::string where = path + ":" + std::to_string(csv->line());
    const std::string id(Trim(h.Get(rec, "id")));
    auto node = network->Find(id);
    if (!node) return Status::NotFound(where + ": node '" + id + "' is not in the network");
    engine::NodeAttributes a = network->node(*node);
    const auto lat_s = Trim(h.Get(rec, "lat")), lon_s = Trim(h.Get(rec, "lon"));
    if (!lat_s.empty() || !lon_s.empty()) {
      auto lat = ParseDouble(lat_s), lon = ParseDouble(lon_s);
      if (!lat || !lon) return Status::InvalidArgument(where + ": lat/lon must both be numbers");
      a.location = engine::GeoPoint{*lat, *lon};
    }
    if (auto region = Trim(h.Get(rec, "region")); !region.empty()) a.region = std::string(region);
    RISKD_RETURN_IF_ERROR(CheckNodeText(a).WithContext(where));
    RISKD_RETURN_IF_ERROR(network->UpdateNode(std::move(a)).WithContext(where));
  }
  return csv->status().WithContext(path);
}

Status CheckWeightOrValue(std::string_view what, double v) {
  if (v > kMaxWeightOrValue) {
    return Status::InvalidArgument(std::string(what) + ": must be at most 1e15");
  }
  return Status::Ok();
}

namespace {

// The offset of the first byte of `s` that does not begin a well-formed
// UTF-8 character (as protobuf checks strings), or npos.
std::size_t FirstInvalidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = Utf8CharLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string HexByte(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[c >> 4], kHex[c & 0xf]};
}

// `s` with every byte outside printable ASCII as \xNN: an id that is not
// UTF-8 shown in an error message.
std::string Shown(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else {
      out += "\\x" + HexByte(c);
    }
  }
  return out;
}

}  // namespace

Status CheckNodeText(const engine::NodeAttributes& a) {
  const auto check = [&](const char* field, std::string_view text, bool is_id) {
    const std::size_t bad = FirstInvalidUtf8(text);
    std::string why;
    if (bad != std::string_view::npos) {
      why = " is not valid UTF-8 (byte 0x" + HexByte(static_cast<unsigned char>(text[bad])) +
            " at byte " + std::to_string(bad) + "; save the file as UTF-8)";
    } else if (is_id && !FirstControlCharacter(text).empty()) {
      why = " contains a control character";
    } else {
      return Status::Ok();
    }
    return Status::InvalidArgument("node '" + Shown(a.id) + "': " + field + why);
  };
  RISKD_RETURN_IF_ERROR(check("id", a.id, true));
  RISKD_RETURN_IF_ERROR(check("name", a.name, false));
  RISKD_RETURN_IF_ERROR(check("kind", a.kind, false));
  RISKD_RETURN_IF_ERROR(check("region", a.region, false));
  RISKD_RETURN_IF_ERROR(check("emergency_plan_id", a.emergency_plan_id, false));
  for (const std::string& alt : a.alternates) RISKD_RETURN_IF_ERROR(check("alternates", alt, true));
  return Status::Ok();
}

namespace {

// Every importer's output within the ingest's bounds, its text included
// (the CSV importer checks per row, naming the line; the others' values
// are computed or read from fixed formats).
Status CheckImported(const engine::Network& network) {
  for (engine::NodeIndex n = 0; n < network.node_slots(); ++n) {
    if (!network.alive(n)) continue;
    RISKD_RETURN_IF_ERROR(CheckNodeText(network.node(n)));
    const std::string node = "node '" + std::string(network.id(n)) + "'";
    if (auto v = network.value(n)) RISKD_RETURN_IF_ERROR(CheckWeightOrValue(node + ": value", *v));
    for (engine::EdgeIndex e = network.out_begin(n); e < network.out_end(n); ++e) {
      RISKD_RETURN_IF_ERROR(CheckWeightOrValue(
          "edge " + node + " -> '" + std::string(network.id(network.edge_target(e))) + "': weight",
          network.edge_weight(e)));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<engine::Network> ImportNetwork(const riskd::v1::NetworkSource& source,
                                      const std::string& base_dir) {
  auto importer = MakeImporter(source, base_dir);
  if (!importer.ok()) return importer.status();
  engine::Network network;
  RISKD_RETURN_IF_ERROR((*importer)->Import(&network));
  if (!source.locations_csv().empty()) {
    RISKD_RETURN_IF_ERROR(ApplyLocations(ResolvePath(base_dir, source.locations_csv()), &network));
  }
  network.Compact();
  RISKD_RETURN_IF_ERROR(CheckImported(network));
  return network;
}

}  // namespace riskd::connectors
