//go:build !linux

package secret

import (
	"errors"

	"github.com/zalando/go-keyring"
)

// keyringGet is go-keyring's Get; Linux has a faster read (secretservice_linux.go).
func keyringGet(service, user string) (string, error) { return keyring.Get(service, user) }

// keyringGetMany is go-keyring's Get for each entry; Linux reads them together.
func keyringGetMany(service string, users []string) ([]string, []bool, error) {
	return getEach(service, users)
}

// keyringSet is go-keyring's Set; Linux has a faster write (secretservice_linux.go).
func keyringSet(service, user, value string) error { return keyring.Set(service, user, value) }

// keyringPrepare has nothing to do: go-keyring connects per call here.
func keyringPrepare() {}

// keyringProbe is go-keyring's Get with the value dropped; only the Linux keyring can look
// for an entry without reading it.
func keyringProbe(service, user string) error {
	if _, err := keyring.Get(service, user); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return nil
}
