package fail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFailfKeepsTheCause(t *testing.T) {
	cause := fmt.Errorf("dial: %w", context.DeadlineExceeded)
	err := Failf(ErrTransient, "Example: refresh failed: %w; try again", cause)
	if got, want := err.Error(), "Example: refresh failed: dial: context deadline exceeded; try again"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrTransient) {
		t.Error("the kind is lost")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is(err, context.DeadlineExceeded) is false although a deadline caused it")
	}
	// Two %w: both are causes.
	two := Failf(ErrInvalid, "%w and %w", context.Canceled, ErrNotFound)
	if !errors.Is(two, context.Canceled) || !errors.Is(two, ErrNotFound) {
		t.Errorf("%v lost one of its two causes", two)
	}
	// %v formats an error without keeping it: only %w says "this caused it".
	if plain := Failf(ErrInvalid, "because %v", context.Canceled); errors.Is(plain, context.Canceled) {
		t.Errorf("an argument formatted with %%v became a cause")
	}
}

func TestDescribedIsTheCauseInOtherWords(t *testing.T) {
	d := &Described{Text: "no answer in time (timeout)", Cause: context.DeadlineExceeded}
	err := Failf(ErrTransient, "userinfo failed: %w", d)
	if got := err.Error(); got != "userinfo failed: no answer in time (timeout)" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("the deadline behind the words is lost")
	}
}

func TestVaultKindsAreKeyringUnavailable(t *testing.T) {
	for _, k := range []error{ErrVaultLocked, ErrWrongPassphrase, ErrCorruptVault, ErrShortPassphrase} {
		err := Failf(k, "the vault said no")
		if !errors.Is(err, k) || !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("%v: errors.Is for itself %v, for ErrKeyringUnavailable %v; want both", k, errors.Is(err, k), errors.Is(err, ErrKeyringUnavailable))
		}
		if errors.Is(ErrKeyringUnavailable, k) {
			t.Errorf("ErrKeyringUnavailable is %v", k)
		}
	}
}

func TestKindsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if seen[k.Error()] {
			t.Errorf("two kinds read %q", k)
		}
		seen[k.Error()] = true
	}
}

func TestRemedyOfFindsTheFirst(t *testing.T) {
	inner := Failf(ErrNeedsReauth, "inner").With(Remedy{Do: Action(1), App: "A"})
	outer := Failf(ErrTransient, "outer: %w", inner)
	if got := RemedyOf(outer); got.App != "A" || got.Do != Action(1) {
		t.Errorf("RemedyOf = %+v, want the inner one", got)
	}
	if got := RemedyOf(errors.New("plain")); got.Do != None {
		t.Errorf("RemedyOf(plain) = %+v", got)
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("a\n\tb  c\r\n"); got != "a b c" {
		t.Errorf("OneLine = %q", got)
	}
	long := OneLine(strings.Repeat("é", 400))
	if !utf8.ValidString(long) || !strings.HasSuffix(long, "…") || len(long) > 304 {
		t.Errorf("OneLine of 800 bytes = %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}

func TestRemediesOutermostFirst(t *testing.T) {
	inner := Failf(ErrInvalid, "moved").With(MoveEndpointOf("A", "revocation_uri"))
	outer := Failf(nil, "%w; nothing was deleted", inner).With(ForgetLocallyOnly("A", "tokens"))
	got := Remedies(outer)
	if len(got) != 2 || got[0].Do != ForgetLocally || got[1].Do != MoveEndpoint {
		t.Errorf("Remedies = %+v", got)
	}
	if !errors.Is(outer, ErrInvalid) {
		t.Error("a failure of no kind of its own lost its cause's kind")
	}
}

// The port is taken in the catcher, which knows no app; connect says the same with the name.
func TestRemediesSayARepeatedStepOnce(t *testing.T) {
	inner := Failf(ErrPortInUse, "port 8765 is in use").With(ChoosePortFor(""))
	outer := Failf(nil, "Example: %w", inner).With(ChoosePortFor("Example"))
	if got := Remedies(outer); len(got) != 1 || got[0].App != "Example" {
		t.Errorf("Remedies = %+v, want the outer one alone", got)
	}
}

// A front end that says the message in another language formats it again: Failf keeps
// the format and the arguments as given, an error among them still a value, and the
// English Msg as before.
func TestFailfKeepsTheFormatAndTheArguments(t *testing.T) {
	inner := Failf(ErrNotConnected, "%s is not connected", "Example")
	err := Failf(nil, "%w; nothing was deleted (%d tokens)", inner, 2)
	if err.Format != "%w; nothing was deleted (%d tokens)" || len(err.Args) != 2 {
		t.Fatalf("Format %q, Args %v", err.Format, err.Args)
	}
	if got, ok := err.Args[0].(*Error); !ok || got != inner || got.Format != "%s is not connected" || got.Args[0] != "Example" {
		t.Errorf("the error argument is %#v, not the error itself", err.Args[0])
	}
	if err.Msg != "Example is not connected; nothing was deleted (2 tokens)" {
		t.Errorf("Msg = %q", err.Msg)
	}
}
