package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// CrashPoint, when set (only by tests: core's crash tests), is called at the points of
// WriteFileAtomic where a process killed there must still leave the old file or the new one
// ("temp-written", with the temp file's path, and "renamed", with the file's): the tests block
// the process there and SIGKILL it. Nil in production.
var CrashPoint func(point, detail string)

func reachCrashPoint(point, detail string) {
	if CrashPoint != nil {
		CrashPoint(point, detail)
	}
}

// WriteFileAtomic writes a 0600 temp file in the same folder, syncs it and renames it over
// path, so a crash leaves the old file or the new one, never half of one.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data, true) }

func writeFileAtomic(path string, data []byte, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// Most often a read-only folder or a full disk: say which folder, since the file
		// itself may be perfectly writable.
		return fmt.Errorf("cannot write %s (%w): check that the folder %s is writable and its disk is not full; nothing was changed", path, err, filepath.Dir(path))
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := syncIf(sync, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	reachCrashPoint("temp-written", tmp.Name())
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	reachCrashPoint("renamed", path)
	return nil
}

// WriteLockedFileAtomic is WriteFileAtomic for a file whose every writer holds its lock, which
// the caller holds now: no other writer is between its temp file and its rename, so any temp
// file of path still there was left by a writer that died (killed, or the power cut), and is
// removed once the new file is in place.
func WriteLockedFileAtomic(path string, data []byte) error {
	if err := WriteFileAtomic(path, data); err != nil {
		return err
	}
	removeDeadTemps(path)
	return nil
}

// WriteLockedCacheAtomic is WriteLockedFileAtomic without the fsync, for a file that is
// checked before every use and rebuilt from the real one when it fails the check (apps.index
// carries the hash of the apps.json it describes): after a power cut it may be empty, old or
// missing, which costs only its speed-up, so waiting for the disk would buy nothing.
func WriteLockedCacheAtomic(path string, data []byte) error {
	if err := writeFileAtomic(path, data, false); err != nil {
		return err
	}
	removeDeadTemps(path)
	return nil
}

func syncIf(sync bool, f *os.File) error {
	if !sync {
		return nil
	}
	return f.Sync()
}

// removeDeadTemps deletes the temp files WriteFileAtomic makes for path (".NAME.*.tmp" in the
// same folder), and only those; best effort, since a left-over is private and never read.
func removeDeadTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	for _, m := range matches {
		if info, err := os.Lstat(m); err == nil && info.Mode().IsRegular() {
			_ = os.Remove(m)
		}
	}
}
