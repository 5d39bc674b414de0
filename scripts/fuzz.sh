#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each). Not part of CI's default path:
# cargo-fuzz needs a nightly toolchain and a full sanitizer build (about 6 minutes on 2 cores).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
rustup toolchain list | grep -q nightly || { echo "fuzz.sh: a nightly toolchain is required (rustup toolchain install nightly)" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Seed each corpus with the real fixtures so the fuzzer starts from valid files.
for t in sniff probe_image probe_audio turn; do
  mkdir -p "fuzz/corpus/$t"
  cp tests/fixtures/*.{jpg,png,gif,webp,mp3,wav,flac,m4a} "fuzz/corpus/$t/" 2>/dev/null || true
done
# Every target runs even if an earlier one finds something; the script fails at the end.
mkdir -p target/fuzz-logs
failed=()
for t in sniff probe_image probe_audio waveform turn; do
  echo "==> $t for ${SECS}s (log: target/fuzz-logs/$t.log)"
  if cargo +nightly fuzz run "$t" -- -max_total_time="$SECS" -rss_limit_mb=1024 -timeout=20 \
    >"target/fuzz-logs/$t.log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "target/fuzz-logs/$t.log" || tail -n 2 "target/fuzz-logs/$t.log"
  else
    failed+=("$t")
    grep -m 3 -E 'panicked at|ERROR: libFuzzer|attempt to|Test unit written to' "target/fuzz-logs/$t.log" || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]} (inputs in fuzz/artifacts/, reproduce with: cargo +nightly fuzz run TARGET FILE)" >&2
  exit 1
fi
