package secret

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// secretsTestFailingStore fails the failAt-th Set it sees (counting from 1) and passes
// everything else through, to play a keyring that dies in the middle of a rewrite.
type secretsTestFailingStore struct {
	*MemoryStore
	mu     sync.Mutex
	sets   int
	failAt int // 0: never fail
}

var errSecretsTestInjected = errors.New("injected keyring failure")

func (f *secretsTestFailingStore) Set(key, value string) error {
	f.mu.Lock()
	f.sets++
	fail := f.sets == f.failAt
	f.mu.Unlock()
	if fail {
		return errSecretsTestInjected
	}
	return f.MemoryStore.Set(key, value)
}

// secretsTestValue is n bytes of text that differs by seed, so a mix of two values shows.
func secretsTestValue(seed string, n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s%d.", seed, i)
	}
	return b.String()[:n]
}

func secretsTestKeys(m *MemoryStore) []string {
	k := m.Keys()
	slices.Sort(k)
	return k
}

// secretsTestPieces lists the stored entries that are pieces of key.
func secretsTestPieces(m *MemoryStore, key string) []string {
	var out []string
	for _, k := range secretsTestKeys(m) {
		if strings.HasPrefix(k, key+"#") {
			out = append(out, k)
		}
	}
	return out
}

func secretsTestRoundTrip(t *testing.T, s Store, key, value string) {
	t.Helper()
	if err := s.Set(key, value); err != nil {
		t.Fatalf("Set(%d bytes): %v", len(value), err)
	}
	got, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get after Set(%d bytes): %v", len(value), err)
	}
	if got != value {
		t.Fatalf("Get = %q (%d bytes), want %q (%d bytes)", got, len(got), value, len(value))
	}
}

func TestMemoryStore(t *testing.T) {
	m := NewMemoryStore()
	if _, err := m.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
	if err := m.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get("k"); v != "v" || err != nil {
		t.Errorf("Get = %q, %v", v, err)
	}
	if err := m.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("k"); err != nil {
		t.Errorf("Delete(missing) = %v", err)
	}
	if m.Reads != 2 {
		t.Errorf("Reads = %d, want 2", m.Reads)
	}
	m.Fail = ErrKeyringUnavailable
	if _, err := m.Get("k"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Get with Fail = %v", err)
	}
	if err := m.Set("k", "v"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Set with Fail = %v", err)
	}
	if len(m.Keys()) != 0 {
		t.Errorf("Set with Fail stored something: %q", m.Keys())
	}
}

func TestChunkedStoreRoundTripsAroundTheLimit(t *testing.T) {
	const limit = 16
	for _, n := range []int{0, 1, limit - 1, limit, limit + 1, 2 * limit, 2*limit + 1, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := NewMemoryStore()
			c := NewChunkedStore(m, limit)
			v := secretsTestValue("v", n)
			secretsTestRoundTrip(t, c, "app/x/tokens", v)
			pieces := secretsTestPieces(m, "app/x/tokens")
			if n <= limit {
				if len(pieces) != 0 {
					t.Errorf("a %d-byte value was split: %q", n, pieces)
				}
				if raw, _ := m.Get("app/x/tokens"); raw != v {
					t.Errorf("a %d-byte value is not stored whole: %q", n, raw)
				}
				return
			}
			if want := (n + limit - 1) / limit; len(pieces) != want {
				t.Errorf("%d bytes in %d pieces, want %d", n, len(pieces), want)
			}
			// Every piece is within the limit (the index entry is a short fixed form, which a
			// real platform limit of kilobytes always holds).
			var joined strings.Builder
			for _, k := range pieces {
				raw, _ := m.Get(k)
				if len(raw) > limit {
					t.Errorf("piece %q holds %d bytes, over the %d limit", k, len(raw), limit)
				}
			}
			index, _ := m.Get("app/x/tokens")
			gen, count, ok := parseChunkIndex(index)
			if !ok || count != len(pieces) {
				t.Fatalf("index entry %q does not name %d pieces", index, len(pieces))
			}
			for i := range count {
				raw, _ := m.Get(chunkKey("app/x/tokens", gen, i))
				joined.WriteString(raw)
			}
			if joined.String() != v {
				t.Errorf("the pieces in order do not make the value")
			}
		})
	}
}

func TestChunkedStoreLimitZeroNeverSplits(t *testing.T) {
	m := NewMemoryStore()
	c := NewChunkedStore(m, 0)
	v := secretsTestValue("big", 100000)
	secretsTestRoundTrip(t, c, "k", v)
	if got := secretsTestKeys(m); !slices.Equal(got, []string{"k"}) {
		t.Errorf("limit 0 stored %d entries", len(got))
	}
}

func TestChunkedStoreNeverSplitsACharacter(t *testing.T) {
	// 1-, 2-, 3- and 4-byte characters, so every cut position is tried.
	unit := "aé日🙂"
	for _, limit := range []int{1, 2, 3, 4, 5, 6, 7, 16, 17} {
		for _, reps := range []int{1, 5, 23} {
			m := NewMemoryStore()
			c := NewChunkedStore(m, limit)
			v := strings.Repeat(unit, reps)
			secretsTestRoundTrip(t, c, "k", v)
			for _, k := range secretsTestKeys(m) {
				raw, _ := m.Get(k)
				if !utf8.ValidString(raw) {
					t.Errorf("limit %d: entry %q holds invalid UTF-8 %q", limit, k, raw)
				}
				if k != "k" && len(raw) > max(limit, 4) {
					t.Errorf("limit %d: piece %q holds %d bytes", limit, k, len(raw))
				}
			}
		}
	}
}

func TestSplitUTF8(t *testing.T) {
	cases := []struct {
		s    string
		size int
		want []string
	}{
		{"", 4, []string{""}},
		{"abcd", 4, []string{"abcd"}},
		{"abcde", 4, []string{"abcd", "e"}},
		{"abé", 3, []string{"ab", "é"}},
		{"日本語", 4, []string{"日", "本", "語"}},
		{"🙂🙂", 5, []string{"🙂", "🙂"}},
		// Invalid UTF-8 (a run of continuation bytes) is still cut, at the size.
		{"\x80\x80\x80\x80\x80", 4, []string{"\x80\x80\x80\x80", "\x80"}},
	}
	for _, c := range cases {
		got := splitUTF8(c.s, c.size)
		if !slices.Equal(got, c.want) {
			t.Errorf("splitUTF8(%q, %d) = %q, want %q", c.s, c.size, got, c.want)
		}
		if strings.Join(got, "") != c.s {
			t.Errorf("splitUTF8(%q, %d) lost bytes", c.s, c.size)
		}
	}
}

func TestChunkedStoreValueThatLooksLikeAnIndex(t *testing.T) {
	for _, limit := range []int{16, 100, 4096} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			m := NewMemoryStore()
			c := NewChunkedStore(m, limit)
			// A real index, copied from another entry: stored as a value it must read back as
			// itself, never as the other entry's pieces.
			if err := c.Set("other", secretsTestValue("other", 5*limit)); err != nil {
				t.Fatal(err)
			}
			index, _ := m.Get("other")
			if !strings.HasPrefix(index, chunkIndexPrefix) {
				t.Fatalf("the other entry was not chunked: %q", index)
			}
			for _, v := range []string{index, chunkIndexPrefix, chunkIndexPrefix + "x", chunkIndexPrefix + "zz:1",
				chunkIndexPrefix + secretsTestValue("p", 3*limit)} {
				secretsTestRoundTrip(t, c, "k", v)
			}
			if got, _ := c.Get("other"); got != secretsTestValue("other", 5*limit) {
				t.Errorf("the other entry changed")
			}
		})
	}
}

// Linux's keyring has no size limit, so NewSystemStore uses limit 0 there; the promise that
// an index-looking value is never mistaken for an index must hold there too.
func TestChunkedStoreValueThatLooksLikeAnIndexWithoutLimit(t *testing.T) {
	m := NewMemoryStore()
	if err := NewChunkedStore(m, 10).Set("other", "0123456789abcdefghij"); err != nil {
		t.Fatal(err)
	}
	index, _ := m.Get("other")
	c := NewChunkedStore(m, 0)
	for _, v := range []string{index, chunkIndexPrefix + "abcd:3"} {
		if err := c.Set("k", v); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get("k")
		if err != nil || got != v {
			t.Errorf("limit 0: Set(%q) then Get = %q, %v; want the value back", v, got, err)
		}
	}
}

func TestChunkedStoreRewriteLeavesNoStalePieces(t *testing.T) {
	const limit = 16
	m := NewMemoryStore()
	c := NewChunkedStore(m, limit)
	if err := m.Set("neighbour", "keep me"); err != nil {
		t.Fatal(err)
	}
	long := secretsTestValue("long", 10*limit)
	secretsTestRoundTrip(t, c, "k", long)
	if n := len(secretsTestPieces(m, "k")); n != 10 {
		t.Fatalf("%d pieces, want 10", n)
	}
	// Shorter, still chunked: only the new generation's pieces remain.
	secretsTestRoundTrip(t, c, "k", secretsTestValue("mid", 3*limit))
	if n := len(secretsTestPieces(m, "k")); n != 3 {
		t.Errorf("after a shorter rewrite %d pieces remain, want 3: %q", n, secretsTestPieces(m, "k"))
	}
	// Longer again.
	secretsTestRoundTrip(t, c, "k", long)
	if n := len(secretsTestPieces(m, "k")); n != 10 {
		t.Errorf("after a longer rewrite %d pieces remain, want 10", n)
	}
	// Same value again: a new generation, the old one gone.
	before := secretsTestPieces(m, "k")
	secretsTestRoundTrip(t, c, "k", long)
	after := secretsTestPieces(m, "k")
	if len(after) != 10 || slices.Equal(before, after) {
		t.Errorf("rewriting the same value: pieces %q -> %q", before, after)
	}
	// Unchunked: nothing but the entry itself.
	secretsTestRoundTrip(t, c, "k", "short")
	if got := secretsTestKeys(m); !slices.Equal(got, []string{"k", "neighbour"}) {
		t.Errorf("after an unchunked rewrite the store holds %q", got)
	}
	// And back to chunked, then delete: every piece goes.
	secretsTestRoundTrip(t, c, "k", long)
	if err := c.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if got := secretsTestKeys(m); !slices.Equal(got, []string{"neighbour"}) {
		t.Errorf("after Delete the store holds %q", got)
	}
	if _, err := c.Get("k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := c.Delete("k"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	if err := c.Delete("never-set"); err != nil {
		t.Errorf("Delete(never set) = %v, want nil", err)
	}
	if v, _ := m.Get("neighbour"); v != "keep me" {
		t.Errorf("neighbour = %q", v)
	}
}

func TestChunkedStoreMissingPiece(t *testing.T) {
	m := NewMemoryStore()
	c := NewChunkedStore(m, 16)
	if err := c.Set("k", secretsTestValue("v", 50)); err != nil {
		t.Fatal(err)
	}
	pieces := secretsTestPieces(m, "k")
	m.Delete(pieces[len(pieces)-1])
	_, err := c.Get("k")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("Get with a piece missing = %v, want ErrNotFound naming the entry", err)
	}
}

func TestChunkedStorePassesErrorsThrough(t *testing.T) {
	m := NewMemoryStore()
	c := NewChunkedStore(m, 16)
	if err := c.Set("k", secretsTestValue("v", 50)); err != nil {
		t.Fatal(err)
	}
	before := secretsTestKeys(m)
	m.Fail = ErrKeyringUnavailable
	if _, err := c.Get("k"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Get = %v", err)
	}
	if err := c.Set("k", "x"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Set = %v", err)
	}
	if err := c.Delete("k"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Delete = %v", err)
	}
	m.Fail = nil
	if got := secretsTestKeys(m); !slices.Equal(got, before) {
		t.Errorf("failed calls changed the store: %q -> %q", before, got)
	}
	if v, _ := c.Get("k"); v != secretsTestValue("v", 50) {
		t.Errorf("failed calls changed the value")
	}
}

// A rewrite that fails at any step leaves the old value exactly, and no new pieces.
func TestChunkedStoreCrashSafety(t *testing.T) {
	const limit = 16
	cases := []struct{ name, old, new string }{
		{"unchunked to chunked", "old-short", secretsTestValue("new", 5*limit)},
		{"chunked to unchunked", secretsTestValue("old", 5*limit), "new-short"},
		{"chunked to shorter chunked", secretsTestValue("old", 6*limit), secretsTestValue("new", 3*limit+1)},
		{"chunked to longer chunked", secretsTestValue("old", 3*limit), secretsTestValue("new", 7*limit-1)},
		{"chunked to same-size chunked", secretsTestValue("old", 4*limit), secretsTestValue("new", 4*limit)},
		{"chunked to index-looking", secretsTestValue("old", 4*limit), chunkIndexPrefix + "ab:1"},
		{"absent to chunked", "", secretsTestValue("new", 4*limit)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			failures := 0
			for n := 1; ; n++ {
				if n > 100 {
					t.Fatal("the rewrite never succeeded")
				}
				f := &secretsTestFailingStore{MemoryStore: NewMemoryStore()}
				f.MemoryStore.Set("neighbour", "keep me")
				cs := NewChunkedStore(f, limit)
				if c.old != "" {
					if err := cs.Set("k", c.old); err != nil {
						t.Fatal(err)
					}
				}
				before := secretsTestKeys(f.MemoryStore)
				f.mu.Lock()
				f.sets, f.failAt = 0, n
				f.mu.Unlock()

				err := cs.Set("k", c.new)
				got, getErr := cs.Get("k")
				if err == nil {
					if got != c.new || getErr != nil {
						t.Fatalf("successful rewrite: Get = %q, %v", got, getErr)
					}
					if failures == 0 {
						t.Fatal("no failing step was exercised")
					}
					// Nothing stale after success either.
					wantPieces := 0
					if len(c.new) > limit || strings.HasPrefix(c.new, chunkIndexPrefix) {
						wantPieces = len(splitUTF8(c.new, limit))
					}
					if p := secretsTestPieces(f.MemoryStore, "k"); len(p) != wantPieces {
						t.Errorf("after success %d pieces, want %d", len(p), wantPieces)
					}
					return
				}
				failures++
				if !errors.Is(err, errSecretsTestInjected) {
					t.Errorf("fail at set %d: Set = %v, want the injected error", n, err)
				}
				if c.old == "" {
					if !errors.Is(getErr, ErrNotFound) {
						t.Errorf("fail at set %d: Get = %q, %v; want ErrNotFound", n, got, getErr)
					}
				} else if getErr != nil || got != c.old {
					t.Errorf("fail at set %d: Get = %q, %v; want the old value %q", n, got, getErr, c.old)
				}
				if after := secretsTestKeys(f.MemoryStore); !slices.Equal(after, before) {
					t.Errorf("fail at set %d: store %q -> %q (pieces left behind or old ones lost)", n, before, after)
				}
			}
		})
	}
}

func TestChunkedStoreConcurrentReaders(t *testing.T) {
	m := NewMemoryStore()
	c := NewChunkedStore(m, 16)
	v := secretsTestValue("v", 200)
	if err := c.Set("k", v); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got, err := c.Get("k"); err != nil || got != v {
					t.Errorf("Get = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKeyringStoreCallTimeout(t *testing.T) {
	k := &KeyringStore{Timeout: 20 * time.Millisecond}
	release := make(chan struct{})
	defer close(release) // let the abandoned op finish
	err := k.call("read", func() error { <-release; return nil })
	if !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("call on a blocked op = %v, want ErrKeyringUnavailable", err)
	}
	for _, want := range []string{"may be locked", "read", "unlock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func TestKeyringStoreCallZeroTimeoutUsesTheDefault(t *testing.T) {
	// Timeout 0 means the default, not "fail at once": an op that takes a moment succeeds.
	k := &KeyringStore{}
	if err := k.call("write", func() error { time.Sleep(30 * time.Millisecond); return nil }); err != nil {
		t.Errorf("call = %v", err)
	}
}

func TestKeyringStoreCallMapsErrors(t *testing.T) {
	k := &KeyringStore{Timeout: 5 * time.Second}
	if err := k.call("read", func() error { return nil }); err != nil {
		t.Errorf("success = %v", err)
	}
	if err := k.call("read", func() error { return keyring.ErrNotFound }); !errors.Is(err, ErrNotFound) {
		t.Errorf("keyring.ErrNotFound -> %v, want ErrNotFound", err)
	}
	err := k.call("write", func() error { return keyring.ErrSetDataTooBig })
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ErrSetDataTooBig -> %v", err)
	}
	err = k.call("delete", func() error {
		return errors.New("The name org.freedesktop.secrets was not provided\nby any .service files")
	})
	if !errors.Is(err, ErrKeyringUnavailable) || errors.Is(err, ErrNotFound) {
		t.Errorf("D-Bus failure -> %v, want ErrKeyringUnavailable", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") || !strings.Contains(err.Error(), "was not provided by any") ||
		!strings.Contains(err.Error(), "delete") {
		t.Errorf("D-Bus failure message %q: want one line quoting the cause and naming the operation", err)
	}
}

// TestKeyringReal uses the real OS keyring. `make test` sets CONNECTEDAPPS_TEST_KEYRING=1
// inside a private D-Bus session with an unlocked gnome-keyring; there every keyring error is
// a failure.
func TestKeyringReal(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring) to test the real OS keyring")
	}
	for _, limit := range []int{0, 100} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			raw := &KeyringStore{Timeout: 10 * time.Second}
			s := NewChunkedStore(raw, limit)
			key := "test/" + randomHex(8)
			t.Cleanup(func() {
				// Best effort: remove the entry and any piece a failure left behind.
				if v, err := raw.Get(key); err == nil {
					if gen, n, ok := parseChunkIndex(v); ok {
						for i := range n {
							raw.Delete(chunkKey(key, gen, i))
						}
					}
				}
				raw.Delete(key)
			})

			if _, err := s.Get(key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get(new key) = %v, want ErrNotFound", err)
			}
			v1 := strings.Repeat("é", 500) + secretsTestValue("first", 4000) // 5,000 bytes
			v2 := secretsTestValue("second", 5000)
			if len(v1) != 5000 || len(v2) != 5000 {
				t.Fatalf("test values are %d and %d bytes", len(v1), len(v2))
			}
			secretsTestRoundTrip(t, s, key, v1)
			index, err := raw.Get(key)
			if err != nil {
				t.Fatal(err)
			}
			gen1, n1, chunked := parseChunkIndex(index)
			if chunked != (limit > 0) {
				t.Fatalf("limit %d: stored entry chunked = %v", limit, chunked)
			}
			if chunked && n1 != 50 {
				t.Errorf("5,000 bytes in %d pieces of at most 100", n1)
			}

			secretsTestRoundTrip(t, s, key, v2)
			if chunked {
				for i := range n1 {
					if _, err := raw.Get(chunkKey(key, gen1, i)); !errors.Is(err, ErrNotFound) {
						t.Errorf("old piece %d after overwrite: %v, want ErrNotFound", i, err)
					}
				}
			}
			secretsTestRoundTrip(t, s, key, "short")
			secretsTestRoundTrip(t, s, key, v1)

			if err := s.Delete(key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Get(key); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete = %v, want ErrNotFound", err)
			}
			if _, err := raw.Get(key); !errors.Is(err, ErrNotFound) {
				t.Errorf("raw Get after Delete = %v, want ErrNotFound", err)
			}
			if err := s.Delete(key); err != nil {
				t.Errorf("Delete(missing) = %v, want nil", err)
			}
			if err := raw.Delete(key); err != nil {
				t.Errorf("KeyringStore.Delete(missing) = %v, want nil", err)
			}
		})
	}
}

// requireRealKeyring skips unless the run has a private, unlocked keyring (make test and make
// bench do).
func requireRealKeyring(tb testing.TB) {
	tb.Helper()
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		tb.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring) to use the real OS keyring")
	}
}

func TestDescribeSecretStore(t *testing.T) {
	if got := Describe(NewSystemStore()); got == "" || got == Describe(NewMemoryStore()) {
		t.Errorf("system store described as %q", got)
	}
}

// secretsTestPreparingStore counts the Prepare calls that reach it.
type secretsTestPreparingStore struct {
	*MemoryStore
	prepared int
}

func (p *secretsTestPreparingStore) Prepare() { p.prepared++ }

func TestPrepareReachesTheStoreUnderTheChunks(t *testing.T) {
	inner := &secretsTestPreparingStore{MemoryStore: NewMemoryStore()}
	Prepare(NewChunkedStore(inner, 100))
	if inner.prepared != 1 {
		t.Fatalf("Prepare on the chunked store reached the store underneath %d times, want 1", inner.prepared)
	}
	Prepare(NewMemoryStore()) // nothing to prepare: a no-op, not a panic
}

// TestKeyringPrepareThenUse connects in the background and uses the store at once, the way
// token does: the call must wait for that connection (or make its own), never fail or hang.
func TestKeyringPrepareThenUse(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring) to test the real OS keyring")
	}
	store := &KeyringStore{Timeout: 10 * time.Second}
	key := "test/prepare/" + randomHex(4)
	t.Cleanup(func() { _ = store.Delete(key) })
	store.Prepare()
	if err := store.Set(key, "ready"); err != nil {
		t.Fatalf("Set right after Prepare: %v", err)
	}
	store.Prepare() // again, with the connection open
	if got, err := store.Get(key); err != nil || got != "ready" {
		t.Fatalf("Get right after Prepare: %q, %v", got, err)
	}
}
