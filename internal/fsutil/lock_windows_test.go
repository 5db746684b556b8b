package fsutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// On Windows the lock is LockFileEx on the lock file's handle (gofrs/flock): a second handle,
// as another process would open, waits and is refused, and has it once the first lets go.
// (Made with os.MkdirTemp and removed with os.Remove: t.TempDir's RemoveAll fails under Wine 8,
// see scripts/wine-test.)
func TestLockFileExOnWindows(t *testing.T) {
	base, err := os.MkdirTemp("", "lock")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(base, "locks", "x.lock")
	defer func() { _ = os.Remove(path); _ = os.Remove(filepath.Dir(path)); _ = os.Remove(base) }()

	unlock, err := LockFile(context.Background(), path, time.Second)
	if err != nil {
		t.Fatalf("LockFile on a free lock: %v", err)
	}
	start := time.Now()
	_, err = LockFile(context.Background(), path, 200*time.Millisecond)
	if !errors.Is(err, ErrBusy) || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("a second LockFile while held = %v after %v; want ErrBusy after the wait", err, time.Since(start))
	}
	if _, ok, err := TryLockFile(path); ok || err != nil {
		t.Fatalf("TryLockFile while held = %v, %v; want false, nil", ok, err)
	}
	go func() { time.Sleep(100 * time.Millisecond); unlock() }()
	again, err := LockFile(context.Background(), path, 5*time.Second)
	if err != nil {
		t.Fatalf("LockFile after the holder let go: %v", err)
	}
	again()
	u, ok, err := TryLockFile(path)
	if !ok || err != nil {
		t.Fatalf("TryLockFile on a free lock = %v, %v", ok, err)
	}
	u()
}
