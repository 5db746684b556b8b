# Connected Apps: build, run and test on a fresh Debian machine.
#
# Every target that needs system packages depends on `deps`, which installs only what is
# missing, so `make test` works on a fresh clone (CI runs it as root with no stdin).

SHELL := /bin/bash

BIN       := bin/connectedapps
GO_TAGS   := migrated_fynedo
# `with-test-keyring` runs a command in a private D-Bus session with an unlocked keyring.
KEYRING   := scripts/with-test-keyring

# Debian packages, one list per purpose.
BUILD_PKGS   := gcc pkg-config libgl1-mesa-dev xorg-dev
KEYRING_PKGS := dbus dbus-x11 gnome-keyring libsecret-tools
WINDOW_PKGS  := xvfb xdotool imagemagick x11-utils
BASE_PKGS    := ca-certificates git
PKGS := $(BASE_PKGS) $(BUILD_PKGS) $(KEYRING_PKGS) $(WINDOW_PKGS)

.PHONY: deps build run test bench screenshot clean

# deps: Fyne needs cgo with the OpenGL and X11 headers; the tests need a real keyring
# (gnome-keyring on a private D-Bus) and the window smoke tests an X server (Xvfb). apt-get
# runs, and `apt-get update` runs once, only when a package is missing, so repeated runs are fast.
deps:
	@command -v go >/dev/null 2>&1 || { echo "make: go is not installed or not on PATH: install Go 1.26 or later (https://go.dev/dl) and retry" >&2; exit 1; }
	@command -v dpkg-query >/dev/null 2>&1 || { echo "make: dpkg-query not found: install these packages by hand: $(PKGS)" >&2; exit 1; }
	@missing=""; \
	for p in $(PKGS); do \
		[ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" = "install ok installed" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "make deps: installing$$missing"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	fi

# build: one binary for the window and the command line; the tag declares that all widget
# updates from other goroutines go through fyne.Do (see FyneApp.toml [Migrations]).
build:
	go build -tags $(GO_TAGS) -o $(BIN) .

# run: open the window (with no arguments the binary starts the GUI).
run: deps build
	./$(BIN)

# test: everything CI checks, cheapest first so a mistake fails fast:
# vet, the one-way dependency rule (core never imports Fyne), formatting, then the whole
# suite with the race detector against a real, throwaway keyring. End-to-end tests run
# the freshly built binary named by CONNECTEDAPPS_BIN.
test: deps
	go vet -tags $(GO_TAGS) ./...
	@core_deps="$$(go list -deps ./core/...)" || exit 1; \
	if grep -E '^fyne.io/' <<<"$$core_deps"; then \
		echo "make test: core imports the fyne.io packages above; core must stay free of Fyne (see ARCHITECTURE.md)" >&2; exit 1; \
	fi
	@unformatted="$$(gofmt -l .)" || exit 1; if [ -n "$$unformatted" ]; then \
		echo "make test: gofmt needed on: $$unformatted (run gofmt -w on them)" >&2; exit 1; \
	fi
	go build -tags $(GO_TAGS) -o $(BIN) .
	CONNECTEDAPPS_BIN="$(CURDIR)/$(BIN)" $(KEYRING) go test -race -tags $(GO_TAGS) -count=1 -timeout 15m ./...

# bench: benchmarks only (-run '^$' skips the tests), in the same keyring sandbox as the
# tests because some benchmarks measure real keyring calls.
bench: deps
	$(KEYRING) go test -tags $(GO_TAGS) -run '^$$' -bench . -benchmem ./...

# screenshot: regenerate docs/screenshot-main.png from the real window under Xvfb, so the
# README picture never drifts from the program.
screenshot: deps build
	scripts/screenshot docs/screenshot-main.png

# clean: remove what the build and stray `go test -c` runs leave behind.
clean:
	rm -rf bin
	find . -name '*.test' -type f -delete
