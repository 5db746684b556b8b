package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeProviderDir is e2e/testdata/oidc-provider: node-oidc-provider's package.json, its
// committed package-lock.json and the server the tests run.
const nodeProviderDir = "testdata/oidc-provider"

// startNodeProvider runs node-oidc-provider (pinned by the committed lock) on loopback and
// returns its issuer; it stops when the test ends. `npm ci` installs it once per lock into a
// cache folder ($CONNECTEDAPPS_E2E_CACHE, which scripts/with-test-keyring keeps across its
// fresh HOMEs, or the user's cache folder), so later runs start it in about a second.
func startNodeProvider(t *testing.T) string {
	t.Helper()
	node, nerr := exec.LookPath("node")
	// make test names the npm it installed (npm's own release in bin/tools when the machine
	// has none on PATH, see the Makefile's node-deps).
	npm, perr := os.Getenv("CONNECTEDAPPS_NPM"), error(nil)
	if npm == "" {
		npm, perr = exec.LookPath("npm")
	}
	if nerr != nil || perr != nil {
		t.Fatal("node-oidc-provider needs nodejs and npm: run `make node-deps`")
	}
	lock, err := os.ReadFile(filepath.Join(nodeProviderDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("CONNECTEDAPPS_E2E_CACHE")
	if cache == "" {
		if cache, err = os.UserCacheDir(); err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(cache, "connectedapps-e2e")
	}
	sum := sha256.Sum256(lock)
	dir := filepath.Join(cache, "oidc-provider-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		if err := os.MkdirAll(cache, 0o700); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(cache, "installing-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for _, f := range []string{"package.json", "package-lock.json"} {
			data, err := os.ReadFile(filepath.Join(nodeProviderDir, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, f), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		install.Dir = tmp
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("npm ci of node-oidc-provider: %v\n%s", err, out)
		}
		// Whole or not at all: a run killed midway leaves only its temporary folder.
		if err := os.Rename(tmp, dir); err != nil && !isDir(dir) {
			t.Fatal(err)
		}
	}
	server, err := os.ReadFile(filepath.Join(nodeProviderDir, "server.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// The server runs from beside its node_modules, where node resolves the package.
	script := filepath.Join(dir, fmt.Sprintf("server-%x.mjs", sha256.Sum256(server)))
	if err := os.WriteFile(script, server, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("node-oidc-provider's stderr:\n%s", stderr.String())
		}
	})
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
	}()
	select {
	case line := <-first:
		var hello struct{ Issuer string }
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Issuer == "" {
			t.Fatalf("node-oidc-provider did not start (%q): %s", line, stderr.String())
		}
		return hello.Issuer
	case <-time.After(30 * time.Second):
		t.Fatalf("node-oidc-provider did not start within 30 s: %s", stderr.String())
	}
	return ""
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// The same flow against a registration nobody here wrote: node-oidc-provider registers the
// native client, the scripted browser signs in with it, and remove deletes it there.
func TestRegisterConnectAndRemoveAtNodeOIDCProvider(t *testing.T) {
	issuer := startNodeProvider(t)
	u := newUser(t)
	out := u.ok("", "add", "Node", "--discovery", issuer, "--register", "--scope", "openid email", "--redirect-port", "0")
	if !strings.Contains(out, "The provider registered client ") {
		t.Fatalf("add output: %s", out)
	}
	app, token := u.registeredApp("Node")
	if !strings.HasPrefix(app.Registration.ClientURI, issuer+"/reg/") || app.EffectiveAuthMethod() != "none" {
		t.Fatalf("registered app: %+v %+v", app, app.Registration)
	}
	if registrationGone(t, app.Registration.ClientURI, token) {
		t.Fatal("the provider does not know the client it registered")
	}
	ts := u.connectRegistered("Node", app.ID)
	u.noSecretInRegistry(map[string]string{"registration access token": token, "access token": ts.AccessToken})

	out = u.ok("", "remove", "Node")
	if !strings.Contains(out, "Deleted client "+app.ClientID+"'s registration at the provider.") {
		t.Fatalf("remove output: %s", out)
	}
	if !registrationGone(t, app.Registration.ClientURI, token) {
		t.Fatal("the registration is still at node-oidc-provider")
	}
}
