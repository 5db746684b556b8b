package cli

import (
	"net/http"
	"strings"
	"testing"

	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
	"connectedapps/internal/testkit"
)

// A preset's issuer is kept over the discovered one (the field is KeepGiven): when the
// provider's document names another, add, edit and discover say so on stderr, naming both
// and the fix, and still succeed; ID tokens would otherwise fail only at connect.
func TestAKeptIssuerDiscoveryContradictsIsWarned(t *testing.T) {
	op, err := testkit.StartProvider()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	dir, store := configDir(t), secret.NewMemoryStore()
	kept := op.Issuer + "/realms/acme"
	warning := func(e string) string {
		for _, l := range strings.Split(e, "\n") {
			if strings.HasPrefix(l, "connectedapps: warning: ") {
				return l
			}
		}
		return ""
	}

	_, e, code := runIn(t, dir, store, "", "add", "KC", "--preset", "keycloak", "--site", op.Issuer, "--realm", "acme",
		"--discovery", op.Issuer, "--client-id", "native")
	w := warning(e)
	if code != 0 || w == "" {
		t.Fatalf("add: exit %d, stderr %q", code, e)
	}
	for _, want := range []string{`"` + op.Issuer + `"`, `"` + kept + `"`, "give the discovered issuer",
		"keep it if the provider's ID tokens carry it", "`connectedapps edit \"KC\" --issuer URL`"} {
		if !strings.Contains(w, want) {
			t.Errorf("add's warning %q does not say %s", w, want)
		}
	}
	out, _, _ := runIn(t, dir, store, "", "show", "KC", "--json")
	if !strings.Contains(out, `"issuer": "`+kept+`"`) {
		t.Errorf("the kept issuer was not kept:\n%s", out)
	}

	// edit --discovery again: the same line, and the edit is saved.
	_, e, code = runIn(t, dir, store, "", "edit", "KC", "--discovery", op.Issuer, "--scope", "openid email")
	if code != 0 || warning(e) != w {
		t.Fatalf("edit: exit %d, stderr %q, want %q", code, e, w)
	}
	// Taking the discovered issuer ends it.
	_, e, code = runIn(t, dir, store, "", "edit", "KC", "--issuer", op.Issuer, "--discovery", op.Issuer)
	if code != 0 || warning(e) != "" {
		t.Errorf("the discovered issuer given: exit %d, stderr %q", code, e)
	}
	out, _, _ = runIn(t, dir, store, "", "show", "KC", "--json")
	if !strings.Contains(out, `"issuer": "`+op.Issuer+`"`) {
		t.Errorf("--issuer was not saved:\n%s", out)
	}

	// discover --issuer names another issuer than the document: the same words, no app to edit.
	out, e, code = runIn(t, dir, store, "", "discover", op.Issuer, "--issuer", kept)
	if code != 0 || !strings.Contains(out, `"issuer"`) || !strings.Contains(warning(e), `"`+kept+`"`) || strings.Contains(e, "connectedapps edit") {
		t.Errorf("discover --issuer: exit %d\n%s\n%s", code, out, e)
	}
	if _, e, code = runIn(t, dir, store, "", "discover", op.Issuer); code != 0 || warning(e) != "" {
		t.Errorf("discover: exit %d, stderr %q", code, e)
	}
}

// A preset that reads its provider's document to register a client (Frappe: the issuer is
// the site) keeps the preset's issuer there too, and says when the document names another.
func TestAPresetsRegistrationDiscoveryWarnsOfAnotherIssuer(t *testing.T) {
	p := oauthtest.NewProvider(t)
	p.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"issuer": p.At("/tenant"), "authorization_endpoint": p.At("/auth"),
			"token_endpoint": p.At("/token"), "registration_endpoint": p.At("/register")})
	})
	p.Handle("/register", oauthtest.Always(http.StatusCreated, map[string]any{"client_id": "dyn-2"}))
	dir, store := configDir(t), secret.NewMemoryStore()
	out, e, code := runIn(t, dir, store, "", "add", "ERP", "--preset", "frappe", "--site", p.URL)
	if code != 0 || !strings.Contains(out, "dyn-2") {
		t.Fatalf("add: exit %d\n%s\n%s", code, out, e)
	}
	want := `connectedapps: warning: the discovery document names the issuer "` + p.At("/tenant") + `", not the kept issuer "` + p.URL + `"`
	if !strings.Contains(e, want) || strings.Count(e, "\n") != 1 {
		t.Errorf("stderr %q, want one line with %q", e, want)
	}
}
