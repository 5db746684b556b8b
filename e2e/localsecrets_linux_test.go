//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// Attacks on local secrets and files (issue 8, items 4, 11 and 13), performed against the
// built binary.

// browserThatDumps is a $BROWSER that writes down its own environment and the environment
// /proc shows for its parent (connectedapps, waiting for the sign-in), then plays the person
// as the usual scripted browser does.
func browserThatDumps(t *testing.T) (script, ownEnv, parentEnv string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script, ownEnv, parentEnv = filepath.Join(dir, "browser"), filepath.Join(dir, "browser.env"), filepath.Join(dir, "parent.environ")
	body := "#!/bin/sh\n" +
		"env > '" + ownEnv + "'\n" +
		"tr '\\000' '\\n' < /proc/$PPID/environ > '" + parentEnv + "'\n" +
		"exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return script, ownEnv, parentEnv
}

// The vault passphrase given in CONNECTEDAPPS_PASSPHRASE opens every app's secrets. exec's
// command and the browser are programs of someone else's making: neither gets it, and neither
// can read it from /proc/PID/environ of connectedapps while it runs (before the fix both
// inherited it). The command still gets its ACCESS_TOKEN.
func TestVaultPassphraseNeverReachesChildren(t *testing.T) {
	u := newUser(t)
	script, browserEnv, parentEnv := browserThatDumps(t)
	pu := u.with(passphraseEnv+"="+vaultPassphrase, "BROWSER="+script)
	pu.ok("", "keyring", "use-vault")
	pu.addNative("Native")
	if out := pu.ok("", "connect", "Native", "--timeout", "60s"); !strings.Contains(out, "Connected Native") {
		t.Fatalf("connect: %s", out)
	}
	if out := pu.ok("", "keyring", "status"); !strings.Contains(out, "Secret store: vault") || !strings.Contains(out, "unlocked") {
		t.Fatalf("the vault is not what held the tokens: %s", out)
	}

	// The browser's own environment, and what it could read of its parent's.
	for what, path := range map[string]string{"the browser's environment": browserEnv, "/proc/PID/environ of connectedapps, read by the browser": parentEnv} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s was not written down: %v", what, err)
		}
		if !strings.Contains(string(data), "XDG_CONFIG_HOME="+u.configDir) {
			t.Fatalf("%s is not the environment of this run:\n%s", what, data)
		}
		if strings.Contains(string(data), vaultPassphrase) {
			t.Errorf("%s holds the vault passphrase", what)
		}
	}
	if data, _ := os.ReadFile(browserEnv); strings.Contains(string(data), passphraseEnv+"=") {
		t.Errorf("the browser inherited %s", passphraseEnv)
	}

	// exec's command: its environment, and its parent's /proc/PID/environ.
	token := strings.TrimSpace(pu.ok("", "token", "Native"))
	out := pu.ok("", "exec", "Native", "--", "sh", "-c", `env; echo "--- parent"; tr '\000' '\n' < /proc/$PPID/environ`)
	own, parent, found := strings.Cut(out, "--- parent\n")
	if !found || !strings.Contains(parent, "XDG_CONFIG_HOME="+u.configDir) {
		t.Fatalf("the command did not print both environments:\n%s", out)
	}
	if !strings.Contains(own, "ACCESS_TOKEN="+token+"\n") {
		t.Error("the command did not get its ACCESS_TOKEN")
	}
	if strings.Contains(own, passphraseEnv+"=") || strings.Contains(own, vaultPassphrase) {
		t.Error("exec's command inherited the vault passphrase")
	}
	if strings.Contains(parent, vaultPassphrase) {
		t.Error("exec's command read the vault passphrase in /proc/PID/environ of connectedapps")
	}
}

// A new vault's passphrase from the environment meets the rule a typed one does: at least 8
// characters (before the fix a 1-character one made the vault). An existing vault, made before
// the rule with a shorter passphrase, still opens and takes new secrets with it.
func TestShortPassphraseFromTheEnvironment(t *testing.T) {
	u := newUser(t)
	short := u.with(passphraseEnv + "=abc123")
	short.fails(2, "", []string{"keyring", "use-vault"}, passphraseEnv, "too short for a new vault", "at least 8 characters", "nothing was changed")
	if out := u.ok("", "keyring", "status"); !strings.Contains(out, "Secret store: system") {
		t.Fatalf("the refused switch changed the store: %s", out)
	}
	if _, err := os.Stat(filepath.Join(u.appDir(), secret.VaultFileName)); !os.IsNotExist(err) {
		t.Fatalf("vault.json was written with the short passphrase (%v)", err)
	}

	// The vault chosen but its file not there yet (deleted): the next secret would make a new
	// vault, so the short passphrase is refused there too, and no file is written.
	long := u.with(passphraseEnv + "=" + vaultPassphrase)
	long.ok("", "keyring", "use-vault")
	if err := os.Remove(filepath.Join(u.appDir(), secret.VaultFileName)); err != nil {
		t.Fatal(err)
	}
	r := short.run(testkit.WebClientSecret+"\n", "add", "Web", "--discovery", op.Issuer, "--client-id", testkit.WebClientID, "--client-secret-stdin")
	if !strings.Contains(r.stderr, passphraseEnv+" is too short for a new vault") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("add with a short passphrase and no vault file: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(u.appDir(), secret.VaultFileName)); !os.IsNotExist(err) {
		t.Fatalf("vault.json was made with the short passphrase (%v)", err)
	}

	// A vault made before the rule with "abc123" (e2e/testdata; it holds one secret).
	made, err := os.ReadFile(filepath.Join("testdata", "vault-made-with-a-short-passphrase.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.appDir(), secret.VaultFileName), made, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := short.ok("", "keyring", "status"); !strings.Contains(out, "unlocked; it holds 1 secret") {
		t.Fatalf("the old vault does not open with its short passphrase: %s", out)
	}
	short.ok(testkit.WebClientSecret+"\n", "edit", "Web", "--client-secret-stdin")
	if out := short.ok("", "keyring", "status"); !strings.Contains(out, "unlocked; it holds 2 secrets") {
		t.Fatalf("the old vault did not take a new secret: %s", out)
	}
	u.with(passphraseEnv+"=abc1234").fails(1, "", []string{"keyring", "status"}, "passphrase is wrong")
}

// The configuration folder and its locks folder opened to others (0755, 0775) are closed to
// 0700 by the next command, which says so on stderr, one line per folder; the command after
// it has nothing to say (before the fix they stayed open, silently).
func TestOpenConfigFolderIsClosedAndSaidOnce(t *testing.T) {
	u := newUser(t)
	u.addNative("Native")
	dir, locks := u.appDir(), filepath.Join(u.appDir(), "locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locks, 0o775); err != nil {
		t.Fatal(err)
	}
	r := u.run("", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "Native") {
		t.Fatalf("list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := []string{
		"connectedapps: the folder " + dir + " was open to other users (mode 0755); it is now private to you (0700)",
		"connectedapps: the folder " + locks + " was open to other users (mode 0775); it is now private to you (0700)",
	}
	if got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(want, "\n"))
	}
	for _, d := range []string{dir, locks} {
		if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want 0700", d, info.Mode().Perm(), err)
		}
	}
	if out := u.ok("", "list"); !strings.Contains(out, "Native") {
		t.Fatalf("list again: %s", out)
	}
}

// The window takes the passphrase out of its environment too: with the vault chosen and
// CONNECTEDAPPS_PASSPHRASE given, the window opens without asking, and /proc/PID/environ of
// the running window (what its browser and every program it starts would inherit from, and
// what another program of the same user can read) no longer holds the passphrase.
func TestWindowTakesThePassphraseOutOfItsEnvironment(t *testing.T) {
	t.Setenv(passphraseEnv, vaultPassphrase) // the session, and so the window, start with it
	d := startDesktop(t)
	if out := d.cli("keyring", "use-vault"); !strings.Contains(out, "Secrets are now kept in") {
		t.Fatalf("use-vault: %s", out)
	}
	d.startApp()
	pid, err := os.ReadFile(filepath.Join(d.root, "app.pid"))
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/environ")
	if err != nil {
		t.Fatalf("reading the window's environment: %v", err)
	}
	if !strings.Contains(string(environ), "DISPLAY="+d.display) {
		t.Fatalf("%s is not the window's process: %q", pid, environ)
	}
	if strings.Contains(string(environ), vaultPassphrase) {
		t.Error("the running window's /proc/PID/environ holds the vault passphrase")
	}
}
