#!/bin/sh
# systemd-analyze verify of systemd/riskd.service, with ExecStart pointing at
# the riskd just built (verify checks that the binary exists).
#   tests/systemd_verify.sh UNIT RISKD_BINARY
set -eu
unit=$1
riskd=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/bin/riskd#$riskd#g" "$unit" > "$dir/riskd.service"
out=$(systemd-analyze verify "$dir/riskd.service" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some warnings; treat any line about the unit as a failure.
if echo "$out" | grep -q "riskd.service"; then echo "$out"; exit 1; fi
echo "systemd-analyze verify: riskd.service OK"
