package core

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"connectedapps/core/oauth/oauthtest"
)

// Providers often send a refreshed ID token with only the required claims (iss, sub, aud, exp,
// iat): no email, no name. The person who signed in is still the same (sub is checked), so a
// refresh must not turn "person@example.com" into a bare subject; a refreshed token that does
// carry a new email or name updates it.
func TestRefreshKeepsTheSignedInIdentity(t *testing.T) {
	for _, c := range []struct {
		name              string
		refreshed         func(claims map[string]any)
		wantEmail, wantNm string
	}{
		{"claims left out", func(c map[string]any) { delete(c, "email"); delete(c, "name") }, "person@example.com", "A Person"},
		{"claims changed", func(c map[string]any) { c["email"] = "renamed@example.com"; c["name"] = "B Person" }, "renamed@example.com", "B Person"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFltFixture(t, nil, "")
			f.p.setToken(func(w http.ResponseWriter, form url.Values, auth url.Values) {
				var change func(map[string]any)
				if form.Get("grant_type") == "refresh_token" {
					change = c.refreshed
				}
				oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": fltUnique("at"), "token_type": "Bearer",
					"refresh_token": fltUnique("rt"), "expires_in": 3600, "id_token": f.p.idToken(auth, change)})
			})
			if _, err := f.connect(t); err != nil {
				t.Fatal(err)
			}
			if app, _ := f.svc.Get(f.app.ID); app.Connection() == nil || app.Connection().Email != "person@example.com" {
				t.Fatalf("after sign-in: %+v", app.Connection())
			}
			if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); err != nil {
				t.Fatal(err)
			}
			app, err := f.svc.Get(f.app.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := app.Connection()
			if got == nil || got.Subject != fltSubject || got.Email != c.wantEmail || got.Name != c.wantNm || got.RefreshedAt == nil {
				t.Fatalf("after refresh: %+v, want subject %q email %q name %q", got, fltSubject, c.wantEmail, c.wantNm)
			}
		})
	}
}
