package secrettest

import (
	"strings"
	"testing"
	"time"

	"connectedapps/core/secret"
)

// Expiring a stored token moves only its expiry, into the past; the vault opens with the
// cheap KDF and the passphrase given, and CheapKDF is undone when the test ends.
func TestStoredTokensAndVault(t *testing.T) {
	mem := secret.NewMemoryStore()
	if err := mem.Set(TokensKey("a1", "x"), `{"access_token":"AT","expires_at":"2999-01-01T00:00:00Z","extra":7}`); err != nil {
		t.Fatal(err)
	}
	if err := ExpireStoredToken(mem, "a1", "x"); err != nil {
		t.Fatal(err)
	}
	var ts struct {
		AccessToken string    `json:"access_token"`
		ExpiresAt   time.Time `json:"expires_at"`
		Extra       int       `json:"extra"`
	}
	raw, err := StoredTokens(mem, "a1", "x", &ts)
	if err != nil || ts.AccessToken != "AT" || ts.Extra != 7 || !ts.ExpiresAt.Before(time.Now()) || !strings.Contains(raw, `"extra":7`) {
		t.Errorf("after expiring: %s %+v %v", raw, ts, err)
	}
	if _, err := StoredTokens(mem, "none", "x", nil); err == nil {
		t.Error("no tokens stored, yet StoredTokens succeeded")
	}

	dir := Dir(t)
	if err := OpenVault(t, dir, Pass).Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := OpenVault(t, dir, Pass).Get("k"); err != nil || v != "v" {
		t.Errorf("the vault read back %q, %v", v, err)
	}
	t.Run("CheapKDF", func(t *testing.T) {
		CheapKDF(t)
		if secret.DefaultVaultKDF != KDF {
			t.Errorf("DefaultVaultKDF = %+v", secret.DefaultVaultKDF)
		}
	})
	if secret.DefaultVaultKDF == KDF {
		t.Error("CheapKDF was not undone")
	}
}
