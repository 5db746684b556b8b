package gui

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
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

// A saved app with a client typed by hand and an account signed in with it: the person clears
// the client ID and presses Register a client for me; the window asks first, since the
// account's tokens are the old client's, then the app keeps its name and gets the provider's
// client, its account gone and named. Its discovery document, which named no registration
// endpoint when it was saved, is read again.
func TestRegisterAClientForASavedApp(t *testing.T) {
	svc := newTestService(t)
	p := registrationProvider(t)
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-3", "token_endpoint_auth_method": "none",
		"registration_access_token": "rat-gui-3", "registration_client_uri": p.At("/register/dyn-3")}))
	saved := addConnectedApp(t, svc, "Site", nil, connectedFor(time.Hour))
	if err := svc.Registry.UpdateApp(saved.ID, func(a *core.App) error { a.OpenIDConfiguration = p.URL; return nil }); err != nil {
		t.Fatal(err)
	}
	w := openWindow(t, svc)
	selectApp(t, w, "Site")
	f := w.form
	if !f.register.Visible() || !f.register.Disabled() {
		t.Fatal("a saved app with a client ID offers registration, or hides the button it could use")
	}
	f.clientID.SetText("")
	if f.register.Disabled() || !f.registerBox.Visible() {
		t.Fatal("the cleared client ID of a saved app does not offer registration")
	}
	// Another unsaved edit: the saved app is what gets registered, so that comes first.
	f.name.SetText("Renamed")
	test.Tap(f.register)
	assertShown(t, w, "Save or undo the other changes first: the saved app is what gets the registered client.")
	if n := p.Count("/register"); n != 0 {
		t.Fatalf("the provider was asked %d times", n)
	}
	f.name.SetText("Site")

	test.Tap(f.register)
	assertDialogShows(t, w, "Register a new client for Site at the provider?")
	if n := p.Count("/register"); n != 0 {
		t.Fatal("registered before the person agreed")
	}
	tapDialogButton(t, w, "Register")

	got, err := svc.Get("Site")
	if err != nil || got.ID != saved.ID || got.ClientID != "dyn-3" || got.Registration == nil || got.Registration.ClientURI != p.At("/register/dyn-3") ||
		got.RegistrationEndpoint != p.At("/register") || len(got.Accounts) != 0 {
		t.Fatalf("app = %+v %+v, %v", got, got.Registration, err)
	}
	if _, err := svc.Secrets.Get(accountTokensKey(saved.ID, "42")); err == nil {
		t.Error("the old client's tokens are still in the keyring")
	}
	assertShown(t, w, "Registered client dyn-3 at the provider and saved. The tokens of ada@example.com were for the old client, so they were deleted: connect again.")
	if f.clientID.Text != "dyn-3" || f.register.Visible() {
		t.Errorf("after registering: client ID %q, register shown %v", f.clientID.Text, f.register.Visible())
	}
}
