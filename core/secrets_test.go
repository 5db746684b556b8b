package core

import (
	"crypto/rand"
	"encoding/hex"
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

// randomHex is n random bytes in hex, for names no other test run shares.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
