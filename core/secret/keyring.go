package secret

import (
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name every entry is filed under in the OS keyring.
const KeyringService = "connectedapps"

// DefaultKeyringTimeout bounds every keyring call: a locked keyring can block forever.
const DefaultKeyringTimeout = 30 * time.Second

// PlatformSecretLimit is the largest value the platform's keyring takes in one entry
// (0: no limit). Windows' Credential Manager takes 2,560 bytes, CRED_MAX_CREDENTIAL_BLOB_SIZE,
// which go-keyring checks too. On macOS go-keyring hands the value to /usr/bin/security as
// one "add-generic-password … -w 'go-keyring-base64:…'" line of at most 4,096 bytes, base64
// and all, so 3,000 bytes (4,000 in base64, plus the command and the key) were refused:
// 2,560 leaves room for a key of over 500 bytes (TestDarwinPieceFitsTheSecurityCommand).
func PlatformSecretLimit() int {
	switch runtime.GOOS {
	case "windows", "darwin":
		return 2560
	}
	return 0
}

// KeyringStore is the OS keyring (Secret Service, Keychain, Credential Manager) through
// go-keyring, with a timeout on every call.
type KeyringStore struct {
	Timeout time.Duration
}

// NewSystemStore is the OS keyring with the default timeout, split into pieces above the
// platform's size limit.
func NewSystemStore() Store {
	return NewChunkedStore(&KeyringStore{Timeout: DefaultKeyringTimeout}, PlatformSecretLimit())
}

func (k *KeyringStore) Get(key string) (string, error) {
	var v string
	if err := k.call("read", func() (err error) { v, err = keyringGet(KeyringService, key); return }); err != nil {
		return "", err // and v untouched: after a timeout the call may still write it
	}
	return v, nil
}

// Prepare connects to the keyring in the background (on Linux, the session bus: a socket,
// the authentication and Hello, a millisecond or two) so the first call finds it ready;
// Service starts it before reading the registry, which needs as long.
func (k *KeyringStore) Prepare() { keyringPrepare() }

// Probe tells whether key's entry could be read now (nil also when it does not exist),
// without reading it where the keyring allows: on Linux one round trip and no secret on the
// bus. A locked keyring is unlocked here, with its prompt, as a read would.
func (k *KeyringStore) Probe(key string) error {
	return k.call("read", func() error { return keyringProbe(KeyringService, key) })
}

// GetMany reads several entries at once (the chunked store's write reads an entry and its
// pending note): on Linux in the round trips of one read. found says which exist.
func (k *KeyringStore) GetMany(keys []string) (values []string, found []bool, err error) {
	var v []string
	var f []bool
	if err := k.call("read", func() (err error) { v, f, err = keyringGetMany(KeyringService, keys); return }); err != nil {
		return nil, nil, err
	}
	return v, f, nil
}

// getEach reads each entry with go-keyring's Get; found says which exist.
func getEach(service string, users []string) (values []string, found []bool, err error) {
	values, found = make([]string, len(users)), make([]bool, len(users))
	for i, user := range users {
		if values[i], err = keyring.Get(service, user); err == nil {
			found[i] = true
		} else if !errors.Is(err, keyring.ErrNotFound) {
			return nil, nil, err
		}
	}
	return values, found, nil
}

func (k *KeyringStore) Set(key, value string) error {
	return k.call("write", func() error { return keyringSet(KeyringService, key, value) })
}

func (k *KeyringStore) Delete(key string) error {
	err := k.call("delete", func() error { return keyring.Delete(KeyringService, key) })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// call runs op on its own goroutine so a keyring that never answers (a locked collection
// waiting on a prompt nobody sees) turns into an error instead of a hang. The goroutine is
// left behind in that case; there is no way to cancel a D-Bus call in go-keyring.
func (k *KeyringStore) call(what string, op func() error) error {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrNotFound
		case errors.Is(err, keyring.ErrSetDataTooBig):
			return failf(ErrKeyringUnavailable, "the system keyring refused a value as too large")
		}
		if strings.Contains(strings.ToLower(err.Error()), "unlock") {
			return failf(ErrKeyringUnavailable, "the system keyring is locked and could not be unlocked for a %s (%s): unlock it (log in to the desktop, or open your keyring app), then try again",
				what, oneLine(err.Error()))
		}
		return failf(ErrKeyringUnavailable, "the system keyring cannot be reached for a %s (%s): start or unlock a Secret Service keyring (gnome-keyring, KeePassXC) in your desktop session, then try again",
			what, oneLine(err.Error()))
	case <-time.After(timeout):
		return failf(ErrKeyringUnavailable, "the system keyring did not answer a %s within %s: it may be locked; unlock it (log in to the desktop, or use your keyring app) and try again", what, timeout)
	}
}
