package core

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

const (
	dcrSecret = "dcr-cl1ent-Secret-Vx7"
	dcrToken  = "dcr-Registration-Token-Mq4"
)

// newDCRFixture is a fixture whose provider registers clients at /register and deletes them
// at /clients/ID with the registration access token.
func newDCRFixture(t *testing.T, answer map[string]any) (*fixture, App) {
	t.Helper()
	p := oauthtest.NewProvider(t)
	f := newFixture(t, fixtureOpts{provider: p})
	answer["registration_client_uri"] = p.At("/clients/dyn-1")
	p.Handle("/register", oauthtest.Always(http.StatusCreated, answer))
	p.Handle("/clients/dyn-1", func(w http.ResponseWriter, n int, r oauthtest.Request) {
		if r.Method != http.MethodDelete || r.Authorization != "Bearer "+dcrToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	a := NewApp("Dyn")
	a.AuthorizationURI, a.TokenURI, a.RegistrationEndpoint = p.At("/authorize"), p.At("/token"), p.At("/register")
	a.Scopes = []string{"email"}
	return f, a
}

func TestAddRegisteredKeepsTheSecretsInTheStoreOnly(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "client_secret": dcrSecret,
		"token_endpoint_auth_method": "client_secret_basic", "registration_access_token": dcrToken})
	a.TokenEndpointAuthMethodsSupported = []string{"client_secret_basic"}
	saved, err := f.svc.AddRegistered(context.Background(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	if saved.ClientID != "dyn-1" || saved.TokenEndpointAuthMethod != AuthMethodBasic || !saved.HasClientSecret ||
		saved.Registration == nil || saved.Registration.ClientURI != f.p.At("/clients/dyn-1") || !saved.Registration.HasAccessToken {
		t.Fatalf("saved = %+v %+v", saved, saved.Registration)
	}
	if got, _ := f.mem.Get(clientSecretKey(saved.ID)); got != dcrSecret {
		t.Errorf("client secret in the store = %q", got)
	}
	if got, _ := f.mem.Get(registrationTokenKey(saved.ID)); got != dcrToken {
		t.Errorf("registration token in the store = %q", got)
	}
	raw, err := os.ReadFile(f.svc.RegistryPath())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), dcrSecret) || strings.Contains(string(raw), dcrToken) {
		t.Errorf("apps.json holds a secret of the registration:\n%s", raw)
	}
	if !strings.Contains(string(raw), `"registration_client_uri"`) || !strings.Contains(string(raw), `"client_id": "dyn-1"`) {
		t.Errorf("apps.json lacks the registration's facts:\n%s", raw)
	}
	// The redirect URI the provider was given is the one the app signs in with.
	if body := string(f.p.Requests("/register")[0].Body); !strings.Contains(body, saved.RedirectURI()) {
		t.Errorf("registered %s, the app uses %s", body, saved.RedirectURI())
	}

	// An export is Frappe's shape: the client ID, never the registration's secrets or its
	// management URL (whose token stays here).
	exported, err := f.svc.Export("Dyn")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(exported), `"dyn-1"`) || strings.Contains(string(exported), "registration") ||
		strings.Contains(string(exported), dcrSecret) || strings.Contains(string(exported), dcrToken) {
		t.Errorf("export:\n%s", exported)
	}

	// An edit keeps the registration; remove deletes it at the provider, then here.
	if _, err := f.svc.Edit(context.Background(), "Dyn", func(a *App) error { a.Scopes = []string{"email", "profile"}; return nil }, KeepSecret()); err != nil {
		t.Fatal(err)
	}
	if got := f.find(t, saved.ID); got.Registration == nil {
		t.Fatal("the edit dropped the registration")
	}
	if err := f.svc.Remove(context.Background(), "Dyn", false); err != nil {
		t.Fatal(err)
	}
	if reqs := f.p.Requests("/clients/dyn-1"); len(reqs) != 1 || reqs[0].Method != http.MethodDelete {
		t.Errorf("the provider saw %+v", reqs)
	}
	if keys := f.mem.Keys(); len(keys) != 0 {
		t.Errorf("secrets left: %v", keys)
	}
}

func TestRemoveKeepsEverythingWhenTheRegistrationCannotBeDeleted(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	saved, err := f.svc.AddRegistered(context.Background(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	if saved.TokenEndpointAuthMethod != AuthMethodNone || saved.HasClientSecret {
		t.Errorf("a public client: %+v", saved)
	}
	f.p.Handle("/clients/dyn-1", oauthtest.Always(http.StatusServiceUnavailable, map[string]string{}))
	err = f.svc.Remove(context.Background(), "Dyn", false)
	if err == nil || !strings.Contains(err.Error(), "nothing was removed") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if r := fail.Remedies(err); len(r) == 0 || r[0].Do != fail.ForgetLocally || r[0].Field != "app" {
		t.Errorf("remedies = %+v", r)
	}
	if _, err := f.svc.Get("Dyn"); err != nil {
		t.Errorf("the app was removed: %v", err)
	}
	if got, _ := f.mem.Get(registrationTokenKey(saved.ID)); got != dcrToken {
		t.Error("the registration token was deleted")
	}
	// Local only: the provider is not asked again, and everything here goes.
	n := f.p.Count("/clients/dyn-1")
	if err := f.svc.Remove(context.Background(), "Dyn", true); err != nil {
		t.Fatal(err)
	}
	if f.p.Count("/clients/dyn-1") != n || len(f.mem.Keys()) != 0 {
		t.Errorf("local only asked the provider, or left %v", f.mem.Keys())
	}
}

func TestAddRegisteredChecksTheDocumentBeforeAskingTheProvider(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	f.add(t, func() App { b := a; b.ClientID = "by-hand"; return b }(), "")
	if _, err := f.svc.AddRegistered(context.Background(), a, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("a taken name: %v", err)
	}
	b := a
	b.ProviderName, b.RedirectHost = "Other", "example.com"
	if _, err := f.svc.AddRegistered(context.Background(), b, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("a bad redirect host: %v", err)
	}
	if n := f.p.Count("/register"); n != 0 {
		t.Errorf("the provider was asked %d times for documents that cannot be saved", n)
	}
	c := a
	c.ProviderName, c.RegistrationEndpoint = "None", ""
	if _, err := f.svc.AddRegistered(context.Background(), c, ""); fail.RemedyOf(err).Do != fail.RegisterByHand {
		t.Errorf("no registration endpoint: %v", err)
	}
}

func TestAddRegisteredUndoesTheRegistrationWhenTheTokenCannotBeKept(t *testing.T) {
	f, a := newDCRFixture(t, map[string]any{"client_id": "dyn-1", "registration_access_token": dcrToken})
	f.svc.Secrets = failingSetStore{f.mem}
	_, err := f.svc.AddRegistered(context.Background(), a, "")
	if err == nil || !strings.Contains(err.Error(), "deleted again and nothing was added") {
		t.Fatalf("err = %v", err)
	}
	if reqs := f.p.Requests("/clients/dyn-1"); len(reqs) != 1 || reqs[0].Method != http.MethodDelete {
		t.Errorf("the registration was not deleted: %+v", reqs)
	}
	if apps, _ := f.svc.List(); len(apps) != 0 {
		t.Errorf("apps = %+v", apps)
	}
}

// failingSetStore is the memory store whose writes fail, as a keyring that stopped answering.
type failingSetStore struct{ *secret.MemoryStore }

func (failingSetStore) Set(string, string) error { return ErrKeyringUnavailable }
