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
	got, found, ok := secretServiceGetMany(KeyringService, []string{user}, ssReadValues)
	if !ok || !found[0] || got[0] != value {
		t.Fatalf("secretServiceGetMany = %d bytes, found %v, ok %v; want the stored %d bytes", len(got[0]), found, ok, len(value))
	}
	store := &KeyringStore{Timeout: 10 * time.Second}
	if got, err := store.Get(user); err != nil || got != value {
		t.Fatalf("KeyringStore.Get = %d bytes, %v", len(got), err)
	}
	if _, err := store.Get(user + "/absent"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an absent entry: %v, want ErrNotFound", err)
	}
	if _, found, ok := secretServiceGetMany(KeyringService, []string{user + "/absent"}, ssReadValues); !ok || found[0] {
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

// Several entries read together give what go-keyring gives for each, in their order, the
// absent ones as not found, through the store as well.
func TestSecretServiceGetManyMatchesGoKeyring(t *testing.T) {
	requireRealKeyring(t)
	base := "test/getmany/" + randomHex(4)
	users := []string{base + "/a", base + "/absent", base + "/b", base + "/absent-too"}
	want := map[string]string{users[0]: "first ä€", users[2]: strings.Repeat("second", 500)}
	for user, v := range want {
		if err := keyring.Set(KeyringService, user, v); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = keyring.Delete(KeyringService, user) })
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	forgetSession(conn, mustSession(t, conn)) // as a fresh process: no session, no collection known
	values, found, ok := secretServiceGetMany(KeyringService, users, ssReadBeforeWrite)
	if !ok {
		t.Fatal("secretServiceGetMany fell back to go-keyring on an unlocked keyring")
	}
	if session, collection := cachedSession(conn); session == "" || collection == "" {
		t.Fatalf("after the read before a write: session %q, collection %q; want both kept for the write", session, collection)
	}
	store := &KeyringStore{Timeout: 10 * time.Second}
	storeValues, storeFound, err := store.GetMany(users)
	if err != nil {
		t.Fatal(err)
	}
	for i, user := range users {
		v, exists := want[user]
		if found[i] != exists || values[i] != v || storeFound[i] != exists || storeValues[i] != v {
			t.Errorf("%s: read %d bytes (found %v), through the store %d bytes (found %v); want %d bytes (found %v)",
				user, len(values[i]), found[i], len(storeValues[i]), storeFound[i], len(v), exists)
		}
	}
}

// The session a process keeps between calls may die under it (the daemon restarted, or
// someone closed it): the next read and write still work, through go-keyring once, and a new
// session is kept after.
func TestSecretServiceOutlivesItsSession(t *testing.T) {
	requireRealKeyring(t)
	user := "test/session/" + randomHex(4)
	t.Cleanup(func() { _ = keyring.Delete(KeyringService, user) })
	store := &KeyringStore{Timeout: 10 * time.Second}
	if err := store.Set(user, "one"); err != nil {
		t.Fatal(err)
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"read", "write"} {
		kept, _ := cachedSession(conn)
		if kept == "" {
			t.Fatalf("before the %s no session is kept", op)
		}
		if err := conn.Object(ssName, kept).Call("org.freedesktop.Secret.Session.Close", 0).Err; err != nil {
			t.Fatal(err)
		}
		if op == "read" {
			if got, err := store.Get(user); err != nil || got != "one" {
				t.Fatalf("a read after the session closed: %q, %v", got, err)
			}
		} else if err := store.Set(user, "two"); err != nil {
			t.Fatalf("a write after the session closed: %v", err)
		} else if got, err := keyring.Get(KeyringService, user); err != nil || got != "two" {
			t.Fatalf("after the write go-keyring reads %q, %v", got, err)
		}
		// The next call opens a new session and keeps it.
		if _, err := store.Get(user); err != nil {
			t.Fatal(err)
		}
		if now, _ := cachedSession(conn); now == "" || now == kept {
			t.Fatalf("after the %s the kept session is %q (the closed one was %q), want a new one", op, now, kept)
		}
	}
}

// mustSession is the session the process keeps, opening one with a read if none is kept.
func mustSession(t *testing.T, conn *dbus.Conn) dbus.ObjectPath {
	t.Helper()
	if session, _ := cachedSession(conn); session != "" {
		return session
	}
	if _, _, ok := secretServiceGetMany(KeyringService, []string{"test/absent"}, ssReadValues); !ok {
		t.Fatal("a read fell back to go-keyring on an unlocked keyring")
	}
	session, _ := cachedSession(conn)
	return session
}

// A probe says whether an entry is there without reading it (its values stay empty), and
// through the stores it is nil for an entry there and for one that is not: the keyring
// answered either way. Before the first write of an entry it learns the write's collection.
func TestSecretServiceProbe(t *testing.T) {
	requireRealKeyring(t)
	user := "test/probe/" + randomHex(4)
	if err := keyring.Set(KeyringService, user, "there"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyring.Delete(KeyringService, user) })
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user  string
		found bool
	}{{user, true}, {user + "/absent", false}} {
		forgetSession(conn, mustSession(t, conn))
		values, found, ok := secretServiceGetMany(KeyringService, []string{c.user}, ssProbe)
		if !ok || found[0] != c.found || values[0] != "" {
			t.Fatalf("probe of %s: values %q, found %v, ok %v; want found %v and no value", c.user, values, found, ok, c.found)
		}
		if _, collection := cachedSession(conn); collection == "" {
			t.Fatalf("probe of %s: the write's collection is not kept", c.user)
		}
		for _, store := range []Store{&KeyringStore{Timeout: 10 * time.Second}, NewChunkedStore(&KeyringStore{Timeout: 10 * time.Second}, 100)} {
			if err := Probe(store, c.user); err != nil {
				t.Fatalf("Probe(%T, %s): %v", store, c.user, err)
			}
		}
	}
	if got, err := keyring.Get(KeyringService, user); err != nil || got != "there" {
		t.Fatalf("after the probes go-keyring reads %q, %v", got, err)
	}
}
