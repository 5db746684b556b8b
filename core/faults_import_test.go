package core

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Every malformed field of a document, arriving by import. A file is all or nothing: one bad
// document registers none of the file's apps and stores no secret. (The same fields typed in
// the window: gui/faults_test.go; through Validate: app_test.go.)
func TestImportRefusesEachMalformedField(t *testing.T) {
	good := `{"provider_name":"Good","client_id":"g","client_secret":"good-secret","authorization_uri":"https://good.example/auth","token_uri":"https://good.example/token","scopes":[],"query_parameters":[]}`
	cases := []struct {
		name  string
		doc   string
		field string
		want  string
	}{
		{"URL without a scheme", `{"provider_name":"Bad","client_id":"c","authorization_uri":"idp.example.com/auth","token_uri":"https://idp.example.com/token"}`,
			"authorization_uri", "not an absolute http(s) URL"},
		{"non-HTTP scheme", `{"provider_name":"Bad","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"ftp://idp.example.com/token"}`,
			"token_uri", "not an absolute http(s) URL"},
		{"plain http off loopback", `{"provider_name":"Bad","client_id":"c","authorization_uri":"http://idp.example.com/auth","token_uri":"https://idp.example.com/token"}`,
			"authorization_uri", "plain http"},
		{"empty client ID", `{"provider_name":"Bad","client_id":"  ","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token"}`,
			"client_id", "client ID is required"},
		{"port out of range", `{"provider_name":"Bad","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token","redirect_port":70000}`,
			"redirect_port", "out of range"},
		{"negative port", `{"provider_name":"Bad","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token","redirect_port":-1}`,
			"redirect_port", "out of range"},
		{"redirect host off loopback", `{"provider_name":"Bad","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token","redirect_host":"0.0.0.0"}`,
			"redirect_host", "not a loopback host"},
		{"reserved extra parameter", `{"provider_name":"Bad","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token","query_parameters":[{"key":"state","value":"x"}]}`,
			"query_parameters", "set by the sign-in itself"},
		{"name with control characters", `{"provider_name":"Bad\u0007","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token"}`,
			"provider_name", "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{})
			res, err := f.svc.Import(context.Background(), []byte("["+good+","+c.doc+"]"), "")
			if err == nil {
				t.Fatalf("imported %+v; want the %s refused", res, c.field)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not name the field %s", err, c.field)
			}
			msg := err.Error()
			t.Logf("the person reads: %s", msg)
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, "cannot be imported, so nothing was") || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("the message %q is not one line saying %q and that nothing was imported", msg, c.want)
			}
			if apps, _ := f.svc.List(); len(apps) != 0 || len(res) != 0 {
				t.Errorf("a file with a bad document registered %d apps (returned %d)", len(apps), len(res))
			}
			if keys := f.mem.Keys(); len(keys) != 0 {
				t.Errorf("a refused import stored secrets under %q", keys)
			}
		})
	}
}

// Two documents of one file with the same name (in any case) are refused before anything is
// registered, as is a name already taken here (TestImportRefusesATakenNameUnlessRenamed).
func TestImportRefusesADuplicateNameWithinTheFile(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	doc := `{"provider_name":"%s","client_id":"c","client_secret":"dup-secret","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token"}`
	file := "[" + strings.Replace(doc, "%s", "Twin", 1) + "," + strings.Replace(doc, "%s", "TWIN", 1) + "]"
	_, err := f.svc.Import(context.Background(), []byte(file), "")
	if err == nil || !strings.Contains(err.Error(), `"TWIN" already exists`) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("Import = %v; want the second Twin refused, nothing imported", err)
	}
	if apps, _ := f.svc.List(); len(apps) != 0 || len(f.mem.Keys()) != 0 {
		t.Errorf("a refused file registered %d apps, stored %q", len(apps), f.mem.Keys())
	}
}

// A Frappe scope row holding several words, as Frappe itself allows, is read as that many
// scopes (Frappe sends the rows joined by spaces), not refused.
func TestImportSplitsAScopeRowWithSpaces(t *testing.T) {
	svc := newFixture(t, fixtureOpts{}).svc
	res, err := svc.Import(context.Background(), []byte(`{"provider_name":"Rows","client_id":"c","authorization_uri":"https://idp.example.com/auth","token_uri":"https://idp.example.com/token",
		"scopes":[{"scope":"openid email"},{"scope":" profile\t"}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].App.Scopes; !slices.Equal(got, []string{"openid", "email", "profile"}) {
		t.Errorf("scopes = %q; want openid, email, profile", got)
	}
}

// A Google client file whose only loopback redirect URI has a port out of range: the client is
// imported with the default redirect, and the notes name the unusable URI and the one to add.
func TestImportGoogleRedirectPortOutOfRange(t *testing.T) {
	svc := newFixture(t, fixtureOpts{}).svc
	res, err := svc.Import(context.Background(), []byte(`{"installed":{"client_id":"c.apps.googleusercontent.com","client_secret":"s","redirect_uris":["http://127.0.0.1:70000/callback"]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res[0].Notes, " | ")
	if !strings.Contains(notes, "http://127.0.0.1:70000/callback is not usable") || !strings.Contains(notes, "port is out of range") ||
		!strings.Contains(notes, "http://127.0.0.1:8765/callback") || res[0].App.RedirectPort != DefaultRedirectPort {
		t.Errorf("notes %q, port %d", notes, res[0].App.RedirectPort)
	}
}
