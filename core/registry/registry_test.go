package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/app"
	"connectedapps/core/fail"

	"github.com/gofrs/flock"
)

// registryTestDir is a registry folder that does not exist yet, so the test sees the folder
// Update creates rather than the one t.TempDir made.
func registryTestDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "config", "connectedapps")
}

func registryTestAdd(r *Registry, apps ...app.App) error {
	return r.Update(func(cur []app.App) ([]app.App, error) { return append(cur, apps...), nil })
}

func registryTestNames(apps []app.App) []string {
	var names []string
	for _, a := range apps {
		names = append(names, a.ProviderName)
	}
	slices.Sort(names)
	return names
}

// registryTestDirEntries lists the folder, to catch temp files left behind.
func registryTestDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func registryTestMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestRegistryPaths(t *testing.T) {
	r := Open("/some/dir")
	if r.Dir() != "/some/dir" || r.Path() != filepath.Join("/some/dir", "apps.json") {
		t.Errorf("Dir() = %q, Path() = %q", r.Dir(), r.Path())
	}
}

func TestDefaultConfigDirFollowsXDG(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", base)
	got, err := DefaultConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "connectedapps"); got != want {
		t.Errorf("DefaultConfigDir() = %q, want %q", got, want)
	}
}

func TestRegistryLoadMissingIsEmpty(t *testing.T) {
	dir := registryTestDir(t)
	r := Open(dir)
	apps, err := r.Load()
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if apps == nil || len(apps) != 0 {
		t.Errorf("Load() = %#v, want an empty, non-nil list", apps)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load created the folder (stat: %v); only a write should", err)
	}
	if _, err := r.Find("anything"); !errors.Is(err, fail.ErrNotFound) {
		t.Errorf("Find on an empty registry = %v, want fail.ErrNotFound", err)
	}
}

func TestRegistryUpdateWritesPrivateFileAtomically(t *testing.T) {
	dir := registryTestDir(t)
	r := Open(dir)
	a, b := app.NewApp("Alpha"), app.NewApp("Beta")
	a.ClientID = "alpha-client"
	if err := registryTestAdd(r, a); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if m := registryTestMode(t, dir); m != 0o700 {
		t.Errorf("folder mode = %o, want 700", m)
	}
	if m := registryTestMode(t, r.Path()); m != 0o600 {
		t.Errorf("apps.json mode = %o, want 600", m)
	}
	if m := registryTestMode(t, filepath.Join(dir, "apps.json.lock")); m != 0o600 {
		t.Errorf("lock file mode = %o, want 600", m)
	}
	for i := range 5 {
		if err := r.Update(func(cur []app.App) ([]app.App, error) {
			if i == 4 {
				return append(cur, b), nil
			}
			return cur, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if m := registryTestMode(t, r.Path()); m != 0o600 {
		t.Errorf("apps.json mode after rewrites = %o, want 600", m)
	}
	if got, want := registryTestDirEntries(t, dir), []string{"apps.index", "apps.json", "apps.json.lock"}; !slices.Equal(got, want) {
		t.Errorf("folder holds %q, want %q (temp files left behind?)", got, want)
	}

	// The file is the versioned format, with the computed redirect_uri, and reads back.
	data, err := os.ReadFile(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Version int              `json:"version"`
		Apps    []map[string]any `json:"apps"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("apps.json is not JSON: %v\n%s", err, data)
	}
	if raw.Version != Version || len(raw.Apps) != 2 || raw.Apps[0]["redirect_uri"] != "http://127.0.0.1:8765/callback" {
		t.Errorf("apps.json = %s", data)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("apps.json does not end in a newline")
	}
	apps, err := r.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].ID != a.ID || apps[0].ClientID != "alpha-client" || apps[1].ID != b.ID {
		t.Errorf("Load() = %+v", apps)
	}
}

func TestRegistryUpdateChangeErrorWritesNothing(t *testing.T) {
	dir := registryTestDir(t)
	r := Open(dir)
	if err := registryTestAdd(r, app.NewApp("Alpha")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(r.Path())
	boom := errors.New("boom")
	err := r.Update(func(cur []app.App) ([]app.App, error) { return append(cur, app.NewApp("Beta")), boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the change's error", err)
	}
	after, _ := os.ReadFile(r.Path())
	if !bytes.Equal(before, after) {
		t.Errorf("a failed change rewrote apps.json:\n%s", after)
	}
	if got := registryTestDirEntries(t, dir); !slices.Equal(got, []string{"apps.index", "apps.json", "apps.json.lock"}) {
		t.Errorf("folder holds %q", got)
	}
}

func TestRegistryUpdateApp(t *testing.T) {
	r := Open(registryTestDir(t))
	a, b := app.NewApp("Alpha"), app.NewApp("Beta")
	if err := registryTestAdd(r, a, b); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateApp(b.ID, func(x *app.App) error { x.ClientID = "changed"; return nil }); err != nil {
		t.Fatal(err)
	}
	apps, _ := r.Load()
	if apps[0].ClientID != "" || apps[1].ClientID != "changed" {
		t.Errorf("UpdateApp changed the wrong app: %+v", apps)
	}
	before, _ := os.ReadFile(r.Path())
	err := r.UpdateApp("no-such-id", func(x *app.App) error { t.Error("change called for a missing app"); return nil })
	if !errors.Is(err, fail.ErrNotFound) {
		t.Errorf("UpdateApp(missing) = %v, want fail.ErrNotFound", err)
	}
	boom := errors.New("boom")
	if err := r.UpdateApp(a.ID, func(x *app.App) error { x.ClientID = "lost"; return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateApp(change fails) = %v", err)
	}
	after, _ := os.ReadFile(r.Path())
	if !bytes.Equal(before, after) {
		t.Errorf("a failed UpdateApp rewrote apps.json")
	}
}

func TestRegistryCorruptFileIsReportedAndKept(t *testing.T) {
	for name, content := range map[string]string{
		"not json":    "this is not JSON {",
		"truncated":   `{"version":1,"apps":[{"id":"ab`,
		"wrong shape": `{"version":1,"apps":{"id":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := registryTestDir(t)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			r := Open(dir)
			if err := os.WriteFile(r.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s on a corrupt file = nil", op)
				}
				if !errors.Is(err, fail.ErrCorruptRegistry) {
					t.Errorf("%s = %v, want fail.ErrCorruptRegistry", op, err)
				}
				if !strings.Contains(err.Error(), r.Path()) {
					t.Errorf("%s error %q does not name %s", op, err, r.Path())
				}
			}
			_, err := r.Load()
			check("Load", err)
			_, err = r.Find("x")
			check("Find", err)
			called := false
			err = r.Update(func(cur []app.App) ([]app.App, error) { called = true; return []app.App{app.NewApp("New")}, nil })
			check("Update", err)
			if called {
				t.Error("Update ran the change on a file it could not read")
			}
			check("UpdateApp", r.UpdateApp("x", func(*app.App) error { return nil }))
			got, err := os.ReadFile(r.Path())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != content {
				t.Errorf("the corrupt file was changed to %q", got)
			}
			if got := registryTestDirEntries(t, dir); !slices.Equal(got, []string{"apps.json", "apps.json.lock"}) {
				t.Errorf("folder holds %q", got)
			}
		})
	}
}

func TestRegistryNewerVersionIsRefusedAndKept(t *testing.T) {
	dir := registryTestDir(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r := Open(dir)
	content := fmt.Sprintf(`{"version": %d, "apps": [{"id": "abc", "provider_name": "Future", "new_field": true}]}`, Version+1)
	if err := os.WriteFile(r.Path(), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := r.Load()
	if !errors.Is(err, fail.ErrCorruptRegistry) || !strings.Contains(err.Error(), r.Path()) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Load = %v, want a newer-version error naming the file", err)
	}
	err = registryTestAdd(r, app.NewApp("Old build"))
	if !errors.Is(err, fail.ErrCorruptRegistry) || !strings.Contains(err.Error(), r.Path()) {
		t.Errorf("Update = %v, want a refusal naming the file", err)
	}
	got, _ := os.ReadFile(r.Path())
	if string(got) != content {
		t.Errorf("a newer file was rewritten: %s", got)
	}
}

func TestRegistryAcceptsCurrentAndUnversionedFiles(t *testing.T) {
	for _, content := range []string{`{"version":1,"apps":null}`, `{"apps":[]}`, `{}`} {
		dir := registryTestDir(t)
		os.MkdirAll(dir, 0o700)
		r := Open(dir)
		if err := os.WriteFile(r.Path(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		apps, err := r.Load()
		if err != nil || apps == nil || len(apps) != 0 {
			t.Errorf("%s: Load() = %#v, %v", content, apps, err)
		}
	}
}

func TestRegistryFind(t *testing.T) {
	r := Open(registryTestDir(t))
	g, gh := app.NewApp("Google"), app.NewApp("GitHub")
	// An app whose name is another app's id: the name wins, so a name always means one app.
	tricky := app.NewApp(g.ID)
	if err := registryTestAdd(r, g, gh, tricky); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Google", "google", "GOOGLE", "gOoGlE"} {
		a, err := r.Find(q)
		if err != nil || a.ID != g.ID {
			t.Errorf("Find(%q) = %s, %v; want Google", q, a.ProviderName, err)
		}
	}
	if a, err := r.Find(gh.ID); err != nil || a.ID != gh.ID {
		t.Errorf("Find(id) = %+v, %v", a, err)
	}
	if a, err := r.Find(g.ID); err != nil || a.ID != tricky.ID {
		t.Errorf("Find(%q) = %s, %v; want the app named so", g.ID, a.ProviderName, err)
	}
	gh2 := app.NewApp("GitLab")
	gh2.ID = "abcdef0123456789"
	if err := registryTestAdd(r, gh2); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Find("ABCDEF0123456789"); !errors.Is(err, fail.ErrNotFound) {
		t.Errorf("Find(upper-case id) = %v: ids match exactly", err)
	}
	if a, err := r.Find("abcdef0123456789"); err != nil || a.ID != gh2.ID {
		t.Errorf("Find(id) = %+v, %v", a, err)
	}
	_, err := r.Find("Bitbucket")
	if !errors.Is(err, fail.ErrNotFound) || !strings.Contains(err.Error(), `"Bitbucket"`) {
		t.Errorf("Find(missing) = %v, want fail.ErrNotFound naming it", err)
	}
	if _, err := r.Find(""); !errors.Is(err, fail.ErrNotFound) {
		t.Errorf("Find(\"\") = %v", err)
	}
}

// Each goroutine uses its own Registry and so its own lock file descriptor: flock locks
// belong to the open file, so this is the same exclusion two processes get.
func TestRegistryConcurrentWriters(t *testing.T) {
	dir := registryTestDir(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs <- registryTestAdd(Open(dir), app.NewApp(fmt.Sprintf("app-%02d", i)))
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	apps, err := Open(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("app-%02d", i))
	}
	if got := registryTestNames(apps); !slices.Equal(got, want) {
		t.Errorf("after %d concurrent writers the registry holds %d apps: %q", n, len(apps), got)
	}
	if got := registryTestDirEntries(t, dir); !slices.Equal(got, []string{"apps.index", "apps.json", "apps.json.lock"}) {
		t.Errorf("folder holds %q", got)
	}
}

const (
	registryTestHelperEnv = "CONNECTEDAPPS_TEST_REGISTRY_HELPER"
	registryTestPerChild  = 25
)

// TestHelperProcessRegistryWriter is not a test: TestRegistryTwoProcesses runs the test binary
// again with this one selected, as a second and third process writing the same registry.
func TestHelperProcessRegistryWriter(t *testing.T) {
	if os.Getenv(registryTestHelperEnv) != "1" {
		t.Skip("helper process for TestRegistryTwoProcesses")
	}
	dir, prefix := os.Getenv("REGISTRY_DIR"), os.Getenv("REGISTRY_PREFIX")
	// Wait for the parent's go, so both children write at the same time.
	if _, err := io.ReadFull(os.Stdin, make([]byte, 1)); err != nil {
		t.Fatalf("reading the start signal: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, registryTestPerChild)
	for i := range registryTestPerChild {
		wg.Go(func() {
			errs <- registryTestAdd(Open(dir), app.NewApp(prefix+strconv.Itoa(i)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestRegistryTwoProcesses(t *testing.T) {
	if os.Getenv(registryTestHelperEnv) == "1" {
		t.Skip("inside a helper process")
	}
	dir := registryTestDir(t)
	type child struct {
		cmd   *exec.Cmd
		out   bytes.Buffer
		stdin io.WriteCloser
	}
	var children []*child
	for _, prefix := range []string{"p1-", "p2-"} {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcessRegistryWriter$", "-test.count=1", "-test.v")}
		c.cmd.Env = append(os.Environ(), registryTestHelperEnv+"=1", "REGISTRY_DIR="+dir, "REGISTRY_PREFIX="+prefix)
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, c)
	}
	for _, c := range children {
		c.stdin.Write([]byte{1})
		c.stdin.Close()
	}
	for _, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("helper process failed: %v\n%s", err, c.out.String())
		}
		if !strings.Contains(c.out.String(), "--- PASS: TestHelperProcessRegistryWriter") {
			t.Errorf("helper process did not run the writer:\n%s", c.out.String())
		}
	}
	apps, err := Open(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, prefix := range []string{"p1-", "p2-"} {
		for i := range registryTestPerChild {
			want = append(want, prefix+strconv.Itoa(i))
		}
	}
	slices.Sort(want)
	if got := registryTestNames(apps); !slices.Equal(got, want) {
		t.Errorf("two processes adding %d apps each left %d: %q", registryTestPerChild, len(apps), got)
	}
}

// core's lockFile is fsutil's (internal/fsutil/lock_test.go:TestLockFileTimesOutWithErrBusy tests
// the waiting) with core's kinds: a lock held too long is fail.ErrBusy, one given up for a canceled
// context fail.ErrCanceled, which the front ends map to their exit codes and words.
func TestLockFileErrorsAreCoresKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "x.lock")
	holder := flock.New(path, flock.SetPermissions(0o600))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	defer holder.Unlock()
	if _, err := Lock(context.Background(), path, 50*time.Millisecond); !errors.Is(err, fail.ErrBusy) || !strings.Contains(err.Error(), path) {
		t.Errorf("lockFile while held = %v, want fail.ErrBusy naming %s", err, path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path, time.Minute); !errors.Is(err, fail.ErrCanceled) {
		t.Errorf("lockFile with a canceled context = %v, want fail.ErrCanceled", err)
	}
}

func TestRegistryUpdateWaitsForTheLock(t *testing.T) {
	dir := registryTestDir(t)
	r := Open(dir)
	if err := registryTestAdd(r, app.NewApp("first")); err != nil {
		t.Fatal(err)
	}
	holder := flock.New(filepath.Join(dir, "apps.json.lock"))
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- registryTestAdd(Open(dir), app.NewApp("second")) }()
	// While the lock is held, another change is written by the holder; the waiting Update
	// must re-read after taking the lock and keep it.
	time.Sleep(50 * time.Millisecond)
	third := app.NewApp("third")
	f := registryFile{Version: Version, Apps: []app.App{}}
	apps, _ := r.Load()
	f.Apps = append(apps, third)
	if err := r.write(f); err != nil {
		t.Fatal(err)
	}
	holder.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	apps, _ = r.Load()
	if got := registryTestNames(apps); !slices.Equal(got, []string{"first", "second", "third"}) {
		t.Errorf("registry = %q", got)
	}
}
