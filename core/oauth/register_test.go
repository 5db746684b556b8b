package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectedapps/core/app"
	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

// registrationApp is a native app of the fake provider p, with its registration endpoint.
func registrationApp(p *oauthtest.Provider) *App {
	a := app.NewApp("Reg")
	a.CallbackPath = "/callback/reg"
	a.RedirectPort = 8799
	a.Scopes = []string{"openid", "email"}
	a.AuthorizationURI, a.TokenURI = p.At("/authorize"), p.At("/token")
	a.RegistrationEndpoint = p.At("/register")
	return &a
}

func TestRegisterSendsANativeClientsMetadata(t *testing.T) {
	p := oauthtest.NewProvider(t)
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{
		"client_id": "dyn-1", "token_endpoint_auth_method": "none", "registration_access_token": "rat-Zx81-value",
		"registration_client_uri": p.At("/register/dyn-1"), "client_name": "Connected Apps on box"}))
	a := registrationApp(p)
	reg, err := Register(context.Background(), nil, a, "box", "")
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID != "dyn-1" || reg.AuthMethod != app.AuthMethodNone || reg.ClientSecret != "" ||
		reg.RegistrationAccessToken != "rat-Zx81-value" || reg.RegistrationClientURI != p.At("/register/dyn-1") {
		t.Errorf("registration = %+v", reg)
	}
	reqs := p.Requests("/register")
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Authorization != "" {
		t.Fatalf("requests = %+v", reqs)
	}
	var sent map[string]any
	if err := json.Unmarshal(reqs[0].Body, &sent); err != nil {
		t.Fatalf("body %q: %v", reqs[0].Body, err)
	}
	want := map[string]any{
		"application_type": "native", "redirect_uris": []any{"http://127.0.0.1:8799/callback/reg"},
		"token_endpoint_auth_method": "none", "grant_types": []any{"authorization_code", "refresh_token"},
		"response_types": []any{"code"}, "scope": "openid email", "client_name": "Connected Apps on box",
	}
	for k, v := range want {
		if got, _ := json.Marshal(sent[k]); string(got) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	// Any port: the URI without one, which a provider matches against every loopback port.
	a.RedirectPort = 0
	if u := RegistrationRedirectURI(a); u != "http://127.0.0.1/callback/reg" {
		t.Errorf("any-port redirect URI = %q", u)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRegisterSendsTheInitialAccessTokenAsBearer(t *testing.T) {
	p := oauthtest.NewProvider(t)
	p.Handle("/register", func(w http.ResponseWriter, _ int, r oauthtest.Request) {
		if r.Authorization != "Bearer iat-Qw3-value" {
			oauthtest.JSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		oauthtest.JSON(w, http.StatusCreated, map[string]any{"client_id": "dyn-2"})
	})
	reg, err := Register(context.Background(), nil, registrationApp(p), "box", " iat-Qw3-value\n")
	if err != nil || reg.ClientID != "dyn-2" {
		t.Fatalf("reg = %+v, err = %v", reg, err)
	}
}

func TestRegistrationAuthMethodChoice(t *testing.T) {
	cases := []struct {
		listed []string
		grant  app.Grant
		given  app.AuthMethod
		want   app.AuthMethod
	}{
		{nil, app.GrantAuthorizationCode, app.AuthMethodAuto, app.AuthMethodNone},
		{[]string{"client_secret_basic", "none"}, app.GrantAuthorizationCode, app.AuthMethodAuto, app.AuthMethodNone},
		{[]string{"client_secret_basic", "client_secret_post"}, app.GrantAuthorizationCode, app.AuthMethodAuto, app.AuthMethodBasic},
		{[]string{"private_key_jwt", "client_secret_post"}, app.GrantDeviceCode, app.AuthMethodAuto, app.AuthMethodPost},
		{[]string{"none", "client_secret_basic"}, app.GrantClientCredentials, app.AuthMethodAuto, app.AuthMethodBasic},
		{nil, app.GrantClientCredentials, "", app.AuthMethodBasic},
		{[]string{"none"}, app.GrantAuthorizationCode, app.AuthMethodPost, app.AuthMethodPost},
	}
	for _, c := range cases {
		a := app.NewApp("M")
		a.TokenEndpointAuthMethodsSupported, a.GrantType, a.TokenEndpointAuthMethod = c.listed, c.grant, c.given
		if got, err := RegistrationAuthMethod(&a); err != nil || got != c.want {
			t.Errorf("%v %s %s: %q, %v; want %q", c.listed, c.grant, c.given, got, err, c.want)
		}
	}
	a := app.NewApp("M")
	a.TokenEndpointAuthMethodsSupported = []string{"private_key_jwt", "tls_client_auth"}
	if _, err := RegistrationAuthMethod(&a); err == nil || fail.RemedyOf(err).Do != fail.RegisterByHand {
		t.Errorf("only JWT methods: %v", err)
	}
}

func TestRegisterAConfidentialClientKeepsItsSecret(t *testing.T) {
	p := oauthtest.NewProvider(t)
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{
		"client_id": "dyn-3", "client_secret": "cs-Pk2-value", "token_endpoint_auth_method": "client_secret_post"}))
	a := registrationApp(p)
	a.TokenEndpointAuthMethodsSupported = []string{"client_secret_basic", "client_secret_post"}
	reg, err := Register(context.Background(), nil, a, "box", "")
	if err != nil || reg.ClientSecret != "cs-Pk2-value" || reg.AuthMethod != app.AuthMethodPost {
		t.Fatalf("reg = %+v, err = %v", reg, err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %s", reg, *reg, reg), "cs-Pk2") {
		t.Errorf("a registration prints its secret: %s", reg)
	}
	var sent map[string]any
	_ = json.Unmarshal(p.Requests("/register")[0].Body, &sent)
	if sent["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Errorf("asked for %v", sent["token_endpoint_auth_method"])
	}
	// Confidential without a secret cannot be used.
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-4", "token_endpoint_auth_method": "client_secret_basic"}))
	if _, err := Register(context.Background(), nil, a, "box", ""); err == nil || fail.RemedyOf(err).Do != fail.RegisterByHand {
		t.Errorf("no secret: %v", err)
	}
}

func TestRegistrationRefusalsAreOneLineWithTheNextStep(t *testing.T) {
	p := oauthtest.NewProvider(t)
	a := registrationApp(p)
	cases := []struct {
		name     string
		status   int
		answer   any
		token    string
		do       fail.Action
		kind     error
		contains string
	}{
		{"redirect", 400, map[string]string{"error": "invalid_redirect_uri", "error_description": "loopback\nnot allowed"}, "", fail.RegisterByHand, fail.ErrInvalid, "refused the redirect URI http://127.0.0.1:8799/callback/reg (loopback not allowed)"},
		{"metadata", 400, map[string]string{"error": "invalid_client_metadata", "error_description": "scope not allowed"}, "", fail.RegisterByHand, fail.ErrInvalid, "refused the client's settings (scope not allowed)"},
		{"no token", 401, map[string]string{"error": "invalid_token"}, "", fail.GiveInitialToken, fail.ErrClientRejected, "only with an initial access token"},
		{"bad token", 403, map[string]string{"error": "invalid_token", "error_description": "token iat-Secret-9 expired"}, "iat-Secret-9", fail.GiveInitialToken, fail.ErrClientRejected, "did not accept the initial access token"},
		{"other", 400, map[string]string{"error": "invalid_software_statement"}, "", fail.RegisterByHand, fail.ErrInvalid, `"invalid_software_statement"`},
		{"down", 503, map[string]string{}, "", fail.None, fail.ErrTransient, "try again later"},
		{"no client id", 201, map[string]string{"client_secret": "x"}, "", fail.RegisterByHand, fail.ErrInvalid, "without a client ID"},
	}
	for _, c := range cases {
		p.Handle("/register", oauthtest.Always(c.status, c.answer))
		_, err := Register(context.Background(), nil, a, "box", c.token)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, c.contains) || !strings.HasPrefix(msg, "Reg: ") {
			t.Errorf("%s: %q, want one line with %q", c.name, msg, c.contains)
		}
		if c.token != "" && strings.Contains(msg, c.token) {
			t.Errorf("%s: the initial access token is in the message: %q", c.name, msg)
		}
		if fail.RemedyOf(err).Do != c.do || !errors.Is(err, c.kind) {
			t.Errorf("%s: remedy %v kind %v", c.name, fail.RemedyOf(err), err)
		}
		if rs := fail.Remedies(err); c.do == fail.GiveInitialToken && (len(rs) != 2 || rs[1].Do != fail.RegisterByHand) {
			t.Errorf("%s: the way by hand is not offered after the token: %+v", c.name, rs)
		}
	}
	// No registration endpoint: nothing is sent.
	b := *a
	b.RegistrationEndpoint = ""
	n := p.Count("/register")
	if _, err := Register(context.Background(), nil, &b, "box", ""); err == nil || fail.RemedyOf(err).Do != fail.RegisterByHand || p.Count("/register") != n {
		t.Errorf("no endpoint: %v", err)
	}
	// An http endpoint off loopback is never sent the metadata or a token.
	b.RegistrationEndpoint = "http://idp.example/register"
	if _, err := Register(context.Background(), nil, &b, "box", "tok"); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http: %v", err)
	}
}

func TestRegistrationIsNotRedirected(t *testing.T) {
	p := oauthtest.NewProvider(t)
	other := oauthtest.NewProvider(t)
	p.Handle("/register", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		http.Redirect(w, &http.Request{}, other.At("/register"), http.StatusTemporaryRedirect)
	})
	_, err := Register(context.Background(), nil, registrationApp(p), "box", "iat-Redirected-1")
	if err == nil || other.Count("/register") != 0 || fail.RemedyOf(err).Do != fail.RegisterByHand {
		t.Errorf("err = %v, the other host saw %d requests", err, other.Count("/register"))
	}
}

func TestRegisterRefusesAClientURIInClearText(t *testing.T) {
	p := oauthtest.NewProvider(t)
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-5",
		"registration_access_token": "rat", "registration_client_uri": "http://evil.example/clients/dyn-5"}))
	reg, err := Register(context.Background(), nil, registrationApp(p), "box", "")
	if err == nil || reg == nil || reg.RegistrationClientURI != "" {
		t.Errorf("reg = %+v, err = %v", reg, err)
	}
}

func TestDeleteRegistration(t *testing.T) {
	p := oauthtest.NewProvider(t)
	a := registrationApp(p)
	p.Handle("/register/dyn-1", func(w http.ResponseWriter, n int, r oauthtest.Request) {
		if r.Method != http.MethodDelete || r.Authorization != "Bearer rat-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if n == 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusNotFound) // gone already
	})
	for range 2 {
		if err := DeleteRegistration(context.Background(), nil, a, p.At("/register/dyn-1"), "rat-1"); err != nil {
			t.Fatal(err)
		}
	}
	err := DeleteRegistration(context.Background(), nil, a, p.At("/register/dyn-1"), "rat-wrong")
	if err == nil || !errors.Is(err, fail.ErrClientRejected) || !strings.Contains(err.Error(), "delete the client in the provider's console") {
		t.Errorf("wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "rat-wrong") {
		t.Errorf("the token is in the message: %v", err)
	}
	p.Handle("/register/dyn-1", oauthtest.Always(http.StatusInternalServerError, map[string]string{}))
	if err := DeleteRegistration(context.Background(), nil, a, p.At("/register/dyn-1"), "rat-1"); !errors.Is(err, fail.ErrTransient) {
		t.Errorf("500: %v", err)
	}
	if err := DeleteRegistration(context.Background(), nil, a, "http://evil.example/c", "rat-1"); err == nil {
		t.Error("a clear-text client URI was sent the token")
	}
	if n := slices.IndexFunc(p.Requests("/register/dyn-1"), func(r oauthtest.Request) bool { return r.Method != http.MethodDelete }); n >= 0 {
		t.Errorf("request %d was not a DELETE", n)
	}
}
