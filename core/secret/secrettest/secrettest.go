// Package secrettest is what the tests of core, cli and gui need of secret stores: a vault
// whose key derivation is cheap enough for -race (the format and the code paths are those of
// secret.DefaultVaultKDF), its passphrase, and a configuration folder not made yet; and for
// e2e and bench, an app's stored tokens read and expired as another program could. core/secret's
// own tests keep an in-package copy: they cannot import this package (it imports theirs).
package secrettest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"connectedapps/core/secret"
)

// KDF is the cheap key derivation.
var KDF = secret.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

// Pass is the test vaults' passphrase.
const Pass = "correct horse battery staple"

// CheapKDF makes secret.DefaultVaultKDF cheap until the test ends, for the vaults the code
// under test opens itself.
func CheapKDF(t testing.TB) {
	t.Helper()
	old := secret.DefaultVaultKDF
	secret.DefaultVaultKDF = KDF
	t.Cleanup(func() { secret.DefaultVaultKDF = old })
}

// OpenVault is the vault in dir with the cheap KDF and, unless pass is "", that passphrase.
func OpenVault(t testing.TB, dir, pass string) *secret.VaultStore {
	t.Helper()
	v := secret.OpenVault(dir)
	v.KDF = KDF
	if pass != "" {
		v.Passphrase = func() (string, error) { return pass, nil }
	}
	return v
}

// Dir is a configuration folder inside the test's temporary one, made by the first write as
// in use.
func Dir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "connectedapps")
}

// TokensKey is the key core keeps an account's tokens under (core's tokensKey, which core's
// tests check this against): e2e and bench read the store as a second program on the machine
// could. LegacyTokensKey is where an app's tokens were kept before accounts.
func TokensKey(appID, accountID string) string {
	return "app/" + appID + "/accounts/" + accountID + "/tokens"
}
func LegacyTokensKey(appID string) string { return "app/" + appID + "/tokens" }

// StoredTokens is the record store holds for the tokens of appID's account accountID, raw
// and, if v is not nil, decoded into v.
func StoredTokens(store secret.Store, appID, accountID string, v any) (string, error) {
	raw, err := store.Get(TokensKey(appID, accountID))
	if err != nil {
		return "", err
	}
	if v != nil {
		if err := json.Unmarshal([]byte(raw), v); err != nil {
			return "", fmt.Errorf("the tokens of %s are not JSON: %w", appID, err)
		}
	}
	return raw, nil
}

// ExpireStoredToken moves the stored access token's expiry a minute into the past, as time
// would; the rest of the record is kept as it is.
func ExpireStoredToken(store secret.Store, appID, accountID string) error {
	var ts map[string]any
	if _, err := StoredTokens(store, appID, accountID, &ts); err != nil {
		return err
	}
	ts["expires_at"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	data, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	return store.Set(TokensKey(appID, accountID), string(data))
}
