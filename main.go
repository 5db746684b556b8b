// Connected Apps: register an OAuth 2.0 / OpenID Connect client once, sign in in the browser,
// and hand valid tokens to the programs on this computer. Without arguments it opens the
// window; with a command it runs the command line.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"connectedapps/internal/quietlog" // first: keeps Fyne's start-up logging off the CLI's stderr

	"fyne.io/fyne/v2/app"

	"connectedapps/cli"
	"connectedapps/core"
	"connectedapps/core/agent"
	"connectedapps/core/secret"
	"connectedapps/gui"
	"connectedapps/internal/desktop"
)

const appID = "io.connectedapps.desktop"

func main() {
	// First of all: the vault passphrase leaves the environment, so that no program started
	// later (exec's command, the browser, whatever Fyne or a library starts) inherits it.
	secretEnv := desktop.TakeSecretEnv()
	args := os.Args[1:]
	if len(args) > 0 && args[0] != "gui" {
		getenv := func(name string) string {
			if v, ok := secretEnv[name]; ok {
				return v
			}
			return os.Getenv(name)
		}
		os.Exit(cli.Run(args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: getenv}))
	}
	os.Exit(runWindow(secretEnv[desktop.PassphraseEnv]))
}

// runWindow opens the window; envPassphrase is what CONNECTEDAPPS_PASSPHRASE held.
func runWindow(envPassphrase string) int {
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(os.Stderr, "connectedapps: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): use the command line instead, see `connectedapps help`")
		return cli.ExitFailure
	}
	quietlog.Restore()
	desktop.LeaveOwnConsole() // Windows: the console opened for a window started from Explorer
	// Warnings only, on the window's stderr (the session's journal when started from a menu):
	// an on-event hook's failure and what the refresher could not record are said there.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := core.NewService(core.Config{Browser: desktop.SystemBrowser{}, Log: logger})
	if err == nil {
		for _, n := range svc.Notices { // the window's stderr, as the command line says them
			fmt.Fprintln(os.Stderr, "connectedapps: "+n)
		}
		// The store chosen in settings.json. A vault's passphrase comes from the environment
		// or, without it, from the window's dialog (gui.Run asks before any secret is read).
		var passphrase func() (string, error)
		if p := envPassphrase; p != "" {
			vault := secret.OpenVault(svc.Registry.Dir())
			passphrase = func() (string, error) {
				if !vault.Exists() { // it becomes a new vault's passphrase
					if err := secret.CheckNewVaultPassphrase(p, desktop.PassphraseEnv, "set a longer one in it"); err != nil {
						return "", err
					}
				}
				return p, nil
			}
		}
		// Behind a switch: Settings can move the secrets to the vault and back while the
		// window runs, and every call goes to the store chosen then.
		var chosen secret.Store
		if chosen, err = core.OpenChosenStore(svc.Registry.Dir(), svc.Secrets, passphrase); err == nil {
			svc.Secrets = core.NewStoreSwitch(svc.Secrets, chosen)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "connectedapps: "+err.Error())
		return cli.ExitFailure
	}
	// One window per registry: a second launch brings the first to the front and leaves.
	inst, err := desktop.ClaimWindow(svc.Registry.Dir())
	switch {
	case errors.Is(err, desktop.ErrAlreadyRunning):
		fmt.Println("Connected Apps is already open: its window was brought to the front.")
		return cli.ExitOK
	case err != nil: // not fatal: a second window is safe (the registry is locked), merely untidy
		fmt.Fprintln(os.Stderr, "connectedapps: "+err.Error())
	default:
		defer inst.Close()
	}
	a := app.NewWithID(appID)
	if os.Getenv("BROWSER") == "" {
		svc.Browser = a // fyne.App opens URLs with the desktop's handler; else SystemBrowser honours $BROWSER
	}
	if inst != nil {
		go inst.Serve(func() { gui.Raise(a) })
	}
	// While the window runs it is the agent: token, exec and git-credential ask it first.
	if stop := serveAgent(svc); stop != nil {
		defer stop()
	}
	gui.Run(a, svc)
	return cli.ExitOK
}

// serveAgent makes the window the agent for its registry, beside its background refresher
// (which gui.Run starts): the command line's token, exec and git-credential are answered from
// the window's memory and its unlocked vault. None is started without XDG_RUNTIME_DIR, nor
// when `connectedapps agent` serves already (both answer through the same locks, so either
// one will do). It returns what ends it, or nil.
func serveAgent(svc *core.Service) (stop func()) {
	sw, _ := svc.Secrets.(*core.StoreSwitch)
	srv, err := agent.Listen(svc, agent.Options{Who: "the window",
		Log: func(line string) { fmt.Fprintln(os.Stderr, "connectedapps: "+line) },
		InUse: func() string { // Settings moves the secrets while the window runs
			if sw != nil {
				if _, ok := sw.InUse().(*secret.VaultStore); ok {
					return core.StoreVault
				}
			}
			return core.StoreSystem
		}})
	switch {
	case errors.Is(err, agent.ErrNoRuntimeDir), errors.Is(err, agent.ErrAlreadyServed):
		return nil
	case err != nil:
		fmt.Fprintln(os.Stderr, "connectedapps: "+err.Error()+" (the command line works without the window's help)")
		return nil
	}
	go func() {
		if err := srv.Serve(); err != nil {
			fmt.Fprintln(os.Stderr, "connectedapps: "+err.Error())
		}
	}()
	return func() { srv.Close() }
}
