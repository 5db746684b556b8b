package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"connectedapps/internal/testproc"
)

// The process killed in the middle of a write of a split keyring value. The writer is this
// test binary run again as a child (TestHelperProcessChunkedWrite), which stops at a chosen
// crashPoint and is SIGKILLed there by the parent (internal/testproc starts and kills it);
// the parent then checks that the old value or the new one is readable, never a broken one,
// and that the next write works. (core's crash tests, of apps.json, settings.json and
// vault.json, still have a copy of testproc's helpers of their own.)

const fltHelperEnv = "CONNECTEDAPPS_TEST_FAULT"

// TestHelperProcessChunkedWrite is not a test: the tests below run the binary again with this
// one selected, as the process that gets killed.
func TestHelperProcessChunkedWrite(t *testing.T) {
	if os.Getenv(fltHelperEnv) != "chunked-write" {
		t.Skip("helper process for the crash tests")
	}
	// Stop at the n-th time the named point is reached, say so, and wait for SIGKILL.
	crashPoint = testproc.StopAt(os.Getenv("CRASH_POINT"))
	store := NewChunkedStore(&KeyringStore{Timeout: 10 * time.Second}, fltChunkLimit)
	fmt.Printf("RESULT %v\n", store.Set(os.Getenv("KEY"), os.Getenv("VALUE")))
}

// writeKilledAt has the helper write value under key in the real keyring, split in pieces of
// fltChunkLimit, and SIGKILLs it at point ("NAME#N"); it returns the point's detail.
func writeKilledAt(t *testing.T, key, value, point string) (detail string) {
	t.Helper()
	detail, cmd := testproc.Start(t, "TestHelperProcessChunkedWrite", "READY", fltHelperEnv+"=chunked-write", "KEY="+key, "VALUE="+value, "CRASH_POINT="+point)
	testproc.Kill(t, cmd)
	return detail
}

// ---- chunked keyring values ----

const fltChunkLimit = 64

// The real keyring, a value split in pieces, and the writer killed after its first new piece,
// after its last new piece (the index still names the old ones), and after switching the
// index (before the old pieces are removed).
func TestChunkedKeyringWriteKilledMidway(t *testing.T) {
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		t.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring), as make test does")
	}
	oldValue, newValue := secretsTestValue("old", 4*fltChunkLimit), secretsTestValue("new", 5*fltChunkLimit-7)
	for _, c := range []struct {
		point   string
		wantNew bool
	}{
		{"piece-written#1", false},
		{"piece-written#5", false},
		{"index-written", true},
	} {
		t.Run(c.point, func(t *testing.T) {
			raw := &KeyringStore{Timeout: 10 * time.Second}
			store := NewChunkedStore(raw, fltChunkLimit)
			key := "test/crash-" + randomHex(6)
			if err := store.Set(key, oldValue); err != nil {
				t.Fatalf("storing the old value: %v", err)
			}
			oldIndex, _ := raw.Get(key)
			oldGen, oldN, _ := parseChunkIndex(oldIndex)

			detail := writeKilledAt(t, key, newValue, c.point)
			// Whatever the kill left behind goes, so the shared keyring stays clean.
			t.Cleanup(func() {
				_ = store.Delete(key)
				store.deletePieces(key, oldGen, oldN)
				if p := strings.Split(detail, "#"); len(p) == 3 {
					store.deletePieces(key, p[1], len(splitUTF8(newValue, fltChunkLimit)))
				}
			})

			got, err := store.Get(key)
			want := oldValue
			if c.wantNew {
				want = newValue
			}
			if err != nil || got != want {
				t.Fatalf("after a kill at %s Get = %q, %v; want the %s value whole", c.point, got, err, map[bool]string{true: "new", false: "old"}[c.wantNew])
			}
			// The next write goes through and reads back.
			third := secretsTestValue("third", 3*fltChunkLimit)
			if err := store.Set(key, third); err != nil {
				t.Fatalf("the next write after the kill: %v", err)
			}
			if got, err := store.Get(key); err != nil || got != third {
				t.Fatalf("after the next write Get = %q, %v", got, err)
			}
			// and it removed what the killed writer left: its note, and every piece but the
			// third value's (the note is read with the value, in one exchange).
			if _, err := raw.Get(pendingKey(key)); !errors.Is(err, ErrNotFound) {
				t.Errorf("the killed writer's note is still there after the next write: %v", err)
			}
			index, _ := raw.Get(key)
			thirdGen, _, _ := parseChunkIndex(index)
			left := []pieceSet{{oldGen, oldN}}
			if p := strings.Split(detail, "#"); len(p) == 3 {
				left = append(left, pieceSet{p[1], len(splitUTF8(newValue, fltChunkLimit))})
			}
			for _, ps := range left {
				for i := range ps.n {
					if _, err := raw.Get(chunkKey(key, ps.gen, i)); ps.gen != thirdGen && !errors.Is(err, ErrNotFound) {
						t.Errorf("piece %d of generation %s is left in the keyring after the next write (%v)", i, ps.gen, err)
					}
				}
			}
		})
	}
}
