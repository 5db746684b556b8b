package secret

import (
	"bytes"
	"encoding/base64"
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
	"sync/atomic"
	"testing"

	"connectedapps/internal/testproc"
)

// testKDF keeps the unit tests (run under -race) fast; the format and code paths are the same
// as with DefaultVaultKDF.
var testKDF = KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}

const vaultTestPass = "correct horse battery staple"

func newTestVault(t *testing.T, dir, pass string) *VaultStore {
	t.Helper()
	v := OpenVault(dir)
	v.KDF = testKDF
	if pass != "" {
		v.Passphrase = func() (string, error) { return pass, nil }
	}
	return v
}

func vaultTestDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "connectedapps") // made by the first write, as in use
}

func readVaultFile(t *testing.T, v *VaultStore) vaultFile {
	t.Helper()
	data, err := os.ReadFile(v.Path())
	if err != nil {
		t.Fatal(err)
	}
	var f vaultFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestVaultRoundTripAndFileModes(t *testing.T) {
	dir := vaultTestDir(t)
	v := newTestVault(t, dir, vaultTestPass)
	if _, err := v.Get("app/x/tokens"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get from a vault not yet written = %v, want ErrNotFound", err)
	}
	if v.Exists() {
		t.Fatal("a read created the vault file")
	}
	big := strings.Repeat("é-token-", 2000) // well beyond any keyring's entry limit, and not ASCII
	for k, val := range map[string]string{"app/a/client_secret": "s3cret", "app/a/tokens": big, "app/b/tokens": ""} {
		if err := v.Set(k, val); err != nil {
			t.Fatalf("Set %s: %v", k, err)
		}
	}
	// A second store, as a second process would open it.
	w := newTestVault(t, dir, vaultTestPass)
	for k, want := range map[string]string{"app/a/client_secret": "s3cret", "app/a/tokens": big, "app/b/tokens": ""} {
		if got, err := w.Get(k); err != nil || got != want {
			t.Errorf("Get %s = %.20q, %v", k, got, err)
		}
	}
	if err := w.Delete("app/a/client_secret"); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete("app/never/there"); err != nil {
		t.Fatalf("Delete of an absent key = %v, want nil", err)
	}
	if _, err := v.Get("app/a/client_secret"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Delete: %v, want ErrNotFound", err)
	}
	if keys, err := v.Keys(); err != nil || !slices.Equal(keys, []string{"app/a/tokens", "app/b/tokens"}) {
		t.Errorf("Keys = %q, %v", keys, err)
	}

	if m := fileMode(t, v.Path()); m != 0o600 {
		t.Errorf("vault.json mode %o, want 600", m)
	}
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("folder mode %o, want 700", m)
	}
	if m := fileMode(t, filepath.Dir(v.lockPath)); m != 0o700 {
		t.Errorf("lock folder mode %o, want 700", m)
	}
	// Nothing is in the clear: no value, no key name (which would name the apps).
	raw, _ := os.ReadFile(v.Path())
	for _, s := range []string{"s3cret", "é-token", "app/", "tokens", "client_secret", vaultTestPass} {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString([]byte(s)))) {
			t.Errorf("vault.json holds %q in the clear", s)
		}
	}
	f := readVaultFile(t, v)
	if f.Version != VaultVersion || f.KDF.Algorithm != "argon2id" || f.Cipher != "AES-256-GCM" || f.KDF.KDFParams != testKDF {
		t.Errorf("header: %+v", f)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".vault.json.*")); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
}

func TestVaultPassphraseAskedOnceAndHeld(t *testing.T) {
	dir := vaultTestDir(t)
	var asked atomic.Int32
	v := newTestVault(t, dir, "")
	v.Passphrase = func() (string, error) { asked.Add(1); return vaultTestPass, nil }
	if err := v.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, err := v.Get("k"); err != nil || got != "v" {
				t.Errorf("Get = %q, %v", got, err)
			}
		})
	}
	wg.Wait()
	if n := asked.Load(); n != 1 {
		t.Errorf("the passphrase was asked %d times, want 1", n)
	}

	// A second store, many goroutines at once: one question.
	asked.Store(0)
	w := OpenVault(dir)
	w.Passphrase = func() (string, error) { asked.Add(1); return vaultTestPass, nil }
	for range 8 {
		wg.Go(func() { _, _ = w.Get("k") })
	}
	wg.Wait()
	if n := asked.Load(); n != 1 {
		t.Errorf("concurrent first reads asked %d times, want 1", n)
	}
}

func TestVaultLockedWithoutPassphrase(t *testing.T) {
	dir := vaultTestDir(t)
	if err := newTestVault(t, dir, vaultTestPass).Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	v := OpenVault(dir)
	if v.Unlocked() {
		t.Fatal("a fresh store says it is unlocked")
	}
	_, err := v.Get("k")
	if !errors.Is(err, ErrVaultLocked) || !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), v.Path()) {
		t.Fatalf("Get on a locked vault = %v", err)
	}
	if err := v.Unlock(vaultTestPass); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Get("k"); err != nil || got != "v" || !v.Unlocked() {
		t.Fatalf("after Unlock: %q, %v", got, err)
	}
}

func TestVaultWrongPassphraseChangesNothing(t *testing.T) {
	dir := vaultTestDir(t)
	if err := newTestVault(t, dir, vaultTestPass).Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	v := newTestVault(t, dir, "")
	before, _ := os.ReadFile(v.Path())

	err := v.Unlock("Tr0ub4dor&3")
	if !errors.Is(err, ErrWrongPassphrase) || !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Unlock with the wrong passphrase = %v", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "the vault passphrase is wrong: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, v.Path()) {
		t.Errorf("message %q: want one line starting \"the vault passphrase is wrong: \" and naming the file", msg)
	}
	if strings.Contains(err.Error(), "Tr0ub4dor") {
		t.Error("the message repeats the passphrase")
	}
	if v.Unlocked() {
		t.Error("a wrong passphrase was held")
	}
	v.Passphrase = func() (string, error) { return "Tr0ub4dor&3", nil }
	for name, op := range map[string]func() error{
		"Get":    func() error { _, err := v.Get("k"); return err },
		"Set":    func() error { return v.Set("k", "other") },
		"Delete": func() error { return v.Delete("k") },
		"SetAll": func() error { return v.SetAll(map[string]string{"x": "y"}) },
	} {
		if err := op(); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s with the wrong passphrase = %v", name, err)
		}
	}
	if after, _ := os.ReadFile(v.Path()); !bytes.Equal(before, after) {
		t.Error("a wrong passphrase changed vault.json")
	}
	if err := v.Unlock(""); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("an empty passphrase = %v", err)
	}
}

func TestVaultCorruptFileReportedAndUntouched(t *testing.T) {
	good := func(t *testing.T) (string, []byte) {
		dir := vaultTestDir(t)
		v := newTestVault(t, dir, vaultTestPass)
		if err := v.Set("k", "v"); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(v.Path())
		return dir, data
	}
	_, sample := good(t)
	var f map[string]any
	_ = json.Unmarshal(sample, &f)
	edit := func(change func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(sample, &m)
		change(m)
		out, _ := json.Marshal(m)
		return out
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":           {[]byte{}, "not valid JSON"},
		"garbage":         {[]byte("hello\x00world"), "not valid JSON"},
		"truncated":       {sample[:len(sample)/2], "not valid JSON"},
		"another format":  {[]byte(`{"format":"something-else","version":1}`), "not a Connected Apps vault"},
		"unknown version": {edit(func(m map[string]any) { m["version"] = 0 }), "format version 0 is unknown"},
		"newer version":   {edit(func(m map[string]any) { m["version"] = 9 }), "newer version"},
		"unknown cipher":  {edit(func(m map[string]any) { m["cipher"] = "ROT13" }), "unknown algorithm"},
		"huge memory": {edit(func(m map[string]any) { m["kdf"].(map[string]any)["memory_kib"] = 1 << 30 }),
			"out of range"},
		"short ciphertext": {edit(func(m map[string]any) { m["ciphertext"] = "AAAA" }), "truncated"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, _ := good(t)
			v := newTestVault(t, dir, vaultTestPass)
			if err := os.WriteFile(v.Path(), c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			for op, call := range map[string]func() error{
				"Get":    func() error { _, err := v.Get("k"); return err },
				"Set":    func() error { return v.Set("k", "new") },
				"Delete": func() error { return v.Delete("k") },
				"Unlock": func() error { return v.Unlock(vaultTestPass) },
			} {
				err := call()
				if !errors.Is(err, ErrCorruptVault) || !strings.Contains(err.Error(), v.Path()) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s = %v; want ErrCorruptVault naming the file and saying %q", op, err, c.want)
				}
			}
			if after, _ := os.ReadFile(v.Path()); !bytes.Equal(after, c.data) {
				t.Error("the damaged vault was overwritten")
			}
		})
	}
}

// Every byte of the sealed part matters: flipping any one of them is an error, never a
// different secret, and the file is left as it is.
func TestVaultTamperDetected(t *testing.T) {
	dir := vaultTestDir(t)
	v := newTestVault(t, dir, vaultTestPass)
	if err := v.Set("app/a/tokens", "value"); err != nil {
		t.Fatal(err)
	}
	orig := readVaultFile(t, v)
	write := func(f vaultFile) []byte {
		data, _ := json.Marshal(f)
		if err := os.WriteFile(v.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		return data
	}
	flip := func(b []byte, i int) []byte { c := slices.Clone(b); c[i] ^= 0x01; return c }
	check := func(what string, wantKind error) {
		t.Helper()
		before, _ := os.ReadFile(v.Path())
		fresh := newTestVault(t, dir, vaultTestPass) // no cached key
		if _, err := fresh.Get("app/a/tokens"); !errors.Is(err, wantKind) {
			t.Errorf("%s: Get = %v, want %v", what, err, wantKind)
		}
		if err := fresh.Set("app/a/tokens", "other"); !errors.Is(err, wantKind) {
			t.Errorf("%s: Set = %v, want %v", what, err, wantKind)
		}
		if after, _ := os.ReadFile(v.Path()); !bytes.Equal(before, after) {
			t.Errorf("%s: the file was rewritten", what)
		}
	}
	for i := range orig.Ciphertext {
		f := orig
		f.Ciphertext = flip(orig.Ciphertext, i)
		write(f)
		if i%97 == 0 || i == len(orig.Ciphertext)-1 { // the full check is slow; the cheap one covers every byte
			check(fmt.Sprintf("ciphertext byte %d", i), ErrCorruptVault)
		} else if _, err := v.Get("app/a/tokens"); !errors.Is(err, ErrCorruptVault) {
			t.Fatalf("ciphertext byte %d flipped: Get = %v", i, err)
		}
	}
	for i := range orig.Nonce {
		f := orig
		f.Nonce = flip(orig.Nonce, i)
		write(f)
		check(fmt.Sprintf("nonce byte %d", i), ErrCorruptVault)
	}
	// The associated data binds the version: a blob sealed as another version does not open
	// under this header.
	{
		f := orig
		f.Version = 2
		key := deriveVaultKey([]byte(vaultTestPass), &f)
		gcm, _ := newGCM(key)
		plain, _ := json.Marshal(vaultContent{Secrets: map[string]string{"app/a/tokens": "forged"}})
		f.Ciphertext = gcm.Seal(nil, f.Nonce, plain, f.aad())
		f.Version = 1
		write(f)
		check("a blob sealed for format version 2", ErrCorruptVault)
	}
	// The salt and parameters feed the key: changed, the passphrase no longer opens the
	// vault (reported as such), and nothing is overwritten.
	{
		f := orig
		f.KDF.Salt = flip(orig.KDF.Salt, 0)
		write(f)
		check("salt", ErrWrongPassphrase)
		f = orig
		f.KDF.Time++
		write(f)
		check("time parameter", ErrWrongPassphrase)
		f = orig
		f.Check = flip(orig.Check, 5)
		write(f)
		check("check value", ErrWrongPassphrase)
	}
	write(orig)
	if got, err := newTestVault(t, dir, vaultTestPass).Get("app/a/tokens"); err != nil || got != "value" {
		t.Fatalf("the original file no longer opens: %q, %v", got, err)
	}
}

func TestVaultSaltAndNonceFreshness(t *testing.T) {
	dir1, dir2 := vaultTestDir(t), vaultTestDir(t)
	a, b := newTestVault(t, dir1, vaultTestPass), newTestVault(t, dir2, vaultTestPass)
	for _, v := range []*VaultStore{a, b} {
		if err := v.Set("k", "same"); err != nil {
			t.Fatal(err)
		}
	}
	fa, fb := readVaultFile(t, a), readVaultFile(t, b)
	if len(fa.KDF.Salt) != 16 || bytes.Equal(fa.KDF.Salt, fb.KDF.Salt) {
		t.Errorf("two vaults with one passphrase share a salt (%x)", fa.KDF.Salt)
	}
	if bytes.Equal(fa.Ciphertext, fb.Ciphertext) || bytes.Equal(fa.Check, fb.Check) {
		t.Error("two vaults with one passphrase and the same contents encrypt alike")
	}

	// Rewrites of one vault: the salt (and so the key) stays, the nonce never repeats, and the
	// same contents never encrypt alike.
	nonces := map[string]bool{string(fa.Nonce): true}
	prev := fa
	for i := range 20 {
		if err := a.Set("k", "value "+strconv.Itoa(i%2)); err != nil { // contents alternate
			t.Fatal(err)
		}
		f := readVaultFile(t, a)
		if !bytes.Equal(f.KDF.Salt, fa.KDF.Salt) {
			t.Fatal("a rewrite changed the salt of a vault whose parameters are current")
		}
		if nonces[string(f.Nonce)] {
			t.Fatalf("write %d reused a nonce", i)
		}
		nonces[string(f.Nonce)] = true
		if bytes.Equal(f.Ciphertext, prev.Ciphertext) {
			t.Fatalf("write %d: same ciphertext as the write before", i)
		}
		prev = f
	}
	if err := a.Set("k", "value 1"); err != nil { // unchanged value: no write at all
		t.Fatal(err)
	}
	if f := readVaultFile(t, a); !bytes.Equal(f.Nonce, prev.Nonce) {
		t.Error("setting the value it already has rewrote the vault")
	}
}

func TestVaultRekeysWeakParameters(t *testing.T) {
	dir := vaultTestDir(t)
	weak := newTestVault(t, dir, vaultTestPass)
	if err := weak.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	old := readVaultFile(t, weak)
	stronger := newTestVault(t, dir, vaultTestPass)
	stronger.KDF = KDFParams{Time: 2, MemoryKiB: 2048, Threads: 1}
	if err := stronger.Set("k2", "v2"); err != nil {
		t.Fatal(err)
	}
	f := readVaultFile(t, stronger)
	if f.KDF.KDFParams != stronger.KDF || bytes.Equal(f.KDF.Salt, old.KDF.Salt) {
		t.Errorf("a write with stronger parameters did not re-key: %+v", f.KDF)
	}
	// The old store (configured weaker) still opens it and does not weaken it.
	if got, err := newTestVault(t, dir, vaultTestPass).Get("k"); err != nil || got != "v" {
		t.Fatalf("after re-keying: %q, %v", got, err)
	}
	if err := weak.Set("k3", "v3"); err != nil {
		t.Fatal(err)
	}
	if f := readVaultFile(t, weak); f.KDF.KDFParams != stronger.KDF {
		t.Errorf("a weaker-configured store lowered the parameters to %+v", f.KDF.KDFParams)
	}
	if DefaultVaultKDF.weakerThan(KDFParams{Time: 3, MemoryKiB: 64 * 1024}) {
		t.Error("the default parameters are below RFC 9106's second recommendation")
	}
}

const vaultTestHelperEnv = "CONNECTEDAPPS_VAULT_TEST_HELPER"

const vaultTestPerChild = 15

// TestHelperProcessVaultWriter is one of two processes writing into one vault at once.
func TestHelperProcessVaultWriter(t *testing.T) {
	if os.Getenv(vaultTestHelperEnv) != "1" {
		t.Skip("helper process for TestVaultTwoProcesses")
	}
	v := newTestVault(t, os.Getenv("VAULT_DIR"), vaultTestPass)
	prefix := os.Getenv("VAULT_PREFIX")
	if _, err := io.ReadFull(os.Stdin, make([]byte, 1)); err != nil {
		t.Fatalf("reading the start signal: %v", err)
	}
	var wg sync.WaitGroup
	for i := range vaultTestPerChild {
		wg.Go(func() {
			if err := v.Set(prefix+strconv.Itoa(i), "value-"+prefix+strconv.Itoa(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// Two processes writing at once lose nothing: every write is a read-modify-write under the
// vault's one lock.
func TestVaultTwoProcesses(t *testing.T) {
	if os.Getenv(vaultTestHelperEnv) == "1" {
		t.Skip("inside a helper process")
	}
	dir := vaultTestDir(t)
	if err := newTestVault(t, dir, vaultTestPass).Set("seed", "x"); err != nil {
		t.Fatal(err)
	}
	type child struct {
		cmd   *exec.Cmd
		out   bytes.Buffer
		stdin io.WriteCloser
	}
	var children []*child
	for _, prefix := range []string{"p1-", "p2-"} {
		c := &child{cmd: testproc.Command("TestHelperProcessVaultWriter", vaultTestHelperEnv+"=1", "VAULT_DIR="+dir, "VAULT_PREFIX="+prefix)}
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
		if !strings.Contains(c.out.String(), "--- PASS: TestHelperProcessVaultWriter") {
			t.Errorf("helper process did not run the writer:\n%s", c.out.String())
		}
	}
	keys, err := newTestVault(t, dir, vaultTestPass).Keys()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"seed"}
	for _, prefix := range []string{"p1-", "p2-"} {
		for i := range vaultTestPerChild {
			want = append(want, prefix+strconv.Itoa(i))
		}
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("two processes writing %d secrets each left %d: %q", vaultTestPerChild, len(keys), keys)
	}
}

// fileMode is path's permission bits.
func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
