package core

import (
	"errors"
	"strings"

	"connectedapps/core/secret"
)

// Secret store health, as ProbeSecrets reports it.
const (
	SecretsOK          = "ok"
	SecretsLocked      = "locked"
	SecretsUnreachable = "unreachable"
)

// SecretsStatus is which secret store is in use and whether it answers.
type SecretsStatus struct {
	Store   string // in a person's words, e.g. "Secret Service (GNOME Keyring, KWallet, KeePassXC)"
	State   string // SecretsOK, SecretsLocked or SecretsUnreachable
	Message string // what went wrong and what to do, one line; "" when ok
}

// probeKey is read, never written: an absent entry is the normal answer, and it proves the
// store was reached and (for the Secret Service) its collection unlocked, because go-keyring
// unlocks the collection before it searches.
const probeKey = "probe"

// ProbeSecrets reads a probe entry to tell whether the secret store works. It may block for
// the keyring timeout (a locked keyring asking for a password), so call it off the UI
// goroutine.
func (s *Service) ProbeSecrets() SecretsStatus {
	st := SecretsStatus{Store: secret.Describe(inUseStore(s.Secrets))}
	_, err := s.Secrets.Get(probeKey)
	switch {
	case err == nil, errors.Is(err, ErrNotFound):
		st.State = SecretsOK
	case errors.Is(err, ErrVaultLocked), errors.Is(err, ErrWrongPassphrase),
		strings.Contains(strings.ToLower(err.Error()), "locked"):
		st.State, st.Message = SecretsLocked, oneLine(err.Error())
	default:
		st.State, st.Message = SecretsUnreachable, oneLine(err.Error())
	}
	return st
}
