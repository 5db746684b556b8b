package app

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"connectedapps/core/fail"
)

// Presets are data, one JSON file per provider in presets/, so adding a provider or fixing
// an endpoint is an edit to a file, not to a code path. Each carries its endpoints, so an app
// filled from one is complete without reaching the provider.
//
//go:embed presets/*.json
var presetFiles embed.FS

// Preset field names, each with its own check (see PresetField).
const (
	FieldTenant = "tenant" // Microsoft tenant: ID, domain, common, organizations or consumers
	FieldRealm  = "realm"  // Keycloak realm
	FieldSite   = "site"   // a base URL: Frappe site, Keycloak server, self-managed GitLab
	FieldDomain = "domain" // a host name: Okta, Auth0
)

// Preset describes one provider: how its clients are registered, its quirks, and the
// document fields it fills. Strings of App may hold {field} templates.
type Preset struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Generic presets carry defaults only; endpoints come from --discovery or by hand.
	Generic bool `json:"generic,omitempty"`
	// RegistrationURL is the page where a client is registered (it may hold templates).
	RegistrationURL string `json:"registration_url,omitempty"`
	// Registration says in a sentence what to choose on that page.
	Registration   string `json:"registration"`
	RedirectAdvice string `json:"redirect_advice"`
	// TryRegistration: when no client ID is given, add registers a client (RFC 7591) if the
	// provider's discovery document names a registration endpoint (a Frappe site since 2025,
	// a Keycloak realm that allows anonymous registration or is given an initial access token).
	TryRegistration bool            `json:"try_registration,omitempty"`
	Quirks          []string        `json:"quirks"`
	Fields          []PresetField   `json:"fields,omitempty"`
	App             json.RawMessage `json:"app"`
	// RefreshTokenLimit is what the provider is known to do with its refresh tokens (nil:
	// nothing known, so nothing is guessed); see HealthOf.
	RefreshTokenLimit *RefreshLimit `json:"refresh_token_limit,omitempty"`
	// SelectAccount is what the sign-in link adds when an app that has an account already
	// signs in again, so the provider asks which account rather than reusing its session
	// (nil: prompt=select_account, OpenID Connect's own).
	SelectAccount []QueryParameter `json:"select_account,omitempty"`
}

// DefaultSelectAccount is OpenID Connect's way to ask the provider for its account chooser.
var DefaultSelectAccount = []QueryParameter{{Key: "prompt", Value: "select_account"}}

// SelectAccountFor is what an app filled from preset id sends to sign in another account.
func SelectAccountFor(id string) []QueryParameter {
	if p, err := PresetByID(id); err == nil && id != "" && p.SelectAccount != nil {
		return p.SelectAccount
	}
	return DefaultSelectAccount
}

// PresetField is a value the person supplies (a tenant, a realm, a site, a domain).
type PresetField struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Help    string `json:"help"`
	Default string `json:"default,omitempty"` // empty: required
	Example string `json:"example"`
}

// presetOrder is how presets are listed: the named providers as the issue lists them, the
// generic ones last.
var presetOrder = []string{"google", "microsoft", "github", "gitlab", "frappe", "keycloak", "okta", "auth0", "generic-oidc", "generic-oauth2"}

// Presets returns every preset, in listing order.
func Presets() ([]Preset, error) {
	entries, err := presetFiles.ReadDir("presets")
	if err != nil {
		return nil, err
	}
	var out []Preset
	for _, e := range entries {
		data, err := presetFiles.ReadFile(path.Join("presets", e.Name()))
		if err != nil {
			return nil, err
		}
		var p Preset
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("preset %s is not valid JSON: %w", e.Name(), err)
		}
		out = append(out, p)
	}
	rank := func(id string) int {
		if i := slices.Index(presetOrder, id); i >= 0 {
			return i
		}
		return len(presetOrder)
	}
	slices.SortStableFunc(out, func(a, b Preset) int {
		if d := rank(a.ID) - rank(b.ID); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// PresetByID finds a preset, ignoring case.
func PresetByID(id string) (Preset, error) {
	all, err := Presets()
	if err != nil {
		return Preset{}, err
	}
	var ids []string
	for _, p := range all {
		if strings.EqualFold(p.ID, id) {
			return p, nil
		}
		ids = append(ids, p.ID)
	}
	return Preset{}, fail.Failf(fail.ErrNotFound, "no preset %q: use one of %s", id, strings.Join(ids, ", ")).With(fail.SeePresets())
}

// FieldNames lists the fields the preset takes, for "needs --tenant" style help.
func (p Preset) FieldNames() []string {
	var out []string
	for _, f := range p.Fields {
		out = append(out, f.Name)
	}
	return out
}

// Apply fills app from the preset with the given field values (missing ones take their
// defaults) and returns the registration page for those values. Only the fields the preset
// names are changed, so a form's client ID or name survives. The result is not validated:
// a generic preset still needs endpoints, and the caller's own values come on top.
func (p Preset) Apply(app *App, values map[string]string) (registrationURL string, err error) {
	filled := map[string]string{}
	for name, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if !slices.Contains(p.FieldNames(), name) {
			if len(p.Fields) == 0 {
				return "", &ValidationError{name, fmt.Sprintf("the %s preset takes no %s", p.Name, name)}
			}
			return "", &ValidationError{name, fmt.Sprintf("the %s preset takes no %s; it takes: %s", p.Name, name, strings.Join(p.FieldNames(), ", "))}
		}
		filled[name] = strings.TrimSpace(v)
	}
	for _, f := range p.Fields {
		v, ok := filled[f.Name]
		if !ok {
			if f.Default == "" {
				return "", &ValidationError{f.Name, fmt.Sprintf("the %s preset needs the %s: %s (for example %s)", p.Name, strings.ToLower(f.Label), f.Help, f.Example)}
			}
			v = f.Default
		}
		clean, err := cleanFieldValue(f.Name, v)
		if err != nil {
			return "", &ValidationError{f.Name, err.Error()}
		}
		filled[f.Name] = clean
	}

	// {site_host} is the site's host[:port], as git names it, for the preset's git hosts.
	if site, ok := filled[FieldSite]; ok {
		if u, err := url.Parse(site); err == nil {
			filled["site_host"] = strings.ToLower(u.Host)
		}
	}

	doc := *app
	doc.Scopes, doc.QueryParameters = slices.Clone(app.Scopes), slices.Clone(app.QueryParameters)
	doc.GitHosts = slices.Clone(app.GitHosts)
	if err := json.Unmarshal(p.App, &doc); err != nil {
		return "", fmt.Errorf("the %s preset's document is not valid: %w", p.Name, err)
	}
	for _, s := range doc.templatedStrings() {
		*s = fillTemplate(*s, filled)
	}
	for i := range doc.QueryParameters {
		doc.QueryParameters[i].Value = fillTemplate(doc.QueryParameters[i].Value, filled)
	}
	for i := range doc.GitHosts {
		doc.GitHosts[i] = fillTemplate(doc.GitHosts[i], filled)
	}
	if doc.Scopes == nil {
		doc.Scopes = []string{}
	}
	if doc.QueryParameters == nil {
		doc.QueryParameters = []QueryParameter{}
	}
	doc.Preset = p.ID
	*app = doc
	return fillTemplate(p.RegistrationURL, filled), nil
}

// templatedStrings are the document's fields that may hold {field} templates.
func (a *App) templatedStrings() []*string {
	var out []*string
	for _, f := range Endpoints() {
		out = append(out, f.Text(a))
	}
	return out
}

func fillTemplate(s string, values map[string]string) string {
	for k, v := range values {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

var (
	// The length is checked apart: `{0,253}` compiles to 253 copies of the class, 0.4 ms of
	// start-up in every run of the command line.
	tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)
	domainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+(:[0-9]{1,5})?$`)
)

// cleanFieldValue checks a field value and returns it in the form the templates expect, so a
// value can never change which host or path an endpoint points at beyond its own place.
func cleanFieldValue(name, v string) (string, error) {
	switch name {
	case FieldTenant:
		if len(v) > 254 || !tenantPattern.MatchString(v) {
			return "", fmt.Errorf("tenant %q is not a tenant ID or domain (letters, digits, dots and dashes)", v)
		}
		return v, nil
	case FieldRealm:
		// "." and ".." would be resolved away by the server, moving every endpoint up a level.
		if strings.ContainsAny(v, "/?#") || strings.TrimSpace(v) != v || v == "." || v == ".." {
			return "", fmt.Errorf("realm %q may not be . or .., nor contain /, ?, # or edge spaces", v)
		}
		return url.PathEscape(v), nil
	case FieldDomain:
		d := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://"), "/")
		if !domainPattern.MatchString(d) {
			return "", fmt.Errorf("domain %q is not a host name such as dev-123456.okta.com", v)
		}
		return strings.ToLower(d), nil
	case FieldSite:
		s := strings.TrimRight(v, "/")
		if err := CheckEndpointURL(s); err != nil {
			return "", fmt.Errorf("site: %v", err)
		}
		u, _ := url.Parse(s)
		// An empty query or fragment ("https://h/a#") counts too: what the template appends
		// after it would leave the path.
		if u.User != nil || strings.ContainsAny(s, "?#{}") {
			return "", fmt.Errorf("site %q must be a plain address such as https://erp.example.com", v)
		}
		return s, nil
	}
	return "", fmt.Errorf("unknown preset field %q", name)
}

// RefreshTokenNotes are the preset's quirks that say what the provider does with refresh
// tokens (when it gives one, whether a refresh rotates it), for inspect; none when the
// preset says nothing of them.
func (p Preset) RefreshTokenNotes() []string {
	var out []string
	for _, q := range p.Quirks {
		if strings.Contains(strings.ToLower(q), "refresh token") {
			out = append(out, q)
		}
	}
	return out
}
