package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"connectedapps/core"
)

// registerFlags are add's flags of dynamic client registration (RFC 7591).
type registerFlags struct {
	asked, initialTokenStdin boolFlag
}

func (r *registerFlags) add(fs *flag.FlagSet) {
	fs.Var(&r.asked, "register", "register the client at the provider instead of giving its client ID")
	fs.Var(&r.initialTokenStdin, "initial-access-token-stdin", "read the provider's initial access token for registration from stdin")
}

// registers says whether add registers the client at the provider: asked with --register, or
// tried for a preset that says so when no client ID is given and the provider's discovery
// document names a registration endpoint. Discovery runs here when no --discovery did.
func (c *cmdCtx) registers(app *core.App, f *appFlags, r *registerFlags, preset *core.Preset) (bool, error) {
	if !bool(r.asked) {
		if bool(r.initialTokenStdin) {
			return false, usagef("--initial-access-token-stdin goes with --register")
		}
		if preset == nil || !preset.TryRegistration || f.clientID.set || bool(f.secretStdin) || app.ClientID != "" {
			return false, nil
		}
	}
	switch {
	case bool(r.asked) && f.clientID.set:
		return false, usagef("--register and --client-id contradict each other: the provider gives the client ID when it registers the client")
	case bool(r.asked) && bool(f.secretStdin):
		return false, usagef("--register and --client-secret-stdin contradict each other: the provider gives the client secret, if any, when it registers the client")
	case bool(r.asked) && app.OpenIDConfiguration == "" && app.RegistrationEndpoint == "":
		return false, usagef("--register needs --discovery URL: the provider's discovery document names where clients are registered")
	}
	if app.RegistrationEndpoint == "" && app.OpenIDConfiguration != "" && !f.endpoints[core.FieldOpenIDConfiguration].set {
		md, err := c.svc.Discover(c.ctx, app.OpenIDConfiguration, app.Issuer)
		if err != nil {
			if bool(r.asked) {
				return false, err
			}
			fmt.Fprintf(c.env.Stdout, "Note: the provider's discovery document could not be read to register a client (%s); give --client-id.\n", err)
			return false, nil
		}
		app.FillFromMetadata(md)
		if w := app.IssuerContradicted(md); w != nil {
			f.warnings = append(f.warnings, w)
		}
	}
	if !bool(r.asked) && !core.CanRegister(app) {
		return false, nil // the preset's provider offers no registration: the client ID is asked for as always
	}
	return true, nil
}

// addRegistered registers the client at the provider and adds the app.
func (c *cmdCtx) addRegistered(app core.App, r *registerFlags) (core.App, error) {
	token := ""
	if bool(r.initialTokenStdin) {
		t, err := c.readInitialToken()
		if err != nil {
			return core.App{}, err
		}
		token = t
	}
	return c.svc.AddRegistered(c.ctx, app, token)
}

// readInitialToken takes the initial access token from stdin, as readSecret takes a client
// secret: a hidden line at a terminal, otherwise all of stdin.
func (c *cmdCtx) readInitialToken() (string, error) {
	if f, ok := c.env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.env.Stdout, "Initial access token (typing is hidden): ")
		data, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.env.Stdout)
		if err != nil {
			return "", fmt.Errorf("cannot read the initial access token from the terminal: %w", err)
		}
		if t := strings.TrimSpace(string(data)); t != "" {
			return t, nil
		}
		return "", usagef("--initial-access-token-stdin: no token was typed")
	}
	data, err := io.ReadAll(io.LimitReader(c.env.Stdin, 64<<10))
	if err != nil {
		return "", fmt.Errorf("cannot read the initial access token from stdin: %w", err)
	}
	if t := strings.TrimSpace(string(data)); t != "" {
		return t, nil
	}
	return "", usagef("--initial-access-token-stdin: stdin was empty; pipe the token in, e.g. `printf %%s \"$TOKEN\" | connectedapps add ...`")
}

// describeRegistration says what the provider registered, in place of the redirect URI advice.
func (c *cmdCtx) describeRegistration(app *core.App) {
	w := c.env.Stdout
	r := app.Registration
	named := ""
	if r.ClientName != "" {
		named = fmt.Sprintf(" (%q)", r.ClientName)
	}
	fmt.Fprintf(w, "The provider registered client %s%s for it, with auth method %s; its secrets are in the keyring.\n", app.ClientID, named, app.TokenEndpointAuthMethod)
	if app.GrantType.NeedsBrowser() {
		fmt.Fprintf(w, "Redirect URI: %s (registered with the client)\n", app.RedirectURI())
	}
	if !core.DeletesRegistration(app) {
		fmt.Fprintln(w, "Note: the provider gave no registration_client_uri, so remove cannot delete the client there; delete it in the provider's console when it is no longer needed.")
	}
}

// reportRegistrationRemoved says what became of the client's registration at the provider.
func (c *cmdCtx) reportRegistrationRemoved(app *core.App, localOnly bool) {
	switch {
	case !core.DeletesRegistration(app):
	case localOnly:
		fmt.Fprintf(c.env.Stdout, "Note: client %s is still registered at the provider; delete it there if it is no longer needed.\n", app.ClientID)
	default:
		fmt.Fprintf(c.env.Stdout, "Deleted client %s's registration at the provider.\n", app.ClientID)
	}
}

// registerSaved is `register NAME`: a client registered at the provider for a saved app.
func (c *cmdCtx) registerSaved(args []string) error {
	fs := newFlags("register")
	var tokenStdin boolFlag
	fs.Var(&tokenStdin, "initial-access-token-stdin", "read the provider's initial access token for registration from stdin")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	token := ""
	if bool(tokenStdin) {
		if token, err = c.readInitialToken(); err != nil {
			return err
		}
	}
	res, err := c.svc.RegisterExisting(c.ctx, name, token)
	if res.App.ID == "" {
		return err
	}
	c.describeRegistration(&res.App)
	if len(res.Dropped) > 0 {
		fmt.Fprintf(c.env.Stdout, "The tokens of %s were for the old client, which the new one cannot use: they were deleted; run `connectedapps connect %s` to sign in again.\n",
			strings.Join(res.Dropped, ", "), res.App.ProviderName)
		if res.RevocationProblem != "" {
			fmt.Fprintf(c.env.Stdout, "Note: they could not all be revoked at the provider (%s); they stay valid there until they expire.\n", res.RevocationProblem)
		}
	} else if res.App.GrantType.SignsIn() {
		fmt.Fprintf(c.env.Stdout, "Run `connectedapps connect %s` to sign in.\n", res.App.ProviderName)
	}
	return err
}
