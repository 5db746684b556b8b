package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Save names every wrong field at once, each beside its field, and scrolls the page to the
// first; fixing a field clears its line as it is typed, without moving what is below it; a
// successful save shows "Saved" on the button until the next edit.
func TestValidationShowsEveryErrorAtOnceAndClearsEachWhenFixed(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 680))
	w.onNew()
	f := w.form
	test.Type(f.name, "Several mistakes")
	test.Type(f.clientID, "c")
	f.urls["authorization_uri"].SetText("http://idp.example.com/auth") // plain http off loopback
	f.urls["token_uri"].SetText("idp.example.com/token")               // no scheme
	f.redirectPort.SetText("eighty")
	test.Tap(f.save)

	want := map[string]string{
		"authorization_uri": "plain http",
		"token_uri":         "not an absolute http(s) URL",
		"redirect_port":     `"eighty" is not a port number`,
	}
	for field, msg := range want {
		if got := f.errors[field].Text; !strings.Contains(got, msg) {
			t.Errorf("beside %s: %q, want %q", field, got, msg)
		}
	}
	for field, l := range f.errors {
		if _, ok := want[field]; !ok && l.Text != "" {
			t.Errorf("%s is flagged too: %q", field, l.Text)
		}
	}
	if f.status.Text != "Not saved: 3 fields need a fix, each marked in red." {
		t.Errorf("status: %q", f.status.Text)
	}
	if apps, _ := svc.List(); len(apps) != 0 {
		t.Fatal("an invalid document was saved")
	}

	// The page scrolled to the first error, the authorization URI's, below the fold.
	d := fyne.CurrentApp().Driver()
	first := f.errors["authorization_uri"]
	y := d.AbsolutePositionForObject(first).Y - d.AbsolutePositionForObject(f.scroll.Content).Y
	if off := f.scroll.Offset.Y; off <= 0 || y < off || y+first.Size().Height > off+f.scroll.Size().Height {
		t.Errorf("the first error is at %.0f, the view shows %.0f to %.0f", y, off, off+f.scroll.Size().Height)
	}

	// Fixing one clears its line at once, leaves the others, and moves nothing below.
	below := d.AbsolutePositionForObject(f.urls["token_uri"])
	f.urls["authorization_uri"].SetText("https://idp.example.com/auth")
	if f.errors["authorization_uri"].Text != "" || f.errors["token_uri"].Text == "" || f.errors["redirect_port"].Text == "" {
		t.Errorf("after fixing the authorization URI: %q / %q / %q", f.errors["authorization_uri"].Text, f.errors["token_uri"].Text, f.errors["redirect_port"].Text)
	}
	if after := d.AbsolutePositionForObject(f.urls["token_uri"]); after != below {
		t.Errorf("clearing an error moved the next field from %v to %v", below, after)
	}
	f.urls["token_uri"].SetText("https://idp.example.com/token")
	f.redirectPort.SetText("0")
	for field, l := range f.errors {
		if l.Text != "" {
			t.Errorf("%s still flagged after the fix: %q", field, l.Text)
		}
	}

	test.Tap(f.save)
	if _, err := svc.Get("Several mistakes"); err != nil {
		t.Fatalf("not saved: %v (%s)", err, f.status.Text)
	}
	if f.save.Text != "Saved" || !f.save.Disabled() {
		t.Errorf("after saving the button reads %q (disabled %v), want a disabled Saved", f.save.Text, f.save.Disabled())
	}
	f.clientID.SetText("c2")
	if f.save.Text != "Save" || f.save.Disabled() {
		t.Errorf("after an edit the button reads %q (disabled %v), want Save", f.save.Text, f.save.Disabled())
	}
}
