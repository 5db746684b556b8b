package core

import (
	"testing"
	"time"
)

// The vault's `token` path beside the keyring's (BenchmarkTokenRealKeyring in bench_test.go):
// the same registry of 100 apps and one token read.
//
// BenchmarkTokenVaultNewProcess opens the vault anew for every call, as each `connectedapps
// token` process does: one argon2id derivation (DefaultVaultKDF) per call, which is the price
// of a passphrase-protected file and dominates the time. BenchmarkTokenVaultUnlocked holds the
// key, as the window does after its Unlock dialog: a file read and one AES-GCM open.
func BenchmarkTokenVaultNewProcess(b *testing.B) {
	benchToken(b, freshVault{dir: b.TempDir()}, 100)
}

func BenchmarkTokenVaultUnlocked(b *testing.B) {
	v := OpenVault(b.TempDir())
	v.Passphrase = func() (string, error) { return "bench passphrase", nil }
	benchToken(b, v, 100)
}

// BenchmarkSecretReadKeyring and BenchmarkSecretReadVaultNewProcess are the store reads alone,
// of a token record of typical size (1.5 KB).
func BenchmarkSecretReadKeyring(b *testing.B) {
	requireRealKeyring(b)
	benchSecretRead(b, NewChunkedStore(&KeyringStore{Timeout: 10 * time.Second}, 0))
}

func BenchmarkSecretReadVaultNewProcess(b *testing.B) {
	benchSecretRead(b, freshVault{dir: b.TempDir()})
}

func benchSecretRead(b *testing.B, store SecretStore) {
	key := "bench/" + randomHex(8)
	value := string(randomHex(750)) // 1,500 characters
	if err := store.Set(key, value); err != nil {
		b.Fatal(err)
	}
	defer store.Delete(key)
	b.ResetTimer()
	for b.Loop() {
		if got, err := store.Get(key); err != nil || got != value {
			b.Fatal(err)
		}
	}
}

// freshVault is the vault in dir opened anew for every call, with the default parameters.
type freshVault struct{ dir string }

func (f freshVault) open() *VaultStore {
	v := OpenVault(f.dir)
	v.Passphrase = func() (string, error) { return "bench passphrase", nil }
	return v
}

func (f freshVault) Get(key string) (string, error) { return f.open().Get(key) }
func (f freshVault) Set(key, value string) error    { return f.open().Set(key, value) }
func (f freshVault) Delete(key string) error        { return f.open().Delete(key) }
