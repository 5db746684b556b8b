package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"connectedapps/core"
	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// registeredApp is what show --json says of an app whose client was registered here.
func (u *user) registeredApp(name string) (shownApp, string) {
	u.t.Helper()
	app := u.show(name)
	if app.Registration == nil || app.Registration.ClientURI == "" || !app.Registration.HasAccessToken {
		u.t.Fatalf("%s was not recorded as registered: %+v", name, app)
	}
	token, err := secret.NewSystemStore().Get("app/" + app.ID + "/registration_access_token")
	if err != nil || token == "" {
		u.t.Fatalf("the registration access token is not in the keyring: %v", err)
	}
	return app, token
}

// noSecretInRegistry fails when any of the values is in apps.json.
func (u *user) noSecretInRegistry(values map[string]string) {
	u.t.Helper()
	raw, err := os.ReadFile(u.registryPath())
	if err != nil {
		u.t.Fatal(err)
	}
	for what, v := range values {
		if v != "" && strings.Contains(string(raw), v) {
			u.t.Errorf("the %s is in apps.json", what)
		}
	}
}

// registrationGone asks the provider for the registration with its own token, as RFC 7592's
// read does: a deleted one is unknown (401).
func registrationGone(t *testing.T, clientURI, token string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, clientURI, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound
}

// connectRegistered signs in with the registered client and checks that the token is the one kept.
func (u *user) connectRegistered(name, appID string) core.TokenSet {
	u.t.Helper()
	if out := u.ok("", "connect", name, "--timeout", "60s"); !strings.Contains(out, "Connected "+name) {
		u.t.Fatalf("connect output: %s", out)
	}
	// The account is the one the provider signed in (its subject is the provider's, which
	// differs between providers): accounts --json names it.
	var accounts []struct {
		ID      string `json:"id"`
		Default bool   `json:"default"`
	}
	if err := json.Unmarshal([]byte(u.ok("", "accounts", name, "--json")), &accounts); err != nil || len(accounts) != 1 || !accounts[0].Default {
		u.t.Fatalf("accounts %s --json: %+v %v", name, accounts, err)
	}
	ts, _ := storedTokensOf(u.t, appID, accounts[0].ID)
	if bare := u.ok("", "token", name); bare != ts.AccessToken+"\n" || ts.AccessToken == "" {
		u.t.Fatalf("token: %q, keyring has %q", bare, ts.AccessToken)
	}
	return ts
}

func TestRegisterConnectAndRemoveAtTheInProcessProvider(t *testing.T) {
	u := newUser(t)
	out := u.ok("", "add", "Dyn", "--discovery", op.Issuer, "--register", "--scope", "openid profile email", "--redirect-port", "0")
	if !strings.Contains(out, "The provider registered client dyn-") || !strings.Contains(out, "its secrets are in the keyring") {
		t.Fatalf("add output: %s", out)
	}
	app, token := u.registeredApp("Dyn")
	if !op.Registered(app.ClientID) || app.Registration.ClientURI != op.Issuer+"/register/"+app.ClientID || app.EffectiveAuthMethod() != core.AuthMethodNone {
		t.Fatalf("registered app: %+v %+v", app, app.Registration)
	}
	md := op.RegisteredMetadata(app.ClientID)
	host, _ := os.Hostname()
	if md["application_type"] != "native" || md["client_name"] != "Connected Apps on "+host || md["token_endpoint_auth_method"] != "none" {
		t.Errorf("the provider was sent %v", md)
	}
	if uris, _ := md["redirect_uris"].([]any); len(uris) != 1 || uris[0] != "http://127.0.0.1/callback/dyn" {
		t.Errorf("redirect_uris sent: %v", md["redirect_uris"])
	}

	ts := u.connectRegistered("Dyn", app.ID)
	u.noSecretInRegistry(map[string]string{"registration access token": token, "access token": ts.AccessToken, "refresh token": ts.RefreshToken})

	out = u.ok("", "remove", "Dyn")
	if !strings.Contains(out, "Deleted client "+app.ClientID+"'s registration at the provider.") {
		t.Fatalf("remove output: %s", out)
	}
	if op.Registered(app.ClientID) || !registrationGone(t, app.Registration.ClientURI, token) {
		t.Fatal("the registration is still at the provider")
	}
	if _, err := secret.NewSystemStore().Get("app/" + app.ID + "/registration_access_token"); err == nil {
		t.Fatal("the registration access token was left in the keyring")
	}
}

func TestRegisterWithAnInitialAccessToken(t *testing.T) {
	const iat = "iat-E2e-Initial-7Hq"
	op.RequireInitialAccessToken(iat)
	t.Cleanup(func() { op.RequireInitialAccessToken("") })
	u := newUser(t)
	args := []string{"add", "Gated", "--discovery", op.Issuer, "--register", "--scope", "openid", "--redirect-port", "0"}
	u.fails(3, "", args, "only with an initial access token", "--initial-access-token-stdin")
	r := u.fails(3, "wrong-token", append(args, "--initial-access-token-stdin"), "did not accept the initial access token")
	if strings.Contains(r.stderr, "wrong-token") {
		t.Errorf("the token is in the message: %s", r.stderr)
	}
	if out := u.ok("", "list"); !strings.Contains(out, "No apps registered") {
		t.Fatalf("a refused registration added an app: %s", out)
	}
	u.ok(iat+"\n", append(args, "--initial-access-token-stdin")...)
	app, _ := u.registeredApp("Gated")
	u.noSecretInRegistry(map[string]string{"initial access token": iat})
	// Forgotten here only: the provider keeps the client, and the person is told.
	out := u.ok("", "remove", "Gated", "--local-only")
	if !strings.Contains(out, "still registered at the provider") || !op.Registered(app.ClientID) {
		t.Fatalf("remove --local-only: %s", out)
	}
}

// A saved app whose client was typed by hand, signed in with it, gets a registered client
// with register NAME: the provider's client replaces the typed one, the account's tokens of
// the old client are dropped and the account named, a new sign-in uses the registered client,
// and remove deletes it at the provider.
func TestRegisterASavedAppAtTheInProcessProvider(t *testing.T) {
	u := newUser(t)
	before := u.addNative("Typed")
	if out := u.ok("", "connect", "Typed", "--timeout", "60s"); !strings.Contains(out, "Connected Typed") {
		t.Fatalf("connect output: %s", out)
	}
	out := u.ok("", "register", "Typed")
	if !strings.Contains(out, "The provider registered client dyn-") ||
		!strings.Contains(out, "The tokens of test-user@zitadel.ch were for the old client") {
		t.Fatalf("register output: %s", out)
	}
	app, token := u.registeredApp("Typed")
	if app.ID != before.ID || app.ClientID == testkit.NativeClientID || !op.Registered(app.ClientID) || app.RedirectURI != before.RedirectURI {
		t.Fatalf("registered app: %+v, was %+v", app, before)
	}
	if uris, _ := op.RegisteredMetadata(app.ClientID)["redirect_uris"].([]any); len(uris) != 1 || uris[0] != "http://127.0.0.1/callback/typed" {
		t.Errorf("redirect_uris sent: %v", uris)
	}
	if out := u.ok("", "accounts", "Typed", "--json"); strings.TrimSpace(out) != "[]" && strings.TrimSpace(out) != "null" {
		t.Errorf("the old client's account stayed: %s", out)
	}
	u.fails(1, "", []string{"register", "Typed"}, "registered at the provider by this program already")

	ts := u.connectRegistered("Typed", app.ID)
	u.noSecretInRegistry(map[string]string{"registration access token": token, "access token": ts.AccessToken})
	if out := u.ok("", "remove", "Typed"); !strings.Contains(out, "Deleted client "+app.ClientID+"'s registration at the provider.") {
		t.Fatalf("remove output: %s", out)
	}
	if op.Registered(app.ClientID) || !registrationGone(t, app.Registration.ClientURI, token) {
		t.Fatal("the registration is still at the provider")
	}
}
