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

// appFlags are the document flags shared by add and edit, named by core's field table: an
// endpoint's flag is a string flag made from its line alone; the other fields' values have
// shapes of their own, parsed below.
type appFlags struct {
	endpoints                       map[string]*stringFlag // by JSON name
	clientID                        stringFlag
	redirectHost, authMethod, grant stringFlag
	onEvent, publishing             stringFlag
	redirectPort                    intFlag
	scopes, params, gitHosts        listFlag
	secretStdin, noPKCE, pkce       boolFlag

	// warnings are what discovery contradicted (a kept issuer the document does not name),
	// printed on stderr once the app is saved.
	warnings []error
}

// warn prints each warning the flags met on stderr, as one line with its remedy.
func (c *cmdCtx) warn(f *appFlags) {
	for _, w := range f.warnings {
		fmt.Fprintln(c.env.Stderr, "connectedapps: warning: "+describe(w))
	}
}

func (f *appFlags) register(fs *flag.FlagSet, withPKCEOn bool) {
	f.endpoints = map[string]*stringFlag{}
	own := map[string]flag.Value{core.FieldClientID: &f.clientID, core.FieldClientSecret: &f.secretStdin,
		"scopes": &f.scopes, "query_parameters": &f.params, "git_hosts": &f.gitHosts, "redirect_host": &f.redirectHost,
		"redirect_port": &f.redirectPort, "token_endpoint_auth_method": &f.authMethod, "grant_type": &f.grant, "pkce": &f.noPKCE,
		core.FieldOnEvent: &f.onEvent, core.FieldPublishingStatus: &f.publishing}
	for _, field := range core.Fields {
		v, ok := own[field.JSON]
		if field.Kind == core.KindEndpoint {
			f.endpoints[field.JSON] = &stringFlag{}
			v, ok = f.endpoints[field.JSON], true
		}
		if field.Flag != "" && ok { // a flag with no value here fails TestEveryFieldReachesTheCommandLine
			fs.Var(v, field.Flag, field.Label)
		}
	}
	if withPKCEOn {
		fs.Var(&f.pkce, "pkce", "turn PKCE back on")
	}
}

// apply writes the flags that were given into app; discovery runs first so hand-given
// endpoints win over discovered ones. --discovery is the openid_configuration field's flag,
// and runs discovery rather than only setting it; --issuer is set before it, as the issuer
// the provider's document must name.
func (c *cmdCtx) applyFlags(app *core.App, f *appFlags) error {
	issuer, discovery := f.endpoints[core.FieldIssuer], f.endpoints[core.FieldOpenIDConfiguration]
	if issuer.set {
		app.Issuer = issuer.value
	}
	if discovery.set {
		md, err := c.svc.Discover(c.ctx, discovery.value, issuer.value)
		if err != nil {
			return err
		}
		docURL, _, _ := core.DiscoveryURL(discovery.value)
		app.ApplyMetadata(md, docURL)
		if w := app.IssuerContradicted(md); w != nil {
			f.warnings = append(f.warnings, w)
		}
	}
	for _, e := range core.Endpoints() {
		if fl := f.endpoints[e.JSON]; fl.set && e.JSON != core.FieldOpenIDConfiguration && e.JSON != core.FieldIssuer {
			*e.Text(app) = strings.TrimSpace(fl.value)
		}
	}
	for _, p := range []struct {
		flag *stringFlag
		dst  *string
	}{{&f.clientID, &app.ClientID}, {&f.redirectHost, &app.RedirectHost}} {
		if p.flag.set {
			*p.dst = strings.TrimSpace(p.flag.value)
		}
	}
	if f.authMethod.set {
		app.TokenEndpointAuthMethod = core.AuthMethod(strings.TrimSpace(f.authMethod.value))
	}
	if f.grant.set {
		app.GrantType = core.Grant(strings.TrimSpace(f.grant.value))
	}
	if f.redirectPort.set {
		app.RedirectPort = f.redirectPort.value
	}
	if f.onEvent.set {
		app.OnEvent = strings.TrimSpace(f.onEvent.value) // Validate checks it splits
	}
	if f.publishing.set {
		app.PublishingStatus = core.PublishingStatus(strings.ToLower(strings.TrimSpace(f.publishing.value))) // Validate checks it
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
	var dcr registerFlags
	dcr.add(fs)
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
	registers, err := c.registers(&app, &f, &dcr, preset)
	if err != nil {
		return err
	}
	var saved core.App
	if registers {
		saved, err = c.addRegistered(app, &dcr)
	} else {
		var secret *string
		if f.secretStdin {
			if secret, err = c.readSecret(); err != nil {
				return err
			}
		}
		saved, err = c.svc.Add(app, secret)
	}
	if err != nil && saved.ID == "" {
		return flagError(err)
	}
	w := c.env.Stdout
	fmt.Fprintf(w, "Registered %s.\n", saved.ProviderName)
	if saved.Registration != nil {
		c.describeRegistration(&saved)
	} else if saved.GrantType.NeedsBrowser() {
		fmt.Fprintf(w, "Redirect URI: %s\n  register exactly this URI with the provider\n", saved.RedirectURI())
	}
	if preset != nil && saved.Registration == nil {
		c.describePreset(preset, registration)
	} else if preset != nil {
		c.describeQuirks(preset)
	}
	c.advise(&saved)
	c.warn(&f)
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
	secret := core.KeepSecret()
	if f.secretStdin {
		s, err := c.readSecret()
		if err != nil {
			return err
		}
		secret = core.SetSecret(*s)
	}
	var before core.App
	res, err := c.svc.Edit(c.ctx, name, func(app *core.App) error {
		before = *app
		f.warnings = nil // Edit may run the change again
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
	if res.App.Registration != nil && before.RedirectURI() != res.App.RedirectURI() {
		fmt.Fprintf(w, "Note: the client was registered with the redirect URI %s; the provider may refuse the new one (remove the app and add it with --register again to register it).\n", before.RedirectURI())
	}
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
	c.warn(&f)
	return nil
}

// listEntry is one row of `list --json`: the state and expiry are the default account's,
// as they were when an app had one; accounts lists them all.
type listEntry struct {
	ID              string               `json:"id"`
	ProviderName    string               `json:"provider_name"`
	ConnectionState core.ConnectionState `json:"connection_state"`
	ExpiresAt       *time.Time           `json:"expires_at"`
	RefreshToken    *healthView          `json:"refresh_token_health,omitempty"` // nil: nothing known
	Accounts        []accountEntry       `json:"accounts"`
}

// accountEntry is one account in `accounts --json` and `list --json`.
type accountEntry struct {
	ID        string               `json:"id"`
	Subject   string               `json:"subject"`
	Email     string               `json:"email"`
	Name      string               `json:"name,omitempty"`
	State     core.ConnectionState `json:"state"`
	ExpiresAt *time.Time           `json:"expires_at"`
	Default   bool                 `json:"default"`
	// RefreshToken: how this account's refresh token stands against its provider's known
	// limit (nil: nothing known).
	RefreshToken *healthView `json:"refresh_token_health,omitempty"`
}

func accountEntries(a *core.App, now time.Time) []accountEntry {
	out := []accountEntry{}
	def := a.Default()
	for i := range a.Accounts {
		acct := &a.Accounts[i]
		var exp *time.Time
		if acct.ExpiresAt != nil {
			t := acct.ExpiresAt.UTC()
			exp = &t
		}
		out = append(out, accountEntry{acct.ID, acct.Subject, acct.Email, acct.Name, acct.StateAt(now), exp, acct.ID == def.ID,
			newHealthView(a.RefreshHealthOf(&acct.Connection, now))})
	}
	return out
}

// accounts lists an app's accounts, or with --default makes one the default.
func (c *cmdCtx) accounts(args []string) error {
	fs := newFlags("accounts")
	asJSON := fs.Bool("json", false, "JSON output")
	var def stringFlag
	fs.Var(&def, "default", "EMAIL|SUBJECT: make this account the default")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	if def.set {
		if *asJSON {
			return usagef("--default changes the default; list the accounts without it to get --json")
		}
		app, err := c.svc.SetDefaultAccount(name, def.value)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.env.Stdout, "%s now uses %s when no --account is given.\n", app.ProviderName, app.Default().Label())
		return nil
	}
	app, err := c.svc.Get(name)
	if err != nil {
		return err
	}
	now := c.svc.Now()
	entries := accountEntries(&app, now)
	if *asJSON {
		return c.printJSON(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintf(c.env.Stdout, "%s has no accounts yet: connectedapps connect %s\n", app.ProviderName, quoteName(app.ProviderName))
		return nil
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEFAULT\tEMAIL\tSUBJECT\tSTATE\tEXPIRES")
	for i, e := range entries {
		mark := ""
		if e.Default {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, orDash(e.Email), orDash(e.Subject), e.State, describeConnExpiry(&app.Accounts[i].Connection, now))
	}
	return tw.Flush()
}

// accountsColumn is list's ACCOUNTS: "-" for none, the one account's label, or each of
// several with the default starred and any that is not connected saying so (STATE and
// EXPIRES are the default account's).
func accountsColumn(a *core.App, now time.Time) string {
	if len(a.Accounts) == 0 {
		return "-"
	}
	def := a.Default()
	var parts []string
	for i := range a.Accounts {
		acct := &a.Accounts[i]
		part := acct.Label()
		if acct.Email == "" && acct.Name == "" && acct.Subject == "" {
			part = "(no identity)" // signed in, but the provider said not as whom
		}
		if len(a.Accounts) > 1 && acct.ID == def.ID {
			part += "*"
		}
		if st := acct.StateAt(now); len(a.Accounts) > 1 && st != core.StateConnected {
			part += " (" + string(st) + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
			out = append(out, listEntry{a.ID, a.ProviderName, a.State(now), expiresAt(&a), newHealthView(a.RefreshHealth(now)), accountEntries(&a, now)})
		}
		return c.printJSON(out)
	}
	if len(apps) == 0 {
		fmt.Fprintln(c.env.Stdout, "No apps registered yet: connectedapps add NAME --discovery URL --client-id ID")
		return nil
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tEXPIRES\tREFRESH TOKEN\tACCOUNTS")
	for _, a := range apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ProviderName, a.State(now), describeExpiry(&a, now), healthColumn(a.RefreshHealth(now), now), accountsColumn(&a, now))
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
	if c := app.Connection(); c != nil {
		view["connection"] = c // the default account's, as "connection" was before accounts
	}
	if h := newHealthView(app.RefreshHealth(now)); h != nil {
		view["refresh_token_health"] = h
	}
	return view
}

func expiresAt(a *core.App) *time.Time {
	if a.Connection() == nil || a.Connection().ExpiresAt == nil {
		return nil
	}
	t := a.Connection().ExpiresAt.UTC()
	return &t
}

func describeExpiry(a *core.App, now time.Time) string {
	return describeConnExpiry(a.Connection(), now)
}

func describeConnExpiry(c *core.Connection, now time.Time) string {
	switch {
	case c == nil:
		return "-"
	case c.ExpiresAt == nil:
		return "unknown"
	}
	at := c.ExpiresAt.UTC()
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
	name0, _ := core.FieldByJSON(core.FieldProviderName) // first, above the connection
	row(name0.ShowLabel, app.ProviderName)
	row("State", string(app.State(now)))
	row("Expires", describeExpiry(&app, now))
	if conn := app.Connection(); conn != nil {
		id := core.Identity{Subject: conn.Subject, Name: conn.Name, Email: conn.Email}
		row("Signed in as", id.Display())
		row("Granted scopes", strings.Join(conn.GrantedScopes, " "))
		row("Refresh token", map[bool]string{true: "held", false: "none"}[conn.HasRefreshToken])
		row("Refresh token limit", healthLine(app.RefreshHealth(now), now))
		if conn.ReconnectToApply {
			row("Note", "scopes changed: connect again to apply")
		}
		row("Last error", conn.LastError)
	}
	if len(app.Accounts) > 1 {
		var others []string
		for i := range app.Accounts {
			if a := &app.Accounts[i]; a.ID != app.Default().ID {
				others = append(others, a.Label()+" ("+string(a.StateAt(now))+")")
			}
		}
		row("Other accounts", strings.Join(others, ", "))
	}
	for _, f := range core.Fields {
		if f.ShowLabel == "" || f.JSON == core.FieldProviderName {
			continue
		}
		for _, v := range showValues(&app, f) {
			row(f.ShowLabel, v)
		}
	}
	if r := app.Registration; r != nil {
		where := "by this program; remove deletes it at " + r.ClientURI
		if !core.DeletesRegistration(&app) {
			where = "by this program; the provider gave no registration_client_uri to delete it with"
		}
		row("Client registered", where)
	} else if core.CanRegister(&app) {
		row("Registration endpoint", app.RegistrationEndpoint)
	}
	return tw.Flush()
}

// showValues are the rows `show` prints for a field of the table (none for an empty one).
func showValues(app *core.App, f core.Field) []string {
	if f.Kind == core.KindEndpoint {
		return []string{*f.Text(app)}
	}
	switch f.JSON {
	case core.FieldProviderName:
		return []string{app.ProviderName}
	case core.FieldClientID:
		return []string{app.ClientID}
	case core.FieldClientSecret:
		return []string{map[bool]string{true: "stored in the keyring", false: "none (public client)"}[app.HasClientSecret]}
	case "redirect_uri":
		return []string{app.RedirectURI()}
	case "scopes":
		return []string{strings.Join(app.Scopes, " ")}
	case "query_parameters":
		var out []string
		for _, p := range app.QueryParameters {
			out = append(out, p.Key+"="+p.Value)
		}
		return out
	case "pkce":
		return []string{map[bool]string{true: app.PKCEMethod(), false: "off"}[app.PKCE]}
	case "token_endpoint_auth_method":
		return []string{string(app.TokenEndpointAuthMethod) + " (" + string(app.EffectiveAuthMethod()) + ")"}
	case "grant_type":
		return []string{string(app.GrantType)}
	case "git_hosts":
		return []string{strings.Join(app.GitHosts, " ")}
	case core.FieldOnEvent:
		return []string{app.OnEvent}
	case core.FieldPublishingStatus:
		return []string{string(app.PublishingStatus)}
	}
	return nil // TestEveryFieldReachesTheCommandLine fails for a field shown without a value
}

func (c *cmdCtx) remove(args []string) error {
	fs := newFlags("remove")
	localOnly := fs.Bool("local-only", false, "do not revoke at the provider, nor delete the client's registration there")
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
	c.reportRegistrationRemoved(&app, *localOnly)
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
	// --issuer skips the check that the document names the URL's issuer: say when it names
	// another, as add and edit would (no app yet, so no edit to suggest).
	kept := core.App{Issuer: issuer.value}
	if w := kept.IssuerContradicted(md); w != nil {
		fmt.Fprintln(c.env.Stderr, "connectedapps: warning: "+w.Error())
	}
	return c.printJSON(md)
}

func (c *cmdCtx) connect(args []string) error {
	fs := newFlags("connect")
	timeout := durationFlag{value: core.DefaultConnectTimeout}
	fs.Var(&timeout, "timeout", "how long to wait for the sign-in")
	noBrowser := fs.Bool("no-browser", false, "print the link and accept the redirected URL pasted on stdin")
	device := fs.Bool("device", false, "sign in with a code on another device (RFC 8628)")
	var hint stringFlag
	fs.Var(&hint, "login-hint", "EMAIL: the account to sign in as (sent as login_hint)")
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	app, err := c.svc.Get(name)
	if err != nil {
		return err
	}
	switch {
	case !app.GrantType.SignsIn():
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
	opts := core.ConnectOptions{Timeout: timeout.value, NoBrowser: *noBrowser, LoginHint: hint.value}
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

// tokenFormats are token's --format values, in the order help and errors name them.
const tokenFormats = "bare, header, json, env, xoauth2, oauthbearer or kube"

func (c *cmdCtx) token(args []string) error {
	fs := newFlags("token")
	format := fs.String("format", "bare", tokenFormats)
	var user stringFlag
	fs.Var(&user, "user", "the mailbox address for --format xoauth2 or oauthbearer")
	var host stringFlag
	fs.Var(&host, "host", "the mail server's host name for --format oauthbearer")
	var port intFlag
	fs.Var(&port, "port", "the mail server's port for --format oauthbearer")
	var kubeToken stringFlag
	fs.Var(&kubeToken, "kube-token", "id or access: the token --format kube hands to kubectl (default id)")
	minValid := durationFlag{value: core.DefaultMinValid}
	fs.Var(&minValid, "min-valid", "refresh first when the token expires sooner than this")
	idToken := fs.Bool("id-token", false, "print the ID token instead of the access token")
	account := accountFlag(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	switch *format {
	case "bare", "header", "json", "env", "xoauth2", "oauthbearer", "kube":
	default:
		return usagef("--format %q: use %s", *format, tokenFormats)
	}
	mail := *format == "xoauth2" || *format == "oauthbearer"
	if *idToken && (*format == "header" || mail) {
		return usagef("--id-token cannot go in an Authorization header: use --format bare, json or env")
	}
	if *idToken && *format == "kube" {
		return usagef("--format kube hands over the ID token already; --kube-token access hands over the access token instead")
	}
	if user.set && !mail {
		return usagef("--user goes with --format xoauth2 or oauthbearer only")
	}
	if (host.set || port.set) && *format != "oauthbearer" {
		return usagef("--host and --port go with --format oauthbearer only")
	}
	if port.set && (port.value < 1 || port.value > 65535) {
		return usagef("--port %d is not a TCP port (1 to 65535)", port.value)
	}
	if kubeToken.set && *format != "kube" {
		return usagef("--kube-token goes with --format kube only")
	}
	if kubeToken.set && kubeToken.value != "id" && kubeToken.value != "access" {
		return usagef("--kube-token %q: use id (the ID token, as kubectl's OIDC sign-in expects) or access", kubeToken.value)
	}
	if *format == "kube" {
		if err := checkExecInfo(c.env.Getenv("KUBERNETES_EXEC_INFO")); err != nil {
			return err
		}
	}
	if mail && !user.set {
		// The signed-in address is the usual mailbox; without one the person must say.
		app, err := c.appOf(name)
		if err != nil {
			return err
		}
		acct := app.FindAccount(account.value)
		if acct == nil && account.set {
			return core.Failf(core.ErrNotFound, "%s has no account %q: see connectedapps accounts %s", app.ProviderName, account.value, quoteName(app.ProviderName))
		}
		if acct == nil || acct.Email == "" {
			return usagef("--format %s needs --user EMAIL (the mailbox's address): %s has no signed-in email address to use", *format, app.ProviderName)
		}
		user.value = acct.Email
	}
	ts, err := c.tokenOf(name, account.value, minValid.value)
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
	case "oauthbearer":
		s, err := oauthBearer(user.value, host.value, port.value, ts.AccessToken)
		if errors.Is(err, errControlInToken) {
			return core.Failf(core.ErrInvalid, "%s's access token holds a control character, so it was not put in an OAUTHBEARER string (it would end the field early): the provider's answer is not a usable token; run `connectedapps connect %s` again", name, quoteName(name))
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w, s)
	case "kube":
		cred, err := c.kubeCredential(name, account.value, ts, kubeToken.value == "access", minValid.value)
		if err != nil {
			return err
		}
		return c.printJSON(cred)
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

// kubeCredential is the ExecCredential for name: the ID token (what an API server set up for
// OIDC, --oidc-issuer-url, checks), or the access token. The access token is fresh already; an
// ID token can run out before it (its lifetime is the provider's, and not every refresh brings
// a new one), so an ID token expiring within minValid is refreshed for, and never handed out
// expired.
func (c *cmdCtx) kubeCredential(name, account string, ts *core.TokenSet, access bool, minValid time.Duration) (*execCredential, error) {
	cred := &execCredential{APIVersion: execCredentialAPIVersion, Kind: "ExecCredential"}
	if access {
		cred.Status.Token = ts.AccessToken
		if ts.Expiry != nil {
			cred.Status.ExpirationTimestamp = ts.Expiry.UTC().Format(time.RFC3339)
		}
		return cred, nil
	}
	if ts.IDToken == "" {
		return nil, core.Failf(core.ErrNotFound, "%s holds no ID token for kubectl: add openid to its scopes (`connectedapps edit %s --scope ...` replaces the list) and run `connectedapps connect %s` again, or hand over the access token with --kube-token access", name, quoteName(name), quoteName(name))
	}
	exp, known := jwtExpiry(ts.IDToken)
	if known && !exp.After(c.svc.Now().Add(minValid)) {
		if ts.RefreshToken == "" {
			return nil, core.Failf(core.ErrNeedsReauth, "%s's ID token has run out and there is no refresh token to renew it: run `connectedapps connect %s` to sign in again", name, quoteName(name))
		}
		fresh, err := c.svc.RefreshFor(c.ctx, name, account)
		if err != nil {
			return nil, err
		}
		if exp, known = jwtExpiry(fresh.IDToken); known && !exp.After(c.svc.Now()) {
			return nil, core.Failf(core.ErrNeedsReauth, "%s's ID token has run out and a refresh brought no new one (the provider renews it only at sign-in): run `connectedapps connect %s` again, or use --kube-token access", name, quoteName(name))
		}
		ts = fresh
	}
	cred.Status.Token = ts.IDToken
	if known {
		cred.Status.ExpirationTimestamp = exp.Format(time.RFC3339)
	}
	return cred, nil
}

func (c *cmdCtx) refresh(args []string) error {
	fs := newFlags("refresh")
	account := accountFlag(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	ts, err := c.svc.RefreshFor(c.ctx, name, account.value)
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
	return c.printAnswer("userinfo", args, c.svc.UserinfoFor)
}

func (c *cmdCtx) introspect(args []string) error {
	return c.printAnswer("introspect", args, c.svc.IntrospectFor)
}

// printAnswer prints what one of the provider's endpoints said about NAME's account.
func (c *cmdCtx) printAnswer(cmd string, args []string, ask func(context.Context, string, string) (json.RawMessage, error)) error {
	fs := newFlags(cmd)
	account := accountFlag(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	raw, err := ask(c.ctx, name, account.value)
	if err != nil {
		return err
	}
	return c.printJSON(raw)
}

func (c *cmdCtx) disconnect(args []string) error {
	fs := newFlags("disconnect")
	localOnly := fs.Bool("local-only", false, "forget the tokens here without telling the provider")
	account := accountFlag(fs)
	name, err := parseName(fs, args)
	if err != nil {
		return err
	}
	res, err := c.svc.DisconnectFor(c.ctx, name, account.value, *localOnly)
	if err != nil {
		return err
	}
	if account.set {
		name += " (" + account.value + ")" // the app's other accounts stay connected
	}
	if res.Revoked {
		fmt.Fprintf(c.env.Stdout, "Disconnected %s: the provider revoked the grant and the tokens were deleted here.\n", name)
	} else {
		fmt.Fprintf(c.env.Stdout, "Disconnected %s: the tokens were deleted here (not revoked: %s).\n", name, res.NotRevokedAs)
	}
	return nil
}

// accountFlag is the --account flag of the commands that use one account's tokens.
func accountFlag(fs *flag.FlagSet) *stringFlag {
	var f stringFlag
	fs.Var(&f, "account", "EMAIL|SUBJECT: which of the app's accounts (default: its default account)")
	return &f
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
