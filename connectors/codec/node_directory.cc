#include "connectors/codec/node_directory.h"

#include <algorithm>
#include <functional>
#include <variant>

#include "connectors/codec/event_codec.h"
#include "engine/geo.h"

namespace riskd::connectors {

NodeDirectory::NodeDirectory(const engine::Network& network) {
  std::size_t chars = 0;
  for (engine::NodeIndex v = 0; v < network.node_slots(); ++v) {
    if (network.alive(v)) chars += network.id(v).size();
  }
  chars_.reserve(chars);
  rows_.reserve(network.node_count());
  for (engine::NodeIndex v = 0; v < network.node_slots(); ++v) {
    if (network.alive(v)) Put(network.id(v), network.region(v), network.location(v));
  }
}

std::size_t NodeDirectory::Home(std::string_view id) const {
  return std::hash<std::string_view>{}(id) & (index_.size() - 1);
}

std::uint32_t NodeDirectory::FindSlot(std::string_view id) const {
  if (index_.empty()) return kNoSlot;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = Home(id);; i = (i + 1) & mask) {
    const std::uint32_t row = index_[i];
    if (row == kEmpty) return kNoSlot;
    if (IdOf(rows_[row]) == id) return static_cast<std::uint32_t>(i);
  }
}

void NodeDirectory::Grow() {
  index_.assign(std::max<std::size_t>(16, index_.size() * 2), kEmpty);
  const std::size_t mask = index_.size() - 1;
  for (std::uint32_t r = 0; r < rows_.size(); ++r) {
    std::size_t i = Home(IdOf(rows_[r]));
    while (index_[i] != kEmpty) i = (i + 1) & mask;
    index_[i] = r;
  }
}

void NodeDirectory::Put(const riskd::v1::NodeSpec& spec) {
  std::optional<engine::GeoPoint> location;
  if (spec.has_location())
    location = engine::GeoPoint{spec.location().lat(), spec.location().lon()};
  Put(spec.id(), spec.region(), location);
}

void NodeDirectory::Put(std::string_view id, std::string_view region,
                        const std::optional<engine::GeoPoint>& location) {
  std::uint32_t slot = FindSlot(id);
  if (slot == kNoSlot) {
    // At most 7/10 full: probe runs stay short.
    if ((rows_.size() + 1) * 10 > index_.size() * 7) Grow();
    Row row;
    row.id_offset = static_cast<std::uint32_t>(chars_.size());
    row.id_size = static_cast<std::uint32_t>(id.size());
    chars_.append(id);
    rows_.push_back(row);
    const std::size_t mask = index_.size() - 1;
    std::size_t i = Home(id);
    while (index_[i] != kEmpty) i = (i + 1) & mask;
    index_[i] = static_cast<std::uint32_t>(rows_.size() - 1);
    slot = static_cast<std::uint32_t>(i);
  }
  Row& row = rows_[index_[slot]];
  row.region = 0;
  if (!region.empty()) {
    auto it = region_index_.find(region);
    if (it == region_index_.end()) {
      it = region_index_.emplace(region, static_cast<std::uint32_t>(regions_.size())).first;
      regions_.emplace_back(region);
    }
    row.region = it->second;
  }
  if (location) {
    if (row.location == kNoLocation) {
      if (free_locations_.empty()) {
        row.location = static_cast<std::uint32_t>(locations_.size());
        locations_.emplace_back();
      } else {
        row.location = free_locations_.back();
        free_locations_.pop_back();
      }
    }
    locations_[row.location] = *location;
  } else if (row.location != kNoLocation) {
    free_locations_.push_back(row.location);
    row.location = kNoLocation;
  }
}

void NodeDirectory::Remove(std::string_view id) {
  std::uint32_t hole = FindSlot(id);
  if (hole == kNoSlot) return;
  const std::uint32_t removed = index_[hole];
  if (rows_[removed].location != kNoLocation) free_locations_.push_back(rows_[removed].location);
  dead_chars_ += rows_[removed].id_size;
  // Backward-shift deletion: an entry after the hole in its probe run moves
  // into it unless its home lies cyclically in (hole, j], so every probe run
  // stays unbroken without tombstones.
  const std::size_t mask = index_.size() - 1;
  for (std::size_t j = (hole + 1) & mask; index_[j] != kEmpty; j = (j + 1) & mask) {
    const std::size_t home = Home(IdOf(rows_[index_[j]]));
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      index_[hole] = index_[j];
      hole = static_cast<std::uint32_t>(j);
    }
  }
  index_[hole] = kEmpty;
  // The last row moves into the removed one.
  const auto last = static_cast<std::uint32_t>(rows_.size() - 1);
  if (removed != last) {
    index_[FindSlot(IdOf(rows_[last]))] = removed;
    rows_[removed] = rows_[last];
  }
  rows_.pop_back();
  if (dead_chars_ * 2 > chars_.size()) CompactArena();
}

void NodeDirectory::CompactArena() {
  std::string live;
  live.reserve(chars_.size() - dead_chars_);
  for (Row& row : rows_) {
    const std::string_view id = IdOf(row);
    row.id_offset = static_cast<std::uint32_t>(live.size());
    live.append(id);
  }
  chars_ = std::move(live);
  dead_chars_ = 0;
}

void NodeDirectory::Apply(const riskd::v1::NetworkChange& change) {
  if (change.has_add_node()) Put(change.add_node());
  if (change.has_update_node() && Has(change.update_node().id())) Put(change.update_node());
  if (change.change_case() == riskd::v1::NetworkChange::kRemoveNode) Remove(change.remove_node());
}

PlaceMatch NodeDirectory::Match(const riskd::v1::Place& proto_place, std::size_t max_ids) const {
  const engine::Place place = ToPlace(proto_place);
  PlaceMatch out;
  std::vector<std::string_view> ids;
  for (const Row& row : rows_) {
    bool in = false;
    const bool located = row.location != kNoLocation;
    if (const auto* c = std::get_if<engine::GeoCircle>(&place)) {
      in = located && engine::GreatCircleKm(locations_[row.location], c->center) <= c->radius_km;
    } else if (const auto* poly = std::get_if<engine::GeoPolygon>(&place)) {
      in = located && engine::PointInPolygon(locations_[row.location], *poly);
    } else {
      in = row.region != 0 &&
           engine::SameRegionCode(regions_[row.region], std::get<engine::RegionCode>(place).code);
    }
    if (!in) continue;
    ++out.count;
    ids.push_back(IdOf(row));
  }
  const std::size_t keep = std::min(max_ids, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end());
  for (std::size_t i = 0; i < keep; ++i) out.first_ids.emplace_back(ids[i]);
  return out;
}

std::size_t NodeDirectory::MemoryBytes() const {
  std::size_t bytes = sizeof(*this) + chars_.capacity() + rows_.capacity() * sizeof(Row) +
                      index_.capacity() * sizeof(std::uint32_t) +
                      locations_.capacity() * sizeof(engine::GeoPoint) +
                      free_locations_.capacity() * sizeof(std::uint32_t);
  for (const auto& region : regions_) bytes += sizeof(region) + region.capacity();
  return bytes;
}

}  // namespace riskd::connectors
