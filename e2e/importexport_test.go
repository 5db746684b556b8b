package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// Every preset is listed, and one fills a complete document offline: the discovery URL it
// names is never fetched (nothing listens at sso.example.invalid), yet the app is
// registered with every endpoint, exports, and imports back the same.
func TestPresetFillsADocumentOfflineAndRoundTrips(t *testing.T) {
	u := newUser(t)
	out := u.ok("", "presets")
	for _, id := range []string{"google", "microsoft", "github", "gitlab", "frappe", "keycloak", "okta", "auth0", "generic-oidc", "generic-oauth2"} {
		if !strings.Contains(out, "\n"+id+" ") {
			t.Errorf("presets does not list %s:\n%s", id, out)
		}
	}
	out = u.ok("", "add", "Company SSO", "--preset", "keycloak", "--site", "https://sso.example.invalid/", "--realm", "staff", "--client-id", "desktop")
	if !strings.Contains(out, "Register the client at: https://sso.example.invalid/admin/master/console/#/staff/clients") || !strings.Contains(out, "Keycloak: ") {
		t.Fatalf("add --preset:\n%s", out)
	}
	a := u.show("Company SSO")
	base := "https://sso.example.invalid/realms/staff"
	have := map[string]string{"issuer": a.Issuer, "openid_configuration": a.OpenIDConfiguration, "authorization_uri": a.AuthorizationURI,
		"token_uri": a.TokenURI, "revocation_uri": a.RevocationURI, "userinfo_uri": a.UserinfoURI, "introspection_uri": a.IntrospectionURI,
		"device_authorization_uri": a.DeviceAuthorizationURI, "jwks_uri": a.JWKSURI}
	for field, want := range map[string]string{
		"issuer": base, "openid_configuration": base + "/.well-known/openid-configuration", "authorization_uri": base + "/protocol/openid-connect/auth",
		"token_uri": base + "/protocol/openid-connect/token", "revocation_uri": base + "/protocol/openid-connect/revoke",
		"userinfo_uri": base + "/protocol/openid-connect/userinfo", "introspection_uri": base + "/protocol/openid-connect/token/introspect",
		"device_authorization_uri": base + "/protocol/openid-connect/auth/device", "jwks_uri": base + "/protocol/openid-connect/certs",
	} {
		if have[field] != want {
			t.Errorf("%s = %q, want %q", field, have[field], want)
		}
	}
	if a.Preset != "keycloak" || a.ClientID != "desktop" || a.RedirectURI != "http://127.0.0.1:8765/callback/company-sso" || strings.Join(a.Scopes, " ") != "openid profile email" {
		t.Errorf("document: %+v", a.App)
	}

	// Export, then import into another person's registry: the same document.
	exported := u.ok("", "export", "company sso")
	file := filepath.Join(t.TempDir(), "connected-apps.json")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	v := newUser(t)
	if out := v.ok("", "import", file); !strings.Contains(out, "Imported Company SSO.") {
		t.Fatalf("import:\n%s", out)
	}
	b := v.show("Company SSO")
	a.ID, b.ID = "", ""
	if !reflect.DeepEqual(a.App, b.App) {
		t.Errorf("round trip changed the document:\n got %+v\nwant %+v", b.App, a.App)
	}
}

// The generic OpenID Connect preset with discovery against the real provider signs in.
func TestGenericPresetWithDiscoveryConnects(t *testing.T) {
	u := newUser(t)
	u.ok("", "add", "Generic", "--preset", "generic-oidc", "--discovery", op.Issuer, "--client-id", testkit.NativeClientID, "--redirect-port", "0")
	if out := u.ok("", "connect", "Generic"); !strings.Contains(out, "Connected Generic as Test User") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("connect:\n%s", out)
	}
}

// A client_secret_*.json as Google Cloud Console writes it, for a Desktop app client and a
// Web application client.
func TestImportGoogleClientFiles(t *testing.T) {
	u := newUser(t)
	dir := t.TempDir()
	const clientSecret = "GOCSPX-e2e-Zk3-secret"
	installed := filepath.Join(dir, "client_secret_1234-desk.apps.googleusercontent.com.json")
	writeJSON(t, installed, map[string]any{"installed": map[string]any{"client_id": "1234-desk.apps.googleusercontent.com", "project_id": "mail-reader",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs", "client_secret": clientSecret, "redirect_uris": []string{"http://localhost"}}})
	out := u.ok("", "import", installed)
	if !strings.Contains(out, "Imported Google.") || !strings.Contains(out, "Redirect URI: http://localhost/callback/google (any port)") || strings.Contains(out, clientSecret) {
		t.Fatalf("import installed:\n%s", out)
	}
	g := u.show("Google")
	if g.ClientID != "1234-desk.apps.googleusercontent.com" || !g.HasClientSecret || g.RedirectHost != "localhost" || g.RedirectPort != 0 ||
		g.AuthorizationURI != "https://accounts.google.com/o/oauth2/auth" || g.Issuer != "https://accounts.google.com" || g.Preset != "google" {
		t.Fatalf("imported Google app: %+v", g.App)
	}
	if got, err := secret.NewSystemStore().Get("app/" + g.ID + "/client_secret"); err != nil || got != clientSecret {
		t.Fatalf("the secret in the keyring: %q %v", got, err)
	}
	_ = filepathWalkNoSecret(t, u.configDir, clientSecret)

	// Taken name: refused, nothing changed; --as imports it under another.
	u.fails(1, "", []string{"import", installed}, `an app named "Google" already exists`, "--as")
	web := filepath.Join(dir, "client_secret_5678-web.apps.googleusercontent.com.json")
	writeJSON(t, web, map[string]any{"web": map[string]any{"client_id": "5678-web.apps.googleusercontent.com", "client_secret": "GOCSPX-web",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
		"redirect_uris": []string{"https://erp.example.com/api/method/callback", "http://127.0.0.1:9004/callback"}, "javascript_origins": []string{"https://erp.example.com"}}})
	out = u.ok("", "import", web, "--as", "Google Web")
	if !strings.Contains(out, "Imported Google Web.") || !strings.Contains(out, "Redirect URI: http://127.0.0.1:9004/callback") ||
		!strings.Contains(out, "Note: redirect URI https://erp.example.com/api/method/callback is not usable by a desktop app") {
		t.Fatalf("import web:\n%s", out)
	}
	u.fails(1, "", []string{"import", filepath.Join(dir, "nope.json")}, "no such file")
	bad := filepath.Join(dir, "other.json")
	writeJSON(t, bad, map[string]any{"hello": "world"})
	u.fails(1, "", []string{"import", bad}, "neither a Google client file", "Frappe")
}

// A Frappe Connected App export, as Frappe writes it, pointing at the real provider: the
// import discovers the issuer and keys the document lacks, and the app then signs in.
func TestImportFrappeConnectedAppAndConnect(t *testing.T) {
	u := newUser(t)
	doc := []map[string]any{{
		"name": "8b1f2c", "doctype": "Connected App", "provider_name": "Example OP", "client_id": testkit.NativeClientID, "client_secret": "********",
		"openid_configuration": op.Issuer + "/.well-known/openid-configuration",
		"redirect_uri":         "https://erp.example.com/api/method/frappe.integrations.doctype.connected_app.connected_app.callback/8b1f2c",
		"authorization_uri":    op.Issuer + "/auth", "token_uri": op.Issuer + "/oauth/token", "revocation_uri": op.Issuer + "/revoke",
		"userinfo_uri": op.Issuer + "/userinfo", "introspection_uri": "",
		"scopes":           []map[string]any{{"name": "s1", "idx": 1, "scope": "openid"}, {"name": "s2", "idx": 2, "scope": "email offline_access"}},
		"query_parameters": []map[string]any{{"name": "q1", "idx": 1, "key": "access_type", "value": "offline"}},
	}}
	file := filepath.Join(t.TempDir(), "Connected App.json")
	writeJSON(t, file, doc)
	out := u.ok("", "import", file)
	if !strings.Contains(out, "Imported Example OP.") || strings.Contains(out, "erp.example.com") {
		t.Fatalf("import:\n%s", out)
	}
	a := u.show("Example OP")
	if a.Issuer != op.Issuer || a.JWKSURI == "" || strings.Join(a.Scopes, " ") != "openid email offline_access" || a.HasClientSecret ||
		len(a.QueryParameters) != 1 || a.QueryParameters[0] != (core.QueryParameter{Key: "access_type", Value: "offline"}) {
		t.Fatalf("imported document: %+v", a.App)
	}
	u.ok("", "edit", "Example OP", "--redirect-port", "0")
	if out := u.ok("", "connect", "Example OP", "--timeout", "60s"); !strings.Contains(out, "Connected Example OP as test-user@zitadel.ch") {
		t.Fatalf("connect after import:\n%s", out)
	}
}

// Export never writes a secret or a token, in any encoding.
func TestExportContainsNoSecret(t *testing.T) {
	u := newUser(t)
	u.ok(testkit.WebClientSecret+"\n", "add", "Web", "--discovery", op.Issuer, "--client-id", testkit.WebClientID,
		"--client-secret-stdin", "--scope", "openid email offline_access", "--redirect-port", fmt.Sprint(op.WebClientPort))
	u.ok("", "connect", "Web")
	app := u.show("Web")
	tokens, raw := storedTokens(t, app.ID)
	out := u.ok("", "export")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 || docs[0]["provider_name"] != "Web" || docs[0]["client_id"] != testkit.WebClientID {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for what, s := range map[string]string{"client secret": testkit.WebClientSecret, "access token": tokens.AccessToken, "refresh token": tokens.RefreshToken,
		"id token": tokens.IDToken, "token record": raw, "email": "test-user@zitadel.ch"} {
		for _, f := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)} {
			if strings.Contains(out, f) {
				t.Errorf("the export holds the %s (or an encoding of it)", what)
			}
		}
	}
	for _, field := range []string{"client_secret", "connection", "has_client_secret", "access_token"} {
		if _, ok := docs[0][field]; ok {
			t.Errorf("the export has a %q field", field)
		}
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
