# chemguard — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
# Builds leave the clone's path out of their cache keys (-trimpath). Without it go keys
# every package of this module by its directory, so each fresh clone compiled the whole
# project again, for vet and then for its tests: about 5 CPU-minutes and 4.5 minutes of
# wall time in a 15-minute make test on 2 cores, though another clone had built the same
# sources minutes before. The machine's own GOFLAGS (go env -w) are kept; tests that run
# `go build` inherit the flag and share the cache too.
export GOFLAGS := $(strip $(filter-out -trimpath,$(shell PATH='$(PATH)' $(GO) env GOFLAGS 2>/dev/null)) -trimpath)

# Ports sit below Linux's ephemeral range (32768-60999): a client connection of the
# previous run left in TIME_WAIT can then never hold a server's port.
# make run: a persistent local PostgreSQL and data directory; TimescaleDB when the
# private install (make timescaledb) is there, plain PostgreSQL otherwise. The data
# directory (the keys that seal the database's secrets and sign its audit chain, the
# broker's log) lives beside the database, not in the clone: a second clone on the
# same machine meets the same database and must bring the same keys.
RUN_PG_DIR   ?= /var/lib/chemguard/pg
RUN_PG_PORT  ?= 25432
RUN_DATA_DIR ?= $(patsubst %/,%,$(dir $(RUN_PG_DIR)))/data
# make test: a throw-away PostgreSQL that preloads TimescaleDB, where the suite runs,
# and a second small one that has the extension's files but does not preload them:
# the plain-PostgreSQL path and its migrations are tested there.
TEST_PG_DIR  ?= /tmp/chemguard-test-tsdb
TEST_PG_PORT ?= 25433
TEST_DB_URL  := postgres://postgres@127.0.0.1:$(TEST_PG_PORT)/postgres?sslmode=disable
PLAIN_PG_DIR  ?= /tmp/chemguard-test-plain
PLAIN_PG_PORT ?= 25434
PLAIN_DB_URL  := postgres://postgres@127.0.0.1:$(PLAIN_PG_PORT)/postgres?sslmode=disable
# TimescaleDB 2.28.3 (the last series for PostgreSQL 15) is built from ../shared into a
# private copy of PostgreSQL: never into the system one (see docs/operations.md).
TSDB_SRC     ?= $(CURDIR)/../shared/timescaledb
TSDB_TARBALL ?= $(TSDB_SRC)/timescaledb-2.28.3.tar.gz
TSDB_ROOT    ?= /opt/timescaledb-pg15
export CHEMGUARD_TSDB_ROOT := $(TSDB_ROOT)
# make test-clocks: the suite's clock-driven tests at these instants (Asia/Shanghai).
# 2026-03-10 01:30 is months from any machine's date and before 08:00, when the UTC
# date is still the day before: it found fixtures dated by the machine's clock
# (refused as in the future), TOTP codes of the machine's time, and session cookies
# that a browser on the machine's clock dropped as expired.
CLOCK_TESTS  ?= 2026-12-05T09:59:00+08:00 2026-12-05T10:01:00+08:00 2026-12-05T23:59:00+08:00 2026-03-10T01:30:00+08:00
CLOCK_PKGS   ?= ./inspect/... ./enterprise/... ./warningsvc/... ./governancesvc/... ./portal/... ./platform/... ./governance/... ./warning/... ./auth/... ./simulate/... ./testclock/...

.PHONY: build run test vet fmt test-pg timescaledb test-clocks bench docs e2e-deps screenshots

build:
	$(GO) build -o bin/chemguard ./cmd/chemguard

# bin/chemguard is rebuilt only when a source it may embed changed: `go build`'s own
# up-to-date check costs seconds on a busy machine, and `make run` after a crash should
# be back within 10 s.
BIN_SOURCES := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null | grep -v -e '^docs/' -e '^portal/e2e/' -e ' '))
bin/chemguard: $(BIN_SOURCES)
	$(GO) build -o bin/chemguard ./cmd/chemguard

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# timescaledb: build and install the extension privately when it is not there yet
# (about 2-6 min on 2 cores the first time, < 1 s afterwards). The lock keeps two
# builds from running at once.
timescaledb:
	@deploy/postgres.sh install # the build copies the system's PostgreSQL 15
	@if test -f $(TSDB_TARBALL); then \
		flock /var/tmp/chemguard-timescaledb-build.lock env TSDB_ROOT=$(TSDB_ROOT) \
			bash $(TSDB_SRC)/build-timescaledb.sh $(TSDB_TARBALL); \
	elif ! test -f $(TSDB_ROOT)/usr/lib/postgresql/15/lib/timescaledb.so; then \
		echo "timescaledb: neither $(TSDB_TARBALL) (../shared beside the clone) nor an install in $(TSDB_ROOT)"; exit 1; \
	fi

test-pg: timescaledb
	CHEMGUARD_PG_DIR=$(TEST_PG_DIR) CHEMGUARD_PG_PORT=$(TEST_PG_PORT) CHEMGUARD_PG_DB=chemguard_test CHEMGUARD_PG_FAST=1 \
		CHEMGUARD_PG_TIMESCALEDB=require deploy/postgres.sh start >/dev/null
	CHEMGUARD_PG_DIR=$(PLAIN_PG_DIR) CHEMGUARD_PG_PORT=$(PLAIN_PG_PORT) CHEMGUARD_PG_DB=chemguard_test CHEMGUARD_PG_FAST=1 \
		CHEMGUARD_PG_TIMESCALEDB=off CHEMGUARD_PG_SHARED_BUFFERS=32MB deploy/postgres.sh start >/dev/null

# The environment every test run gets: the TimescaleDB cluster for the suite, the plain
# one for the plain path, and CHEMGUARD_TEST_TIMESCALEDB=1 so the migration tests insist
# the clusters are what make test promises.
TEST_ENV := CHEMGUARD_TEST_DATABASE_URL='$(TEST_DB_URL)' CHEMGUARD_TEST_PLAIN_DATABASE_URL='$(PLAIN_DB_URL)' CHEMGUARD_TEST_TIMESCALEDB=1

# The packages whose tests take longest are named first: go test starts packages in
# the order given (./... then adds the rest once each), so on two cores the long ones
# do not begin last and leave one core idle at the end.
SLOW_PKGS := ./portal/ ./platform/ ./cmd/chemguard/ ./auth/ ./enterprise/positioning/ ./inspect/ ./enterprise/e2etest/
# Test packages run four at a time, not GOMAXPROCS (2) at a time: most of a package's
# time is waiting — on Kafka polls, PostgreSQL round trips, a browser — and a clean-clone
# run at -p 2 kept the two cores only 44 % busy (16 CPU-min in 18.6 min).
TEST_PACKAGES_AT_ONCE ?= 4

# go test's own vet pass is off: `vet` has just run every analyzer on every
# package, and the pass cost about a minute of CPU on a clean clone.
test: vet test-pg e2e-deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(TEST_ENV) $(GO) test -count=1 -vet=off -p $(TEST_PACKAGES_AT_ONCE) -timeout 20m $(SLOW_PKGS) ./...

# test-clocks: the packages whose tests touch clock-driven rules (the 10:00 commitment,
# daily boundaries, 数据中断, ticks), once per instant of CLOCK_TESTS, through
# CHEMGUARD_TEST_NOW (read by testclock, only in tests).
test-clocks: test-pg e2e-deps
	@set -e; for at in $(CLOCK_TESTS); do \
		echo "== CHEMGUARD_TEST_NOW=$$at"; \
		CHEMGUARD_TEST_NOW=$$at $(TEST_ENV) $(GO) test -count=1 -timeout 20m $(CLOCK_PKGS); \
	done

# Browser tests (portal/e2e/README.md): Debian's Chromium, a Chinese font for its
# screenshots and npm playwright-core, installed when missing (as root on a clean
# machine). CHEMGUARD_SKIP_BROWSER=1 skips them; otherwise a missing browser or
# Node.js fails the tests.
e2e-deps:
ifneq ($(CHEMGUARD_SKIP_BROWSER),1)
	@{ test -x /usr/bin/chromium && fc-list :lang=zh | grep -q .; } || { echo "e2e: installing Debian's chromium and a Chinese font"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }
	@command -v node >/dev/null || { echo "e2e: the browser tests need Node.js >= 20 and npm (or CHEMGUARD_SKIP_BROWSER=1)"; exit 1; }
	@test portal/e2e/node_modules/.package-lock.json -nt portal/e2e/package-lock.json || \
		(cd portal/e2e && npm ci --no-audit --no-fund --loglevel=error)
endif

# make screenshots: run the browser tests and save the main pages to docs/screenshots.
screenshots: test-pg e2e-deps
	CHEMGUARD_SCREENSHOTS=1 $(TEST_ENV) $(GO) test -count=1 -run TestBrowser ./portal/

run: bin/chemguard
	@CHEMGUARD_PG_DIR=$(RUN_PG_DIR) CHEMGUARD_PG_PORT=$(RUN_PG_PORT) deploy/postgres.sh start >/dev/null
	@# Before 2026-12-07 the data directory was the clone's .data: the first run after
	@# that adopts it, so the database's keys come along.
	@if [ -z "$$CHEMGUARD_DATA_DIR" ] && [ ! -e "$(RUN_DATA_DIR)" ] && [ -d .data/keys ]; then \
		echo "make run: moving this clone's .data to $(RUN_DATA_DIR), beside the database it belongs to"; \
		mkdir -p "$(dir $(RUN_DATA_DIR))" && mv .data "$(RUN_DATA_DIR)"; \
	fi
	CHEMGUARD_DATABASE_URL=$${CHEMGUARD_DATABASE_URL:-postgres://postgres@127.0.0.1:$(RUN_PG_PORT)/chemguard?sslmode=disable} \
	CHEMGUARD_DATA_DIR=$${CHEMGUARD_DATA_DIR:-$(RUN_DATA_DIR)} \
	deploy/run.sh
