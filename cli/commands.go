package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"connectedapps/core"
)

// appFlags are the document flags shared by add and edit.
type appFlags struct {
	discovery, issuer, jwks, clientID                                       stringFlag
	authURL, tokenURL, revocationURL, userinfoURL, introspectionURL, devURL stringFlag
	redirectHost, authMethod, grant                                         stringFlag
	redirectPort                                                            intFlag
	scopes, params, gitHosts                                                listFlag
	secretStdin, noPKCE, pkce                                               bool
}

func (f *appFlags) register(fs *flag.FlagSet, withPKCEOn bool) {
	fs.Var(&f.discovery, "discovery", "issuer or .well-known/openid-configuration URL")
	fs.Var(&f.issuer, "issuer", "expected issuer")
	fs.Var(&f.jwks, "jwks-url", "JWKS URI")
	fs.Var(&f.clientID, "client-id", "client ID")
	fs.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from stdin")
	fs.Var(&f.scopes, "scope", "scope (repeatable; a space-separated value also splits)")
	fs.Var(&f.params, "param", "extra authorization parameter KEY=VALUE (repeatable)")
	fs.Var(&f.gitHosts, "git-host", "a host git-credential hands the token to (repeatable)")
	fs.Var(&f.authURL, "auth-url", "authorization URI")
	fs.Var(&f.tokenURL, "token-url", "token URI")
	fs.Var(&f.revocationURL, "revocation-url", "revocation URI")
	fs.Var(&f.userinfoURL, "userinfo-url", "userinfo URI")
	fs.Var(&f.introspectionURL, "introspection-url", "introspection URI")
	fs.Var(&f.devURL, "device-url", "device authorization URI")
	fs.Var(&f.redirectHost, "redirect-host", "127.0.0.1, localhost or [::1]")
	fs.Var(&f.redirectPort, "redirect-port", "redirect port (0: any free port)")
	fs.Var(&f.authMethod, "auth-method", "auto, client_secret_basic, client_secret_post or none")
	fs.Var(&f.grant, "grant", "authorization_code, device_code or client_credentials")
	fs.BoolVar(&f.noPKCE, "no-pkce", false, "turn PKCE off")
	if withPKCEOn {
		fs.BoolVar(&f.pkce, "pkce", false, "turn PKCE back on")
	}
}

// apply writes the flags that were given into app; discovery runs first so hand-given
// endpoints win over discovered ones.
func (c *cmdCtx) applyFlags(app *core.App, f *appFlags) error {
	if f.issuer.set {
		app.Issuer = f.issuer.value
	}
	if f.discovery.set {
		md, err := c.svc.Discover(c.ctx, f.discovery.value, f.issuer.value)
		if err != nil {
			return err
		}
		docURL, _, _ := core.DiscoveryURL(f.discovery.value)
		app.ApplyMetadata(md, docURL)
	}
	for _, p := range []struct {
		flag *stringFlag
		dst  *string
	}{{&f.jwks, &app.JWKSURI}, {&f.clientID, &app.ClientID}, {&f.authURL, &app.AuthorizationURI},
		{&f.tokenURL, &app.TokenURI}, {&f.revocationURL, &app.RevocationURI}, {&f.userinfoURL, &app.UserinfoURI},
		{&f.introspectionURL, &app.IntrospectionURI}, {&f.devURL, &app.DeviceAuthorizationURI},
		{&f.redirectHost, &app.RedirectHost}, {&f.authMethod, &app.TokenEndpointAuthMethod}, {&f.grant, &app.GrantType}} {
		if p.flag.set {
			*p.dst = strings.TrimSpace(p.flag.value)
		}
	}
	if f.redirectPort.set {
		app.RedirectPort = f.redirectPort.value
	}
	if f.scopes.set {
		app.Scopes = core.SplitScopes(f.scopes.values...)
	}
	if f.gitHosts.set {
		// Like --scope, the flags replace the list; --git-host "" empties it.
		app.GitHosts = core.NormalizeGitHosts(f.gitHosts.values...)
	}
	if f.params.set {
		app.QueryParameters = []core.QueryParameter{}
		for _, kv := range f.params.values {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return usagef("--param %q must be KEY=VALUE", kv)
			}
			app.QueryParameters = append(app.QueryParameters, core.QueryParameter{Key: strings.TrimSpace(k), Value: v})
		}
	}
	if f.noPKCE && f.pkce {
		return usagef("--pkce and --no-pkce contradict each other")
	}
	if f.noPKCE {
		app.PKCE = false
	}
	if f.pkce {
		app.PKCE = true
	}
	return nil
}

// readSecret takes the client secret from stdin (never argv, where other users can read it).
// At a terminal it asks for one line without echo; otherwise it reads all of stdin.
func (c *cmdCtx) readSecret() (*string, error) {
	if f, ok := c.env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.env.Stdout, "Client secret (typing is hidden): ")
		data, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.env.Stdout)
		if err != nil {
			return nil, fmt.Errorf("cannot read the client secret from the terminal: %w", err)
		}
		secret := strings.TrimSpace(string(data))
		if secret == "" {
			return nil, usagef("--client-secret-stdin: no secret was typed")
		}
		return &secret, nil
	}
	data, err := io.ReadAll(io.LimitReader(c.env.Stdin, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("cannot read the client secret from stdin: %w", err)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		return nil, usagef("--client-secret-stdin: stdin was empty; pipe the secret in, e.g. `printf %%s \"$SECRET\" | connectedapps ...`")
	}
	return &secret, nil
}

func (c *cmdCtx) add(args []string) error {
	fs := newFlags("add")
	var f appFlags
	f.register(fs, false)
	var pf presetFlags
	pf.register(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	app := core.NewApp(name)
	// The preset fills the document first, so every other flag overrides it.
	preset, registration, err := pf.apply(&app)
	if err != nil {
		return flagError(err)
	}
	if err := c.applyFlags(&app, &f); err != nil {
		return err
	}
	var secret *string
	if f.secretStdin {
		if secret, err = c.readSecret(); err != nil {
			return err
		}
	}
	saved, err := c.svc.Add(app, secret)
	if err != nil && saved.ID == "" {
		return flagError(err)
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "Registered %s.\n", saved.ProviderName)
	if saved.GrantType == core.GrantAuthorizationCode {
		fmt.Fprintf(w, "Redirect URI: %s\n  register exactly this URI with the provider\n", saved.RedirectURI())
	}
	if preset != nil {
		c.describePreset(preset, registration)
	}
	c.advise(&saved)
	if err == nil {
		fmt.Fprintf(w, "Next: connectedapps connect %s\n", quoteName(saved.ProviderName))
	}
	return err
}

// advise prints what will go wrong later, while the person is still setting up.
func (c *cmdCtx) advise(app *core.App) {
	w := c.env.Stdout
	if app.UsesOpenID() && (app.Issuer == "" || app.JWKSURI == "") {
		fmt.Fprintln(w, "Note: the openid scope needs an issuer and JWKS URI to verify ID tokens; add --discovery URL, or --issuer and --jwks-url, before connecting.")
	}
	if s := app.UnsupportedScopes(); len(s) > 0 {
		fmt.Fprintf(w, "Note: the provider does not list these scopes: %s (it may still accept them).\n", strings.Join(s, " "))
	}
	if app.PKCE && len(app.CodeChallengeMethodsSupported) == 0 && app.OpenIDConfiguration != "" {
		fmt.Fprintln(w, "Note: the provider does not advertise PKCE; it is sent anyway (turn off with --no-pkce if sign-in fails).")
	}
}

// flagError names the flag for a field error, so the person knows what to retype.
func flagError(err error) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	flagFor := map[string]string{"provider_name": "NAME", "client_id": "--client-id", "authorization_uri": "--auth-url",
		"token_uri": "--token-url", "revocation_uri": "--revocation-url", "userinfo_uri": "--userinfo-url",
		"introspection_uri": "--introspection-url", "device_authorization_uri": "--device-url", "issuer": "--issuer",
		"jwks_uri": "--jwks-url", "scopes": "--scope", "query_parameters": "--param", "redirect_host": "--redirect-host",
		"redirect_port": "--redirect-port", "token_endpoint_auth_method": "--auth-method", "openid_configuration": "--discovery",
		"grant_type": "--grant", "git_hosts": "--git-host", "client_secret": "--client-secret-stdin", core.FieldTenant: "--tenant", core.FieldRealm: "--realm",
		core.FieldSite: "--site", core.FieldDomain: "--domain"}
	if f, ok := flagFor[ve.Field]; ok {
		return fmt.Errorf("%s: %s", f, ve.Message)
	}
	return err
}

func (c *cmdCtx) edit(args []string) error {
	fs := newFlags("edit")
	var f appFlags
	f.register(fs, true)
	var rename stringFlag
	fs.Var(&rename, "rename", "new name")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	var secret *string
	if f.secretStdin {
		if secret, err = c.readSecret(); err != nil {
			return err
		}
	}
	res, err := c.svc.Edit(c.ctx, name, func(app *core.App) error {
		if rename.set {
			app.ProviderName = rename.value
		}
		return c.applyFlags(app, &f)
	}, secret)
	if err != nil {
		return flagError(err)
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "Saved %s.\n", res.App.ProviderName)
	fmt.Fprintf(w, "Redirect URI: %s\n", res.App.RedirectURI())
	if res.TokensDropped {
		fmt.Fprintln(w, "The client, token URI, issuer or kind of grant changed, so the old tokens were revoked and deleted: run connect again.")
		if res.RevocationProblem != "" {
			fmt.Fprintf(w, "Note: the provider could not be told (%s); the old tokens were deleted here anyway.\n", res.RevocationProblem)
		}
	}
	if res.ReconnectToApply {
		fmt.Fprintln(w, "The scopes changed: the current tokens keep working; run connect again to apply the new scopes.")
	}
	c.advise(&res.App)
	return nil
}

// listEntry is one row of `list --json`.
type listEntry struct {
	ID              string     `json:"id"`
	ProviderName    string     `json:"provider_name"`
	ConnectionState string     `json:"connection_state"`
	ExpiresAt       *time.Time `json:"expires_at"`
}

func (c *cmdCtx) list(args []string) error {
	fs := newFlags("list")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("list takes no NAME (use `connectedapps show NAME`)")
	}
	apps, err := c.svc.List()
	if err != nil {
		return err
	}
	now := c.svc.Now()
	if *asJSON {
		out := []listEntry{}
		for _, a := range apps {
			out = append(out, listEntry{a.ID, a.ProviderName, a.State(now), expiresAt(&a)})
		}
		return c.printJSON(out)
	}
	if len(apps) == 0 {
		fmt.Fprintln(c.env.Stdout, "No apps registered yet: connectedapps add NAME --discovery URL --client-id ID")
		return nil
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tEXPIRES")
	for _, a := range apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ProviderName, a.State(now), describeExpiry(&a, now))
	}
	return tw.Flush()
}

// documentView is the document as JSON plus the derived connection_state and expires_at.
func documentView(app *core.App, now time.Time) map[string]any {
	data, _ := json.Marshal(app) // App holds only strings, numbers and lists: cannot fail
	view := map[string]any{}
	_ = json.Unmarshal(data, &view)
	view["connection_state"] = app.State(now)
	view["expires_at"] = expiresAt(app)
	return view
}

func expiresAt(a *core.App) *time.Time {
	if a.Connection == nil || a.Connection.ExpiresAt == nil {
		return nil
	}
	t := a.Connection.ExpiresAt.UTC()
	return &t
}

func describeExpiry(a *core.App, now time.Time) string {
	switch {
	case a.Connection == nil:
		return "-"
	case a.Connection.ExpiresAt == nil:
		return "unknown"
	}
	at := a.Connection.ExpiresAt.UTC()
	left := at.Sub(now).Round(time.Second)
	if left <= 0 {
		return at.Format(time.RFC3339) + " (passed)"
	}
	return at.Format(time.RFC3339) + " (in " + left.String() + ")"
}

func (c *cmdCtx) show(args []string) error {
	fs := newFlags("show")
	asJSON := fs.Bool("json", false, "JSON output")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	app, err := c.svc.Get(name)
	if err != nil {
		return err
	}
	now := c.svc.Now()
	if *asJSON {
		return c.printJSON(documentView(&app, now))
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("Provider name", app.ProviderName)
	row("State", app.State(now))
	row("Expires", describeExpiry(&app, now))
	if conn := app.Connection; conn != nil {
		id := core.Identity{Subject: conn.Subject, Name: conn.Name, Email: conn.Email}
		row("Signed in as", id.Display())
		row("Granted scopes", strings.Join(conn.GrantedScopes, " "))
		row("Refresh token", map[bool]string{true: "held", false: "none"}[conn.HasRefreshToken])
		if conn.ReconnectToApply {
			row("Note", "scopes changed: connect again to apply")
		}
		row("Last error", conn.LastError)
	}
	row("OpenID configuration", app.OpenIDConfiguration)
	row("Client ID", app.ClientID)
	row("Client secret", map[bool]string{true: "stored in the keyring", false: "none (public client)"}[app.HasClientSecret])
	row("Redirect URI", app.RedirectURI())
	row("Scopes", strings.Join(app.Scopes, " "))
	for _, p := range app.QueryParameters {
		row("Extra parameter", p.Key+"="+p.Value)
	}
	row("Authorization URI", app.AuthorizationURI)
	row("Token URI", app.TokenURI)
	row("Revocation URI", app.RevocationURI)
	row("Userinfo URI", app.UserinfoURI)
	row("Introspection URI", app.IntrospectionURI)
	row("Device authorization URI", app.DeviceAuthorizationURI)
	row("Issuer", app.Issuer)
	row("JWKS URI", app.JWKSURI)
	row("PKCE", map[bool]string{true: app.PKCEMethod(), false: "off"}[app.PKCE])
	row("Token endpoint auth", app.TokenEndpointAuthMethod+" ("+app.EffectiveAuthMethod()+")")
	row("Grant type", app.GrantType)
	row("Git hosts", strings.Join(app.GitHosts, " "))
	return tw.Flush()
}

func (c *cmdCtx) remove(args []string) error {
	fs := newFlags("remove")
	localOnly := fs.Bool("local-only", false, "do not revoke at the provider")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	app, err := c.svc.Get(name)
	if err != nil {
		return err
	}
	if err := c.svc.Remove(c.ctx, app.ID, *localOnly); err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "Removed %s and its secrets.\n", app.ProviderName)
	return nil
}

func (c *cmdCtx) discover(args []string) error {
	fs := newFlags("discover")
	var issuer stringFlag
	fs.Var(&issuer, "issuer", "expected issuer, when the document advertises another")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("discover takes one URL: the issuer or its .well-known/openid-configuration")
	}
	md, err := c.svc.Discover(c.ctx, pos[0], issuer.value)
	if err != nil {
		return err
	}
	return c.printJSON(md)
}

func (c *cmdCtx) connect(args []string) error {
	fs := newFlags("connect")
	timeout := durationFlag{value: core.DefaultConnectTimeout}
	fs.Var(&timeout, "timeout", "how long to wait for the sign-in")
	noBrowser := fs.Bool("no-browser", false, "print the link and accept the redirected URL pasted on stdin")
	device := fs.Bool("device", false, "sign in with a code on another device (RFC 8628)")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	app, err := c.svc.Get(name)
	if err != nil {
		return err
	}
	switch {
	case app.GrantType == core.GrantClientCredentials:
		if *device {
			return usagef("%s uses the client credentials grant: nobody signs in, so --device does not apply", app.ProviderName)
		}
		return c.connectClientCredentials(app.ID)
	case *device || app.GrantType == core.GrantDeviceCode:
		var limit time.Duration
		if timeout.set {
			limit = timeout.value // otherwise the wait lasts as long as the code
		}
		return c.connectDevice(app.ID, limit, *noBrowser)
	}
	name = app.ID
	w := c.env.Stdout
	opts := core.ConnectOptions{Timeout: timeout.value, NoBrowser: *noBrowser}
	opts.OnAuthURL = func(link string, browserErr error) {
		switch {
		case *noBrowser:
			fmt.Fprintf(w, "Open this link in a browser and sign in:\n\n  %s\n\n", link)
			fmt.Fprintln(w, "If the browser then shows an error page (it runs on another machine), copy the whole address from its address bar, paste it here and press Enter.")
		case browserErr != nil:
			fmt.Fprintf(w, "Could not open a browser (%v). Open this link yourself and sign in:\n\n  %s\n\n", browserErr, link)
		default:
			fmt.Fprintf(w, "Your browser is opening to sign in. If it did not, open this link:\n\n  %s\n\n", link)
		}
		fmt.Fprintf(w, "Waiting up to %s for the sign-in (Ctrl+C cancels)...\n", opts.Timeout)
	}
	if *noBrowser {
		pasted := make(chan string)
		go func() {
			defer close(pasted)
			sc := bufio.NewScanner(c.env.Stdin)
			sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
			for sc.Scan() {
				if line := strings.TrimSpace(sc.Text()); line != "" {
					pasted <- line
				}
			}
		}()
		opts.Pasted = pasted
		opts.OnPasteError = func(err error) { fmt.Fprintf(w, "%v\nTry again:\n", err) }
	}
	res, err := c.svc.Connect(c.ctx, name, opts)
	if err != nil {
		return err
	}
	c.reportConnected(res)
	return nil
}

// reportConnected says who signed in, what was granted and how long it lasts.
func (c *cmdCtx) reportConnected(res *core.ConnectResult) {
	w := c.env.Stdout
	who := res.Identity.Display()
	if who == "" {
		fmt.Fprintf(w, "Connected %s.\n", res.App.ProviderName)
	} else {
		fmt.Fprintf(w, "Connected %s as %s.\n", res.App.ProviderName, who)
	}
	fmt.Fprintf(w, "Access token expires: %s. Refresh token: %s.\n", describeExpiry(&res.App, c.svc.Now()),
		map[bool]string{true: "held", false: "none (sign in again when it expires)"}[res.Tokens.RefreshToken != ""])
	if missing := missingScopes(res.App.Scopes, res.Tokens.Scopes); len(missing) > 0 {
		fmt.Fprintf(w, "Note: the provider did not grant: %s\n", strings.Join(missing, " "))
	}
}

func missingScopes(requested, granted []string) []string {
	var out []string
	for _, r := range requested {
		found := false
		for _, g := range granted {
			found = found || g == r
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

func (c *cmdCtx) token(args []string) error {
	fs := newFlags("token")
	format := fs.String("format", "bare", "bare, header, json, env or xoauth2")
	var user stringFlag
	fs.Var(&user, "user", "the mailbox address for --format xoauth2")
	minValid := durationFlag{value: core.DefaultMinValid}
	fs.Var(&minValid, "min-valid", "refresh first when the token expires sooner than this")
	idToken := fs.Bool("id-token", false, "print the ID token instead of the access token")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	switch *format {
	case "bare", "header", "json", "env", "xoauth2":
	default:
		return usagef("--format %q: use bare, header, json, env or xoauth2", *format)
	}
	if *idToken && (*format == "header" || *format == "xoauth2") {
		return usagef("--id-token cannot go in an Authorization header: use --format bare, json or env")
	}
	if user.set && *format != "xoauth2" {
		return usagef("--user goes with --format xoauth2 only")
	}
	if *format == "xoauth2" && !user.set {
		// The signed-in address is the usual mailbox; without one the person must say.
		app, err := c.appOf(name)
		if err != nil {
			return err
		}
		if app.Connection == nil || app.Connection.Email == "" {
			return usagef("--format xoauth2 needs --user EMAIL (the mailbox's address): %s has no signed-in email address to use", app.ProviderName)
		}
		user.value = app.Connection.Email
	}
	ts, err := c.tokenOf(name, minValid.value)
	if err != nil {
		return err
	}
	if *idToken && ts.IDToken == "" {
		return core.Failf(core.ErrNotFound, "%s holds no ID token (add the openid scope and connect again)", name)
	}
	w := c.env.Stdout
	switch *format {
	case "header":
		fmt.Fprintf(w, "Authorization: %s %s\n", ts.Type(), ts.AccessToken)
	case "env":
		if *idToken {
			fmt.Fprintf(w, "export ID_TOKEN=%s\n", shellQuote(ts.IDToken))
		} else {
			fmt.Fprintf(w, "export ACCESS_TOKEN=%s\n", shellQuote(ts.AccessToken))
		}
	case "xoauth2":
		s, err := xoauth2(user.value, ts.AccessToken)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, s)
	case "json":
		out := map[string]any{"access_token": ts.AccessToken, "token_type": ts.Type(), "scopes": ts.Scopes,
			"expires_at": nil, "expires_in": nil}
		if ts.Expiry != nil {
			out["expires_at"] = ts.Expiry.UTC().Format(time.RFC3339)
			out["expires_in"] = max(0, int(ts.Expiry.Sub(c.svc.Now()).Seconds()))
		}
		if *idToken {
			out["id_token"] = ts.IDToken
		}
		return c.printJSON(out)
	default:
		if *idToken {
			fmt.Fprintln(w, ts.IDToken)
		} else {
			fmt.Fprintln(w, ts.AccessToken)
		}
	}
	return nil
}

func (c *cmdCtx) refresh(args []string) error {
	name, err := c.nameOnly("refresh", args)
	if err != nil {
		return err
	}
	ts, err := c.svc.Refresh(c.ctx, name)
	if err != nil {
		return err
	}
	app, _ := c.svc.Get(name)
	expiry := "unknown"
	if ts.Expiry != nil {
		expiry = ts.Expiry.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(c.env.Stdout, "Refreshed %s. Access token expires: %s.\n", app.ProviderName, expiry)
	return nil
}

func (c *cmdCtx) userinfo(args []string) error {
	return c.printAnswer("userinfo", args, c.svc.Userinfo)
}

func (c *cmdCtx) introspect(args []string) error {
	return c.printAnswer("introspect", args, c.svc.Introspect)
}

// printAnswer prints what one of the provider's endpoints said about NAME.
func (c *cmdCtx) printAnswer(cmd string, args []string, ask func(context.Context, string) (json.RawMessage, error)) error {
	name, err := c.nameOnly(cmd, args)
	if err != nil {
		return err
	}
	raw, err := ask(c.ctx, name)
	if err != nil {
		return err
	}
	return c.printJSON(raw)
}

func (c *cmdCtx) disconnect(args []string) error {
	fs := newFlags("disconnect")
	localOnly := fs.Bool("local-only", false, "forget the tokens here without telling the provider")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	res, err := c.svc.Disconnect(c.ctx, name, *localOnly)
	if err != nil {
		return err
	}
	if res.Revoked {
		fmt.Fprintf(c.env.Stdout, "Disconnected %s: the provider revoked the grant and the tokens were deleted here.\n", name)
	} else {
		fmt.Fprintf(c.env.Stdout, "Disconnected %s: the tokens were deleted here (not revoked: %s).\n", name, res.NotRevokedAs)
	}
	return nil
}

func (c *cmdCtx) nameOnly(cmd string, args []string) (string, error) {
	return parseName(newFlags(cmd), args)
}

func (c *cmdCtx) printJSON(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.env.Stdout, string(data))
	return err
}

func quoteName(name string) string {
	if strings.ContainsAny(name, " \t'\"$`\\") {
		return "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
	}
	return name
}
