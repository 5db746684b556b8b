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
// internal/fsutil (the vault's atomic write and lock), and core, cli, gui and main import it,
// never the reverse. core's ErrNotFound, ErrKeyringUnavailable and vault errors are this
// package's very values, so errors.Is(err, core.ErrX) holds for what a store returns.
package secret

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"
)

// Store keeps secrets by key. The OS keyring in production; memory in unit tests.
type Store interface {
	Get(key string) (string, error) // wraps ErrNotFound when absent
	Set(key, value string) error
	Delete(key string) error // absent is not an error
}

// Sentinel errors of every store. core re-exports them as the same values.
var (
	ErrNotFound           = errors.New("not found")
	ErrKeyringUnavailable = errors.New("keyring unavailable")
)

// kindError is a message for a person that also answers errors.Is for its kind, without the
// kind's own words trailing the sentence (as core's Failf does).
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// failf formats a one-line message of the given kind (one of the sentinel errors).
func failf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// oneLine keeps a keyring's own text from breaking the one-line error rule (core has the
// same rule for provider text).
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

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
