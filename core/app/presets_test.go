package app

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"connectedapps/core/fail"
)

// presetValues are the examples a preset's fields carry, as a person would type them.
func presetValues(p Preset) map[string]string {
	v := map[string]string{}
	for _, f := range p.Fields {
		v[f.Name] = f.Example
	}
	return v
}

var (
	// A quirk is one sentence: a full stop at the end and none in between.
	sentenceBreak = regexp.MustCompile(`[.!?]\s+\S`)
	leftTemplate  = regexp.MustCompile(`\{[a-z_]+\}`)
)

// TestEveryPresetIsCompleteAndWellFormed checks each preset's data, since the providers
// themselves are out of reach here: filled with its example values it must give https
// endpoints with nothing left unfilled, a registration page, and one-sentence quirks.
func TestEveryPresetIsCompleteAndWellFormed(t *testing.T) {
	all, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range all {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, presetOrder) {
		t.Fatalf("presets = %v, want %v", ids, presetOrder)
	}
	files, _ := presetFiles.ReadDir("presets")
	for _, f := range files {
		if id := strings.TrimSuffix(f.Name(), ".json"); !slices.Contains(ids, id) {
			t.Errorf("presets/%s: its id does not match the file name", f.Name())
		}
	}
	for _, p := range all {
		t.Run(p.ID, func(t *testing.T) {
			if p.Name == "" || p.Registration == "" || p.RedirectAdvice == "" {
				t.Errorf("name, registration or redirect advice missing: %+v", p)
			}
			if len(p.Quirks) == 0 {
				t.Error("no quirks")
			}
			for _, q := range p.Quirks {
				if !strings.HasSuffix(q, ".") || sentenceBreak.MatchString(strings.TrimSuffix(q, ".")) || strings.ContainsAny(q, "\n\t") {
					t.Errorf("quirk is not one sentence: %q", q)
				}
			}
			for _, f := range p.Fields {
				if !slices.Contains([]string{FieldTenant, FieldRealm, FieldSite, FieldDomain}, f.Name) || f.Label == "" || f.Help == "" || f.Example == "" {
					t.Errorf("field %+v is incomplete or unknown", f)
				}
			}

			app := NewApp("From " + p.Name)
			reg, err := p.Apply(&app, presetValues(p))
			if err != nil {
				t.Fatalf("Apply with the example values: %v", err)
			}
			if app.Preset != p.ID {
				t.Errorf("Preset = %q", app.Preset)
			}
			if !p.Generic {
				if u, err := url.Parse(reg); err != nil || u.Scheme != "https" || u.Host == "" || leftTemplate.MatchString(reg) {
					t.Errorf("registration URL %q is not a filled https URL", reg)
				}
				if app.AuthorizationURI == "" || app.TokenURI == "" {
					t.Errorf("no authorization or token URI: adding would not work offline")
				}
				if app.UsesOpenID() && (app.Issuer == "" || app.JWKSURI == "") {
					t.Errorf("asks for openid without an issuer and JWKS URI to check ID tokens")
				}
			}
			for _, s := range app.templatedStrings() {
				if *s == "" {
					continue
				}
				u, err := url.Parse(*s)
				if err != nil || u.Scheme != "https" || u.Host == "" {
					t.Errorf("%q is not an https URL", *s)
				}
				rest := *s
				if s == &app.Issuer {
					rest = strings.ReplaceAll(rest, TenantIDPlaceholder, "")
				}
				if leftTemplate.MatchString(rest) || strings.ContainsAny(rest, "{}") {
					t.Errorf("%q has an unfilled template", *s)
				}
			}
			app.ClientID = "client-id"
			if !p.Generic {
				if err := app.Validate(); err != nil {
					t.Errorf("the filled document is invalid: %v", err)
				}
			}
			if p.Generic {
				app.AuthorizationURI, app.TokenURI = "https://idp.example/auth", "https://idp.example/token"
				if err := app.Validate(); err != nil {
					t.Errorf("the generic document with endpoints is invalid: %v", err)
				}
			}
			// A field without a default is required; with one, leaving it out still fills.
			for _, f := range p.Fields {
				values := presetValues(p)
				delete(values, f.Name)
				a := NewApp("X")
				_, err := p.Apply(&a, values)
				var ve *ValidationError
				switch {
				case f.Default == "" && (!errors.As(err, &ve) || ve.Field != f.Name):
					t.Errorf("without %s: err = %v; want a ValidationError naming it", f.Name, err)
				case f.Default != "" && err != nil:
					t.Errorf("without %s (default %s): %v", f.Name, f.Default, err)
				}
			}
			// A field it does not take is refused, naming the field.
			unknown := FieldRealm
			if slices.Contains(p.FieldNames(), FieldRealm) {
				unknown = FieldTenant
			}
			values := presetValues(p)
			values[unknown] = "x"
			var ve *ValidationError
			a := NewApp("Y")
			if _, err := p.Apply(&a, values); !errors.As(err, &ve) || ve.Field != unknown {
				t.Errorf("an unknown field: err = %v", err)
			}
		})
	}
}

// TestPresetsCarryTheProviderFacts pins what each named provider is known to need.
func TestPresetsCarryTheProviderFacts(t *testing.T) {
	fill := func(id string, values map[string]string) App {
		t.Helper()
		p, err := PresetByID(id)
		if err != nil {
			t.Fatal(err)
		}
		a := NewApp(id)
		if _, err := p.Apply(&a, values); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return a
	}
	param := func(a App, k string) string {
		for _, p := range a.QueryParameters {
			if p.Key == k {
				return p.Value
			}
		}
		return ""
	}
	g := fill("Google", nil) // ids are matched without regard to case
	if param(g, "access_type") != "offline" || param(g, "prompt") != "consent" || !slices.Contains(g.Scopes, "openid") || !slices.Contains(g.Scopes, "email") || g.RedirectPort != 0 {
		t.Errorf("google: %+v", g)
	}
	m := fill("microsoft", nil)
	if m.TokenURI != "https://login.microsoftonline.com/common/oauth2/v2.0/token" || m.Issuer != "https://login.microsoftonline.com/{tenantid}/v2.0" ||
		!m.MultiTenantIssuer() || !slices.Contains(m.Scopes, "offline_access") || m.RedirectHost != HostLocalhost {
		t.Errorf("microsoft: %+v", m)
	}
	if m := fill("microsoft", map[string]string{FieldTenant: "contoso.onmicrosoft.com"}); m.AuthorizationURI != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize" {
		t.Errorf("microsoft with a tenant: %s", m.AuthorizationURI)
	}
	gh := fill("github", nil)
	if gh.OpenIDConfiguration != "" || gh.UsesOpenID() || gh.Issuer != "" || gh.UserinfoURI != "https://api.github.com/user" ||
		gh.DeviceAuthorizationURI != "https://github.com/login/device/code" || gh.TokenURI != "https://github.com/login/oauth/access_token" {
		t.Errorf("github: %+v", gh)
	}
	if gl := fill("gitlab", nil); gl.Issuer != "https://gitlab.com" || gl.DeviceAuthorizationURI != "https://gitlab.com/oauth/authorize_device" {
		t.Errorf("gitlab.com: %+v", gl)
	}
	fr := fill("frappe", map[string]string{FieldSite: "https://erp.example.com/"})
	if fr.Issuer != "https://erp.example.com" || fr.TokenURI != "https://erp.example.com/api/method/frappe.integrations.oauth2.get_token" ||
		fr.AuthorizationURI != "https://erp.example.com/api/method/frappe.integrations.oauth2.authorize" || fr.UsesOpenID() {
		t.Errorf("frappe: %+v", fr)
	}
	kc := fill("keycloak", map[string]string{FieldSite: "https://sso.example.com", FieldRealm: "my realm"})
	if kc.Issuer != "https://sso.example.com/realms/my%20realm" || kc.JWKSURI != "https://sso.example.com/realms/my%20realm/protocol/openid-connect/certs" {
		t.Errorf("keycloak: %+v", kc)
	}
	if ok := fill("okta", map[string]string{FieldDomain: "https://Dev-1.okta.com/"}); ok.Issuer != "https://dev-1.okta.com/oauth2/default" {
		t.Errorf("okta: %s", ok.Issuer)
	}
	if a0 := fill("auth0", map[string]string{FieldDomain: "example.eu.auth0.com"}); a0.Issuer != "https://example.eu.auth0.com/" {
		t.Errorf("auth0: %s", a0.Issuer)
	}
}

func TestPresetFieldValuesAreChecked(t *testing.T) {
	for _, c := range []struct{ id, field, value string }{
		{"microsoft", FieldTenant, "common/../evil"},
		{"microsoft", FieldTenant, "a b"},
		{"okta", FieldDomain, "evil.example/path"},
		{"okta", FieldDomain, "localhost"},
		{"frappe", FieldSite, "http://erp.example.com"},
		{"frappe", FieldSite, "https://erp.example.com?x=1"},
		{"frappe", FieldSite, "erp.example.com"},
		{"keycloak", FieldRealm, "a/b"},
	} {
		p, _ := PresetByID(c.id)
		values := presetValues(p)
		values[c.field] = c.value
		a := NewApp("X")
		var ve *ValidationError
		if _, err := p.Apply(&a, values); !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s %s=%q: err = %v", c.id, c.field, c.value, err)
		}
	}
	if _, err := PresetByID("nope"); !errors.Is(err, fail.ErrNotFound) || !strings.Contains(err.Error(), "google") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestPresetApplyKeepsTheFormsOwnValues(t *testing.T) {
	p, _ := PresetByID("github")
	a := NewApp("Mine")
	a.ClientID = "typed-already"
	if _, err := p.Apply(&a, nil); err != nil {
		t.Fatal(err)
	}
	if a.ClientID != "typed-already" || a.ProviderName != "Mine" || a.ID == "" {
		t.Errorf("Apply lost the form's values: %+v", a)
	}
}

// The GitHub and GitLab presets name the host git-credential may hand their token to; a
// self-managed GitLab gets its own host (port included, as git names it), nothing else.
func TestGitPresetsFillTheirGitHosts(t *testing.T) {
	for _, c := range []struct {
		preset string
		values map[string]string
		want   string
	}{
		{"github", nil, "github.com"},
		{"gitlab", nil, "gitlab.com"},
		{"gitlab", map[string]string{FieldSite: "https://Git.Example.com:8443/"}, "git.example.com:8443"},
	} {
		p, err := PresetByID(c.preset)
		if err != nil {
			t.Fatal(err)
		}
		app := NewApp("X")
		app.ClientID = "c"
		if _, err := p.Apply(&app, c.values); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(app.GitHosts) != "["+c.want+"]" || !app.HasGitHost(strings.ToUpper(c.want)) || app.HasGitHost("evil.example") {
			t.Errorf("%s %v: git hosts %v, want [%s]", c.preset, c.values, app.GitHosts, c.want)
		}
		if err := app.Validate(); err != nil {
			t.Errorf("%s: %v", c.preset, err)
		}
	}
	google, _ := PresetByID("google")
	app := NewApp("G")
	_, _ = google.Apply(&app, nil)
	if len(app.GitHosts) != 0 {
		t.Errorf("google has git hosts: %v", app.GitHosts)
	}
}
