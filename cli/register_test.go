package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

// register NAME gives a saved app a registered client: one added by hand, or saved while its
// site offered none, whose discovery is read again.
func TestRegisterASavedApp(t *testing.T) {
	p := siteWithRegistration(t, true)
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "ERP", "--discovery", p.URL, "--client-id", "typed"); code != 0 {
		t.Fatalf("add: %s", e)
	}
	// The app forgets its registration endpoint, as one imported while the site was down.
	path := filepath.Join(dir, "apps.json")
	raw, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(raw), `"registration_endpoint"`) {
		t.Fatalf("apps.json: %v\n%s", err, raw)
	}
	raw = regexp.MustCompile(`"registration_endpoint": "[^"]*",?`).ReplaceAll(raw, nil)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, e, code := runIn(t, dir, store, "", "register", "ERP")
	if code != 0 || !strings.Contains(out, "The provider registered client dyn-1") || !strings.Contains(out, "connectedapps connect ERP") {
		t.Fatalf("register: %d\n%s\n%s", code, out, e)
	}
	if out, _, _ := runIn(t, dir, store, "", "show", "ERP"); !strings.Contains(out, "dyn-1") || !strings.Contains(out, "Client registered:") {
		t.Errorf("show:\n%s", out)
	}
	if got, _ := store.Get("app/" + appID(t, dir, store, "ERP") + "/registration_access_token"); got != "rat-cli-1" {
		t.Errorf("registration token in the keyring = %q", got)
	}
	// A second time: refused, in one line that says what to do, and nothing asked of the provider.
	n := p.Count("/register")
	_, e, code = runIn(t, dir, store, "", "register", "ERP")
	if code == 0 || !strings.Contains(e, "registered at the provider by this program already") || strings.Count(strings.TrimSpace(e), "\n") != 0 || p.Count("/register") != n {
		t.Errorf("second register: %d %s", code, e)
	}
	if _, e, code := runIn(t, dir, store, "", "register", "Nope"); code == 0 || !strings.Contains(e, "connectedapps list") {
		t.Errorf("an unknown app: %d %s", code, e)
	}
	if out, _, _ := runIn(t, dir, store, "", "help", "register"); !strings.Contains(out, "--initial-access-token-stdin") {
		t.Errorf("help register:\n%s", out)
	}
}

// A provider that wants an initial access token: the remedy is register's own flag, and the
// token piped in registers the client.
func TestRegisterASavedAppWithAnInitialToken(t *testing.T) {
	p := siteWithRegistration(t, true)
	p.Handle("/register", func(w http.ResponseWriter, n int, r oauthtest.Request) {
		if r.Authorization != "Bearer iat-9" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		oauthtest.JSON(w, http.StatusCreated, map[string]any{"client_id": "dyn-2"})
	})
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "ERP", "--discovery", p.URL, "--client-id", "typed"); code != 0 {
		t.Fatalf("add: %s", e)
	}
	_, e, code := runIn(t, dir, store, "", "register", "ERP")
	if code == 0 || !strings.Contains(e, "`connectedapps register \"ERP\" --initial-access-token-stdin`") {
		t.Fatalf("without the token: %d %s", code, e)
	}
	out, e, code := runIn(t, dir, store, "iat-9\n", "register", "ERP", "--initial-access-token-stdin")
	if code != 0 || !strings.Contains(out, "client dyn-2") || strings.Contains(out, "iat-9") {
		t.Fatalf("with the token: %d\n%s\n%s", code, out, e)
	}
}

// A site that offers no registration: register says to register the client by hand and give
// its ID to the saved app, with edit, not add.
func TestRegisterASavedAppWhoseSiteOffersNone(t *testing.T) {
	p := siteWithRegistration(t, false)
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "ERP", "--discovery", p.URL, "--client-id", "typed"); code != 0 {
		t.Fatalf("add: %s", e)
	}
	_, e, code := runIn(t, dir, store, "", "register", "ERP")
	if code == 0 || !strings.Contains(e, "no registration_endpoint") || !strings.Contains(e, "`connectedapps edit \"ERP\" --client-id VALUE`") || strings.Contains(e, "connectedapps add") {
		t.Fatalf("register: %d %s", code, e)
	}
	if out, _, _ := runIn(t, dir, store, "", "show", "ERP"); !strings.Contains(out, "typed") {
		t.Errorf("the app lost its client:\n%s", out)
	}
}
