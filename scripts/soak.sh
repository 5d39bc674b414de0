#!/usr/bin/env bash
# Soak test: a release build under mixed load from many clients on PostgreSQL + S3 (all on
# 127.0.0.1), then reconcile and a memory check. Stops by itself.
#   scripts/soak.sh [MINUTES] [CLIENTS]      (defaults 10 and 32)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mediadesk
exec bash scripts/test.sh --with-services python3 scripts/soak.py --minutes "${1:-10}" --clients "${2:-32}"
