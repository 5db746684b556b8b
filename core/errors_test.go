package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"connectedapps/core/app"
	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

func TestProviderErrorIsOneLine(t *testing.T) {
	e := &ProviderError{App: "Google", Step: "refresh", Code: "invalid_grant",
		Description: "Token has been\nexpired or revoked.\r\n\tSee\u2028docs.  ", Status: 400}
	got := e.Error()
	if strings.ContainsAny(got, "\r\n\t\u2028") {
		t.Errorf("Error() = %q is not one line", got)
	}
	want := `Google: refresh failed: the provider said "invalid_grant" (Token has been expired or revoked. See docs.): ` +
		"the refresh token is no longer accepted; connect again to sign in"
	if got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	// A code with a line break (a provider's odd answer) is quoted, so still one line.
	e = &ProviderError{Step: "sign-in", Code: "weird\ncode"}
	if got := e.Error(); strings.ContainsAny(got, "\r\n") {
		t.Errorf("Error() = %q is not one line", got)
	}
}

func TestProviderErrorParts(t *testing.T) {
	cases := []struct {
		e       ProviderError
		want    []string
		notWant []string
		prefix  string
	}{
		{ProviderError{App: "GitHub", Step: "sign-in", Code: "access_denied"},
			[]string{`"access_denied"`, "declined", "approve"}, []string{"("}, "GitHub: sign-in failed"},
		{ProviderError{Step: "sign-in", Code: "access_denied", Description: "The user denied"},
			[]string{"(The user denied)", "declined"}, nil, "sign-in failed"},
		{ProviderError{App: "A", Step: "refresh", Code: "invalid_grant"},
			[]string{"refresh token is no longer accepted", "connect again"}, []string{"code was refused"}, "A: refresh failed"},
		{ProviderError{App: "A", Step: "token exchange", Code: "invalid_grant"},
			[]string{"code was refused", "connect again"}, []string{"refresh token"}, "A: token exchange failed"},
		{ProviderError{App: "A", Step: "token exchange", Code: "invalid_client", Description: "bad secret"},
			[]string{`"invalid_client"`, "(bad secret)", "does not accept this client"}, nil, "A: token exchange failed"},
		{ProviderError{App: "A", Step: "refresh", Code: "unauthorized_client"},
			[]string{"does not accept this client"}, nil, "A: refresh failed"},
		{ProviderError{App: "A", Step: "sign-in", Code: "invalid_scope"},
			[]string{"check the scopes"}, nil, "A:"},
		{ProviderError{App: "A", Step: "sign-in", Code: "invalid_request"},
			[]string{"redirect URI"}, nil, "A:"},
		{ProviderError{App: "A", Step: "revocation", Code: "invalid_request"},
			[]string{"check the app's settings"}, []string{"redirect URI"}, "A:"},
		{ProviderError{App: "A", Step: "refresh", Code: "temporarily_unavailable"},
			[]string{"try again later"}, nil, "A:"},
		{ProviderError{App: "A", Step: "refresh", Code: "server_error"},
			[]string{"try again later"}, nil, "A:"},
		{ProviderError{App: "A", Step: "refresh", Code: "HTTP 502", Description: "<html>Bad gateway</html>"},
			[]string{`"HTTP 502"`, "(<html>Bad gateway</html>)"}, nil, "A: refresh failed"},
	}
	// A refused client is checked where it is registered: its next step says so.
	if got := (&ProviderError{App: "A", Step: "refresh", Code: "unauthorized_client"}).NextStep(); got != fail.CheckClientOf("A") {
		t.Errorf("NextStep of unauthorized_client = %+v", got)
	}
	for _, c := range cases {
		got := c.e.Error()
		if !strings.HasPrefix(got, c.prefix) {
			t.Errorf("%+v: Error() = %q, want prefix %q", c.e, got, c.prefix)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: Error() = %q lacks %q", c.e, got, w)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%+v: Error() = %q has %q", c.e, got, w)
			}
		}
	}
	// An unknown code gets no advice and no dangling separator.
	e := &ProviderError{App: "A", Step: "refresh", Code: "custom_error"}
	if got, want := e.Error(), `A: refresh failed: the provider said "custom_error"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestProviderErrorLongDescriptionIsCut(t *testing.T) {
	e := &ProviderError{Step: "refresh", Code: "x", Description: strings.Repeat("word ", 200)}
	got := e.Error()
	if !strings.Contains(got, "…") || len(got) > 400 {
		t.Errorf("a 1,000-byte description gave %d bytes: %q", len(got), got)
	}
	if s := oneLine(strings.Repeat("a", 300)); s != strings.Repeat("a", 300) {
		t.Errorf("300 bytes were cut: %q", s)
	}
}

// The cut at 300 bytes must not split a character: the message would end in invalid UTF-8.
func TestProviderErrorCutKeepsUTF8(t *testing.T) {
	desc := "a" + strings.Repeat("é", 300) // 'é' is 2 bytes, so byte 300 falls inside one
	got := (&ProviderError{Step: "refresh", Code: "x", Description: desc}).Error()
	if !utf8.ValidString(got) {
		t.Errorf("Error() is not valid UTF-8: ...%q", got[len(got)-20:])
	}
	for _, s := range []string{strings.Repeat("日", 200), "ab" + strings.Repeat("🙂", 100)} {
		if out := oneLine(s); !utf8.ValidString(out) {
			t.Errorf("oneLine(%d bytes) is not valid UTF-8: ...%q", len(s), out[len(out)-8:])
		}
	}
}

func TestProviderErrorUnwrap(t *testing.T) {
	e := &ProviderError{Step: "refresh", Code: "invalid_grant"}
	if e.Unwrap() != nil {
		t.Errorf("Unwrap() without a kind = %v", e.Unwrap())
	}
	e.Kind = ErrNeedsReauth
	wrapped := fmt.Errorf("app x: %w", e)
	if !errors.Is(wrapped, ErrNeedsReauth) || errors.Is(wrapped, ErrClientRejected) {
		t.Errorf("errors.Is through ProviderError: %v", wrapped)
	}
	var pe *ProviderError
	if !errors.As(wrapped, &pe) || pe.Code != "invalid_grant" {
		t.Errorf("errors.As(*ProviderError) failed on %v", wrapped)
	}
}

func TestValidationError(t *testing.T) {
	var err error = &ValidationError{Field: "token_uri", Message: "the token URI is required"}
	if got, want := err.Error(), "token_uri: the token URI is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("errors.Is(ValidationError, ErrInvalid) = false")
	}
	wrapped := fmt.Errorf("saving Google: %w", err)
	if !errors.Is(wrapped, ErrInvalid) || errors.Is(wrapped, ErrNotFound) {
		t.Errorf("errors.Is through a wrap: %v", wrapped)
	}
	var ve *ValidationError
	if !errors.As(wrapped, &ve) || ve.Field != "token_uri" {
		t.Errorf("errors.As(*ValidationError) = %+v", ve)
	}
	// What Validate returns behaves the same.
	a := App{}
	if err := a.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate() = %v, want ErrInvalid", err)
	}
}

func TestSentinelErrorsAreDistinct(t *testing.T) {
	all := []error{ErrNotFound, ErrInvalid, ErrNotConnected, ErrNeedsReauth, ErrClientRejected, ErrTransient,
		ErrKeyringUnavailable, ErrPortInUse, ErrBusy, ErrStateMismatch, ErrMixUp, ErrTimeout, ErrCanceled, ErrCorruptRegistry}
	for i, a := range all {
		if a.Error() == "" {
			t.Errorf("sentinel %d has no text", i)
		}
		for j, b := range all {
			if i != j && (errors.Is(a, b) || a.Error() == b.Error()) {
				t.Errorf("%v and %v are not distinct", a, b)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := map[string]string{
		"":                    "",
		"plain":               "plain",
		"  lead and trail  ":  "lead and trail",
		"a\nb\r\nc\td   e":    "a b c d e",
		"line1\n\n\nline2\n":  "line1 line2",
		"nbsp\u00a0and\u0085": "nbsp and",
	}
	for in, want := range cases {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// A refresh that ran out of time says so in words and keeps the deadline as its cause, so a
// caller can tell a timeout from a refusal with errors.Is (Failf once turned the cause into text).
func TestRefreshDeadlineIsTheCause(t *testing.T) {
	hold := make(chan struct{})
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, _ oauthtest.Request) { <-hold })
	defer close(hold)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, 10*time.Second, tokOldRefresh))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f.svc.Token(ctx, f.app.ProviderName, DefaultMinValid)
	if !errors.Is(err, ErrTransient) {
		t.Fatalf("error %v is not ErrTransient", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%q, context.DeadlineExceeded) is false", err)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

// A ProviderError built anywhere, even from raw words, prints none of them; apps.json's
// last error is cleaned the same way (see e2e TestProviderTextCannotDriveTheTerminal).
func TestProviderErrorPrintsNoControlCharacter(t *testing.T) {
	pe := &ProviderError{App: "P", Step: "refresh", Code: "invalid_grant\x1b[2J", Description: "gone\x1b]0;pwned\x07 for\ngood"}
	msg := pe.Error()
	if strings.ContainsFunc(msg, app.IsControlRune) || !strings.Contains(msg, "gone]0;pwned for good") {
		t.Fatalf("ProviderError: %q", msg)
	}
}
