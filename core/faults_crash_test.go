//go:build unix

package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectedapps/core/secret"
	"connectedapps/core/secret/secrettest"
	"connectedapps/internal/fsutil"
	"connectedapps/internal/testproc"
)

// The process killed in the middle of a write, and a folder it may not write to. The writer is
// this test binary run again as a child (TestHelperProcessFaults), which stops at a chosen
// fsutil.CrashPoint and is SIGKILLed there by the parent; the parent then checks that the old value
// or the new one is readable, never a broken one, and that the next write works.

const fltHelperEnv = "CONNECTEDAPPS_TEST_FAULT"

// TestHelperProcessFaults is not a test: the tests below run the binary again with this one
// selected, as the process that gets killed or that lacks permission.
func TestHelperProcessFaults(t *testing.T) {
	mode := os.Getenv(fltHelperEnv)
	if mode == "" {
		t.Skip("helper process for the crash and read-only tests")
	}
	// Stop at the n-th time the named point of a file write ("temp-written", "renamed") is
	// reached, say so, and wait for SIGKILL.
	fsutil.CrashPoint = testproc.StopAt(os.Getenv("CRASH_POINT"))
	switch mode {
	case "registry-write", "registry-readonly":
		if mode == "registry-readonly" && os.Getuid() == 0 {
			// root may write anywhere: be nobody, for whom the folder is read-only.
			if err := syscall.Setgid(65534); err != nil {
				t.Fatalf("setgid: %v", err)
			}
			if err := syscall.Setuid(65534); err != nil {
				t.Fatalf("setuid: %v", err)
			}
		}
		err := OpenRegistry(os.Getenv("DIR")).Update(func(apps []App) ([]App, error) {
			return append(apps, NewApp("New")), nil
		})
		fmt.Printf("RESULT %v\n", err)
	case "service-start-as-nobody": // the folder belongs to root: nobody may not chmod it
		if err := syscall.Setgid(65534); err != nil {
			t.Fatalf("setgid: %v", err)
		}
		if err := syscall.Setuid(65534); err != nil {
			t.Fatalf("setuid: %v", err)
		}
		svc, err := NewService(Config{Dir: os.Getenv("DIR"), Secrets: secret.NewMemoryStore()})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("RESULT %s\n", strings.Join(svc.Notices, " | "))
	case "vault-write":
		v := secret.OpenVault(os.Getenv("DIR"))
		v.KDF = secrettest.KDF
		v.Passphrase = func() (string, error) { return secrettest.Pass, nil }
		fmt.Printf("RESULT %v\n", v.Set("k", "new"))
	case "migrate-tokens": // the first token call after an upgrade moves the tokens
		v := secrettest.OpenVault(t, os.Getenv("DIR"), secrettest.Pass)
		svc, err := NewService(Config{Dir: os.Getenv("DIR"), Secrets: v})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := svc.Token(context.Background(), "Mail", DefaultMinValid)
		if err == nil {
			err = errors.New("done: " + ts.AccessToken)
		}
		fmt.Printf("RESULT %v\n", err)
	case "settings-write":
		fmt.Printf("RESULT %v\n", WriteStoreChoice(os.Getenv("DIR"), StoreVault))
	default:
		t.Fatalf("unknown helper mode %q", mode)
	}
}

// fltChild runs TestHelperProcessFaults (internal/testproc.Start); fltKill is testproc.Kill.
func fltChild(t *testing.T, until string, env ...string) (string, *exec.Cmd) {
	t.Helper()
	return testproc.Start(t, "TestHelperProcessFaults", until, env...)
}

var fltKill = testproc.Kill

// ---- registry ----

func TestRegistryWriteKilledMidway(t *testing.T) {
	for _, c := range []struct {
		point   string
		wantNew bool
	}{
		{"temp-written", false}, // the new file is complete but not yet renamed over the old
		{"renamed", true},       // renamed; the process dies before Update returns
	} {
		t.Run(c.point, func(t *testing.T) {
			dir := t.TempDir()
			r := OpenRegistry(dir)
			if err := r.Update(func(apps []App) ([]App, error) { return append(apps, NewApp("Old")), nil }); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(r.Path())

			detail, cmd := fltChild(t, "READY", fltHelperEnv+"=registry-write", "DIR="+dir, "CRASH_POINT="+c.point)
			fltKill(t, cmd)

			apps, err := r.Load()
			if err != nil {
				t.Fatalf("after the kill the registry cannot be read: %v", err)
			}
			want := []string{"Old"}
			if c.wantNew {
				want = []string{"Old", "New"}
			}
			if got := registryTestNames(apps); !slices.Equal(got, registryTestNames(fltApps(want...))) {
				t.Errorf("after a kill at %s the registry holds %q; want %q", c.point, got, want)
			}
			if after, _ := os.ReadFile(r.Path()); !c.wantNew && string(after) != string(before) {
				t.Errorf("apps.json changed although the kill came before the rename")
			}
			if !c.wantNew {
				// What is left behind is the complete, private temp file, never read as the registry.
				if m := registryTestMode(t, detail); m != 0o600 {
					t.Errorf("the left-over temp file %s has mode %o; want 600", detail, m)
				}
			}
			// The dead process's lock went with it: the next change goes through at once.
			start := time.Now()
			if err := r.Update(func(apps []App) ([]App, error) { return append(apps, NewApp("After")), nil }); err != nil {
				t.Fatalf("the next write after the kill: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the next write waited %s for the dead process's lock", d)
			}
			if apps, _ := r.Load(); len(apps) != len(want)+1 {
				t.Errorf("after the next write the registry holds %q", registryTestNames(apps))
			}
		})
	}
}

func fltApps(names ...string) []App {
	var out []App
	for _, n := range names {
		out = append(out, NewApp(n))
	}
	return out
}

// A folder the process may not write to: the change fails with one line naming the folder and
// the next step, and the registry keeps what it had. With the lock file present the write of
// the new file is refused; without it, taking the lock is.
func TestRegistryReadOnlyFolder(t *testing.T) {
	for _, lockPresent := range []bool{true, false} {
		t.Run(fmt.Sprintf("lock file present=%v", lockPresent), func(t *testing.T) {
			base, err := os.MkdirTemp("", "connectedapps-readonly-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(filepath.Join(base, "cfg"), 0o700); _ = os.RemoveAll(base) })
			if err := os.Chmod(base, 0o755); err != nil { // reachable by the helper run as nobody
				t.Fatal(err)
			}
			if os.Getuid() == 0 {
				testproc.SkipUnlessOthersCanEnter(t, filepath.Dir(base))
			}
			dir := filepath.Join(base, "cfg")
			r := OpenRegistry(dir)
			if err := r.Update(func(apps []App) ([]App, error) { return append(apps, NewApp("Kept")), nil }); err != nil {
				t.Fatal(err)
			}
			if !lockPresent {
				if err := os.Remove(filepath.Join(dir, "apps.json.lock")); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(r.Path())
			if os.Getuid() == 0 {
				_ = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
					if err == nil {
						err = os.Lchown(p, 65534, 65534)
					}
					return err
				})
			}
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}

			var msg string
			if os.Getuid() == 0 {
				msg, _ = fltChild(t, "RESULT", fltHelperEnv+"=registry-readonly", "DIR="+dir)
			} else {
				err := r.Update(func(apps []App) ([]App, error) { return append(apps, NewApp("New")), nil })
				msg = fmt.Sprint(err)
			}
			t.Logf("the person reads: %s", msg)
			for _, want := range []string{"the folder " + dir + " is writable", "nothing was changed"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the message %q does not say %q", msg, want)
				}
			}
			if strings.ContainsAny(msg, "\r\n") || msg == "<nil>" {
				t.Errorf("the message is not one line of error: %q", msg)
			}
			if after, _ := os.ReadFile(r.Path()); string(after) != string(before) {
				t.Error("apps.json changed")
			}
			if apps, err := r.Load(); err != nil || len(apps) != 1 || apps[0].ProviderName != "Kept" {
				t.Errorf("after the refused write Load = %q, %v", registryTestNames(apps), err)
			}
		})
	}
}

// ---- the move of an app's tokens to its account's key (after an upgrade) ----

// The process moving an upgraded app's tokens is killed after each step: after the account's
// key was written (the old one still there), and after the old key was deleted (apps.json
// still saying the tokens may be there). Reopened, the token is there every time, and the next
// call finishes the move.
func TestTokenMoveKilledMidway(t *testing.T) {
	for _, point := range []string{"account-tokens-written", "legacy-tokens-deleted"} {
		t.Run(point, func(t *testing.T) {
			dir, mem := legacyFixture(t)
			vault := secrettest.OpenVault(t, dir, secrettest.Pass)
			old, _ := mem.Get(legacyTokensKey(legacyAppID))
			if err := vault.Set(legacyTokensKey(legacyAppID), old); err != nil {
				t.Fatal(err)
			}
			_, cmd := fltChild(t, "READY", fltHelperEnv+"=migrate-tokens", "DIR="+dir, "CRASH_POINT="+point)
			fltKill(t, cmd)

			reopened := secrettest.OpenVault(t, dir, secrettest.Pass)
			svc, err := NewService(Config{Dir: dir, Secrets: reopened})
			if err != nil {
				t.Fatal(err)
			}
			newKey, _ := reopened.Get(tokensKey(legacyAppID, AccountIDFor("id1")))
			oldKey, _ := reopened.Get(legacyTokensKey(legacyAppID))
			if newKey == "" && oldKey == "" {
				t.Fatalf("after a kill at %s neither key holds the tokens", point)
			}
			ts, err := svc.Token(context.Background(), "Mail", DefaultMinValid)
			if err != nil || ts.AccessToken != "legacy-access" || ts.RefreshToken != "legacy-refresh" {
				t.Fatalf("after a kill at %s: Token = %+v, %v", point, ts, err)
			}
			assertMigrated(t, svc, reopened)
		})
	}
}
