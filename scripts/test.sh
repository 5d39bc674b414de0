#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, starts a throwaway
# PostgreSQL cluster, an S3 server that checks signatures (s3s-fs) and chromedriver (headless
# Chromium, for the browser tests) on 127.0.0.1, runs the lint gates and `cargo test` against
# both backends, and stops what it started. Browser screenshots land in target/e2e-screenshots.
# A missing dependency fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/services.sh
. scripts/services.sh

TUSPY_VERSION=1.1.0
STANDARDWEBHOOKS_VERSION=1.3.0
OPENAPI_SPEC_VALIDATOR_VERSION=0.7.1
JSONSCHEMA_VERSION=4.26.0
OIDC_PROVIDER_VERSION=8.8.1

# ---- dependencies -----------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo is required (https://rustup.rs)"
install_service_deps
[ -x /usr/bin/chromedriver ] || apt_install chromium chromium-driver
# Independent judges the harvest tests write real tags with.
need=()
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
command -v id3v2 >/dev/null || need+=(id3v2)
command -v metaflac >/dev/null || need+=(flac)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v unzip >/dev/null || need+=(unzip)
# Chromaprint's own fpcalc judges the sound prints.
command -v fpcalc >/dev/null || need+=(libchromaprint-tools)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
for t in exiftool id3v2 metaflac ffmpeg unzip fpcalc; do command -v "$t" >/dev/null || die "$t is required for the tests"; done
[ -x /usr/bin/chromedriver ] && [ -x /usr/bin/chromium ] || die "chromium and chromedriver are required for the browser tests"

# ---- services ---------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/mediadesk-test.XXXXXX)
DRIVERPID=""
cleanup() {
  status=$?
  stop_services
  if [ -n "$DRIVERPID" ]; then kill "$DRIVERPID" 2>/dev/null || true; wait "$DRIVERPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM
PG_ON_RAM=1 # the cluster's files in /dev/shm when it has room (scripts/services.sh says why)
start_services

DRIVERPORT=$(free_port)
say "starting chromedriver on 127.0.0.1:$DRIVERPORT"
/usr/bin/chromedriver --port="$DRIVERPORT" --allowed-ips=127.0.0.1 >"$WORK/chromedriver.log" 2>&1 &
DRIVERPID=$!
wait_for "$DRIVERPID" "$WORK/chromedriver.log" "chromedriver" "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$DRIVERPORT/status', timeout=0.5)"
python3 -c "import json, urllib.request; assert json.load(urllib.request.urlopen('http://127.0.0.1:$DRIVERPORT/status', timeout=2))['value']['ready']" \
  || { cat "$WORK/chromedriver.log"; die "chromedriver did not start"; }

export MEDIADESK_TEST_PG_URL="postgres://postgres@127.0.0.1:$PGPORT"
export MEDIADESK_TEST_PG_SOCKET="$PGSOCKET"
export MEDIADESK_TEST_S3_ENDPOINT="http://127.0.0.1:$S3PORT"
export MEDIADESK_TEST_S3_ACCESS_KEY="$S3KEY"
export MEDIADESK_TEST_S3_SECRET_KEY="$S3SECRET"
export MEDIADESK_TEST_S3_DIR="$S3DIR"

# `scripts/test.sh --with-services CMD…` runs CMD against these services instead of the suite
# (the soak script uses it), then stops them as usual.
if [ "${1:-}" = "--with-services" ]; then
  shift
  "$@"
  exit
fi
# tuspy: an independent tus client the resumable-upload tests hand a file to; standardwebhooks:
# the Standard Webhooks reference library, which checks the signatures of the webhooks received;
# openapi-spec-validator and jsonschema: judges of the API's OpenAPI document and its answers.
TUSPY="$PWD/target/test-tools/tuspy-$TUSPY_VERSION"
PY_IMPORTS="import tusclient, standardwebhooks, openapi_spec_validator, jsonschema"
if ! "$TUSPY/bin/python" -c "$PY_IMPORTS" 2>/dev/null; then
  python3 -c "import venv, ensurepip" 2>/dev/null || apt_install python3-venv
  say "installing tuspy $TUSPY_VERSION, standardwebhooks $STANDARDWEBHOOKS_VERSION and" \
    "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (for the tests)"
  rm -rf "$TUSPY" && python3 -m venv "$TUSPY" \
    && "$TUSPY/bin/pip" install -q "tuspy==$TUSPY_VERSION" "standardwebhooks==$STANDARDWEBHOOKS_VERSION" \
      "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" "jsonschema==$JSONSCHEMA_VERSION"
fi
"$TUSPY/bin/python" -c "$PY_IMPORTS" \
  || die "tuspy, standardwebhooks, openapi-spec-validator and jsonschema are required by the tests"
export MEDIADESK_TEST_PYTHON="$TUSPY/bin/python"
# oidc-provider (panva's, OpenID Certified): the real OpenID Connect provider the single
# sign-on tests sign in at; 8.x runs on Debian's node 18 as well as later ones.
OIDC="$PWD/target/test-tools/oidc-provider-$OIDC_PROVIDER_VERSION"
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
if [ ! -f "$OIDC/node_modules/oidc-provider/lib/index.js" ]; then
  say "installing oidc-provider $OIDC_PROVIDER_VERSION (for the tests)"
  rm -rf "$OIDC" && mkdir -p "$OIDC" \
    && npm install --prefix "$OIDC" --silent --no-audit --no-fund "oidc-provider@$OIDC_PROVIDER_VERSION"
fi
node -e "import('$OIDC/node_modules/oidc-provider/lib/index.js').then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })" \
  || die "node and oidc-provider are required by the single sign-on tests"
export MEDIADESK_TEST_OIDC_PROVIDER="$OIDC"
export MEDIADESK_TEST_WEBDRIVER="http://127.0.0.1:$DRIVERPORT"
export MEDIADESK_TEST_ARTIFACTS="$PWD/target/e2e-screenshots"

# ---- gates and tests --------------------------------------------------------------------
# The build must need nothing beyond the Rust toolchain and a C compiler. Every cargo command
# below runs with cmake, nasm, yasm and pkg-config shadowed by stubs that fail and leave a
# record; on a clean clone every build script runs under them, and any record fails the run.
STUBS="$WORK/no-build-tools"
mkdir -p "$STUBS"
for tool in cmake nasm yasm pkg-config pkgconf; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/called"\necho "%s is not available: Mediadesk must build with a C compiler alone" >&2\nexit 127\n' \
    "$tool" "$STUBS" "$tool" > "$STUBS/$tool"
  chmod +x "$STUBS/$tool"
done
export PATH="$STUBS:$PATH"
check_build_tools() {
  if [ -s "$STUBS/called" ]; then
    cat "$STUBS/called" >&2
    die "the build ran a tool beyond the C compiler (listed above)"
  fi
}
# A CI run builds a clean clone once: incremental compilation's caches would only cost time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
say "deployment files (hadolint, compose.yaml)"
bash scripts/lint-deploy.sh
say "cargo fmt --check"
cargo fmt --all -- --check
say "layers and line width (scripts/check-layout.sh)"
bash scripts/check-layout.sh
if [ -n "${CI:-}" ]; then
  # A clean build lints as it compiles: clippy-driver in the place of rustc for the workspace's
  # own crates (what `cargo clippy` does, with the same lints and `-D warnings`) saves a second
  # pass over every dependency. Locally the separate pass stays: it is incremental, and the
  # wrapper is part of the crates' fingerprints, so a plain `cargo test` would rebuild them.
  CLIPPY_DRIVER=$(command -v clippy-driver) || die "clippy-driver is required (rustup component add clippy)"
  export RUSTC_WORKSPACE_WRAPPER="$CLIPPY_DRIVER" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  say "cargo clippy --workspace --all-targets -- -D warnings, in the test build below (clippy-driver)"
else
  say "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  check_build_tools
fi
say "cargo test --workspace (SQLite + local folder, and PostgreSQL + S3; the loudness and decimate crates' own tests)"
# A failing test's message names its line; a backtrace's frames after it would push the message
# out of the tail of the log that a CI summary shows.
RUST_BACKTRACE=0 cargo test --workspace --all-targets "$@"
check_build_tools
