#!/usr/bin/env bash
# Installs every Debian 12 package riskd needs to build, test, benchmark and
# run its demo. Idempotent: skips apt entirely when everything is present.
# Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries
  libzmq3-dev cppzmq-dev libsodium-dev libprotobuf-dev protobuf-compiler
  libeigen3-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libsystemd-dev
  libcurl4-openssl-dev prometheus-cpp-dev libexpat1-dev nlohmann-json3-dev
  libcli11-dev libnats-dev libssl-dev
  # the dashboard's HTTP server (the civetweb prometheus-cpp also links)
  libcivetweb-dev civetweb
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libigraph-dev
  python3 python3-zmq python3-protobuf python3-networkx
  # the dashboard's browser test: Debian's chromium, driven by playwright-core
  # from npm (never a downloaded browser); a font for its text
  chromium fonts-dejavu-core
  # real servers for integration tests (run on loopback by the tests)
  prometheus prometheus-alertmanager nats-server
  # systemd-analyze verify of the unit file
  systemd
  # sanitizers (clang runtime for libFuzzer and LSan)
  clang libclang-rt-14-dev
  # the source format check (scripts/check-format.sh), pinned to 14
  clang-format-14
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The dashboard's front end is built with Node.js and npm (dashboard/build.sh,
# packages from the npm registry pinned by dashboard/package-lock.json).
# Debian 12's nodejs (18) and npm do; a newer node already on the machine
# does too, so Debian's are installed only when there is none.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
