package core

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
)

// Attacks through redirects: a provider's endpoint (or whoever can make it answer) replies
// with a redirect to somewhere else. Every request that carries a secret must stop there, and
// discovery and the JWKS may follow only to https (or loopback). "Elsewhere" is a loopback
// HTTP proxy that every request for another host goes through, as HTTP_PROXY would send it,
// plus a plain loopback server: whatever reaches either is recorded, and nothing may.

const attackerURL = "http://attacker.invalid/steal"

type elsewhere struct {
	proxy, server *httptest.Server
	mu            sync.Mutex
	arrived       []string // "METHOD URL body" of everything that reached elsewhere
}

func newElsewhere(t *testing.T) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	record := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.arrived = append(e.arrived, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization")+" "+string(body))
		e.mu.Unlock()
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "from-elsewhere", "token_type": "Bearer", "expires_in": 3600})
	}
	e.proxy = httptest.NewServer(http.HandlerFunc(record))
	e.server = httptest.NewServer(http.HandlerFunc(record))
	t.Cleanup(e.proxy.Close)
	t.Cleanup(e.server.Close)
	return e
}

// transport is srv's transport (which trusts httptest's certificate) with every request for
// a host off loopback sent through the proxy. It is set here, not read from HTTP_PROXY,
// because net/http reads the environment once per process.
func (e *elsewhere) transport(srv *httptest.Server) *http.Transport {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	proxy, _ := url.Parse(e.proxy.URL)
	tr.Proxy = func(r *http.Request) (*url.URL, error) {
		if isLoopbackHost(r.URL.Hostname()) {
			return nil, nil
		}
		return proxy, nil
	}
	return tr
}

// client is the production client over that transport.
func (e *elsewhere) client(srv *httptest.Server) *http.Client {
	return NewHTTPClient(e.transport(srv))
}

// destinations are where a hostile redirect points.
func (e *elsewhere) destinations() map[string]string {
	return map[string]string{"another host, through the proxy": attackerURL, "a plain http server on loopback": e.server.URL + "/steal"}
}

func (e *elsewhere) assertNothingArrived(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, got := range e.arrived {
		t.Errorf("a request reached elsewhere: %q", got)
	}
}

// redirector is an https endpoint that answers every request with a 307 to location, and
// counts the requests it gets.
type redirector struct {
	*httptest.Server
	mu   sync.Mutex
	hits int
}

func newRedirector(t *testing.T, location string) *redirector {
	t.Helper()
	rd := &redirector{}
	rd.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.mu.Lock()
		rd.hits++
		rd.mu.Unlock()
		w.Header().Set("Location", location)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	t.Cleanup(rd.Close)
	return rd
}

func (rd *redirector) requests() int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.hits
}

// assertRefusedRedirect checks the one line a person reads about a refused redirect.
func assertRefusedRedirect(t *testing.T, err error, step, endpoint, location, flag string) {
	t.Helper()
	fltAssertMessage(t, err, step+" failed", "the "+endpoint+" ", "redirect (307) to "+location, "never follow redirects",
		"nothing was sent there")
	field := map[string]string{"token-url": "token_uri", "revocation-url": "revocation_uri", "introspection-url": "introspection_uri",
		"userinfo-url": "userinfo_uri", "device-url": "device_authorization_uri"}[flag]
	if !slices.ContainsFunc(fail.Remedies(err), func(r fail.Remedy) bool { return r.Do == fail.MoveEndpoint && r.Field == field }) {
		t.Errorf("a refused redirect at the %s does not offer to put a moved URL in %s: %+v", endpoint, field, fail.Remedies(err))
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("a refused redirect is not ErrInvalid: %v", err)
	}
	if errors.Is(err, ErrNeedsReauth) || errors.Is(err, ErrClientRejected) || errors.Is(err, ErrTransient) {
		t.Errorf("a refused redirect claims another kind: %v", err)
	}
	tokNoSecrets(t, err)
}

// The harness itself: a client without the policy does send the secrets elsewhere, so the
// tests below would see it if the policy let a redirect through.
func TestRedirectHarnessSeesWhatAFollowedRedirectSends(t *testing.T) {
	el := newElsewhere(t)
	for name, dest := range el.destinations() {
		t.Run(name, func(t *testing.T) {
			rd := newRedirector(t, dest)
			naive := &http.Client{Transport: el.transport(rd.Server)}
			resp, err := naive.Post(rd.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("refresh_token="+tokOldRefresh))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			el.mu.Lock()
			defer el.mu.Unlock()
			if len(el.arrived) != 1 || !strings.Contains(el.arrived[0], tokOldRefresh) {
				t.Fatalf("elsewhere got %q; want the refresh token", el.arrived)
			}
			el.arrived = nil
		})
	}
}

// A 307 from the token endpoint at refresh: the refresh token and the client secret (in the
// Authorization header or the body) reach nobody, the tokens and the connection stay as they
// were, and the app is not marked as needing a sign-in.
func TestRedirectAtRefreshSendsNoSecret(t *testing.T) {
	el := newElsewhere(t)
	for name, dest := range el.destinations() {
		for _, method := range []AuthMethod{AuthMethodBasic, AuthMethodPost} {
			t.Run(name+"/"+string(method), func(t *testing.T) {
				rd := newRedirector(t, dest)
				now := time.Now().UTC().Truncate(time.Second)
				f := newTokFixture(t, rd.URL+"/token", el.client(rd.Server), method, tokClientSecret, tokSet(now, 10*time.Second, tokOldRefresh))
				before := f.storedRaw(t)
				registryBefore, _ := os.ReadFile(f.svc.Registry.Path())
				_, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
				assertRefusedRedirect(t, err, "refresh", "token endpoint "+rd.URL+"/token", dest, "token-url")
				fltAssertMessage(t, err, f.app.ProviderName, "every token was kept")
				el.assertNothingArrived(t)
				if n := rd.requests(); n != 1 {
					t.Errorf("the token endpoint got %d requests, want 1 (no retry in the other auth style)", n)
				}
				if f.storedRaw(t) != before {
					t.Error("the tokens changed")
				}
				if after, _ := os.ReadFile(f.svc.Registry.Path()); string(after) != string(registryBefore) {
					t.Errorf("apps.json changed:\n%s\nwas:\n%s", after, registryBefore)
				}
				if c := f.connection(t); c.State != StateConnected || c.LastError != "" {
					t.Errorf("the connection changed: %+v", c)
				}
			})
		}
	}
}

// The code exchange: the code, the PKCE verifier and the client secret stay here.
func TestRedirectAtCodeExchangeSendsNoSecret(t *testing.T) {
	el := newElsewhere(t)
	for name, dest := range el.destinations() {
		t.Run(name, func(t *testing.T) {
			rd := newRedirector(t, dest)
			f := newFltFixture(t, func(a *App) { a.TokenURI = rd.URL + "/token" }, tokClientSecret)
			f.svc.HTTP = el.client(rd.Server)
			_, err := f.connect(t)
			assertRefusedRedirect(t, err, "token exchange", "token endpoint "+rd.URL+"/token", dest, "token-url")
			el.assertNothingArrived(t)
			f.assertNothingKept(t)
			if rd.requests() != 1 {
				t.Errorf("the token endpoint got %d requests, want 1", rd.requests())
			}
		})
	}
}

// Revocation, introspection and userinfo: the token (and, for the first two, the client's
// credentials) reach nobody, and nothing is deleted.
func TestRedirectAtRevocationIntrospectionUserinfoSendsNoSecret(t *testing.T) {
	el := newElsewhere(t)
	for name, dest := range el.destinations() {
		t.Run(name, func(t *testing.T) {
			rd := newRedirector(t, dest)
			now := time.Now().UTC().Truncate(time.Second)
			f := newTokFixture(t, rd.URL+"/token", el.client(rd.Server), AuthMethodBasic, tokClientSecret, tokSet(now, time.Hour, tokOldRefresh))
			if err := f.svc.Registry.UpdateApp(f.app.ID, func(a *App) error {
				a.RevocationURI, a.IntrospectionURI, a.UserinfoURI = rd.URL+"/revoke", rd.URL+"/introspect", rd.URL+"/userinfo"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			before := f.storedRaw(t)
			ctx := context.Background()

			_, err := f.svc.Disconnect(ctx, f.app.ProviderName, false)
			assertRefusedRedirect(t, err, "revocation", "revocation endpoint "+rd.URL+"/revoke", dest, "revocation-url")
			fltAssertMessage(t, err, "nothing was deleted")

			_, err = f.svc.Introspect(ctx, f.app.ProviderName)
			assertRefusedRedirect(t, err, "introspection", "introspection endpoint "+rd.URL+"/introspect", dest, "introspection-url")

			_, err = f.svc.Userinfo(ctx, f.app.ProviderName)
			assertRefusedRedirect(t, err, "userinfo", "userinfo endpoint "+rd.URL+"/userinfo", dest, "userinfo-url")

			err = f.svc.Remove(ctx, f.app.ProviderName, false)
			assertRefusedRedirect(t, err, "revocation", "revocation endpoint "+rd.URL+"/revoke", dest, "revocation-url")
			fltAssertMessage(t, err, "nothing was removed")
			el.assertNothingArrived(t)
			if rd.requests() != 4 {
				t.Errorf("the endpoints got %d requests, want 4 (revoke, introspect, userinfo, revoke at remove)", rd.requests())
			}
			if f.storedRaw(t) != before {
				t.Error("the tokens changed")
			}
			if _, err := f.svc.Get(f.app.ID); err != nil {
				t.Errorf("the app is gone after a refused revocation at remove: %v", err)
			}
		})
	}
}

// The device flow: the device authorization request (with the client's credentials), and the
// polling of the token endpoint (with the device code), each stop at the first redirect;
// polling does not go on against it.
func TestRedirectInTheDeviceFlowSendsNoSecret(t *testing.T) {
	el := newElsewhere(t)
	redirect := func(w http.ResponseWriter) {
		w.Header().Set("Location", attackerURL)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	t.Run("device authorization", func(t *testing.T) {
		dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) { t.Error("polled after a refused device authorization") })
		dp.Handle("/device", func(w http.ResponseWriter, _ int, _ oauthtest.Request) { redirect(w) })
		f := newDeviceFixture(t, dp, nil)
		f.svc.HTTP = el.client(dp.Server)
		_, err := f.svc.ConnectDevice(context.Background(), f.app.ProviderName, DeviceOptions{sleep: f.clock.sleep})
		assertRefusedRedirect(t, err, "device authorization", "device authorization endpoint "+dp.URL+"/device", attackerURL, "device-url")
		el.assertNothingArrived(t)
	})
	t.Run("token polling", func(t *testing.T) {
		dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) { redirect(w) })
		f := newDeviceFixture(t, dp, nil)
		f.svc.HTTP = el.client(dp.Server)
		_, err := f.svc.ConnectDevice(context.Background(), f.app.ProviderName, DeviceOptions{NoBrowser: true, sleep: f.clock.sleep})
		assertRefusedRedirect(t, err, "device sign-in", "token endpoint "+dp.URL+"/token", attackerURL, "token-url")
		el.assertNothingArrived(t)
		if n := dp.Count("/token"); n != 1 {
			t.Errorf("%d polls; a refused redirect must end the wait at once", n)
		}
		if _, err := f.mem.Get(appTokensKey(t, f.svc, f.app.ID)); !errors.Is(err, ErrNotFound) {
			t.Errorf("tokens were stored: %v", err)
		}
	})
}

// The client credentials grant: the client secret reaches nobody.
func TestRedirectAtClientCredentialsSendsNoSecret(t *testing.T) {
	el := newElsewhere(t)
	rd := newRedirector(t, attackerURL)
	f := newFixture(t, fixtureOpts{http: el.client(rd.Server)})
	app := NewApp("Machine")
	app.ClientID, app.TokenURI, app.GrantType = tokClientID, rd.URL+"/token", GrantClientCredentials
	app = f.add(t, app, tokClientSecret)
	_, err := f.svc.Token(context.Background(), app.ProviderName, DefaultMinValid)
	assertRefusedRedirect(t, err, "token request", "token endpoint "+rd.URL+"/token", attackerURL, "token-url")
	el.assertNothingArrived(t)
}

// A Service built without NewService, with a client that follows any redirect, still
// follows none with a secret: the policy is applied where each request is sent.
func TestRedirectPolicyHoldsForAHandMadeClient(t *testing.T) {
	el := newElsewhere(t)
	rd := newRedirector(t, attackerURL)
	now := time.Now().UTC().Truncate(time.Second)
	naive := &http.Client{Transport: el.transport(rd.Server)}
	f := newTokFixture(t, rd.URL+"/token", naive, AuthMethodBasic, tokClientSecret, tokSet(now, 10*time.Second, tokOldRefresh))
	f.svc.HTTP = naive // NewService's copy would have the policy; this one has none of its own
	_, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
	assertRefusedRedirect(t, err, "refresh", "token endpoint", attackerURL, "token-url")
	el.assertNothingArrived(t)
}

// Discovery may follow a redirect to https (a provider that moved its document), but not a
// downgrade to plain http off loopback, nor more than a few hops.
func TestDiscoveryRedirects(t *testing.T) {
	el := newElsewhere(t)
	t.Run("https to plain http elsewhere is refused", func(t *testing.T) {
		rd := newRedirector(t, "http://attacker.invalid"+oauth.WellKnownSuffix)
		md, err := Discover(context.Background(), el.client(rd.Server), rd.URL, "")
		assertDiscoveryError(t, err, rd.URL+oauth.WellKnownSuffix, "redirected to http://attacker.invalid"+oauth.WellKnownSuffix,
			"neither https nor this machine's loopback", "not followed", "check the URL")
		if md != nil {
			t.Errorf("a refused discovery returned %+v", md)
		}
		el.assertNothingArrived(t)
	})
	t.Run("https to https is followed", func(t *testing.T) {
		// The document's issuer must still be the URL asked: the one that redirects.
		var origin string
		moved := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(fullDiscoveryDoc(origin))
		}))
		defer moved.Close()
		rd := newRedirector(t, moved.URL+oauth.WellKnownSuffix)
		origin = rd.URL
		md, err := Discover(context.Background(), el.client(rd.Server), rd.URL, "")
		if err != nil || md.Issuer != rd.URL {
			t.Fatalf("a redirect to https was not followed: %+v, %v", md, err)
		}
		el.assertNothingArrived(t)
	})
	t.Run("a loop ends after a few hops", func(t *testing.T) {
		loop := newRedirector(t, "/again")
		_, err := Discover(context.Background(), el.client(loop.Server), loop.URL, "")
		assertDiscoveryError(t, err, loop.URL+oauth.WellKnownSuffix, "redirects in a loop", "more than 5 redirects", "check the URL")
		if n := loop.requests(); n != oauth.MaxRedirectHops+1 {
			t.Errorf("%d requests; want the first and %d redirects", n, oauth.MaxRedirectHops)
		}
	})
}

// The JWKS: a redirect to plain http elsewhere is refused, one to https is followed, and a
// body without end is cut at 1 MiB rather than read until memory runs out.
func TestJWKSRedirectsAndSize(t *testing.T) {
	el := newElsewhere(t)
	s := oauthtest.NewProvider(t)
	now := time.Now()
	token := s.Sign(map[string]any{"iss": "https://idp.example", "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	app := func(jwks string) *App {
		return &App{ProviderName: "P", ClientID: "c", Issuer: "https://idp.example", JWKSURI: jwks}
	}
	t.Run("redirect to plain http elsewhere", func(t *testing.T) {
		rd := newRedirector(t, "http://attacker.invalid/jwks")
		_, err := oauth.VerifyIDToken(context.Background(), el.client(rd.Server), app(rd.URL+"/jwks"), token, "", time.Now)
		fltAssertMessage(t, err, "P: the ID token could not be checked", "the JWKS at "+rd.URL+"/jwks could not be fetched",
			"redirected to http://attacker.invalid/jwks", "neither https nor")
		wantRemedy(t, err, fail.FixFieldOf("P", "jwks_uri"))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("not ErrInvalid: %v", err)
		}
		el.assertNothingArrived(t)
	})
	t.Run("redirect to https", func(t *testing.T) {
		keys := httptest.NewTLSServer(s.Config.Handler)
		defer keys.Close()
		rd := newRedirector(t, keys.URL+"/jwks")
		id, err := oauth.VerifyIDToken(context.Background(), el.client(rd.Server), app(rd.URL+"/jwks"), token, "", time.Now)
		if err != nil || id.Subject != "u" {
			t.Fatalf("a JWKS moved to https: %+v, %v", id, err)
		}
	})
	t.Run("a body without end", func(t *testing.T) {
		var sent sync.Mutex
		total := 0
		endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"keys":[`)
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for r.Context().Err() == nil {
				n, err := w.Write(chunk)
				sent.Lock()
				total += n
				sent.Unlock()
				if err != nil {
					return
				}
			}
		}))
		defer endless.Close()
		start := time.Now()
		_, err := oauth.VerifyIDToken(context.Background(), endless.Client(), app(endless.URL+"/jwks"), token, "", time.Now)
		fltAssertMessage(t, err, "the JWKS at "+endless.URL+"/jwks answered with more than 1 MiB", "far more than a key set")
		wantRemedy(t, err, fail.FixFieldOf("P", "jwks_uri"))
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the endless JWKS held verification for %s", d)
		}
		endless.CloseClientConnections()
		sent.Lock()
		defer sent.Unlock()
		t.Logf("the server managed to send %d bytes", total)
	})
	t.Run("a key set of exactly the limit is read", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			s.Config.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, oauthtest.JWKSPath, nil))
			body := strings.TrimRight(rec.Body.String(), "\n")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body+strings.Repeat(" ", oauth.MaxJWKSBody-len(body)))
		}))
		defer srv.Close()
		if _, err := oauth.VerifyIDToken(context.Background(), srv.Client(), app(srv.URL), token, "", time.Now); err != nil {
			t.Fatalf("a JWKS of exactly %d bytes: %v", oauth.MaxJWKSBody, err)
		}
	})
}

// The Location is the provider's text: a C1 control character in its query (which url.Parse
// lets through) is percent-encoded before it reaches the terminal.
func TestRefusedRedirectLocationIsPrintable(t *testing.T) {
	el := newElsewhere(t)
	rd := newRedirector(t, "http://attacker.invalid/x?q=\u009b31mred")
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, rd.URL+"/token", el.client(rd.Server), AuthMethodBasic, tokClientSecret, tokSet(now, 10*time.Second, tokOldRefresh))
	_, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
	fltAssertMessage(t, err, "redirect (307) to http://attacker.invalid/x?q=%C2%9B31mred")
	if strings.ContainsRune(err.Error(), '\u009b') {
		t.Errorf("a control character reached the message: %q", err)
	}
	el.assertNothingArrived(t)
}
