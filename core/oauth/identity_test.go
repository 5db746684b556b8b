package oauth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

func TestIdentityFromUserinfo(t *testing.T) {
	for raw, want := range map[string]Identity{
		`{"sub":"s1","name":"Ada","email":"ada@example.com"}`:           {Subject: "s1", Name: "Ada", Email: "ada@example.com"},
		`{"sub":"s1","preferred_username":"ada"}`:                       {Subject: "s1", Name: "ada"},
		`{"login":"octocat","id":583231,"name":null,"email":null}`:      {Subject: "583231", Name: "octocat"},
		`{"login":"octocat","id":583231,"name":"The Octocat"}`:          {Subject: "583231", Name: "The Octocat"},
		`{"id":"abc","email":"x@example.com"}`:                          {Subject: "abc", Email: "x@example.com"},
		`not json`:                                                      {},
		`{"message":"Bad credentials","documentation_url":"https://x"}`: {},
	} {
		if got := identityFromUserinfo(json.RawMessage(raw)); got != want {
			t.Errorf("%s: %+v, want %+v", raw, got, want)
		}
	}
}

func TestSignedInIdentityWithoutOpenIDAsksUserinfo(t *testing.T) {
	srv := oauthtest.NewProvider(t)
	srv.Handle("/user", oauthtest.Always(http.StatusOK, map[string]any{"login": "octocat", "id": 1, "email": "octo@example.com"}))
	signedIn := func(ctx context.Context, app *App, ts *TokenSet, nonce string) (Identity, error) {
		return SignedInIdentity(ctx, srv.Client(), app, ts, nonce, time.Now, slog.New(slog.DiscardHandler))
	}
	app := &App{ProviderName: "GitHub", UserinfoURI: srv.URL + "/user", Scopes: []string{"read:user"}}
	id, err := signedIn(context.Background(), app, &TokenSet{AccessToken: "gho_x", TokenType: "bearer"}, "")
	if reqs := srv.Requests("/user"); err != nil || id != (Identity{Subject: "1", Name: "octocat", Email: "octo@example.com"}) || len(reqs) != 1 || reqs[0].Authorization != "Bearer gho_x" {
		t.Errorf("identity = %+v, %v (requests %+v)", id, err, reqs)
	}
	// A failing userinfo never fails a sign-in that worked.
	srv.Close()
	if id, err := signedIn(context.Background(), app, &TokenSet{AccessToken: "gho_x"}, ""); err != nil || id != (Identity{}) {
		t.Errorf("unreachable userinfo: %+v, %v", id, err)
	}
	// With openid, the ID token is required.
	app.Scopes = []string{"openid"}
	if _, err := signedIn(context.Background(), app, &TokenSet{AccessToken: "x"}, ""); err == nil {
		t.Error("openid without an ID token was accepted")
	}
}
