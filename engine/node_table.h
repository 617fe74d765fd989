// NodeTable: the attributes of every node slot of a Network and the index
// from node id to slot, stored compactly.
//
// A supplier network of 100k nodes is mostly short strings that repeat
// (kind, region) or are rare (alternates, emergency plans). So: ids and names
// live in one character arena (a name equal to the id costs nothing), kind
// and region are interned, the optional fields live out of line, and the id
// index is an open-addressing table of slot numbers hashed by the arena's
// bytes. About 60 bytes per node plus the ids' characters, instead of the
// ~350 bytes of a vector of NodeAttributes with a string-keyed hash map.
//
// Slots are never reused; Remove() only drops the id from the index (the
// Network marks the slot dead). Not thread-safe.
#ifndef RISKD_ENGINE_NODE_TABLE_H_
#define RISKD_ENGINE_NODE_TABLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace riskd::engine {

using NodeIndex = std::uint32_t;
inline constexpr NodeIndex kNoNode = ~NodeIndex{0};

struct GeoPoint {
  double lat = 0;  // degrees, -90..90
  double lon = 0;  // degrees, -180..180
  bool operator==(const GeoPoint&) const = default;
};

struct NodeAttributes {
  std::string id;  // unique, 1..256 bytes
  std::string name;
  std::string kind;  // supplier, plant, warehouse, oem, ...
  int tier = -1;     // -1 unknown
  std::string region;
  std::optional<GeoPoint> location;
  double inventory_days = 0;  // days of cover; delays onset
  std::vector<std::string> alternates;
  std::string emergency_plan_id;
  // What the node is worth to the business (value at risk = P x value), in
  // the unit of the edge weights; unset: the business volume through it
  // (engine/value_at_risk.h). Finite and >= 0 when set.
  std::optional<double> value;
  bool operator==(const NodeAttributes&) const = default;
};

class NodeTable {
 public:
  // Appends a slot with these attributes and indexes its id.
  // REQUIRES: attrs.id is not indexed.
  NodeIndex Add(const NodeAttributes& attrs);
  // Replaces the attributes of slot n. REQUIRES: n < size(), attrs.id ==
  // id(n).
  void Replace(NodeIndex n, const NodeAttributes& attrs);
  // Drops slot n's id from the index (the slot keeps its attributes).
  void Unindex(NodeIndex n);

  std::optional<NodeIndex> Find(std::string_view id) const;
  std::size_t size() const { return rows_.size(); }

  // The attributes, materialized. REQUIRES: n < size() (here and below).
  NodeAttributes Get(NodeIndex n) const;
  // Cheap field accessors (views into the table: valid until the next change).
  std::string_view id(NodeIndex n) const { return View(rows_[n].id); }
  std::string_view name(NodeIndex n) const { return View(rows_[n].name); }
  std::string_view kind(NodeIndex n) const { return symbols_[rows_[n].kind]; }
  std::string_view region(NodeIndex n) const { return symbols_[rows_[n].region]; }
  int tier(NodeIndex n) const { return rows_[n].tier; }
  std::optional<GeoPoint> location(NodeIndex n) const;
  double inventory_days(NodeIndex n) const { return rows_[n].inventory_days; }
  std::optional<double> value(NodeIndex n) const;
  // Alternate suppliers and emergency plan id (out of line; empty if none).
  std::span<const std::string> alternates(NodeIndex n) const;
  std::string_view emergency_plan_id(NodeIndex n) const;

  // Hands back the capacity the arrays grew by (Add() grows the rows and the
  // arena by a quarter when full, so a table filled by Add()s holds up to a
  // quarter more than it has: ~1.4 MB of rows at 100k nodes). Invalidates
  // the string_views of the accessors, like any change.
  void ShrinkToFit();

  std::size_t MemoryBytes() const;

 private:
  struct Text {
    std::uint32_t at = 0;
    std::uint32_t size = 0;
  };
  struct Row {
    Text id, name;
    std::uint32_t kind = 0, region = 0;  // into symbols_
    std::int32_t tier = -1;
    std::uint32_t extra = 0;  // 1 + index into extras_, 0 if none
    double lat = 0, lon = 0;  // NaN lat: no location
    double inventory_days = 0;
  };
  struct Extra {
    std::vector<std::string> alternates;
    std::string emergency_plan_id;
    std::optional<double> value;
  };

  std::string_view View(Text t) const { return {arena_.data() + t.at, t.size}; }
  Text Store(std::string_view s);
  std::uint32_t Intern(const std::string& s);
  void Fill(Row* row, const NodeAttributes& attrs);
  void SetExtra(Row* row, const NodeAttributes& attrs);
  // Re-packs the arena once replaced strings make up most of it.
  void MaybeCompactArena();
  // Index: slot numbers + 1 by hash of the id, linear probing; 0 empty.
  std::size_t Probe(std::string_view id) const;
  void Insert(NodeIndex n);
  void Rehash(std::size_t buckets);

  std::vector<Row> rows_;
  std::string arena_;
  std::size_t garbage_ = 0;  // arena bytes no row refers to
  std::vector<std::string> symbols_{""};
  std::unordered_map<std::string, std::uint32_t> symbol_index_{{"", 0}};
  std::vector<Extra> extras_;
  std::vector<std::uint32_t> free_extras_;
  std::vector<std::uint32_t> buckets_;
  std::size_t indexed_ = 0;
  std::size_t tombstones_ = 0;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_NODE_TABLE_H_
