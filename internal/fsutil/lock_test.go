package fsutil

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLockFileTimesOutWithErrBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "x.lock")
	unlock, err := LockFile(context.Background(), path, time.Second)
	if err != nil {
		t.Fatalf("LockFile on a free lock: %v", err)
	}
	if m := fileMode(t, filepath.Dir(path)); m != 0o700 {
		t.Errorf("lock folder mode = %o, want 700", m)
	}
	unlock()

	holder := flock.New(path)
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	_, err = LockFile(context.Background(), path, 100*time.Millisecond)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("LockFile while held = %v, want ErrBusy", err)
	}
	if want := path + " is held by another connectedapps process for over 100ms: wait for it or end it"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if _, ok, err := TryLockFile(path); ok || err != nil {
		t.Errorf("TryLockFile while held = %v, %v; want false, nil", ok, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LockFile(ctx, path, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("LockFile with a canceled context = %v, want context.Canceled", err)
	}

	// Released by the holder: the lock is free again, and waiting for it works.
	go func() { time.Sleep(50 * time.Millisecond); holder.Unlock() }()
	unlock, err = LockFile(context.Background(), path, 5*time.Second)
	if err != nil {
		t.Fatalf("LockFile after release: %v", err)
	}
	if _, ok, err := TryLockFile(path); ok || err != nil {
		t.Errorf("TryLockFile while LockFile holds it = %v, %v", ok, err)
	}
	unlock()
	u2, ok, err := TryLockFile(path)
	if !ok || err != nil {
		t.Fatalf("TryLockFile after unlock = %v, %v", ok, err)
	}
	u2()
}

// Locked makes the folder private, runs the change under the lock and gives its error back;
// a lock held by another is ErrBusy and the change does not run.
func TestLockedRunsTheChangeUnderTheLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	lock := filepath.Join(dir, "locks", "x.lock")
	ran := false
	want := errors.New("the change's own error")
	if err := Locked(context.Background(), dir, lock, time.Second, func() error { ran = true; return want }); !errors.Is(err, want) || !ran {
		t.Fatalf("Locked = %v, ran %v", err, ran)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder: %v %v", fi, err)
	}
	unlock, err := LockFile(context.Background(), lock, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ran = false
	if err := Locked(context.Background(), dir, lock, 50*time.Millisecond, func() error { ran = true; return nil }); !errors.Is(err, ErrBusy) || ran {
		t.Errorf("Locked while held = %v, ran %v", err, ran)
	}
}
