#include "daemon/checkpoints.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <vector>

#include "connectors/store/journal.h"
#include "daemon/footprint_tracker.h"
#include "daemon/log_text.h"
#include "engine/incidents.h"

namespace riskd::daemon {

std::string CheckpointFingerprint(const DaemonSettings& s, const std::string& network_digest) {
  std::ostringstream o;
  o << std::hexfloat;  // doubles exactly
  o << "riskd checkpoint fingerprint 1\n";
  o << "network " << network_digest << "\n";
  for (const auto& t : s.engine.risk_types) {
    o << "risk_type " << t.name << " layers " << int{t.layers} << "\n";
  }
  o << "default_risk_type " << s.risk_type_resolver.default_risk_type << "\n";
  for (const auto& [hazard, name] : s.risk_type_resolver.hazard_risk_types) {
    o << "hazard_risk_type " << hazard << " " << name << "\n";
  }
  o << "step_ns " << s.timing.step_ns << "\n";
  for (const auto& [hazard, ns] : s.timing.hazard_duration_ns) {
    o << "hazard_duration " << hazard << " " << ns << "\n";
  }
  o << "clock manual " << s.clock.manual << " window_steps " << s.engine.clock.history_window_steps
    << "\n";
  const auto& v = s.engine.vulnerability;
  o << "vulnerability " << static_cast<int>(v.mode) << " " << v.centrality_weight << " " << v.floor
    << " " << v.kappa << " " << v.eigen_tolerance << " " << v.max_iterations << " refresh "
    << s.engine.vulnerability_refresh_changes << " edge_fraction "
    << s.engine.vulnerability_refresh_edge_fraction << "\n";
  return connectors::HexBytes(connectors::Sha256(o.str()));
}

Result<std::optional<RestoredEngine>> RestoreFromCheckpoint(connectors::CheckpointStore* store,
                                                            const DaemonSettings& settings,
                                                            const std::string& fingerprint,
                                                            std::uint64_t journal_last_seq) {
  using Nothing = std::optional<RestoredEngine>;
  auto header = store->Header();
  if (!header.ok()) return header.status();
  if (!*header) {
    spdlog::info("no checkpoint: replaying the whole journal");
    return Nothing();
  }
  const auto& h = **header;
  if (h.fingerprint != fingerprint) {
    spdlog::warn(
        "checkpoint at journal seq {} was taken with another network source or engine "
        "configuration: replaying the whole journal",
        h.journal_seq);
    return Nothing();
  }
  auto matches = h.journal_seq <= journal_last_seq ? store->MatchesJournal(h) : Result<bool>(false);
  if (!matches.ok()) return matches.status();
  if (!*matches) {
    spdlog::warn(
        "checkpoint at journal seq {} does not match the journal (last seq {}; a restored "
        "or replaced database?): replaying the whole journal",
        h.journal_seq, journal_last_seq);
    return Nothing();
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto loaded = store->Load();
  // Damage goes to the caller, which moves the file aside: kept, every
  // later Save into it fails too, and every start replays the whole journal.
  if (loaded.status().code() == Status::Code::kCorruption) return loaded.status();
  if (!loaded.ok()) {
    // A checkpoint of an earlier format (after an upgrade) is expected.
    const auto level = loaded.status().code() == Status::Code::kFailedPrecondition
                           ? spdlog::level::warn
                           : spdlog::level::err;
    spdlog::log(level,
                "checkpoint at journal seq {} cannot be read: {}; replaying the whole journal",
                h.journal_seq, LogSafe(loaded.status().ToString()));
    return Nothing();
  }
  auto engine = engine::Engine::Restore(settings.engine, std::move(loaded->network),
                                        std::move(loaded->engine));
  if (!engine.ok()) {
    spdlog::error("checkpoint at journal seq {} does not fit: {}; replaying the whole journal",
                  h.journal_seq, LogSafe(engine.status().ToString()));
    return Nothing();
  }
  // The incident book and the footprints must fit this configuration.
  std::vector<std::string> names;
  for (const auto& t : settings.engine.risk_types) names.push_back(t.name);
  engine::IncidentBook book(settings.incidents.options, std::move(names),
                            engine::EmergencyPlans(settings.incidents.plans));
  FootprintTracker footprints(settings.timing.step_ns);
  Status fits = book.Restore(loaded->daemon.incidents, (*engine)->network().node_slots());
  if (fits.ok()) fits = footprints.Restore(loaded->daemon.footprints, **engine);
  if (!fits.ok()) {
    spdlog::error("checkpoint at journal seq {} does not fit: {}; replaying the whole journal",
                  h.journal_seq, LogSafe(fits.ToString()));
    return Nothing();
  }
  spdlog::info(
      "restored the checkpoint at journal seq {} ({:.1f} MB) in {:.1f} ms", h.journal_seq,
      static_cast<double>(h.bytes) / 1e6,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return std::optional<RestoredEngine>(RestoredEngine{
      std::move(*engine), loaded->header, loaded->manual_clock_ns, std::move(loaded->daemon)});
}

std::unique_ptr<connectors::CheckpointStore> RecoverCheckpointStore(const std::string& database,
                                                                    const Status& error) {
  namespace fs = std::filesystem;
  const std::string path = connectors::CheckpointStore::PathFor(database);
  if (error.code() != Status::Code::kCorruption) {
    spdlog::error(
        "checkpoint file {} cannot be used now ({}): left as it is; this run replays the "
        "whole journal and writes no checkpoints",
        LogSafe(path), LogSafe(error.ToString()));
    return nullptr;
  }
  // A name no earlier move took: the first damaged file may be the one
  // worth looking at.
  const std::string base = path + ".damaged-" +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
  std::string aside = base;
  std::error_code ec;
  for (int n = 1; fs::exists(aside, ec) || fs::exists(aside + "-wal", ec); ++n) {
    aside = base + "." + std::to_string(n);
  }
  std::vector<std::string> moved;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = path + suffix;
    if (!fs::exists(from, ec)) continue;
    fs::rename(from, aside + suffix, ec);
    if (ec) {
      spdlog::error(
          "checkpoint file {} is damaged ({}), and moving {} to {} failed: {} (moved before "
          "it: {}); this run replays the whole journal and writes no checkpoints",
          LogSafe(path), LogSafe(error.ToString()), LogSafe(from), LogSafe(aside + suffix),
          ec.message(),
          moved.empty() ? "nothing" : LogSafe(fmt::format("{}", fmt::join(moved, ", "))));
      return nullptr;
    }
    moved.push_back(from + " to " + aside + suffix);
  }
  spdlog::error("checkpoint file {} is damaged ({}): moved it to {}", LogSafe(path),
                LogSafe(error.ToString()), LogSafe(aside));
  auto fresh = connectors::CheckpointStore::Open(database);
  if (!fresh.ok()) {
    spdlog::error(
        "cannot create a new checkpoint file {} ({}): this run replays the whole journal and "
        "writes no checkpoints",
        LogSafe(path), LogSafe(fresh.status().ToString()));
    return nullptr;
  }
  return std::move(*fresh);
}

}  // namespace riskd::daemon
