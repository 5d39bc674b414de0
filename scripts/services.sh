# Sourced by scripts/test.sh and bench/run.sh: installs (if missing) and starts, on 127.0.0.1
# only, a throwaway PostgreSQL cluster and an S3 server that checks signatures (s3s-fs), and
# stops them again. Callers set WORK (a scratch folder) and call stop_services on exit.

S3S_VERSION=0.14.1
# Each step says when it starts (seconds since the script began), so a log shows where the time went.
say() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  say "installing $*"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# wait_for PID LOG NAME PYTHON_CHECK: up to 10 s for the check to pass; dies if the process exits.
wait_for() {
  for _ in $(seq 100); do
    python3 -c "$4" 2>/dev/null && return 0
    kill -0 "$1" 2>/dev/null || { cat "$2"; die "$3 exited"; }
    sleep 0.1
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

install_service_deps() {
  command -v python3 >/dev/null || apt_install python3
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found after install"
  if ! command -v s3s-fs >/dev/null; then
    say "installing s3s-fs $S3S_VERSION (S3 test server, ~2 min)"
    cargo install s3s-fs --version "$S3S_VERSION" --features binary --locked --quiet
  fi
  command -v s3s-fs >/dev/null || export PATH="$HOME/.cargo/bin:$PATH"
  command -v s3s-fs >/dev/null || die "s3s-fs not on PATH after install"
}

S3PID=""
PG_STARTED=""
PG_RAM_DIR=""
stop_services() {
  if [ -n "$S3PID" ]; then kill "$S3PID" 2>/dev/null || true; wait "$S3PID" 2>/dev/null || true; fi
  if [ -n "$PG_STARTED" ]; then as_pg "$PGBIN/pg_ctl -D $PGDATA -m immediate stop" >/dev/null 2>&1 || true; fi
  if [ -n "$PG_RAM_DIR" ]; then rm -rf "$PG_RAM_DIR"; fi
}

# With PG_ON_RAM set (the tests set it), the cluster's files go to /dev/shm when it is a tmpfs
# with 4 GiB free: every test database is a CREATE DATABASE of some thousand files and a DROP,
# and on ext4 allocating their inodes was most of PostgreSQL's CPU through the suite (perf:
# find_inode_bit, recently_deleted). The benchmarks keep theirs on disk, as a server would.
set_pg_data() {
  PGDATA="$WORK/pg"
  [ -n "${PG_ON_RAM:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || return 0
  [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -ge $((4 * 1024 * 1024)) ] || return 0
  PG_RAM_DIR=$(mktemp -d /dev/shm/mediadesk-pg.XXXXXX)
  chmod 755 "$PG_RAM_DIR"
  PGDATA="$PG_RAM_DIR/pg"
}

# Starts both; exports PGPORT, PGSOCKET (the folder of PostgreSQL's Unix socket), S3PORT, S3KEY,
# S3SECRET, S3DIR.
start_services() {
  set_pg_data
  S3DIR="$WORK/s3"
  mkdir -p "$PGDATA" "$S3DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK" "$PGDATA"
  chmod 755 "$WORK"
  PGPORT=$(free_port)
  say "starting PostgreSQL on 127.0.0.1:$PGPORT (files in $PGDATA)"
  as_pg "$PGBIN/initdb -D $PGDATA -U postgres -A trust --no-sync -E UTF8" >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; die "initdb failed"; }
  as_pg "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w -t 60 -o '-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c max_wal_size=256MB'" start >/dev/null \
    || { cat "$PGDATA/server.log"; die "PostgreSQL did not start"; }
  PG_STARTED=1

  S3PORT=$(free_port)
  S3KEY="mediadesk-test"
  S3SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  say "starting s3s-fs on 127.0.0.1:$S3PORT"
  s3s-fs --host 127.0.0.1 --port "$S3PORT" --access-key "$S3KEY" --secret-key "$S3SECRET" "$S3DIR" >"$WORK/s3.log" 2>&1 &
  S3PID=$!
  wait_for "$S3PID" "$WORK/s3.log" "s3s-fs" "import socket; socket.create_connection(('127.0.0.1', $S3PORT), 0.2)"
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $S3PORT), 0.5)" || die "s3s-fs did not start"
  PGSOCKET="$PGDATA"
  export PGPORT PGSOCKET S3PORT S3KEY S3SECRET S3DIR
}
