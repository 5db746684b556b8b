package core

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
)

// newInspectFixture registers a GitLab-preset app on a fake provider whose JWKS signs its
// tokens, connected with ts.
func newInspectFixture(t *testing.T, ts func(p *oauthtest.Provider, now time.Time) *TokenSet, c Connection) *fixture {
	t.Helper()
	p := oauthtest.NewProvider(t)
	f := newFixture(t, fixtureOpts{provider: p})
	a := NewApp("Lab")
	a.ClientID = "client-1"
	a.Issuer = "https://idp.example"
	a.AuthorizationURI = "https://idp.example/authorize"
	a.TokenURI = "https://idp.example/token"
	a.JWKSURI = p.At(oauthtest.JWKSPath)
	a.Scopes = []string{"openid", "read_user", "api"}
	a.Preset = "gitlab"
	a = f.add(t, a, "")
	f.app = f.markConnected(t, a, ts(p, f.clock.Now()), c)
	return f
}

func TestInspectJWTTokens(t *testing.T) {
	var access string
	connectedAt := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	f := newInspectFixture(t, func(p *oauthtest.Provider, now time.Time) *TokenSet {
		access = p.Sign(map[string]any{"iss": "https://idp.example", "sub": "user-1", "exp": now.Add(30 * time.Minute).Unix(), "scope": "openid read_user"})
		h, _ := oauth.AtHashOf("RS256", access)
		id := p.Sign(map[string]any{"iss": "https://idp.example", "sub": "user-1", "aud": "client-1", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "at_hash": h})
		exp := now.Add(30 * time.Minute)
		return &TokenSet{AccessToken: access, RefreshToken: "refresh-secret-1", IDToken: id, Expiry: &exp, Scopes: []string{"openid", "read_user", "email"}}
	}, Connection{ConnectedAt: connectedAt})
	in, err := f.svc.Inspect(context.Background(), "Lab")
	if err != nil {
		t.Fatal(err)
	}
	if in.Access.Kind != KindJWT || in.Access.Length != len(access) || in.Access.JWT == nil || !in.Access.JWT.Signature.Verified {
		t.Errorf("access token facts: %+v", in.Access)
	}
	if in.ID == nil || in.ID.Kind != KindJWT || !in.ID.JWT.Signature.Verified || in.ID.ExpiresAt == nil || !in.ID.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("ID token facts: %+v", in.ID)
	}
	if in.AtHash == nil || !in.AtHash.Matches {
		t.Errorf("at_hash: %+v", in.AtHash)
	}
	if !slices.Equal(in.Scopes.Missing, []string{"api"}) || !slices.Equal(in.Scopes.Extra, []string{"email"}) {
		t.Errorf("scopes: %+v, want api missing and email extra", in.Scopes)
	}
	if !in.Refresh.Held || in.Refresh.Since == nil || !in.Refresh.Since.Equal(connectedAt) || in.Refresh.LastRefreshed != nil || in.Refresh.Issued != nil {
		t.Errorf("refresh facts: %+v", in.Refresh)
	}
	if len(in.Refresh.Provider) != 1 || !strings.Contains(in.Refresh.Provider[0], "rotates the refresh token") {
		t.Errorf("GitLab's refresh-token note: %q", in.Refresh.Provider)
	}
	data, _ := json.Marshal(in)
	for _, secret := range []string{access, "refresh-secret-1", strings.Split(access, ".")[2]} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the inspection holds a token or a signature: %s", data)
		}
	}
}

func TestInspectOpaqueTokens(t *testing.T) {
	f := newInspectFixture(t, func(p *oauthtest.Provider, now time.Time) *TokenSet {
		return &TokenSet{AccessToken: "gho_opaque0123456789", Scopes: []string{"openid", "read_user", "api"}}
	}, Connection{ConnectedAt: time.Now()})
	// A preset that says nothing of refresh tokens gives no note: no guess.
	if err := f.svc.Registry.UpdateApp(f.app.ID, func(a *App) error { a.Preset = "generic-oauth2"; return nil }); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Inspect(context.Background(), "Lab")
	if err != nil {
		t.Fatal(err)
	}
	if in.Access.Kind != KindOpaque || in.Access.Length != 20 || in.Access.JWT != nil || in.Access.ExpiresAt != nil {
		t.Errorf("opaque access token: %+v", in.Access)
	}
	if in.ID != nil || in.AtHash != nil {
		t.Errorf("no ID token, yet: %+v %+v", in.ID, in.AtHash)
	}
	if in.Refresh.Held || in.Refresh.Since != nil || len(in.Refresh.Provider) != 0 {
		t.Errorf("no refresh token, yet: %+v", in.Refresh)
	}
	if len(in.Scopes.Missing)+len(in.Scopes.Extra) != 0 {
		t.Errorf("scopes granted as requested: %+v", in.Scopes)
	}
}

func TestInspectExplainsAnOldIDTokensAtHash(t *testing.T) {
	signIn := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	refreshed := signIn.Add(2 * time.Hour)
	f := newInspectFixture(t, func(p *oauthtest.Provider, now time.Time) *TokenSet {
		h, _ := oauth.AtHashOf("RS256", "the-first-access-token")
		id := p.Sign(map[string]any{"iss": "https://idp.example", "sub": "user-1", "aud": "client-1", "exp": signIn.Add(time.Hour).Unix(), "iat": signIn.Unix(), "at_hash": h})
		return &TokenSet{AccessToken: "a-refreshed-access-token", RefreshToken: "r", IDToken: id}
	}, Connection{ConnectedAt: signIn, RefreshedAt: &refreshed, RefreshTokenIssuedAt: &refreshed})
	in, err := f.svc.Inspect(context.Background(), "Lab")
	if err != nil {
		t.Fatal(err)
	}
	if in.AtHash.Matches || in.AtHash.Why != AtHashBeforeRefresh || !strings.Contains(in.AtHash.Reason, "before the last refresh") {
		t.Errorf("at_hash after a refresh that kept the ID token: %+v", in.AtHash)
	}
	if in.Refresh.LastRefreshed == nil || !in.Refresh.LastRefreshed.Equal(refreshed) {
		t.Errorf("last refreshed: %v", in.Refresh.LastRefreshed)
	}
	// The refresh rotated the refresh token: the one held now was issued then, not at sign-in.
	if in.Refresh.Issued == nil || !in.Refresh.Issued.Equal(refreshed) || !in.Refresh.Since.Equal(signIn) {
		t.Errorf("refresh token issued %v since %v, want issued at the refresh %v, held since the sign-in %v", in.Refresh.Issued, in.Refresh.Since, refreshed, signIn)
	}
}

func TestInspectNotConnected(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	a := NewApp("Idle")
	a.ClientID, a.AuthorizationURI, a.TokenURI = "c", "https://idp.example/authorize", "https://idp.example/token"
	f.add(t, a, "")
	if _, err := f.svc.Inspect(context.Background(), "Idle"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Inspect of an app never connected: %v", err)
	}
	if _, err := f.svc.Inspect(context.Background(), "Nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Inspect of no app: %v", err)
	}
}
