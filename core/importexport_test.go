package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

const googleInstalled = `{"installed":{"client_id":"1234-abc.apps.googleusercontent.com","project_id":"mail-reader",
 "auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token",
 "auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs","client_secret":"GOCSPX-secret-value",
 "redirect_uris":["http://localhost"]}}`

const googleWeb = `{"web":{"client_id":"5678-web.apps.googleusercontent.com","project_id":"site",
 "auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token",
 "client_secret":"GOCSPX-web-secret","redirect_uris":["https://site.example/oauth2callback","http://127.0.0.1:9004/callback","http://localhost:8080/other"],
 "javascript_origins":["https://site.example"]}}`

func TestParseGoogleClientFiles(t *testing.T) {
	apps, err := ParseImport([]byte(googleInstalled))
	if err != nil || len(apps) != 1 {
		t.Fatalf("installed: %v %v", apps, err)
	}
	a := apps[0]
	if a.Format != "google" || a.App.ClientID != "1234-abc.apps.googleusercontent.com" || a.Secret == nil || *a.Secret != "GOCSPX-secret-value" ||
		a.App.AuthorizationURI != "https://accounts.google.com/o/oauth2/auth" || a.App.TokenURI != "https://oauth2.googleapis.com/token" ||
		a.App.RedirectHost != HostLocalhost || a.App.RedirectPort != 0 || a.App.Preset != "google" || a.App.Issuer != "https://accounts.google.com" ||
		a.App.JWKSURI == "" || len(a.Notes) != 0 {
		t.Errorf("installed client: %+v", a)
	}

	apps, err = ParseImport([]byte(googleWeb))
	if err != nil {
		t.Fatal(err)
	}
	w := apps[0]
	if w.App.RedirectHost != HostIPv4 || w.App.RedirectPort != 9004 || w.App.RedirectURI() != "http://127.0.0.1:9004/callback" {
		t.Errorf("web client redirect: %s", w.App.RedirectURI())
	}
	if len(w.Notes) != 2 || !strings.Contains(w.Notes[0], "https://site.example/oauth2callback is not usable by a desktop app") ||
		!strings.Contains(w.Notes[1], "http://localhost:8080/other") || !strings.Contains(w.Notes[1], "/callback") {
		t.Errorf("notes: %q", w.Notes)
	}

	// No usable URI at all: the default one, and a note saying to register it.
	apps, err = ParseImport([]byte(`{"web":{"client_id":"c","client_secret":"s","redirect_uris":["https://a.example/cb"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if n := apps[0].Notes; len(n) != 2 || !strings.Contains(n[1], "http://127.0.0.1:8765/callback") {
		t.Errorf("no loopback URI: %q", n)
	}
}

func TestLoopbackRedirect(t *testing.T) {
	for raw, want := range map[string]struct {
		host string
		port int
		ok   bool
	}{
		"http://localhost":                {HostLocalhost, 0, true},
		"http://127.0.0.1:8765/callback":  {HostIPv4, 8765, true},
		"http://[::1]:9000/callback":      {HostIPv6, 9000, true},
		"https://localhost:8765/callback": {"", 0, false},
		"http://192.168.1.2/callback":     {"", 0, false},
		"urn:ietf:wg:oauth:2.0:oob":       {"", 0, false},
		"http://localhost:0/callback":     {"", 0, false},
	} {
		host, port, _, why := loopbackRedirect(raw, true)
		if (why == "") != want.ok || host != want.host || port != want.port {
			t.Errorf("%s: %q %d %q", raw, host, port, why)
		}
	}
	for _, bad := range []string{"http://127.0.0.1:1/elsewhere", "http://127.0.0.1:1", "http://127.0.0.1:1/callback/", "http://127.0.0.1:1/callback/Up/x"} {
		if _, _, _, why := loopbackRedirect(bad, false); !strings.Contains(why, "/callback") {
			t.Errorf("a web client's path %s: %q", bad, why)
		}
	}
	// A web client compares the path too, so an app's own path is taken as registered.
	for raw, want := range map[string]string{"http://127.0.0.1:1/callback": "/callback", "http://127.0.0.1:1/callback/erp-2": "/callback/erp-2"} {
		if _, _, path, why := loopbackRedirect(raw, false); why != "" || path != want {
			t.Errorf("%s: path %q, %q; want %q", raw, path, why, want)
		}
	}
}

func TestImportRefusesATakenNameUnlessRenamed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	res, err := f.svc.Import(context.Background(), []byte(googleInstalled), "")
	if err != nil || len(res) != 1 || res[0].App.ProviderName != "Google" || !res[0].App.HasClientSecret {
		t.Fatalf("first import: %+v %v", res, err)
	}
	if v, _ := f.mem.Get(clientSecretKey(res[0].App.ID)); v != "GOCSPX-secret-value" {
		t.Errorf("secret in the keyring: %q", v)
	}
	data, _ := readRegistryFile(t, f.svc)
	if strings.Contains(data, "GOCSPX") {
		t.Error("the client secret reached apps.json")
	}
	if _, err := f.svc.Import(context.Background(), []byte(googleInstalled), ""); !errors.Is(err, ErrInvalid) || fail.RemedyOf(err).Do != fail.ImportAs {
		t.Fatalf("second import under the same name: %v", err)
	}
	res, err = f.svc.Import(context.Background(), []byte(googleInstalled), "Google Work")
	if err != nil || res[0].App.ProviderName != "Google Work" {
		t.Fatalf("--as: %+v %v", res, err)
	}
}

// The window's table: of a file's two apps, one is renamed past a taken name and the other
// skipped; a conflict left as it is registers nothing.
func TestImportWithRenamesAndSkipsPerApp(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	if _, err := f.svc.Import(ctx, []byte(frappeExport), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ImportWith(ctx, []byte(frappeExport), []ImportChoice{{Name: "Mail, second"}, {}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"Partner" already exists`) {
		t.Fatalf("the second app's taken name left as it is: %v", err)
	}
	if apps, _ := f.svc.List(); len(apps) != 2 {
		t.Fatalf("an unresolved conflict registered something: %d apps", len(apps))
	}
	res, err := f.svc.ImportWith(ctx, []byte(frappeExport), []ImportChoice{{Name: " Mail, second "}, {Skip: true}})
	if err != nil || len(res) != 1 || res[0].App.ProviderName != "Mail, second" {
		t.Fatalf("renamed one, skipped one: %+v %v", res, err)
	}
	apps, _ := f.svc.List()
	if len(apps) != 3 {
		t.Fatalf("%d apps; want 3", len(apps))
	}
	if _, err := f.mem.Get(clientSecretKey(res[0].App.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the masked secret was kept: %v", err)
	}
	if res, err := f.svc.ImportWith(ctx, []byte(frappeExport), []ImportChoice{{Skip: true}, {Skip: true}}); err != nil || len(res) != 0 {
		t.Errorf("everything skipped: %+v %v", res, err)
	}
}

func readRegistryFile(t *testing.T, svc *Service) (string, error) {
	t.Helper()
	apps, err := svc.Registry.Load()
	b, _ := json.Marshal(apps)
	return string(b), err
}

// A Frappe export as Frappe writes it: child rows with their bookkeeping fields, a masked
// secret, and Frappe's own web callback.
const frappeExport = `[{"name":"d3b0a1c2","doctype":"Connected App","provider_name":"Google Mail Integration",
 "openid_configuration":"","client_id":"g-client","client_secret":"*****************",
 "redirect_uri":"https://erp.example.com/api/method/frappe.integrations.doctype.connected_app.connected_app.callback/d3b0a1c2",
 "authorization_uri":"https://accounts.google.com/o/oauth2/v2/auth","token_uri":"https://oauth2.googleapis.com/token",
 "revocation_uri":"https://oauth2.googleapis.com/revoke","userinfo_uri":"https://openidconnect.googleapis.com/v1/userinfo",
 "introspection_uri":"",
 "scopes":[{"name":"r1","parent":"d3b0a1c2","parentfield":"scopes","idx":1,"doctype":"OAuth Scope","scope":"https://mail.google.com/"}],
 "query_parameters":[{"name":"q1","idx":1,"key":"access_type","value":"offline"},{"name":"q2","idx":2,"key":"prompt","value":"consent"}]},
 {"doctype":"Connected App","provider_name":"Partner","client_id":"p","client_secret":"real-secret",
 "authorization_uri":"https://partner.example/auth","token_uri":"https://partner.example/token","scopes":[],"query_parameters":[]}]`

func TestImportFrappeDocuments(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	res, err := f.svc.Import(context.Background(), []byte(frappeExport), "")
	if err != nil || len(res) != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	g := res[0].App
	if g.ProviderName != "Google Mail Integration" || g.ClientID != "g-client" || !slices.Equal(g.Scopes, []string{"https://mail.google.com/"}) ||
		!reflect.DeepEqual(g.QueryParameters, []QueryParameter{{Key: "access_type", Value: "offline"}, {Key: "prompt", Value: "consent"}}) ||
		g.RedirectURI() != "http://127.0.0.1:8765/callback/google-mail-integration" || g.HasClientSecret || g.RevocationURI != "https://oauth2.googleapis.com/revoke" {
		// Frappe's own redirect URI is its web callback: the app is new here and gets its own path.
		t.Errorf("Frappe document: %+v", g)
	}
	if p := res[1].App; !p.HasClientSecret {
		t.Errorf("a real secret in a Frappe document was not kept: %+v", p)
	} else if v, _ := f.mem.Get(clientSecretKey(p.ID)); v != "real-secret" {
		t.Errorf("secret = %q", v)
	}
	// One document alone, and Frappe's REST wrapper, read too.
	svc2 := newFixture(t, fixtureOpts{}).svc
	one := `{"data":{"provider_name":"Solo","client_id":"s","authorization_uri":"https://s.example/a","token_uri":"https://s.example/t","scopes":[{"scope":"a b"}]}}`
	res, err = svc2.Import(context.Background(), []byte(one), "")
	if err != nil || res[0].App.ProviderName != "Solo" || !slices.Equal(res[0].App.Scopes, []string{"a", "b"}) {
		t.Fatalf("single wrapped document: %+v %v", res, err)
	}
	// --as cannot rename several at once; a taken name in a batch registers nothing.
	if _, err := svc2.Import(context.Background(), []byte(frappeExport), "X"); !errors.Is(err, ErrInvalid) {
		t.Errorf("--as with two documents: %v", err)
	}
	batch := `[{"provider_name":"New","client_id":"n","authorization_uri":"https://n.example/a","token_uri":"https://n.example/t"},
		{"provider_name":"solo","client_id":"s","authorization_uri":"https://s.example/a","token_uri":"https://s.example/t"}]`
	if _, err := svc2.Import(context.Background(), []byte(batch), ""); err == nil {
		t.Error("a batch with a taken name was imported")
	}
	if _, err := svc2.Get("New"); !errors.Is(err, ErrNotFound) {
		t.Errorf("part of a refused batch was registered: %v", err)
	}
}

func TestImportFrappeDiscoversIssuerAndKeys(t *testing.T) {
	srv := oauthtest.NewProvider(t)
	srv.Handle("/.well-known/openid-configuration", oauthtest.Always(http.StatusOK, map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/discovered/auth",
		"token_endpoint": srv.URL + "/discovered/token", "jwks_uri": srv.URL + "/keys", "device_authorization_endpoint": srv.URL + "/device"}))
	svc := newFixture(t, fixtureOpts{provider: srv}).svc
	doc := `{"provider_name":"OIDC","client_id":"c","openid_configuration":"` + srv.URL + `/.well-known/openid-configuration",
		"authorization_uri":"` + srv.URL + `/doc/auth","token_uri":"` + srv.URL + `/doc/token","scopes":[{"scope":"openid"}]}`
	res, err := svc.Import(context.Background(), []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	a := res[0].App
	if a.Issuer != srv.URL || a.JWKSURI != srv.URL+"/keys" || a.DeviceAuthorizationURI != srv.URL+"/device" ||
		a.AuthorizationURI != srv.URL+"/doc/auth" || a.TokenURI != srv.URL+"/doc/token" || len(res[0].Notes) != 0 {
		t.Errorf("discovery should fill only what the document lacks: %+v %q", a, res[0].Notes)
	}
	// A file naming another issuer than its discovery document keeps the file's, and says so
	// with the remedy (the Issuer field), as add does.
	other := strings.Replace(doc, `"client_id":"c",`, `"client_id":"c","issuer":"https://elsewhere.example",`, 1)
	res, err = svc.Import(context.Background(), []byte(other), "OIDC elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	if a := res[0].App; a.Issuer != "https://elsewhere.example" || a.JWKSURI != srv.URL+"/keys" || len(res[0].Notes) != 1 ||
		!strings.Contains(res[0].Notes[0], `names the issuer "`+srv.URL+`", not the kept issuer "https://elsewhere.example"`) ||
		res[0].Fixes[0] != (fail.Remedy{Do: fail.FixField, Field: FieldIssuer, App: "OIDC elsewhere"}) {
		t.Errorf("a contradicted issuer: %+v %q %+v", a, res[0].Notes, res[0].Fixes)
	}
	// Unreachable discovery: imported all the same, with a note.
	srv.Close()
	res, err = svc.Import(context.Background(), []byte(doc), "OIDC 2")
	if err != nil || len(res[0].Notes) != 1 || len(res[0].Fixes) != 1 || res[0].Fixes[0] != fail.UseDiscoveryFor("OIDC 2") {
		t.Errorf("offline: %+v %v", res, err)
	}
}

func TestExportWritesNoSecretAndRoundTrips(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	secret := "never-exported-secret"
	app := NewApp("Machine")
	app.ClientID, app.TokenURI, app.GrantType = "m", "https://m.example/token", GrantClientCredentials
	app.Scopes = []string{"a", "b"}
	app.QueryParameters = []QueryParameter{{Key: "audience", Value: "https://api"}}
	app.RedirectPort, app.PKCE = 0, false
	added, err := f.svc.Add(app, &secret)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.mem.Set(appTokensKey(t, f.svc, added.ID), `{"access_token":"never-exported-token"}`)
	_ = f.svc.Registry.UpdateApp(added.ID, func(a *App) error {
		a.SetConnection(&Connection{State: StateConnected, Subject: "sub-1", Email: "who@example.com"})
		return nil
	})
	if _, err := f.svc.Import(context.Background(), []byte(googleInstalled), ""); err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Export()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "never-exported-token", "GOCSPX", "who@example.com", "sub-1", `"client_secret"`, "has_client_secret", `"connection"`, added.ID} {
		if strings.Contains(string(out), s) {
			t.Errorf("export contains %q:\n%s", s, out)
		}
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil || len(docs) != 2 || docs[0]["provider_name"] != "Google" || docs[1]["doctype"] != "Connected App" {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if scopes, _ := docs[1]["scopes"].([]any); len(scopes) != 2 || scopes[0].(map[string]any)["scope"] != "a" {
		t.Errorf("scopes as rows: %v", docs[1]["scopes"])
	}
	if _, err := f.svc.Export("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}

	// Back in, elsewhere: the same documents, minus what is never exported.
	other := newFixture(t, fixtureOpts{}).svc
	res, err := other.Import(context.Background(), out, "")
	if err != nil || len(res) != 2 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	back := res[1].App
	if back.GrantType != GrantClientCredentials || back.RedirectPort != 0 || back.PKCE || !slices.Equal(back.Scopes, app.Scopes) ||
		!reflect.DeepEqual(back.QueryParameters, app.QueryParameters) || back.HasClientSecret || back.Connection() != nil ||
		!strings.Contains(strings.Join(res[1].Notes, " "), "client secret") {
		t.Errorf("round trip: %+v %q", back, res[1].Notes)
	}
	if g := res[0].App; g.Preset != "google" || g.RedirectHost != HostLocalhost || g.Issuer != "https://accounts.google.com" {
		t.Errorf("google round trip: %+v", g)
	}
}

func TestParseImportRefusesOtherFiles(t *testing.T) {
	for _, bad := range []string{``, `nonsense`, `{"foo":1}`, `[]`, `[{"client_id":"x"}]`, `{"installed":{}}`} {
		if _, err := ParseImport([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// A Google client file is trusted for its client only: an endpoint on any host but Google's
// (a look-alike, plain http, another port) refuses the whole file, and nothing is stored.
func TestGoogleClientFileWithForeignEndpointsIsRefused(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, c := range []struct{ old, new, host string }{
		{"https://oauth2.googleapis.com/token", "https://evil.example/token", "evil.example"},
		{"https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com.evil.example/token", "oauth2.googleapis.com.evil.example"},
		{"https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com:8443/token", "oauth2.googleapis.com:8443"},
		{"https://accounts.google.com/o/oauth2/auth", "http://accounts.google.com/o/oauth2/auth", "accounts.google.com"},
		{"https://www.googleapis.com/oauth2/v1/certs", "https://evil.example/certs", "evil.example"},
		{"https://accounts.google.com/o/oauth2/auth", "https://evil.example\x1b[2J/auth", `https://evil.example\x1b[2J/auth`}, // shown escaped
	} {
		file := strings.Replace(strings.Replace(googleInstalled, c.old, c.new, 1), "\x1b", `\u001b`, 1)
		_, err := f.svc.Import(context.Background(), []byte(file), "")
		if err == nil || !strings.Contains(err.Error(), "points at "+c.host) || !strings.Contains(err.Error(), "not Google's") || strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%s: %v", c.new, err)
		}
	}
	if apps, _ := f.svc.List(); len(apps) != 0 {
		t.Fatalf("registered: %v", apps)
	}
	if keys := f.mem.Keys(); len(keys) != 0 {
		t.Fatalf("stored: %v", keys)
	}
	// Google's own hosts, in any case, still import.
	if _, err := f.svc.Import(context.Background(), []byte(strings.Replace(googleInstalled, "oauth2.googleapis.com", "OAuth2.GoogleAPIs.com", 1)), ""); err != nil {
		t.Fatalf("Google's own endpoints: %v", err)
	}
}
