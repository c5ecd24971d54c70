# chemguard — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: build test vet fmt

build:
	$(GO) build -o bin/chemguard ./cmd/chemguard

vet:
	$(GO) vet ./...

test: vet
	$(GO) test -count=1 ./...
