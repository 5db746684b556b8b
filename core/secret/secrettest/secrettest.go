// Package secrettest is what the tests of core, cli and gui need of secret stores: a vault
// whose key derivation is cheap enough for -race (the format and the code paths are those of
// secret.DefaultVaultKDF), its passphrase, and a configuration folder not made yet. core/secret's
// own tests keep an in-package copy: they cannot import this package (it imports theirs).
package secrettest

import (
	"path/filepath"
	"testing"

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
