// NodeDirectory: the node ids (with their locations and regions, to tell a
// producer what a place matches) that exist as far as accepted events are
// concerned. The ingest thread validates every event against it and keeps
// it current by calling Apply() for every accepted NetworkChange.
//
// Stored compactly, like engine/node_table.h: the ids live in one character
// arena, each node is a 16-byte row (the id's place in the arena, its
// interned region, its location's slot), locations live out of line (only
// located nodes pay for them), and the id index is an open-addressing table
// of row numbers hashed by the arena's bytes. About 30 bytes per node plus
// the id's characters (16 more when located), instead of the ~72 bytes of a
// string-keyed std::unordered_map (7.2 MB on 100k nodes, bench/README.md).
// A removal moves the last row into the freed one and backward-shifts the
// index's probe run, so rows and index stay dense; the arena is compacted
// once removed ids are more than half of it.
//
// A value type (the ingest thread copies it before a batch of network
// changes). Not thread-safe.
#ifndef RISKD_CONNECTORS_CODEC_NODE_DIRECTORY_H_
#define RISKD_CONNECTORS_CODEC_NODE_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/network.h"
#include "riskd/v1/envelope.pb.h"

namespace riskd::connectors {

// The nodes a place matched, as the ingest thread sees them.
struct PlaceMatch {
  std::size_t count = 0;
  std::vector<std::string> first_ids;  // smallest ids, at most the asked number
};

class NodeDirectory {
 public:
  NodeDirectory() = default;
  explicit NodeDirectory(const engine::Network& network);
  bool Has(std::string_view id) const { return FindSlot(id) != kNoSlot; }
  void Apply(const riskd::v1::NetworkChange& change);
  std::size_t size() const { return rows_.size(); }
  // The nodes inside a (valid) place, with the rules of engine/geo.h.
  // O(nodes).
  PlaceMatch Match(const riskd::v1::Place& place, std::size_t max_ids) const;
  // Bytes held (for memory benchmarks and tests of the compaction).
  std::size_t MemoryBytes() const;
  // Bytes of the id arena, removed ids included until compacted.
  std::size_t arena_bytes() const { return chars_.size(); }

 private:
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  static constexpr std::uint32_t kEmpty = ~std::uint32_t{0};  // an index slot
  static constexpr std::uint32_t kNoLocation = ~std::uint32_t{0};
  struct Row {
    std::uint32_t id_offset = 0;           // into chars_
    std::uint32_t id_size = 0;             // 1..256 bytes
    std::uint32_t region = 0;              // into regions_; 0: none
    std::uint32_t location = kNoLocation;  // into locations_
  };

  void Put(const riskd::v1::NodeSpec& spec);
  void Put(std::string_view id, std::string_view region,
           const std::optional<engine::GeoPoint>& location);
  void Remove(std::string_view id);
  std::string_view IdOf(const Row& row) const {
    return {chars_.data() + row.id_offset, row.id_size};
  }
  std::size_t Home(std::string_view id) const;
  // The index slot holding id's row, or kNoSlot.
  std::uint32_t FindSlot(std::string_view id) const;
  // Doubles the index (or makes the first one) and reinserts every row.
  void Grow();
  // Rewrites the arena with the live ids only.
  void CompactArena();

  std::string chars_;                 // ids, back to back
  std::size_t dead_chars_ = 0;        // bytes of removed ids in chars_
  std::vector<Row> rows_;             // one per node, dense
  std::vector<std::uint32_t> index_;  // row numbers or kEmpty; size a power of 2
  std::vector<engine::GeoPoint> locations_;
  std::vector<std::uint32_t> free_locations_;  // slots of locations_ to reuse
  std::vector<std::string> regions_{""};
  std::map<std::string, std::uint32_t, std::less<>> region_index_;
};

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CODEC_NODE_DIRECTORY_H_
