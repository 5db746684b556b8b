package core

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
			seed: func(t *testing.T, dir string) error { return newTestVault(t, dir, vaultTestPass).Set("k", "old") },
			next: func(t *testing.T, dir string) error { return newTestVault(t, dir, vaultTestPass).Set("k2", "after") },
			check: func(t *testing.T, dir string) {
				v := newTestVault(t, dir, vaultTestPass)
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
	svc, err := NewService(Config{Dir: dir, Secrets: NewMemoryStore()})
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
	again, _ := NewService(Config{Dir: dir, Secrets: NewMemoryStore()})
	if len(again.Notices) != 0 {
		t.Errorf("a second start still says %q", again.Notices)
	}
	if apps, err := r.Load(); err != nil || len(apps) != 1 {
		t.Errorf("the registry after tightening: %d apps, %v", len(apps), err)
	}
	// A missing folder is not a notice: it is made 0700 on the first write.
	fresh, _ := NewService(Config{Dir: filepath.Join(t.TempDir(), "none"), Secrets: NewMemoryStore()})
	if len(fresh.Notices) != 0 {
		t.Errorf("a missing folder gives %q", fresh.Notices)
	}
}

// errCrashed is what the crash point panics with in-process: nothing after it in Set runs,
// as when the process is killed there (the real kill, with the real keyring, is
// TestChunkedKeyringOrphansGoWithTheNextWrite).
type errCrashed struct{}

// crashSetAt runs cs.Set(key, value) and "kills" it at the n-th time point is reached.
func crashSetAt(t *testing.T, cs *ChunkedStore, key, value, point string, n int) (crashed bool) {
	t.Helper()
	seen := 0
	crashPoint = func(p, _ string) {
		if p == point {
			if seen++; seen == n {
				panic(errCrashed{})
			}
		}
	}
	defer func() {
		crashPoint = nil
		if r := recover(); r != nil {
			if _, ok := r.(errCrashed); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	if err := cs.Set(key, value); err != nil {
		t.Fatalf("Set before the crash point: %v", err)
	}
	return false
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
	requireTraversableByOthers(t, base)
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

// A split value's writer dies after some of its new pieces, after all of them, after switching
// the index, or after writing a value whole over a split one: what it leaves (its new pieces,
// or the old ones) is unreachable. The next successful write of that value, or its deletion,
// removes every one of them; the neighbours stay.
func TestChunkedStoreOrphansGoWithTheNextWrite(t *testing.T) {
	const limit = 16
	oldValue, newValue := secretsTestValue("old", 5*limit), secretsTestValue("new", 4*limit-3)
	third := secretsTestValue("third", 3*limit)
	for _, c := range []struct {
		name, old, new, point string
		n                     int
		thenDelete            bool
	}{
		{"after the first new piece", oldValue, newValue, "piece-written", 1, false},
		{"after the last new piece", oldValue, newValue, "piece-written", 4, false},
		{"after switching the index", oldValue, newValue, "index-written", 1, false},
		{"unsplit to split, after a piece", "short", newValue, "piece-written", 2, false},
		{"split to unsplit, after the value", oldValue, "short now", "value-written", 1, false},
		{"after a piece, then deleted", oldValue, newValue, "piece-written", 3, true},
		{"after switching the index, then deleted", oldValue, newValue, "index-written", 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := NewMemoryStore()
			_ = m.Set("neighbour", "keep me")
			_ = m.Set("k2#ab#0", "another value's piece")
			cs := NewChunkedStore(m, limit)
			if err := cs.Set("k", c.old); err != nil {
				t.Fatal(err)
			}
			if !crashSetAt(t, cs, "k", c.new, c.point, c.n) {
				t.Fatalf("the write never reached %s #%d", c.point, c.n)
			}
			if orphans := len(secretsTestPieces(m, "k")) - len(wantPieceKeys(m, "k")); orphans <= 0 {
				t.Fatalf("the crash left no orphan to clean (entries %q)", secretsTestKeys(m))
			}

			if c.thenDelete {
				if err := cs.Delete("k"); err != nil {
					t.Fatal(err)
				}
				if p := secretsTestPieces(m, "k"); len(p) != 0 {
					t.Errorf("after the delete these pieces remain: %q", p)
				}
			} else {
				if err := cs.Set("k", third); err != nil {
					t.Fatalf("the next write: %v", err)
				}
				if got, err := cs.Get("k"); err != nil || got != third {
					t.Fatalf("after the next write Get = %q, %v", got, err)
				}
				if p, want := secretsTestPieces(m, "k"), wantPieceKeys(m, "k"); !slices.Equal(p, want) {
					t.Errorf("after the next write the pieces are %q; want only the new value's %q", p, want)
				}
			}
			for k, want := range map[string]string{"neighbour": "keep me", "k2#ab#0": "another value's piece"} {
				if got, err := m.Get(k); err != nil || got != want {
					t.Errorf("the neighbour %s: %q, %v", k, got, err)
				}
			}
		})
	}
}

// wantPieceKeys are the entries the index of key names now.
func wantPieceKeys(m *MemoryStore, key string) []string {
	v, err := m.Get(key)
	if err != nil {
		return nil
	}
	gen, n, ok := parseChunkIndex(v)
	if !ok {
		return nil
	}
	var out []string
	for i := range n {
		out = append(out, chunkKey(key, gen, i))
	}
	slices.Sort(out)
	return out
}

// A new vault's passphrase has at least MinVaultPassphrase characters wherever it comes from
// (Unlock, which the window's dialog and use-vault call; or Passphrase, which the environment
// and the prompt answer): a short one is refused and no vault.json is written. A vault made
// before the rule with a shorter passphrase still opens, and its next write (re-keyed to
// stronger parameters) keeps that passphrase rather than locking the person out.
func TestVaultNewPassphraseMinimum(t *testing.T) {
	dir := vaultTestDir(t)
	v := newTestVault(t, dir, "")
	err := v.Unlock("seven77")
	if !errors.Is(err, ErrShortPassphrase) || !strings.Contains(err.Error(), "at least 8 characters") || strings.Contains(err.Error(), "seven77") {
		t.Fatalf("Unlock with 7 characters for a new vault = %v", err)
	}
	if v.Unlocked() {
		t.Error("the short passphrase was held")
	}
	v = newTestVault(t, dir, "seven77")
	if err := v.Set("k", "v"); !errors.Is(err, ErrShortPassphrase) {
		t.Fatalf("Set with a short Passphrase on a new vault = %v", err)
	}
	if v.Exists() {
		t.Fatal("vault.json was written with a short passphrase")
	}
	if err := newTestVault(t, dir, "").Unlock("eight888"); err != nil {
		t.Fatalf("8 characters: %v", err)
	}
	if err := CheckNewVaultPassphrase("ünïcödé", "x", "y"); err == nil {
		t.Error("7 characters (14 bytes) passed")
	}

	// Made before the rule: written by hand, as an older build wrote it.
	old := vaultTestDir(t)
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	writeVaultMadeBeforeTheRule(t, filepath.Join(old, VaultFileName), "abc", map[string]string{"k": "v"})
	v = OpenVault(old)
	v.KDF = KDFParams{Time: 2, MemoryKiB: 1024, Threads: 1} // stronger than the file's: re-keyed
	if err := v.Unlock("abc"); err != nil {
		t.Fatalf("the old vault does not open with its short passphrase: %v", err)
	}
	if err := v.Set("k2", "v2"); err != nil {
		t.Fatalf("the old vault refused a write: %v", err)
	}
	if readVaultFile(t, v).KDF.Time != 2 {
		t.Error("the old vault was not re-keyed")
	}
	again := OpenVault(old)
	if err := again.Unlock("abc"); err != nil {
		t.Fatalf("after the re-key the short passphrase no longer opens it: %v", err)
	}
	if all, err := again.All(); err != nil || all["k"] != "v" || all["k2"] != "v2" {
		t.Errorf("after the re-key: %v, %v", all, err)
	}
}

// writeVaultMadeBeforeTheRule writes a vault file as write does, without the passphrase rule.
func writeVaultMadeBeforeTheRule(t *testing.T, path, pass string, secrets map[string]string) {
	t.Helper()
	f := &vaultFile{Format: vaultFormat, Version: VaultVersion, Cipher: vaultCipher}
	f.KDF.Algorithm = vaultKDF
	f.KDF.Salt, f.KDF.KDFParams = randomBytes(16), testKDF
	key := deriveVaultKey([]byte(pass), f)
	f.Check = checkValue(key)
	plain, err := json.Marshal(vaultContent{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		t.Fatal(err)
	}
	f.Nonce = randomBytes(gcm.NonceSize())
	f.Ciphertext = gcm.Seal(nil, f.Nonce, plain, f.aad())
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
