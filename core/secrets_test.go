package core

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
)

func TestSecretKeys(t *testing.T) {
	if clientSecretKey("abc") != "app/abc/client_secret" || tokensKey("abc", "x1") != "app/abc/accounts/x1/tokens" ||
		legacyTokensKey("abc") != "app/abc/tokens" || secrettest.TokensKey("abc", "x1") != tokensKey("abc", "x1") || secrettest.LegacyTokensKey("abc") != legacyTokensKey("abc") {
		t.Errorf("keys: %q %q %q", clientSecretKey("abc"), tokensKey("abc", "x1"), legacyTokensKey("abc"))
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
