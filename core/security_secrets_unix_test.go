//go:build unix

package core

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// Unix only: the umask and the permission bits it narrows do not exist on Windows, whose
// files are private through the ACL of the user's profile folder instead.

// Every file the program writes in its folder is 0600 and every folder 0700 (the registry,
// the locks folder, each lock file), whatever the umask lets through.
func TestFilesArePrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	f := newFltFixture(t, nil, "a-client-secret")
	if _, err := f.connect(t); err != nil {
		t.Fatal(err)
	}
	account := f.find(t, f.app.ID).Default().ID
	if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Disconnect(context.Background(), f.app.ProviderName, true); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(f.svc.Registry.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %o; want %o", p, info.Mode().Perm(), want)
		}
		rel, _ := filepath.Rel(f.svc.Registry.Dir(), p)
		seen[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".", "apps.json", "apps.json.lock", "locks",
		"locks/" + f.app.ID + ".connect.lock", "locks/" + f.app.ID + ".refresh-" + account + ".lock"} {
		if !seen[want] {
			t.Errorf("%s was not written, so its mode went unchecked (saw %v)", want, seen)
		}
	}
}
