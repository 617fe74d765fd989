#include "engine/node_table.h"

#include <cmath>
#include <functional>
#include <limits>

namespace riskd::engine {
namespace {

constexpr std::uint32_t kEmpty = 0;
constexpr std::uint32_t kTombstone = ~std::uint32_t{0};

std::size_t HashOf(std::string_view s) { return std::hash<std::string_view>{}(s); }

}  // namespace

NodeTable::Text NodeTable::Store(std::string_view s) {
  const Text t{static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(s.size())};
  if (arena_.size() + s.size() > arena_.capacity()) {
    arena_.reserve(arena_.size() + s.size() + arena_.size() / 4 + 64);  // see Add()
  }
  arena_.append(s);
  return t;
}

std::uint32_t NodeTable::Intern(const std::string& s) {
  auto [it, added] = symbol_index_.emplace(s, static_cast<std::uint32_t>(symbols_.size()));
  if (added) symbols_.push_back(s);
  return it->second;
}

void NodeTable::SetExtra(Row* row, const NodeAttributes& a) {
  const bool wanted = !a.alternates.empty() || !a.emergency_plan_id.empty() || a.value;
  if (!wanted) {
    if (row->extra != 0) {
      extras_[row->extra - 1] = Extra{};
      free_extras_.push_back(row->extra - 1);
      row->extra = 0;
    }
    return;
  }
  if (row->extra == 0) {
    if (free_extras_.empty()) {
      extras_.emplace_back();
      row->extra = static_cast<std::uint32_t>(extras_.size());
    } else {
      row->extra = free_extras_.back() + 1;
      free_extras_.pop_back();
    }
  }
  extras_[row->extra - 1] = Extra{a.alternates, a.emergency_plan_id, a.value};
}

void NodeTable::Fill(Row* row, const NodeAttributes& a) {
  row->name = a.name == a.id ? row->id : Store(a.name);
  row->kind = Intern(a.kind);
  row->region = Intern(a.region);
  row->tier = a.tier;
  if (a.location) {
    row->lat = a.location->lat;
    row->lon = a.location->lon;
  } else {
    row->lat = std::numeric_limits<double>::quiet_NaN();
    row->lon = 0;
  }
  row->inventory_days = a.inventory_days;
  SetExtra(row, a);
}

NodeIndex NodeTable::Add(const NodeAttributes& a) {
  const auto n = static_cast<NodeIndex>(rows_.size());
  Row row;
  row.id = Store(a.id);
  Fill(&row, a);
  // Full: grow by a quarter, not double. The engine shrinks the table to
  // its size at start-up (ShrinkToFit), so a network that then gains one
  // node keeps a quarter of slack rather than a copy's worth (~5.6 MB of
  // rows at 100k nodes); still amortized O(1) per Add.
  if (rows_.size() == rows_.capacity()) rows_.reserve(rows_.size() + rows_.size() / 4 + 16);
  rows_.push_back(row);
  Insert(n);
  return n;
}

void NodeTable::Replace(NodeIndex n, const NodeAttributes& a) {
  Row& row = rows_[n];
  if (row.name.at != row.id.at || row.name.size != row.id.size) garbage_ += row.name.size;
  Fill(&row, a);
  MaybeCompactArena();
}

void NodeTable::MaybeCompactArena() {
  if (garbage_ < (1u << 20) || 2 * garbage_ < arena_.size()) return;
  std::string packed;
  packed.reserve(arena_.size() - garbage_);
  auto move = [&](Text t) {
    const Text moved{static_cast<std::uint32_t>(packed.size()), t.size};
    packed.append(View(t));
    return moved;
  };
  for (Row& row : rows_) {
    const bool same = row.name.at == row.id.at && row.name.size == row.id.size;
    row.id = move(row.id);
    row.name = same ? row.id : move(row.name);
  }
  arena_ = std::move(packed);
  garbage_ = 0;
}

std::optional<GeoPoint> NodeTable::location(NodeIndex n) const {
  const Row& r = rows_[n];
  if (std::isnan(r.lat)) return std::nullopt;
  return GeoPoint{r.lat, r.lon};
}

NodeAttributes NodeTable::Get(NodeIndex n) const {
  const Row& r = rows_[n];
  NodeAttributes a;
  a.id = std::string(id(n));
  a.name = std::string(name(n));
  a.kind = symbols_[r.kind];
  a.tier = r.tier;
  a.region = symbols_[r.region];
  a.location = location(n);
  a.inventory_days = r.inventory_days;
  if (r.extra != 0) {
    a.alternates = extras_[r.extra - 1].alternates;
    a.emergency_plan_id = extras_[r.extra - 1].emergency_plan_id;
    a.value = extras_[r.extra - 1].value;
  }
  return a;
}

std::optional<double> NodeTable::value(NodeIndex n) const {
  const std::uint32_t extra = rows_[n].extra;
  return extra != 0 ? extras_[extra - 1].value : std::nullopt;
}

std::span<const std::string> NodeTable::alternates(NodeIndex n) const {
  const std::uint32_t extra = rows_[n].extra;
  if (extra == 0) return {};
  return extras_[extra - 1].alternates;
}

std::string_view NodeTable::emergency_plan_id(NodeIndex n) const {
  const std::uint32_t extra = rows_[n].extra;
  return extra != 0 ? std::string_view(extras_[extra - 1].emergency_plan_id) : std::string_view();
}

std::size_t NodeTable::Probe(std::string_view key) const {
  const std::size_t mask = buckets_.size() - 1;
  for (std::size_t b = HashOf(key) & mask;; b = (b + 1) & mask) {
    const std::uint32_t v = buckets_[b];
    if (v == kEmpty) return b;
    if (v != kTombstone && id(v - 1) == key) return b;
  }
}

std::optional<NodeIndex> NodeTable::Find(std::string_view key) const {
  if (buckets_.empty()) return std::nullopt;
  const std::uint32_t v = buckets_[Probe(key)];
  if (v == kEmpty) return std::nullopt;
  return v - 1;
}

void NodeTable::Insert(NodeIndex n) {
  // At most half full, counting tombstones, so probes stay short.
  if (2 * (indexed_ + tombstones_ + 1) > buckets_.size()) {
    std::size_t count = 16;
    while (count < 4 * (indexed_ + 1)) count *= 2;
    Rehash(count);
  }
  const std::size_t mask = buckets_.size() - 1;
  std::size_t b = HashOf(id(n)) & mask;
  while (buckets_[b] != kEmpty && buckets_[b] != kTombstone) b = (b + 1) & mask;
  if (buckets_[b] == kTombstone) --tombstones_;
  buckets_[b] = n + 1;
  ++indexed_;
}

void NodeTable::Unindex(NodeIndex n) {
  if (buckets_.empty()) return;
  const std::size_t b = Probe(id(n));
  if (buckets_[b] != n + 1) return;
  buckets_[b] = kTombstone;
  --indexed_;
  ++tombstones_;
}

void NodeTable::Rehash(std::size_t count) {
  std::vector<std::uint32_t> old = std::move(buckets_);
  buckets_.assign(count, kEmpty);
  tombstones_ = 0;
  const std::size_t mask = count - 1;
  for (std::uint32_t v : old) {
    if (v == kEmpty || v == kTombstone) continue;
    std::size_t b = HashOf(id(v - 1)) & mask;
    while (buckets_[b] != kEmpty) b = (b + 1) & mask;
    buckets_[b] = v;
  }
}

void NodeTable::ShrinkToFit() {
  rows_.shrink_to_fit();
  arena_.shrink_to_fit();
  extras_.shrink_to_fit();
  free_extras_.shrink_to_fit();
  symbols_.shrink_to_fit();
}

std::size_t NodeTable::MemoryBytes() const {
  std::size_t bytes = rows_.capacity() * sizeof(Row) + arena_.capacity() +
                      buckets_.capacity() * sizeof(std::uint32_t) +
                      free_extras_.capacity() * sizeof(std::uint32_t);
  for (const auto& s : symbols_) bytes += 2 * (sizeof(s) + s.capacity()) + 32;
  for (const auto& e : extras_) {
    bytes += sizeof(e) + e.emergency_plan_id.capacity();
    for (const auto& s : e.alternates) bytes += sizeof(s) + s.capacity();
  }
  return bytes;
}

}  // namespace riskd::engine
