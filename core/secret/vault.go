package secret

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"connectedapps/core/fail"
	"connectedapps/internal/fsutil"
)

// The vault is the secret store for machines without a keyring (SSH sessions, minimal Linux,
// containers): one file beside apps.json, encrypted with a key derived from a passphrase. It is
// used only when the person switches to it (`connectedapps keyring use-vault`); nothing ever
// falls back to it, and nothing is ever written in plaintext.
//
// vault.json holds the key-derivation parameters in the clear (so they can be raised later and
// an older file still opens) and the whole secrets map as one AES-256-GCM blob, so not even the
// key names (which name the apps) leak. The associated data binds the format, its version and
// the derivation parameters, so none of them can be swapped without the blob failing to open.

// The vault's kinds are core/fail's. Each is also a kind of ErrKeyringUnavailable: the secret
// store in use cannot be used, and every front end already says so.
var (
	ErrVaultLocked     = fail.ErrVaultLocked
	ErrWrongPassphrase = fail.ErrWrongPassphrase
	ErrCorruptVault    = fail.ErrCorruptVault
	ErrShortPassphrase = fail.ErrShortPassphrase
)

// MinVaultPassphrase is the shortest passphrase, in characters, a new vault is written with.
// A vault made before the rule keeps opening with the passphrase it has.
const MinVaultPassphrase = 8

// CheckNewVaultPassphrase refuses pass for a new vault when it is too short. from says where
// it came from ("the typed passphrase", "CONNECTEDAPPS_PASSPHRASE") and next what to do, for
// the one line a person reads; the passphrase itself is never in it.
func CheckNewVaultPassphrase(pass, from, next string) error {
	if utf8.RuneCountInString(pass) < MinVaultPassphrase {
		return failf(ErrShortPassphrase, "%s is too short for a new vault: a vault passphrase needs at least %d characters; %s (nothing was changed)", from, MinVaultPassphrase, next)
	}
	return nil
}

// lockWait is how long a vault change waits for another process's: as long as the registry's.
const lockWait = 30 * time.Second

const (
	vaultFormat   = "connectedapps-vault"
	vaultCipher   = "AES-256-GCM"
	vaultKDF      = "argon2id"
	VaultFileName = "vault.json"
	// VaultVersion is the file format this build writes; a newer one is refused, never
	// rewritten.
	VaultVersion = 1
	// The plaintext is padded to a multiple of this, so the file's size tells little about
	// how many secrets it holds.
	vaultPadding = 512
)

// KDFParams are argon2id's parameters, recorded in the file beside its salt.
type KDFParams struct {
	Time      uint32 `json:"time"`       // passes over memory
	MemoryKiB uint32 `json:"memory_kib"` // memory in KiB
	Threads   uint8  `json:"threads"`    // lanes
}

// DefaultVaultKDF is RFC 9106's second recommended option (t=3, 64 MiB, 4 lanes): about
// 0.2 s and 64 MiB on the project's 2-core machine, which every guess at a stolen vault costs
// too. A vault made with weaker parameters is re-keyed with these on its next write.
var DefaultVaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

func (p KDFParams) weakerThan(q KDFParams) bool {
	return p.Time < q.Time || p.MemoryKiB < q.MemoryKiB
}

// vaultFile is vault.json. []byte fields are base64 in JSON.
type vaultFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	KDF     struct {
		Algorithm string `json:"algorithm"`
		Salt      []byte `json:"salt"`
		KDFParams
	} `json:"kdf"`
	// Check tells a wrong passphrase from a damaged file: an HMAC of a fixed text under the
	// derived key. It lets a guesser test a passphrase no faster than the blob already does.
	Check      []byte `json:"check"`
	Cipher     string `json:"cipher"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// aad is the associated data: everything outside the blob that decides how it is read.
func (f *vaultFile) aad() []byte {
	return fmt.Appendf(nil, "%s/v%d|%s|t=%d|m=%d|p=%d|salt=%x|%s",
		vaultFormat, f.Version, f.KDF.Algorithm, f.KDF.Time, f.KDF.MemoryKiB, f.KDF.Threads, f.KDF.Salt, f.Cipher)
}

// kdfID names the derived key: the same passphrase with the same salt and parameters gives
// the same key, so a process derives it once.
func (f *vaultFile) kdfID() string {
	return fmt.Sprintf("%x|%d|%d|%d", f.KDF.Salt, f.KDF.Time, f.KDF.MemoryKiB, f.KDF.Threads)
}

// vaultContent is the plaintext of the blob.
type vaultContent struct {
	Secrets map[string]string `json:"secrets"`
}

// VaultStore is a Store over vault.json. It is safe for concurrent use, and every
// change is a read-modify-write under one cross-process lock on the file.
type VaultStore struct {
	// Passphrase is asked when a call first needs the key and none is held: the environment,
	// a terminal prompt, or (in the window) the answer to a dialog. It may block; it is never
	// called on the window's UI goroutine, because no secret store call is. Nil: the vault
	// stays locked until Unlock.
	Passphrase func() (string, error)
	// KDF is what a new (or re-keyed) vault is written with; zero means DefaultVaultKDF.
	KDF KDFParams

	path, lockPath string

	askMu sync.Mutex // one passphrase question at a time
	mu    sync.Mutex // guards what follows
	pass  []byte     // nil while locked
	keyID string     // which file parameters key was derived for
	key   []byte     // argon2id output for pass under keyID
}

// OpenVault is the vault in dir (beside apps.json). Nothing is read until a call needs it.
func OpenVault(dir string) *VaultStore {
	return &VaultStore{path: filepath.Join(dir, VaultFileName), lockPath: filepath.Join(dir, "locks", VaultFileName+".lock")}
}

// Path is vault.json's full path.
func (v *VaultStore) Path() string { return v.path }

// Exists tells whether the vault file is there (a missing one is an empty vault).
func (v *VaultStore) Exists() bool {
	_, err := os.Stat(v.path)
	return err == nil
}

// Unlocked tells whether a passphrase is held.
func (v *VaultStore) Unlocked() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pass != nil
}

// Unlock checks pass against the vault file and holds it. For a vault not yet written it is
// held as is: the first write uses it. A wrong passphrase is an error and changes nothing.
func (v *VaultStore) Unlock(pass string) error {
	if pass == "" {
		return failf(ErrWrongPassphrase, "the vault passphrase is wrong: it is empty; type the passphrase of %s", v.path)
	}
	f, err := v.load()
	if err != nil {
		return err
	}
	if f == nil {
		if err := CheckNewVaultPassphrase(pass, "the new vault passphrase", "choose a longer one"); err != nil {
			return err
		}
		v.mu.Lock()
		v.pass, v.keyID, v.key = []byte(pass), "", nil
		v.mu.Unlock()
		return nil
	}
	_, err = v.keyWith(f, []byte(pass))
	return err
}

// Get reads one secret. It needs the passphrase unless the vault file does not exist yet.
func (v *VaultStore) Get(key string) (string, error) {
	m, err := v.readAll()
	if err != nil {
		return "", err
	}
	val, ok := m[key]
	if !ok {
		return "", ErrNotFound
	}
	return val, nil
}

func (v *VaultStore) Set(key, value string) error {
	return v.update(func(m map[string]string) bool {
		if old, ok := m[key]; ok && old == value {
			return false
		}
		m[key] = value
		return true
	})
}

func (v *VaultStore) Delete(key string) error {
	if !v.Exists() {
		return nil // nothing to delete, and no reason to ask for the passphrase
	}
	return v.update(func(m map[string]string) bool {
		if _, ok := m[key]; !ok {
			return false
		}
		delete(m, key)
		return true
	})
}

// SetAll stores every value in one write (creating the vault, even when values is empty), so
// moving secrets in is all or nothing.
func (v *VaultStore) SetAll(values map[string]string) error {
	return v.update(func(m map[string]string) bool {
		for k, val := range values {
			m[k] = val
		}
		return true
	})
}

// All returns every secret the vault holds, for moving them out.
func (v *VaultStore) All() (map[string]string, error) { return v.readAll() }

// Keys lists the names of what is stored, sorted.
func (v *VaultStore) Keys() ([]string, error) {
	m, err := v.readAll()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// Remove deletes the vault file, under its lock (after its secrets have moved elsewhere).
func (v *VaultStore) Remove() error {
	unlock, err := fsutil.LockFile(context.Background(), v.lockPath, lockWait)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(v.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove %s: %w", v.path, err)
	}
	return nil
}

func (v *VaultStore) readAll() (map[string]string, error) {
	f, err := v.load()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return map[string]string{}, nil
	}
	return v.open(f)
}

// update is read-modify-write under the vault's lock. change reports whether it changed
// anything; nothing is written when it did not (or when the vault cannot be opened).
func (v *VaultStore) update(change func(map[string]string) bool) error {
	return fsutil.Locked(context.Background(), filepath.Dir(v.path), v.lockPath, lockWait, func() error {
		f, err := v.load()
		if err != nil {
			return err
		}
		m := map[string]string{}
		if f != nil {
			if m, err = v.open(f); err != nil {
				return err
			}
		}
		if !change(m) {
			return nil
		}
		return v.write(f, m)
	})
}

// load reads and checks the file's frame; nil, nil when it does not exist.
func (v *VaultStore) load() (*vaultFile, error) {
	data, err := os.ReadFile(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, failf(ErrCorruptVault, "cannot read the vault %s (%v): check its permissions", v.path, err)
	}
	var f vaultFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, v.corrupt("it is not valid JSON (%v)", err)
	}
	if f.Format != vaultFormat {
		return nil, v.corrupt("it is not a Connected Apps vault")
	}
	if f.Version > VaultVersion {
		return nil, failf(ErrCorruptVault, "the vault %s was written by a newer version (format %d): update connectedapps; the file was left untouched", v.path, f.Version)
	}
	k := f.KDF
	switch {
	case f.Version < 1:
		return nil, v.corrupt("its format version %d is unknown", f.Version)
	case k.Algorithm != vaultKDF || f.Cipher != vaultCipher:
		return nil, v.corrupt("it names an unknown algorithm (%q, %q)", k.Algorithm, f.Cipher)
	// Bounds keep a damaged or hostile file from asking for hours of work or gigabytes.
	case len(k.Salt) < 16 || len(k.Salt) > 64 || k.Time < 1 || k.Time > 64 || k.Threads < 1 ||
		k.MemoryKiB < 8*uint32(k.Threads) || k.MemoryKiB > 4<<20:
		return nil, v.corrupt("its key-derivation parameters are out of range")
	case len(f.Check) != sha256.Size || len(f.Nonce) != 12 || len(f.Ciphertext) < 16:
		return nil, v.corrupt("it is truncated")
	}
	return &f, nil
}

func (v *VaultStore) corrupt(format string, args ...any) error {
	return failf(ErrCorruptVault, "the vault %s is damaged: %s; it was left untouched: restore it from a backup, or move it away to start an empty vault",
		v.path, fmt.Sprintf(format, args...))
}

// open decrypts f's blob with the held passphrase (asking for one first if none is held).
func (v *VaultStore) open(f *vaultFile) (map[string]string, error) {
	key, err := v.keyFor(f)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, f.Nonce, f.Ciphertext, f.aad())
	if err != nil {
		// The check passed, so the passphrase is right: the blob or its header was changed.
		return nil, v.corrupt("its contents fail authentication (changed or truncated)")
	}
	var c vaultContent
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, v.corrupt("its decrypted contents cannot be parsed")
	}
	if c.Secrets == nil {
		c.Secrets = map[string]string{}
	}
	return c.Secrets, nil
}

// write encrypts m with a fresh nonce and replaces the file atomically. The salt and key are
// kept from prev unless its parameters are weaker than the store's, when the vault is
// re-keyed with a fresh salt.
func (v *VaultStore) write(prev *vaultFile, m map[string]string) error {
	target := v.KDF
	if target == (KDFParams{}) {
		target = DefaultVaultKDF
	}
	f := &vaultFile{Format: vaultFormat, Version: VaultVersion, Cipher: vaultCipher}
	f.KDF.Algorithm = vaultKDF
	var key []byte
	if prev != nil && !prev.KDF.weakerThan(target) {
		f.KDF.Salt, f.KDF.KDFParams = prev.KDF.Salt, prev.KDF.KDFParams
		var err error
		if key, err = v.keyFor(prev); err != nil {
			return err
		}
	} else {
		pass, err := v.passphrase()
		if err != nil {
			return err
		}
		if prev == nil { // a new vault; re-keying an old one keeps the passphrase it has
			if err := CheckNewVaultPassphrase(string(pass), "the new vault passphrase", "give a longer one"); err != nil {
				return err
			}
		}
		f.KDF.Salt, f.KDF.KDFParams = randomBytes(16), target
		key = deriveVaultKey(pass, f)
		v.hold(pass, f.kdfID(), key)
	}
	f.Check = checkValue(key)
	plain, err := json.Marshal(vaultContent{Secrets: m})
	if err != nil {
		return err
	}
	if pad := vaultPadding - len(plain)%vaultPadding; pad < vaultPadding {
		plain = append(plain, bytes.Repeat([]byte{' '}, pad)...) // JSON ignores trailing spaces
	}
	gcm, err := newGCM(key)
	if err != nil {
		return err
	}
	f.Nonce = randomBytes(gcm.NonceSize())
	f.Ciphertext = gcm.Seal(nil, f.Nonce, plain, f.aad())
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteLockedFileAtomic(v.path, append(data, '\n'))
}

// keyFor is the key for f's parameters: from the cache, else derived from the held
// passphrase, else from the one Passphrase gives. A passphrase that fails f's check is not
// held. Derivation and questions happen one at a time, so concurrent first calls ask once and
// derive once.
func (v *VaultStore) keyFor(f *vaultFile) ([]byte, error) {
	id := f.kdfID()
	if key := v.cached(id); key != nil {
		return key, nil
	}
	v.askMu.Lock()
	defer v.askMu.Unlock()
	if key := v.cached(id); key != nil {
		return key, nil
	}
	pass, err := v.passphraseLocked()
	if err != nil {
		return nil, err
	}
	return v.keyWith(f, pass)
}

func (v *VaultStore) cached(id string) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.pass != nil && v.keyID == id {
		return v.key
	}
	return nil
}

func (v *VaultStore) held() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pass
}

// keyWith derives f's key from pass and checks it; on success pass and the key are held.
func (v *VaultStore) keyWith(f *vaultFile, pass []byte) ([]byte, error) {
	key := deriveVaultKey(pass, f)
	if !hmac.Equal(checkValue(key), f.Check) {
		v.mu.Lock()
		if bytes.Equal(v.pass, pass) {
			v.pass, v.keyID, v.key = nil, "", nil // it opened another vault file; ask again next time
		}
		v.mu.Unlock()
		return nil, failf(ErrWrongPassphrase, "the vault passphrase is wrong: %s did not open with it and was left unchanged; try again (CONNECTEDAPPS_PASSPHRASE, the prompt, or the window's dialog)", v.path)
	}
	v.hold(pass, f.kdfID(), key)
	return key, nil
}

func (v *VaultStore) hold(pass []byte, id string, key []byte) {
	v.mu.Lock()
	v.pass, v.keyID, v.key = pass, id, key
	v.mu.Unlock()
}

// passphrase is the held passphrase, else Passphrase's answer.
func (v *VaultStore) passphrase() ([]byte, error) {
	v.askMu.Lock()
	defer v.askMu.Unlock()
	return v.passphraseLocked()
}

// passphraseLocked is passphrase with askMu held.
func (v *VaultStore) passphraseLocked() ([]byte, error) {
	if p := v.held(); p != nil {
		return p, nil
	}
	if v.Passphrase == nil {
		return nil, v.lockedError()
	}
	p, err := v.Passphrase()
	if h := v.held(); h != nil { // unlocked meanwhile (the window's dialog calls Unlock)
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, v.lockedError()
	}
	return []byte(p), nil
}

func (v *VaultStore) lockedError() error {
	return failf(ErrVaultLocked, "the secrets are in the encrypted vault %s, which is locked: give its passphrase (CONNECTEDAPPS_PASSPHRASE, a terminal, or the window's Unlock dialog)", v.path)
}

// deriveVaultKey stretches pass with f's salt and parameters into the 32-byte master key.
func deriveVaultKey(pass []byte, f *vaultFile) []byte {
	k := f.KDF
	return argon2.IDKey(pass, k.Salt, k.Time, k.MemoryKiB, k.Threads, 32)
}

// The master key is used only through HMAC with a label, so the check value and the cipher key
// are independent.
func subKey(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("connectedapps-vault " + label))
	return m.Sum(nil)
}

func checkValue(master []byte) []byte { return subKey(master, "passphrase check") }

func newGCM(master []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(subKey(master, "AES-256-GCM key")) // 32 bytes: AES-256
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // since Go 1.24 it never fails (it crashes the program instead)
	return b
}
