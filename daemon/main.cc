// riskd: the supply-chain risk daemon. Usage (riskd --help):
//   riskd --config FILE [--check-config] [--reimport-network] [--accept-broken-journal]
// Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP re-reads the config file
// and applies the keys that reload live (docs/configuration.md). Under
// systemd (Type=notify) it reports READY=1 once every endpoint is bound,
// RELOADING=1/READY=1 around a reload, STATUS= with counts, pings the
// watchdog, extends the start timeout while a long replay progresses, and
// reports STOPPING=1 on the way out (daemon/service_notifier.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "connectors/codec/protobuf_log.h"
#include "daemon/config_check.h"
#include "daemon/daemon.h"
#include "daemon/log_text.h"
#include "daemon/service_notifier.h"
#include "daemon/settings.h"
#include "tools/common/command_line.h"

#ifdef RISKD_HAVE_SYSTEMD
#include <spdlog/sinks/systemd_sink.h>
#endif

namespace {

// The only state signal handlers touch (Mosquitto style): the main loop
// polls them.
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_reload_signal = 0;

void OnStop(int) { g_stop_signal = 1; }
void OnReload(int) { g_reload_signal = 1; }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = OnReload;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
}

void SetupLogging(const std::string& level) {
#ifdef RISKD_HAVE_SYSTEMD
  // Under systemd, stderr is already the journal; the journald sink adds
  // priorities and structured fields.
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "riskd", std::make_shared<spdlog::sinks::systemd_sink_mt>("riskd")));
  }
#endif
  spdlog::set_level(spdlog::level::from_str(level));
}

// STATUS= for systemctl status: what an operator checks first.
std::string StatusLine(const riskd::v1::DaemonStatus& s) {
  return "STATUS=journal seq " + std::to_string(s.journal_last_seq()) + ", applied " +
         std::to_string(s.engine_applied_seq()) + ", " + std::to_string(s.open_alerts()) +
         " open alert(s); since start " + std::to_string(s.accepted()) + " accepted, " +
         std::to_string(s.rejected()) + " rejected, " + std::to_string(s.queries()) + " queries" +
         (s.journal_chain_intact() ? "" : "; JOURNAL CHAIN BROKEN");
}

struct CommandLine {
  std::string config_path;
  bool check_only = false;
  bool accept_broken_journal = false;
  bool reimport_network = false;
};

std::optional<int> Parse(int argc, char** argv, CommandLine* cl) {
  CLI::App app{"riskd: real-time supply-chain risk monitoring daemon (docs/operations.md)",
               "riskd"};
  app.set_version_flag("--version", riskd::tools::VersionLine("riskd"));
  app.add_option("-c,--config", cl->config_path, "configuration file (protobuf text format)")
      ->required();
  app.add_flag("--check-config", cl->check_only,
               "check the configuration, its network source, feeds and addresses, then exit");
  app.add_flag(
      "--reimport-network", cl->reimport_network,
      "replace the stored base network by the configured source (after the source changed)");
  app.add_flag("--accept-broken-journal", cl->accept_broken_journal,
               "accept events even though the journal's hash chain is broken");
  return riskd::tools::ParseCommandLine(app, argc, argv);
}

int CheckOnly(const CommandLine& cl, const riskd::daemon::DaemonSettings& settings) {
  std::string summary;
  const auto st = riskd::daemon::CheckConfig(settings, &summary);
  if (!st.ok()) {
    std::cerr << "riskd: " << cl.config_path << ": " << st.ToString() << "\n";
    return 1;
  }
  std::cout << "riskd: config OK: " << summary << "\n";
  return 0;
}

// glibc's allocator gives each thread that allocates its own arena. The
// daemon's threads hand memory to each other (libzmq's I/O threads allocate
// the messages the ingest thread frees, the engine thread the publications
// the publisher sends), so freed memory piles up in arenas it never goes
// back from: the soak (bench/daemon/soak_bench) grew the process by 140 MB
// in two minutes with a heap of under 100 MB. Two arenas, and the free
// pages handed back to the kernel once a minute, keep the resident size
// near the heap.
//
// Blocks of 256 KiB and more (the per-node and per-edge arrays of a
// projection, its plan and its Monte Carlo check, and the plan's forests)
// are mapped on their own and unmapped when freed. glibc's default
// threshold grows to the largest block freed (up to 32 MiB), after which
// such arrays come from the arena: the plan's and the check's vectors,
// grown by doubling and freed in another order than allocated, then left
// free pages between live ones that the next transient could not reuse:
// the plan added 16 MB of RSS for 12.5 MB of heap. One daemon on the
// benchmark's network, VmHWM after the hub's disruption, its plan and its
// check: ~1 MB lower with 256 KiB than with 1 MiB, and the plan's peak
// 3.5 MB lower with 1 MiB than with the default (bench/README.md "`dmpws`
// branch").
constexpr int kMmapThreshold = 1 << 18;
void ConfigureAllocator() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
}
constexpr std::chrono::seconds kReleaseFreeMemoryEvery{60};

}  // namespace

int main(int argc, char** argv) {
  ConfigureAllocator();
  CommandLine cl;
  if (auto code = Parse(argc, argv, &cl)) return *code;
  auto settings = riskd::daemon::LoadSettings(cl.config_path);
  if (!settings.ok()) {
    std::cerr << "riskd: " << settings.status().ToString() << "\n";
    return 1;
  }
  if (cl.check_only) return CheckOnly(cl, *settings);
  settings->accept_broken_journal = cl.accept_broken_journal;
  settings->reimport_network = cl.reimport_network;
  SetupLogging(settings->log_level);
  // Malformed input must not make libprotobuf write to our log; its
  // messages become part of the rejection reason instead.
  riskd::connectors::CaptureProtobufLogs();
  InstallSignalHandlers();
  riskd::daemon::ServiceNotifier systemd;

  // Open store -> load network -> replay -> bind (Daemon::Start) ...
  auto daemon = riskd::daemon::Daemon::Start(
      std::move(*settings),
      [&](const std::string& what) {
        systemd.Notify("EXTEND_TIMEOUT_USEC=60000000\nSTATUS=starting: " + what);
      },
      [] { return g_stop_signal != 0; });
  if (!daemon.ok() && daemon.status().code() == riskd::Status::Code::kAborted && g_stop_signal) {
    // SIGTERM while starting: stopped before serving anything, as asked.
    spdlog::info("{}: stopped without serving", daemon.status().message());
    systemd.Notify("STOPPING=1");
    return 0;
  }
  if (!daemon.ok()) {
    spdlog::critical("cannot start: {}", daemon.status().ToString());
    return 1;
  }
  // A stable line on stdout whatever the log level: scripts and the test
  // harness read the bound endpoints (tcp://...:* wildcards) from it.
  std::printf("riskd ready: ingest %s publish %s%s%s\n", (*daemon)->ingest_endpoint().c_str(),
              (*daemon)->publish_endpoint().c_str(),
              (*daemon)->dashboard_url().empty() ? "" : " dashboard ",
              (*daemon)->dashboard_url().c_str());
  std::fflush(stdout);
  systemd.Notify("READY=1\n" + StatusLine((*daemon)->MakeStatus()));

  // ... -> serve -> drain.
  auto last_status = std::chrono::steady_clock::now();
  auto last_trim = last_status;
  (*daemon)->Serve([&] {
    const auto now = std::chrono::steady_clock::now();
    if (g_stop_signal) {
      g_stop_signal = 0;
      spdlog::info("stop requested: draining");
      systemd.Notify("STOPPING=1\nSTATUS=draining");
      (*daemon)->Stop();
    }
    if (g_reload_signal) {
      g_reload_signal = 0;
      systemd.Notify("RELOADING=1");
      auto result = (*daemon)->Reload(cl.config_path);
      if (result.ok()) {
        spdlog::info("config reloaded: {}", *result);
      } else {
        spdlog::error("reload refused, the running configuration stays: {}",
                      riskd::daemon::LogSafe(result.status().ToString(), 1024));
      }
      systemd.Notify("READY=1\n" + StatusLine((*daemon)->MakeStatus()));
    }
    if (now - last_status >= std::chrono::seconds(5)) {
      systemd.Notify(StatusLine((*daemon)->MakeStatus()));
      last_status = now;
    }
    if (now - last_trim >= kReleaseFreeMemoryEvery) {
      malloc_trim(0);
      last_trim = now;
    }
    systemd.KeepAlive(now);
  });
  spdlog::info("riskd stopped");
  return 0;
}
