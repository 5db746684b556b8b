package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"connectedapps/internal/desktop"
)

// Event is what happened to an app's tokens, as its on_event command is told it.
type Event string

const (
	EventConnected    Event = "connected"
	EventRefreshed    Event = "refreshed"
	EventNeedsReauth  Event = "needs_reauth"
	EventDisconnected Event = "disconnected"
)

// The variables an on_event command is told; never a token.
const (
	HookEnvApp       = "CONNECTEDAPPS_APP"
	HookEnvEvent     = "CONNECTEDAPPS_EVENT"
	HookEnvExpiresAt = "CONNECTEDAPPS_EXPIRES_AT"
	HookEnvAccount   = "CONNECTEDAPPS_ACCOUNT" // the account's email, else its subject; "" for a client's own
)

// HookTimeout is how long an on_event command may run before it is killed: a hung notifier
// must not pile up a process per refresh.
const HookTimeout = 30 * time.Second

// fire runs app's on_event command for ev, detached: the caller (a refresh, a connect, a
// token call) never waits for it and never sees its failure, which is logged in one line
// naming the app, the event and the command's first word. It is called from the one place
// each event happens in Service, so the process that did the work is the one that fires.
func (s *Service) fire(app *App, account string, ev Event, expiry *time.Time) {
	if strings.TrimSpace(app.OnEvent) == "" {
		return
	}
	argv, err := SplitCommand(app.OnEvent)
	if err != nil || len(argv) == 0 {
		// Validate refuses such a document; one edited by hand is reported, not run.
		s.Log.Warn(fmt.Sprintf("%s: the %s event's command was not run: it %v; fix the app's event command", app.ProviderName, ev, err))
		return
	}
	expires := ""
	if expiry != nil && !expiry.IsZero() {
		expires = expiry.UTC().Format(time.RFC3339)
	}
	env := hookEnv(os.Environ(), app.ProviderName, account, ev, expires)
	name := app.ProviderName
	timeout := s.hookTimeout
	if timeout == 0 {
		timeout = HookTimeout
	}
	s.hooks.Add(1)
	go func() {
		defer s.hooks.Done()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		// A child of the command that keeps its pipes would otherwise hold Wait after the kill.
		cmd.WaitDelay = time.Second
		// Killed past the timeout, the command takes its children with it (sh -c '… &').
		desktop.KillGroupOnCancel(cmd)
		err := cmd.Run()
		switch {
		case err == nil:
			return
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("ran past %s and was killed", timeout)
		case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
			err = errors.New("was not found")
		default:
			err = fmt.Errorf("failed: %v", err)
		}
		s.Log.Warn(fmt.Sprintf("%s: the %s event's command %s %v; the tokens are unaffected", name, ev, argv[0], err))
	}()
}

// WaitHooks waits for the on_event commands this Service started (each ends within
// HookTimeout): a command-line process calls it before it exits, its output already given,
// so a failing command is still logged.
func (s *Service) WaitHooks() { s.hooks.Wait() }

// hookEnv is the on_event command's environment: ours without any secret (as exec's command
// and the browser get it), the token variable exec sets dropped too, and the event's facts.
func hookEnv(base []string, app, account string, ev Event, expires string) []string {
	drop := []string{"ACCESS_TOKEN=", HookEnvApp + "=", HookEnvEvent + "=", HookEnvExpiresAt + "=", HookEnvAccount + "="}
	var env []string
	for _, kv := range desktop.WithoutSecretEnv(base) {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(kv, d) {
				keep = false
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	return append(env, HookEnvApp+"="+app, HookEnvEvent+"="+string(ev), HookEnvExpiresAt+"="+expires, HookEnvAccount+"="+account)
}
