package core

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
