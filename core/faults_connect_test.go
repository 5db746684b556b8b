package core

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

// The authorization code flow against a provider the test controls (oauthtest's): its token
// endpoint, ID tokens signed with its key and checked against its JWKS, and a browser that
// is a function. Each test changes one answer and checks what the person reads and what is
// kept.

const (
	fltClientID = "client-under-test"
	fltSubject  = "user-42"
)

// fltProvider is oauthtest's provider as an OpenID provider: its token endpoint checks PKCE
// against the last authorization link the browser was given and hands out signed ID tokens.
type fltProvider struct {
	*oauthtest.Provider
	t *testing.T

	mu    sync.Mutex
	auths []url.Values // the query of every authorization link the browser was given
	// token answers the code exchange; nil: a good answer (goodToken).
	token func(w http.ResponseWriter, form url.Values, auth url.Values)
}

func newFltProvider(t *testing.T) *fltProvider {
	t.Helper()
	p := &fltProvider{Provider: oauthtest.NewProvider(t), t: t}
	p.Handle("/token", func(w http.ResponseWriter, _ int, req oauthtest.Request) {
		if req.Method != http.MethodPost {
			http.NotFound(w, nil)
			return
		}
		p.mu.Lock()
		var auth url.Values
		if len(p.auths) > 0 {
			auth = p.auths[len(p.auths)-1]
		}
		answer := p.token
		p.mu.Unlock()
		// A real provider checks the PKCE verifier against the challenge it was given.
		if auth != nil && auth.Get("code_challenge") != "" && req.Form.Get("grant_type") == "authorization_code" {
			sum := sha256.Sum256([]byte(req.Form.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != auth.Get("code_challenge") {
				oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "PKCE verification failed"})
				return
			}
		}
		if answer == nil {
			answer = p.goodToken
		}
		answer(w, req.Form, auth)
	})
	return p
}

func (p *fltProvider) issuer() string { return p.URL }

// idToken signs an ID token for the last sign-in; change edits the claims first.
func (p *fltProvider) idToken(auth url.Values, change func(c map[string]any)) string {
	now := time.Now()
	claims := map[string]any{"iss": p.issuer(), "sub": fltSubject, "aud": fltClientID,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "email": "person@example.com", "name": "A Person"}
	if auth != nil && auth.Get("nonce") != "" {
		claims["nonce"] = auth.Get("nonce")
	}
	if change != nil {
		change(claims)
	}
	return p.Sign(claims)
}

var fltSeq struct {
	sync.Mutex
	n int
}

// fltUnique makes every issued token distinct, so a leak check cannot match by accident.
func fltUnique(prefix string) string {
	fltSeq.Lock()
	defer fltSeq.Unlock()
	fltSeq.n++
	return fmt.Sprintf("%s-%d-%s", prefix, fltSeq.n, randomHex(8))
}

func (p *fltProvider) goodToken(w http.ResponseWriter, _ url.Values, auth url.Values) {
	oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer",
		"refresh_token": fltUnique("rt"), "expires_in": 3600, "id_token": p.idToken(auth, nil)})
}

func (p *fltProvider) setToken(f func(w http.ResponseWriter, form url.Values, auth url.Values)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.token = f
}

func (p *fltProvider) exchangeForms() []url.Values {
	var forms []url.Values
	for _, r := range p.Requests("/token") {
		forms = append(forms, r.Form)
	}
	return forms
}

func (p *fltProvider) authorizations() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.auths...)
}

// fltFixture is the Service fixture with one registered app pointing at the fake provider,
// real time, the --verbose log, and a browser that by default signs in at once: it
// "redirects" to the catcher with a fresh code and the state it was given.
type fltFixture struct {
	*fixture
	p       *fltProvider
	browser func(link *url.URL) error // under fixture.mu
	pages   []string                  // what the browser was shown by the catcher
}

func newFltFixture(t *testing.T, change func(a *App), clientSecret string) *fltFixture {
	t.Helper()
	p := newFltProvider(t)
	f := &fltFixture{p: p}
	f.browser = f.signIn
	// A folder that does not exist yet, as on first use: the program makes it.
	f.fixture = newFixture(t, fixtureOpts{dir: filepath.Join(t.TempDir(), "connectedapps"), provider: p.Provider, verbose: true, realTime: true,
		browser: func(u *url.URL) error {
			p.mu.Lock()
			p.auths = append(p.auths, u.Query())
			p.mu.Unlock()
			f.mu.Lock()
			b := f.browser
			f.mu.Unlock()
			return b(u)
		}})
	app := NewApp("Fake IdP")
	app.ClientID = fltClientID
	app.AuthorizationURI = p.issuer() + "/authorize"
	app.TokenURI = p.issuer() + "/token"
	app.Issuer = p.issuer()
	app.JWKSURI = p.At(oauthtest.JWKSPath)
	app.Scopes = []string{"openid", "email", "offline_access"}
	app.RedirectPort = 0
	if change != nil {
		change(&app)
	}
	f.add(t, app, clientSecret)
	return f
}

func (f *fltFixture) setBrowser(b func(link *url.URL) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.browser = b
}

// callback requests the catcher's page as the browser would and keeps what it showed.
func (f *fltFixture) callback(redirectURI string, q url.Values) (int, string) {
	f.p.t.Helper()
	resp, err := http.Get(redirectURI + "?" + q.Encode())
	if err != nil {
		f.p.t.Errorf("the browser could not reach the catcher: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	f.mu.Lock()
	f.pages = append(f.pages, string(body))
	f.mu.Unlock()
	return resp.StatusCode, string(body)
}

// signIn is a person who signs in at once: the provider redirects with a fresh code.
func (f *fltFixture) signIn(link *url.URL) error {
	q := link.Query()
	f.callback(q.Get("redirect_uri"), url.Values{"code": {fltUnique("code")}, "state": {q.Get("state")}})
	return nil
}

func (f *fltFixture) connect(t *testing.T) (*ConnectResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return f.svc.Connect(ctx, f.app.ProviderName, ConnectOptions{Timeout: 10 * time.Second})
}

// assertNothingKept checks that a failed first sign-in left no tokens and no connection.
func (f *fltFixture) assertNothingKept(t *testing.T) {
	t.Helper()
	if v, err := f.mem.Get(appTokensKey(t, f.svc, f.app.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("tokens were stored after a failed sign-in: %q %v", v, err)
	}
	app, err := f.svc.Get(f.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if app.Connection() != nil {
		t.Errorf("the app is marked connected after a failed sign-in: %+v", app.Connection())
	}
}

// assertPersonReads checks the one-line rule, that the app is named, and every want.
func fltAssertMessage(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one saying %q", want)
	}
	msg := err.Error()
	t.Logf("the person reads: %s", msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("the message is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("the message %q does not say %q", msg, w)
		}
	}
}

// ---- the token endpoint's answers to the code exchange ----

func TestConnectTokenEndpointAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		kind   error // nil: no sentinel beyond ProviderError
		want   []string
	}{
		{"400 with an OAuth error", func(w http.ResponseWriter) {
			oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "code expired"})
		}, nil, []string{"token exchange failed", `"invalid_grant"`, "code expired", "connect again"}},
		{"400 without JSON", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "<html><body>Bad Request</body></html>")
		}, nil, []string{"token exchange failed", "HTTP 400", "Bad Request", "check the token URI"}},
		{"500", func(w http.ResponseWriter) {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		}, ErrTransient, []string{"token exchange failed", "HTTP 500", "try again"}},
		{"429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		}, ErrTransient, []string{"token exchange failed", "HTTP 429", "try again"}},
		{"200 that is not JSON", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>Welcome to the portal</body></html>")
		}, ErrTransient, []string{"not a token", "/token", "check the token URI"}},
		{"200 JSON without an access token", func(w http.ResponseWriter) {
			oauthtest.JSON(w, http.StatusOK, map[string]any{"token_type": "Bearer"})
		}, ErrTransient, []string{"not a token", "missing access_token", "check the token URI"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFltFixture(t, nil, "")
			f.p.setToken(func(w http.ResponseWriter, _, _ url.Values) { c.answer(w) })
			_, err := f.connect(t)
			fltAssertMessage(t, err, append([]string{"Fake IdP"}, c.want...)...)
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			if errors.Is(err, ErrNeedsReauth) || errors.Is(err, ErrClientRejected) {
				t.Errorf("error %v claims a permanent kind", err)
			}
			if n := len(f.p.exchangeForms()); n != 1 {
				t.Errorf("%d exchanges; want exactly 1 (a code is used once)", n)
			}
			f.assertNothingKept(t)
		})
	}
}

// A provider that gives no expires_in: the token is kept with an unknown expiry, handed out
// as it is, and never refreshed on a guess.
func TestConnectTokenWithoutExpiresIn(t *testing.T) {
	f := newFltFixture(t, nil, "")
	f.p.setToken(func(w http.ResponseWriter, _, auth url.Values) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-no-expiry", "token_type": "Bearer",
			"refresh_token": "rt-no-expiry", "id_token": f.p.idToken(auth, nil)})
	})
	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if res.Tokens.Expiry != nil || res.App.Connection() == nil || res.App.Connection().ExpiresAt != nil {
		t.Errorf("expiry = %v / %+v; want unknown (nil)", res.Tokens.Expiry, res.App.Connection())
	}
	if s := res.App.State(time.Now().Add(1000 * time.Hour)); s != StateConnected {
		t.Errorf("state = %s; want connected", s)
	}
	ts, err := f.svc.Token(context.Background(), f.app.ProviderName, time.Hour)
	if err != nil || ts.AccessToken != "at-no-expiry" {
		t.Fatalf("Token = %+v, %v", ts, err)
	}
	if n := len(f.p.exchangeForms()); n != 1 {
		t.Errorf("%d token requests; want 1 (no refresh for an unknown expiry)", n)
	}
}

// The userinfo call that completes an ID token carrying only the subject runs beside the
// keyring write, not before it: the provider's userinfo endpoint here answers only once the
// tokens are in the store (it would wait out its 10 s otherwise), and the name it gives still
// reaches the connection.
func TestConnectStoresTokensWhileUserinfoAnswers(t *testing.T) {
	f := newFltFixture(t, nil, "")
	if err := f.svc.Registry.UpdateApp(f.app.ID, func(a *App) error { a.UserinfoURI = f.p.At("/userinfo"); return nil }); err != nil {
		t.Fatal(err)
	}
	f.p.setToken(func(w http.ResponseWriter, _, auth url.Values) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer", "expires_in": 3600,
			"id_token": f.p.idToken(auth, func(c map[string]any) { delete(c, "email"); delete(c, "name") })})
	})
	key := tokensKey(f.app.ID, AccountIDFor(fltSubject))
	var storedFirst atomic.Bool
	f.p.Handle("/userinfo", func(w http.ResponseWriter, _ int, _ Request) {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := f.mem.Get(key); err == nil {
				storedFirst.Store(true)
				break
			}
		}
		oauthtest.JSON(w, http.StatusOK, map[string]any{"sub": fltSubject, "name": "From Userinfo", "email": "ui@example.com"})
	})
	res, err := f.connect(t)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if !storedFirst.Load() {
		t.Error("userinfo was answered before the tokens were stored: the keyring write waited for it")
	}
	if res.Identity.Name != "From Userinfo" || res.App.Default().Name != "From Userinfo" || res.App.Default().Email != "ui@example.com" {
		t.Errorf("identity %+v, account %+v; want userinfo's name and email recorded", res.Identity, res.App.Default().Connection)
	}
}

// The provider's keys are fetched while the person signs in, so the ID token is checked
// without a request after the callback; keys that changed meanwhile (the token names a key
// the early fetch did not have) or an early fetch that failed are fetched again, and the
// token is still checked in full.
func TestConnectFetchesTheKeysWhileThePersonSignsIn(t *testing.T) {
	for _, c := range []struct {
		name      string
		first     oauthtest.Answer // the JWKS's first answer; nil: the real keys
		wantFetch int
	}{
		{"the keys served", nil, 1},
		{"keys rotated meanwhile", oauthtest.Always(http.StatusOK, map[string]any{"keys": []any{}}), 2},
		{"the early fetch failed", oauthtest.Always(http.StatusServiceUnavailable, map[string]any{}), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFltFixture(t, nil, "")
			keys := f.p.KeysAnswer()
			f.p.Handle(oauthtest.JWKSPath, func(w http.ResponseWriter, n int, r Request) {
				if n == 1 && c.first != nil {
					c.first(w, n, r)
					return
				}
				keys(w, n, r)
			})
			var fetchedBefore atomic.Bool
			f.setBrowser(func(link *url.URL) error {
				go func() {
					for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
						if f.p.Count(oauthtest.JWKSPath) > 0 {
							fetchedBefore.Store(true)
							break
						}
					}
					_ = f.signIn(link)
				}()
				return nil
			})
			res, err := f.connect(t)
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if !fetchedBefore.Load() {
				t.Error("the JWKS was not fetched while the person signed in")
			}
			if n := f.p.Count(oauthtest.JWKSPath); n != c.wantFetch {
				t.Errorf("%d JWKS requests, want %d", n, c.wantFetch)
			}
			if res.Identity.Subject != fltSubject {
				t.Errorf("identity %+v", res.Identity)
			}
		})
	}
	// A forged ID token is refused even though the keys were fetched ahead.
	f := newFltFixture(t, nil, "")
	f.p.setToken(func(w http.ResponseWriter, _, auth url.Values) {
		claims := map[string]any{"iss": f.p.issuer(), "sub": fltSubject, "aud": fltClientID, "exp": time.Now().Add(time.Hour).Unix(),
			"iat": time.Now().Unix(), "nonce": auth.Get("nonce")}
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer", "expires_in": 3600,
			"id_token": oauthtest.SignUnknown(t, claims)})
	})
	if _, err := f.connect(t); err == nil || !strings.Contains(err.Error(), "ID token") {
		t.Fatalf("a forged ID token after the early fetch: %v", err)
	}
	f.assertNothingKept(t)
}

// A sign-in that fails while a request of its own is still on its way (the JWKS fetched
// ahead, the userinfo call beside the keyring write) ends that request and returns once it
// has ended, without waiting for its answer: nothing of the sign-in (a request, a --verbose
// line) runs after Connect.
func TestConnectLeavesNoRequestRunning(t *testing.T) {
	for _, c := range []struct {
		name, slow string // slow: the path that does not answer until the test ends
		fail       func(f *leftFixture)
	}{
		{"the exchange refused while the JWKS is fetched", oauthtest.JWKSPath, func(f *leftFixture) {
			f.p.setToken(func(w http.ResponseWriter, _, _ url.Values) {
				oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant"})
			})
		}},
		{"the keyring refusing the tokens while userinfo is asked", "/userinfo", func(f *leftFixture) {
			if err := f.svc.Registry.UpdateApp(f.app.ID, func(a *App) error { a.UserinfoURI = f.p.At("/userinfo"); return nil }); err != nil {
				t.Fatal(err)
			}
			f.p.setToken(func(w http.ResponseWriter, _, auth url.Values) { // no name: userinfo is asked for one
				oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer", "expires_in": 3600,
					"id_token": f.p.idToken(auth, func(c map[string]any) { delete(c, "email"); delete(c, "name") })})
			})
			f.svc.Secrets = refusingWrites{Store: f.svc.Secrets, after: f.slowAsked}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &leftFixture{fltFixture: newFltFixture(t, nil, ""), slowAsked: make(chan struct{})}
			release := make(chan struct{})
			var gaveUp atomic.Bool // the slow path answered because Connect had not ended its request
			watchdog := time.AfterFunc(30*time.Second, func() { gaveUp.Store(true); close(release) })
			defer func() { // before the provider's Cleanup, which waits for its handlers
				if watchdog.Stop() {
					close(release)
				}
			}()
			var once sync.Once
			f.p.Handle(c.slow, func(w http.ResponseWriter, _ int, _ Request) {
				once.Do(func() { close(f.slowAsked) })
				<-release
			})
			c.fail(f)
			var running atomic.Int32
			client := *f.svc.HTTP
			client.Timeout = 0 // only the sign-in's end may end the slow request
			client.Transport = countRunning{base: client.Transport, n: &running}
			f.svc.HTTP = &client
			f.setBrowser(func(link *url.URL) error {
				go func() {
					if c.slow == oauthtest.JWKSPath {
						<-f.slowAsked // the person is quicker than the JWKS
					}
					_ = f.signIn(link)
				}()
				return nil
			})
			if _, err := f.connect(t); err == nil {
				t.Fatal("the sign-in succeeded")
			}
			if n := running.Load(); n != 0 {
				t.Errorf("%d requests still running after Connect returned", n)
			}
			if gaveUp.Load() {
				t.Errorf("Connect waited for %s to answer instead of ending its request", c.slow)
			}
		})
	}
}

// leftFixture is a sign-in whose slow request the test holds: slowAsked closes when it
// reaches the provider.
type leftFixture struct {
	*fltFixture
	slowAsked chan struct{}
}

// refusingWrites is a keyring that reads but refuses to write, as a full or read-only one
// does; it answers only once after is closed, so the refusal comes while the request the
// test holds is still on its way.
type refusingWrites struct {
	secret.Store
	after chan struct{}
}

func (r refusingWrites) Set(string, string) error {
	<-r.after
	return Failf(ErrKeyringUnavailable, "the keyring refused the write")
}

// countRunning counts the requests under way through it.
type countRunning struct {
	base http.RoundTripper
	n    *atomic.Int32
}

func (c countRunning) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	defer c.n.Add(-1)
	return c.base.RoundTrip(r)
}

// ---- the ID token ----

func TestConnectRefusesABadIDToken(t *testing.T) {
	cases := []struct {
		name  string
		token func(p *fltProvider, auth url.Values) string
		want  []string
	}{
		{"wrong audience", func(p *fltProvider, auth url.Values) string {
			return p.idToken(auth, func(c map[string]any) { c["aud"] = "someone-else" })
		}, []string{"ID token failed verification", "audience", "check the client ID"}},
		{"wrong nonce", func(p *fltProvider, auth url.Values) string {
			return p.idToken(auth, func(c map[string]any) { c["nonce"] = "a-nonce-from-another-sign-in" })
		}, []string{"nonce does not match", "connect again"}},
		{"no nonce", func(p *fltProvider, auth url.Values) string {
			return p.idToken(auth, func(c map[string]any) { delete(c, "nonce") })
		}, []string{"nonce does not match"}},
		{"expired", func(p *fltProvider, auth url.Values) string {
			return p.idToken(auth, func(c map[string]any) {
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			})
		}, []string{"ID token has already expired", "clock"}},
		{"bad signature", func(p *fltProvider, auth url.Values) string {
			claims := map[string]any{"iss": p.issuer(), "sub": fltSubject, "aud": fltClientID,
				"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nonce": auth.Get("nonce")}
			return oauthtest.SignUnknown(t, claims) // a key the provider's JWKS does not hold
		}, []string{"ID token failed verification", "signature"}},
		{"tampered payload", func(p *fltProvider, auth url.Values) string {
			parts := strings.Split(p.idToken(auth, nil), ".")
			evil, _ := json.Marshal(map[string]any{"iss": p.issuer(), "sub": "admin", "aud": fltClientID,
				"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nonce": auth.Get("nonce")})
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(evil) + "." + parts[2]
		}, []string{"ID token failed verification", "signature"}},
		{"wrong issuer", func(p *fltProvider, auth url.Values) string {
			return p.idToken(auth, func(c map[string]any) { c["iss"] = "https://evil.example" })
		}, []string{"ID token failed verification", "issuer"}},
		{"missing", func(p *fltProvider, auth url.Values) string { return "" }, []string{"sent no ID token", "scopes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFltFixture(t, nil, "")
			f.p.setToken(func(w http.ResponseWriter, _, auth url.Values) {
				body := map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer",
					"refresh_token": fltUnique("rt"), "expires_in": 3600}
				if idt := c.token(f.p, auth); idt != "" {
					body["id_token"] = idt
				}
				oauthtest.JSON(w, http.StatusOK, body)
			})
			_, err := f.connect(t)
			fltAssertMessage(t, err, append([]string{"Fake IdP"}, c.want...)...)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			f.assertNothingKept(t)
		})
	}
}

// ---- the callback ----

func TestConnectCallbackWithoutCode(t *testing.T) {
	f := newFltFixture(t, nil, "")
	var status int
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		status, _ = f.callback(q.Get("redirect_uri"), url.Values{"state": {q.Get("state")}})
		return nil
	})
	_, err := f.connect(t)
	fltAssertMessage(t, err, "Fake IdP", "without a code", "connect again")
	if status != http.StatusBadRequest {
		t.Errorf("the browser was shown status %d; want 400", status)
	}
	if n := len(f.p.exchangeForms()); n != 0 {
		t.Errorf("%d exchanges without a code", n)
	}
	f.assertNothingKept(t)
}

// The provider's refusal reaches the browser's page and Connect at the same moment, as with
// a real browser (its own process): the page is written from the error Connect names the app
// in, so under -race a shared error would be caught here (it was, in the built binary).
func TestConnectProviderRefusalWhileThePageIsWritten(t *testing.T) {
	f := newFltFixture(t, nil, "")
	page := make(chan string, 1)
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		go func() {
			_, body := f.callback(q.Get("redirect_uri"), url.Values{"state": {q.Get("state")}, "error": {"access_denied"}, "error_description": {"No thanks"}})
			page <- body
		}()
		return nil
	})
	_, err := f.connect(t)
	fltAssertMessage(t, err, "Fake IdP: sign-in failed", `"access_denied"`, "No thanks")
	if body := <-page; !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, "access_denied") {
		t.Errorf("the browser's page: %s", body)
	}
	f.assertNothingKept(t)
}

// A callback from an earlier attempt (its state and code, replayed into a new attempt) is
// refused: each attempt has a state of its own, and the replayed code is never exchanged.
// (Before issue 8 the replay also ended the new attempt; now it is answered 400 and the new
// attempt goes on to its own answer.)
func TestConnectRefusesAReplayedState(t *testing.T) {
	f := newFltFixture(t, nil, "")
	var first url.Values
	f.setBrowser(func(link *url.URL) error {
		q := link.Query()
		first = url.Values{"code": {"first-code"}, "state": {q.Get("state")}}
		f.callback(q.Get("redirect_uri"), first)
		return nil
	})
	if _, err := f.connect(t); err != nil {
		t.Fatalf("first Connect: %v", err)
	}

	var status int
	var page string
	f.setBrowser(func(link *url.URL) error {
		if link.Query().Get("state") == first.Get("state") {
			t.Error("the second attempt reuses the first attempt's state")
		}
		status, page = f.callback(link.Query().Get("redirect_uri"), first)
		return f.signIn(link)
	})
	if _, err := f.connect(t); err != nil {
		t.Fatalf("second Connect after a replay: %v", err)
	}
	if status != http.StatusBadRequest || !strings.Contains(page, "Not this sign-in") {
		t.Errorf("the replayed callback was shown %d %q; want 400 Not this sign-in", status, page)
	}
	forms := f.p.exchangeForms()
	if len(forms) != 2 || forms[1].Get("code") == "first-code" {
		t.Errorf("exchanges %v; want 2, and the replayed code not exchanged again", forms)
	}
}

// Once the attempt has ended, its state is dead: the catcher no longer listens, so even the
// right state and a fresh code reach nothing.
func TestConnectStateDiesWithTheAttempt(t *testing.T) {
	f := newFltFixture(t, nil, "")
	var redirect, state string
	f.setBrowser(func(link *url.URL) error {
		redirect, state = link.Query().Get("redirect_uri"), link.Query().Get("state")
		return f.signIn(link)
	})
	if _, err := f.connect(t); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(redirect + "?" + url.Values{"code": {"late"}, "state": {state}}.Encode())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the catcher still answers (%s) after the attempt ended", resp.Status)
	}
	if n := len(f.p.exchangeForms()); n != 1 {
		t.Errorf("%d exchanges; want 1", n)
	}
}

// Nobody signs in in time: the attempt ends with one line naming the timeout, and its state
// dies with it: the catcher no longer listens.
func TestConnectTimeoutSpendsTheState(t *testing.T) {
	f := newFltFixture(t, nil, "")
	var redirect, state string
	f.setBrowser(func(link *url.URL) error {
		redirect, state = link.Query().Get("redirect_uri"), link.Query().Get("state")
		return nil // the person never comes back
	})
	_, err := f.svc.Connect(context.Background(), f.app.ProviderName, ConnectOptions{Timeout: 50 * time.Millisecond})
	fltAssertMessage(t, err, "Fake IdP", "nobody signed in within 50ms")
	wantRemedy(t, err, fail.WaitLongerFor("Fake IdP"))
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("error %v is not ErrTimeout", err)
	}
	resp, err := http.Get(redirect + "?" + url.Values{"code": {"late"}, "state": {state}}.Encode())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the catcher still answers (%s) after the attempt timed out", resp.Status)
	}
	if n := len(f.p.exchangeForms()); n != 0 {
		t.Errorf("%d exchanges", n)
	}
	f.assertNothingKept(t)
}

// The redirect port is held by another program: the sign-in does not start, and the next step
// (choose another port) names the app, which the catcher alone does not know.
func TestConnectPortInUseNamesTheApp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	f := newFltFixture(t, func(a *App) { a.RedirectPort = port }, "")
	f.setBrowser(func(*url.URL) error { t.Error("the browser was opened although nothing could listen"); return nil })
	_, err = f.connect(t)
	fltAssertMessage(t, err, "Fake IdP", fmt.Sprintf("port %d", port), "already in use")
	if !errors.Is(err, ErrPortInUse) {
		t.Errorf("error %v is not ErrPortInUse", err)
	}
	if got := fail.Remedies(err); len(got) != 1 || got[0] != fail.ChoosePortFor("Fake IdP") {
		t.Errorf("remedies %+v; want choosing another port for Fake IdP, once", got)
	}
}

// fltProbingStore answers connect's question before the browser (may the tokens be kept?)
// with probeErr, and counts the questions; reads and writes go to the memory store.
type fltProbingStore struct {
	*secret.MemoryStore
	probeErr error
	probes   []string
}

func (p *fltProbingStore) Probe(key string) error {
	p.probes = append(p.probes, key)
	return p.probeErr
}

// Before the browser opens connect asks the keyring whether it could keep the tokens,
// without reading them: a keyring that says no stops the sign-in there, and one that says
// yes is not read at all on the way (the write needs no read of a memory store).
func TestConnectAsksTheKeyringBeforeTheBrowserWithoutReadingIt(t *testing.T) {
	f := newFltFixture(t, nil, "")
	store := &fltProbingStore{MemoryStore: f.mem, probeErr: Failf(ErrKeyringUnavailable, "the system keyring is locked and could not be unlocked for a read")}
	f.svc.Secrets = store
	f.setBrowser(func(*url.URL) error {
		t.Error("the browser was opened although the tokens could not be kept")
		return nil
	})
	_, err := f.connect(t)
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("connect with the keyring locked: %v", err)
	}
	if want := []string{tokensKey(f.app.ID, AnonymousAccount)}; !slices.Equal(store.probes, want) {
		t.Fatalf("probed %q, want %q", store.probes, want)
	}

	store.probeErr, store.probes = nil, nil
	f.setBrowser(f.signIn)
	f.mem.Reads = 0
	if _, err := f.connect(t); err != nil {
		t.Fatalf("connect with the keyring answering: %v", err)
	}
	if len(store.probes) != 1 || f.mem.Reads != 0 {
		t.Fatalf("%d probes and %d keyring reads; want one probe and no read", len(store.probes), f.mem.Reads)
	}
}
