#!/usr/bin/env bash
# Back up and restore chemguard: PostgreSQL, the broker's log, a node's files and keys.
#
#   deploy/backup.sh backup  DIR   # online: the platform keeps running and accepting
#   deploy/backup.sh restore DIR   # into a fresh, empty database and an empty broker directory
#
# backup, in this order (docs/operations.md "Backup and restore" says why):
#   1. offsets.json    the consumer groups' committed offsets   (chemguard broker offsets save)
#   2. chemguard.dump  the database, pg_dump custom format      (one MVCC snapshot)
#   3. broker.tar      the broker's data directory, copied live  (kfake's log: append-only, each file a prefix)
#   4. node.tar        a node's data directory without kafka/ (stored files, development keys, audit checkpoints)
#   MANIFEST           when each step began and ended
# Every consumer commits its offsets only after storing in PostgreSQL, so the offsets
# taken first are all covered by the dump taken second; the broker copied third holds
# every record acknowledged before its copy began. Restoring sets the groups back to
# offsets.json: what the dump lacks is read again from the broker copy, and what the
# dump already has is skipped by the stores' dedup (message ID, stored offsets).
#
# backup settings (env):
#   CHEMGUARD_DATABASE_URL      the database, as its owner (pg_dump reads every table)
#   CHEMGUARD_KAFKA_BROKERS     the broker (chemguard broker's CHEMGUARD_BROKER_ADDR)
#   CHEMGUARD_BROKER_DATA       the broker's log: its CHEMGUARD_DATA_DIR/kafka
#   CHEMGUARD_NODE_DATA         optional: a serve node's CHEMGUARD_DATA_DIR (files live there)
# restore settings (env):
#   CHEMGUARD_DATABASE_URL      a fresh, empty database (roles created first:
#                               deploy/production/database-roles.sql on a new cluster)
#   CHEMGUARD_BROKER_DATA       an empty directory: becomes the broker's CHEMGUARD_DATA_DIR/kafka
#   CHEMGUARD_BROKER_ADDR       where the restore runs the broker for a moment to set the offsets
#   CHEMGUARD_NODE_DATA         optional: an empty directory for node.tar
# both:
#   CHEMGUARD_BIN               the chemguard binary, default bin/chemguard
#   PG_BINDIR                   where pg_dump/pg_restore/psql are, default from PATH
#                               (the same major version as the server)
set -euo pipefail

die() { echo "backup.sh: $*" >&2; exit 1; }
stamp() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
need() { [ -n "${!1:-}" ] || die "$1 is not set"; }

BIN=${CHEMGUARD_BIN:-bin/chemguard}
PGB=${PG_BINDIR:+$PG_BINDIR/}
[ -x "$BIN" ] || die "no chemguard binary at $BIN (set CHEMGUARD_BIN)"
[ $# -eq 2 ] || die "usage: deploy/backup.sh backup|restore DIR"
cmd=$1 dir=$2

backup() {
	need CHEMGUARD_DATABASE_URL; need CHEMGUARD_KAFKA_BROKERS; need CHEMGUARD_BROKER_DATA
	[ -d "$CHEMGUARD_BROKER_DATA/partitions" ] || die "$CHEMGUARD_BROKER_DATA is not a broker's data directory (no partitions/)"
	mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
	m="$dir/MANIFEST"
	echo "backup_started $(stamp)" >>"$m"

	echo "offsets_started $(stamp)" >>"$m"
	"$BIN" broker offsets save "$dir/offsets.json"

	echo "database_started $(stamp)" >>"$m"
	"${PGB}pg_dump" --format=custom --file="$dir/chemguard.dump" "$CHEMGUARD_DATABASE_URL"
	echo "database_done $(stamp)" >>"$m"

	# Copied live: kfake appends to its segments and logs and replaces its JSON state
	# by rename, so each file copied is a prefix of the file or a whole old version,
	# and the broker's start-up recovery cuts a batch torn at a copied tail. Records
	# appended after a partition's file was copied are not in the backup.
	echo "broker_copy_started $(stamp)" >>"$m"
	stage=$(mktemp -d "$dir/.broker.XXXXXX")
	cp -a "$CHEMGUARD_BROKER_DATA/." "$stage/"
	tar -C "$stage" -cf "$dir/broker.tar" .
	rm -rf "$stage"
	echo "broker_copy_done $(stamp)" >>"$m"

	if [ -n "${CHEMGUARD_NODE_DATA:-}" ]; then
		tar -C "$CHEMGUARD_NODE_DATA" --exclude=./kafka -cf "$dir/node.tar" .
		echo "node_copy_done $(stamp)" >>"$m"
	fi
	echo "backup_done $(stamp)" >>"$m"
	echo "backup.sh: backup in $dir"
	cat "$m"
}

restore() {
	need CHEMGUARD_DATABASE_URL; need CHEMGUARD_BROKER_DATA; need CHEMGUARD_BROKER_ADDR
	for f in MANIFEST offsets.json chemguard.dump broker.tar; do
		[ -f "$dir/$f" ] || die "$dir/$f is missing: not a complete backup"
	done
	mkdir -p "$CHEMGUARD_BROKER_DATA"
	[ -z "$(ls -A "$CHEMGUARD_BROKER_DATA")" ] || die "$CHEMGUARD_BROKER_DATA is not empty: restore into a fresh directory"
	tables=$("${PGB}psql" -Atq "$CHEMGUARD_DATABASE_URL" -c \
		"SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema')")
	[ "$tables" = 0 ] || die "the database at CHEMGUARD_DATABASE_URL has $tables tables: restore into a fresh, empty one"

	# TimescaleDB's catalog is restored with its own hooks around pg_restore.
	tsdb=0
	# (grep without -q reads the whole list: with pipefail, an early exit would fail pg_restore by SIGPIPE)
	if "${PGB}pg_restore" --list "$dir/chemguard.dump" | grep -E 'EXTENSION - timescaledb *$' >/dev/null; then
		tsdb=1
		echo "backup.sh: the dump holds TimescaleDB: restoring between timescaledb_pre_restore() and timescaledb_post_restore()"
		"${PGB}psql" -v ON_ERROR_STOP=1 -q "$CHEMGUARD_DATABASE_URL" \
			-c 'CREATE EXTENSION IF NOT EXISTS timescaledb' -c 'SELECT timescaledb_pre_restore()' >/dev/null
	fi
	"${PGB}pg_restore" --exit-on-error --dbname="$CHEMGUARD_DATABASE_URL" "$dir/chemguard.dump"
	if [ $tsdb = 1 ]; then
		"${PGB}psql" -v ON_ERROR_STOP=1 -q "$CHEMGUARD_DATABASE_URL" -c 'SELECT timescaledb_post_restore()' >/dev/null
	fi
	echo "backup.sh: database restored"

	tar -C "$CHEMGUARD_BROKER_DATA" -xf "$dir/broker.tar"
	if [ -n "${CHEMGUARD_NODE_DATA:-}" ] && [ -f "$dir/node.tar" ]; then
		mkdir -p "$CHEMGUARD_NODE_DATA"
		tar -C "$CHEMGUARD_NODE_DATA" -xf "$dir/node.tar"
	fi

	# The broker's groups committed past the dump while the backup ran: set them back
	# to offsets.json, on a broker of our own over the restored log, before any node starts.
	parent=$(dirname "$CHEMGUARD_BROKER_DATA")
	[ "$(basename "$CHEMGUARD_BROKER_DATA")" = kafka ] || die "CHEMGUARD_BROKER_DATA must end in /kafka (the broker's CHEMGUARD_DATA_DIR/kafka)"
	log=$(mktemp)
	CHEMGUARD_DATA_DIR=$parent CHEMGUARD_KAFKA_BROKERS= "$BIN" broker >"$log" 2>&1 &
	pid=$!
	trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
	for _ in $(seq 1 300); do
		grep -q "chemguard broker ready" "$log" && break
		kill -0 $pid 2>/dev/null || { cat "$log" >&2; die "the broker did not start on the restored log"; }
		sleep 0.1
	done
	grep -q "chemguard broker ready" "$log" || { cat "$log" >&2; die "the broker did not become ready"; }
	CHEMGUARD_KAFKA_BROKERS=$CHEMGUARD_BROKER_ADDR "$BIN" broker offsets restore "$dir/offsets.json"
	kill -TERM $pid
	wait $pid || true
	trap - EXIT
	rm -f "$log"
	echo "backup.sh: broker log restored and consumer offsets set back to $(grep offsets_started "$dir/MANIFEST")"
	echo "backup.sh: start chemguard broker (CHEMGUARD_DATA_DIR=$parent), then chemguard serve"
}

case $cmd in
backup) backup ;;
restore) restore ;;
*) die "usage: deploy/backup.sh backup|restore DIR" ;;
esac
