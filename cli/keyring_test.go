package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

// runWithEnv is runIn with environment variables; system plays the OS keyring.
func runWithEnv(t *testing.T, dir string, system secret.Store, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	e, out, errb := inProcess(dir, system, "", env)
	code = Run(args, e)
	return out.String(), errb.String(), code
}

func TestKeyringUseVaultAndBack(t *testing.T) {
	secrettest.CheapKDF(t)
	dir, system := configDir(t), secret.NewMemoryStore()
	pass := map[string]string{PassphraseEnv: "a long passphrase"}
	base := []string{"--auth-url", "https://p.example/auth", "--token-url", "https://p.example/token", "--client-id", "c"}
	if _, e, code := runIn(t, dir, system, "the-client-secret\n", append([]string{"add", "P", "--client-secret-stdin"}, base...)...); code != 0 {
		t.Fatal(e)
	}
	id := markConnected(t, dir, system, "P", "", `{"access_token":"AT-in-store","token_type":"bearer"}`)

	out, e, code := runWithEnv(t, dir, system, nil, "keyring", "status")
	if code != 0 || e != "" || !strings.Contains(out, "Secret store: system\n") || !strings.Contains(out, "Works: yes") {
		t.Fatalf("status before: %d %q %q", code, out, e)
	}
	if _, e, code := runWithEnv(t, dir, system, nil, "keyring", "use-vault"); code != ExitFailure || !strings.Contains(e, PassphraseEnv) || strings.Count(e, "\n") != 1 {
		t.Fatalf("use-vault with no passphrase and no terminal: %d %q", code, e)
	}
	out, e, code = runWithEnv(t, dir, system, pass, "keyring", "use-vault")
	if code != 0 || e != "" || !strings.Contains(out, "Moved 2 secrets from the system keyring into the encrypted vault.") {
		t.Fatalf("use-vault: %d %q %q", code, out, e)
	}
	if keys := system.Keys(); len(keys) != 0 {
		t.Errorf("left in the system keyring: %q", keys)
	}
	vault := filepath.Join(dir, secret.VaultFileName)
	data, err := os.ReadFile(vault)
	if err != nil || bytes.Contains(data, []byte("the-client-secret")) || bytes.Contains(data, []byte("AT-in-store")) {
		t.Fatalf("vault.json: %v, or it holds a secret in the clear", err)
	}
	if out, _, _ := runWithEnv(t, dir, system, pass, "keyring", "use-vault"); !strings.Contains(out, "already in use") {
		t.Errorf("use-vault twice: %q", out)
	}

	// Every command now reads the vault; those that need no secret need no passphrase.
	if out, e, code := runWithEnv(t, dir, system, nil, "list"); code != 0 || e != "" || !strings.Contains(out, "P") {
		t.Errorf("list without a passphrase: %d %q", code, e)
	}
	if out, e, code := runWithEnv(t, dir, system, pass, "token", "P"); code != 0 || out != "AT-in-store\n" || e != "" {
		t.Errorf("token from the vault: %d %q %q", code, out, e)
	}
	if out, e, code := runWithEnv(t, dir, system, nil, "token", "P"); code != ExitFailure || out != "" || strings.Count(e, "\n") != 1 || !strings.Contains(e, PassphraseEnv) {
		t.Errorf("token without the passphrase: %d %q %q", code, out, e)
	}
	before, _ := os.ReadFile(vault)
	wrong := map[string]string{PassphraseEnv: "not the passphrase"}
	for _, args := range [][]string{{"token", "P"}, {"keyring", "status"}, {"keyring", "use-system"}, {"disconnect", "P", "--local-only"}} {
		_, e, code := runWithEnv(t, dir, system, wrong, args...)
		if code != ExitFailure || !strings.Contains(e, "connectedapps: the vault passphrase is wrong: ") || strings.Count(e, "\n") != 1 {
			t.Errorf("%v with the wrong passphrase: %d %q", args, code, e)
		}
	}
	if after, _ := os.ReadFile(vault); !bytes.Equal(before, after) {
		t.Error("a wrong passphrase changed the vault")
	}
	if c, _ := core.ReadStoreChoice(dir); c != core.StoreVault {
		t.Errorf("a wrong passphrase changed the choice to %q", c)
	}
	out, e, code = runWithEnv(t, dir, system, pass, "keyring", "status")
	if code != 0 || e != "" || !strings.Contains(out, "Secret store: vault\n") || !strings.Contains(out, vault) || !strings.Contains(out, "Works: yes (unlocked; it holds 2 secrets)") {
		t.Errorf("status in the vault: %d %q %q", code, out, e)
	}

	out, e, code = runWithEnv(t, dir, system, pass, "keyring", "use-system")
	if code != 0 || e != "" || !strings.Contains(out, "Moved 2 secrets from the encrypted vault into the system keyring.") {
		t.Fatalf("use-system: %d %q %q", code, out, e)
	}
	if _, err := os.Stat(vault); !os.IsNotExist(err) {
		t.Error("the vault is still there")
	}
	if got, err := system.Get("app/" + id + "/client_secret"); err != nil || got != "the-client-secret" {
		t.Errorf("client secret back in the keyring: %q, %v", got, err)
	}
	if out, _, code := runWithEnv(t, dir, system, nil, "token", "P"); code != 0 || out != "AT-in-store\n" {
		t.Errorf("token after use-system: %d %q", code, out)
	}
}

func TestKeyringUseVaultWithoutKeyring(t *testing.T) {
	secrettest.CheapKDF(t)
	dir, system := configDir(t), secret.NewMemoryStore()
	system.Fail = core.Failf(core.ErrKeyringUnavailable, "the system keyring cannot be reached for a read (no bus)")
	pass := map[string]string{PassphraseEnv: "a long passphrase"}
	out, e, code := runWithEnv(t, dir, system, pass, "keyring", "use-vault")
	if code != 0 || e != "" || !strings.Contains(out, "the vault starts empty") || !strings.Contains(out, "no bus") {
		t.Fatalf("use-vault without a keyring: %d %q %q", code, out, e)
	}
	if _, e, code := runWithEnv(t, dir, system, nil, "keyring", "status"); code != ExitFailure || !strings.Contains(e, PassphraseEnv) {
		t.Errorf("status of the locked vault: %d %q", code, e)
	}
	// Back to a keyring that still cannot be reached: refused, nothing changes.
	if _, e, code := runWithEnv(t, dir, system, pass, "keyring", "use-system"); code != ExitFailure || !strings.Contains(e, "vault stays in use") {
		t.Errorf("use-system without a keyring: %d %q", code, e)
	}
	if c, _ := core.ReadStoreChoice(dir); c != core.StoreVault {
		t.Errorf("choice: %q", c)
	}
}

func TestKeyringUsage(t *testing.T) {
	dir, system := configDir(t), secret.NewMemoryStore()
	for _, args := range [][]string{{"keyring"}, {"keyring", "use-plaintext"}, {"keyring", "status", "extra"}} {
		if _, e, code := runWithEnv(t, dir, system, nil, args...); code != ExitUsage || !strings.Contains(e, "status, use-vault") {
			t.Errorf("%v: %d %q", args, code, e)
		}
	}
	if out, _, code := runWithEnv(t, dir, system, nil, "help", "keyring"); code != 0 || !strings.Contains(out, PassphraseEnv) {
		t.Errorf("help keyring: %d %q", code, out)
	}
	// A settings file that cannot be read stops every command, naming it.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(core.SettingsPath(dir), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, e, code := runWithEnv(t, dir, system, nil, "list"); code != ExitFailure || !strings.Contains(e, core.SettingsPath(dir)) {
		t.Errorf("list with a broken settings.json: %d %q", code, e)
	}
}
