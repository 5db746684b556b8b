package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/desktop"
)

// PassphraseEnv gives the vault's passphrase to a script or a session without a terminal. It
// is read once and removed from the environment (desktop.TakeSecretEnv).
const PassphraseEnv = desktop.PassphraseEnv

func init() {
	helpTopics["keyring"] = `connectedapps keyring status | use-vault | use-system
Where the client secrets and tokens are kept.
  status        which store is in use and whether it works (exit 0 when it does, 1 when it does not)
  use-vault     keep them in an encrypted file, vault.json beside apps.json, for machines without a
                keyring (SSH sessions, minimal Linux, containers). The secrets move there from the
                system keyring when it can be reached; otherwise the vault starts empty.
  use-system    move them back into the system keyring and delete the vault
The vault's passphrase comes from $` + PassphraseEnv + `, else it is asked at the terminal (the window
asks in a dialog). AES-256-GCM with an argon2id key; a wrong passphrase changes nothing.
`
}

// systemStore is the OS keyring for this process: CONNECTEDAPPS_KEYRING_TIMEOUT and
// CONNECTEDAPPS_KEYRING_CHUNK_LIMIT exist so tests can shorten the timeout and force the
// chunking used on platforms with small keyring entries.
func (c *cmdCtx) systemStore() (secret.Store, error) {
	timeout := secret.DefaultKeyringTimeout
	if v := c.env.Getenv("CONNECTEDAPPS_KEYRING_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, usagef("CONNECTEDAPPS_KEYRING_TIMEOUT=%q is not a duration", v)
		}
		timeout = d
	}
	limit := secret.PlatformSecretLimit()
	if v := c.env.Getenv("CONNECTEDAPPS_KEYRING_CHUNK_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, usagef("CONNECTEDAPPS_KEYRING_CHUNK_LIMIT=%q is not a byte count", v)
		}
		limit = n
	}
	return secret.NewChunkedStore(&secret.KeyringStore{Timeout: timeout}, limit), nil
}

// useChosenStore puts the store chosen in settings.json into svc: the one it was built with
// (the system keyring, or whatever a test injected), or the vault. The vault asks for its
// passphrase only when a command first needs a secret, so `list` never asks.
func (c *cmdCtx) useChosenStore(svc *core.Service) error {
	c.system = svc.Secrets
	vault := secret.OpenVault(svc.Registry.Dir())
	store, err := core.OpenChosenStore(svc.Registry.Dir(), svc.Secrets, func() (string, error) {
		// Asked when a secret is first needed: without vault.json yet, what is given now
		// becomes a new vault's passphrase and meets the rule for one.
		return c.passphrase(!vault.Exists())
	})
	if err != nil {
		return err
	}
	svc.Secrets = store
	return nil
}

// passphrase is $CONNECTEDAPPS_PASSPHRASE, else typed at the terminal without echo (twice for
// a new vault, so a typo cannot lock the person out).
func (c *cmdCtx) passphrase(newVault bool) (string, error) {
	if p := c.env.Getenv(PassphraseEnv); p != "" {
		if newVault {
			if err := secret.CheckNewVaultPassphrase(p, PassphraseEnv, "set a longer one in it"); err != nil {
				return "", &usageError{err.Error()}
			}
		}
		return p, nil
	}
	in, out, done, ok := c.terminal()
	if !ok {
		return "", core.Failf(core.ErrVaultLocked, "the secrets are kept in the encrypted vault, which needs its passphrase: set %s, or run this at a terminal to type it", PassphraseEnv)
	}
	defer done()
	ask := func(prompt string) (string, error) {
		fmt.Fprint(out, prompt)
		data, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", fmt.Errorf("cannot read the vault passphrase from the terminal: %w", err)
		}
		return string(data), nil
	}
	if !newVault {
		p, err := ask("Vault passphrase (typing is hidden): ")
		if err == nil && p == "" {
			err = usagef("no vault passphrase was typed")
		}
		return p, err
	}
	p, err := ask("New vault passphrase (typing is hidden): ")
	if err != nil {
		return "", err
	}
	if err := secret.CheckNewVaultPassphrase(p, "the typed passphrase", "run the command again and type a longer one"); err != nil {
		return "", &usageError{err.Error()}
	}
	again, err := ask("The same passphrase again: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", usagef("the two passphrases differ; nothing was changed: run `connectedapps keyring use-vault` again")
	}
	return p, nil
}

// terminal is where to ask: the controlling terminal (so the prompt works while stdin and
// stdout are pipes, and never mixes with a token on stdout), else stdin if it is one. Commands
// run in-process by tests (stdin not a file) never reach for a terminal.
func (c *cmdCtx) terminal() (in *os.File, out io.Writer, done func(), ok bool) {
	stdin, isFile := c.env.Stdin.(*os.File)
	if !isFile {
		return nil, nil, nil, false
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		if term.IsTerminal(int(tty.Fd())) {
			return tty, tty, func() { tty.Close() }, true
		}
		tty.Close()
	}
	if term.IsTerminal(int(stdin.Fd())) {
		return stdin, c.env.Stderr, func() {}, true
	}
	return nil, nil, nil, false
}

func (c *cmdCtx) keyring(args []string) error {
	if len(args) != 1 {
		return usagef("keyring needs one of: status, use-vault, use-system (see `connectedapps help keyring`)")
	}
	switch args[0] {
	case "status":
		return c.keyringStatus()
	case "use-vault":
		return c.useVault()
	case "use-system":
		return c.useSystem()
	case "-h", "--help", "help":
		c.help("keyring")
		return nil
	}
	return usagef("keyring %s: unknown; use status, use-vault or use-system (see `connectedapps help keyring`)", args[0])
}

func (c *cmdCtx) keyringStatus() error {
	w := c.env.Stdout
	choice := core.StoreSystem
	if _, ok := c.svc.Secrets.(*secret.VaultStore); ok {
		choice = core.StoreVault
	}
	st := c.svc.ProbeSecrets()
	fmt.Fprintf(w, "Secret store: %s\n", choice)
	fmt.Fprintf(w, "Where: %s\n", st.Store)
	fmt.Fprintf(w, "Chosen in: %s\n", core.SettingsPath(c.svc.Registry.Dir()))
	if st.State != core.SecretsOK {
		fmt.Fprintf(w, "Works: no (%s)\n", st.State)
		return errors.New(st.Message)
	}
	works := "yes"
	if v, ok := c.svc.Secrets.(*secret.VaultStore); ok {
		if !v.Exists() {
			works += " (empty: the file is written with the first secret)"
		} else if keys, err := v.Keys(); err == nil {
			works += fmt.Sprintf(" (unlocked; it holds %s)", secretsCount(len(keys)))
		}
	}
	fmt.Fprintf(w, "Works: %s\n", works)
	return nil
}

func (c *cmdCtx) useVault() error {
	w := c.env.Stdout
	if v, ok := c.svc.Secrets.(*secret.VaultStore); ok {
		fmt.Fprintf(w, "The encrypted vault %s is already in use.\n", v.Path())
		return nil
	}
	vault := secret.OpenVault(c.svc.Registry.Dir())
	pass, err := c.passphrase(!vault.Exists())
	if err != nil {
		return err
	}
	if err := vault.Unlock(pass); err != nil {
		return fmt.Errorf("%w; the system keyring stays in use", err)
	}
	res, err := c.svc.UseVault(c.ctx, c.system, vault)
	if err != nil {
		return err
	}
	if res.Already { // another process switched meanwhile
		fmt.Fprintf(w, "The encrypted vault %s is already in use.\n", vault.Path())
		return nil
	}
	if res.SystemUnreachable != nil {
		fmt.Fprintf(w, "Nothing was moved, so the vault starts empty: the system keyring could not be read (%s).\n", strings.TrimSuffix(res.SystemUnreachable.Error(), "."))
		fmt.Fprintln(w, "Give each app its client secret again (`connectedapps edit NAME --client-secret-stdin`) and connect each app again.")
	} else {
		fmt.Fprintf(w, "Moved %s from the system keyring into the encrypted vault.\n", secretsCount(res.Moved))
	}
	if res.LeftBehind > 0 {
		fmt.Fprintf(w, "Note: %s could not be deleted from the system keyring; remove them there with your keyring app (service %q).\n", secretsCount(res.LeftBehind), secret.KeyringService)
	}
	fmt.Fprintf(w, "Secrets are now kept in %s.\n", vault.Path())
	fmt.Fprintf(w, "Every command that needs a secret asks for the passphrase, or reads it from $%s.\n", PassphraseEnv)
	return nil
}

func (c *cmdCtx) useSystem() error {
	w := c.env.Stdout
	vault, ok := c.svc.Secrets.(*secret.VaultStore)
	if !ok {
		fmt.Fprintln(w, "The system keyring is already in use.")
		return nil
	}
	res, err := c.svc.UseSystem(c.ctx, c.system, vault)
	if err != nil {
		return err
	}
	if res.Already {
		fmt.Fprintln(w, "The system keyring is already in use.")
		return nil
	}
	fmt.Fprintf(w, "Moved %s from the encrypted vault into the system keyring.\n", secretsCount(res.Moved))
	if res.LeftBehind > 0 {
		fmt.Fprintf(w, "Note: the vault %s could not be deleted; delete it yourself (its secrets are all in the keyring now).\n", vault.Path())
	} else {
		fmt.Fprintf(w, "The vault %s was deleted.\n", vault.Path())
	}
	return nil
}

func secretsCount(n int) string {
	if n == 1 {
		return "1 secret"
	}
	return strconv.Itoa(n) + " secrets"
}
