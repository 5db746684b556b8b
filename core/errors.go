package core

import (
	"connectedapps/core/fail"
)

// The kinds of failure are core/fail's very values, so errors.Is(err, core.ErrX) holds
// wherever in the layers the error was made. Callers test them with errors.Is; the front ends
// map them to exit codes and to the words a person reads.
var (
	ErrNotFound           = fail.ErrNotFound
	ErrInvalid            = fail.ErrInvalid
	ErrNotConnected       = fail.ErrNotConnected
	ErrNeedsReauth        = fail.ErrNeedsReauth
	ErrClientRejected     = fail.ErrClientRejected
	ErrTransient          = fail.ErrTransient
	ErrKeyringUnavailable = fail.ErrKeyringUnavailable
	ErrPortInUse          = fail.ErrPortInUse
	ErrBusy               = fail.ErrBusy // a lock held too long by another process, or a connect already running
	ErrStateMismatch      = fail.ErrStateMismatch
	ErrMixUp              = fail.ErrMixUp
	ErrTimeout            = fail.ErrTimeout
	ErrCanceled           = fail.ErrCanceled
	ErrCorruptRegistry    = fail.ErrCorruptRegistry
)

// Failf formats a one-line message of a kind, keeping a %w argument as the cause (see
// fail.Failf); oneLine is the one-line rule for text from elsewhere.
var (
	Failf   = fail.Failf
	oneLine = fail.OneLine
)
