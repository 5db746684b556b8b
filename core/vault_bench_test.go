package core

import (
	"testing"

	"connectedapps/core/secret"
)

// The vault's `token` path beside the keyring's (BenchmarkTokenRealKeyring in bench_test.go):
// the same registry of 100 apps and one token read.
//
// BenchmarkTokenVaultNewProcess opens the vault anew for every call, as each `connectedapps
// token` process does: one argon2id derivation (secret.DefaultVaultKDF) per call, which is the price
// of a passphrase-protected file and dominates the time. BenchmarkTokenVaultUnlocked holds the
// key, as the window does after its Unlock dialog: a file read and one AES-GCM open.
func BenchmarkTokenVaultNewProcess(b *testing.B) {
	benchToken(b, freshVault{dir: b.TempDir()}, 100)
}

func BenchmarkTokenVaultUnlocked(b *testing.B) {
	v := secret.OpenVault(b.TempDir())
	v.Passphrase = func() (string, error) { return "bench passphrase", nil }
	benchToken(b, v, 100)
}

// freshVault is the vault in dir opened anew for every call, with the default parameters.
type freshVault struct{ dir string }

func (f freshVault) open() *secret.VaultStore {
	v := secret.OpenVault(f.dir)
	v.Passphrase = func() (string, error) { return "bench passphrase", nil }
	return v
}

func (f freshVault) Get(key string) (string, error) { return f.open().Get(key) }
func (f freshVault) Set(key, value string) error    { return f.open().Set(key, value) }
func (f freshVault) Delete(key string) error        { return f.open().Delete(key) }
