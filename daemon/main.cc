// riskd: the supply-chain risk daemon. Usage (riskd --help):
//   riskd --config FILE [--check-config] [--accept-broken-journal]
// Signals: SIGTERM/SIGINT drain and exit; SIGHUP re-reads the config file and
// applies what can change at run time (log level). Under systemd
// (Type=notify) it reports READY=1 once every endpoint is bound, pings the
// watchdog and reports STOPPING=1 on the way out.
#include <spdlog/spdlog.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "connectors/codec/protobuf_log.h"
#include "daemon/config_check.h"
#include "daemon/daemon.h"
#include "daemon/settings.h"
#include "tools/common/command_line.h"

#ifdef RISKD_HAVE_SYSTEMD
#include <spdlog/sinks/systemd_sink.h>
#include <systemd/sd-daemon.h>
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

void Notify(const char* state) {
#ifdef RISKD_HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
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

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  bool accept_broken_journal = false;
  CLI::App app{"riskd: real-time supply-chain risk monitoring daemon (docs/operations.md)", "riskd"};
  app.set_version_flag("--version", riskd::tools::VersionLine("riskd"));
  app.add_option("-c,--config", config_path, "configuration file (protobuf text format)")->required();
  app.add_flag("--check-config", check_only,
               "check the configuration, its network source, feeds and addresses, then exit");
  app.add_flag("--accept-broken-journal", accept_broken_journal,
               "accept events even though the journal's hash chain is broken");
  bool reimport_network = false;
  app.add_flag("--reimport-network", reimport_network,
               "replace the stored base network by the configured source (after the source changed)");
  if (auto code = riskd::tools::ParseCommandLine(app, argc, argv)) return *code;

  auto settings = riskd::daemon::LoadSettings(config_path);
  if (!settings.ok()) {
    std::cerr << "riskd: " << settings.status().ToString() << "\n";
    return 1;
  }
  if (check_only) {
    std::string summary;
    const auto st = riskd::daemon::CheckConfig(*settings, &summary);
    if (!st.ok()) {
      std::cerr << "riskd: " << config_path << ": " << st.ToString() << "\n";
      return 1;
    }
    std::cout << "riskd: config OK: " << summary << "\n";
    return 0;
  }
  settings->accept_broken_journal = accept_broken_journal;
  settings->reimport_network = reimport_network;
  SetupLogging(settings->log_level);
  // Malformed input must not make libprotobuf write to our log; its
  // messages become part of the rejection reason instead.
  riskd::connectors::CaptureProtobufLogs();
  InstallSignalHandlers();

  auto daemon = riskd::daemon::Daemon::Start(std::move(*settings));
  if (!daemon.ok()) {
    spdlog::critical("cannot start: {}", daemon.status().ToString());
    return 1;
  }
  // A stable line on stdout whatever the log level: scripts and the test
  // harness read the bound endpoints (tcp://...:* wildcards) from it.
  std::printf("riskd ready: ingest %s publish %s\n", (*daemon)->ingest_endpoint().c_str(),
              (*daemon)->publish_endpoint().c_str());
  std::fflush(stdout);
  Notify("READY=1");

  std::uint64_t watchdog_usec = 0;
#ifdef RISKD_HAVE_SYSTEMD
  if (sd_watchdog_enabled(0, &watchdog_usec) <= 0) watchdog_usec = 0;
#endif
  auto last_ping = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  (*daemon)->Run(&stop, [&] {
    if (g_stop_signal) {
      spdlog::info("stop requested: draining");
      Notify("STOPPING=1");
      stop = true;
    }
    if (g_reload_signal) {
      g_reload_signal = 0;
      auto fresh = riskd::daemon::LoadSettings(config_path);
      if (!fresh.ok()) {
        spdlog::error("reload failed, keeping the running config: {}", fresh.status().ToString());
      } else {
        spdlog::set_level(spdlog::level::from_str(fresh->log_level));
        spdlog::info("config reloaded (log level {}); other changes need a restart",
                     fresh->log_level);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (watchdog_usec > 0 &&
        now - last_ping >= std::chrono::microseconds(watchdog_usec / 2)) {
      Notify("WATCHDOG=1");
      last_ping = now;
    }
  });
  spdlog::info("riskd stopped");
  return 0;
}
