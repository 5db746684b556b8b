// Package fail is the base every layer's errors stand on: the kinds of failure (ErrNotFound,
// ErrNeedsReauth, ErrTransient, …), the one error type that carries a kind, the remedy a
// person can take and the cause, and the small text rules every message follows (one line).
//
// It sits below every other package of core (core/app, core/secret, core/registry, core/oauth
// and core itself all make their errors here), so a kind is one value wherever it was made:
// errors.Is(err, fail.ErrX) holds across layers, and core re-exports the kinds as the very
// same values (core.ErrX == fail.ErrX). It imports nothing of this module but internal/fsutil,
// whose ErrBusy (a lock held too long) is the busy kind.
//
// A message says what happened and names the thing (the app, the URL, the port, the file); it
// never names a command or a flag. What to do next is the Remedy, which each front end renders
// in its own words: the command line as the command to run, the window as its own words.
package fail

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"connectedapps/internal/fsutil"
)

// kind is a sentinel whose text is its name. A kind with a parent also answers errors.Is for
// the parent: a locked vault is a secret store that cannot be used, as a silent keyring is.
type kind struct {
	name   string
	parent error
}

func (k *kind) Error() string { return k.name }
func (k *kind) Unwrap() error { return k.parent }

func newKind(name string, parent error) error { return &kind{name: name, parent: parent} }

// The kinds of failure. Callers test them with errors.Is; the front ends map them to exit codes
// and to where a person can act.
var (
	ErrNotFound           = errors.New("not found")
	ErrInvalid            = errors.New("invalid")
	ErrNotConnected       = errors.New("not connected")
	ErrNeedsReauth        = errors.New("needs re-authorization")
	ErrClientRejected     = errors.New("client rejected")
	ErrTransient          = errors.New("temporary failure")
	ErrKeyringUnavailable = errors.New("keyring unavailable")
	ErrPortInUse          = errors.New("port in use")
	ErrBusy               = fsutil.ErrBusy // a lock held too long by another process, or a connect already running
	ErrStateMismatch      = errors.New("state mismatch")
	ErrMixUp              = errors.New("answer from another provider")
	ErrTimeout            = errors.New("timed out")
	ErrCanceled           = errors.New("canceled")
	ErrCorruptRegistry    = errors.New("registry unreadable")

	// The vault's kinds are each also ErrKeyringUnavailable: the secrets cannot be read until
	// the person acts, which every caller that tests for an unusable store must see.
	ErrVaultLocked     = newKind("vault locked", ErrKeyringUnavailable)
	ErrWrongPassphrase = newKind("wrong vault passphrase", ErrKeyringUnavailable)
	ErrCorruptVault    = newKind("vault unreadable", ErrKeyringUnavailable)
	ErrShortPassphrase = newKind("vault passphrase too short", ErrKeyringUnavailable)
)

// Kinds lists every kind, for tests that check each is rendered.
func Kinds() []error {
	return []error{ErrNotFound, ErrInvalid, ErrNotConnected, ErrNeedsReauth, ErrClientRejected, ErrTransient,
		ErrKeyringUnavailable, ErrPortInUse, ErrBusy, ErrStateMismatch, ErrMixUp, ErrTimeout, ErrCanceled,
		ErrCorruptRegistry, ErrVaultLocked, ErrWrongPassphrase, ErrCorruptVault, ErrShortPassphrase}
}

// Error is a failure for a person: the message (one line, naming the thing), its kind, what
// to do next, and what caused it. errors.Is answers for the kind and for anything in the
// cause's chain (a context deadline, a net error), errors.As finds the cause's types.
//
// Format and Args are what Failf made Msg from, kept so a front end can say the message in
// another language (the window in Chinese translates Format and formats Args again, an error
// among them translated in turn); Msg stays the English line the command line and logs use.
type Error struct {
	Msg    string
	Kind   error
	Remedy Remedy
	Cause  error
	Format string
	Args   []any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap gives the kind first, so errors.Is finds it before anything the cause carries. A
// failure of no kind of its own (nil) is of its cause's kind.
func (e *Error) Unwrap() []error {
	var out []error
	for _, x := range []error{e.Kind, e.Cause} {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// Failf formats a one-line message of the given kind. A %w verb formats its error as %v does
// and keeps it as the cause, so errors.Is(err, context.DeadlineExceeded) holds where a
// deadline caused the failure. The format and the arguments are kept as they were given
// (Format, Args): an error among them stays a value, to be worded again by a front end.
func Failf(kind error, format string, args ...any) *Error {
	made := fmt.Errorf(format, args...)
	e := &Error{Msg: made.Error(), Kind: kind, Format: format, Args: args}
	switch w := made.(type) {
	case interface{ Unwrap() error }:
		e.Cause = w.Unwrap()
	case interface{ Unwrap() []error }:
		e.Cause = errors.Join(w.Unwrap()...)
	}
	return e
}

// With sets the remedy and returns the error, so a failure reads as one expression:
// fail.Failf(fail.ErrNotConnected, "%s is not connected", name).With(fail.Reconnect(name)).
func (e *Error) With(r Remedy) *Error {
	e.Remedy = r
	return e
}

// OneLine keeps text from elsewhere (a provider's description, a keyring's error) from
// breaking the one-line rule: every run of white space is one space, and it is cut at 300
// bytes on a character boundary.
func OneLine(s string) string {
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

// Described is an error shown in other words than its own (describeNetError's "the
// connection was refused" for a *net.OpError) that still unwraps to it, so a message can
// format the words with %w and keep the cause.
type Described struct {
	Text  string
	Cause error
}

func (d *Described) Error() string { return d.Text }
func (d *Described) Unwrap() error { return d.Cause }
