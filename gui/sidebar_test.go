package gui

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
)

// The app list works on its own, with no main window around it: it filters, says why it is
// empty, highlights the app it is told is selected without calling onPick, and calls onPick
// only when the person chooses another app.
func TestSidebarWithoutTheWindow(t *testing.T) {
	test.NewTempApp(t)
	win := test.NewWindow(nil)
	t.Cleanup(win.Close)
	selected := ""
	var picked []string
	s := newAppSidebar(win, func() time.Time { return testNow }, func() string { return selected }, func(id string) { picked = append(picked, id) })

	s.setApps(nil)
	if !s.emptyList.Visible() || s.emptyList.Text != "No apps yet. Press New to register one." {
		t.Errorf("no apps: the empty line says %q (shown %v)", s.emptyList.Text, s.emptyList.Visible())
	}
	apps := []core.App{{ID: "a", ProviderName: "Alpha", Issuer: "https://alpha.example"}, {ID: "b", ProviderName: "Beta", Issuer: "https://beta.example"}}
	s.setApps(apps)
	if s.emptyList.Visible() || s.list.Length() != 2 {
		t.Fatalf("two apps: %d rows, empty line shown %v", s.list.Length(), s.emptyList.Visible())
	}

	s.search.SetText("beta.example")
	if len(s.shown) != 1 || s.shown[0].ID != "b" {
		t.Errorf("search by host shows %v, want Beta", s.shown)
	}
	s.search.SetText("nothing like it")
	if len(s.shown) != 0 || s.emptyList.Text != "No app matches “nothing like it”." {
		t.Errorf("no match: %d shown, empty line %q", len(s.shown), s.emptyList.Text)
	}
	s.search.SetText("")

	selected = "b"
	s.syncSelection()
	if len(picked) != 0 {
		t.Errorf("highlighting the selected app called onPick with %q", picked)
	}
	s.list.Select(1) // Beta again: already selected
	s.list.Select(0) // the person chooses Alpha
	if !slices.Equal(picked, []string{"a"}) {
		t.Errorf("onPick got %q, want only the newly chosen app", picked)
	}
	if app, ok := s.app("a"); !ok || app.ProviderName != "Alpha" {
		t.Errorf("app(a) = %v, %v", app, ok)
	}

	s.showError(core.Failf(core.ErrInvalid, "apps.json is broken"))
	if !s.listError.Visible() || s.list.Length() != 2 {
		t.Errorf("a failed read: error shown %v, %d rows kept", s.listError.Visible(), s.list.Length())
	}
	s.setApps(apps)
	if s.listError.Visible() {
		t.Error("a good read left the error line shown")
	}
}
