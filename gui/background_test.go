package gui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
)

// notesOf is what the window would have shown as desktop notifications.
func notesOf(w *mainWindow) []string { return w.env.notifier.(*recordingNotifier).shown }

// The refresher's verdict reaches the person once, as a notification that names the app and
// the next step, and the badge changes; later ticks say nothing more.
func TestBackgroundRefreshNeedsSignInNotifiesOnce(t *testing.T) {
	svc := newTestService(t)
	provider := newFakeProvider(t)
	provider.tokenStatus = 400 // invalid_grant: the refresh token was revoked
	addConnectedApp(t, svc, "Google", provider, connectedFor(2*time.Minute))
	w := openWindow(t, svc)
	assertShown(t, w, "Connected · expires in 2 min")

	r := w.background.refresher()
	for range 3 {
		r.Check(context.Background())
	}

	notes := notesOf(w)
	if len(notes) != 1 {
		t.Fatalf("notifications = %q; want exactly one", notes)
	}
	for _, want := range []string{"Google needs you to sign in again: ", "select Google and press “Reconnect”"} {
		if !strings.Contains(notes[0], want) {
			t.Errorf("notification %q lacks %q", notes[0], want)
		}
	}
	assertShown(t, w, "Needs re-authorization")
	if n := len(provider.got()); n != 1 {
		t.Errorf("the provider was asked %d times; want once", n)
	}
}

func TestBackgroundRefreshRenewsQuietly(t *testing.T) {
	svc := newTestService(t)
	provider := newFakeProvider(t)
	addConnectedApp(t, svc, "Example", provider, connectedFor(2*time.Minute))
	addConnectedApp(t, svc, "Later", provider, connectedFor(50*time.Minute))
	w := openWindow(t, svc)

	w.background.refresher().Check(context.Background())

	if notes := notesOf(w); len(notes) != 0 {
		t.Errorf("a successful refresh notified %q", notes)
	}
	// The window shows the new expiry (an hour from the test clock) without being asked.
	assertShown(t, w, "Connected · expires in 1 h", "Connected · expires in 50 min")
	if got := provider.got(); len(got) != 1 || !strings.HasPrefix(got[0], "/token ") {
		t.Errorf("provider saw %q; want one refresh", got)
	}
}

func TestBackgroundRefreshTemporaryFailureIsQuiet(t *testing.T) {
	svc := newTestService(t)
	provider := newFakeProvider(t)
	addConnectedApp(t, svc, "Offline", provider, connectedFor(2*time.Minute))
	provider.Close() // unreachable: a temporary failure
	w := openWindow(t, svc)

	evs := w.background.refresher().Check(context.Background())

	if len(evs) != 1 || evs[0].Outcome != core.RefreshRetrying {
		t.Fatalf("events = %+v; want one retry", evs)
	}
	if notes := notesOf(w); len(notes) != 0 {
		t.Errorf("a temporary failure notified %q", notes)
	}
	assertShown(t, w, "Connected · expires in 2 min")
}

// A client rejected by the provider says which app and what to check.
func TestRefreshEventClientRejectedNotifies(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	app := core.NewApp("GitHub")
	w.background.onEvent(core.RefreshEvent{App: app, Outcome: core.RefreshClientRejected, Err: core.Failf(core.ErrClientRejected, "x")})
	w.background.onEvent(core.RefreshEvent{App: app, Outcome: core.RefreshDone})
	w.background.onEvent(core.RefreshEvent{App: app, Outcome: core.RefreshRetrying})
	notes := notesOf(w)
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "GitHub: the provider rejected this app: ") || !strings.Contains(notes[0], "client ID and secret") {
		t.Errorf("notifications = %q; want one about GitHub's client", notes)
	}
}

func TestMainMenuHasEveryCommandWithItsShortcut(t *testing.T) {
	w := openWindow(t, newTestService(t))
	menu := w.newMenu().main
	items := map[string]*fyne.MenuItem{}
	var tops []string
	for _, m := range menu.Items {
		tops = append(tops, m.Label)
		for _, it := range m.Items {
			items[it.Label] = it
		}
	}
	if !slices.Equal(tops, []string{"File", "Edit", "View", "Help"}) {
		t.Fatalf("main menu = %q", tops)
	}
	shortcuts := map[string]string{"New app": "CustomDesktop:Control+N", "Save": "CustomDesktop:Control+S",
		"Search apps": "CustomDesktop:Control+F", "Copy access token": "CustomDesktop:Shift+Control+C",
		"Settings…": "CustomDesktop:Control+,", "Registration": "CustomDesktop:Control+1", "Connection": "CustomDesktop:Control+2"}
	for label, want := range shortcuts {
		it, ok := items[label]
		if !ok || it.Action == nil || it.Shortcut == nil {
			t.Errorf("no menu item %q with an action and a shortcut", label)
			continue
		}
		if got := it.Shortcut.ShortcutName(); got != want {
			t.Errorf("%s: shortcut %q, want %q", label, got, want)
		}
	}
	for _, label := range []string{"Import…", "Export all…", "Export this app…"} {
		if it, ok := items[label]; !ok || it.Action == nil {
			t.Errorf("no menu item %q", label)
		}
	}
	if quit := items["Quit"]; quit == nil || !quit.IsQuit || quit.Action == nil {
		t.Error("Quit is not the menu's quit item")
	}

	items["Settings…"].Action()
	if w.pendingDialog == nil {
		t.Fatal("Settings… opened nothing")
	}
	assertDialogShows(t, w, "Clipboard", "Start at login", "Secret store", "Your apps are kept in")
}

// Raise finds the window by its title (the test driver cannot tell whether it was raised;
// that is checked by hand under Xvfb).
func TestRaiseFindsTheMainWindowByTitle(t *testing.T) {
	w := openWindow(t, newTestService(t))
	w.win.Hide()
	Raise(fyne.CurrentApp()) // must not panic; the test driver runs fyne.Do at once
	if w.win.Title() != mainWindowTitle {
		t.Errorf("the window is titled %q; Raise looks for %q", w.win.Title(), mainWindowTitle)
	}
}

// With several accounts, the notification says which one needs the person: the others may be fine.
func TestBackgroundNotificationNamesTheAccount(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	app := core.NewApp("Mail")
	app.PutAccount(core.Account{ID: core.AccountIDFor("s-ann"), Connection: core.Connection{State: core.StateConnected, Subject: "s-ann", Email: "ann@example.com"}})
	app.PutAccount(core.Account{ID: core.AccountIDFor("s-bob"), Connection: core.Connection{State: core.StateNeedsReauth, Subject: "s-bob", Email: "bob@example.com"}})
	w.background.onEvent(core.RefreshEvent{App: app, Account: core.AccountIDFor("s-bob"), Outcome: core.RefreshNeedsReauth, Err: core.Failf(core.ErrNeedsReauth, "x")})
	single := core.NewApp("Drive")
	single.PutAccount(core.Account{ID: core.AccountIDFor("s-ann"), Connection: core.Connection{State: core.StateNeedsReauth, Subject: "s-ann", Email: "ann@example.com"}})
	w.background.onEvent(core.RefreshEvent{App: single, Account: core.AccountIDFor("s-ann"), Outcome: core.RefreshNeedsReauth, Err: core.Failf(core.ErrNeedsReauth, "x")})
	notes := notesOf(w)
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "Mail as bob@example.com needs you to sign in again: ") || !strings.HasPrefix(notes[1], "Drive needs you to sign in again: ") {
		t.Errorf("notifications = %q; want Mail's naming bob, and Drive's (one account) naming none", notes)
	}
}
