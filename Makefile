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

.PHONY: build install test completions bench fuzz lint clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tok

install:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PREFIX)/bin/tok ./cmd/tok
	@echo "installed $(PREFIX)/bin/tok"

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

completions:
	$(GO) run ./cmd/tok completion bash > completions/tok.bash
	$(GO) run ./cmd/tok completion zsh > completions/_tok
	$(GO) run ./cmd/tok completion fish > completions/tok.fish
	$(GO) run ./cmd/tok completion powershell > completions/tok.ps1

# bench builds tok and prints its speed against a bare keyring read, in a
# private D-Bus session with gnome-keyring (needs dbus and gnome-keyring).
bench:
	$(GO) run ./internal/bench

clean:
	rm -rf bin dist
