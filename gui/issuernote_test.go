package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// An issuer typed before discovery is kept (the document is not held to it); when the
// document names another, a note under the Issuer field says both and what to do, and goes
// once the field says the discovered issuer.
func TestAKeptIssuerDiscoveryContradictsIsNotedUnderTheField(t *testing.T) {
	for _, c := range []struct {
		name     string
		chinese  bool
		sentence []string
	}{
		{"English", false, []string{"Note: the discovery document names the issuer", "give the discovered issuer, or keep it if the provider's ID tokens carry it"}},
		{"Chinese", true, []string{"注意：发现文档中的签发方为", "请填写发现到的签发方"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.chinese {
				inChinese(t)
			}
			svc := newTestService(t)
			w := openWindow(t, svc)
			srv := discoveryServer(t)
			w.onNew()
			f := w.form
			kept := srv.URL + "/realms/acme"
			test.Type(f.name, "KC")
			f.urls["issuer"].SetText(kept)
			if f.issuerNote.Visible() {
				t.Fatalf("a note before any discovery: %q", f.issuerNote.Text)
			}
			test.Type(f.discovery, srv.URL)
			test.Tap(f.discover)
			if f.urls["issuer"].Text != kept || f.urls["token_uri"].Text != srv.URL+"/token" {
				t.Fatalf("discovery: issuer %q token %q", f.urls["issuer"].Text, f.urls["token_uri"].Text)
			}
			note := f.issuerNote.Text
			if !f.issuerNote.Visible() {
				t.Fatalf("no note under the Issuer field (status %q)", f.status.Text)
			}
			for _, want := range append(c.sentence, `"`+srv.URL+`"`, `"`+kept+`"`) {
				if !strings.Contains(note, want) {
					t.Errorf("the note %q does not say %s", note, want)
				}
			}
			if strings.ContainsAny(note, "\n\r") {
				t.Errorf("the note %q is not one line", note)
			}
			assertShown(t, w, note)

			f.urls["issuer"].SetText(srv.URL) // the discovered issuer, as the note says
			if f.issuerNote.Visible() || f.issuerNote.Text != "" {
				t.Errorf("the note stays once the issuer is the discovered one: %q", f.issuerNote.Text)
			}
			f.urls["issuer"].SetText(kept)
			if !f.issuerNote.Visible() {
				t.Error("the note does not come back for the kept issuer")
			}
			w.onNewWith(nil) // another document (its edits discarded): its own discovery, its own note
			if w.form.issuerNote.Visible() {
				t.Errorf("a new document shows the last one's note: %q", w.form.issuerNote.Text)
			}
		})
	}
}
