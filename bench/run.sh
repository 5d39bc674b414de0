#!/usr/bin/env bash
# Mediadesk's benchmarks, end to end from a fresh clone: installs the comparison tools
# (libvips-tools, ffmpeg, hyperfine from Debian; oha from crates.io) and what the servers need
# (PostgreSQL, s3s-fs), builds the release binary, generates the inputs, runs every benchmark
# on 127.0.0.1 and prints a table of medians, ratios and targets (also written to
# target/bench/results.md). About 17 minutes on 2 cores the first time, 7 after; stops what it started.
#
#   bench/run.sh            everything
#   bench/run.sh media      thumbnails, probes, waveforms only
#   bench/run.sh upload     uploads only
#   bench/run.sh gallery    gallery only
#   bench/run.sh zip        ZIP download of 1.1 GB only
#   bench/run.sh edit       a change to a whole view of 5 000 items, a delete, a turn
#   bench/run.sh turn       a selection of 40 files turned only (JPEG, PNG, GIF, WebP)
#   bench/run.sh crop       one file at a time cropped, against the same turned (JPEG, PNG, GIF, WebP)
#   BENCH_BIN=path bench/run.sh …   measure that binary (say, an earlier commit's) instead
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
. scripts/services.sh

OHA_VERSION=1.16.0
need_apt=()
command -v vipsthumbnail >/dev/null || need_apt+=(libvips-tools)
command -v ffprobe >/dev/null || need_apt+=(ffmpeg)
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/convert ] || need_apt+=(imagemagick)  # make-inputs.sh runs /usr/bin/convert
command -v cwebp >/dev/null || need_apt+=(webp)
command -v sox >/dev/null || need_apt+=(sox libsox-fmt-mp3)
command -v lame >/dev/null || need_apt+=(lame)
command -v flac >/dev/null || need_apt+=(flac)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v curl >/dev/null || need_apt+=(curl)
command -v taskset >/dev/null || need_apt+=(util-linux)
# Only for the reference build in bench/jpeg-decoders (libjpeg-turbo 3 with SIMD); Mediadesk's
# own build needs neither.
command -v cmake >/dev/null || need_apt+=(cmake)
command -v nasm >/dev/null || need_apt+=(nasm)
[ ${#need_apt[@]} -eq 0 ] || apt_install "${need_apt[@]}"
if ! command -v oha >/dev/null; then
  say "installing oha $OHA_VERSION (HTTP load generator, ~5 min)"
  cargo install oha --version "$OHA_VERSION" --locked --quiet
fi
command -v oha >/dev/null || export PATH="$HOME/.cargo/bin:$PATH"
install_service_deps

# BENCH_BIN=path measures that binary instead of building this tree (e.g. an earlier commit's).
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  say "building the release binary"
  cargo build --release --locked --quiet
  BIN="$PWD/target/release/mediadesk"
fi

OUT="$PWD/target/bench"
mkdir -p "$OUT"
say "generating inputs (kept in target/bench/inputs)"
bash bench/make-inputs.sh "$OUT/inputs" >/dev/null

WORK=$(mktemp -d /tmp/mediadesk-bench.XXXXXX)
cleanup() {
  status=$?
  stop_services
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM
start_services

export BENCH_BIN="$BIN" BENCH_OUT="$OUT" BENCH_WORK="$WORK" PGPORT PGSOCKET S3PORT S3KEY S3SECRET S3DIR
python3 bench/run.py "${1:-all}"

if [ "${1:-all}" = all ] || [ "${1:-all}" = media ]; then
  say "JPEG decoders side by side (bench/jpeg-decoders, decode only)"
  decoders=(cargo run --quiet --release --manifest-path bench/jpeg-decoders/Cargo.toml)
  {
    echo
    echo "**JPEG decoders** (decode only, 24 MP photo, median of 15; \`bench/jpeg-decoders\`)"
    echo
    CARGO_TARGET_DIR="$PWD/target/jpeg-decoders" "${decoders[@]}" -- "$OUT/inputs/photo-24mp.jpg"
    CARGO_TARGET_DIR="$PWD/target/jpeg-decoders-simd" "${decoders[@]}" --features simd -- "$OUT/inputs/photo-24mp.jpg" \
      | tail -n +3 | head -n 2
  } | tee -a "$OUT/results.md"
fi
