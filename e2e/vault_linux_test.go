//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

const (
	passphraseEnv   = "CONNECTEDAPPS_PASSPHRASE"
	vaultPassphrase = "e2e vault passphrase, long enough"
)

func (u *user) appDir() string { return filepath.Join(u.configDir, "connectedapps") }

// runNoTerminal runs the binary in a session of its own, so it has no controlling terminal
// to ask a passphrase at even when the tests run from one.
func (u *user) runNoTerminal(args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = u.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		u.t.Fatalf("connectedapps %s: did not finish in time", strings.Join(args, " "))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// assertNoSecretInFiles fails if any file under dir holds one of secrets, or its base64 or
// URL-encoded form.
func assertNoSecretInFiles(t *testing.T, dir string, secrets map[string]string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)} {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("%s holds the %s (or an encoding of it)", p, what)
				}
			}
		}
		return nil
	})
	if err != nil || files < 3 {
		t.Fatalf("walking %s: %v (%d files)", dir, err, files)
	}
}

func TestVaultWithTheRealProvider(t *testing.T) {
	u := newUser(t)
	pu := u.with(passphraseEnv + "=" + vaultPassphrase)
	system := secret.NewSystemStore()

	// Switch first, with nothing to move: the vault is created (empty) and chosen.
	out := pu.ok("", "keyring", "use-vault")
	if !strings.Contains(out, "Moved 0 secrets from the system keyring into the encrypted vault.") {
		t.Fatalf("use-vault: %s", out)
	}
	settings, err := os.ReadFile(core.SettingsPath(u.appDir()))
	if err != nil || !strings.Contains(string(settings), `"secret_store": "vault"`) {
		t.Fatalf("settings.json: %s %v", settings, err)
	}

	// A confidential client: its secret goes to the vault, never to the keyring.
	pu.ok(testkit.WebClientSecret+"\n", "add", "Web", "--discovery", op.Issuer, "--client-id", testkit.WebClientID,
		"--client-secret-stdin", "--scope", "openid email offline_access", "--redirect-port", strconv.Itoa(op.WebClientPort))
	app := u.show("Web")
	if !app.HasClientSecret {
		t.Fatal("the registry does not know the client secret was stored")
	}
	if _, err := system.Get("app/" + app.ID + "/client_secret"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("the client secret is in the system keyring: %v", err)
	}

	if out := pu.ok("", "connect", "Web"); !strings.Contains(out, "Connected Web") {
		t.Fatalf("connect: %s", out)
	}
	if _, err := system.Get(userTokensKey(app.ID)); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("the tokens are in the system keyring: %v", err)
	}
	// Read the vault as another program with the passphrase could (one key derivation).
	vault := secret.OpenVault(u.appDir())
	vault.Passphrase = func() (string, error) { return vaultPassphrase, nil }
	raw, err := vault.Get(userTokensKey(app.ID))
	if err != nil {
		t.Fatal(err)
	}
	var first core.TokenSet
	if err := json.Unmarshal([]byte(raw), &first); err != nil || first.RefreshToken == "" {
		t.Fatalf("tokens in the vault: %v (refresh token held: %v)", err, first.RefreshToken != "")
	}
	if got := pu.ok("", "token", "Web"); got != first.AccessToken+"\n" {
		t.Fatal("token does not hand out the access token kept in the vault")
	}
	// A refresh rotates the refresh token; the new one is kept in the vault.
	before := op.Refreshes()
	pu.ok("", "refresh", "Web")
	if n := op.Refreshes() - before; n != 1 {
		t.Fatalf("%d refreshes at the provider", n)
	}
	raw2, err := vault.Get(userTokensKey(app.ID))
	if err != nil {
		t.Fatal(err)
	}
	var second core.TokenSet
	_ = json.Unmarshal([]byte(raw2), &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("the refreshed tokens were not stored in the vault")
	}
	if got := pu.ok("", "token", "Web", "--format", "header"); got != "Authorization: Bearer "+second.AccessToken+"\n" {
		t.Fatalf("token after refresh: %q", got)
	}

	// No secret is in any plaintext file: apps.json, settings.json, the locks, the vault itself.
	secrets := map[string]string{"client secret": testkit.WebClientSecret, "access token": second.AccessToken,
		"refresh token": second.RefreshToken, "id token": second.IDToken, "old refresh token": first.RefreshToken,
		"passphrase": vaultPassphrase}
	assertNoSecretInFiles(t, u.configDir, secrets)
	info, err := os.Stat(vault.Path())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("vault.json: %v %v", info, err)
	}

	// status: which store, and whether it works.
	if out := pu.ok("", "keyring", "status"); !strings.Contains(out, "Secret store: vault\n") || !strings.Contains(out, vault.Path()) ||
		!strings.Contains(out, "Works: yes (unlocked; it holds 2 secrets)") {
		t.Fatalf("status: %s", out)
	}
	// Without the passphrase and with no terminal to ask at: one line naming what to do.
	r := u.runNoTerminal("token", "Web")
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, passphraseEnv) {
		t.Fatalf("token without a passphrase: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := u.runNoTerminal("keyring", "status"); r.code != 1 || !strings.Contains(r.stdout, "Works: no (locked)") {
		t.Fatalf("status without a passphrase: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// A wrong passphrase: a clear line, and nothing changes.
	vaultBefore, _ := os.ReadFile(vault.Path())
	wrong := u.with(passphraseEnv + "=not the passphrase")
	wrong.fails(1, "", []string{"token", "Web"}, "the vault passphrase is wrong: ", vault.Path())
	wrong.fails(1, "", []string{"refresh", "Web"}, "the vault passphrase is wrong: ")
	wrong.fails(1, "", []string{"keyring", "use-system"}, "the vault passphrase is wrong: ")
	if after, _ := os.ReadFile(vault.Path()); !bytes.Equal(after, vaultBefore) {
		t.Fatal("a wrong passphrase changed the vault")
	}
	// The passphrase typed at a terminal (script(1) gives the command one).
	if script, err := exec.LookPath("script"); err == nil {
		cmd := exec.Command(script, "-qec", bin+" token Web", "/dev/null")
		cmd.Env = u.env
		cmd.Stdin = strings.NewReader(vaultPassphrase + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Vault passphrase (typing is hidden): ") || !strings.Contains(string(out), second.AccessToken) {
			t.Fatalf("token with the passphrase typed at a terminal: %v\n%s", err, out)
		}
	}

	// Back to the system keyring: everything moves, the vault is deleted.
	out = pu.ok("", "keyring", "use-system")
	if !strings.Contains(out, "Moved 2 secrets from the encrypted vault into the system keyring.") {
		t.Fatalf("use-system: %s", out)
	}
	if _, err := os.Stat(vault.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the vault is still there: %v", err)
	}
	if got, err := system.Get("app/" + app.ID + "/client_secret"); err != nil || got != testkit.WebClientSecret {
		t.Fatalf("client secret back in the keyring: %v", err)
	}
	if got := u.ok("", "token", "Web"); got != second.AccessToken+"\n" {
		t.Fatal("token after use-system does not hand out the same access token")
	}
	if out := u.ok("", "keyring", "status"); !strings.Contains(out, "Secret store: system\n") || !strings.Contains(out, "Works: yes") {
		t.Fatalf("status after use-system: %s", out)
	}
	u.ok("", "remove", "Web")
}

// Where no keyring can be reached (here: a session bus that does not exist), use-vault starts
// an empty vault and says so, and the vault then works on its own.
func TestVaultWithoutAKeyring(t *testing.T) {
	u := newUser(t).with("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", "CONNECTEDAPPS_KEYRING_TIMEOUT=5s")
	if r := u.run("", "keyring", "status"); r.code != 1 || !strings.Contains(r.stdout, "Secret store: system") || !strings.Contains(r.stderr, "cannot be reached") {
		t.Fatalf("status without a keyring: %d %q %q", r.code, r.stdout, r.stderr)
	}
	pu := u.with(passphraseEnv + "=" + vaultPassphrase)
	out := pu.ok("", "keyring", "use-vault")
	if !strings.Contains(out, "the vault starts empty") || !strings.Contains(out, "cannot be reached") {
		t.Fatalf("use-vault without a keyring: %s", out)
	}
	pu.ok(testkit.WebClientSecret+"\n", "add", "Web", "--discovery", op.Issuer, "--client-id", testkit.WebClientID,
		"--client-secret-stdin", "--scope", "openid email", "--redirect-port", strconv.Itoa(op.WebClientPort))
	if out := pu.ok("", "connect", "Web"); !strings.Contains(out, "Connected Web") {
		t.Fatalf("connect with the vault and no keyring: %s", out)
	}
	if tok := strings.TrimSpace(pu.ok("", "token", "Web")); tok == "" {
		t.Fatal("no token")
	}
	if out := pu.ok("", "keyring", "status"); !strings.Contains(out, "Works: yes") {
		t.Fatalf("status: %s", out)
	}
	pu.fails(1, "", []string{"keyring", "use-system"}, "cannot be reached", "vault stays in use")
	pu.ok("", "remove", "Web", "--local-only")
}
