#!/usr/bin/env bash
# Lists the functions of daemon/ and connectors/ (tests excluded) longer than
# a limit (default 80 lines, issue 17), longest first: "lines file:line name",
# then "(kept: ...)" if a comment just above says "Long on purpose". A long
# function should either be split into named steps or say in such a comment
# why it stays long. Uses Universal Ctags (start and end lines).
#   scripts/long-functions.sh [limit] [dirs...]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-80}
shift || true
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(daemon connectors)
mapfile -t files < <(git ls-files "${dirs[@]/%//*.cc}" | grep -v '_test\.cc$')
ctags --c++-kinds=f --fields=+ne -o - "${files[@]}" |
  awk -F'\t' -v limit="$limit" '{
    line = ""; end = ""
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
    }
    if (line != "" && end != "" && end - line + 1 > limit)
      printf "%d %s:%d %s\n", end - line + 1, $2, line, $1
  }' | sort -rn |
  while read -r lines where name; do
    file=${where%:*} line=${where#*:}
    if sed -n "$((line > 4 ? line - 4 : 1)),$((line - 1))p" "$file" | grep -q 'Long on purpose'; then
      echo "$lines $where $name (kept: says why)"
    else
      echo "$lines $where $name"
    fi
  done
