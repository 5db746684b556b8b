package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"connectedapps/core/app"
	"connectedapps/core/fail"
)

// Import reads two kinds of file: the client_secret_*.json Google Cloud Console offers for
// download, and Frappe "Connected App" documents (one, or an array, as Frappe exports them).
// Export writes the latter, so an export here imports into Frappe and back without loss.

// ImportedApp is one app read from a file, not yet registered.
type ImportedApp struct {
	App    App
	Secret *string  // the client secret the file holds, if any; for the keyring only
	Notes  []string // what the person should know: unusable redirect URIs, a missing secret
	Fixes  []fail.Remedy
	Format string // "google" or "frappe"
}

// ImportResult is one app as Import registered it. Fixes[i], where there is one, is what to
// do about Notes[i] (a front end words it; None for a note that only informs).
type ImportResult struct {
	App   App
	Notes []string
	Fixes []fail.Remedy
}

// addNote records a note and, in the same place, what to do about it.
func (imp *ImportedApp) addNote(fix fail.Remedy, format string, args ...any) {
	imp.note(fix, fmt.Sprintf(format, args...))
}

func (imp *ImportedApp) note(fix fail.Remedy, text string) {
	for len(imp.Fixes) < len(imp.Notes) {
		imp.Fixes = append(imp.Fixes, fail.Remedy{})
	}
	imp.Notes = append(imp.Notes, text)
	imp.Fixes = append(imp.Fixes, fix)
}

// frappeDoc is an exported Connected App document: its members in Frappe's names, Frappe's
// own first, in the field table's order (encoding/json would sort a map's). exportDoc writes the table's stored
// fields only: the client secret's line is KindSecret, never written, and no token or
// connection fact has a line at all.
type frappeDoc []frappeMember

type frappeMember struct {
	key   string
	value any
}

func (d frappeDoc) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("exporting %s: %w", m.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type frappeRow struct {
	Scope string `json:"scope"`
}

type frappePair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// frappeImportDoc is a Connected App document as a file holds it. The endpoints are read by
// the field table's names into Endpoints; the rest have a shape of their own. It also holds
// what is never written back: the client secret (Frappe masks it with asterisks in most
// exports) and Frappe's own web callback.
type frappeImportDoc struct {
	Name         string            `json:"name"`
	ProviderName string            `json:"provider_name"`
	ClientID     string            `json:"client_id"`
	ClientSecret string            `json:"client_secret"`
	RedirectURI  string            `json:"redirect_uri"`
	Scopes       []frappeRow       `json:"scopes"`
	Params       []frappePair      `json:"query_parameters"`
	Endpoints    map[string]string `json:"-"`
	// Ours, beyond Frappe's fields, so an export comes back whole; Frappe ignores them.
	RedirectHost            string     `json:"redirect_host,omitempty"`
	RedirectPort            *int       `json:"redirect_port,omitempty"`
	PKCE                    *bool      `json:"pkce,omitempty"`
	TokenEndpointAuthMethod AuthMethod `json:"token_endpoint_auth_method,omitempty"`
	GrantType               Grant      `json:"grant_type,omitempty"`
	Preset                  string     `json:"preset,omitempty"`
	GitHosts                []string   `json:"git_hosts,omitempty"` // the hosts git-credential hands the token to (App.GitHosts)
	OnEvent                 string     `json:"on_event,omitempty"`  // the command run on token events (App.OnEvent)
	// Where the provider keeps the app (App.PublishingStatus): it decides a refresh-token rule.
	PublishingStatus PublishingStatus `json:"publishing_status,omitempty"`
	// What discovery (or a preset) said the provider supports: PKCE and auth method choices
	// depend on it, and a file may be imported where discovery cannot reach.
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	IssParameterSupported             bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	// The app's own redirect path, which the provider has registered; an export from before
	// apps had their own path has none, and such an app keeps /callback.
	CallbackPath string `json:"callback_path,omitempty"`
}

func (d *frappeImportDoc) UnmarshalJSON(data []byte) error {
	type plain frappeImportDoc // without this method
	if err := json.Unmarshal(data, (*plain)(d)); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	d.Endpoints = map[string]string{}
	for _, f := range app.Endpoints() {
		if raw, ok := members[f.JSON]; ok {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("%s is not a string", f.JSON)
			}
			d.Endpoints[f.JSON] = v
		}
	}
	return nil
}

// ParseImport reads a file's apps without registering anything and without the network.
func ParseImport(data []byte) ([]ImportedApp, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, Failf(ErrInvalid, "the file is empty: expected a Google client_secret_*.json or a Frappe Connected App export")
	}
	if data[0] == '[' {
		return parseFrappeDocs(data)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, Failf(ErrInvalid, "the file is not JSON (%s): expected a Google client_secret_*.json or a Frappe Connected App export", oneLine(err.Error()))
	}
	switch {
	case probe["installed"] != nil || probe["web"] != nil:
		return parseGoogleClientFile(data)
	case probe["provider_name"] != nil || probe["client_id"] != nil:
		return parseFrappeDocs(data)
	case probe["data"] != nil: // Frappe's REST API wraps documents in {"data": ...}
		return ParseImport(probe["data"])
	}
	return nil, Failf(ErrInvalid, "the file is neither a Google client file (no \"installed\" or \"web\") nor a Frappe Connected App (no \"provider_name\")")
}

func parseFrappeDocs(data []byte) ([]ImportedApp, error) {
	var docs []frappeImportDoc
	if data[0] == '[' {
		if err := json.Unmarshal(data, &docs); err != nil {
			return nil, Failf(ErrInvalid, "the Connected App list cannot be read: %s", oneLine(err.Error()))
		}
	} else {
		var d frappeImportDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, Failf(ErrInvalid, "the Connected App document cannot be read: %s", oneLine(err.Error()))
		}
		docs = []frappeImportDoc{d}
	}
	if len(docs) == 0 {
		return nil, Failf(ErrInvalid, "the file holds no Connected App")
	}
	out := make([]ImportedApp, 0, len(docs))
	for i, d := range docs {
		name := strings.TrimSpace(d.ProviderName)
		if name == "" {
			name = strings.TrimSpace(d.Name)
		}
		if name == "" {
			return nil, Failf(ErrInvalid, "Connected App number %d has no provider_name", i+1)
		}
		a := NewApp(name)
		a.ClientID, a.Preset = strings.TrimSpace(d.ClientID), d.Preset
		for _, f := range app.Endpoints() {
			*f.Text(&a) = d.Endpoints[f.JSON]
		}
		a.GitHosts = NormalizeGitHosts(d.GitHosts...)
		a.OnEvent = strings.TrimSpace(d.OnEvent)
		a.PublishingStatus = PublishingStatus(strings.TrimSpace(string(d.PublishingStatus)))
		a.ScopesSupported, a.CodeChallengeMethodsSupported = d.ScopesSupported, d.CodeChallengeMethodsSupported
		a.TokenEndpointAuthMethodsSupported = d.TokenEndpointAuthMethodsSupported
		a.IssParameterSupported = d.IssParameterSupported
		switch {
		case d.CallbackPath != "":
			a.CallbackPath = d.CallbackPath // Validate refuses a path that is not ours
		case d.RedirectHost != "" || d.RedirectPort != nil:
			// Our export from before apps had their own path: /callback is what the provider
			// has registered. A document from Frappe itself gets a new path when registered.
			a.CallbackPath = CallbackPath
		}
		for _, r := range d.Scopes {
			a.Scopes = append(a.Scopes, SplitScopes(r.Scope)...)
		}
		a.Scopes = SplitScopes(a.Scopes...)
		for _, p := range d.Params {
			a.QueryParameters = append(a.QueryParameters, QueryParameter{Key: strings.TrimSpace(p.Key), Value: p.Value})
		}
		if d.RedirectHost != "" {
			a.RedirectHost = d.RedirectHost
		}
		if d.RedirectPort != nil {
			a.RedirectPort = *d.RedirectPort
		}
		if d.PKCE != nil {
			a.PKCE = *d.PKCE
		}
		if d.TokenEndpointAuthMethod != "" {
			a.TokenEndpointAuthMethod = d.TokenEndpointAuthMethod
		}
		if d.GrantType != "" {
			a.GrantType = d.GrantType
		}
		imp := ImportedApp{App: a, Format: "frappe"}
		// Frappe exports a password field as asterisks: that is no secret, just its length.
		if s := d.ClientSecret; s != "" && strings.Trim(s, "*") != "" {
			imp.Secret = &s
		}
		out = append(out, imp)
	}
	return out, nil
}

type googleClient struct {
	ClientID     string   `json:"client_id"`
	ProjectID    string   `json:"project_id"`
	AuthURI      string   `json:"auth_uri"`
	TokenURI     string   `json:"token_uri"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	CertsURL     string   `json:"auth_provider_x509_cert_url"`
}

// googleHosts are the hosts a real Google client file names. A file is trusted for its client
// ID and secret only: one whose endpoints lead elsewhere would send the sign-in, the code
// and the client secret to whoever edited it, under the name "Google".
var googleHosts = []string{"accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com"}

// checkGoogleEndpoints refuses a client file with any endpoint off Google's hosts, naming it.
func checkGoogleEndpoints(c *googleClient) error {
	for _, e := range []struct{ field, value string }{{"auth_uri", c.AuthURI}, {"token_uri", c.TokenURI}, {"auth_provider_x509_cert_url", c.CertsURL}} {
		if e.value == "" {
			continue
		}
		u, err := url.Parse(e.value)
		host := ""
		if err == nil {
			host = strings.ToLower(u.Host)
		}
		if err != nil || u.Scheme != "https" || !slices.Contains(googleHosts, host) {
			shown := host
			if shown == "" {
				shown = e.value
			}
			return Failf(ErrInvalid, "the Google client file's %s points at %s, which is not Google's (%s), so nothing was imported: download the file again from the Google Cloud Console", e.field, escapeControls(shown), strings.Join(googleHosts, ", "))
		}
	}
	return nil
}

// parseGoogleClientFile reads Google's client file: "installed" for a Desktop app client,
// "web" for a Web application client. The Google preset supplies what the file leaves out
// (userinfo, revocation, keys, the offline parameters).
func parseGoogleClientFile(data []byte) ([]ImportedApp, error) {
	var f struct {
		Installed *googleClient `json:"installed"`
		Web       *googleClient `json:"web"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, Failf(ErrInvalid, "the Google client file cannot be read: %s", oneLine(err.Error()))
	}
	c, installed := f.Installed, true
	if c == nil {
		c, installed = f.Web, false
	}
	if c == nil || strings.TrimSpace(c.ClientID) == "" {
		return nil, Failf(ErrInvalid, "the Google client file names no client_id")
	}
	if err := checkGoogleEndpoints(c); err != nil {
		return nil, err
	}
	preset, err := PresetByID("google")
	if err != nil {
		return nil, err
	}
	app := NewApp("Google")
	if _, err := preset.Apply(&app, nil); err != nil {
		return nil, err
	}
	app.ClientID = strings.TrimSpace(c.ClientID)
	if c.AuthURI != "" {
		app.AuthorizationURI = c.AuthURI
	}
	if c.TokenURI != "" {
		app.TokenURI = c.TokenURI
	}
	imp := ImportedApp{Format: "google"}
	if c.ClientSecret != "" {
		s := c.ClientSecret
		imp.Secret = &s
	}
	usable := false
	for _, raw := range c.RedirectURIs {
		host, port, path, why := loopbackRedirect(raw, installed)
		if why != "" {
			imp.addNote(fail.Remedy{}, "redirect URI %s is not usable by a desktop app (%s)", escapeControls(raw), why)
			continue
		}
		if !usable {
			app.RedirectHost, app.RedirectPort, usable = host, port, true
			if !installed {
				// A Web application client compares the path too: keep the registered one.
				app.CallbackPath = path
			}
		}
	}
	if !usable {
		// A Web application client compares the redirect URI exactly, so a fixed port. The
		// path is the app's own, given when it is registered: the import shows the URI.
		app.RedirectHost, app.RedirectPort = HostIPv4, DefaultRedirectPort
		imp.addNote(fail.Remedy{}, "the client has no loopback redirect URI: add this app's Redirect URI (http://%s:%d%s/...) to it in the Google Cloud Console", app.RedirectHost, app.RedirectPort, CallbackPath)
	}
	imp.App = app
	return []ImportedApp{imp}, nil
}

// escapeControls keeps text from a file on one line and out of the terminal's control: a
// newline or an escape sequence is shown escaped, as Go quotes it; a plain URL is unchanged.
func escapeControls(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// loopbackRedirect maps a registered redirect URI to the catcher's host, port (no port:
// 0, any port) and path. why says what makes it unusable. Google matches a Desktop app's
// loopback URIs on host only, so their path does not matter; a Web client's must be a
// callback path of ours (/callback, or /callback/NAME).
func loopbackRedirect(raw string, anyPath bool) (host string, port int, path string, why string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", 0, "", "not an absolute URL"
	}
	if u.Scheme != "http" {
		return "", 0, "", "only an http://127.0.0.1, http://localhost or http://[::1] URI reaches this computer's catcher"
	}
	switch h := u.Hostname(); {
	case h == "localhost":
		host = HostLocalhost
	case net.ParseIP(h) != nil && net.ParseIP(h).Equal(net.IPv4(127, 0, 0, 1)):
		host = HostIPv4
	case net.ParseIP(h) != nil && net.ParseIP(h).Equal(net.IPv6loopback):
		host = HostIPv6
	default:
		return "", 0, "", fmt.Sprintf("it points at %s, not at this computer's loopback", h)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, "", "its port is out of range"
		}
		port = n
	}
	if !anyPath && (u.Path == "" || !validCallbackPath(u.Path)) {
		return "", 0, "", fmt.Sprintf("its path must be %s or %s/NAME", CallbackPath, CallbackPath)
	}
	return host, port, u.Path, ""
}

// Import registers every app a file holds, with any client secret it carries going to the
// keyring. as renames a file's only app. Every name is checked before anything is
// registered, so a taken name registers nothing. A Frappe document lacks the issuer and keys
// ID tokens are checked with: they are discovered from its openid_configuration when it has
// one (without overriding the document's own endpoints), and a failure is a note, not an error.
func (s *Service) Import(ctx context.Context, data []byte, as string) ([]ImportResult, error) {
	apps, err := ParseImport(data)
	if err != nil {
		return nil, err
	}
	if as != "" {
		if len(apps) != 1 {
			return nil, Failf(ErrInvalid, "the file holds %d apps, but a new name can rename only one: import it without one", len(apps))
		}
		apps[0].App.ProviderName = as
	}
	return s.importApps(ctx, apps)
}

// ImportChoice is what to do with one app of a file: register it under Name ("" keeps the
// file's name), or Skip it.
type ImportChoice struct {
	Name string
	Skip bool
}

// ImportWith is Import with a choice per app, in the order ParseImport gives them (the
// window's table: some renamed, some skipped); an app without a choice keeps its name. As
// with Import, every name is checked before anything is registered.
func (s *Service) ImportWith(ctx context.Context, data []byte, choices []ImportChoice) ([]ImportResult, error) {
	parsed, err := ParseImport(data)
	if err != nil {
		return nil, err
	}
	if len(choices) > len(parsed) {
		return nil, Failf(ErrInvalid, "%d choices for a file of %d apps: read the file again", len(choices), len(parsed))
	}
	var apps []ImportedApp
	for i, imp := range parsed {
		if i < len(choices) {
			if choices[i].Skip {
				continue
			}
			if name := strings.TrimSpace(choices[i].Name); name != "" {
				imp.App.ProviderName = name
			}
		}
		apps = append(apps, imp)
	}
	return s.importApps(ctx, apps)
}

func (s *Service) importApps(ctx context.Context, apps []ImportedApp) ([]ImportResult, error) {
	existing, err := s.Registry.Load()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, imp := range apps {
		name := imp.App.ProviderName
		if err := ValidateName(name); err != nil {
			return nil, fmt.Errorf("the app named %q cannot be imported, so nothing was: %w", name, err)
		}
		if findApp(existing, name) >= 0 || seen[strings.ToLower(name)] {
			return nil, Failf(ErrInvalid, "an app named %q already exists: nothing was imported", name).With(fail.ImportUnderAnotherName(name))
		}
		seen[strings.ToLower(name)] = true
	}
	for i := range apps {
		s.completeFromDiscovery(ctx, &apps[i])
	}
	// Validate all before registering any, so a bad document registers nothing.
	for _, imp := range apps {
		if err := imp.App.Validate(); err != nil {
			return nil, fmt.Errorf("%s cannot be imported, so nothing was: %w", imp.App.ProviderName, err)
		}
	}
	var out []ImportResult
	for _, imp := range apps {
		if !imp.App.GrantType.SignsIn() && imp.Secret == nil && imp.App.TokenEndpointAuthMethod != AuthMethodNone {
			imp.addNote(fail.SetSecretOf(imp.App.ProviderName), "the file holds no client secret, which the client credentials grant needs")
		}
		saved, err := s.register(imp.App, imp.Secret)
		if saved.ID != "" {
			out = append(out, ImportResult{App: saved, Notes: imp.Notes, Fixes: imp.Fixes})
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// completeFromDiscovery fills what discovery knows and the document left empty.
func (s *Service) completeFromDiscovery(ctx context.Context, imp *ImportedApp) {
	a := &imp.App
	if a.OpenIDConfiguration == "" || (a.Issuer != "" && a.JWKSURI != "") {
		return
	}
	md, err := s.Discover(ctx, a.OpenIDConfiguration, a.Issuer)
	if err != nil {
		if a.UsesOpenID() {
			imp.addNote(fail.UseDiscoveryFor(a.ProviderName), "%v; the issuer and keys are needed to check ID tokens before connecting", err)
		}
		return
	}
	a.FillFromMetadata(md)
	// The file's issuer is kept (what the file says wins), so a document that names another
	// is said now, as add and discover say it, rather than met as failing ID tokens at connect.
	if w := a.IssuerContradicted(md); w != nil {
		imp.addProblem(w)
	}
}

// addProblem records one of core's errors as a note: its message (made by a catalogued
// format, so the window words it as it words the error) and its remedy.
func (imp *ImportedApp) addProblem(err error) {
	var fix fail.Remedy
	if e, ok := errors.AsType[*fail.Error](err); ok {
		fix = e.Remedy
	}
	imp.note(fix, err.Error())
}

// Export writes the named apps (all when none is named) as a JSON array of Frappe Connected
// App documents. It never writes a secret, a token or a connection fact: the document type
// has no field for any of them.
func (s *Service) Export(names ...string) ([]byte, error) {
	var apps []App
	if len(names) == 0 {
		all, err := s.List()
		if err != nil {
			return nil, err
		}
		apps = all
	}
	for _, n := range names {
		a, err := s.Registry.Find(n)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	docs := make([]frappeDoc, 0, len(apps))
	for _, a := range apps {
		docs = append(docs, exportDoc(&a))
	}
	return json.MarshalIndent(docs, "", "  ")
}

func exportDoc(a *App) frappeDoc {
	d := frappeDoc{{"doctype", "Connected App"}}
	add := func(key string, v any) { d = append(d, frappeMember{key, v}) }
	// Frappe's own members first, in the table's order, then ours (which Frappe ignores).
	fields := slices.Concat(slices.DeleteFunc(slices.Clone(app.Fields), func(f app.Field) bool { return !f.Frappe }),
		slices.DeleteFunc(slices.Clone(app.Fields), func(f app.Field) bool { return f.Frappe }))
	for _, f := range fields {
		if f.Kind == app.KindEndpoint {
			if v := *f.Text(a); v != "" {
				add(f.JSON, v)
			}
			continue
		}
		if !f.Stored() {
			continue
		}
		v, ok := exportValue(a, f.JSON)
		if !ok {
			continue // TestExportWritesEveryFieldOfTheTable fails for it
		}
		switch v := v.(type) {
		case string:
			if v != "" || f.JSON == app.FieldProviderName || f.JSON == app.FieldClientID {
				add(f.JSON, v)
			}
		case []string:
			if len(v) > 0 {
				add(f.JSON, v)
			}
		default:
			add(f.JSON, v)
		}
	}
	// What no front end edits, kept so an export comes back whole.
	if a.Preset != "" {
		add("preset", a.Preset)
	}
	for _, l := range []struct {
		key string
		v   []string
	}{{"scopes_supported", a.ScopesSupported}, {"code_challenge_methods_supported", a.CodeChallengeMethodsSupported},
		{"token_endpoint_auth_methods_supported", a.TokenEndpointAuthMethodsSupported}} {
		if len(l.v) > 0 {
			add(l.key, l.v)
		}
	}
	if a.IssParameterSupported {
		add("authorization_response_iss_parameter_supported", true)
	}
	add("callback_path", a.Callback())
	return d
}

// exportValue is a stored field other than an endpoint as an export writes it (false: the
// table has a field this does not know yet).
func exportValue(a *App, field string) (any, bool) {
	switch field {
	case app.FieldProviderName:
		return a.ProviderName, true
	case app.FieldClientID:
		return a.ClientID, true
	case "scopes":
		rows := []frappeRow{}
		for _, sc := range a.Scopes {
			rows = append(rows, frappeRow{Scope: sc})
		}
		return rows, true
	case "query_parameters":
		pairs := []frappePair{}
		for _, p := range a.QueryParameters {
			pairs = append(pairs, frappePair(p))
		}
		return pairs, true
	case "redirect_host":
		return a.RedirectHost, true
	case "redirect_port":
		return a.RedirectPort, true
	case "pkce":
		return a.PKCE, true
	case "token_endpoint_auth_method":
		return string(a.TokenEndpointAuthMethod), true
	case "grant_type":
		return string(a.GrantType), true
	case "git_hosts":
		return a.GitHosts, true
	case FieldOnEvent:
		return a.OnEvent, true
	case FieldPublishingStatus:
		return string(a.PublishingStatus), true
	}
	return nil, false
}
