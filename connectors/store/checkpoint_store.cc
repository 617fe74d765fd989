#include "connectors/store/checkpoint_store.h"

#include <chrono>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "connectors/store/journal.h"

namespace riskd::connectors {
namespace {

// Format of the encoded state (little endian; strings are a u32 length and
// their bytes; f64 are IEEE 754 bit patterns):
//   magic "riskdck5" (a checkpoint of another format is not read: the
//                  daemon replays the whole journal instead, once)
//   manual clock:  u8 present, i64 unix ns
//   network:       u32 slots; per slot: u8 alive, id, name, kind, i32 tier,
//                  region, u8 has_location, f64 lat, f64 lon,
//                  f64 inventory_days, u32 n + n alternates,
//                  emergency_plan_id, u8 has_value, f64 value;
//                  u64 edges; per edge in CSR order: u32 from, u32 to,
//                  u8 layer, f64 weight; u64 network version
//   engine:        i64 now, u64 report_order, i32 changes since refresh;
//                  u32 snapshots; per snapshot: u8 layer mask, f64
//                  eigenvalue, f64 omega geometric mean, u64 n, then n f64
//                  each of omega, sigma, rho;
//                  u32 risk types; per type: name, u32 nodes; per node:
//                  u32 index, u32 reports; per report: i64 at, u8 state,
//                  f64 severity, i64 duration, u64 order; u32 immunized +
//                  that many u32 indices
//   incidents:     i64 now; u32 incidents; per incident: u64 key, id,
//                  i32 risk type, u8 lifecycle, u8 resolution, u8
//                  confirmed, i32 hazard, title, u32 events (id, u64 seq),
//                  u32 feed event ids, u32 sources (u32), u32 source
//                  events (u32 node, u32 n, n u32), i32 sources disrupted,
//                  i64 opened, restored, closed at, u64 last seq, u8
//                  acknowledged, acknowledged by, i64 at, assignee, u8
//                  level override (0xff: none), u32 history (action), u32
//                  operator version;
//                  u32 risk types; per type: u32 sources (u32 node, u8
//                  disrupted, u32 n, n u64 keys), u32 owners (u32 node,
//                  u64 key), u32 feed events (id, u64 key);
//                  u32 restored (i64 at, u64 key), u32 closed (u64 key)
//                  action: event id, u64 seq, i64 time, u8 kind, incident
//                  id, operator, client, assignee, u8 level (0xff: none),
//                  note
//   footprints:    u32 n; per footprint: u64 size + serialized
//                  DisruptionFootprint, u8 announced, i32 risk type, i64
//                  at, i64 duration, u32 hit + that many u32
//   magic "riskdend"
// riskdck4: nodes carry their value (riskdck3 dropped it: after a restart
// from a checkpoint, value at risk fell back to the volume through them).
// riskdck5: the network's version (riskdck4 had none: the rebuilt network
// counted its own changes, so Snapshot.network_version went back after a
// restart, e.g. 24 -> 22, and a dashboard could see another network at a
// version it already held). A new marker rather than riskdck4 extended: a
// riskdck4 checkpoint (written by builds of this branch) is then refused as
// another format, and the journal replayed in full, instead of being read
// with its fields shifted.
constexpr std::string_view kMagic = "riskdck5";
constexpr std::string_view kEndMagic = "riskdend";
constexpr std::size_t kPartBytes = 1 << 20;
constexpr std::uint32_t kMaxString = 1 << 16;

// Values go straight into the part being filled (no std::string append per
// value: writing a 26 MB checkpoint a field at a time was a sixth of its
// cost, bench/README.md "`ckptbook`"). A part is flushed once it holds
// kPartBytes or more, so parts end where a value does, as they always did.
class PartWriter {
 public:
  explicit PartWriter(std::function<Status(std::string_view)> flush) : flush_(std::move(flush)) {
    buf_.resize(kPartBytes + 4096);
  }
  void Bytes(const void* p, std::size_t n) {
    if (n > 0) std::memcpy(Room(n), p, n);
    Wrote(n);
  }
  void U8(std::uint8_t v) {
    *Room(1) = static_cast<char>(v);
    Wrote(1);
  }
  void U32(std::uint32_t v) {
    char* out = Room(4);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * i));
    Wrote(4);
  }
  void U64(std::uint64_t v) {
    char* out = Room(8);
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
    Wrote(8);
  }
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void I32(std::int32_t v) { U32(static_cast<std::uint32_t>(v)); }
  void F64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    U64(bits);
  }
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Doubles(const std::vector<double>& v) {
    for (double d : v) F64(d);
  }
  void Blob(std::string_view s) {
    U64(s.size());
    Bytes(s.data(), s.size());
  }
  Status Finish() {
    if (size_ > 0) Flush();
    return status_;
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  // Room for `n` more bytes after those written (the buffer grows only for
  // a value longer than its slack past kPartBytes).
  char* Room(std::size_t n) {
    if (buf_.size() - size_ < n) buf_.resize(size_ + n);
    return buf_.data() + size_;
  }
  void Wrote(std::size_t n) {
    size_ += n;
    if (size_ >= kPartBytes) Flush();
  }
  void Flush() {
    if (status_.ok()) status_ = flush_(std::string_view(buf_.data(), size_));
    bytes_ += size_;
    size_ = 0;
  }
  std::function<Status(std::string_view)> flush_;
  std::string buf_;
  std::size_t size_ = 0;  // bytes of buf_ written
  std::uint64_t bytes_ = 0;
  Status status_;
};

// Reads the parts in order, checking each one's hash; every read past the
// end or of a malformed value fails the reader (values read then are 0).
class PartReader {
 public:
  PartReader(SqliteStatement* parts, std::uint64_t total) : parts_(parts), remaining_(total) {}
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  void Fail(const std::string& why) {
    if (status_.ok()) status_ = Status::Corruption("checkpoint: " + why);
  }
  std::uint8_t U8() {
    std::uint8_t v = 0;
    Read(&v, 1);
    return v;
  }
  std::uint32_t U32() {
    unsigned char b[4] = {};
    Read(b, 4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{b[i]} << (8 * i);
    return v;
  }
  std::uint64_t U64() {
    unsigned char b[8] = {};
    Read(b, 8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{b[i]} << (8 * i);
    return v;
  }
  std::int64_t I64() { return static_cast<std::int64_t>(U64()); }
  std::int32_t I32() { return static_cast<std::int32_t>(U32()); }
  double F64() {
    const std::uint64_t bits = U64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  // Bytes of a u64 size (a serialized message): bounded by the data left.
  std::string Blob() {
    const std::uint64_t n = Count(U64(), 1, "bytes");
    std::string s(n, '\0');
    Read(s.data(), n);
    return s;
  }
  std::string Str() {
    const std::uint32_t n = U32();
    if (n > kMaxString) {
      Fail("a string of " + std::to_string(n) + " bytes");
      return {};
    }
    std::string s(n, '\0');
    Read(s.data(), n);
    return s;
  }
  // A count of items of at least `min_bytes` each: never more than the
  // bytes left can hold (so a corrupt count cannot make us allocate).
  std::uint64_t Count(std::uint64_t n, std::size_t min_bytes, const char* what) {
    if (n > remaining_ / min_bytes) {
      Fail(std::string("a count of ") + std::to_string(n) + " " + what + " exceeds the data");
      return 0;
    }
    return n;
  }
  void Doubles(std::uint64_t n, std::vector<double>* out) {
    out->resize(n);
    for (auto& d : *out) d = F64();
  }
  void Magic(std::string_view want) {
    std::string got(want.size(), '\0');
    Read(got.data(), got.size());
    // Another version's checkpoint is not damage: after an upgrade it is the
    // expected case, so it says so with its own code (the daemon replays the
    // journal either way, but logs this one as a warning).
    if (ok() && got != want) {
      status_ = Status::FailedPrecondition(
          "checkpoint: bad format marker (not a checkpoint of this version)");
    }
  }
  bool AtEnd() { return ok() && pos_ == buf_.size() && remaining_ == 0 && !NextPart(); }

 private:
  void Read(void* out, std::size_t n) {
    if (!ok()) return;
    while (buf_.size() - pos_ < n) {
      if (!NextPart()) {
        Fail("truncated");
        return;
      }
    }
    std::memcpy(out, buf_.data() + pos_, n);
    pos_ += n;
    remaining_ -= n;
  }
  bool NextPart() {
    Status st;
    if (!parts_->Step(&st)) {
      if (!st.ok()) Fail(st.ToString());
      return false;
    }
    if (parts_->ColumnInt(0) != next_part_) {
      Fail("part " + std::to_string(next_part_) + " is missing");
      return false;
    }
    ++next_part_;
    std::string data = parts_->ColumnBlob(1);
    if (Sha256(data) != parts_->ColumnBlob(2)) {
      Fail("part " + std::to_string(next_part_ - 1) + " does not match its hash");
      return false;
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    buf_ += data;
    return true;
  }
  SqliteStatement* parts_;
  std::uint64_t remaining_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::int64_t next_part_ = 0;
  Status status_;
};

void EncodeNetwork(const engine::Network& given, PartWriter* w) {
  // The edges are read from the CSR arrays, which hold changes only after
  // Compact(): a network changed since (a node or an edge added, a node
  // removed) is written from a compacted copy; reading its arrays as they
  // are wrote garbage (rows missing for new nodes). The daemon passes a
  // compacted network, so it never pays for the copy.
  std::optional<engine::Network> copy;
  if (!given.compacted()) {
    copy.emplace(given);
    copy->Compact();
  }
  const engine::Network& net = copy ? *copy : given;
  w->U32(static_cast<std::uint32_t>(net.node_slots()));
  for (engine::NodeIndex v = 0; v < net.node_slots(); ++v) {
    const engine::NodeAttributes a = net.node(v);
    w->U8(net.alive(v) ? 1 : 0);
    w->Str(a.id);
    w->Str(a.name);
    w->Str(a.kind);
    w->I32(a.tier);
    w->Str(a.region);
    w->U8(a.location ? 1 : 0);
    w->F64(a.location ? a.location->lat : 0);
    w->F64(a.location ? a.location->lon : 0);
    w->F64(a.inventory_days);
    w->U32(static_cast<std::uint32_t>(a.alternates.size()));
    for (const auto& alt : a.alternates) w->Str(alt);
    w->Str(a.emergency_plan_id);
    w->U8(a.value ? 1 : 0);
    w->F64(a.value.value_or(0));
  }
  w->U64(net.csr_edge_count());
  for (engine::NodeIndex u = 0; u < net.node_slots(); ++u) {
    for (engine::EdgeIndex e = net.out_begin(u); e < net.out_end(u); ++e) {
      w->U32(u);
      w->U32(net.edge_target(e));
      w->U8(static_cast<std::uint8_t>(net.edge_layer(e)));
      w->F64(net.edge_weight(e));
    }
  }
  w->U64(net.version());
}

Status DecodeNetwork(PartReader* r, engine::Network* net) {
  const std::uint64_t slots = r->Count(r->U32(), 40, "node slots");
  for (std::uint64_t v = 0; v < slots && r->ok(); ++v) {
    const bool alive = r->U8() != 0;
    engine::NodeAttributes a;
    a.id = r->Str();
    a.name = r->Str();
    a.kind = r->Str();
    a.tier = r->I32();
    a.region = r->Str();
    const bool has_location = r->U8() != 0;
    const double lat = r->F64(), lon = r->F64();
    if (has_location) a.location = engine::GeoPoint{lat, lon};
    a.inventory_days = r->F64();
    const std::uint64_t alternates = r->Count(r->U32(), 4, "alternates");
    for (std::uint64_t i = 0; i < alternates && r->ok(); ++i) a.alternates.push_back(r->Str());
    a.emergency_plan_id = r->Str();
    const bool has_value = r->U8() != 0;
    const double value = r->F64();
    if (has_value) a.value = value;
    if (!r->ok()) break;
    const std::string id = a.id;
    auto added = net->AddNode(std::move(a));
    if (!added.ok())
      return added.status().WithContext("checkpoint: node slot " + std::to_string(v));
    if (*added != v) return Status::Corruption("checkpoint: node slots out of order");
    // A dead slot keeps its index: added and removed again (before any
    // edge, so each removal is cheap).
    if (!alive) RISKD_RETURN_IF_ERROR(net->RemoveNode(id));
  }
  const std::uint64_t count = r->Count(r->U64(), 17, "edges");
  std::vector<engine::Edge> edges;
  edges.reserve(count);
  for (std::uint64_t i = 0; i < count && r->ok(); ++i) {
    engine::Edge e;
    e.from = r->U32();
    e.to = r->U32();
    const std::uint8_t layer = r->U8();
    e.weight = r->F64();
    if (layer >= engine::kLayerCount) {
      r->Fail("an edge on layer " + std::to_string(layer));
      break;
    }
    e.layer = static_cast<engine::Layer>(layer);
    edges.push_back(e);
  }
  RISKD_RETURN_IF_ERROR(r->status());
  // In CSR order, i.e. sorted by (from, to, layer): merged without a copy.
  RISKD_RETURN_IF_ERROR(net->AddEdges(edges).WithContext("checkpoint"));
  net->Compact();
  // The version the saved network had: its changes since go on from it as
  // they would have after a full replay.
  net->RestoreVersion(r->U64());
  return r->status();
}

void EncodeEngine(const engine::EngineCheckpoint& c, PartWriter* w) {
  w->I64(c.now);
  w->U64(c.report_order);
  w->I32(c.network_changes_since_refresh);
  w->U32(static_cast<std::uint32_t>(c.vulnerability.size()));
  for (const auto& [mask, v] : c.vulnerability) {
    w->U8(mask);
    w->F64(v.eigenvalue);
    w->F64(v.omega_geometric_mean);
    w->U64(v.sigma.size());
    w->Doubles(v.omega);
    w->Doubles(v.sigma);
    w->Doubles(v.rho);
  }
  w->U32(static_cast<std::uint32_t>(c.risk_types.size()));
  for (const auto& t : c.risk_types) {
    w->Str(t.name);
    w->U32(static_cast<std::uint32_t>(t.reports.size()));
    for (const auto& [node, reports] : t.reports) {
      w->U32(node);
      w->U32(static_cast<std::uint32_t>(reports.size()));
      for (const auto& rep : reports) {
        w->I64(rep.at);
        w->U8(static_cast<std::uint8_t>(rep.state));
        w->F64(rep.severity);
        w->I64(rep.duration);
        w->U64(rep.order);
      }
    }
    w->U32(static_cast<std::uint32_t>(t.immunized.size()));
    for (engine::NodeIndex v : t.immunized) w->U32(v);
  }
}

Status DecodeEngine(PartReader* r, engine::EngineCheckpoint* c) {
  c->now = r->I64();
  c->report_order = r->U64();
  c->network_changes_since_refresh = r->I32();
  const std::uint64_t snapshots = r->Count(r->U32(), 25, "vulnerability snapshots");
  for (std::uint64_t i = 0; i < snapshots && r->ok(); ++i) {
    auto& [mask, v] = c->vulnerability.emplace_back();
    mask = r->U8();
    v.eigenvalue = r->F64();
    v.omega_geometric_mean = r->F64();
    const std::uint64_t n = r->Count(r->U64(), 24, "vulnerability entries");
    r->Doubles(n, &v.omega);
    r->Doubles(n, &v.sigma);
    r->Doubles(n, &v.rho);
  }
  const std::uint64_t types = r->Count(r->U32(), 12, "risk types");
  for (std::uint64_t i = 0; i < types && r->ok(); ++i) {
    auto& t = c->risk_types.emplace_back();
    t.name = r->Str();
    const std::uint64_t nodes = r->Count(r->U32(), 8, "nodes with reports");
    t.reports.reserve(nodes);
    for (std::uint64_t k = 0; k < nodes && r->ok(); ++k) {
      auto& [node, reports] = t.reports.emplace_back();
      node = r->U32();
      const std::uint64_t n = r->Count(r->U32(), 33, "reports");
      reports.resize(n);
      for (auto& rep : reports) {
        rep.at = r->I64();
        const std::uint8_t state = r->U8();
        if (state > static_cast<std::uint8_t>(engine::NodeState::kImmunized)) {
          r->Fail("a report of state " + std::to_string(state));
        }
        rep.state = static_cast<engine::NodeState>(state);
        rep.severity = r->F64();
        rep.duration = r->I64();
        rep.order = r->U64();
      }
    }
    const std::uint64_t immunized = r->Count(r->U32(), 4, "immunized nodes");
    t.immunized.resize(immunized);
    for (auto& v : t.immunized) v = r->U32();
  }
  return r->status();
}

constexpr std::uint8_t kNoLevel = 0xff;

void EncodeLevel(const std::optional<engine::AlertLevel>& level, PartWriter* w) {
  w->U8(level ? static_cast<std::uint8_t>(*level) : kNoLevel);
}

std::optional<engine::AlertLevel> DecodeLevel(PartReader* r) {
  const std::uint8_t v = r->U8();
  if (v == kNoLevel) return std::nullopt;
  if (v != 0 && v != 2 && v != 3) r->Fail("an alert level " + std::to_string(v));
  return static_cast<engine::AlertLevel>(v);
}

std::uint8_t Enum(PartReader* r, std::uint8_t lo, std::uint8_t hi, const char* what) {
  const std::uint8_t v = r->U8();
  if (v < lo || v > hi) r->Fail(std::string("a ") + what + " " + std::to_string(v));
  return v;
}

// Long on purpose: field-by-field, in the order DecodeIncidents reads them.
void EncodeIncidents(const engine::IncidentBookView& c, PartWriter* w) {
  w->I64(c.now_ns);
  w->U32(static_cast<std::uint32_t>(c.incidents.size()));
  for (const engine::Incident* in : c.incidents) {
    const engine::Incident& inc = *in;
    w->U64(inc.key);
    w->Str(inc.id);
    w->I32(inc.risk_type);
    w->U8(static_cast<std::uint8_t>(inc.lifecycle));
    w->U8(static_cast<std::uint8_t>(inc.resolution));
    w->U8(inc.confirmed ? 1 : 0);
    w->I32(inc.hazard);
    w->Str(inc.title);
    w->U32(static_cast<std::uint32_t>(inc.events.size()));
    for (const auto& e : inc.events) {
      w->Str(e.event_id);
      w->U64(e.seq);
    }
    w->U32(static_cast<std::uint32_t>(inc.feed_event_ids.size()));
    for (const auto& id : inc.feed_event_ids) w->Str(id);
    w->U32(static_cast<std::uint32_t>(inc.sources.size()));
    for (engine::NodeIndex v : inc.sources) w->U32(v);
    // By node (the incident keeps them so), per source its events: the same
    // bytes for the same state.
    const auto& pairs = inc.source_events;
    std::uint32_t sources_with_events = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if (i == 0 || pairs[i].first != pairs[i - 1].first) ++sources_with_events;
    }
    w->U32(sources_with_events);
    for (std::size_t i = 0; i < pairs.size();) {
      std::size_t end = i;
      while (end < pairs.size() && pairs[end].first == pairs[i].first) ++end;
      w->U32(pairs[i].first);
      w->U32(static_cast<std::uint32_t>(end - i));
      for (std::size_t k = i; k < end; ++k) w->U32(pairs[k].second);
      i = end;
    }
    w->I32(inc.sources_disrupted);
    w->I64(inc.opened_at_ns);
    w->I64(inc.restored_at_ns);
    w->I64(inc.closed_at_ns);
    w->U64(inc.last_seq);
    const engine::IncidentOperatorState& op = inc.op();
    w->U8(op.acknowledged ? 1 : 0);
    w->Str(op.acknowledged_by);
    w->I64(op.acknowledged_at_ns);
    w->Str(op.assignee);
    EncodeLevel(op.level_override, w);
    w->U32(static_cast<std::uint32_t>(op.history.size()));
    for (const auto& a : op.history) {
      w->Str(a.event_id);
      w->U64(a.seq);
      w->I64(a.time_ns);
      w->U8(static_cast<std::uint8_t>(a.kind));
      w->Str(a.incident_id);
      w->Str(a.operator_name);
      w->Str(a.authenticated_client);
      w->Str(a.assignee);
      EncodeLevel(a.level, w);
      w->Str(a.note);
    }
    w->U32(inc.operator_version);
  }
  w->U32(static_cast<std::uint32_t>(c.risk_types.size()));
  for (const auto& t : c.risk_types) {
    w->U32(static_cast<std::uint32_t>(t.sources.size()));
    for (const auto& s : t.sources) {
      w->U32(s.node);
      w->U8(s.disrupted ? 1 : 0);
      w->U32(static_cast<std::uint32_t>(s.incidents.size()));
      for (std::uint64_t key : s.incidents) w->U64(key);
    }
    w->U32(static_cast<std::uint32_t>(t.owner.size()));
    for (const auto& [v, key] : t.owner) {
      w->U32(v);
      w->U64(key);
    }
    w->U32(static_cast<std::uint32_t>(t.feed_events.size()));
    for (const auto& [id, key] : t.feed_events) {
      w->Str(id);
      w->U64(key);
    }
  }
  w->U32(static_cast<std::uint32_t>(c.restored.size()));
  for (const auto& [at, key] : c.restored) {
    w->I64(at);
    w->U64(key);
  }
  w->U32(static_cast<std::uint32_t>(c.closed.size()));
  for (std::uint64_t key : c.closed) w->U64(key);
}

// Structure only; what the values mean is checked by
// engine::IncidentBook::Restore.
// Long on purpose: field-by-field mirror of EncodeIncidents; the two must be
// read side by side.
Status DecodeIncidents(PartReader* r, engine::IncidentBookCheckpoint* c) {
  c->now_ns = r->I64();
  const std::uint64_t incidents = r->Count(r->U32(), 80, "incidents");
  for (std::uint64_t i = 0; i < incidents && r->ok(); ++i) {
    engine::Incident& inc = c->incidents.emplace_back();
    inc.key = r->U64();
    inc.id = r->Str();
    inc.risk_type = r->I32();
    inc.lifecycle = static_cast<engine::IncidentLifecycle>(Enum(r, 1, 4, "lifecycle"));
    inc.resolution = static_cast<engine::IncidentResolution>(Enum(r, 0, 3, "resolution"));
    inc.confirmed = r->U8() != 0;
    inc.hazard = r->I32();
    inc.title = r->Str();
    const std::uint64_t events = r->Count(r->U32(), 12, "incident events");
    for (std::uint64_t k = 0; k < events && r->ok(); ++k) {
      auto& e = inc.events.emplace_back();
      e.event_id = r->Str();
      e.seq = r->U64();
    }
    const std::uint64_t feeds = r->Count(r->U32(), 4, "feed event ids");
    for (std::uint64_t k = 0; k < feeds && r->ok(); ++k) inc.feed_event_ids.push_back(r->Str());
    const std::uint64_t sources = r->Count(r->U32(), 4, "sources");
    inc.sources.resize(sources);
    for (auto& v : inc.sources) v = r->U32();
    const std::uint64_t source_events = r->Count(r->U32(), 8, "source events");
    for (std::uint64_t k = 0; k < source_events && r->ok(); ++k) {
      const engine::NodeIndex v = r->U32();
      const std::uint64_t count = r->Count(r->U32(), 4, "source events");
      for (std::uint64_t e = 0; e < count && r->ok(); ++e) {
        inc.source_events.emplace_back(v, r->U32());
      }
    }
    inc.sources_disrupted = r->I32();
    inc.opened_at_ns = r->I64();
    inc.restored_at_ns = r->I64();
    inc.closed_at_ns = r->I64();
    inc.last_seq = r->U64();
    engine::IncidentOperatorState op;
    op.acknowledged = r->U8() != 0;
    op.acknowledged_by = r->Str();
    op.acknowledged_at_ns = r->I64();
    op.assignee = r->Str();
    op.level_override = DecodeLevel(r);
    const std::uint64_t history = r->Count(r->U32(), 42, "operator actions");
    for (std::uint64_t k = 0; k < history && r->ok(); ++k) {
      auto& a = op.history.emplace_back();
      a.event_id = r->Str();
      a.seq = r->U64();
      a.time_ns = r->I64();
      a.kind = static_cast<engine::OperatorActionKind>(Enum(r, 1, 5, "operator action"));
      a.incident_id = r->Str();
      a.operator_name = r->Str();
      a.authenticated_client = r->Str();
      a.assignee = r->Str();
      a.level = DecodeLevel(r);
      a.note = r->Str();
    }
    // Out of line only when an operator acted (Incident::op()).
    if (!op.empty()) inc.mutable_op() = std::move(op);
    inc.operator_version = r->U32();
  }
  const std::uint64_t types = r->Count(r->U32(), 12, "incident risk types");
  for (std::uint64_t i = 0; i < types && r->ok(); ++i) {
    auto& t = c->risk_types.emplace_back();
    const std::uint64_t sources = r->Count(r->U32(), 9, "incident sources");
    for (std::uint64_t k = 0; k < sources && r->ok(); ++k) {
      auto& s = t.sources.emplace_back();
      s.node = r->U32();
      s.disrupted = r->U8() != 0;
      s.incidents.resize(r->Count(r->U32(), 8, "source incidents"));
      for (auto& key : s.incidents) key = r->U64();
    }
    const std::uint64_t owners = r->Count(r->U32(), 12, "source owners");
    for (std::uint64_t k = 0; k < owners && r->ok(); ++k) {
      const engine::NodeIndex v = r->U32();
      t.owner.emplace_back(v, r->U64());
    }
    const std::uint64_t feeds = r->Count(r->U32(), 12, "feed events");
    for (std::uint64_t k = 0; k < feeds && r->ok(); ++k) {
      std::string id = r->Str();
      t.feed_events.emplace_back(std::move(id), r->U64());
    }
  }
  const std::uint64_t restored = r->Count(r->U32(), 16, "restored incidents");
  for (std::uint64_t k = 0; k < restored && r->ok(); ++k) {
    const std::int64_t at = r->I64();
    c->restored.emplace_back(at, r->U64());
  }
  c->closed.resize(r->Count(r->U32(), 8, "closed incidents"));
  for (auto& key : c->closed) key = r->U64();
  return r->status();
}

void EncodeFootprints(const std::vector<CheckpointedFootprint>& footprints, PartWriter* w) {
  w->U32(static_cast<std::uint32_t>(footprints.size()));
  for (const auto& f : footprints) {
    w->Blob(f.footprint);
    w->U8(f.announced ? 1 : 0);
    w->I32(f.risk_type);
    w->I64(f.at);
    w->I64(f.duration);
    w->U32(static_cast<std::uint32_t>(f.hit.size()));
    for (engine::NodeIndex v : f.hit) w->U32(v);
  }
}

Status DecodeFootprints(PartReader* r, std::vector<CheckpointedFootprint>* out) {
  const std::uint64_t n = r->Count(r->U32(), 33, "footprints");
  for (std::uint64_t i = 0; i < n && r->ok(); ++i) {
    auto& f = out->emplace_back();
    f.footprint = r->Blob();
    f.announced = r->U8() != 0;
    f.risk_type = r->I32();
    f.at = r->I64();
    f.duration = r->I64();
    f.hit.resize(r->Count(r->U32(), 4, "footprint nodes"));
    for (auto& v : f.hit) v = r->U32();
  }
  return r->status();
}

}  // namespace

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(const std::string& database) {
  // Derived data (the journal is the record): a crash may lose the newest
  // checkpoint, never corrupt the previous one.
  auto db = SqliteDb::Open(PathFor(database), SqliteDb::Durability::kNormal,
                           SqliteDb::Damage::kCorruption);
  if (!db.ok()) return db.status();
  std::unique_ptr<CheckpointStore> s(new CheckpointStore(std::move(*db), database));
  RISKD_RETURN_IF_ERROR(s->Init());
  return s;
}

Status CheckpointStore::Init() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS checkpoint ("
      " id INTEGER PRIMARY KEY CHECK (id = 1), journal_seq INTEGER NOT NULL,"
      " journal_hash BLOB NOT NULL, fingerprint TEXT NOT NULL, written_ns INTEGER NOT NULL,"
      " bytes INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS checkpoint_parts ("
      " part INTEGER PRIMARY KEY, data BLOB NOT NULL, hash BLOB NOT NULL);");
}

Result<std::string> CheckpointStore::JournalHash(std::uint64_t seq) {
  if (!journal_) {
    auto db = SqliteDb::OpenReadOnly(database_);
    if (!db.ok()) return db.status();
    journal_ = std::move(*db);
  }
  // The journal's schema (journal.h): one row per sequence with its hash.
  auto q = journal_->Prepare("SELECT hash FROM journal WHERE seq = ?1");
  if (!q.ok()) return q.status();
  q->BindInt(1, static_cast<std::int64_t>(seq));
  Status st;
  if (!q->Step(&st)) {
    RISKD_RETURN_IF_ERROR(st);
    return Status::NotFound("journal row " + std::to_string(seq) + " does not exist");
  }
  return q->ColumnBlob(0);
}

Result<std::optional<CheckpointHeader>> CheckpointStore::Header() {
  auto q = db_->Prepare(
      "SELECT journal_seq, journal_hash, fingerprint, written_ns, bytes FROM checkpoint WHERE id = "
      "1");
  if (!q.ok()) return q.status();
  Status st;
  if (!q->Step(&st)) {
    RISKD_RETURN_IF_ERROR(st);
    return std::optional<CheckpointHeader>();
  }
  CheckpointHeader h;
  h.journal_seq = static_cast<std::uint64_t>(q->ColumnInt(0));
  h.journal_hash = q->ColumnBlob(1);
  h.fingerprint = q->ColumnText(2);
  h.written_unix_ns = q->ColumnInt(3);
  h.bytes = static_cast<std::uint64_t>(q->ColumnInt(4));
  return std::optional<CheckpointHeader>(std::move(h));
}

Result<bool> CheckpointStore::MatchesJournal(const CheckpointHeader& header) {
  auto hash = JournalHash(header.journal_seq);
  if (!hash.ok()) {
    if (hash.status().code() == Status::Code::kNotFound) return false;
    return hash.status();
  }
  return *hash == header.journal_hash;
}

Result<DaemonCheckpoint> CheckpointStore::Load() {
  auto header = Header();
  if (!header.ok()) return header.status();
  if (!*header) return Status::NotFound("no checkpoint");
  DaemonCheckpoint c;
  c.header = **header;
  {
    // The header's size bounds every count decoded: it must be the parts'.
    auto size = db_->Prepare("SELECT COALESCE(SUM(length(data)), 0) FROM checkpoint_parts");
    if (!size.ok()) return size.status();
    Status st;
    if (!size->Step(&st) || static_cast<std::uint64_t>(size->ColumnInt(0)) != c.header.bytes) {
      RISKD_RETURN_IF_ERROR(st);
      return Status::Corruption("checkpoint: its parts do not add up to its recorded size");
    }
  }
  auto parts = db_->Prepare("SELECT part, data, hash FROM checkpoint_parts ORDER BY part");
  if (!parts.ok()) return parts.status();
  PartReader r(&*parts, c.header.bytes);
  r.Magic(kMagic);
  const bool has_clock = r.U8() != 0;
  const std::int64_t clock = r.I64();
  if (has_clock) c.manual_clock_ns = clock;
  RISKD_RETURN_IF_ERROR(r.status());
  // What the network refuses (a duplicate id, an edge to a dead slot) is
  // damage here too.
  auto damage = [](const Status& st) {
    return st.code() == Status::Code::kCorruption ? st : Status::Corruption(st.message());
  };
  if (Status st = DecodeNetwork(&r, &c.network); !st.ok()) return damage(st);
  if (Status st = DecodeEngine(&r, &c.engine); !st.ok()) return damage(st);
  if (Status st = DecodeIncidents(&r, &c.daemon.incidents); !st.ok()) return damage(st);
  if (Status st = DecodeFootprints(&r, &c.daemon.footprints); !st.ok()) return damage(st);
  r.Magic(kEndMagic);
  RISKD_RETURN_IF_ERROR(r.status());
  if (!r.AtEnd()) return Status::Corruption("checkpoint: data after the end marker");
  return c;
}

Result<CheckpointHeader> CheckpointStore::Save(std::uint64_t journal_seq,
                                               const std::string& fingerprint,
                                               std::optional<std::int64_t> manual_clock_ns,
                                               const engine::Network& network,
                                               const engine::EngineCheckpoint& engine,
                                               const DaemonCheckpointState& daemon) {
  const engine::IncidentBookView incidents = engine::ViewOf(daemon.incidents);
  return Save(journal_seq, fingerprint, manual_clock_ns, network, engine,
              DaemonCheckpointView{incidents, daemon.footprints});
}

Result<CheckpointHeader> CheckpointStore::Save(std::uint64_t journal_seq,
                                               const std::string& fingerprint,
                                               std::optional<std::int64_t> manual_clock_ns,
                                               const engine::Network& network,
                                               const engine::EngineCheckpoint& engine,
                                               const DaemonCheckpointView& daemon) {
  CheckpointHeader h;
  h.journal_seq = journal_seq;
  h.fingerprint = fingerprint;
  auto hash = JournalHash(journal_seq);
  if (!hash.ok()) return hash.status().WithContext("checkpoint");
  h.journal_hash = *hash;
  SqliteTransaction tx(db_.get());
  RISKD_RETURN_IF_ERROR(tx.status());
  RISKD_RETURN_IF_ERROR(db_->Exec("DELETE FROM checkpoint_parts; DELETE FROM checkpoint;"));
  auto ins = db_->Prepare("INSERT INTO checkpoint_parts(part, data, hash) VALUES(?1, ?2, ?3)");
  if (!ins.ok()) return ins.status();
  std::int64_t part = 0;
  PartWriter w([&](std::string_view data) {
    const std::string digest = Sha256(data);
    ins->BindInt(1, part++);
    ins->BindBlobNoCopy(2, data);
    ins->BindBlobNoCopy(3, digest);
    return ins->Run();
  });
  w.Bytes(kMagic.data(), kMagic.size());
  w.U8(manual_clock_ns ? 1 : 0);
  w.I64(manual_clock_ns.value_or(0));
  EncodeNetwork(network, &w);
  EncodeEngine(engine, &w);
  EncodeIncidents(daemon.incidents, &w);
  EncodeFootprints(daemon.footprints, &w);
  w.Bytes(kEndMagic.data(), kEndMagic.size());
  RISKD_RETURN_IF_ERROR(w.Finish());
  h.bytes = w.bytes();
  h.written_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto head = db_->Prepare(
      "INSERT INTO checkpoint(id, journal_seq, journal_hash, fingerprint, written_ns, bytes)"
      " VALUES(1, ?1, ?2, ?3, ?4, ?5)");
  if (!head.ok()) return head.status();
  head->BindInt(1, static_cast<std::int64_t>(h.journal_seq));
  head->BindBlob(2, h.journal_hash);
  head->BindText(3, h.fingerprint);
  head->BindInt(4, h.written_unix_ns);
  head->BindInt(5, static_cast<std::int64_t>(h.bytes));
  RISKD_RETURN_IF_ERROR(head->Run());
  RISKD_RETURN_IF_ERROR(tx.Commit());
  return h;
}

Status CheckpointStore::Clear() {
  return db_->Exec("DELETE FROM checkpoint_parts; DELETE FROM checkpoint;");
}

}  // namespace riskd::connectors
