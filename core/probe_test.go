package core

import (
	"errors"
	"os"
	"strings"
	"testing"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

func TestProbeSecretsWorking(t *testing.T) {
	mem := secret.NewMemoryStore()
	st := newFixture(t, fixtureOpts{secrets: mem}).svc.ProbeSecrets()
	if st.State != SecretsOK || st.Message != "" || st.Store == "" {
		t.Errorf("status = %+v; want ok with a store name", st)
	}
	if len(mem.Keys()) != 0 {
		t.Errorf("the probe wrote %q; it must only read", mem.Keys())
	}
}

func TestProbeSecretsLockedAndUnreachable(t *testing.T) {
	tests := []struct {
		fail  error
		state string
	}{
		{Failf(ErrKeyringUnavailable, "the system keyring is locked and could not be unlocked for a read (prompt dismissed): unlock it, then try again"), SecretsLocked},
		{Failf(ErrKeyringUnavailable, "the system keyring did not answer a read within 30s: it may be locked; unlock it and try again"), SecretsLocked},
		{Failf(ErrKeyringUnavailable, "the system keyring cannot be reached for a read (The name org.freedesktop.secrets was not provided by any .service files): start a keyring"), SecretsUnreachable},
		{errors.New("boom\nsecond line"), SecretsUnreachable},
	}
	for _, tc := range tests {
		mem := secret.NewMemoryStore()
		mem.Fail = tc.fail
		st := newFixture(t, fixtureOpts{secrets: mem}).svc.ProbeSecrets()
		if st.State != tc.state {
			t.Errorf("with %q: state %s; want %s", tc.fail, st.State, tc.state)
		}
		if st.Message == "" || len(st.Message) > 400 || strings.ContainsAny(st.Message, "\r\n") {
			t.Errorf("with %q: message %q; want the error on one line", tc.fail, st.Message)
		}
	}
}

// Against the real, unlocked keyring of scripts/with-test-keyring. (A locked one needs a
// D-Bus session of its own, as e2e's TestLockedKeyring has; go-keyring keeps one bus
// connection per process, so it cannot be swapped here.)
func TestProbeSecretsRealKeyring(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("run under scripts/with-test-keyring to use a real keyring")
	}
	st := newFixture(t, fixtureOpts{secrets: secret.NewSystemStore()}).svc.ProbeSecrets()
	if st.State != SecretsOK || !strings.Contains(st.Store, "Secret Service") {
		t.Errorf("unlocked test keyring: %+v; want ok from the Secret Service", st)
	}
}

func TestVaultProbe(t *testing.T) {
	dir := secrettest.Dir(t)
	v := secrettest.OpenVault(t, dir, "")
	svc := newFixture(t, fixtureOpts{dir: dir, secrets: v}).svc
	if st := svc.ProbeSecrets(); st.State != SecretsOK || !strings.Contains(st.Store, "vault") || !strings.Contains(st.Store, v.Path()) {
		t.Errorf("an empty, unwritten vault: %+v", st)
	}
	if err := secrettest.OpenVault(t, dir, secrettest.Pass).Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	if st := svc.ProbeSecrets(); st.State != SecretsLocked || !strings.Contains(st.Message, "locked") {
		t.Errorf("a locked vault: %+v", st)
	}
	v.Passphrase = func() (string, error) { return "wrong", nil }
	if st := svc.ProbeSecrets(); st.State != SecretsLocked || !strings.Contains(st.Message, "passphrase is wrong") {
		t.Errorf("a wrong passphrase: %+v", st)
	}
	if err := v.Unlock(secrettest.Pass); err != nil {
		t.Fatal(err)
	}
	if st := svc.ProbeSecrets(); st.State != SecretsOK {
		t.Errorf("an unlocked vault: %+v", st)
	}
	if err := os.WriteFile(v.Path(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := svc.ProbeSecrets(); st.State != SecretsUnreachable || !strings.Contains(st.Message, "damaged") {
		t.Errorf("a damaged vault: %+v", st)
	}
}
