package core

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectedapps/core/fail"
)

// Attacks on the sign-in itself: a page elsewhere that reaches the catcher through DNS
// rebinding or a cross-site request, a provider among the person's apps that mixes up
// answers (RFC 9207, RFC 9700 section 4.4), and a provider that would downgrade PKCE.
// The attack by another local user is in catcherpeer_linux_test.go.

// A cross-site request mid sign-in: a page the person has open sends the browser to the
// catcher with a state of its own. Before the fix that ended the sign-in; now it gets a 400,
// and the real sign-in, which comes after it, connects.
func TestConnectSurvivesACrossSiteRequest(t *testing.T) {
	f := newFltFixture(t, nil, "")
	var forgedStatus int
	var forgedPage string
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		forgedStatus, forgedPage = f.callback(q.Get("redirect_uri"), url.Values{"code": {"attacker-code"}, "state": {"attacker-state"}})
		f.callback(q.Get("redirect_uri"), url.Values{"error": {"access_denied"}}) // no state at all
		return f.signIn(link)
	})
	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect after a cross-site request: %v", err)
	}
	if forgedStatus != http.StatusBadRequest || !strings.Contains(forgedPage, "Not this sign-in") {
		t.Errorf("the cross-site request was shown %d %q; want 400 Not this sign-in", forgedStatus, forgedPage)
	}
	if res.Identity.Subject != fltSubject {
		t.Errorf("identity %+v", res.Identity)
	}
	forms := f.p.exchangeForms()
	if len(forms) != 1 || forms[0].Get("code") == "attacker-code" {
		t.Errorf("exchanges %v; want one, of the real code", forms)
	}
}

// A pasted address of another sign-in (--no-browser) is a paste error; the wait goes on and
// the right paste connects.
func TestConnectPasteOfAnotherStateIsAPasteError(t *testing.T) {
	f := newFltFixture(t, nil, "")
	pasted := make(chan string, 2)
	pasteErrs := make(chan error, 2)
	f.setBrowser(func(link *url.URL) error { return errors.New("unused") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := f.svc.Connect(ctx, f.app.ProviderName, ConnectOptions{Timeout: 10 * time.Second, NoBrowser: true, Pasted: pasted,
		OnPasteError: func(err error) { pasteErrs <- err },
		OnAuthURL: func(link string, _ error) {
			u, _ := url.Parse(link)
			q := u.Query()
			f.p.mu.Lock()
			f.p.auths = append(f.p.auths, q) // the provider saw this link (its nonce goes in the ID token)
			f.p.mu.Unlock()
			pasted <- q.Get("redirect_uri") + "?code=old&state=from-an-old-tab"
			go func() {
				if err := <-pasteErrs; !errors.Is(err, ErrStateMismatch) || !strings.Contains(err.Error(), "another sign-in") {
					t.Errorf("paste error = %v; want one line saying it is another sign-in's", err)
				}
				pasted <- q.Get("redirect_uri") + "?code=" + fltUnique("code") + "&state=" + q.Get("state")
			}()
		}})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if res.Identity.Subject != fltSubject || len(f.p.exchangeForms()) != 1 {
		t.Errorf("identity %+v, %d exchanges", res.Identity, len(f.p.exchangeForms()))
	}
}

// The mix-up attack. The person has two apps: an honest provider and a malicious one. While
// the honest app's sign-in runs, the malicious provider's redirect arrives (its browser
// tab, or the honest provider's answer that it relayed) with the honest attempt's state, and
// iss names the malicious provider. Before the fix the code was exchanged (with the PKCE
// verifier) at a token endpoint. Now nothing reaches any token endpoint, and the person
// reads one line naming the app and the possible mix-up.
func TestConnectRefusesAMixedUpAnswer(t *testing.T) {
	f := newFltFixture(t, nil, "")
	evil := newFltProvider(t)
	evilApp := NewApp("Evil IdP")
	evilApp.ClientID, evilApp.AuthorizationURI, evilApp.TokenURI = fltClientID, evil.issuer()+"/authorize", evil.issuer()+"/token"
	evilApp.Issuer, evilApp.RedirectPort = evil.issuer(), 0
	evilApp, err := f.svc.Add(evilApp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if evilApp.Callback() == f.app.Callback() {
		t.Fatalf("two new apps share the callback path %s", evilApp.Callback())
	}

	var status int
	var page string
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		status, page = f.callback(q.Get("redirect_uri"), url.Values{"code": {"honest-code-relayed"}, "state": {q.Get("state")}, "iss": {evil.issuer()}})
		return nil
	})
	_, err = f.connect(t)
	fltAssertMessage(t, err, "Fake IdP", "another provider", evil.issuer(), "mix-up", "its code was not used")
	if !errors.Is(err, ErrMixUp) {
		t.Errorf("error %v is not ErrMixUp", err)
	}
	if status != http.StatusBadRequest || !strings.Contains(page, "Sign-in failed") || !strings.Contains(page, "mix-up") {
		t.Errorf("the browser was shown %d %q; want 400 Sign-in failed naming the mix-up", status, page)
	}
	if n, m := len(f.p.exchangeForms()), len(evil.exchangeForms()); n != 0 || m != 0 {
		t.Errorf("token requests: %d at the honest provider, %d at the malicious one; want none", n, m)
	}
	f.assertNothingKept(t)

	// The other direction: the malicious app's sign-in, answered on the honest app's path
	// (where the honest provider sends its answers), is not even seen: 404, the wait goes on.
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		honestPath := strings.Replace(q.Get("redirect_uri"), evilApp.Callback(), f.app.Callback(), 1)
		status, _ = f.callback(honestPath, url.Values{"code": {"honest-code"}, "state": {q.Get("state")}, "iss": {f.p.issuer()}})
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = f.svc.Connect(ctx, evilApp.ProviderName, ConnectOptions{Timeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || status != http.StatusNotFound {
		t.Errorf("an answer on another app's path: %d, Connect %v; want 404 and the wait going on (timeout)", status, err)
	}
	if n, m := len(f.p.exchangeForms()), len(evil.exchangeForms()); n != 0 || m != 0 {
		t.Errorf("token requests: %d at the honest provider, %d at the malicious one; want none", n, m)
	}
}

// A provider that advertises authorization_response_iss_parameter_supported always sends
// iss: an answer without it may be another provider's, and is refused before any exchange.
// With iss, the same sign-in connects.
func TestConnectRefusesAMissingIssWhenAdvertised(t *testing.T) {
	f := newFltFixture(t, func(a *App) { a.IssParameterSupported = true }, "")
	_, err := f.connect(t) // the fixture's browser sends no iss
	fltAssertMessage(t, err, "Fake IdP", "does not name the provider", "mix-up", "its code was not used")
	if !errors.Is(err, ErrMixUp) {
		t.Errorf("error %v is not ErrMixUp", err)
	}
	if n := len(f.p.exchangeForms()); n != 0 {
		t.Errorf("%d token requests; want none", n)
	}
	f.assertNothingKept(t)

	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		f.callback(q.Get("redirect_uri"), url.Values{"code": {fltUnique("code")}, "state": {q.Get("state")}, "iss": {f.p.issuer()}})
		return nil
	})
	if _, err := f.connect(t); err != nil {
		t.Fatalf("Connect with the right iss: %v", err)
	}
}

// An app without an issuer (plain OAuth 2.0) cannot check an iss it is sent: refused, with
// the way to name the issuer.
func TestConnectRefusesAnIssItCannotCheck(t *testing.T) {
	f := newFltFixture(t, func(a *App) { a.Issuer, a.JWKSURI, a.Scopes = "", "", []string{"email"} }, "")
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		f.callback(q.Get("redirect_uri"), url.Values{"code": {"c"}, "state": {q.Get("state")}, "iss": {"https://somebody.example"}})
		return nil
	})
	_, err := f.connect(t)
	fltAssertMessage(t, err, "Fake IdP", "https://somebody.example", "no issuer")
	wantRemedy(t, err, fail.FixFieldOf("Fake IdP", "issuer"))
	if n := len(f.p.exchangeForms()); !errors.Is(err, ErrMixUp) || n != 0 {
		t.Errorf("error %v, %d token requests; want ErrMixUp and none", err, n)
	}
}

// A provider that lists only the plain PKCE method still gets S256: plain would put the
// verifier itself in the sign-in link (on the browser's command line, in its history). The
// --verbose log says so.
func TestConnectSendsS256EvenWhenOnlyPlainIsListed(t *testing.T) {
	f := newFltFixture(t, func(a *App) { a.CodeChallengeMethodsSupported = []string{"plain"} }, "")
	if _, err := f.connect(t); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	auth := f.p.authorizations()[0]
	verifier := f.p.exchangeForms()[0].Get("code_verifier")
	if auth.Get("code_challenge_method") != "S256" || auth.Get("code_challenge") == "" || auth.Get("code_challenge") == verifier || verifier == "" {
		t.Errorf("authorization request: method %q, challenge %q (verifier %q); want S256 of the verifier",
			auth.Get("code_challenge_method"), auth.Get("code_challenge"), verifier)
	}
	if log := f.logs.String(); !strings.Contains(log, "plain") || !strings.Contains(log, "S256 anyway") {
		t.Errorf("the --verbose log does not say S256 is used anyway:\n%s", log)
	}
}

// New apps get their own callback path from the name they are registered with, unique in
// the registry; a rename keeps it (the provider has it registered), and an app from an
// apps.json of before, without the field, keeps /callback.
func TestNewAppsGetTheirOwnCallbackPath(t *testing.T) {
	dir := t.TempDir()
	// An app registered before apps had their own path.
	legacy := `{"version":1,"apps":[{"id":"0123456789abcdef","provider_name":"Old ERP","client_id":"c",` +
		`"authorization_uri":"https://erp.example.com/auth","token_uri":"https://erp.example.com/token","scopes":[],` +
		`"query_parameters":[],"redirect_host":"127.0.0.1","redirect_port":8765,"pkce":true,` +
		`"token_endpoint_auth_method":"auto","grant_type":"authorization_code","has_client_secret":false}]}`
	if err := os.WriteFile(filepath.Join(dir, "apps.json"), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := newFixture(t, fixtureOpts{dir: dir}).svc
	add := func(name string) App {
		a := appTestValid()
		a.ProviderName = name
		saved, err := svc.Add(a, nil)
		if err != nil {
			t.Fatalf("Add(%s): %v", name, err)
		}
		return saved
	}
	for _, c := range []struct{ name, want string }{{"Gmail (Büro)", "/callback/gmail-b-ro"}, {"ERP", "/callback/erp"}, {"erp!", "/callback/erp-2"}, {"日本", "/callback/app"}} {
		name, want := c.name, c.want
		if got := add(name); got.CallbackPath != want || got.RedirectURI() != "http://127.0.0.1:8765"+want {
			t.Errorf("%s: path %q, Redirect URI %s; want %s", name, got.CallbackPath, got.RedirectURI(), want)
		}
	}
	old, err := svc.Get("Old ERP")
	if err != nil {
		t.Fatal(err)
	}
	if old.RedirectURI() != "http://127.0.0.1:8765/callback" {
		t.Errorf("an app of before shows %s; want http://127.0.0.1:8765/callback (nobody re-registers)", old.RedirectURI())
	}
	if _, err := svc.Edit(context.Background(), "ERP", func(a *App) error { a.ProviderName = "Frappe"; a.CallbackPath = "/callback/frappe"; return nil }, KeepSecret()); err != nil {
		t.Fatal(err)
	}
	if a, _ := svc.Get("Frappe"); a.CallbackPath != "/callback/erp" {
		t.Errorf("after a rename the path is %q; want /callback/erp, as registered", a.CallbackPath)
	}
	if _, err := svc.Edit(context.Background(), "Old ERP", func(a *App) error { a.ProviderName = "Older ERP"; return nil }, KeepSecret()); err != nil {
		t.Fatal(err)
	}
	if a, _ := svc.Get("Older ERP"); a.RedirectURI() != "http://127.0.0.1:8765/callback" {
		t.Errorf("an app of before, renamed, shows %s; want /callback still", a.RedirectURI())
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "apps.json"))
	if !strings.Contains(string(raw), `"callback_path": "/callback/gmail-b-ro"`) {
		t.Errorf("apps.json does not keep the path:\n%s", raw)
	}
	a := appTestValid()
	a.CallbackPath = "/callback/../../evil"
	if err := a.Validate(); err == nil {
		t.Error("a callback path that is not /callback/NAME was accepted")
	}
}

// An import keeps the redirect URI the provider has registered: an export of ours carries the
// app's path; one from before apps had their own path means /callback; a Google Web client
// keeps the path of its loopback redirect URI. A Google Desktop client (any path) and a
// document from Frappe itself (its own web callback) are new here and get a path of their own.
func TestImportKeepsTheRegisteredCallbackPath(t *testing.T) {
	svc := newFixture(t, fixtureOpts{}).svc
	ours := `[{"provider_name":"Ours","client_id":"c","authorization_uri":"https://a.example/auth","token_uri":"https://a.example/token",` +
		`"redirect_host":"127.0.0.1","redirect_port":8765,"callback_path":"/callback/ours-2","scopes":[],"query_parameters":[]},` +
		`{"provider_name":"Before","client_id":"c","authorization_uri":"https://a.example/auth","token_uri":"https://a.example/token",` +
		`"redirect_host":"127.0.0.1","redirect_port":8765,"scopes":[],"query_parameters":[]},` +
		`{"provider_name":"From Frappe","client_id":"c","authorization_uri":"https://a.example/auth","token_uri":"https://a.example/token",` +
		`"redirect_uri":"https://erp.example.com/api/method/callback/x","scopes":[],"query_parameters":[]}]`
	res, err := svc.Import(context.Background(), []byte(ours), "")
	if err != nil || len(res) != 3 {
		t.Fatalf("import: %+v %v", res, err)
	}
	for i, want := range []string{"/callback/ours-2", "/callback", "/callback/from-frappe"} {
		if got := res[i].App.Callback(); got != want {
			t.Errorf("%s: path %s; want %s", res[i].App.ProviderName, got, want)
		}
	}
	exported, err := svc.Export("Ours", "Before")
	if err != nil || !strings.Contains(string(exported), `"callback_path": "/callback/ours-2"`) || !strings.Contains(string(exported), `"callback_path": "/callback"`) {
		t.Errorf("export does not carry the paths: %v\n%s", err, exported)
	}
	web := `{"web":{"client_id":"w.apps.googleusercontent.com","client_secret":"s","redirect_uris":["http://127.0.0.1:9004/callback/mail"]}}`
	if res, err := svc.Import(context.Background(), []byte(web), "Google Web"); err != nil || res[0].App.RedirectURI() != "http://127.0.0.1:9004/callback/mail" {
		t.Errorf("Google Web client: %+v %v; want its registered http://127.0.0.1:9004/callback/mail", res, err)
	}
	desktop := `{"installed":{"client_id":"d.apps.googleusercontent.com","redirect_uris":["http://localhost"]}}`
	if res, err := svc.Import(context.Background(), []byte(desktop), "Google Desktop"); err != nil || res[0].App.Callback() != "/callback/google-desktop" {
		t.Errorf("Google Desktop client: %+v %v; want a path of its own", res, err)
	}
}

// appTestValid is a complete, valid document (as core/app's tests have one).
func appTestValid() App {
	a := NewApp("Example")
	a.ClientID = "client-123"
	a.AuthorizationURI = "https://idp.example.com/authorize"
	a.TokenURI = "https://idp.example.com/token"
	a.Scopes = []string{"openid", "email"}
	a.QueryParameters = []QueryParameter{{Key: "prompt", Value: "consent"}}
	return a
}
