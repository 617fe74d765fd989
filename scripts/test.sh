#!/usr/bin/env bash
# The README's test command (and what .ci/run calls). On a fresh Debian 12
# machine (root): installs the packages, builds riskd with warnings as errors
# and runs the whole test suite, then builds and runs it again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test.sh [--no-sanitize] [-- extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=1
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sanitize) sanitize=0 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: $0 [--no-sanitize] [-- ctest args]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/install-deps.sh
jobs=$(nproc)

run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" > /dev/null
  ninja -C "$dir" --quiet -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "${ctest_args[@]}")
}

# Release (-O3), the build users run, with the tests on: GCC's optimizer-only
# warnings (-Wmaybe-uninitialized and friends) are errors here too.
echo "== riskd tests (Release)"
run_suite build-test -DCMAKE_BUILD_TYPE=Release

if [ $sanitize -eq 1 ]; then
  echo "== riskd tests under ASan + UBSan"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DRISKD_SANITIZE=ON -DRISKD_BUILD_BENCH=OFF
fi
echo "== all tests passed"
