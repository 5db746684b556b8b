package core

import (
	"context"
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// fltSecretForms is a secret as it may travel: as is, URL-encoded (a form or a query), and
// base64 (standard and URL-safe, as in Basic auth or a JWT segment).
func fltSecretForms(s string) []string {
	return []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s))}
}

// fltSecrets collects every secret a test has seen, by what it is.
type fltSecrets map[string]string

func (s fltSecrets) add(what, v string) {
	if v != "" {
		s[what+" "+v[:min(6, len(v))]] = v
	}
}

func (s fltSecrets) addTokens(ts *TokenSet) {
	if ts != nil {
		s.add("access token", ts.AccessToken)
		s.add("refresh token", ts.RefreshToken)
		s.add("ID token", ts.IDToken)
	}
}

// absentFrom fails for each secret, in any of its forms, found in text.
func (s fltSecrets) absentFrom(t *testing.T, where, text string) {
	t.Helper()
	for what, v := range s {
		for _, form := range fltSecretForms(v) {
			if strings.Contains(text, form) {
				t.Errorf("the %s is in %s (as %q)", what, where, form)
				break
			}
		}
	}
	if b := base64.StdEncoding.EncodeToString([]byte(fltClientID + ":" + s.clientSecret())); s.clientSecret() != "" && strings.Contains(text, b) {
		t.Errorf("the Basic credentials are in %s", where)
	}
}

func (s fltSecrets) clientSecret() string {
	for what, v := range s {
		if strings.HasPrefix(what, "client secret") {
			return v
		}
	}
	return ""
}

// echoForm is a provider that answers a token request by quoting it back: what a debugging
// proxy, a framework's error page or a careless provider does. Whatever it quotes must not
// reach an error message, a log or the registry.
func echoForm(status int, asJSON bool, code string) func(w http.ResponseWriter, form url.Values, _ url.Values) {
	return func(w http.ResponseWriter, form url.Values, _ url.Values) {
		if asJSON {
			oauthtest.JSON(w, status, map[string]any{"error": code, "error_description": "rejected request: " + form.Encode(),
				"error_uri": "https://idp.example/help?" + form.Encode()})
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		w.Write([]byte("<html><body><h1>Error</h1><pre>POST /token\n" + form.Encode() + "\n" + strings.Join(form["refresh_token"], ",") + "</pre></body></html>"))
	}
}

// No secret (the client secret, an access, refresh or ID token, the PKCE verifier, the code),
// nor its URL-encoded or base64 form, reaches an error message, the --verbose log, the
// registry, any file in the configuration folder, or an export: through a connect, a refresh,
// and failures whose answers quote the request back.
func TestNoSecretInErrorsLogsRegistryOrExport(t *testing.T) {
	const clientSecret = "cs-Qw7-unique-client-secret+/="
	f := newFltFixture(t, func(a *App) { a.TokenEndpointAuthMethod = AuthMethodPost }, clientSecret)
	secrets := fltSecrets{}
	secrets.add("client secret", clientSecret)
	var messages []string
	collect := func(err error) {
		if err != nil {
			messages = append(messages, err.Error())
		}
	}
	lastExchange := func() {
		forms := f.p.exchangeForms()
		last := forms[len(forms)-1]
		secrets.add("PKCE verifier", last.Get("code_verifier"))
		secrets.add("code", last.Get("code"))
	}

	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	lastExchange()
	secrets.addTokens(res.Tokens)
	if len(secrets) != 6 {
		t.Fatalf("collected %d secrets; want the client secret, verifier, code and three tokens", len(secrets))
	}
	ts, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	secrets.addTokens(ts)

	// Refreshes answered with the request quoted back, the permanent refusal last.
	for _, answer := range []func(w http.ResponseWriter, form url.Values, _ url.Values){
		echoForm(http.StatusInternalServerError, false, ""),
		echoForm(http.StatusBadRequest, false, ""),
		echoForm(http.StatusServiceUnavailable, true, "temporarily_unavailable"),
		echoForm(http.StatusBadRequest, true, "invalid_request"),
		echoForm(http.StatusBadRequest, true, "invalid_grant"),
	} {
		f.p.setToken(answer)
		_, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
		if err == nil {
			t.Fatal("a refused refresh succeeded")
		}
		collect(err)
	}
	collect(func() error { _, err := f.svc.Token(context.Background(), f.app.ProviderName, time.Hour); return err }())

	// Sign-ins whose code exchange is answered with the request (code, verifier, secret) quoted.
	for _, answer := range []func(w http.ResponseWriter, form url.Values, _ url.Values){
		echoForm(http.StatusBadRequest, true, "invalid_grant"),
		echoForm(http.StatusUnauthorized, true, "invalid_client"),
		echoForm(http.StatusBadGateway, false, ""),
	} {
		f.p.setToken(answer)
		_, err := f.connect(t)
		if err == nil {
			t.Fatal("a refused exchange connected")
		}
		lastExchange()
		collect(err)
	}

	for i, m := range messages {
		t.Logf("message %d: %s", i, m)
		secrets.absentFrom(t, "an error message", m)
	}
	secrets.absentFrom(t, "the --verbose log", f.logs.String())
	export, err := f.svc.Export()
	if err != nil {
		t.Fatal(err)
	}
	secrets.absentFrom(t, "the export", string(export))
	_ = filepath.WalkDir(f.svc.Registry.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			secrets.absentFrom(t, p, string(b))
		}
		return nil
	})
	if !strings.Contains(f.logs.String(), "/token") {
		t.Errorf("the log shows no token request; is it the --verbose log? %s", f.logs.String())
	}
}

// The same for the other ways a request carries a secret: Basic credentials at the token
// endpoint (echoed as the header), a token posted to introspection, and a bearer token sent to
// userinfo (all quoted back in the error description).
func TestProviderAnswerQuotingTheRequestIsRedacted(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request",
			"error_description": "got Authorization: " + r.Header.Get("Authorization") + " and " + r.PostForm.Encode()})
	})
	srv := httptest.NewServer(echo)
	defer srv.Close()
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, srv.URL+"/token", srv.Client(), AuthMethodBasic, tokClientSecret, tokSet(now, time.Hour, tokOldRefresh))
	if err := f.svc.Registry.UpdateApp(f.app.ID, func(a *App) error {
		a.IntrospectionURI, a.UserinfoURI = srv.URL+"/introspect", srv.URL+"/userinfo"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	secrets := fltSecrets{}
	secrets.add("client secret", tokClientSecret)
	secrets.addTokens(tokSet(now, time.Hour, tokOldRefresh))
	for name, call := range map[string]func() error{
		"refresh":       func() error { _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); return err },
		"introspection": func() error { _, err := f.svc.Introspect(context.Background(), f.app.ProviderName); return err },
		"userinfo":      func() error { _, err := f.svc.Userinfo(context.Background(), f.app.ProviderName); return err },
	} {
		err := call()
		if err == nil || !strings.Contains(err.Error(), "got Authorization: ") {
			t.Fatalf("%s: %v; want the quoting answer", name, err)
		}
		t.Logf("%s: %s", name, err)
		secrets.absentFrom(t, "the "+name+" error", err.Error())
	}
	b, _ := os.ReadFile(f.svc.RegistryPath())
	secrets.absentFrom(t, "apps.json", string(b))
}
