package gui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// fakeTray is the desktop's tray as the window sees it (desktop.App).
type fakeTray struct {
	menus  []*fyne.Menu
	window fyne.Window
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu)    { f.menus = append(f.menus, m) }
func (f *fakeTray) SetSystemTrayIcon(fyne.Resource)   {}
func (f *fakeTray) SetSystemTrayWindow(w fyne.Window) { f.window = w }

func (f *fakeTray) labels() []string {
	var out []string
	for _, it := range f.menus[len(f.menus)-1].Items {
		out = append(out, it.Label)
	}
	return out
}

func (f *fakeTray) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range f.menus[len(f.menus)-1].Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no tray item %q in %q", label, f.labels())
	return nil
}

func installTray(t *testing.T, w *mainWindow) (*tray, *fakeTray) {
	t.Helper()
	desk := &fakeTray{}
	return w.installTray(desk), desk
}

func TestTrayMenuListsConnectedApps(t *testing.T) {
	svc := newTestService(t)
	provider := newFakeProvider(t)
	addConnectedApp(t, svc, "Google", provider, connectedFor(30*time.Minute))
	addConnectedApp(t, svc, "Expired", provider, connectedFor(-time.Minute))
	addApp(t, svc, "Never", nil)
	addApp(t, svc, "Broken", &core.Connection{State: core.StateNeedsReauth})
	w := openWindow(t, svc)

	_, desk := installTray(t, w)

	want := []string{"Copy token: Expired", "Copy token: Google", "", "Show Connected Apps", "Quit"}
	if got := desk.labels(); !slices.Equal(got, want) {
		t.Errorf("tray menu = %q; want %q", got, want)
	}
	if !desk.item(t, "Quit").IsQuit {
		t.Error("Quit is not marked as the quit item")
	}
	if desk.window != w.win {
		t.Error("the tray icon does not show the window when clicked")
	}
}

func TestTrayMenuFollowsTheRegistry(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	tr, desk := installTray(t, w)
	if got := desk.labels(); got[0] != "No connected apps" || !desk.menus[0].Items[0].Disabled {
		t.Fatalf("empty tray menu = %q", got)
	}

	stamp := tr.poll(time.Time{})
	if len(desk.menus) != 1 {
		t.Errorf("the menu was rebuilt %d times with nothing changed", len(desk.menus)-1)
	}
	addConnectedApp(t, svc, "Late", newFakeProvider(t), connectedFor(time.Hour)) // `connectedapps connect` elsewhere
	bumpRegistry(t, svc)
	tr.poll(stamp)
	if got := desk.labels(); got[0] != "Copy token: Late" {
		t.Errorf("after connecting elsewhere the tray shows %q", got)
	}
	// One menu object, changed in place: Fyne re-applies the first one it was given when the
	// tray comes up.
	if len(desk.menus) != 2 || desk.menus[0] != desk.menus[1] {
		t.Errorf("the tray was given %d menus, not the same one changed", len(desk.menus))
	}
}

func TestTrayCopyTokenUsesTheClipboardGuard(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Google", newFakeProvider(t), connectedFor(30*time.Minute))
	w := openWindow(t, svc)
	_, desk := installTray(t, w)

	desk.item(t, "Copy token: Google").Action()

	if got := fyne.CurrentApp().Clipboard().Content(); got != "access-1" {
		t.Fatalf("clipboard = %q; want the access token", got)
	}
	notes := notesOf(w)
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "Google access token copied: ") || !strings.Contains(notes[0], "60 s") {
		t.Errorf("notifications = %q; want one saying it was copied and for how long", notes)
	}
	w.tokens.clip.clearNow() // what the guard's timer does after 60 s
	if got := fyne.CurrentApp().Clipboard().Content(); got != "" {
		t.Errorf("clipboard after the clear = %q", got)
	}
}

func TestTrayCopyTokenFailureNotifies(t *testing.T) {
	svc := newTestService(t)
	provider := newFakeProvider(t)
	provider.tokenStatus = 400
	addConnectedApp(t, svc, "Google", provider, connectedFor(-time.Minute)) // expired: a refresh is needed
	w := openWindow(t, svc)
	_, desk := installTray(t, w)

	desk.item(t, "Copy token: Google").Action()

	if got := fyne.CurrentApp().Clipboard().Content(); got != "" {
		t.Errorf("clipboard = %q after a failed copy", got)
	}
	notes := notesOf(w)
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "Could not copy the token: ") || !strings.Contains(notes[0], "Google") {
		t.Errorf("notifications = %q", notes)
	}
}

// With a tray, closing hides the window (and says so once).
func TestClosingHidesToTheTray(t *testing.T) {
	w := openWindow(t, newTestService(t))
	installTray(t, w)

	w.onClose()
	w.onClose()

	if !slices.Contains(fyne.CurrentApp().Driver().AllWindows(), w.win) {
		t.Fatal("closing with a tray closed the window; want it hidden")
	}
	notes := notesOf(w)
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "Connected Apps is still running: ") {
		t.Errorf("notifications = %q; want one saying where the app went", notes)
	}
}

// trayApp is the test app with a tray, as the real fyne.App on a desktop is.
type trayApp struct {
	fyne.App
	*fakeTray
}

func TestNoTrayWithoutAWatcher(t *testing.T) {
	asked := 0
	w := openWindowOn(t, newTestService(t), func(e *env) { e.trayAvailable = func() bool { asked++; return false } })

	w.startTray() // the test app itself has no tray: nothing to ask
	desk := &fakeTray{}
	w.env.app = trayApp{fyne.CurrentApp(), desk}
	w.startTray() // a desktop app, but nothing owns the watcher name

	if asked != 1 {
		t.Errorf("asked D-Bus %d times; want once, for the app that can have a tray", asked)
	}
	if len(desk.menus) != 0 || w.closeHook != nil {
		t.Error("a tray was installed with no watcher; closing would hide the window for good")
	}
}

// In the tray nobody sees the window: the countdown ticker stops and the shared tick redraws
// nothing. Shown again (the tray's item, or focus after a click on the icon), the countdown,
// the state, the header and the list say what is true now, and an app another process added
// meanwhile is listed, without waiting for a tick.
func TestHiddenToTheTrayStopsTheCountdownAndComesBackFresh(t *testing.T) {
	ticker := newManualTicker()
	now := testNow
	svc := serviceOn(t, t.TempDir(), secret.NewMemoryStore(), func() time.Time { return now })
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example", ticker.install)
	tr, desk := installTray(t, w)
	assertShown(t, w, "Connected · expires in 1 h")

	w.onClose()
	if !w.hidden || len(ticker.running) != 0 {
		t.Fatalf("hidden to the tray: hidden %v, %d countdown tickers running; want none", w.hidden, len(ticker.running))
	}
	now = now.Add(time.Hour + 3*time.Minute)
	addConnectedApp(t, svc, "Added meanwhile", nil, connectedFor(time.Hour))
	w.onPollTick() // nobody sees it: nothing is redrawn or read
	if got := w.top.badge.Text; got != "Connected · expires in 1 h" {
		t.Errorf("the hidden window's header was redrawn: %q", got)
	}

	desk.item(t, "Show Connected Apps").Action()
	if w.hidden || len(ticker.running) != 1 {
		t.Errorf("shown again: hidden %v, %d countdown tickers; want 1", w.hidden, len(ticker.running))
	}
	assertShown(t, w, "expired 3 min ago", "Expired")
	r := newAppRow()
	w.sidebar.updateRow(0, r)
	for where, got := range map[string]string{"header": w.top.badge.Text, "list row": r.state.Text, "status": w.tokens.state.Text} {
		if !strings.Contains(got, "Expired") {
			t.Errorf("%s says %q after coming back, want the expiry as of now", where, got)
		}
	}
	if !slices.ContainsFunc(w.sidebar.apps, func(a core.App) bool { return a.ProviderName == "Added meanwhile" }) {
		t.Errorf("the app added while hidden is not listed after coming back: %v", w.sidebar.apps)
	}

	// Hidden again, and back through focus (Fyne's own handler of a click on the icon).
	tr.hideWindow()
	if len(ticker.running) != 0 {
		t.Errorf("%d tickers while hidden the second time", len(ticker.running))
	}
	w.setHidden(false)
	if len(ticker.running) != 1 {
		t.Errorf("%d tickers after focus brought it back, want 1", len(ticker.running))
	}
}

// The window's tick redraws the list when the clock changes what a row says, and not
// otherwise (the idle window's CPU): the words stay right either way.
func TestPollTickRedrawsTheListOnlyWhenItsWordsChange(t *testing.T) {
	now := testNow
	svc := serviceOn(t, t.TempDir(), secret.NewMemoryStore(), func() time.Time { return now })
	addConnectedApp(t, svc, "Example", nil, connectedFor(10*time.Minute+30*time.Second))
	w := openWindowOn(t, svc, func(e *env) { e.ticker = func(func()) func() { return func() {} } })
	assertShown(t, w, "Connected · expires in 10 min")

	w.onPollTick()
	first := w.sidebar.tickStates
	now = now.Add(2 * time.Second)
	w.onPollTick()
	if len(first) != 1 || &first[0] != &w.sidebar.tickStates[0] {
		t.Errorf("a tick that changes no words redrew the list (states %q then %q)", first, w.sidebar.tickStates)
	}
	now = now.Add(5 * time.Minute)
	w.onPollTick()
	assertShown(t, w, "Connected · expires in 5 min")
	assertNotShown(t, w, "expires in 10 min")
}
