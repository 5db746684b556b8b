package gui

import (
	"net/http"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

// registrationProvider advertises a registration endpoint in its discovery document;
// /register answers as the test scripts it.
func registrationProvider(t *testing.T) *oauthtest.Provider {
	t.Helper()
	p := oauthtest.NewProvider(t)
	p.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"issuer": p.URL, "authorization_endpoint": p.At("/auth"),
			"token_endpoint": p.At("/token"), "registration_endpoint": p.At("/register"),
			"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic"}})
	})
	return p
}

func TestRegisterAClientForMeSavesTheRegisteredApp(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	p := registrationProvider(t)
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-1", "token_endpoint_auth_method": "none",
		"registration_access_token": "rat-gui-1", "registration_client_uri": p.At("/register/dyn-1")}))

	w.onNew()
	f := w.form
	if !f.register.Disabled() || f.registerBox.Visible() {
		t.Fatal("registration is offered before discovery found a registration endpoint")
	}
	test.Type(f.name, "Dyn")
	test.Type(f.discovery, p.URL)
	test.Tap(f.discover)
	if f.register.Disabled() || !f.registerBox.Visible() {
		t.Fatal("discovery found a registration endpoint, but Register a client for me is not offered")
	}
	// A client ID typed by hand is the client: registration is no longer offered.
	test.Type(f.clientID, "by-hand")
	if !f.register.Disabled() || f.registerBox.Visible() {
		t.Fatal("registration is still offered beside a client ID given by hand")
	}
	f.clientID.SetText("")
	if f.register.Disabled() {
		t.Fatal("emptying the client ID did not offer registration again")
	}
	test.Tap(f.register)

	apps, err := svc.List()
	if err != nil || len(apps) != 1 || apps[0].ClientID != "dyn-1" || apps[0].Registration == nil || apps[0].Registration.ClientURI != p.At("/register/dyn-1") {
		t.Fatalf("apps = %+v, %v", apps, err)
	}
	if f.clientID.Text != "dyn-1" || !f.register.Disabled() {
		t.Errorf("after registering: client ID %q, register enabled %v", f.clientID.Text, !f.register.Disabled())
	}
	assertShown(t, w, "Registered client dyn-1 at the provider and saved: connect to sign in.")
}

func TestRegistrationRefusalOffersTheInitialAccessToken(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	p := registrationProvider(t)
	p.Handle("/register", func(w http.ResponseWriter, _ int, r oauthtest.Request) {
		if r.Authorization != "Bearer iat-gui-7" {
			oauthtest.JSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		oauthtest.JSON(w, http.StatusCreated, map[string]any{"client_id": "dyn-2"})
	})
	w.onNew()
	f := w.form
	test.Type(f.name, "Gated")
	test.Type(f.discovery, p.URL)
	test.Tap(f.discover)
	test.Tap(f.register)

	assertDialogShows(t, w, "Client registration failed", "only with an initial access token", remedyWords(fail.GiveInitialTokenFor("Gated")))
	assertNoCommandLine(t, overlayTexts(w))
	if got := dialogButtons(t, w); !slices.Equal(got, []string{"Close", openRegistrationButton()}) {
		t.Fatalf("buttons %q", got)
	}
	tapDialogButton(t, w, openRegistrationButton())
	if w.win.Canvas().Focused() != f.initialToken {
		t.Fatalf("the button focused %T, not the initial access token", w.win.Canvas().Focused())
	}
	if apps, _ := svc.List(); len(apps) != 0 {
		t.Fatalf("a refused registration saved %+v", apps)
	}
	test.Type(f.initialToken, "iat-gui-7")
	test.Tap(f.register)
	if apps, _ := svc.List(); len(apps) != 1 || apps[0].ClientID != "dyn-2" {
		t.Fatalf("apps = %+v", apps)
	}
	if f.initialToken.Text != "" {
		t.Error("the initial access token stayed in the form")
	}
}
