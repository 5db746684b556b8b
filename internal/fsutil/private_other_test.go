//go:build !windows

package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// Open folders are made 0700, each said once; private and missing ones say nothing. (The
// service's side, the registry folder and its locks folder, is
// core/security_local_test.go:TestMakeFolderPrivateTightensAndSaysOnce.)
func TestMakeFoldersPrivate(t *testing.T) {
	base := t.TempDir()
	open, private, missing := filepath.Join(base, "open"), filepath.Join(base, "private"), filepath.Join(base, "missing")
	for d, mode := range map[string]os.FileMode{open: 0o755, private: 0o700} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
	}
	notices := MakeFoldersPrivate(open, private, missing)
	if want := "the folder " + open + " was open to other users (mode 0755); it is now private to you (0700)"; len(notices) != 1 || notices[0] != want {
		t.Errorf("notices %q, want [%q]", notices, want)
	}
	if m := fileMode(t, open); m != 0o700 {
		t.Errorf("%s: mode %o, want 700", open, m)
	}
	if again := MakeFoldersPrivate(open, private, missing); len(again) != 0 {
		t.Errorf("a second pass says %q", again)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing folder was made: %v", err)
	}
}
