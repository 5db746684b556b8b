package secret

import (
	"testing"
	"time"
)

// BenchmarkSecretReadKeyring and BenchmarkSecretReadVaultNewProcess are the store reads alone,
// of a token record of typical size (1.5 KB).
func BenchmarkSecretReadKeyring(b *testing.B) {
	requireRealKeyring(b)
	benchSecretRead(b, NewChunkedStore(&KeyringStore{Timeout: 10 * time.Second}, 0))
}

func BenchmarkSecretReadVaultNewProcess(b *testing.B) {
	benchSecretRead(b, freshVault{dir: b.TempDir()})
}

func benchSecretRead(b *testing.B, store Store) {
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
