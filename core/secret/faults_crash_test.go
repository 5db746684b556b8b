package secret

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The process killed in the middle of a write of a split keyring value. The writer is this
// test binary run again as a child (TestHelperProcessChunkedWrite), which stops at a chosen
// crashPoint and is SIGKILLed there by the parent; the parent then checks that the old value
// or the new one is readable, never a broken one, and that the next write works. (core's
// crash tests, of apps.json, settings.json and vault.json, have a helper of their own.)

const fltHelperEnv = "CONNECTEDAPPS_TEST_FAULT"

// TestHelperProcessChunkedWrite is not a test: the tests below run the binary again with this
// one selected, as the process that gets killed.
func TestHelperProcessChunkedWrite(t *testing.T) {
	if os.Getenv(fltHelperEnv) != "chunked-write" {
		t.Skip("helper process for the crash tests")
	}
	// Stop at the n-th time the named point is reached, say so, and wait for SIGKILL.
	if point := os.Getenv("CRASH_POINT"); point != "" {
		name, nth, _ := strings.Cut(point, "#")
		want, _ := strconv.Atoi(nth)
		seen := 0
		crashPoint = func(p, detail string) {
			if p != name {
				return
			}
			if seen++; seen < max(want, 1) {
				return
			}
			fmt.Printf("READY %s\n", detail)
			time.Sleep(time.Hour) // a sleeping goroutine, so the runtime sees no deadlock
		}
	}
	store := NewChunkedStore(&KeyringStore{Timeout: 10 * time.Second}, fltChunkLimit)
	fmt.Printf("RESULT %v\n", store.Set(os.Getenv("KEY"), os.Getenv("VALUE")))
}

// fltChild runs the helper with env and returns its stdout once it printed a line starting
// with until ("READY" or "RESULT"), and the process, still running for READY.
func fltChild(t *testing.T, until string, env ...string) (line string, cmd *exec.Cmd) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcessChunkedWrite$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), until) {
				lines <- sc.Text()
				_, _ = io.Copy(io.Discard, out)
				return
			}
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("the helper ended without printing %s; stderr:\n%s", until, stderr.String())
		}
		return strings.TrimSpace(strings.TrimPrefix(l, until)), cmd
	case <-time.After(60 * time.Second):
		t.Fatalf("the helper did not reach %s in time; stderr:\n%s", until, stderr.String())
	}
	return "", nil
}

// fltKill SIGKILLs the child where it stopped: no deferred code, no cleanup, as a power cut
// or the OOM killer would.
func fltKill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the helper was not killed by SIGKILL: %v", err)
	}
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

			detail, cmd := fltChild(t, "READY", fltHelperEnv+"=chunked-write", "KEY="+key, "VALUE="+newValue, "CRASH_POINT="+c.point)
			fltKill(t, cmd)
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
		})
	}
}
