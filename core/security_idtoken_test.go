package core

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"testing"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

// Attacks through ID tokens: a token another client obtained for itself, and a provider that
// answers a refresh for another user.

// A sign-in whose ID token names this client among others but was issued to another (no
// azp): the sign-in fails and nothing is kept.
func TestConnectRefusesIDTokenIssuedToAnotherClient(t *testing.T) {
	f := newFltFixture(t, nil, "")
	f.p.setToken(func(w http.ResponseWriter, _ url.Values, auth url.Values) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer", "refresh_token": fltUnique("rt"),
			"expires_in": 3600, "id_token": f.p.idToken(auth, func(c map[string]any) { c["aud"] = []string{fltClientID, "another-client"} })})
	})
	_, err := f.connect(t)
	fltAssertMessage(t, err, "Fake IdP", "issued to another client", "check the client ID")
	f.assertNothingKept(t)
}

// A provider that answers a refresh with an ID token for someone else: the refresh is refused,
// the keyring entry and apps.json stay byte for byte as they were, and the message says the
// provider answered for another user and how to switch accounts on purpose.
func TestRefreshForAnotherUserIsRefused(t *testing.T) {
	cases := []struct {
		name        string
		multiTenant bool
		change      func(p *fltProvider, c map[string]any)
	}{
		{"another subject", false, func(_ *fltProvider, c map[string]any) { c["sub"] = "someone-else" }},
		// For a fixed issuer another iss already fails verification; the answer is refused
		// whole all the same, not merely its ID token dropped.
		{"another issuer", false, func(_ *fltProvider, c map[string]any) { c["iss"] = "https://other-idp.example" }},
		{"another tenant", true, func(p *fltProvider, c map[string]any) {
			c["iss"], c["tid"] = p.issuer()+"/"+tenantB+"/v2.0", tenantB
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFltFixture(t, func(a *App) {
				if c.multiTenant {
					a.Issuer += "/{tenantid}/v2.0"
				}
			}, "")
			signIn := func(claims map[string]any) {
				if c.multiTenant {
					claims["iss"], claims["tid"] = f.p.issuer()+"/"+tenantA+"/v2.0", tenantA
				}
			}
			f.p.setToken(func(w http.ResponseWriter, form url.Values, auth url.Values) {
				change := signIn
				if form.Get("grant_type") == "refresh_token" {
					change = func(claims map[string]any) { signIn(claims); c.change(f.p, claims) }
				}
				oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer",
					"refresh_token": fltUnique("rt"), "expires_in": 3600, "id_token": f.p.idToken(auth, change)})
			})
			if _, err := f.connect(t); err != nil {
				t.Fatal(err)
			}
			keyringBefore, err := f.mem.Get(appTokensKey(t, f.svc, f.app.ID))
			if err != nil {
				t.Fatal(err)
			}
			registryBefore, err := os.ReadFile(f.svc.Registry.Path())
			if err != nil {
				t.Fatal(err)
			}
			exchanges := len(f.p.exchangeForms())

			_, err = f.svc.Refresh(context.Background(), f.app.ProviderName)
			fltAssertMessage(t, err, "Fake IdP: refresh refused", "the provider answered for another user", fltSubject,
				"every token was kept as it was")
			wantRemedy(t, err, fail.ReconnectApp("Fake IdP"))
			if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNeedsReauth) {
				t.Errorf("kind of %v: want ErrInvalid only", err)
			}
			if n := len(f.p.exchangeForms()); n != exchanges+1 {
				t.Fatalf("%d requests at the token endpoint, want one refresh", n-exchanges)
			}
			if after, _ := f.mem.Get(appTokensKey(t, f.svc, f.app.ID)); after != keyringBefore {
				t.Error("the keyring entry changed")
			}
			if after, _ := os.ReadFile(f.svc.Registry.Path()); string(after) != string(registryBefore) {
				t.Errorf("apps.json changed:\n%s\nwas:\n%s", after, registryBefore)
			}
		})
	}
	// The same user refreshed is accepted: the check does not refuse every refresh.
	t.Run("the same user", func(t *testing.T) {
		f := newFltFixture(t, nil, "")
		if _, err := f.connect(t); err != nil {
			t.Fatal(err)
		}
		before, _ := f.mem.Get(appTokensKey(t, f.svc, f.app.ID))
		ts, err := f.svc.Refresh(context.Background(), f.app.ProviderName)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := f.mem.Get(appTokensKey(t, f.svc, f.app.ID)); after == before || ts.IDToken == "" {
			t.Error("a refresh for the same user was not stored")
		}
		if app, _ := f.svc.Get(f.app.ID); app.Connection() == nil || app.Connection().Subject != fltSubject {
			t.Errorf("connection after refresh: %+v", app.Connection())
		}
	})
}
