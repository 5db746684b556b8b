package secret

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Left-overs of earlier work (issue 8, item 13) in the secret stores: what a writer of a split
// value killed midway leaves behind is removed by the next write, and a new vault's passphrase
// has a minimum length.

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
