# tok: build, install, test. `make test` is the one command that runs
# every test; .ci/run calls it.
GO       ?= go
BIN      ?= bin/tok
PREFIX   ?= $(HOME)/.local
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X github.com/tok-cli/tok/internal/cli.version=$(VERSION) \
            -X github.com/tok-cli/tok/internal/cli.commit=$(COMMIT) \
            -X github.com/tok-cli/tok/internal/cli.date=$(DATE)

.PHONY: build install test completions man bench bench-fleet fuzz lint release-check release-snapshot clean

# tok-etcd, the helper that holds tok's etcd client (store: etcd), goes
# next to tok.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tok
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(dir $(BIN))tok-etcd ./cmd/tok-etcd

install:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PREFIX)/bin/tok ./cmd/tok
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(PREFIX)/bin/tok-etcd ./cmd/tok-etcd
	@echo "installed $(PREFIX)/bin/tok and tok-etcd"

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

completions:
	$(GO) run ./cmd/tok completion bash > completions/tok.bash
	$(GO) run ./cmd/tok completion zsh > completions/_tok
	$(GO) run ./cmd/tok completion fish > completions/tok.fish
	$(GO) run ./cmd/tok completion powershell > completions/tok.ps1

# bench builds tok and prints its speed with real-size tokens, per store
# (keyring; file with a key; file with a passphrase), against a bare keyring
# read, in a private D-Bus session with gnome-keyring (needs dbus and
# gnome-keyring), for the in-process provider's tokens and, side by side,
# node oidc-provider's (testdata/realop/install.sh); see
# internal/tools/bench.
bench:
	$(GO) run ./internal/tools/bench

# bench-fleet adds a three-member etcd cluster (needs etcd-server): tok
# print from the etcd store against the keyring floor and the file store,
# and the refresh rate hosts x processes sustain.
bench-fleet:
	$(GO) run ./internal/tools/bench -fleet

# man writes the man pages, generated from the commands, to man/ (not
# committed: releases generate them, see .goreleaser.yaml).
man:
	$(GO) run ./internal/tools/gendocs man

# fuzz runs every fuzz target for FUZZTIME; `make test` only replays their
# seeds and testdata/fuzz corpora. A finding is written to the package's
# testdata/fuzz/FUZZNAME: fix it and commit the file as a regression seed.
FUZZTIME ?= 30s
FUZZ := \
	./internal/flow:FuzzParseTokenResponse \
	./internal/flow:FuzzExchangeResponse \
	./internal/flow:FuzzDeviceAuthResponse \
	./internal/flow:FuzzCallbackQuery \
	./internal/token:FuzzRefreshResponse \
	./internal/target:FuzzParse \
	./internal/provider:FuzzParseMetadata \
	./internal/provider:FuzzMetadataURLs \
	./internal/provider:FuzzParseTokenParams \
	./internal/store:FuzzUnmarshalRecord \
	./internal/store:FuzzKeyringRead \
	./internal/store:FuzzParseHead \
	./internal/store:FuzzParseKey \
	./internal/store:FuzzEntryLogin \
	./internal/cli:FuzzLoadConfig \
	./internal/cli:FuzzConfigSecret \
	./internal/cli:FuzzSplitShell \
	./internal/mcp:FuzzParseChallenges \
	./internal/wire:FuzzRetryAfter \
	./internal/identity:FuzzIdentityClaims \
	./internal/kubecred:FuzzExecInfo \
	./internal/gitcred:FuzzParseRequest \
	./internal/audit:FuzzParse \
	./internal/serve:FuzzRefusedRequest \
	./internal/token:FuzzTokenExchangeResponse
fuzz:
	@set -e; for t in $(FUZZ); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; \
	done

# lint: go vet and staticcheck, fetched through the Go module proxy.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) vet ./...
	$(STATICCHECK) ./...

# release-check validates .goreleaser.yaml; release-snapshot builds every
# archive and package into dist/ without publishing anything.
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1
release-check:
	$(GORELEASER) check
release-snapshot:
	$(GORELEASER) release --snapshot --clean --skip=publish

clean:
	rm -rf bin dist man
