#!/usr/bin/env bash
# The README's demo command. On a fresh Debian 12 machine (root): installs the
# packages, builds riskd, riskctl and riskd-feed (Release), starts the daemon
# (config/demo/replay.conf: config/riskd.conf's real SupplyGraph network with
# illustrative site locations, SQLite under state/demo, loopback endpoints,
# the web dashboard, and a model clock the demo drives), replays a real
# disaster feed (GDACS orange alerts 2013-2016, data/gdacs/) in event time
# through the real ZeroMQ ingest: the clock walks through the archive day by
# day, each disaster lands on its day, and the demo prints the incidents
# each one opens (with their emergency plans and the few node alerts pushed
# under them, not a flood) and how they are restored and closed as the days
# pass. Then a few operator events, the open incidents, a duty officer
# acknowledging and assigning one, which suppliers are hit directly, which
# are warned and the immunization targets; then it stops the daemon
# cleanly. It prints the web dashboard's URL (http://127.0.0.1:7752/) as
# soon as the daemon is up: the page follows the replay live, in model
# time.
#
#   scripts/demo.sh [--keep-running]
set -euo pipefail
cd "$(dirname "$0")/.."

keep_running=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-running) keep_running=1 ;;
    *) echo "usage: $0 [--keep-running]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DRISKD_BUILD_TESTS=OFF -DRISKD_BUILD_BENCH=OFF > /dev/null
ninja -C build-release --quiet riskd riskctl riskd-feed

riskd=build-release/daemon/riskd
riskctl=build-release/tools/riskctl/riskctl
feed=build-release/tools/feed/riskd-feed
config=config/demo/replay.conf
ingest=tcp://127.0.0.1:7750
gdacs=data/gdacs/gdacs_rss_archive_orange_2012-2016.xml

# A fresh state directory each run, so the demo always tells the same story.
rm -rf state/demo
$riskd --config "$config" > state.demo.log 2>&1 &
daemon_pid=$!
trap 'kill -TERM $daemon_pid 2>/dev/null || true' EXIT

# Ready when it answers a query.
for _ in $(seq 1 200); do
  if $riskctl query --ack-timeout 0.2 projection > /dev/null 2>&1; then break; fi
  if ! kill -0 $daemon_pid 2>/dev/null; then cat state.demo.log; exit 1; fi
  sleep 0.1
done
grep -m1 "imported base network" state.demo.log | sed 's/.*\] /== riskd: /'
dashboard=$(grep -o -m1 'dashboard http://[^ ]*' state.demo.log | cut -d' ' -f2 || true)
if [ -n "$dashboard" ]; then
  echo "== Dashboard: $dashboard  (open it in a browser now; sign in with the demo token"
  echo "   riskd-demo-operator (user demo-operator, operator role: acknowledge, assign, close"
  echo "   incidents) or riskd-demo-admin (also protects nodes); scripts/demo.sh --keep-running"
  echo "   keeps it up afterwards)"
fi

published=$(mktemp)
events=$(mktemp)
$riskctl tail --json --timeout 600 > "$published" &
tail_pid=$!
sleep 0.5   # let the subscription reach the daemon

echo
echo "== Replaying a real disaster feed in event time: $gdacs"
echo "   riskd-feed turns it into envelopes; the model clock (clock.mode MODE_MANUAL)"
echo "   ticks through it day by day (scripts/demo_replay.py stream | riskctl send)"
$feed --adapter gdacs_rss --file "$gdacs" --dry-run > "$events"
{ python3 scripts/demo_replay.py stream < "$events" | $riskctl send --file - || true; } |
  awk '{n[$1]++} END {for (k in n) printf "   %s %d\n", k, n[k]}'
# A query is answered after every event before it is applied and projected
# (read-your-writes): then every publication has been sent.
$riskctl query projection > /dev/null
sleep 0.5
kill $tail_pid 2>/dev/null || true
wait $tail_pid 2>/dev/null || true

echo
echo "== What riskd published as the clock walked (model days: disasters, alerts"
echo "   raised and resolved as their windows passed, the network warning)"
python3 scripts/demo_replay.py story --publications "$published" --log state.demo.log \
  --events "$events"
rm -f "$published" "$events"

echo
echo "== Operator events (config/demo/scenario.jsonl) through riskctl, at the model clock"
$riskctl send --file config/demo/scenario.jsonl || true
echo
echo "== Incidents now (riskctl incident list): what an operations center acts on"
$riskctl incident list
incident=$($riskctl incident list --json | python3 scripts/demo_replay.py pick)
if [ -n "$incident" ]; then
  echo
  echo "== The duty officer takes the incident with the most value at risk, $incident"
  echo "   (riskctl incident ack / assign: operator actions, journaled like events)"
  $riskctl incident ack "$incident" --operator duty-officer --note "calling the site"
  $riskctl incident assign "$incident" supply-planning --operator duty-officer
  $riskctl incident show "$incident" --nodes 5
fi
echo
echo "== Hit directly, warned, and what to protect (riskctl query --text snapshot)"
$riskctl query --text snapshot
echo
echo "== Immunization targets for k=3 now (riskctl query --text plan 3)"
$riskctl query --text plan 3

echo
echo "== Journal check"
$riskctl verify-journal --db state/demo/riskd.db

if [ $keep_running -eq 1 ]; then
  trap - EXIT
  echo
  echo "riskd keeps running (pid $daemon_pid, log state.demo.log). Try:"
  [ -n "$dashboard" ] && echo "  open $dashboard in a browser      # the dashboard (operator token riskd-demo-operator, admin riskd-demo-admin)"
  echo "  $riskctl tail                   # follow alerts"
  echo "  $riskctl query --text snapshot  # current state"
  echo "  kill -TERM $daemon_pid          # drain and stop"
  exit 0
fi
kill -TERM $daemon_pid
wait $daemon_pid
trap - EXIT
echo
echo "riskd stopped cleanly (log: state.demo.log)"
