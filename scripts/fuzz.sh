#!/usr/bin/env bash
# Open-ended fuzzing of the bad-input path with libFuzzer (clang, ASan+UBSan):
#   scripts/fuzz.sh [seconds]   (default 300)
# Crashing inputs land in build-fuzz/crashes/; the test suite runs a bounded,
# deterministic campaign of the same target on every build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
seconds=${1:-300}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DRISKD_FUZZ=ON -DRISKD_SANITIZE=ON -DRISKD_BUILD_BENCH=OFF > /dev/null
ninja -C build-fuzz envelope_fuzzer
mkdir -p build-fuzz/corpus build-fuzz/crashes
build-fuzz/tests/fuzz/envelope_fuzzer -max_total_time="$seconds" -artifact_prefix=build-fuzz/crashes/ build-fuzz/corpus
