package core

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
)

// newTokEndpoint is a provider whose token endpoint answers with respond (n counts requests
// from 1); it takes POST only, as RFC 6749 3.2 says.
func newTokEndpoint(t *testing.T, respond oauthtest.Answer) *oauthtest.Provider {
	t.Helper()
	p := oauthtest.NewProvider(t)
	p.Handle("/token", func(w http.ResponseWriter, n int, req oauthtest.Request) {
		if req.Method != http.MethodPost {
			t.Errorf("token endpoint got %s", req.Method)
		}
		respond(w, n, req)
	})
	return p
}

// tokRotating answers every refresh with a new access token and a rotated refresh token.
func tokRotating(w http.ResponseWriter, n int, _ oauthtest.Request) {
	oauthtest.JSON(w, http.StatusOK, map[string]any{
		"access_token":  fmt.Sprintf("at-new-%d", n),
		"token_type":    "Bearer",
		"refresh_token": fmt.Sprintf("rt-new-%d", n),
		"expires_in":    3600,
	})
}

const (
	tokClientID     = "client-1"
	tokClientSecret = "s3cr3t/+= value"
	tokOldAccess    = "at-old"
	tokOldRefresh   = "rt-old"
	tokOldIDToken   = "id-token-old"
)

// newTokFixture registers an app whose token endpoint is tokenURL with the given auth method
// (secret "" adds none), stores ts as its tokens and marks it connected an hour ago.
func newTokFixture(t *testing.T, tokenURL string, hc *http.Client, method AuthMethod, clientSecret string, ts *TokenSet) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOpts{http: hc})
	app := NewApp("Example IdP")
	app.ClientID = tokClientID
	app.AuthorizationURI = "https://idp.example.com/authorize"
	app.TokenURI = tokenURL
	app.Scopes = []string{"read", "write"}
	app.TokenEndpointAuthMethod = method
	app = f.add(t, app, clientSecret)
	if ts != nil {
		f.app = f.markConnected(t, app, ts, Connection{GrantedScopes: ts.Scopes, ConnectedAt: f.clock.Now().Add(-time.Hour), Subject: "user-1"})
	}
	return f
}

func tokTime(t time.Time) *time.Time { return &t }

func tokSet(now time.Time, expiresIn time.Duration, refresh string) *TokenSet {
	return &TokenSet{AccessToken: tokOldAccess, TokenType: "Bearer", RefreshToken: refresh, IDToken: tokOldIDToken,
		Expiry: tokTime(now.Add(expiresIn)), Scopes: []string{"read", "write"}}
}

func (f *fixture) storedRaw(t *testing.T) string {
	t.Helper()
	raw, err := f.mem.Get(appTokensKey(t, f.svc, f.app.ID))
	if err != nil {
		t.Fatalf("reading the stored tokens: %v", err)
	}
	return raw
}

func (f *fixture) stored(t *testing.T) TokenSet {
	t.Helper()
	var ts TokenSet
	if err := json.Unmarshal([]byte(f.storedRaw(t)), &ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (f *fixture) connection(t *testing.T) Connection {
	t.Helper()
	app, err := f.svc.Registry.Find(f.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if app.Connection() == nil {
		t.Fatal("the app has no Connection")
	}
	return *app.Connection()
}

func tokOneLine(t *testing.T, err error) {
	t.Helper()
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

// tokNoSecrets checks that no token or client secret leaked into an error.
func tokNoSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{tokClientSecret, tokOldRefresh, tokOldAccess, tokOldIDToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error reveals a secret %q: %q", s, err)
		}
	}
}

// ---- tokenSetFrom ----

func TestTokenSetFromExpiry(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "at", TokenType: "Bearer"}
	if ts := oauth.TokenSetFrom(tok, nil, nil); ts.Expiry != nil {
		t.Errorf("no expires_in: Expiry = %v; want nil (unknown)", ts.Expiry)
	}
	loc := time.FixedZone("UTC+2", 2*60*60)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, loc)
	ts := oauth.TokenSetFrom(&oauth2.Token{AccessToken: "at", Expiry: exp}, nil, nil)
	if ts.Expiry == nil {
		t.Fatal("Expiry = nil; want set")
	}
	want := time.Date(2030, 1, 2, 1, 4, 6, 0, time.UTC)
	if !ts.Expiry.Equal(want) || ts.Expiry.Location() != time.UTC {
		t.Errorf("Expiry = %v; want %v (absolute, UTC, whole seconds)", ts.Expiry, want)
	}
	if d, ok := ts.ExpiresIn(want.Add(-time.Minute)); !ok || d != time.Minute {
		t.Errorf("ExpiresIn = %v, %v; want 1m, true", d, ok)
	}
	if _, ok := oauth.TokenSetFrom(tok, nil, nil).ExpiresIn(time.Now()); ok {
		t.Error("ExpiresIn of an unknown expiry reports ok")
	}
}

func TestTokenSetFromScopes(t *testing.T) {
	requested := []string{"read", "write"}
	withScope := (&oauth2.Token{AccessToken: "at"}).WithExtra(map[string]any{"scope": " read  admin "})
	without := (&oauth2.Token{AccessToken: "at"}).WithExtra(map[string]any{"token_type": "Bearer"})

	if ts := oauth.TokenSetFrom(withScope, nil, requested); !slices.Equal(ts.Scopes, []string{"read", "admin"}) {
		t.Errorf("granted scope: Scopes = %q", ts.Scopes)
	}
	ts := oauth.TokenSetFrom(without, nil, requested)
	if !slices.Equal(ts.Scopes, requested) {
		t.Errorf("scope absent: Scopes = %q; want the requested %q", ts.Scopes, requested)
	}
	requested[0] = "changed"
	if ts.Scopes[0] != "read" {
		t.Error("Scopes aliases the requested slice")
	}
	prev := &TokenSet{Scopes: []string{"granted-before"}}
	if ts := oauth.TokenSetFrom(without, prev, []string{"read"}); !slices.Equal(ts.Scopes, []string{"granted-before"}) {
		t.Errorf("refresh without scope: Scopes = %q; want the previous grant", ts.Scopes)
	}
	if ts := oauth.TokenSetFrom(&oauth2.Token{AccessToken: "at"}, nil, nil); len(ts.Scopes) != 0 {
		t.Errorf("nothing requested or granted: Scopes = %q", ts.Scopes)
	}
}

func TestTokenSetFromRefreshAndIDToken(t *testing.T) {
	prev := &TokenSet{AccessToken: "old", RefreshToken: "rt-old", IDToken: "idt-old", Scopes: []string{"a"}}

	// A refresh answer without refresh_token keeps the old one (and the old ID token).
	ts := oauth.TokenSetFrom(&oauth2.Token{AccessToken: "new", TokenType: "Bearer"}, prev, nil)
	if ts.AccessToken != "new" || ts.RefreshToken != "rt-old" || ts.IDToken != "idt-old" || ts.TokenType != "Bearer" {
		t.Errorf("tokenSetFrom = %+v; want new access token, old refresh and ID tokens", ts)
	}

	// A rotated refresh token and a new ID token replace the old ones.
	tok := (&oauth2.Token{AccessToken: "new", RefreshToken: "rt-new"}).WithExtra(map[string]any{"id_token": "idt-new"})
	ts = oauth.TokenSetFrom(tok, prev, nil)
	if ts.RefreshToken != "rt-new" || ts.IDToken != "idt-new" {
		t.Errorf("tokenSetFrom = %+v; want rt-new, idt-new", ts)
	}

	// First sign-in: the ID token is kept; no refresh token stays none.
	tok = (&oauth2.Token{AccessToken: "at"}).WithExtra(map[string]any{"id_token": "idt"})
	ts = oauth.TokenSetFrom(tok, nil, nil)
	if ts.IDToken != "idt" || ts.RefreshToken != "" {
		t.Errorf("tokenSetFrom = %+v; want IDToken idt and no refresh token", ts)
	}
	if prev.RefreshToken != "rt-old" || prev.IDToken != "idt-old" {
		t.Errorf("prev was modified: %+v", prev)
	}
}

func TestTokenSetType(t *testing.T) {
	for in, want := range map[string]string{"": "Bearer", "bearer": "Bearer", "BEARER": "Bearer", "Bearer": "Bearer", "DPoP": "DPoP", "mac": "mac"} {
		if got := (&TokenSet{TokenType: in}).Type(); got != want {
			t.Errorf("Type(%q) = %q; want %q", in, got, want)
		}
	}
}

// ---- oauthConfig auth styles ----

func TestOAuthConfigAuthStyles(t *testing.T) {
	tests := []struct {
		name       string
		method     AuthMethod
		hasSecret  bool
		supported  []string
		wantMethod AuthMethod
	}{
		{"basic", AuthMethodBasic, true, nil, AuthMethodBasic},
		{"post", AuthMethodPost, true, nil, AuthMethodPost},
		{"none", AuthMethodNone, true, nil, AuthMethodNone},
		{"auto with secret", AuthMethodAuto, true, nil, AuthMethodBasic},
		{"auto with secret, post only", AuthMethodAuto, true, []string{string(AuthMethodPost)}, AuthMethodPost},
		{"auto without secret", AuthMethodAuto, false, nil, AuthMethodNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokEndpoint(t, tokRotating)
			app := &App{ClientID: tokClientID, AuthorizationURI: "https://idp.example.com/authorize", TokenURI: te.At("/token"),
				Scopes: []string{"read"}, TokenEndpointAuthMethod: tt.method, HasClientSecret: tt.hasSecret,
				TokenEndpointAuthMethodsSupported: tt.supported}
			conf := oauth.Config(app, tokClientSecret, "http://127.0.0.1:8765/callback")
			if conf.ClientID != tokClientID || conf.RedirectURL != "http://127.0.0.1:8765/callback" ||
				conf.Endpoint.TokenURL != te.At("/token") || conf.Endpoint.AuthURL != app.AuthorizationURI || !slices.Equal(conf.Scopes, app.Scopes) {
				t.Errorf("config = %+v", conf)
			}
			if conf.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
				t.Error("AuthStyle is AutoDetect: a failed request would be retried")
			}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, te.Client())
			tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt-1"}).Token()
			if err != nil || tok.AccessToken != "at-new-1" {
				t.Fatalf("refresh = %v, %v", tok, err)
			}
			reqs := te.Requests("/token")
			if len(reqs) != 1 {
				t.Fatalf("%d requests; want 1", len(reqs))
			}
			r := reqs[0]
			if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != "rt-1" {
				t.Errorf("form = %v", r.Form)
			}
			switch tt.wantMethod {
			case AuthMethodBasic:
				if !r.HasBasic || r.BasicUser != tokClientID || r.BasicPass != tokClientSecret {
					t.Errorf("Basic header = %q (user %q, pass %q); want the client credentials", r.Authorization, r.BasicUser, r.BasicPass)
				}
				if r.Form.Has("client_secret") || r.Form.Has("client_id") {
					t.Errorf("client_secret_basic also sent credentials in the body: %v", r.Form)
				}
			case AuthMethodPost:
				if r.Authorization != "" {
					t.Errorf("client_secret_post sent an Authorization header %q", r.Authorization)
				}
				if r.Form.Get("client_id") != tokClientID || r.Form.Get("client_secret") != tokClientSecret {
					t.Errorf("client_secret_post body = %v; want client_id and client_secret", r.Form)
				}
			case AuthMethodNone:
				if r.Authorization != "" {
					t.Errorf("none sent an Authorization header %q", r.Authorization)
				}
				if r.Form.Get("client_id") != tokClientID {
					t.Errorf("none body = %v; want client_id", r.Form)
				}
				if r.Form.Has("client_secret") {
					t.Errorf("none sent a client_secret: %v", r.Form)
				}
			}
		})
	}
}

// ---- Service.Token and Service.Refresh ----

func TestServiceTokenFreshIsOneKeyringRead(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, time.Hour, tokOldRefresh))
	f.mem.Reads = 0
	ts, err := f.svc.Token(context.Background(), "example idp", DefaultMinValid)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if f.mem.Reads != 1 {
		t.Errorf("%d keyring reads; want exactly 1", f.mem.Reads)
	}
	if n := len(te.Requests("/token")); n != 0 {
		t.Errorf("%d token endpoint requests; want none for a fresh token", n)
	}
	if ts.AccessToken != tokOldAccess || ts.RefreshToken != tokOldRefresh || ts.IDToken != tokOldIDToken {
		t.Errorf("Token = %+v", ts)
	}
	// By id too.
	if _, err := f.svc.Token(context.Background(), f.app.ID, DefaultMinValid); err != nil {
		t.Errorf("Token by id: %v", err)
	}
}

func TestServiceTokenUnknownExpiryNeverRefreshes(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	ts := &TokenSet{AccessToken: tokOldAccess, RefreshToken: tokOldRefresh}
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, ts)
	got, err := f.svc.Token(context.Background(), f.app.ProviderName, 24*time.Hour)
	if err != nil || got.AccessToken != tokOldAccess {
		t.Errorf("Token = %+v, %v", got, err)
	}
	if n := len(te.Requests("/token")); n != 0 {
		t.Errorf("%d refreshes of a token with unknown expiry; want none", n)
	}
}

func TestServiceTokenStaleRefreshes(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, 30*time.Second, tokOldRefresh))
	before := time.Now()
	ts, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
	after := time.Now()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	reqs := te.Requests("/token")
	if len(reqs) != 1 {
		t.Fatalf("%d token endpoint requests; want 1", len(reqs))
	}
	r := reqs[0]
	if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != tokOldRefresh {
		t.Errorf("refresh request form = %v", r.Form)
	}
	if !r.HasBasic || r.BasicUser != tokClientID || r.BasicPass != tokClientSecret {
		t.Errorf("refresh request not authenticated with the stored secret: %q", r.Authorization)
	}
	if ts.AccessToken != "at-new-1" || ts.RefreshToken != "rt-new-1" {
		t.Errorf("Token = %+v; want the refreshed tokens", ts)
	}
	if ts.IDToken != tokOldIDToken || !slices.Equal(ts.Scopes, []string{"read", "write"}) {
		t.Errorf("ID token or scopes lost in the refresh: %+v", ts)
	}
	// x/oauth2 computes expiry from expires_in with the real clock.
	if ts.Expiry == nil || ts.Expiry.Before(before.Add(time.Hour-2*time.Second)) || ts.Expiry.After(after.Add(time.Hour+2*time.Second)) {
		t.Errorf("Expiry = %v; want about an hour from now", ts.Expiry)
	}

	stored := f.stored(t)
	if stored.RefreshToken != "rt-new-1" || stored.AccessToken != "at-new-1" || stored.IDToken != tokOldIDToken {
		t.Errorf("stored tokens = %+v; want the rotated refresh token stored", stored)
	}
	c := f.connection(t)
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(*ts.Expiry) {
		t.Errorf("Connection.ExpiresAt = %v; want %v", c.ExpiresAt, ts.Expiry)
	}
	if c.State != StateConnected || c.LastError != "" || !c.HasRefreshToken {
		t.Errorf("Connection = %+v", c)
	}
	if c.RefreshedAt == nil || !c.RefreshedAt.Equal(f.clock.Now()) {
		t.Errorf("RefreshedAt = %v; want the service clock %v", c.RefreshedAt, f.clock.Now())
	}
	if c.Subject != "user-1" || !c.ConnectedAt.Equal(f.clock.Now().Add(-time.Hour)) {
		t.Errorf("refresh lost connection facts: %+v", c)
	}

	// Now fresh: no further request.
	if _, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	if n := len(te.Requests("/token")); n != 1 {
		t.Errorf("%d requests after the token was renewed; want still 1", n)
	}
}

func TestServiceTokenRefreshWithoutRotationKeepsRefreshToken(t *testing.T) {
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "token_type": "Bearer", "expires_in": 600, "scope": "read"})
	})
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, -time.Minute, tokOldRefresh))
	ts, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}
	stored := f.stored(t)
	if ts.RefreshToken != tokOldRefresh || stored.RefreshToken != tokOldRefresh || stored.AccessToken != "at-2" {
		t.Errorf("returned %+v, stored %+v; want the old refresh token kept", ts, stored)
	}
	if !slices.Equal(stored.Scopes, []string{"read"}) || !slices.Equal(f.connection(t).GrantedScopes, []string{"read"}) {
		t.Errorf("granted scopes not recorded: stored %q, connection %q", stored.Scopes, f.connection(t).GrantedScopes)
	}
}

func TestServiceTokenRefreshDropsUnverifiableIDToken(t *testing.T) {
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 600, "id_token": "not.a.jwt"})
	})
	now := time.Now().UTC().Truncate(time.Second)
	// The app has no issuer or JWKS URI, so no ID token can be verified.
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, -time.Minute, tokOldRefresh))
	ts, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}
	stored := f.stored(t)
	if ts.IDToken != tokOldIDToken || stored.IDToken != tokOldIDToken {
		t.Errorf("unverified ID token kept: returned %q, stored %q", ts.IDToken, stored.IDToken)
	}
	if stored.AccessToken != "at-2" || stored.RefreshToken != "rt-2" {
		t.Errorf("renewed tokens not kept: %+v", stored)
	}
}

func TestServiceRefreshForcesRenewal(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, time.Hour, tokOldRefresh))
	ts, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if n := len(te.Requests("/token")); n != 1 {
		t.Errorf("%d requests; want 1 even though the token was fresh", n)
	}
	if ts.AccessToken != "at-new-1" || f.stored(t).RefreshToken != "rt-new-1" {
		t.Errorf("Refresh = %+v; stored %+v", ts, f.stored(t))
	}
}

// TestServiceTokenRefreshErrors: the token endpoint refuses a refresh. The error has the kind
// the answer means and no other, is one line that says what the provider said and what to do,
// and shows no secret; there is one request and every token is kept. A permanent refusal is
// recorded, so the next call says it again without asking the provider; a transient one
// leaves the connection as it was.
func TestServiceTokenRefreshErrors(t *testing.T) {
	invalidGrant := oauthtest.Always(http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Token is not active\nor was revoked"})
	rejected := func(code string) oauthtest.Answer {
		return oauthtest.Always(http.StatusUnauthorized, map[string]any{"error": code, "error_description": "Client authentication failed"})
	}
	needsReauth := func(name string, method AuthMethod) refreshErrorCase {
		return refreshErrorCase{name: name, method: method, answer: invalidGrant, expiresIn: 10 * time.Second, kind: ErrNeedsReauth,
			provider: "invalid_grant", status: http.StatusBadRequest, want: []string{"Token is not active or was revoked", "invalid_grant", "connect"},
			state: string(StateNeedsReauth), lastError: []string{"invalid_grant", "Token is not active"}, again: "Token is not active"}
	}
	clientRejected := func(code string) refreshErrorCase {
		return refreshErrorCase{name: code, answer: rejected(code), kind: ErrClientRejected, want: []string{"Client authentication failed"},
			state: string(StateClientRejected), lastError: []string{code}}
	}
	transient := func(name string, answer oauthtest.Answer, want string) refreshErrorCase {
		return refreshErrorCase{name: name, answer: answer, expiresIn: 5 * time.Second, kind: ErrTransient, want: []string{want, "try again"}}
	}
	for _, tt := range []refreshErrorCase{
		// invalid_grant, whatever the auth style: the fixed style does not retry.
		needsReauth("invalid_grant_auto", AuthMethodAuto), needsReauth("invalid_grant_basic", AuthMethodBasic),
		needsReauth("invalid_grant_post", AuthMethodPost), needsReauth("invalid_grant_none", AuthMethodNone),
		clientRejected("invalid_client"), clientRejected("unauthorized_client"),
		transient("503", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		}, "503"),
		transient("502 html", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>\n<body>Bad gateway</body>\n</html>")
		}, "502"),
		transient("429", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			w.Header().Set("Retry-After", "30")
			oauthtest.JSON(w, http.StatusTooManyRequests, map[string]any{"error": "slow_down"})
		}, "slow_down"),
		transient("temporarily_unavailable", oauthtest.Always(http.StatusBadRequest, map[string]any{"error": "temporarily_unavailable"}), "temporarily_unavailable"),
		transient("connection refused", nil, "cannot connect"),
	} {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokEndpoint(t, tt.answer)
			method, secret := cmp.Or(tt.method, AuthMethodAuto), tokClientSecret
			if method == AuthMethodNone {
				secret = ""
			}
			now := time.Now().UTC().Truncate(time.Second)
			f := newTokFixture(t, te.At("/token"), te.Client(), method, secret, tokSet(now, tt.expiresIn, tokOldRefresh))
			if tt.answer == nil {
				te.Close()
			}
			before, connBefore := f.storedRaw(t), f.connection(t)

			_, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Token = %v; want %v", err, tt.kind)
			}
			for _, other := range []error{ErrNeedsReauth, ErrClientRejected, ErrTransient} {
				if other != tt.kind && errors.Is(err, other) {
					t.Errorf("error %v also claims %v", err, other)
				}
			}
			var pe *ProviderError
			if tt.provider != "" && (!errors.As(err, &pe) || pe.Code != tt.provider || pe.Status != tt.status) {
				t.Errorf("error %v is not the provider's %s", err, tt.provider)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			tokOneLine(t, err)
			tokNoSecrets(t, err)
			if n := len(te.Requests("/token")); tt.answer != nil && n != 1 {
				t.Errorf("the token endpoint got %d requests; want exactly 1", n)
			}
			if after := f.storedRaw(t); after != before {
				t.Errorf("tokens changed:\n%s\n%s", before, after)
			}
			c := f.connection(t)
			if tt.state == "" && (c.State != StateConnected || c.LastError != connBefore.LastError) {
				t.Errorf("Connection = %+v; want unchanged", c)
			}
			if tt.state != "" {
				if string(c.State) != tt.state {
					t.Errorf("Connection = %+v; want %s", c, tt.state)
				}
				for _, w := range tt.lastError {
					if !strings.Contains(c.LastError, w) {
						t.Errorf("LastError %q does not say %q", c.LastError, w)
					}
				}
				// The recorded state stops the next call before it asks the provider again.
				_, err = f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
				if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.again) || len(te.Requests("/token")) != 1 {
					t.Errorf("second Token = %v after %d requests; want %v (%q) without asking again", err, len(te.Requests("/token")), tt.kind, tt.again)
				}
			}
		})
	}
}

type refreshErrorCase struct {
	name      string
	method    AuthMethod       // method "": AuthMethodAuto; AuthMethodNone: no client secret
	answer    oauthtest.Answer // nil: nothing listens
	expiresIn time.Duration    // of the stored access token
	kind      error
	provider  string // the *ProviderError's code and status, if checked
	status    int
	want      []string // in the message
	state     string   // recorded; "": the connection unchanged
	lastError []string // in the recorded LastError
	again     string   // in the second call's message
}

func TestServiceTokenConcurrentRefreshOnce(t *testing.T) {
	release := make(chan struct{})
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, req oauthtest.Request) {
		<-release // hold the first refresh until every caller is in flight
		tokRotating(w, n, req)
	})
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, 2*time.Minute, tokOldRefresh))

	const callers = 10
	var wg sync.WaitGroup
	results := make([]*TokenSet, callers)
	errs := make([]error, callers)
	started := make(chan struct{}, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			// 5 minutes wanted, 2 minutes left: every caller must refresh first.
			results[i], errs[i] = f.svc.Token(context.Background(), f.app.ProviderName, 5*time.Minute)
		}()
	}
	for range callers {
		<-started
	}
	// Let the one refresh finish once it has arrived; the others wait on the lock meanwhile.
	deadline := time.Now().Add(10 * time.Second)
	for len(te.Requests("/token")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()

	if n := len(te.Requests("/token")); n != 1 {
		t.Errorf("%d refresh requests from %d concurrent callers; want exactly 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
			continue
		}
		if results[i].AccessToken != "at-new-1" {
			t.Errorf("caller %d got access token %q; want at-new-1", i, results[i].AccessToken)
		}
	}
	if got := f.stored(t).RefreshToken; got != "rt-new-1" {
		t.Errorf("stored refresh token = %q; want rt-new-1", got)
	}
}

func TestServiceTokenStaleWithoutRefreshToken(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	now := time.Now().UTC().Truncate(time.Second)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, -time.Minute, ""))
	before := f.storedRaw(t)
	_, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
	if !errors.Is(err, ErrNeedsReauth) {
		t.Fatalf("Token = %v; want ErrNeedsReauth", err)
	}
	wantRemedy(t, err, fail.ReconnectApp(f.app.ProviderName))
	tokOneLine(t, err)
	if n := len(te.Requests("/token")); n != 0 {
		t.Errorf("%d requests without a refresh token; want none", n)
	}
	if f.storedRaw(t) != before {
		t.Error("tokens changed")
	}
	// A token with life left is still handed out without a refresh token.
	f2 := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, time.Hour, ""))
	if ts, err := f2.svc.Token(context.Background(), f2.app.ProviderName, DefaultMinValid); err != nil || ts.AccessToken != tokOldAccess {
		t.Errorf("Token of a fresh token without refresh token = %+v, %v", ts, err)
	}
}

func TestServiceTokenNotConnected(t *testing.T) {
	te := newTokEndpoint(t, tokRotating)
	f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, nil)
	if _, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Token of a never-connected app = %v; want ErrNotConnected", err)
	}
	if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Refresh of a never-connected app = %v; want ErrNotConnected", err)
	}
	if _, err := f.svc.Token(context.Background(), "no such app", DefaultMinValid); !errors.Is(err, ErrNotFound) {
		t.Errorf("Token of an unknown app = %v; want ErrNotFound", err)
	}
	if n := len(te.Requests("/token")); n != 0 {
		t.Errorf("%d requests; want none", n)
	}
}

func TestStaleCapsMinValidAtHalfTheLifetime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	fiveMin := &TokenSet{AccessToken: "a", ObtainedAt: at(0), Expiry: at(5 * time.Minute)}
	cases := []struct {
		name     string
		ts       *TokenSet
		now      time.Time
		minValid time.Duration
		want     bool
	}{
		{"fresh, default min-valid", fiveMin, now, time.Minute, false},
		{"within default min-valid", fiveMin, now.Add(4*time.Minute + 30*time.Second), time.Minute, true},
		{"min-valid beyond the lifetime: a just-obtained token is not stale", fiveMin, now, time.Hour, false},
		{"min-valid beyond the lifetime: stale past half-life", fiveMin, now.Add(151 * time.Second), time.Hour, true},
		{"min-valid beyond the lifetime: not yet half-life", fiveMin, now.Add(149 * time.Second), time.Hour, false},
		{"unknown obtained time: min-valid as asked", &TokenSet{AccessToken: "a", Expiry: at(5 * time.Minute)}, now, time.Hour, true},
		{"unknown expiry: never stale", &TokenSet{AccessToken: "a"}, now, time.Hour, false},
		{"expired", fiveMin, now.Add(6 * time.Minute), 0, true},
	}
	for _, c := range cases {
		if got := c.ts.Stale(c.now, c.minValid); got != c.want {
			t.Errorf("%s: stale = %v, want %v", c.name, got, c.want)
		}
	}
}
