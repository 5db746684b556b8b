package gui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func press(w *mainWindow, key fyne.KeyName) {
	w.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: key})
}

func shortcut(w *mainWindow, key fyne.KeyName) {
	w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
}

// From the search field Down moves into the results and Enter opens one; Escape clears the
// search; Ctrl+N lands on Provider Name with the page at its top; and no shortcut acts
// behind a modal dialog.
func TestKeyboardPaths(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Alpha", nil)
	addApp(t, svc, "Beta", nil)
	addApp(t, svc, "Gamma", nil)
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 600))

	shortcut(w, fyne.KeyF)
	if w.win.Canvas().Focused() != w.sidebar.search {
		t.Fatal("Ctrl+F did not focus the search")
	}
	test.Type(w.sidebar.search, "a") // all three match
	press(w, fyne.KeyDown)
	if w.win.Canvas().Focused() != w.sidebar.list {
		t.Fatalf("Down from the search focused %T, want the app list", w.win.Canvas().Focused())
	}
	press(w, fyne.KeyDown) // the second result
	press(w, fyne.KeyReturn)
	if app, ok := w.selectedApp(); !ok || app.ProviderName != "Beta" {
		t.Fatalf("Down, Down, Enter opened %q, want Beta", app.ProviderName)
	}

	shortcut(w, fyne.KeyF)
	test.Type(w.sidebar.search, "zzz")
	if len(w.sidebar.shown) != 0 {
		t.Fatalf("%d apps match zzz", len(w.sidebar.shown))
	}
	press(w, fyne.KeyEscape)
	if w.sidebar.search.Text != "" || len(w.sidebar.shown) != 3 {
		t.Errorf("Escape left the search %q with %d apps shown", w.sidebar.search.Text, len(w.sidebar.shown))
	}

	// Ctrl+N: the Provider Name field, the page at its top.
	w.form.endpoints.Open(0)
	w.form.scroll.ScrollToBottom()
	shortcut(w, fyne.KeyN)
	if w.selectedID != newAppID || w.win.Canvas().Focused() != w.form.name || w.form.scroll.Offset.Y != 0 {
		t.Errorf("Ctrl+N: selected %q, focus %T, page at %.0f", w.selectedID, w.win.Canvas().Focused(), w.form.scroll.Offset.Y)
	}

	// Behind a modal dialog, shortcuts do nothing: here "Unsaved changes" is asked.
	test.Type(w.form.name, "Typed")
	selectApp(t, w, "Alpha") // selectID drops edits; ask as a click in the list does instead
	w.form.clientID.SetText("c-edited")
	w.onNew()
	if w.win.Canvas().Overlays().Top() == nil {
		t.Fatal("switching with edits did not ask")
	}
	for _, k := range []fyne.KeyName{fyne.KeyN, fyne.KeyS, fyne.KeyComma, fyne.Key2} {
		shortcut(w, k)
	}
	if w.selectedID == newAppID || w.form.clientID.Text != "c-edited" || w.tabs.SelectedIndex() != 0 {
		t.Errorf("a shortcut acted behind the dialog: selected %q, client ID %q, tab %d", w.selectedID, w.form.clientID.Text, w.tabs.SelectedIndex())
	}
	if got, _ := svc.Get("Alpha"); got.ClientID != "c" {
		t.Errorf("Ctrl+S behind the dialog saved %q", got.ClientID)
	}
	for _, it := range w.newMenu().main.Items[0].Items {
		if it.Label == "New app" {
			it.Action()
		}
	}
	if w.selectedID == newAppID {
		t.Error("the menu's New app acted behind the dialog")
	}
}

// Menu items that cannot act are greyed out, and follow the window as it changes; Help has
// an About entry.
func TestMenuItemsDisabledWhenTheyCannotActAndAbout(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Plain", nil)
	addConnectedApp(t, svc, "Connected", nil, connectedFor(time.Hour))
	w := openWindow(t, svc)
	w.menu = w.newMenu()
	w.updateMenu()
	state := func() map[string]bool {
		out := map[string]bool{}
		for _, m := range w.menu.main.Items {
			for _, it := range m.Items {
				if it.Label != "" {
					out[it.Label] = it.Disabled
				}
			}
		}
		return out
	}
	assertDisabled := func(when string, want map[string]bool) {
		t.Helper()
		got := state()
		for label, disabled := range want {
			if got[label] != disabled {
				t.Errorf("%s: %q disabled %v, want %v", when, label, got[label], disabled)
			}
		}
	}
	assertDisabled("nothing selected", map[string]bool{"Save": true, "Export this app…": true, "Copy access token": true,
		"Registration": true, "Connection": true, "New app": false, "Import…": false, "Export all…": false, "Settings…": false})
	selectApp(t, w, "Plain")
	assertDisabled("a saved app, not connected", map[string]bool{"Save": true, "Export this app…": false, "Copy access token": true, "Registration": false})
	w.form.clientID.SetText("edited")
	assertDisabled("with an edit", map[string]bool{"Save": false})
	w.form.discard()
	selectApp(t, w, "Connected")
	assertDisabled("a connected app", map[string]bool{"Save": true, "Copy access token": false, "Connection": false})

	var about *fyne.MenuItem
	for _, it := range w.menu.main.Items[3].Items {
		if it.Label == "About Connected Apps" {
			about = it
		}
	}
	if w.menu.main.Items[3].Label != "Help" || about == nil {
		t.Fatal("no Help › About Connected Apps")
	}
	about.Action()
	assertDialogShows(t, w, "Connected Apps", "Your apps are kept in "+svc.RegistryPath())
}

// Tab through the form: each field that gets the focus is scrolled into view, down to the
// redirect port under Advanced and back up with Shift+Tab.
func TestFocusScrollsIntoView(t *testing.T) {
	w := openWindow(t, newTestService(t))
	w.win.Resize(fyne.NewSize(1000, 600))
	w.onNew()
	f := w.form
	f.endpoints.Open(0)
	f.endpoints.Open(1)
	c := w.win.Canvas()
	d := fyne.CurrentApp().Driver()
	inView := func(o fyne.CanvasObject) bool {
		y := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(f.scroll.Content).Y
		return y >= f.scroll.Offset.Y && y+o.Size().Height <= f.scroll.Offset.Y+f.scroll.Size().Height
	}
	seen := map[*formEntry]bool{}
	check := func() {
		t.Helper()
		if e, ok := c.Focused().(*formEntry); ok {
			seen[e] = true
			if !inView(e) {
				t.Errorf("%q has the focus out of view (page at %.0f)", e.PlaceHolder, f.scroll.Offset.Y)
			}
		}
	}
	c.Focus(f.name)
	for range 80 {
		c.FocusNext()
		check()
		if c.Focused() == f.redirectPort {
			break
		}
	}
	if c.Focused() != f.redirectPort || !seen[f.urls["jwks_uri"]] {
		t.Fatalf("Tab never reached the redirect port (at %T)", c.Focused())
	}
	if f.scroll.Offset.Y == 0 {
		t.Error("the page never scrolled")
	}
	for range 80 {
		c.FocusPrevious()
		check()
		if c.Focused() == f.name {
			break
		}
	}
	if c.Focused() != f.name || f.scroll.Offset.Y > 40 {
		t.Errorf("Shift+Tab back to the name: focus %T, page at %.0f", c.Focused(), f.scroll.Offset.Y)
	}
}

// The sidebar is in reading order for Tab: the search, New, New from preset, the list of
// apps, Settings (the list came first, before the search above it).
func TestSidebarTabOrder(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Alpha", nil)
	w := openWindow(t, svc)
	c := w.win.Canvas()
	c.Focus(w.sidebar.search)
	var got []string
	for range 4 {
		c.FocusNext()
		switch f := c.Focused().(type) {
		case *appList:
			got = append(got, "the list")
		case *widget.Button:
			got = append(got, f.Text)
		default:
			got = append(got, fmt.Sprintf("%T", f))
		}
	}
	if want := []string{"New", "New from preset", "the list", "Settings"}; !slices.Equal(got, want) {
		t.Fatalf("Tab from the search goes %q, want %q", got, want)
	}
}
