package secret

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/danieljoos/wincred"
)

// The Windows Credential Manager (go-keyring's wincred backend; Wine's under make
// test-windows) takes at most 2,560 bytes a value, CRED_MAX_CREDENTIAL_BLOB_SIZE: a value of
// exactly 2,560 is stored whole, one byte more is refused, and the system store splits 6,000
// bytes into pieces of 2,560, 2,560 and 880 that read back whole, each a credential of its own.
func TestCredentialManagerLimit(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 to test the real Credential Manager (make test-windows runs it under Wine)")
	}
	if PlatformSecretLimit() != 2560 {
		t.Fatalf("PlatformSecretLimit() = %d on Windows; want 2560", PlatformSecretLimit())
	}
	raw := &KeyringStore{Timeout: 10 * time.Second}
	key := "test/" + randomHex(8)
	t.Cleanup(func() {
		if v, err := raw.Get(key); err == nil {
			if gen, n, ok := parseChunkIndex(v); ok {
				for i := range n {
					_ = raw.Delete(chunkKey(key, gen, i))
				}
			}
		}
		_ = raw.Delete(key)
	})

	if err := raw.Set(key, strings.Repeat("a", 2560)); err != nil {
		t.Fatalf("a value of 2,560 bytes: %v", err)
	}
	if err := raw.Set(key, strings.Repeat("a", 2561)); !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("a value of 2,561 bytes = %v; want the keyring's refusal as too large", err)
	}

	value := secretsTestValue("windows", 6000)
	s := NewSystemStore()
	if err := s.Set(key, value); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(key); err != nil || got != value {
		t.Fatalf("read back %d bytes, %v; want the 6,000 written", len(got), err)
	}
	index, err := raw.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	gen, n, ok := parseChunkIndex(index)
	if !ok || n != 3 {
		t.Fatalf("the entry holds %q; want an index of 3 pieces", index)
	}
	for i, want := range []int{2560, 2560, 880} {
		cred, err := wincred.GetGenericCredential(KeyringService + ":" + chunkKey(key, gen, i))
		if err != nil {
			t.Fatalf("piece %d is not a credential of its own: %v", i, err)
		}
		if len(cred.CredentialBlob) != want {
			t.Errorf("piece %d holds %d bytes; want %d", i, len(cred.CredentialBlob), want)
		}
	}
}
