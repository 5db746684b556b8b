package secret

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// keyringEntries lists the user names of every Secret Service item filed under our service
// whose name starts with prefix: what a keyring app would show, pieces and notes included.
func keyringEntries(t *testing.T, prefix string) []string {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	if err := conn.Object(ssName, ssPath).Call(ssService+".SearchItems", 0, map[string]string{"service": KeyringService}).Store(&unlocked, &locked); err != nil {
		t.Fatalf("listing the keyring: %v", err)
	}
	var out []string
	for _, item := range append(unlocked, locked...) {
		v, err := conn.Object(ssName, item).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			t.Fatalf("reading %s: %v", item, err)
		}
		attrs, _ := v.Value().(map[string]string)
		if name := attrs["username"]; strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// The real keyring: a split value's writer SIGKILLed after its first new piece, after its last
// one, and after switching the index. The kill leaves entries nothing reads (listed in the
// keyring); the next write of the value removes every one of them and reads back.
func TestChunkedKeyringOrphansGoWithTheNextWrite(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring), as make test does")
	}
	oldValue, newValue := secretsTestValue("old", 4*fltChunkLimit), secretsTestValue("new", 5*fltChunkLimit-7)
	for _, point := range []string{"piece-written#1", "piece-written#5", "index-written"} {
		t.Run(point, func(t *testing.T) {
			raw := &KeyringStore{Timeout: 10 * time.Second}
			store := NewChunkedStore(raw, fltChunkLimit)
			key := "test/orphans-" + randomHex(6)
			t.Cleanup(func() {
				for _, name := range keyringEntries(t, key) {
					_ = raw.Delete(name)
				}
			})
			if err := store.Set(key, oldValue); err != nil {
				t.Fatalf("storing the old value: %v", err)
			}
			writeKilledAt(t, key, newValue, point)
			afterKill := keyringEntries(t, key+"#")
			index, _ := raw.Get(key)
			_, n, _ := parseChunkIndex(index)
			if len(afterKill) <= n {
				t.Fatalf("the kill left nothing beyond the %d pieces in use: %q", n, afterKill)
			}

			third := secretsTestValue("third", 3*fltChunkLimit)
			if err := store.Set(key, third); err != nil {
				t.Fatalf("the next write: %v", err)
			}
			if got, err := store.Get(key); err != nil || got != third {
				t.Fatalf("after the next write Get = %q, %v", got, err)
			}
			index, _ = raw.Get(key)
			gen, n, _ := parseChunkIndex(index)
			var want []string
			for i := range n {
				want = append(want, chunkKey(key, gen, i))
			}
			slices.Sort(want)
			if got := keyringEntries(t, key+"#"); !slices.Equal(got, want) {
				t.Errorf("after the next write the keyring holds %q; want only the new pieces %q (after the kill it held %q)", got, want, afterKill)
			}
		})
	}
}
