package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// FuzzRegistryLoad loads fuzzed bytes as apps.json. Properties: a file that cannot be used is
// fail.ErrCorruptRegistry with one line naming the file, and it is left byte for byte as it was,
// even when a change is attempted (a file we cannot parse is never overwritten); a file that
// loads survives a save: the saved file loads to the same apps and saving again changes no
// byte, and it is written 0600.
func FuzzRegistryLoad(f *testing.F) {
	// One folder per process, in memory where there is /dev/shm: a new folder per input and
	// the disk's fsync would cost more than the input itself.
	dir, err := os.MkdirTemp("/dev/shm", "fuzz-registry-")
	if err != nil {
		dir = f.TempDir()
	} else {
		f.Cleanup(func() { os.RemoveAll(dir) })
	}
	reg := Open(dir)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(reg.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		apps, err := reg.Load()
		if err != nil {
			if !errors.Is(err, fail.ErrCorruptRegistry) {
				t.Errorf("Load error %v is not fail.ErrCorruptRegistry", err)
			}
			fuzzOneLine(t, "Load error", err.Error())
			if !strings.Contains(err.Error(), reg.Path()) {
				t.Errorf("Load error %q does not name %s", err, reg.Path())
			}
			uerr := reg.Update(func(apps []app.App) ([]app.App, error) { return append(apps, app.NewApp("New")), nil })
			if uerr == nil {
				t.Errorf("Update of an unreadable registry succeeded")
			}
			if after, _ := os.ReadFile(reg.Path()); !bytes.Equal(after, data) {
				t.Errorf("an unreadable registry was rewritten:\nbefore %q\nafter  %q", data, after)
			}
			return
		}
		if apps == nil {
			t.Errorf("Load gave nil apps; want an empty list")
		}
		if err := reg.Update(func(apps []app.App) ([]app.App, error) { return apps, nil }); err != nil {
			t.Fatalf("saving a registry that loaded: %v", err)
		}
		saved, err := os.ReadFile(reg.Path())
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(reg.Path()); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("apps.json mode %v, %v; want 0600", fi.Mode().Perm(), err)
		}
		again, err := reg.Load()
		if err != nil {
			t.Fatalf("the registry as saved does not load: %v\n%s", err, saved)
		}
		if a, b := fuzzJSON(t, apps), fuzzJSON(t, again); a != b {
			t.Errorf("apps changed through a save:\nloaded %s\nsaved  %s", a, b)
		}
		if err := reg.Update(func(apps []app.App) ([]app.App, error) { return apps, nil }); err != nil {
			t.Fatalf("saving again: %v", err)
		}
		if resaved, _ := os.ReadFile(reg.Path()); !bytes.Equal(resaved, saved) {
			t.Errorf("a second save changed the file:\nfirst  %s\nsecond %s", saved, resaved)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(dir, ".apps.json.*.tmp")); len(leftovers) > 0 {
			t.Errorf("temp files left behind: %v", leftovers)
		}
	})
}

func fuzzJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return string(b)
}
