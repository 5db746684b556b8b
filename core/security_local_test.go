//go:build unix

package core

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
	"connectedapps/internal/testproc"
)

// Left-overs of earlier work (issue 8, item 13): what a writer killed midway leaves behind is
// removed by the next write, and a configuration folder open to other users is closed.

// A writer of apps.json, vault.json or settings.json SIGKILLed between writing its temp file
// and renaming it leaves the temp file; the next write of that file removes it, leaves every
// other file's temp files alone (their writers hold other locks), and the file reads whole.
func TestDeadWritersTempFileGoesWithTheNextWrite(t *testing.T) {
	for _, c := range []struct {
		file, mode string
		seed, next func(t *testing.T, dir string) error
		check      func(t *testing.T, dir string)
	}{
		{
			file: "apps.json", mode: "registry-write",
			seed: func(t *testing.T, dir string) error {
				return OpenRegistry(dir).Update(func(apps []App) ([]App, error) { return append(apps, NewApp("Old")), nil })
			},
			next: func(t *testing.T, dir string) error {
				return OpenRegistry(dir).Update(func(apps []App) ([]App, error) { return append(apps, NewApp("After")), nil })
			},
			check: func(t *testing.T, dir string) {
				apps, err := OpenRegistry(dir).Load()
				if got := registryTestNames(apps); err != nil || !slices.Equal(got, registryTestNames(fltApps("Old", "After"))) {
					t.Errorf("apps.json after the next write: %q, %v", got, err)
				}
			},
		},
		{
			file: "vault.json", mode: "vault-write",
			seed: func(t *testing.T, dir string) error {
				return secrettest.OpenVault(t, dir, secrettest.Pass).Set("k", "old")
			},
			next: func(t *testing.T, dir string) error {
				return secrettest.OpenVault(t, dir, secrettest.Pass).Set("k2", "after")
			},
			check: func(t *testing.T, dir string) {
				v := secrettest.OpenVault(t, dir, secrettest.Pass)
				if all, err := v.All(); err != nil || all["k"] != "old" || all["k2"] != "after" {
					t.Errorf("vault.json after the next write: %d secrets, %v", len(all), err)
				}
			},
		},
		{
			file: "settings.json", mode: "settings-write",
			seed: func(t *testing.T, dir string) error { return WriteStoreChoice(dir, StoreSystem) },
			next: func(t *testing.T, dir string) error { return WriteStoreChoice(dir, StoreVault) },
			check: func(t *testing.T, dir string) {
				if got, err := ReadStoreChoice(dir); err != nil || got != StoreVault {
					t.Errorf("settings.json after the next write: %q, %v", got, err)
				}
			},
		},
	} {
		t.Run(c.file, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "connectedapps")
			if err := c.seed(t, dir); err != nil {
				t.Fatal(err)
			}
			// Another file's temp file, as if its writer were busy right now under its own lock.
			other := filepath.Join(dir, ".other.json.123.tmp")
			if err := os.WriteFile(other, []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}

			left, cmd := fltChild(t, "READY", fltHelperEnv+"="+c.mode, "DIR="+dir, "CRASH_POINT=temp-written")
			fltKill(t, cmd)
			if !strings.HasPrefix(filepath.Base(left), "."+c.file+".") || !strings.HasSuffix(left, ".tmp") {
				t.Fatalf("the killed writer was at %q, not a temp file of %s", left, c.file)
			}
			if _, err := os.Stat(left); err != nil {
				t.Fatalf("the killed writer left no temp file: %v", err)
			}

			if err := c.next(t, dir); err != nil {
				t.Fatalf("the next write: %v", err)
			}
			if _, err := os.Stat(left); !os.IsNotExist(err) {
				t.Errorf("the dead writer's %s is still there after the next write (%v)", filepath.Base(left), err)
			}
			if temps, _ := filepath.Glob(filepath.Join(dir, "."+c.file+".*.tmp")); len(temps) != 0 {
				t.Errorf("temp files of %s left: %q", c.file, temps)
			}
			if _, err := os.Stat(other); err != nil {
				t.Errorf("another file's temp file was removed: %v", err)
			}
			c.check(t, dir)
		})
	}
}

// The registry folder, and its locks folder, open to others (0755, 0775: made by something
// else, or under a loose umask) are made 0700 by the first service started on them, which
// says so once per folder; the next start has nothing to say. The command line's and the
// binary's side are e2e/localsecrets_linux_test.go:TestOpenConfigFolderIsClosedAndSaidOnce.
func TestMakeFolderPrivateTightensAndSaysOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "connectedapps")
	r := OpenRegistry(dir)
	if err := r.Update(func(apps []App) ([]App, error) { return append(apps, NewApp("Kept")), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := lockFile(context.Background(), filepath.Join(dir, "locks", "x.lock"), time.Second); err != nil {
		t.Fatal(err)
	}
	for d, mode := range map[string]os.FileMode{dir: 0o755, filepath.Join(dir, "locks"): 0o775} {
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := NewService(Config{Dir: dir, Secrets: secret.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Notices) != 2 || !strings.Contains(svc.Notices[0], dir+" was open to other users (mode 0755)") ||
		!strings.Contains(svc.Notices[1], filepath.Join(dir, "locks")+" was open to other users (mode 0775)") {
		t.Fatalf("notices: %q", svc.Notices)
	}
	for _, d := range []string{dir, filepath.Join(dir, "locks")} {
		if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want 0700", d, info.Mode().Perm(), err)
		}
	}
	again, _ := NewService(Config{Dir: dir, Secrets: secret.NewMemoryStore()})
	if len(again.Notices) != 0 {
		t.Errorf("a second start still says %q", again.Notices)
	}
	if apps, err := r.Load(); err != nil || len(apps) != 1 {
		t.Errorf("the registry after tightening: %d apps, %v", len(apps), err)
	}
	// A missing folder is not a notice: it is made 0700 on the first write.
	fresh, _ := NewService(Config{Dir: filepath.Join(t.TempDir(), "none"), Secrets: secret.NewMemoryStore()})
	if len(fresh.Notices) != 0 {
		t.Errorf("a missing folder gives %q", fresh.Notices)
	}
}

// A configuration folder open to others but owned by another user (here root's, the program
// run as nobody) cannot be closed by the program: it says so, with the command that would,
// and goes on; the folder is left as it is.
func TestMakeFolderPrivateOfAnotherUsersFolder(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the program as nobody against root's folder")
	}
	base, err := os.MkdirTemp("", "connectedapps-others-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	testproc.SkipUnlessOthersCanEnter(t, filepath.Dir(base))
	dir := filepath.Join(base, "cfg")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	msg, _ := fltChild(t, "RESULT", fltHelperEnv+"=service-start-as-nobody", "DIR="+dir)
	t.Logf("the person reads: %s", msg)
	if !strings.Contains(msg, "the folder "+dir+" is open to other users (mode 0755) and could not be made private") || !strings.Contains(msg, "have its owner run `chmod 700 "+dir+"`") {
		t.Errorf("notice %q", msg)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("the folder changed: %v, %v", info.Mode().Perm(), err)
	}
}
