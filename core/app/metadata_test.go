package app

import (
	"strings"
	"testing"

	"connectedapps/core/fail"
)

// A kept issuer (a preset's, or one given by hand) wins over the discovered one; when the
// document names another, the person hears it at add or edit, with both issuers and the fix.
func TestIssuerContradictedNamesBothIssuers(t *testing.T) {
	const tmpl = "https://login.microsoftonline.com/" + TenantIDPlaceholder + "/v2.0"
	const tenant = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
	for _, c := range []struct {
		name, kept, discovered string
		warns                  bool
	}{
		{"the preset's issuer is another realm", "https://sso.example/realms/acme", "https://sso.example/realms/other", true},
		{"a trailing slash is another issuer", "https://sso.example/realms/acme", "https://sso.example/realms/acme/", true},
		{"the same issuer", "https://sso.example/realms/acme", "https://sso.example/realms/acme", false},
		{"nothing kept", "", "https://sso.example/realms/acme", false},
		{"the document names none", "https://sso.example/realms/acme", "", false},
		{"the same multi-tenant template", tmpl, tmpl, false},
		{"a tenant's document for the template", tmpl, tenant, false},
		{"one tenant kept of the template", tenant, tmpl, false},
		{"the template for another host", tmpl, "https://login.example.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", true},
		{"a template filled with no tenant ID", tmpl, "https://login.microsoftonline.com/common/v2.0", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := NewApp("KC")
			a.Issuer = c.kept
			err := a.IssuerContradicted(&ProviderMetadata{Issuer: c.discovered})
			if !c.warns {
				if err != nil {
					t.Fatalf("kept %q, discovered %q: warned %q", c.kept, c.discovered, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("kept %q, discovered %q: no warning", c.kept, c.discovered)
			}
			msg := err.Error()
			for _, want := range []string{`"` + c.kept + `"`, `"` + c.discovered + `"`, "give the discovered issuer", "keep it if the provider's ID tokens carry it"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %s", msg, want)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("%q is not one line", msg)
			}
			r := fail.Remedies(err)
			if len(r) != 1 || r[0].Do != fail.FixField || r[0].Field != FieldIssuer || r[0].App != "KC" {
				t.Errorf("remedies %+v, want FixField on issuer of KC", r)
			}
		})
	}
	if err := (&App{Issuer: "https://a.example"}).IssuerContradicted(nil); err != nil {
		t.Errorf("no document: %v", err)
	}
}
