// Package secret is where the program's secrets are kept: the Store seam (Get, Set, Delete by
// key) and what stands behind it. KeyringStore is the OS keyring (Secret Service, Keychain,
// Credential Manager) through go-keyring with a timeout on every call, since a locked keyring
// may never answer; on Linux its reads take a faster two-round-trip path to the Secret Service.
// ChunkedStore splits a value above the platform's size limit across several entries, crash-safe.
// VaultStore is the encrypted vault file for machines without a keyring. MemoryStore is memory
// only, for unit tests and measurements.
//
// It is separate from core because none of this knows an app, a token or a provider: core
// decides which key holds what (the client secret and tokens of each app) and which store is
// chosen; this package only keeps values safely. It imports no package of this module but
// core/fail (the kinds of failure) and internal/fsutil (the vault's atomic write and lock),
// and core, cli, gui and main import it, never the reverse. Its ErrNotFound,
// ErrKeyringUnavailable and vault kinds are core/fail's very values, as core's are, so
// errors.Is(err, core.ErrX) holds for what a store returns.
package secret

import (
	"errors"
	"fmt"
	"runtime"

	"connectedapps/core/fail"
)

// Store keeps secrets by key. The OS keyring in production; memory in unit tests.
type Store interface {
	Get(key string) (string, error) // wraps ErrNotFound when absent
	Set(key, value string) error
	Delete(key string) error // absent is not an error
}

// The kinds every store returns are core/fail's, the very values core re-exports, so
// errors.Is(err, core.ErrX) holds for what a store returns.
var (
	ErrNotFound           = fail.ErrNotFound
	ErrKeyringUnavailable = fail.ErrKeyringUnavailable
)

// failf and oneLine are core/fail's: one error type and one text rule for every layer.
var (
	failf   = fail.Failf
	oneLine = fail.OneLine
)

// Describe names the store a person's secrets are in, for the window's and `keyring status`'s
// one line.
func Describe(store Store) string {
	switch s := store.(type) {
	case *ChunkedStore:
		return Describe(s.inner)
	case *KeyringStore:
		switch runtime.GOOS {
		case "darwin":
			return "macOS Keychain"
		case "windows":
			return "Windows Credential Manager"
		default:
			return "System keyring (Secret Service: GNOME Keyring, KWallet, KeePassXC…)"
		}
	case *MemoryStore:
		return "Memory only (nothing is kept after the program ends)"
	case *VaultStore:
		return "Encrypted vault file " + s.Path()
	case nil:
		return "None"
	default:
		return fmt.Sprintf("%T", store)
	}
}

// Preparer is a store that can get ready for its first call ahead of it (the keyring: its
// connection) while the caller does other work.
type Preparer interface{ Prepare() }

// Prepare starts store getting ready, when it can; it never waits.
func Prepare(store Store) {
	if p, ok := store.(Preparer); ok {
		p.Prepare()
	}
}

// Prober is a store that can tell whether it could read an entry now without reading it (the
// keyring: a search, no secret over the bus).
type Prober interface{ Probe(key string) error }

// Probe is nil when key's entry could be read now or does not exist, else the error a Get
// would return: what connect asks before the browser opens, so a store that cannot keep the
// tokens is found before the provider issues them. A store that cannot probe is read.
func Probe(store Store, key string) error {
	if p, ok := store.(Prober); ok {
		return p.Probe(key)
	}
	if _, err := store.Get(key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
