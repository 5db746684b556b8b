package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/fail"
)

func TestHookEnvTellsTheEventAndDropsSecretsAndOldValues(t *testing.T) {
	base := []string{"PATH=/bin", "CONNECTEDAPPS_PASSPHRASE=hunter2", "ACCESS_TOKEN=at-secret", "CONNECTEDAPPS_EVENT=stale", "HOME=/root"}
	base = append(base, "CONNECTEDAPPS_ACCOUNT=stale@example.com")
	got := hookEnv(base, "Mail", "ann@example.com", EventRefreshed, "2026-12-03T20:00:00Z")
	want := []string{"PATH=/bin", "HOME=/root", "CONNECTEDAPPS_APP=Mail", "CONNECTEDAPPS_EVENT=refreshed", "CONNECTEDAPPS_EXPIRES_AT=2026-12-03T20:00:00Z", "CONNECTEDAPPS_ACCOUNT=ann@example.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("hookEnv = %q, want %q", got, want)
	}
}

// A hook that fails (missing, non-zero, hung) is logged in one line naming the app, the event
// and the command's first word, and fire returns at once whatever the command does.
func TestFireNeverWaitsAndLogsAFailureInOneLine(t *testing.T) {
	dir := t.TempDir()
	hang := filepath.Join(dir, "hang.sh")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nexec sleep 60\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd, want string
	}{
		{"/nonexistent/notifier --flag", "Mail: the refreshed event's command /nonexistent/notifier was not found; the tokens are unaffected"},
		{"no-such-notifier-anywhere x", "Mail: the refreshed event's command no-such-notifier-anywhere was not found; the tokens are unaffected"},
		{"sh -c 'exit 3'", "Mail: the refreshed event's command sh failed: exit status 3; the tokens are unaffected"},
		{hang + " arg", "Mail: the refreshed event's command " + hang + " ran past 300ms and was killed; the tokens are unaffected"},
	} {
		var logs bytes.Buffer
		s := &Service{Log: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)), hookTimeout: 300 * time.Millisecond}
		a := NewApp("Mail")
		a.OnEvent = c.cmd
		s.fire(&a, "", EventRefreshed, nil)
		s.WaitHooks()
		out := logs.String()
		if strings.Count(out, "\n") != 1 || !strings.Contains(out, c.want) {
			t.Errorf("%s: log %q, want one line with %q", c.cmd, out, c.want)
		}
	}
}

// hookLog sets app's on_event command to one that appends "EVENT ACCOUNT EXPIRES" to a file
// and returns a reader of its lines (call after WaitHooks).
func hookLog(t *testing.T, f *fixture, appID string) func() []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events")
	cmd := `sh -c 'echo "$CONNECTEDAPPS_EVENT $CONNECTEDAPPS_ACCOUNT $CONNECTEDAPPS_EXPIRES_AT" >> ` + path + `'`
	if err := f.svc.Registry.UpdateApp(appID, func(a *App) error { a.OnEvent = cmd; return nil }); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		raw, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	}
}

// An access token that has run out with no refresh token to renew it: the first token call
// records the account as needing a new sign-in and fires needs_reauth; every later call, at
// once from several goroutines or one after another, says so from the record and fires
// nothing, and the provider is never asked. A token only near its expiry records nothing.
func TestTokenThatRanOutWithoutRefreshTokenFiresNeedsReauthOnce(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, 30*time.Second, ""))
	events := hookLog(t, f, f.app.ID)

	// Near its expiry (within DefaultMinValid) but still valid: refused, nothing recorded.
	if _, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid); !errors.Is(err, ErrNeedsReauth) {
		t.Fatalf("Token near expiry = %v; want ErrNeedsReauth", err)
	}
	f.svc.WaitHooks()
	if c := f.connection(t); c.State != StateConnected || events() != nil {
		t.Fatalf("a token not yet run out was recorded %s, hooks %q; want connected and no event", c.State, events())
	}

	f.clock.Advance(time.Minute) // now it has run out
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, ErrNeedsReauth) {
			t.Fatalf("Token after expiry = %v; want ErrNeedsReauth", err)
		}
	}
	f.svc.WaitHooks()
	c := f.connection(t)
	if c.State != StateNeedsReauth || !strings.Contains(c.LastError, "no refresh token") {
		t.Fatalf("connection = %s (%q); want needs_reauth saying there is no refresh token", c.State, c.LastError)
	}
	if got := events(); len(got) != 1 || got[0] != "needs_reauth user-1" {
		t.Fatalf("hooks fired %q; want needs_reauth once, for the account, with no expiry", got)
	}

	// Later calls stop at the record, with the reason and the remedy, and fire nothing.
	_, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
	if !errors.Is(err, ErrNeedsReauth) || !strings.Contains(err.Error(), "needs you to sign in again") || !strings.Contains(err.Error(), "no refresh token") ||
		len(fail.Remedies(err)) == 0 {
		t.Fatalf("the next Token = %v; want the recorded needs-sign-in with a remedy", err)
	}
	f.svc.WaitHooks()
	if got := events(); len(got) != 1 {
		t.Fatalf("hooks fired %q after another call; want still one", got)
	}
	if n := len(te.Requests("/token")); n != 0 {
		t.Errorf("the token endpoint was asked %d times; with no refresh token there is nothing to ask", n)
	}
}
