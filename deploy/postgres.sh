#!/usr/bin/env bash
# Start (or stop) a local PostgreSQL for chemguard on a machine of this kind, as root.
#
#   deploy/postgres.sh start   # install if missing, initdb once, start, create the database
#   deploy/postgres.sh stop
#   deploy/postgres.sh dsn     # print the connection string
#
# Settings (env): CHEMGUARD_PG_DIR (data, default /var/lib/chemguard/pg),
# CHEMGUARD_PG_PORT (default 55432), CHEMGUARD_PG_DB (default chemguard),
# CHEMGUARD_PG_FAST=1 (fsync off: only for the throw-away test cluster).
# initdb refuses root, so the server runs as the `postgres` user. When the
# timescaledb extension is installed it is preloaded; the schema works without it.
set -euo pipefail

PG_DIR=${CHEMGUARD_PG_DIR:-/var/lib/chemguard/pg}
PG_PORT=${CHEMGUARD_PG_PORT:-55432}
PG_DB=${CHEMGUARD_PG_DB:-chemguard}

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_pg() {
  if ! find_bin >/dev/null; then
    echo "postgres.sh: installing PostgreSQL from the machine's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

dsn() { echo "postgres://postgres@127.0.0.1:${PG_PORT}/${PG_DB}?sslmode=disable"; }

start() {
  install_pg
  local bin; bin=$(find_bin)
  mkdir -p "$PG_DIR"
  chown postgres:postgres "$PG_DIR"; chmod 700 "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = ${PG_PORT}"
      echo "unix_socket_directories = '${PG_DIR}'"
      echo "max_connections = 200"
      echo "shared_buffers = 256MB"
      echo "synchronous_commit = on"
      if [ "${CHEMGUARD_PG_FAST:-0}" = 1 ]; then
        # Throw-away test clusters only: no crash safety, much faster set-up.
        echo "fsync = off"
        echo "full_page_writes = off"
      fi
      if [ -n "$(ls "$(dirname "$bin")"/../lib/timescaledb*.so 2>/dev/null || true)" ]; then
        echo "shared_preload_libraries = 'timescaledb'"
      fi
    } >> "$PG_DIR/data/postgresql.conf"
  fi
  if ! runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null
  fi
  local psql="$bin/psql"; [ -x "$psql" ] || psql=psql
  if ! "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${PG_DB}'" | grep -q 1; then
    "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE \"${PG_DB}\"" >/dev/null
  fi
}

stop() {
  local bin; bin=$(find_bin) || return 0
  [ -f "$PG_DIR/data/PG_VERSION" ] || return 0
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start; dsn ;;
  stop) stop ;;
  dsn) dsn ;;
  *) echo "usage: $0 start|stop|dsn" >&2; exit 2 ;;
esac
