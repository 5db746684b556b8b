package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// Every malformed field of the document, typed into the window: Save refuses it, the message
// stands beside the field (its section opened), the status line says "Not saved", nothing is
// registered, and what was typed stays in the form. (The error line is always there, empty
// until needed, so "flagged" is its text, not its visibility.) (Empty name, plain http, a scope with a
// space and a name already taken: TestFormShowsErrorsBesideTheirFields.)
func TestFormRefusesEachMalformedField(t *testing.T) {
	cases := []struct {
		name  string
		field string
		set   func(f *appForm)
		want  string
	}{
		{"URL without a scheme", "authorization_uri", func(f *appForm) { f.urls["authorization_uri"].SetText("idp.example.com/auth") }, "not an absolute http(s) URL"},
		{"non-HTTP scheme", "token_uri", func(f *appForm) { f.urls["token_uri"].SetText("ftp://idp.example.com/token") }, "not an absolute http(s) URL"},
		{"empty client ID", "client_id", func(f *appForm) { f.clientID.SetText("   ") }, "client ID is required"},
		{"port out of range", "redirect_port", func(f *appForm) { f.redirectPort.SetText("70000") }, "70000 is out of range"},
		{"negative port", "redirect_port", func(f *appForm) { f.redirectPort.SetText("-5") }, "-5 is out of range"},
		{"port that is not a number", "redirect_port", func(f *appForm) { f.redirectPort.SetText("eighty") }, `"eighty" is not a port number`},
		{"issuer without a scheme", "issuer", func(f *appForm) { f.urls["issuer"].SetText("accounts.example.com") }, "not an absolute http(s) URL"},
		{"reserved extra parameter", "query_parameters", func(f *appForm) { f.addParam("redirect_uri", "https://evil.example") }, "set by the sign-in itself"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := newTestService(t)
			w := openWindow(t, svc)
			w.onNew()
			f := w.form
			test.Type(f.name, "Typed")
			test.Type(f.clientID, "c")
			f.urls["authorization_uri"].SetText("https://idp.example.com/auth")
			f.urls["token_uri"].SetText("https://idp.example.com/token")
			c.set(f)
			test.Tap(f.save)

			msg := f.errors[c.field]
			if !msg.Visible() || !strings.Contains(msg.Text, c.want) {
				t.Fatalf("beside %s: visible %v, %q; want %q", c.field, msg.Visible(), msg.Text, c.want)
			}
			if !f.status.Visible() || !strings.HasPrefix(f.status.Text, "Not saved: ") {
				t.Errorf("status line %q; want Not saved", f.status.Text)
			}
			for field, l := range f.errors {
				if field != c.field && l.Text != "" {
					t.Errorf("%s is flagged too: %q", field, l.Text)
				}
			}
			if apps, _ := svc.List(); len(apps) != 0 {
				t.Errorf("an invalid document was saved: %+v", apps)
			}
			if f.name.Text != "Typed" || !f.isDirty() {
				t.Error("the typed document was lost")
			}
		})
	}
}
