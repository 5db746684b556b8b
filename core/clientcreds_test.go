package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// newCCFixture registers a client credentials app against te, with a clock the test moves.
func newCCFixture(t *testing.T, te *oauthtest.Provider, change func(a *App), clientSecret string) (*Service, App, *testClock) {
	t.Helper()
	f := newFixture(t, fixtureOpts{provider: te, at: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
	app := NewApp("Machine")
	app.ClientID, app.TokenURI, app.GrantType = tokClientID, te.At("/token"), GrantClientCredentials
	app.Scopes = []string{"api.read"}
	app.QueryParameters = []QueryParameter{{Key: "audience", Value: "https://api.example"}}
	if change != nil {
		change(&app)
	}
	return f.svc, f.add(t, app, clientSecret), f.clock
}

// ccAnswer hands out at-1, at-2, ... valid for an hour, with a refresh and an ID token the
// app must not keep.
func ccAnswer(w http.ResponseWriter, n int, _ oauthtest.Request) {
	oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("at-%d", n), "token_type": "Bearer",
		"expires_in": 3600, "refresh_token": "rt-unwanted", "id_token": "unverifiable"})
}

func TestClientCredentialsFetchCacheRenew(t *testing.T) {
	te := newTokEndpoint(t, ccAnswer)
	svc, app, clock := newCCFixture(t, te, nil, tokClientSecret)
	ctx := context.Background()

	ts, err := svc.Token(ctx, "machine", DefaultMinValid)
	if err != nil {
		t.Fatalf("first Token: %v", err)
	}
	if ts.AccessToken != "at-1" || ts.RefreshToken != "" || ts.IDToken != "" || ts.Expiry == nil || !ts.Expiry.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("first token = %+v", ts)
	}
	r := te.Requests("/token")[0]
	if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "api.read" || r.Form.Get("audience") != "https://api.example" ||
		!r.HasBasic || r.BasicUser != tokClientID || r.BasicPass != tokClientSecret {
		t.Errorf("request: basic %v %q, form %v", r.HasBasic, r.BasicUser, r.Form)
	}
	a, _ := svc.Get(app.ID)
	if c := a.Connection(); c == nil || c.State != StateConnected || c.HasRefreshToken || c.ExpiresAt == nil || !c.ConnectedAt.Equal(clock.Now()) {
		t.Errorf("connection = %+v", c)
	}

	// Cached while fresh.
	if ts, err := svc.Token(ctx, "machine", DefaultMinValid); err != nil || ts.AccessToken != "at-1" || len(te.Requests("/token")) != 1 {
		t.Errorf("second Token = %+v, %v, %d requests", ts, err, len(te.Requests("/token")))
	}
	// Fetched again when it nears expiry; no refresh token is ever sent.
	clock.Advance(59*time.Minute + 30*time.Second)
	ts, err = svc.Token(ctx, "machine", DefaultMinValid)
	if err != nil || ts.AccessToken != "at-2" || len(te.Requests("/token")) != 2 {
		t.Fatalf("near expiry: %+v, %v, %d requests", ts, err, len(te.Requests("/token")))
	}
	if r := te.Requests("/token")[1]; r.Form.Get("grant_type") != "client_credentials" || r.Form.Has("refresh_token") {
		t.Errorf("renewal form %v", r.Form)
	}
	a, _ = svc.Get(app.ID)
	if c := a.Connection(); c.RefreshedAt == nil || !c.RefreshedAt.Equal(clock.Now()) {
		t.Errorf("renewal not recorded: %+v", c)
	}
	// Refresh forces a new one; Connect does too.
	if ts, err := svc.Refresh(ctx, "machine"); err != nil || ts.AccessToken != "at-3" {
		t.Errorf("Refresh = %+v, %v", ts, err)
	}
	res, err := svc.Connect(ctx, "machine", ConnectOptions{})
	if err != nil || res.Tokens.AccessToken != "at-4" || res.App.Connection() == nil || res.Identity != (Identity{}) {
		t.Errorf("Connect = %+v, %v", res, err)
	}
}

func TestClientCredentialsConcurrentCallersFetchOnce(t *testing.T) {
	var mu sync.Mutex
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, r oauthtest.Request) {
		mu.Lock() // slow enough that the others queue on the lock
		time.Sleep(50 * time.Millisecond)
		mu.Unlock()
		ccAnswer(w, n, r)
	})
	svc, _, _ := newCCFixture(t, te, nil, tokClientSecret)
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			ts, err := svc.Token(context.Background(), "Machine", DefaultMinValid)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = ts.AccessToken
		})
	}
	wg.Wait()
	if n := len(te.Requests("/token")); n != 1 {
		t.Errorf("%d token requests for 8 concurrent callers; want 1", n)
	}
	for i, g := range got {
		if g != "at-1" {
			t.Errorf("caller %d got %q", i, g)
		}
	}
}

func TestClientCredentialsNeedsASecret(t *testing.T) {
	te := newTokEndpoint(t, ccAnswer)
	svc := newFixture(t, fixtureOpts{provider: te, realTime: true}).svc
	app := NewApp("Machine")
	app.ClientID, app.TokenURI, app.GrantType = tokClientID, te.At("/token"), GrantClientCredentials
	var ve *ValidationError
	if _, err := svc.Add(app, nil); !errors.As(err, &ve) || ve.Field != "client_secret" {
		t.Fatalf("Add without a secret: %v", err)
	}
	// The person says the provider takes the client without one.
	app.TokenEndpointAuthMethod = AuthMethodNone
	if _, err := svc.Add(app, nil); err != nil {
		t.Fatalf("Add with auth method none: %v", err)
	}
	if _, err := svc.Token(context.Background(), "Machine", DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	if r := te.Requests("/token")[0]; r.HasBasic || r.Form.Get("client_id") != tokClientID || r.Form.Has("client_secret") {
		t.Errorf("public client request: basic %v form %v", r.HasBasic, r.Form)
	}
	// An edit that removes the secret, or switches a secretless app to the grant, is refused.
	if _, err := svc.Edit(context.Background(), "Machine", func(a *App) error { a.TokenEndpointAuthMethod = AuthMethodAuto; return nil }, ClearSecret()); !errors.As(err, &ve) || ve.Field != "client_secret" {
		t.Errorf("edit to auto without a secret: %v", err)
	}
}

func TestClientCredentialsRejectedClient(t *testing.T) {
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, r oauthtest.Request) {
		if n == 1 {
			ccAnswer(w, n, r)
			return
		}
		oauthtest.JSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "secret expired"})
	})
	svc, app, clock := newCCFixture(t, te, nil, tokClientSecret)
	ctx := context.Background()
	if _, err := svc.Token(ctx, "Machine", DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	_, err := svc.Token(ctx, "Machine", DefaultMinValid)
	if !errors.Is(err, ErrClientRejected) || !strings.Contains(err.Error(), "secret expired") {
		t.Fatalf("rejected: %v", err)
	}
	tokOneLine(t, err)
	tokNoSecrets(t, err)
	a, _ := svc.Get(app.ID)
	if a.Connection().State != StateClientRejected {
		t.Errorf("state = %s", a.Connection().State)
	}
	// Recorded, so the next call stops without asking the provider again.
	if _, err := svc.Token(ctx, "Machine", DefaultMinValid); !errors.Is(err, ErrClientRejected) || len(te.Requests("/token")) != 2 {
		t.Errorf("after rejection: %v, %d requests", err, len(te.Requests("/token")))
	}
}

func TestClientCredentialsTransientFailure(t *testing.T) {
	te := newTokEndpoint(t, func(w http.ResponseWriter, n int, r oauthtest.Request) {
		oauthtest.JSON(w, http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable"})
	})
	svc, _, _ := newCCFixture(t, te, nil, tokClientSecret)
	if _, err := svc.Token(context.Background(), "Machine", DefaultMinValid); !errors.Is(err, ErrTransient) {
		t.Fatalf("503: %v", err)
	}
	te.Close()
	if _, err := svc.Token(context.Background(), "Machine", DefaultMinValid); !errors.Is(err, ErrTransient) || !strings.Contains(err.Error(), "token request") {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestEditToOrFromClientCredentialsDropsTokens(t *testing.T) {
	te := newTokEndpoint(t, ccAnswer)
	svc, app, _ := newCCFixture(t, te, nil, tokClientSecret)
	ctx := context.Background()
	if _, err := svc.Token(ctx, "Machine", DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Edit(ctx, "Machine", func(a *App) error {
		a.GrantType, a.AuthorizationURI = GrantAuthorizationCode, "https://idp.example/auth"
		return nil
	}, KeepSecret())
	if err != nil || !res.TokensDropped || res.App.Connection() != nil {
		t.Fatalf("Edit = %+v, %v", res, err)
	}
	if _, err := svc.Secrets.Get(appTokensKey(t, svc, app.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("tokens still stored: %v", err)
	}
}
