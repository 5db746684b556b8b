package gui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"connectedapps/core/secret"
)

// A restart reopens the app selected last time. Its form must show the saved registration,
// not placeholders a person reads as "my registration was erased", and must not claim edits.
func TestRememberedAppOpensFilledAfterARestart(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Remembered", nil)
	saved, err := svc.Get("Remembered")
	if err != nil {
		t.Fatal(err)
	}
	test.NewTempApp(t)
	// What the last run left behind: the selected app in the preferences.
	fyne.CurrentApp().Preferences().SetString(prefSelectedApp, saved.ID)

	// A fresh window, as the next start builds it (Run: newMainWindow, then reload).
	w := newMainWindow(testEnv(svc))
	t.Cleanup(w.win.Close)
	w.win.Show()
	w.registry.reload()

	if w.selectedID != saved.ID || w.top.name.Text != "Remembered" {
		t.Fatalf("the remembered app is not selected: %q, header %q", w.selectedID, w.top.name.Text)
	}
	f := w.form
	for name, got := range map[string]string{
		"Provider Name": f.name.Text, "Client ID": f.clientID.Text,
		"Authorization URI": f.urls["authorization_uri"].Text, "Token URI": f.urls["token_uri"].Text,
	} {
		want := map[string]string{"Provider Name": "Remembered", "Client ID": "c",
			"Authorization URI": "https://example.com/auth", "Token URI": "https://example.com/token"}[name]
		if got != want {
			t.Errorf("%s shows %q after a restart, want %q", name, got, want)
		}
	}
	if f.redirectHost.Selected != saved.RedirectHost || f.redirectPort.Text == "" {
		t.Errorf("redirect host %q port %q after a restart", f.redirectHost.Selected, f.redirectPort.Text)
	}
	if !f.save.Disabled() {
		t.Error("Save is enabled on a form nobody edited")
	}
	if f.isDirty() {
		t.Error("the untouched form claims unsaved changes")
	}
	// Leaving (closing the window) goes without asking about unsaved changes.
	closed := false
	w.closeHook = func() { closed = true }
	w.onClose()
	if !closed || w.pendingDialog != nil {
		t.Fatalf("leaving an untouched form asked first (closed %v, dialog %T)", closed, w.pendingDialog)
	}
}

// The expiry reads the same in the header, the list row, the Connection tab's status and its
// countdown, and all of them move on together with the clock: the header used to keep "1 h"
// from the last reload while the tab counted "59 min".
func TestExpiryIsOneLiveWordingEverywhere(t *testing.T) {
	ticker := newManualTicker()
	now := testNow
	svc := serviceOn(t, t.TempDir(), secret.NewMemoryStore(), func() time.Time { return now })
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example", ticker.install)
	assertSame := func(want string) {
		t.Helper()
		r := newAppRow()
		w.sidebar.updateRow(0, r)
		for where, got := range map[string]string{"header": w.top.badge.Text, "list row": r.state.Text,
			"status": w.tokens.state.Text, "countdown": "Connected · " + w.tokens.countdown.Text} {
			if got != want {
				t.Errorf("%s says %q, want %q", where, got, want)
			}
		}
	}
	assertSame("Connected · expires in 1 h")
	now = now.Add(50 * time.Second) // no reload: only the tick
	ticker.tick()
	assertSame("Connected · expires in 59 min")
	now = now.Add(49 * time.Minute)
	ticker.tick()
	assertSame("Connected · expires in 10 min")
}
