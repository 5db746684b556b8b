package core

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

// A saved app typed by hand (a client ID and secret of its own, two accounts signed in with
// that client) gets a registered client: its ID, name, callback path and settings stay; the
// provider's client ID, secret and registration token replace the old client's; the old
// tokens are revoked and deleted and the accounts forgotten, each named, since the new client
// cannot use them.
func TestRegisterExistingReplacesTheClientAndDropsTheOldTokens(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "client_secret": dcrSecret,
		"token_endpoint_auth_method": "client_secret_basic", "registration_access_token": dcrToken})
	a.TokenEndpointAuthMethodsSupported = []string{"client_secret_basic"}
	a.ClientID, a.RevocationURI = "typed-by-hand", f.p.At("/revoke")
	f.p.Handle("/revoke", oauthtest.Always(http.StatusOK, map[string]string{}))
	saved := f.add(t, a, "old-client-secret")
	later := time.Now().Add(time.Hour)
	f.markConnected(t, saved, &TokenSet{AccessToken: "ann-at", RefreshToken: "ann-rt", Expiry: &later}, Connection{Subject: "ann-sub", Email: "ann@example.com"})
	saved = f.markConnected(t, saved, &TokenSet{AccessToken: "bob-at", RefreshToken: "bob-rt", Expiry: &later}, Connection{Subject: "bob-sub", Email: "bob@example.com"})

	res, err := f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if err != nil {
		t.Fatal(err)
	}
	got := f.find(t, saved.ID)
	if got.ClientID != "dyn-1" || got.TokenEndpointAuthMethod != AuthMethodBasic || !got.HasClientSecret ||
		got.Registration == nil || got.Registration.ClientURI != f.p.At("/clients/dyn-1") || !got.Registration.HasAccessToken {
		t.Fatalf("saved = %+v %+v", got, got.Registration)
	}
	if got.CallbackPath != saved.CallbackPath || got.ProviderName != "Dyn" || res.App.ClientID != "dyn-1" {
		t.Errorf("the app's own settings changed: %+v", got)
	}
	if body := string(f.p.Requests("/register")[0].Body); !strings.Contains(body, saved.RedirectURI()) || strings.Contains(body, "typed-by-hand") {
		t.Errorf("registered %s for redirect URI %s", body, saved.RedirectURI())
	}
	if s, _ := f.mem.Get(clientSecretKey(saved.ID)); s != dcrSecret {
		t.Errorf("client secret = %q, want the registered client's", s)
	}
	if s, _ := f.mem.Get(registrationTokenKey(saved.ID)); s != dcrToken {
		t.Errorf("registration token = %q", s)
	}
	// The old client's tokens: told to the provider, gone here, and each account named.
	if len(got.Accounts) != 0 || got.DefaultAccount != "" {
		t.Errorf("accounts kept: %+v", got.Accounts)
	}
	if !slices.Equal(res.Dropped, []string{"ann@example.com", "bob@example.com"}) || res.RevocationProblem != "" {
		t.Errorf("result = %+v", res)
	}
	if n := f.p.Count("/revoke"); n != 2 {
		t.Errorf("%d revocations, want one per account", n)
	}
	for _, k := range f.mem.Keys() {
		if k != clientSecretKey(saved.ID) && k != registrationTokenKey(saved.ID) {
			t.Errorf("secret left: %s", k)
		}
	}

	// Registered once, it is refused: one line, naming the client, nothing asked of the provider.
	n := f.p.Count("/register")
	_, err = f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "dyn-1") || strings.Contains(err.Error(), "\n") || f.p.Count("/register") != n {
		t.Errorf("second registration: %v", err)
	}
}

// A public client registered for an app that had a secret: the old secret goes.
func TestRegisterExistingDropsTheOldSecretForAPublicClient(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	a.ClientID = "typed"
	saved := f.add(t, a, "old-client-secret")
	res, err := f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.App.HasClientSecret || f.find(t, saved.ID).HasClientSecret || len(res.Dropped) != 0 {
		t.Errorf("result = %+v", res)
	}
	if _, err := f.mem.Get(clientSecretKey(saved.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old client secret is still stored: %v", err)
	}
}

// A provider asking for an initial access token: the app is unchanged, and the remedy is one
// about the saved app, with the token sent when given.
func TestRegisterExistingNeedsTheInitialTokenAndChangesNothingWithout(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	f.p.Handle("/register", func(w http.ResponseWriter, n int, r oauthtest.Request) {
		if r.Authorization != "Bearer initial-Tok3n" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-1"})(w, n, r)
	})
	a.ClientID = "typed"
	saved := f.add(t, a, "")
	_, err := f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if r := fail.RemedyOf(err); err == nil || r.Do != fail.GiveInitialToken || r.Field != fail.SavedApp {
		t.Fatalf("err = %v, remedy %+v", err, fail.RemedyOf(err))
	}
	if got := f.find(t, saved.ID); got.ClientID != "typed" || got.Registration != nil {
		t.Errorf("a refused registration changed the app: %+v", got)
	}
	res, err := f.svc.RegisterExisting(context.Background(), "Dyn", "initial-Tok3n")
	if err != nil || res.App.ClientID != "dyn-1" || res.App.Registration == nil || res.App.Registration.HasAccessToken {
		t.Fatalf("with the token: %+v %v", res.App, err)
	}
}

// The old tokens cannot be deleted: the new client is deleted again at the provider and the
// app keeps its client and accounts.
func TestRegisterExistingUndoesTheRegistrationWhenTheOldTokensStay(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	a.ClientID = "typed"
	saved := f.add(t, a, "")
	later := time.Now().Add(time.Hour)
	saved = f.markConnected(t, saved, &TokenSet{AccessToken: "ann-at", Expiry: &later}, Connection{Subject: "ann-sub", Email: "ann@example.com"})
	f.svc.Secrets = failingDeleteStore{f.mem}
	_, err := f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v", err)
	}
	if reqs := f.p.Requests("/clients/dyn-1"); len(reqs) != 1 || reqs[0].Method != http.MethodDelete {
		t.Errorf("the new registration was not deleted: %+v", reqs)
	}
	if got := f.find(t, saved.ID); got.ClientID != "typed" || got.Registration != nil || len(got.Accounts) != 1 {
		t.Errorf("app = %+v", got)
	}
}

// failingDeleteStore is the memory store whose deletions fail.
type failingDeleteStore struct{ *secret.MemoryStore }

func (failingDeleteStore) Delete(string) error { return ErrKeyringUnavailable }

// An app saved while its discovery document named no registration endpoint (an import, a
// preset made offline) is discovered again, and the endpoint found is kept.
func TestRegisterExistingDiscoversTheRegistrationEndpoint(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	f.p.Handle("/.well-known/openid-configuration", oauthtest.Always(http.StatusOK, map[string]any{"issuer": f.p.URL,
		"authorization_endpoint": f.p.At("/authorize"), "token_endpoint": f.p.At("/token"), "registration_endpoint": f.p.At("/register")}))
	a.ClientID, a.RegistrationEndpoint, a.OpenIDConfiguration = "typed", "", f.p.At("/.well-known/openid-configuration")
	saved := f.add(t, a, "")
	res, err := f.svc.RegisterExisting(context.Background(), "Dyn", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.find(t, saved.ID); got.ClientID != "dyn-1" || got.RegistrationEndpoint != f.p.At("/register") || res.App.Registration == nil {
		t.Errorf("app = %+v", got)
	}
}
