package fsutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// ErrBusy says a lock stayed held by another process for the whole wait. core's ErrBusy is
// this very error, so errors.Is(err, core.ErrBusy) holds for a lock that timed out.
var ErrBusy = errors.New("busy")

// busyError is the one-line message for a lock held too long; it answers errors.Is for ErrBusy
// without ": busy" trailing the sentence.
type busyError struct {
	path string
	wait time.Duration
}

func (e *busyError) Error() string {
	return fmt.Sprintf("%s is held by another connectedapps process for over %s: wait for it or end it", e.path, e.wait)
}
func (e *busyError) Unwrap() error { return ErrBusy }

// LockFile takes an exclusive cross-process lock on path (made 0600, its folder 0700),
// waiting up to wait. A lock still held after wait is ErrBusy; a ctx canceled meanwhile is
// context.Canceled.
func LockFile(ctx context.Context, path string, wait time.Duration) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the lock folder %s: %w", filepath.Dir(path), err)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("cannot lock %s (%w): check that the folder %s is writable; nothing was changed", path, err, filepath.Dir(path))
	}
	if !ok {
		if ctx.Err() == context.Canceled {
			return nil, context.Canceled
		}
		return nil, &busyError{path: path, wait: wait}
	}
	return func() { _ = l.Unlock() }, nil
}

// TryLockFile takes the lock only if it is free at once; ok is false when another process
// holds it.
func TryLockFile(path string) (unlock func(), ok bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("cannot create the lock folder %s: %w", filepath.Dir(path), err)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err = l.TryLock()
	if err != nil {
		return nil, false, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() { _ = l.Unlock() }, true, nil
}

// Locked makes dir (0700), takes the lock at lockPath (waiting up to wait, as LockFile) and
// runs change under it: every lock, re-read, apply, write change of a file kept in dir.
func Locked(ctx context.Context, dir, lockPath string, wait time.Duration, change func() error) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the folder %s: %w", dir, err)
	}
	unlock, err := LockFile(ctx, lockPath, wait)
	if err != nil {
		return err
	}
	defer unlock()
	return change()
}
