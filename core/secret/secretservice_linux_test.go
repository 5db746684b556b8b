package secret

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// The two-round-trip read gives what go-keyring gives: the value, or ErrNotFound.
func TestSecretServiceGetMatchesGoKeyring(t *testing.T) {
	requireRealKeyring(t)
	user := "test/fastget/" + randomHex(4)
	value := strings.Repeat("ä€x", 700) // multi-byte, 4 KiB and more
	if err := keyring.Set(KeyringService, user, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyring.Delete(KeyringService, user) })
	got, found, ok := secretServiceGet(KeyringService, user)
	if !ok || !found || got != value {
		t.Fatalf("secretServiceGet = %d bytes, found %v, ok %v; want the stored %d bytes", len(got), found, ok, len(value))
	}
	store := &KeyringStore{Timeout: 10 * time.Second}
	if got, err := store.Get(user); err != nil || got != value {
		t.Fatalf("KeyringStore.Get = %d bytes, %v", len(got), err)
	}
	if _, err := store.Get(user + "/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an absent entry: %v, want ErrNotFound", err)
	}
	if _, found, ok := secretServiceGet(KeyringService, user+"/absent"); !ok || found {
		t.Fatalf("an absent entry: found %v, ok %v; want a definite not-found", found, ok)
	}
}
