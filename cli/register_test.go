package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

// siteWithRegistration is a provider at a loopback "site" whose discovery document names a
// registration endpoint when register is true; /register gives dyn-1.
func siteWithRegistration(t *testing.T, register bool) *oauthtest.Provider {
	t.Helper()
	p := oauthtest.NewProvider(t)
	p.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		doc := map[string]any{"issuer": p.URL, "authorization_endpoint": p.At("/auth"), "token_endpoint": p.At("/token"),
			"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic"}}
		if register {
			doc["registration_endpoint"] = p.At("/register")
		}
		oauthtest.JSON(w, http.StatusOK, doc)
	})
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-1",
		"registration_access_token": "rat-cli-1", "registration_client_uri": p.At("/register/dyn-1")}))
	p.Handle("/register/dyn-1", func(w http.ResponseWriter, _ int, r oauthtest.Request) {
		if r.Method == http.MethodDelete && r.Authorization == "Bearer rat-cli-1" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	return p
}

// The Frappe preset registers the client by itself where the site offers registration, and
// asks for a client ID as before where it does not.
func TestFrappePresetTriesRegistration(t *testing.T) {
	p := siteWithRegistration(t, true)
	dir, store := configDir(t), secret.NewMemoryStore()
	out, e, code := runIn(t, dir, store, "", "add", "ERP", "--preset", "frappe", "--site", p.URL)
	if code != 0 || !strings.Contains(out, "The provider registered client dyn-1") || strings.Contains(out, "Register the client at:") {
		t.Fatalf("add: %d\n%s\n%s", code, out, e)
	}
	if got, _ := store.Get("app/" + appID(t, dir, store, "ERP") + "/registration_access_token"); got != "rat-cli-1" {
		t.Errorf("registration token in the keyring = %q", got)
	}
	if out, _, _ := runIn(t, dir, store, "", "show", "ERP"); !strings.Contains(out, "Client registered:") || !strings.Contains(out, p.At("/register/dyn-1")) {
		t.Errorf("show does not say the client was registered here:\n%s", out)
	}
	if out, _, _ := runIn(t, dir, store, "", "edit", "ERP", "--redirect-port", "9999"); !strings.Contains(out, "the provider may refuse the new one") {
		t.Errorf("edit of the registered redirect URI: %s", out)
	}
	out, e, code = runIn(t, dir, store, "", "remove", "ERP")
	if code != 0 || !strings.Contains(out, "Deleted client dyn-1's registration at the provider.") || p.Count("/register/dyn-1") != 1 {
		t.Fatalf("remove: %d\n%s\n%s", code, out, e)
	}

	plain := siteWithRegistration(t, false)
	_, e, code = runIn(t, configDir(t), secret.NewMemoryStore(), "", "add", "ERP", "--preset", "frappe", "--site", plain.URL)
	if code != ExitUsage && code != 1 || !strings.Contains(e, "client ID is required") || plain.Count("/register") != 0 {
		t.Errorf("a site without registration: %d %s", code, e)
	}
}

func TestRegisterFlagsContradictions(t *testing.T) {
	p := siteWithRegistration(t, true)
	dir, store := configDir(t), secret.NewMemoryStore()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--register", "--client-id", "x"}, "--register and --client-id contradict each other"},
		{[]string{"--register", "--client-secret-stdin"}, "--register and --client-secret-stdin contradict each other"},
		{[]string{"--initial-access-token-stdin"}, "--initial-access-token-stdin goes with --register"},
	} {
		_, e, code := runIn(t, dir, store, "s", append([]string{"add", "X", "--discovery", p.URL}, c.args...)...)
		if code != ExitUsage || !strings.Contains(e, c.want) {
			t.Errorf("%v: %d %q", c.args, code, e)
		}
	}
	_, e, code := runIn(t, dir, store, "", "add", "X", "--auth-url", p.At("/auth"), "--token-url", p.At("/token"), "--register")
	if code != ExitUsage || !strings.Contains(e, "--register needs --discovery URL") {
		t.Errorf("without discovery: %d %q", code, e)
	}
	if p.Count("/register") != 0 {
		t.Errorf("a refused command line registered %d clients", p.Count("/register"))
	}
	// No registration endpoint: one line with the way by hand.
	plain := siteWithRegistration(t, false)
	_, e, code = runIn(t, dir, store, "", "add", "Y", "--discovery", plain.URL, "--register")
	if code != 1 || strings.Count(e, "\n") != 1 || !strings.Contains(e, "offers no client registration") || !strings.Contains(e, "--client-id ID") {
		t.Errorf("no endpoint: %d %q", code, e)
	}
}

func appID(t *testing.T, dir string, store secret.Store, name string) string {
	t.Helper()
	out, e, code := runIn(t, dir, store, "", "show", name, "--json")
	var doc struct{ ID string }
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.ID == "" {
		t.Fatalf("show --json: %d %s %s", code, out, e)
	}
	return doc.ID
}
