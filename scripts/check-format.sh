#!/usr/bin/env bash
# Checks that every C, C++ and proto source tracked by git is formatted as
# .clang-format says (Google style, 100 columns). Run by scripts/test.sh
# before anything is built; `scripts/check-format.sh --fix` reformats in place.
#
# Pinned to clang-format 14 (Debian 12's): another version can format the
# same file differently.
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=$(command -v clang-format-14 || true)
if [ -z "$clang_format" ]; then
  echo "check-format: clang-format-14 not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.c' '*.cc' '*.h' '*.proto')
if [ "${1:-}" = "--fix" ]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
  echo "check-format: the files above are not formatted; run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
