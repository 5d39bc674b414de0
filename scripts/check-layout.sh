#!/usr/bin/env bash
# The layer rule and the line width, checked: `src/web` names neither the database nor the
# store (it goes through the media and account services, or neutral modules); file analysis
# (`src/media/file`) names neither the database, the store nor the service around it; lower
# layers never name higher ones; no line in src/, tests/ or crates/ is wider than rustfmt's max_width
# (rustfmt leaves long strings and macro bodies alone, so it does not catch them itself).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
forbid() { # forbid DIR PATTERN WHY
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.rs' || true)
  if [ -n "$hits" ]; then
    printf '%s\n%s\n\n' "$3" "$hits" >&2
    fail=1
  fi
}
forbid src/web 'crate::(db|storage)\b' "src/web must not import crate::db or crate::storage:"
forbid src/media/file 'crate::(db|storage|auth|web|app|media::(service|upload|gallery|dto))\b|super::super' "src/media/file analyses bytes only:"
forbid src/db 'crate::(media|storage|auth|web|app|ops|cli)\b' "src/db must not import the layers above it:"
forbid src/storage 'crate::(db|media|auth|web|app|ops|cli)\b' "src/storage must not import the layers above it:"
forbid src/domain 'crate::' "src/domain is the shared vocabulary and imports nothing of the crate:"
forbid src/media 'crate::(web|auth|app|ops|cli)\b' "src/media must not import the layers above it:"
forbid src/auth 'crate::(web|media|app|ops|cli)\b' "src/auth must not import the layers above it:"
max=$(sed -n 's/^max_width *= *//p' rustfmt.toml)
long=$(find src tests crates -name '*.rs' -print0 | xargs -0 awk -v max="$max" 'length($0) > max { print FILENAME ":" FNR ": " length($0) " characters" }')
if [ -n "$long" ]; then
  printf 'lines wider than %s:\n%s\n' "$max" "$long" >&2
  fail=1
fi
[ "$fail" -eq 0 ] && echo "layout: layers call only down, no line over $max characters"
exit "$fail"
