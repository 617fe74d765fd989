#!/usr/bin/env bash
# The README's demo command. On a fresh Debian 12 machine (root): installs the
# packages, builds riskd and riskctl (Release), starts the daemon on its
# embedded default (config/riskd.conf: SQLite under state/demo, the bundled
# demo network, loopback endpoints), replays config/demo/scenario.jsonl
# through the real ZeroMQ ingest, prints the alerts that come out, and stops
# the daemon cleanly.
#
#   scripts/demo.sh [--keep-running] [--scenario FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

keep_running=0
scenario=config/demo/scenario.jsonl
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-running) keep_running=1 ;;
    --scenario) scenario="$2"; shift ;;
    *) echo "usage: $0 [--keep-running] [--scenario FILE]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DRISKD_BUILD_TESTS=OFF -DRISKD_BUILD_BENCH=OFF > /dev/null
ninja -C build-release --quiet riskd riskctl

riskd=build-release/daemon/riskd
riskctl=build-release/tools/riskctl/riskctl
config=config/riskd.conf

# A fresh state directory each run, so the demo always tells the same story.
rm -rf state/demo
$riskd --config "$config" > state.demo.log 2>&1 &
daemon_pid=$!
trap 'kill -TERM $daemon_pid 2>/dev/null || true' EXIT

# Ready when it answers a query.
for _ in $(seq 1 100); do
  if $riskctl query --ack-timeout 0.2 projection > /dev/null 2>&1; then break; fi
  if ! kill -0 $daemon_pid 2>/dev/null; then cat state.demo.log; exit 1; fi
  sleep 0.1
done

alerts=$(mktemp)
$riskctl tail --timeout 4 > "$alerts" &
tail_pid=$!
sleep 0.5   # let the subscription reach the daemon

echo "== Replaying $scenario into riskd's ingest (ZeroMQ ROUTER, tcp://127.0.0.1:7750)"
$riskctl send --file "$scenario" || true
wait $tail_pid || true

echo
echo "== What riskd published (ZeroMQ PUB, tcp://127.0.0.1:7751)"
cat "$alerts"
rm -f "$alerts"

echo
echo "== Journal check"
$riskctl verify-journal --db state/demo/riskd.db

if [ $keep_running -eq 1 ]; then
  trap - EXIT
  echo
  echo "riskd keeps running (pid $daemon_pid, log state.demo.log). Try:"
  echo "  $riskctl tail            # follow alerts"
  echo "  $riskctl query snapshot  # current state"
  echo "  kill -TERM $daemon_pid   # drain and stop"
  exit 0
fi
kill -TERM $daemon_pid
wait $daemon_pid
trap - EXIT
echo
echo "riskd stopped cleanly (log: state.demo.log)"
