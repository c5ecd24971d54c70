#!/usr/bin/env bash
# Start (or stop) a local PostgreSQL for chemguard on a machine of this kind, as root.
#
#   deploy/postgres.sh start   # install if missing, initdb once, start, create the database
#   deploy/postgres.sh stop
#   deploy/postgres.sh dsn     # print the connection string
#   deploy/postgres.sh info    # which binaries a start would use and whether they preload TimescaleDB
#   deploy/postgres.sh install # only install PostgreSQL from the machine's packages when missing
#
# Settings (env):
#   CHEMGUARD_PG_DIR        data, default /var/lib/chemguard/pg
#   CHEMGUARD_PG_PORT       default 25432 (below Linux's ephemeral range 32768-60999, so a
#                           client connection of the previous run in TIME_WAIT never holds it)
#   CHEMGUARD_PG_DB         default chemguard
#   CHEMGUARD_PG_FAST=1     fsync off: only for throw-away test clusters
#   CHEMGUARD_PG_TIMESCALEDB
#       auto (default)  use the private TimescaleDB install when it is there (preloaded),
#                       the system PostgreSQL otherwise
#       require         the private install must be there; the cluster preloads it
#       off             no preload. With the private install present its binaries are
#                       still used, so the extension's files are AVAILABLE but not
#                       preloaded: the case the migrations must survive (tests use it)
#   CHEMGUARD_TSDB_ROOT     the private install, default /opt/timescaledb-pg15
#                           (../shared/timescaledb/build-timescaledb.sh)
#
# initdb refuses root, so the server runs as the `postgres` user. The binaries a
# cluster was created with are remembered in $CHEMGUARD_PG_DIR/bindir: a cluster whose
# databases hold the extension must keep finding its library.
set -euo pipefail

PG_DIR=${CHEMGUARD_PG_DIR:-/var/lib/chemguard/pg}
PG_PORT=${CHEMGUARD_PG_PORT:-25432}
PG_DB=${CHEMGUARD_PG_DB:-chemguard}
TSDB_MODE=${CHEMGUARD_PG_TIMESCALEDB:-auto}
TSDB_ROOT=${CHEMGUARD_TSDB_ROOT:-/opt/timescaledb-pg15}
LOG="$PG_DIR/server.log"

die() { echo "postgres.sh: $*" >&2; exit 1; }

system_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

# private_bin prints the private install's bin dir for the system's major version.
private_bin() {
  local sys; sys=$(system_bin) || return 1
  local d="$TSDB_ROOT$sys"
  [ -x "$d/postgres" ] && [ -x "$d/pg_config" ] || return 1
  echo "$d"
}

# has_timescaledb BIN: the extension's library and control file are where BIN's
# server looks for them (pg_config answers for the relocated private tree too).
has_timescaledb() {
  local lib share
  lib=$("$1/pg_config" --pkglibdir 2>/dev/null) || return 1
  share=$("$1/pg_config" --sharedir 2>/dev/null) || return 1
  [ -f "$lib/timescaledb.so" ] && [ -f "$share/extension/timescaledb.control" ]
}

install_pg() {
  if ! system_bin >/dev/null; then
    echo "postgres.sh: installing PostgreSQL from the machine's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

# choose_bin prints the bin dir this cluster runs on: the one it was created with,
# else the private TimescaleDB install (auto/require/off when present), else the system's.
choose_bin() {
  if [ -f "$PG_DIR/bindir" ]; then
    local b; b=$(cat "$PG_DIR/bindir")
    if [ -x "$b/postgres" ]; then echo "$b"; return 0; fi
    echo "postgres.sh: $PG_DIR was created with $b, which is gone; using another install" >&2
  fi
  local p
  if p=$(private_bin) && has_timescaledb "$p"; then echo "$p"; return 0; fi
  [ "$TSDB_MODE" = require ] && die "TimescaleDB is not installed under $TSDB_ROOT (build it: make timescaledb)"
  system_bin
}

# preload: whether the server is started with the library preloaded.
preload() {
  [ "$TSDB_MODE" != off ] && has_timescaledb "$1"
}

dsn() { echo "postgres://postgres@127.0.0.1:${PG_PORT}/${PG_DB}?sslmode=disable"; }

# fail_start names the log and shows its end: "Examine the log output" alone does not
# say where the log is.
fail_start() {
  echo "postgres.sh: PostgreSQL did not start on port $PG_PORT (data $PG_DIR/data)." >&2
  echo "postgres.sh: log $LOG, last lines:" >&2
  tail -n 20 "$LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
  if command -v ss >/dev/null && ss -Htln "sport = :$PG_PORT" | grep -q .; then
    echo "postgres.sh: port $PG_PORT is already in use:" >&2
    ss -Htlnp "sport = :$PG_PORT" | sed 's/^/    /' >&2 || true
  fi
  exit 1
}

# running: the cluster's postmaster is alive. A postmaster.pid left by a killed server
# names a PID that is gone or now belongs to another program: pg_ctl then starts over it.
running() {
  local pid
  [ -f "$PG_DIR/data/postmaster.pid" ] || return 1
  pid=$(head -1 "$PG_DIR/data/postmaster.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = postgres ] \
    && [ "$(readlink -f "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$PG_DIR/data")" ]
}

# stale_pid removes a postmaster.pid whose PID is gone or is no PostgreSQL (reused
# after a kill -9 or a reboot); PostgreSQL would refuse to start over a live foreign PID.
stale_pid() {
  local f="$PG_DIR/data/postmaster.pid" pid
  [ -f "$f" ] || return 0
  pid=$(head -1 "$f")
  if [ -z "$pid" ] || [ ! -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" != postgres ]; then
    echo "postgres.sh: removing the stale $f (PID ${pid:-?} is not a running PostgreSQL)" >&2
    rm -f "$f"
  fi
}

start() {
  case "$TSDB_MODE" in auto | require | off) ;; *) die "CHEMGUARD_PG_TIMESCALEDB must be auto, require or off, not $TSDB_MODE" ;; esac
  install_pg
  mkdir -p "$PG_DIR"
  chown postgres:postgres "$PG_DIR"; chmod 700 "$PG_DIR"
  local bin; bin=$(choose_bin)
  if [ "$TSDB_MODE" = require ] && ! has_timescaledb "$bin"; then
    die "$PG_DIR runs on $bin, which has no TimescaleDB; remove the cluster or set CHEMGUARD_PG_TIMESCALEDB=auto"
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '${PG_DIR}'"
      echo "max_connections = 200"
      echo "shared_buffers = ${CHEMGUARD_PG_SHARED_BUFFERS:-256MB}"
      echo "synchronous_commit = on"
      # TimescaleDB would otherwise try to phone home from a closed network.
      echo "timescaledb.telemetry_level = off"
      if [ "${CHEMGUARD_PG_FAST:-0}" = 1 ]; then
        # Throw-away test clusters only: no crash safety, much faster set-up.
        echo "fsync = off"
        echo "full_page_writes = off"
      fi
    } >> "$PG_DIR/data/postgresql.conf"
    echo "$bin" > "$PG_DIR/bindir"
  fi
  [ -f "$PG_DIR/bindir" ] || echo "$bin" > "$PG_DIR/bindir" # a cluster from before bindir was kept
  # Port and preload are given at each start, not written into postgresql.conf, so a
  # cluster follows the settings of the run (a new port, a TimescaleDB built since).
  # syncfs: crash recovery after a kill -9 syncs the data directory once per file
  # system instead of fsyncing every file (seconds on a busy disk).
  local opts="-p ${PG_PORT} -c recovery_init_sync_method=syncfs"
  # wal_compression: after each checkpoint the first change to a page writes the whole
  # page into the WAL; the sink's batches touch thousands of index and heap pages, and
  # those images were most of the WAL written under load (docs/performance.md,
  # "PostgreSQL's cost as the history grows"). lz4 compresses them for little CPU;
  # pglz where the build has no lz4.
  if "$bin/pg_config" --configure 2>/dev/null | grep -q -- '--with-lz4'; then
    opts+=" -c wal_compression=lz4"
  else
    opts+=" -c wal_compression=pglz"
  fi
  if preload "$bin"; then
    opts+=" -c shared_preload_libraries=timescaledb"
  else
    opts+=" -c shared_preload_libraries="
  fi
  if running && [ "$(sed -n 4p "$PG_DIR/data/postmaster.pid")" != "$PG_PORT" ]; then
    # Started by an earlier version on another port (55432 before): restart on this one.
    echo "postgres.sh: $PG_DIR runs on port $(sed -n 4p "$PG_DIR/data/postmaster.pid"); restarting it on $PG_PORT" >&2
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  fi
  if ! running; then
    stale_pid
    if command -v ss >/dev/null && ss -Htln "sport = :$PG_PORT" | grep -q .; then
      echo "postgres.sh: port $PG_PORT is in use by another program; set CHEMGUARD_PG_PORT (make: RUN_PG_PORT / TEST_PG_PORT):" >&2
      ss -Htlnp "sport = :$PG_PORT" | sed 's/^/    /' >&2 || true
      exit 1
    fi
    # A server killed with -9 leaves backends that end within moments of noticing; until
    # they have, the new postmaster refuses the shared memory they hold: retry briefly.
    local try
    for try in 1 2 3 4 5; do
      if runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$LOG" -o "$opts" -w -t 60 start >/dev/null 2>&1; then
        break
      fi
      [ "$try" = 5 ] && fail_start
      tail -n 5 "$LOG" 2>/dev/null | grep -q 'still in use\|already exists' || fail_start
      sleep 2
    done
  fi
  local psql="$bin/psql"; [ -x "$psql" ] || psql=psql
  if ! "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${PG_DB}'" | grep -q 1; then
    "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE \"${PG_DB}\"" >/dev/null
  fi
}

stop() {
  [ -f "$PG_DIR/data/PG_VERSION" ] || return 0
  local bin; bin=$(choose_bin) || return 0
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

info() {
  local bin; bin=$(choose_bin)
  echo "bin=$bin"
  if has_timescaledb "$bin"; then echo "timescaledb=available"; else echo "timescaledb=none"; fi
  if preload "$bin"; then echo "preload=timescaledb"; else echo "preload="; fi
}

case "${1:-start}" in
  start) start; dsn ;;
  stop) stop ;;
  dsn) dsn ;;
  info) info ;;
  install) install_pg ;;
  *) echo "usage: $0 start|stop|dsn|info|install" >&2; exit 2 ;;
esac
