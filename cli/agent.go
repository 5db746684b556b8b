package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"connectedapps/core"
	"connectedapps/core/agent"
	"connectedapps/core/secret"
)

func init() {
	helpTopics["agent"] = `connectedapps agent [--status]
Keep the tokens in memory and answer token, exec and git-credential from there, in the
foreground until Ctrl+C or SIGTERM: what the window does while it runs, for SSH sessions and
servers. A cached token then costs no keyring round trip, and the encrypted vault is unlocked
once (its passphrase from $` + PassphraseEnv + `, else typed now) instead of on every call.
The agent refreshes through the same lock as every other process and renews tokens ahead of
expiry in the background. Without an agent, or when it does not answer within ` + agent.FirstByteWait.String() + `, the
command line does the work itself; ` + agent.DisableEnv + `=off never asks it.
The socket is $XDG_RUNTIME_DIR/connectedapps/agent-*.sock (folder 0700, socket 0600); only your
own user may connect, anyone else is refused and logged. Without XDG_RUNTIME_DIR there is no agent.
At login: systemctl --user enable --now connectedapps-agent (the unit is in the README).
  --status   say whether an agent (or the window) serves this registry, and what it holds;
             exit 0 when one does, 1 when none does
`
}

// agentConn is the command's connection to the agent, made on first use; a failed dial is
// remembered, so a dead agent costs one short wait per command, not one per question.
type agentConn struct {
	client *agent.Client
	tried  bool
}

// askAgent is the agent for this command, or nil (none, or it did not answer).
func (c *cmdCtx) askAgent() *agent.Client {
	if !c.agent.tried {
		c.agent.tried = true
		cl, err := agent.Dial(c.svc.Registry.Dir())
		if err != nil {
			c.svc.Log.Debug("not using the agent", "reason", err.Error())
			return nil
		}
		c.agent.client = cl
	}
	return c.agent.client
}

// agentFailed drops the agent for the rest of this command when it gave no usable answer,
// and says whether err was that (the caller then does the work itself).
func (c *cmdCtx) agentFailed(err error) bool {
	if !errors.Is(err, agent.ErrUnavailable) {
		return false
	}
	c.svc.Log.Debug("the agent did not answer; doing the work here", "reason", err.Error())
	c.agent.client.Close()
	c.agent.client = nil
	return true
}

// tokenOf is Service.TokenFor (account "" the default), asked of the agent first.
func (c *cmdCtx) tokenOf(name, account string, minValid time.Duration) (*core.TokenSet, error) {
	if cl := c.askAgent(); cl != nil {
		_, ts, err := cl.TokenFor(c.ctx, name, account, minValid)
		if !c.agentFailed(err) {
			return ts, err
		}
	}
	return c.svc.TokenFor(c.ctx, name, account, minValid)
}

// appOf is Service.Get, asked of the agent first (it holds apps.json parsed).
func (c *cmdCtx) appOf(name string) (core.App, error) {
	if cl := c.askAgent(); cl != nil {
		app, err := cl.App(c.ctx, name)
		if !c.agentFailed(err) {
			return app, err
		}
	}
	return c.svc.Get(name)
}

func (c *cmdCtx) agentCmd(args []string) error {
	fs := newFlags("agent")
	status := fs.Bool("status", false, "say whether an agent serves this registry")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("agent takes no arguments: connectedapps agent [--status]")
	}
	dir := c.svc.Registry.Dir()
	if *status {
		return c.agentStatus(dir)
	}
	if _, _, err := agent.Paths(dir); err != nil {
		return fmt.Errorf("no agent can run here (%v): the command line works without one", err)
	}
	// The vault is opened now, once: a question asked later would have no terminal to ask at.
	if v, ok := c.svc.Secrets.(*secret.VaultStore); ok && !v.Unlocked() {
		p, err := c.passphrase(!v.Exists())
		if err != nil {
			return err
		}
		if err := v.Unlock(p); err != nil {
			return err
		}
	}
	say := func(line string) { fmt.Fprintln(c.env.Stderr, "connectedapps: "+line) }
	srv, err := agent.Listen(c.svc, agent.Options{Who: "connectedapps agent", Log: say})
	if errors.Is(err, agent.ErrAlreadyServed) {
		return fmt.Errorf("%w: see `connectedapps agent --status`", err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, stop := signal.NotifyContext(c.ctx, syscall.SIGTERM)
	defer stop()
	// The same service as the window's, without the window: tokens renewed ahead of expiry.
	refresher := &core.Refresher{Source: c.svc, Now: c.svc.Now, Log: c.svc.Log, OnEvent: func(ev core.RefreshEvent) {
		switch ev.Outcome {
		case core.RefreshNeedsReauth, core.RefreshClientRejected:
			say("agent: " + ev.Err.Error())
		case core.RefreshTokenEnding:
			say("agent: " + ev.App.ProviderName + "'s refresh token: " + healthLine(ev.Health, c.svc.Now()))
		}
	}}
	go refresher.Run(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	say(fmt.Sprintf("agent: serving %s on %s (pid %d); Ctrl+C ends it", dir, srv.Socket(), os.Getpid()))
	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		return err
	}
}

func (c *cmdCtx) agentStatus(dir string) error {
	cl, err := agent.Dial(dir)
	if err != nil {
		return core.Failf(core.ErrNotFound, "no agent serves %s (%v): start one with `connectedapps agent`, or open the window; the command line works without it", dir, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return core.Failf(core.ErrNotFound, "the agent for %s did not answer (%v): end it and start it again", dir, err)
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "served by: %s (pid %d) since %s\n", st.Who, st.PID, st.Since.Format(time.RFC3339))
	fmt.Fprintf(w, "registry:  %s\n", st.Registry)
	fmt.Fprintf(w, "socket:    %s\n", st.Socket)
	fmt.Fprintf(w, "secrets:   %s\n", st.Store)
	fmt.Fprintf(w, "answers:   %d; apps held in memory: %d; connections from other users refused: %d\n", st.Served, st.Cached, st.Refused)
	return nil
}
