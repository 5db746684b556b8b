package core

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

func TestSecretKeys(t *testing.T) {
	if clientSecretKey("abc") != "app/abc/client_secret" || tokensKey("abc") != "app/abc/tokens" || secrettest.TokensKey("abc") != tokensKey("abc") {
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
