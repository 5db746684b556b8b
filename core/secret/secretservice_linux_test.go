package secret

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
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

// The two-round-trip write stores what go-keyring reads back, under go-keyring's label, and
// replaces an existing entry instead of adding a namesake.
func TestSecretServiceSetMatchesGoKeyring(t *testing.T) {
	requireRealKeyring(t)
	user := "test/fastset/" + randomHex(4)
	t.Cleanup(func() { _ = keyring.Delete(KeyringService, user) })
	for _, value := range []string{strings.Repeat("ä€x", 700), "second, shorter"} {
		if !secretServiceSet(KeyringService, user, value) {
			t.Fatal("secretServiceSet fell back to go-keyring on an unlocked keyring")
		}
		if got, err := keyring.Get(KeyringService, user); err != nil || got != value {
			t.Fatalf("go-keyring reads %d bytes, %v; want the %d written", len(got), err, len(value))
		}
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	if err := conn.Object(ssName, ssPath).Call(ssService+".SearchItems", 0, map[string]string{"service": KeyringService, "username": user}).Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	if len(unlocked)+len(locked) != 1 {
		t.Fatalf("%d entries after two writes, want 1 (replaced)", len(unlocked)+len(locked))
	}
	label, err := conn.Object(ssName, unlocked[0]).GetProperty("org.freedesktop.Secret.Item.Label")
	if want := "Password for '" + user + "' on '" + KeyringService + "'"; err != nil || label.Value() != want {
		t.Fatalf("label %v (%v), want go-keyring's %q", label.Value(), err, want)
	}
	store := &KeyringStore{Timeout: 10 * time.Second}
	if err := store.Set(user, "through the store"); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(user); err != nil || got != "through the store" {
		t.Fatalf("KeyringStore.Get after Set = %q, %v", got, err)
	}
}
