package core

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"

	"connectedapps/core/secret"
)

func TestSecretKeys(t *testing.T) {
	if clientSecretKey("abc") != "app/abc/client_secret" || tokensKey("abc") != "app/abc/tokens" {
		t.Errorf("keys: %q %q", clientSecretKey("abc"), tokensKey("abc"))
	}
	if secret.PlatformSecretLimit() < 0 {
		t.Errorf("secret.PlatformSecretLimit() = %d", secret.PlatformSecretLimit())
	}
}

// testKDF keeps the unit tests (run under -race) fast; the format and code paths are the same
// as with secret.DefaultVaultKDF. (core/secret's own vault tests have the same helpers.)
var testKDF = secret.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

const vaultTestPass = "correct horse battery staple"

func newTestVault(t *testing.T, dir, pass string) *secret.VaultStore {
	t.Helper()
	v := secret.OpenVault(dir)
	v.KDF = testKDF
	if pass != "" {
		v.Passphrase = func() (string, error) { return pass, nil }
	}
	return v
}

func vaultTestDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "connectedapps") // made by the first write, as in use
}

// randomHex is n random bytes in hex, for names no other test run shares.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
