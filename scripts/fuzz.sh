#!/usr/bin/env bash
# libFuzzer campaigns of every parser that reads outside input (clang,
# ASan + UBSan; tests/fuzz/CMakeLists.txt lists the targets):
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [TARGET...]
#
# Builds build-fuzz/, writes each target's seed corpus (data/, the demo
# configuration, tests/fuzz/seeds/) and runs each target for N seconds
# (default 300), J at a time (default 1). Inputs that grow coverage are kept
# in build-fuzz/corpus/<target>/ between runs; a crash, leak, sanitizer
# report, invariant violation or timeout stops that target, leaves the input
# in build-fuzz/crashes/ and makes the script exit 1. .ci/run (through
# scripts/test.sh) runs every target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    -*) echo "usage: $0 [--seconds N] [--jobs J] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
ALL_TARGETS=(envelope_fuzzer usgs_geojson_fuzzer gdacs_rss_fuzzer nws_cap_fuzzer scms_csv_fuzzer
             csv_importer_fuzzer willems_importer_fuzzer supplygraph_importer_fuzzer
             bea_io_importer_fuzzer config_fuzzer)
if [ ${#targets[@]} -eq 0 ]; then targets=("${ALL_TARGETS[@]}"); fi

./scripts/install-deps.sh
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRISKD_FUZZ=ON -DRISKD_SANITIZE=ON -DRISKD_BUILD_TESTS=OFF -DRISKD_BUILD_BENCH=OFF \
  "${launcher[@]}" > /dev/null
ninja -C build-fuzz --quiet riskd_fuzzers

rm -rf build-fuzz/seeds
build-fuzz/tests/fuzz/fuzz_seed_corpus . build-fuzz/seeds
mkdir -p build-fuzz/crashes build-fuzz/logs

# detect_leaks: a leak is a finding too. The parsers' own allocations are
# freed per input; the targets' fixtures live for the whole process.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {
  local t=$1
  mkdir -p "build-fuzz/corpus/$t"
  local seeds="build-fuzz/seeds/$t"
  mkdir -p "$seeds"
  # -timeout: one input taking 10 s is a finding (a parser that hangs);
  # -rss_limit_mb: one that needs 2 GB is one too.
  if "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t-" \
      "build-fuzz/corpus/$t" "$seeds" > "build-fuzz/logs/$t.log" 2>&1; then
    echo "fuzz: $t ok: $(grep -E '^stat::number_of_executed_units' "build-fuzz/logs/$t.log" | awk '{print $2}') inputs in ${seconds} s, corpus $(ls "build-fuzz/corpus/$t" | wc -l)"
  else
    echo "fuzz: $t FAILED (build-fuzz/logs/$t.log):"
    grep -E 'ERROR|invariant violated|runtime error|SUMMARY|Test unit written' "build-fuzz/logs/$t.log" | head -20
    return 1
  fi
}

status=0
running=0
pids=()
names=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
    running=$((running - 1))
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
