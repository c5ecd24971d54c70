# chemguard — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

# make run: a persistent local PostgreSQL and data directory.
RUN_PG_DIR   ?= /var/lib/chemguard/pg
RUN_PG_PORT  ?= 55432
RUN_DATA_DIR ?= $(CURDIR)/.data
# make test: a throw-away PostgreSQL on its own port.
TEST_PG_DIR  ?= /tmp/chemguard-test-pg
TEST_PG_PORT ?= 55433
TEST_DB_URL  := postgres://postgres@127.0.0.1:$(TEST_PG_PORT)/postgres?sslmode=disable

.PHONY: build run test vet fmt test-pg bench docs e2e-deps screenshots

build:
	$(GO) build -o bin/chemguard ./cmd/chemguard

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

test-pg:
	CHEMGUARD_PG_DIR=$(TEST_PG_DIR) CHEMGUARD_PG_PORT=$(TEST_PG_PORT) CHEMGUARD_PG_DB=chemguard_test CHEMGUARD_PG_FAST=1 deploy/postgres.sh start >/dev/null

test: vet test-pg e2e-deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	CHEMGUARD_TEST_DATABASE_URL='$(TEST_DB_URL)' $(GO) test -count=1 -timeout 12m ./...

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
	CHEMGUARD_SCREENSHOTS=1 CHEMGUARD_TEST_DATABASE_URL='$(TEST_DB_URL)' $(GO) test -count=1 -run TestBrowser ./portal/

run: build
	@CHEMGUARD_PG_DIR=$(RUN_PG_DIR) CHEMGUARD_PG_PORT=$(RUN_PG_PORT) deploy/postgres.sh start >/dev/null
	CHEMGUARD_DATABASE_URL=$${CHEMGUARD_DATABASE_URL:-postgres://postgres@127.0.0.1:$(RUN_PG_PORT)/chemguard?sslmode=disable} \
	CHEMGUARD_DATA_DIR=$${CHEMGUARD_DATA_DIR:-$(RUN_DATA_DIR)} \
	deploy/run.sh
