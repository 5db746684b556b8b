# Connected Apps: build, run and test on a fresh Debian machine.
#
# Every target that needs system packages depends on `deps`, which installs only what is
# missing, so `make test` works on a fresh clone (CI runs it as root with no stdin).

SHELL := /bin/bash

BIN       := bin/connectedapps
# The window is a second binary (the root package) that `connectedapps` execs when run without
# arguments, so the command line (cmd/connectedapps) links no Fyne package and never pays for
# its init (docs/PERFORMANCE.md). It is looked for beside $(BIN).
WINDOW_BIN := bin/connectedapps-window
BUILD_BINS = go build -tags $(GO_TAGS) -o $(WINDOW_BIN) . && go build -tags $(GO_TAGS) -o $(BIN) ./cmd/connectedapps
# migrated_fynedo: every widget update from another goroutine goes through fyne.Do (see
# FyneApp.toml [Migrations]). no_emoji: leave out Fyne's 4 MB colour emoji font, which Fyne
# parses again for every text style in use (regular, bold and monospace here): 18 MiB less
# resident memory for the window and a 4 MB smaller binary (docs/PERFORMANCE.md). Emoji in an
# app's name still show through the system's fonts where it has an emoji font.
GO_TAGS   := migrated_fynedo,no_emoji
# `with-test-keyring` runs a command in a private D-Bus session with an unlocked keyring.
KEYRING   := scripts/with-test-keyring
# Tools installed for the project at pinned versions (staticcheck, npm when there is none).
TOOLS     := bin/tools

# Debian packages, one list per purpose. libgl1-mesa-dri is the software OpenGL driver Xvfb
# needs to give the window a GLX context (apt leaves it out as a mere recommendation).
BUILD_PKGS   := gcc pkg-config libgl1-mesa-dev xorg-dev
KEYRING_PKGS := dbus dbus-x11 gnome-keyring libsecret-tools
# fonts-noto-cjk: Fyne falls back to the system's fonts for glyphs its own font lacks, so the
# window in Chinese (and its zh screenshots) needs a CJK font on the machine.
WINDOW_PKGS  := xvfb xdotool imagemagick x11-utils libgl1-mesa-dri fonts-noto-cjk
# curl runs the README's token recipes in the e2e tests (TestCurlRecipes).
BASE_PKGS    := ca-certificates git curl
# Real consumers of the token hand-offs: Dovecot takes OAUTHBEARER and XOAUTH2 over IMAP and
# SMTP submission, checking each token at the test provider, from the binary and from the
# README's msmtp and curl recipes (TestOAUTHBEARERAndXOAUTH2AgainstDovecot, TestMailRecipesAgainstDovecot).
CONSUMER_PKGS := dovecot-imapd dovecot-submissiond msmtp
PKGS := $(BASE_PKGS) $(BUILD_PKGS) $(KEYRING_PKGS) $(WINDOW_PKGS) $(CONSUMER_PKGS)
# The Windows build and its tests (make windows, make test-windows): mingw-w64's C compiler
# for Fyne's cgo and windres for the icon and version resource, Wine to run the .exe, zip to
# pack it.
WINDOWS_PKGS := gcc-mingw-w64-x86-64 wine64 zip

# install_missing PACKAGES: the one loop that installs the Debian packages of a list that are
# missing. apt-get runs, and `apt-get update` runs once, only when something is missing, so
# repeated runs are fast; as root it runs directly, otherwise through sudo.
define install_missing
	@missing=""; for p in $(1); do \
		[ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" = "install ok installed" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "make $@: installing$$missing"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	fi
endef

# forbid_imports DIR,REGEX,ALLOWED,WHY: fails with one line per import of a package matching REGEX
# (an awk regular expression) by the packages of DIR (e.g. ./core/app/...) or by anything they
# depend on, unless the imported package also matches ALLOWED (use ^$$ for nothing), naming who
# imports what and WHY. A dependency that itself matches REGEX is not read (its own rule checks it).
comma := ,
define forbid_imports
	@deps="$$(go list -tags $(GO_TAGS) -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' $(1))" || exit 1; \
	bad="$$(awk -v self='^connectedapps/$(patsubst ./%/...,%,$(1))(/|$$)' -v re='$(2)' -v ok='$(3)' \
		'$$1 ~ self || $$1 !~ re { for (i = 2; i <= NF; i++) if ($$i ~ re && $$i !~ ok) print $$1 " imports " $$i }' <<<"$$deps" | paste -sd, - | sed 's/,/, /g')"; \
	if [ -n "$$bad" ]; then echo "make test: $$bad; $(4) (see docs/ARCHITECTURE.md)" >&2; exit 1; fi
endef

.PHONY: have-go deps node-deps check build run test test-suite test-cross fuzz bench bench-deps screenshot screenshots package clean \
	windows-deps windows test-windows screenshots-windows

# deps: Fyne needs cgo with the OpenGL and X11 headers; the tests need a real keyring
# (gnome-keyring on a private D-Bus) and the window smoke tests an X server (Xvfb). apt-get
# runs, and `apt-get update` runs once, only when a package is missing, so repeated runs are fast.
deps: have-go
	@command -v dpkg-query >/dev/null 2>&1 || { echo "make: dpkg-query not found: install these packages by hand: $(PKGS)" >&2; exit 1; }
	$(call install_missing,$(PKGS) $(NODE_PKGS))

have-go:
	@command -v go >/dev/null 2>&1 || { echo "make: go is not installed or not on PATH: install Go 1.26 or later (https://go.dev/dl) and retry" >&2; exit 1; }

# node-deps: nodejs from Debian and npm, for node-oidc-provider, the second implementation of
# dynamic client registration the e2e tests register at (e2e/registration_node_test.go; the
# test runs `npm ci` from its committed lock). deps asks for nodejs only when node is missing.
# npm is the one on PATH when there is one (a NodeSource nodejs carries its own); otherwise it is
# npm's own release from its registry, one pinned tarball that bundles its dependencies, checked
# against its published sha512 and unpacked into bin/tools: Debian's npm package would bring
# some 360 packages of node modules (40 s more of apt on a fresh machine).
# The tests get it as CONNECTEDAPPS_NPM.
NODE_PKGS = $(if $(shell command -v node),,nodejs)
NPM_VERSION   := 10.9.2
NPM_INTEGRITY := sha512-iriPEPIkoMYUy3F6f3wwSZAU93E0Eg6cHwIR6jzzOXWSy+SD/rOODEs74cVONHKSx2obXtuUoyidVEhISrisgQ==
NPM_DIR       := $(TOOLS)/npm-$(NPM_VERSION)
NPM = $(or $(shell command -v npm),$(CURDIR)/$(NPM_DIR)/bin/npm-cli.js)
node-deps: deps
	@if ! command -v npm >/dev/null 2>&1 && [ ! -x "$(NPM_DIR)/bin/npm-cli.js" ]; then \
		echo "make $@: fetching npm $(NPM_VERSION) from registry.npmjs.org into $(NPM_DIR)"; \
		tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
		curl -fsSL --retry 3 -o "$$tmp/npm.tgz" "https://registry.npmjs.org/npm/-/npm-$(NPM_VERSION).tgz" || \
			{ echo "make $@: could not download npm $(NPM_VERSION) from registry.npmjs.org: check the network, or install npm and retry" >&2; exit 1; }; \
		got="sha512-$$(openssl dgst -sha512 -binary "$$tmp/npm.tgz" | base64 -w0)"; \
		[ "$$got" = "$(NPM_INTEGRITY)" ] || { echo "make $@: npm-$(NPM_VERSION).tgz is not the published release (its sha512 differs): nothing was installed" >&2; exit 1; }; \
		mkdir -p "$$tmp/npm" && tar -xzf "$$tmp/npm.tgz" -C "$$tmp/npm" --strip-components=1 && \
		mkdir -p "$(TOOLS)" && rm -rf "$(NPM_DIR)" && mv "$$tmp/npm" "$(NPM_DIR)"; \
	fi

# check: the quick loop while working, under 2 minutes on two cores once the build cache is
# warm: vet, gofmt, staticcheck (a pinned version, put in bin/tools with `go install`, never in
# go.mod), then the unit tests of core, cli and internal/... with no keyring and no display
# (tests that need the real keyring skip themselves; a dead session bus keeps go-keyring from
# starting one).
# `make test` is the whole truth; this is the fast part of it.
STATICCHECK_VERSION := 0.8.2
check: deps
	go vet -tags $(GO_TAGS) ./...
	@unformatted="$$(gofmt -l .)" || exit 1; if [ -n "$$unformatted" ]; then \
		echo "make check: gofmt needed on: $$unformatted (run gofmt -w on them)" >&2; exit 1; \
	fi
	@if ! $(TOOLS)/staticcheck -version 2>/dev/null | grep -qF "($(STATICCHECK_VERSION))"; then \
		echo "make check: installing staticcheck v$(STATICCHECK_VERSION) into $(TOOLS)"; \
		GOBIN="$(CURDIR)/$(TOOLS)" go install honnef.co/go/tools/cmd/staticcheck@v$(STATICCHECK_VERSION) || exit 1; \
	fi
	$(TOOLS)/staticcheck -tags $(GO_TAGS) ./...
	env -u DISPLAY -u CONNECTEDAPPS_TEST_KEYRING DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus \
		go test -count=1 -tags $(GO_TAGS) ./core/... ./cli/... ./internal/...

# build: bin/connectedapps (the command line; without arguments it execs the window) and
# bin/connectedapps-window beside it; the tag declares that all widget updates from other
# goroutines go through fyne.Do (see FyneApp.toml [Migrations]).
build:
	$(BUILD_BINS)

# run: open the window (with no arguments the binary starts the GUI).
run: deps build
	./$(BIN)

# test: everything CI checks (with `make test-windows`, which .ci/run runs after it), cheapest
# first so a mistake fails fast (test-suite): vet, the one-way dependency rule (core never
# imports Fyne; internal/... imports none of core, cli, gui or Fyne; core/fail imports no other
# package of core; core/app only core/fail; core/oauth neither core, core/registry nor
# core/secret; core/registry neither core, core/oauth nor core/secret; core/secret imports
# neither core nor cli nor gui; cli and gui never import each other), formatting, then the
# whole suite with the race detector against a real, throwaway keyring (the fuzz targets' seed
# corpora run there as ordinary tests; end-to-end tests run the freshly built binary named by
# CONNECTEDAPPS_BIN), then each fuzz target for 5 seconds from the committed seeds: one
# instrumented build per package with targets (a few seconds each once cached; about 45 s the
# first time on a machine) + 11 targets x 5 s = about 70 s on two cores.
# Beside it runs the compile check for Windows and macOS (test-cross, scripts/cross-check: go
# vet, which compiles the tests, and go build of every package for windows/amd64, darwin/amd64
# and darwin/arm64 without cgo; the packages that need cgo there are named in the script with
# the reason). Needing neither Debian's packages nor cgo, it fills what apt-get and the cgo
# compile of Fyne (one C file at a time) leave of the two cores on a fresh machine. The lines
# of the two are kept whole (-Oline).
test:
	@$(MAKE) --no-print-directory -j2 -Oline test-suite test-cross

test-cross: have-go
	scripts/cross-check -tags $(GO_TAGS)

test-suite: deps node-deps
	go vet -tags $(GO_TAGS) ./...
	@# the Wine tests (e2e/wine_test.go) build only with the wine tag, which make test-windows
	@# sets; vet them here too so that a change to what they use fails before CI's Wine step.
	go vet -tags $(GO_TAGS),wine ./e2e/
	@core_deps="$$(go list -deps ./core/...)" || exit 1; \
	if grep -E '^fyne.io/' <<<"$$core_deps"; then \
		echo "make test: core imports the fyne.io packages above; core must stay free of Fyne (see docs/ARCHITECTURE.md)" >&2; exit 1; \
	fi
	$(call forbid_imports,./internal/...,^(connectedapps/(core|cli|gui)(/|$$)|fyne[.]io/),^$$,internal/... are the leaves and import none of core$(comma) cli$(comma) gui or fyne.io)
	$(call forbid_imports,./core/secret/...,^connectedapps/(core|(cli|gui)(/.*)?)$$,^$$,core/secret keeps values by key and imports neither core nor a front end)
	$(call forbid_imports,./core/fail/...,^connectedapps/(core|cli|gui)(/|$$),^$$,core/fail is the base of every layer and imports none of them)
	$(call forbid_imports,./core/app/...,^connectedapps/(core|cli|gui)(/|$$),^connectedapps/core/fail$$,core/app is the document and imports no other package of core but core/fail)
	$(call forbid_imports,./core/oauth/...,^connectedapps/(core|(core/registry|core/secret|cli|gui)(/.*)?)$$,^$$,core/oauth is the protocol$(comma) stateless: it imports neither core$(comma) core/registry nor core/secret)
	$(call forbid_imports,./core/registry/...,^connectedapps/(core|(core/oauth|core/secret|cli|gui)(/.*)?)$$,^$$,core/registry keeps the files and imports neither core$(comma) core/oauth$(comma) core/secret nor a front end)
	@for pair in cli:gui gui:cli; do \
		from="$${pair%%:*}"; to="$${pair##*:}"; \
		deps="$$(go list -tags $(GO_TAGS) -deps ./$$from/...)" || exit 1; \
		if grep -qE "^connectedapps/$$to(/|$$)" <<<"$$deps"; then \
			echo "make test: $$from imports connectedapps/$$to; cli and gui are siblings over core and never import each other" >&2; exit 1; \
		fi; \
	done
	@unformatted="$$(gofmt -l .)" || exit 1; if [ -n "$$unformatted" ]; then \
		echo "make test: gofmt needed on: $$unformatted (run gofmt -w on them)" >&2; exit 1; \
	fi
	@lean_deps="$$(go list -tags $(GO_TAGS) -deps ./cmd/connectedapps)" || exit 1; \
	if grep -E '^fyne[.]io/' <<<"$$lean_deps"; then \
		echo "make test: cmd/connectedapps links the fyne.io packages above; the command line must not pay for Fyne's init (see docs/ARCHITECTURE.md)" >&2; exit 1; \
	fi
	$(BUILD_BINS)
	CONNECTEDAPPS_BIN="$(CURDIR)/$(BIN)" CONNECTEDAPPS_NPM="$(NPM)" $(KEYRING) go test -race -tags $(GO_TAGS) -count=1 -timeout 15m ./...
	scripts/fuzz --fresh 5s -tags $(GO_TAGS)

# fuzz: each fuzz target of the packages under core (scripts/fuzz lists them) for FUZZTIME, e.g.
# `make fuzz FUZZTIME=10m`, going on from the inputs earlier runs kept in Go's cache. A failing
# input lands in PKG/testdata/fuzz/FuzzXxx/ beside its target: fix the bug and commit the input with the fix as
# a regression seed.
FUZZTIME ?= 1m
fuzz: deps
	scripts/fuzz $(FUZZTIME) -tags $(GO_TAGS)

# bench: not part of `make test`. First the Go benchmarks (-run '^$' skips the tests: registry
# load and save with 1,000 apps, filtering 1,000 apps in the window, the keyring round trip),
# then bench/perf, which runs each of our programs beside its floor, interleaved in one run
# (`token` vs `secret-tool lookup`, also through the agent and with the vault; `connect` vs bench/floorconnect; 50 concurrent refreshes without an agent,
# with one and with one killed; the window vs bench/floorwindow on a private Xvfb, started, idle beside it, and hidden to the tray of a
# StatusNotifierWatcher bench/perf serves) and prints the table that
# docs/PERFORMANCE.md quotes; it is also written to bin/bench/results.md. BENCH_FLAGS passes
# options to bench/perf, e.g. BENCH_FLAGS="-only token -token-rounds 1000".
BENCH_PKGS := strace
BENCH_DIR  := bin/bench
bench-deps: deps
	$(call install_missing,$(BENCH_PKGS))

bench: bench-deps
	$(BUILD_BINS)
	CONNECTEDAPPS_BIN="$(CURDIR)/$(BIN)" $(KEYRING) go test -tags $(GO_TAGS) -run '^$$' -bench . -benchmem ./...
	go build -tags $(GO_TAGS) -o $(BENCH_DIR)/floorwindow ./bench/floorwindow
	go build -o $(BENCH_DIR)/floorconnect ./bench/floorconnect
	go build -o $(BENCH_DIR)/perf ./bench/perf
	set -o pipefail; $(KEYRING) $(BENCH_DIR)/perf -bin $(BIN) -floorconnect $(BENCH_DIR)/floorconnect \
		-floorwindow $(BENCH_DIR)/floorwindow $(BENCH_FLAGS) | tee $(BENCH_DIR)/results.md

# screenshots: regenerate the README's pictures, docs/screenshot-main.png (the list),
# docs/screenshot-form.png (one app's document) and docs/screenshot-connected.png (a connected
# app's Connection tab), from the real window under Xvfb, so they never drift from the
# program. Sample apps are seeded at run time with expiry times relative to now; see
# scripts/screenshots.
screenshots: deps build
	CONNECTEDAPPS_BIN="$(CURDIR)/$(BIN)" scripts/screenshots docs

# screenshot: the older name; it makes all three.
screenshot: screenshots

# package: an installable Linux archive, bin/connectedapps-VERSION-linux-ARCH.tar.xz, holding
# the binary, the icon and a .desktop entry (plus a Makefile: `sudo make install` or
# `make user-install` inside it), made by the fyne tool at a pinned version. The tool is put in
# GOBIN with `go install` (never in go.mod); FyneApp.toml gives it the name, ID, icon and
# version, and its [Migrations] fyneDo adds the migrated_fynedo tag. --release strips the
# binary and builds with Fyne's release tag. The tool rewrites FyneApp.toml (it counts builds);
# the file is put back so packaging leaves the work tree clean. The tool's v1.7.2 Makefile names the icon without
# its .png, so `make install` fails (fyne-io/tools#139, fixed after v1.7.2): it is corrected here.
# The tool builds the root package, which is the window: it is renamed connectedapps-window
# and the command line (cmd/connectedapps, which execs it) joins it as connectedapps, with the
# archive's Makefile installing and removing both.
FYNE_TOOL_VERSION := v1.7.2
APP_VERSION = $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
PACKAGE = bin/connectedapps-$(APP_VERSION)-linux-$(shell go env GOARCH).tar.xz

package: deps
	@command -v xz >/dev/null 2>&1 || { echo "make package: xz is missing: install xz-utils" >&2; exit 1; }
	@gobin="$$(go env GOBIN)"; [ -n "$$gobin" ] || gobin="$$(go env GOPATH)/bin"; \
	fyne="$$gobin/fyne"; \
	if ! "$$fyne" version 2>/dev/null | grep -qF "fyne cli version: $(FYNE_TOOL_VERSION)"; then \
		echo "make package: installing fyne.io/tools/cmd/fyne@$(FYNE_TOOL_VERSION) into $$gobin"; \
		go install fyne.io/tools/cmd/fyne@$(FYNE_TOOL_VERSION) || exit 1; \
	fi; \
	rm -f "Connected Apps.tar.xz"; \
	cp FyneApp.toml bin/.FyneApp.toml.keep 2>/dev/null || { mkdir -p bin && cp FyneApp.toml bin/.FyneApp.toml.keep; }; \
	"$$fyne" package --os linux --release --tags no_emoji; rc=$$?; \
	mv bin/.FyneApp.toml.keep FyneApp.toml; [ $$rc -eq 0 ] || exit $$rc; \
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp" "Connected Apps.tar.xz"' EXIT; \
	tar -xJf "Connected Apps.tar.xz" -C "$$tmp" || exit 1; \
	sed -i 's/^Icon := "\(.*\)"$$/Icon := "\1.png"/' "$$tmp/connectedapps/Makefile" || exit 1; \
	bindir="$$tmp/connectedapps/usr/local/bin"; \
	mv "$$bindir/connectedapps" "$$bindir/connectedapps-window" || exit 1; \
	go build -tags $(GO_TAGS) -trimpath -ldflags "-s -w" -o "$$bindir/connectedapps" ./cmd/connectedapps || exit 1; \
	sed -i -e '/^\t\(install -Dm00755\|-rm\) .*bin\/$$(Exec)$$/{p;s/bin\/$$(Exec)/bin\/$$(Exec)-window/g}' "$$tmp/connectedapps/Makefile" || exit 1; \
	grep -q 'bin/$$(Exec)-window' "$$tmp/connectedapps/Makefile" || { echo "make package: the archive's Makefile was not taught to install connectedapps-window" >&2; exit 1; }; \
	mkdir -p bin && tar -cJf "$(PACKAGE)" -C "$$tmp" connectedapps || exit 1; \
	echo "make package: wrote $(PACKAGE):"; tar -tJf "$(PACKAGE)"

# windows: bin/windows/connectedapps.exe, the window and the command line in one console
# program, cross-compiled with mingw-w64 with FyneApp.toml's icon, name and version in its
# resources, and bin/connectedapps-VERSION-windows-amd64.zip holding it (scripts/windows-build
# says why not `fyne package --os windows`). The first build compiles GLFW and go-gl with mingw:
# 29 minutes on two busy cores (measured); later builds, from the cache, about 15 s.
windows-deps: deps
	$(call install_missing,$(WINDOWS_PKGS))

windows: windows-deps
	scripts/windows-build -tags $(GO_TAGS)

# test-windows: the Windows tests under Wine, headless, in a private prefix (bin/wine/prefix):
# vet of every package for Windows with cgo, the Windows unit tests run by Wine, and the .exe's
# e2e tests (add with discovery, connect through the scripted browser and through Windows' own
# opener, token, refresh, disconnect, the Credential Manager and its 2,560-byte limit, the
# ports Windows refuses, the window under Xvfb). Not part of `make test`: the first mingw
# build alone is over its budget. See scripts/wine-test, and the README's Windows section for
# what Wine cannot do.
test-windows: windows
	scripts/wine-test $(GO_TAGS)

# screenshots-windows: docs/screenshot-windows.png, the window as the .exe draws it under Wine.
screenshots-windows: windows
	scripts/wine-test --screenshots docs $(GO_TAGS)

# clean: remove what the build and stray `go test -c` runs leave behind.
clean:
	rm -rf bin
	find . -name '*.test' -type f -delete
