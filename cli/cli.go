// Package cli is the command-line front end over core: one function per command, each
// printing results on stdout and at most one line of error on stderr.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/desktop"
)

// Exit codes; scripts rely on them.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitUsage     = 2
	ExitReauth    = 3 // sign in again, or fix the client
	ExitTransient = 4 // try again later
)

// Env is the process around a command, injected so tests run commands in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Environ is the environment a command run by exec inherits (less any variable holding a
	// secret, such as the vault passphrase, whatever it holds); nil means os.Environ.
	Environ func() []string
	// NewService builds the core service; nil means the production one (OS keyring).
	NewService func(core.Config) (*core.Service, error)
}

type command struct {
	name    string
	summary string
	run     func(c *cmdCtx, args []string) error
}

// cmdCtx is what every command gets.
type cmdCtx struct {
	env     Env
	verbose bool
	svc     *core.Service
	ctx     context.Context
	system  secret.Store // the OS keyring, even while the vault is in use (keyring.go)
	agent   agentConn    // the agent asked for tokens, if one runs (agent.go)
}

var commands []command

func init() {
	commands = []command{
		{"add", "register an app", (*cmdCtx).add},
		{"edit", "change an app", (*cmdCtx).edit},
		{"list", "list apps and their connection state", (*cmdCtx).list},
		{"show", "show an app's document (never its secrets)", (*cmdCtx).show},
		{"register", "register a client at the provider for a saved app (RFC 7591), in place of the one it has", (*cmdCtx).registerSaved},
		{"remove", "revoke, then delete an app and its secrets", (*cmdCtx).remove},
		{"discover", "print a provider's discovered endpoints", (*cmdCtx).discover},
		{"connect", "sign in in the browser and keep the tokens", (*cmdCtx).connect},
		{"accounts", "list an app's accounts; --default picks the one used when none is named", (*cmdCtx).accounts},
		{"token", "print a valid access token (refreshing first if needed)", (*cmdCtx).token},
		{"refresh", "refresh the tokens now", (*cmdCtx).refresh},
		{"userinfo", "print the userinfo answer", (*cmdCtx).userinfo},
		{"introspect", "print the introspection answer for the access token", (*cmdCtx).introspect},
		{"inspect", "show what the tokens are: JWT claims, signature, scopes, refresh token (never a token)", (*cmdCtx).inspect},
		{"disconnect", "revoke at the provider and forget the tokens", (*cmdCtx).disconnect},
		{"presets", "list the provider presets add --preset can start from", (*cmdCtx).presets},
		{"import", "register apps from a Google client file or a Frappe Connected App export", (*cmdCtx).importApps},
		{"export", "print apps as Frappe Connected App JSON (never secrets)", (*cmdCtx).exportApps},
		{"exec", "run a command with a fresh $ACCESS_TOKEN", (*cmdCtx).execCmd},
		{"git-credential", "git credential helper handing out the access token", (*cmdCtx).gitCredential},
		{"keyring", "where secrets are kept: status, use-vault, use-system", (*cmdCtx).keyring},
		{"agent", "keep tokens in memory for the command line (foreground); --status shows it", (*cmdCtx).agentCmd},
	}
}

// Run runs one command line (without the program name) and returns the exit code.
func Run(args []string, env Env) int {
	if env.Getenv == nil {
		// Not from main (which took them already): the variables holding a secret still leave
		// the environment before anything can start a program that would inherit them.
		taken := desktop.TakeSecretEnv()
		env.Getenv = func(name string) string {
			if v, ok := taken[name]; ok {
				return v
			}
			return os.Getenv(name)
		}
	}
	if env.NewService == nil {
		env.NewService = core.NewService
	}
	if env.Environ == nil {
		env.Environ = os.Environ
	}
	c := &cmdCtx{env: env}
	args = c.takeGlobalFlags(args)
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		topic := ""
		if len(args) > 1 {
			topic = args[1]
		}
		return c.help(topic)
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(env.Stdout, "connectedapps", Version)
		return ExitOK
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		return c.fail(usagef("unknown command %q: see `connectedapps help`", args[0]))
	}
	// "COMMAND [SUBCOMMAND] --help" is answered here, for every command alike and before any
	// store is opened (a locked vault must not stand between a person and the help).
	if asksForHelp(args[1:]) {
		return c.help(cmd.name)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c.ctx = ctx
	svc, err := c.newService()
	if err != nil {
		return c.fail(err)
	}
	c.svc = svc
	err = cmd.run(c, args[1:])
	if c.agent.client != nil {
		c.agent.client.Close()
	}
	if errors.Is(err, flag.ErrHelp) {
		return c.help(cmd.name)
	}
	code := c.fail(err)
	// An on_event command this process started is waited for (at most core.HookTimeout) so
	// its failure is logged; the answer is given already, and stdout is closed first so a
	// script reading it ($(connectedapps token X)) goes on at once.
	if f, ok := c.env.Stdout.(*os.File); ok && f == os.Stdout {
		_ = f.Close()
	}
	svc.WaitHooks()
	return code
}

// asksForHelp reports a -h or --help among a command's own arguments; whatever follows "--"
// belongs to another program (exec's command) and is not looked at.
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help", "-help":
			return true
		}
	}
	return false
}

// Version is set at build time with -ldflags "-X connectedapps/cli.Version=...".
var Version = "0.1.0"

func (c *cmdCtx) takeGlobalFlags(args []string) []string {
	out := args[:0:0]
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--verbose" || a == "-v" {
			c.verbose = true
			continue
		}
		out = append(out, a)
	}
	return out
}

// newService wires core for a command: --verbose logs requests (redacted) to stderr; the
// secret store is the OS keyring, or the encrypted vault when settings.json chooses it.
func (c *cmdCtx) newService() (*core.Service, error) {
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(c.env.Stderr, &slog.HandlerOptions{Level: level}))
	var transport http.RoundTripper // nil: http.DefaultTransport
	if c.verbose {
		transport = &core.LoggingTransport{Log: logger}
	}
	hc := core.NewHTTPClient(transport)
	system, err := c.systemStore()
	if err != nil {
		return nil, err
	}
	svc, err := c.env.NewService(core.Config{
		Secrets: system,
		HTTP:    hc,
		Browser: desktop.SystemBrowser{},
		Log:     logger,
	})
	if err != nil {
		return nil, err
	}
	for _, n := range svc.Notices { // said once: what they report is fixed now
		fmt.Fprintln(c.env.Stderr, "connectedapps: "+n)
	}
	return svc, c.useChosenStore(svc)
}

// fail prints err as one line and maps it to an exit code.
func (c *cmdCtx) fail(err error) int {
	if err == nil {
		return ExitOK
	}
	if code, ok := exitCodeOf(err); ok && err.Error() == "" {
		return code // a command run by exec ended so; it has said why itself
	}
	fmt.Fprintln(c.env.Stderr, "connectedapps: "+describe(err))
	return ExitCode(err)
}

// ExitCode maps core's sentinel errors to the documented exit codes.
func ExitCode(err error) int {
	if code, ok := exitCodeOf(err); ok {
		return code
	}
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, core.ErrNeedsReauth), errors.Is(err, core.ErrClientRejected), errors.Is(err, core.ErrNotConnected):
		return ExitReauth
	case errors.Is(err, core.ErrTransient), errors.Is(err, core.ErrBusy):
		return ExitTransient
	}
	return ExitFailure
}

func (c *cmdCtx) help(topic string) int {
	w := c.env.Stdout
	if topic != "" {
		if text, ok := helpTopics[topic]; ok {
			fmt.Fprint(w, text)
			return ExitOK
		}
		return c.fail(usagef("no help for %q: see `connectedapps help`", topic))
	}
	fmt.Fprint(w, `Connected Apps: OAuth 2.0 / OpenID Connect tokens for the programs on this computer.

Usage:
  connectedapps                 open the window (same as "connectedapps gui")
  connectedapps COMMAND [flags] run a command

Commands:
`)
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-15s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `
Global flags: --verbose (log requests to stderr, secrets redacted)
Exit codes: 0 ok, 1 failure, 2 usage error, 3 sign in again or fix the client, 4 temporary failure (try again)
"connectedapps help COMMAND" shows a command's flags.
`)
	return ExitOK
}
