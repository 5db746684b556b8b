package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// presetChecklist is the folding checklist a preset puts above the form.
func presetChecklist(t *testing.T, w *mainWindow) *widget.Accordion {
	t.Helper()
	if len(w.form.presetInfo.Objects) != 1 {
		t.Fatalf("%d objects above the form, want the preset's checklist", len(w.form.presetInfo.Objects))
	}
	a, ok := w.form.presetInfo.Objects[0].(*widget.Accordion)
	if !ok || len(a.Items) != 1 {
		t.Fatalf("the preset's advice is a %T, want one folding checklist", w.form.presetInfo.Objects[0])
	}
	return a
}

func presetByID(t *testing.T, id string) core.Preset {
	t.Helper()
	presets, err := core.Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range presets {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no preset %q", id)
	return core.Preset{}
}

// Every form opens at its top, whatever the last one was scrolled to; a preset's advice is a
// short numbered checklist that folds; Generic OAuth 2.0, which has no discovery, shows the
// Authorization and Token URIs first instead of folded away under Endpoints.
func TestFormsOpenAtTheTopWithAFoldingChecklist(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "First", nil)
	addApp(t, svc, "Second", nil)
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 600))
	f := w.form
	scrolledDown := func() {
		f.endpoints.Open(0)
		f.scroll.ScrollToBottom()
		if f.scroll.Offset.Y <= 0 {
			t.Fatal("the form does not scroll at all")
		}
	}
	selectApp(t, w, "First")
	scrolledDown()
	selectApp(t, w, "Second")
	if f.scroll.Offset.Y != 0 {
		t.Errorf("another app opened %.0f px down", f.scroll.Offset.Y)
	}
	scrolledDown()
	w.onNew()
	if f.scroll.Offset.Y != 0 {
		t.Errorf("the new form opened %.0f px down", f.scroll.Offset.Y)
	}
	scrolledDown()
	w.presets.newFromPreset(presetByID(t, "google"))
	if f.scroll.Offset.Y != 0 {
		t.Errorf("the Google preset opened %.0f px down", f.scroll.Offset.Y)
	}

	// The checklist: numbered steps, open at first, and it folds.
	list := presetChecklist(t, w)
	item := list.Items[0]
	if !item.Open || !strings.HasPrefix(item.Title, "Google preset: ") || !strings.HasSuffix(item.Title, " steps to register") {
		t.Errorf("checklist %q open %v", item.Title, item.Open)
	}
	assertShown(t, w, "1.", "2.", "Paste the client ID (and secret) below, then Save.")
	list.Close(0)
	if item.Open {
		t.Error("the checklist does not fold")
	}
	// Saving after a scroll keeps the place: only another document starts at the top.
	selectApp(t, w, "First")
	scrolledDown()
	at := f.scroll.Offset.Y
	f.clientID.SetText("changed")
	f.onSave()
	if f.scroll.Offset.Y != at {
		t.Errorf("saving moved the form from %.0f to %.0f", at, f.scroll.Offset.Y)
	}

	// Generic OAuth 2.0: its URIs come first, above the OpenID Configuration, unfolded.
	w.presets.newFromPreset(presetByID(t, "generic-oauth2"))
	d := fyne.CurrentApp().Driver()
	auth, disc := d.AbsolutePositionForObject(f.urls["authorization_uri"]), d.AbsolutePositionForObject(f.discovery)
	if !f.urls["authorization_uri"].Visible() || !f.urls["token_uri"].Visible() || auth.Y >= disc.Y || fyne.CurrentApp().Driver().CanvasForObject(f.urls["token_uri"]) == nil {
		t.Errorf("Generic OAuth 2.0: the authorization URI is at %v, the discovery URL at %v", auth, disc)
	}
	if tok := d.AbsolutePositionForObject(f.urls["token_uri"]); tok.Y+f.urls["token_uri"].Size().Height > disc.Y {
		t.Errorf("Generic OAuth 2.0: the token URI (%v) overlaps the discovery URL (%v): the page was not laid out again", tok, disc)
	}
	if y := auth.Y - d.AbsolutePositionForObject(f.scroll).Y; y > f.scroll.Size().Height {
		t.Errorf("Generic OAuth 2.0: the authorization URI is below the fold (%.0f px)", y)
	}
	// An OpenID Connect preset, and a blank new app, keep discovery first, the URIs in the
	// Endpoints section.
	w.presets.newFromPreset(presetByID(t, "google"))
	if len(f.topEndpoints.Objects) != 0 || d.AbsolutePositionForObject(f.urls["authorization_uri"]).Y <= d.AbsolutePositionForObject(f.discovery).Y {
		t.Error("Google: the endpoints were moved above discovery")
	}
	w.presets.newFromPreset(presetByID(t, "generic-oauth2"))
	w.onNew()
	if len(f.topEndpoints.Objects) != 0 {
		t.Error("a blank new app shows the endpoints above discovery")
	}
	w.form.discard()
	selectApp(t, w, "First") // saved, without discovery: its URIs first, laid out
	if tok, disc := d.AbsolutePositionForObject(f.urls["token_uri"]), d.AbsolutePositionForObject(f.discovery); len(f.topEndpoints.Objects) == 0 || tok.Y+f.urls["token_uri"].Size().Height > disc.Y {
		t.Errorf("a saved app without discovery: token URI at %v, discovery at %v", tok, disc)
	}
	w.onNew()
	if len(f.topEndpoints.Objects) != 0 {
		t.Error("a blank new app shows the endpoints above discovery")
	}
}
