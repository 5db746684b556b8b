package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// The mouse wheel scrolls the form with the pointer over an input field. Every entry holds a
// scroller of its own that took the wheel and did nothing with it, so the page stopped as soon
// as a field came under the pointer (about 75 px down). The test driver finds the scrollable
// under the pointer as the desktop driver does.
func TestMouseWheelScrollsTheFormOverInputFields(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	w := openWindow(t, svc)
	w.win.Resize(fyne.NewSize(1000, 600))
	w.onNew()
	f := w.form
	f.endpoints.Open(0)
	f.endpoints.Open(1)
	c := w.win.Canvas()
	d := fyne.CurrentApp().Driver()

	// wheel puts the pointer over o and turns the wheel ten steps down, then ten up.
	wheel := func(s *container.Scroll, o fyne.CanvasObject) {
		t.Helper()
		// Scroll o to the top of the view, so there is page to scroll either way of it.
		y := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
		s.ScrollToOffset(fyne.NewPos(0, max(0, y-40)))
		start := s.Offset.Y
		at := d.AbsolutePositionForObject(o).Add(fyne.NewPos(10, 10))
		for range 10 {
			test.Scroll(c, at, 0, -30) // down
		}
		peak := s.Offset.Y
		for range 10 {
			test.Scroll(c, at, 0, 30) // and back up
		}
		down, up := peak-start, peak-s.Offset.Y
		room := s.Content.Size().Height - s.Size().Height - start
		if down < min(250, room) || up < min(250, peak) {
			t.Errorf("the wheel over %T moved the page %.0f px down (room %.0f) and %.0f px back up (room %.0f)", o, down, room, up, peak)
		}
	}
	for _, o := range []fyne.CanvasObject{f.name, f.discovery, f.clientID, f.secret, f.scopeInput, f.urls["authorization_uri"], f.urls["jwks_uri"], f.redirectHost, f.redirectPort} {
		wheel(f.scroll, o)
	}

	// The Connection tab scrolls the same way over its selectable texts.
	selectApp(t, w, "Example")
	w.showTab(1)
	w.win.Resize(fyne.NewSize(1000, 360))
	wheel(w.tokens.scroll, w.tokens.identity)

	// And Settings, over its entry for the clipboard seconds.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	w.win.Resize(fyne.NewSize(1000, 300))
	settings := newSettingsScreen(w.env, w.win)
	settings.show()
	if settings.scroll.Content.Size().Height <= settings.scroll.Size().Height {
		t.Fatalf("Settings fits in %v: nothing to scroll", settings.scroll.Size())
	}
	wheel(settings.scroll, settings.seconds)
}
