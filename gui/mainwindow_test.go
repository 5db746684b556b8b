package gui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/secret"
)

var testNow = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// testEnv is the env a test window gets on the current test app. Work meant for another
// goroutine runs at once on the test goroutine, where Fyne's test driver also runs fyne.Do,
// so the window is up to date when the test looks at it; and no countdown ticker runs (its
// fyne.Do would run on the ticker's goroutine, racing with the test): a test that looks at
// the countdown gives the window a manualTicker. Each option changes the env before the
// window is built.
func testEnv(svc appService, opts ...func(*env)) *env {
	e := &env{app: fyne.CurrentApp(), svc: svc, browser: core.NoBrowser, notifier: &recordingNotifier{},
		goAsync: func(f func()) { f() },
		ticker:  func(func()) func() { return func() {} },
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// newTestService is a Service on a fresh registry and an in-memory keyring, at testNow.
func newTestService(t testing.TB) *core.Service {
	t.Helper()
	return serviceOn(t, t.TempDir(), secret.NewMemoryStore(), func() time.Time { return testNow })
}

// serviceOn is how every gui test makes a Service: the registry in dir, the secrets in store,
// the clock now.
func serviceOn(t testing.TB, dir string, store secret.Store, now func() time.Time) *core.Service {
	t.Helper()
	svc, err := core.NewService(core.Config{Dir: dir, Secrets: store, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func addApp(t *testing.T, svc *core.Service, name string, conn *core.Connection) {
	t.Helper()
	app := core.NewApp(name)
	app.ClientID = "c"
	app.AuthorizationURI = "https://example.com/auth"
	app.TokenURI = "https://example.com/token"
	added, err := svc.Add(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conn != nil { // Add never stores a connection; write it as a finished sign-in would
		err := svc.Registry.UpdateApp(added.ID, func(a *core.App) error { a.SetConnection(conn); return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
}

// openWindow builds the window on the test app and loads it as Run would.
func openWindow(t *testing.T, svc *core.Service) *mainWindow {
	t.Helper()
	test.NewTempApp(t)
	w := newMainWindow(testEnv(svc))
	t.Cleanup(w.win.Close)
	w.win.Show()
	w.registry.reload()
	return w
}

// shownLabels is every label a person can see in the window, in drawing order.
func shownLabels(w *mainWindow) []*widget.Label {
	var out []*widget.Label
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o)
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	walk(w.win.Content())
	return out
}

// shownTexts is the text of every label a person can see in the window, in drawing order.
func shownTexts(w *mainWindow) []string {
	var out []string
	for _, l := range shownLabels(w) {
		if l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

func assertShown(t *testing.T, w *mainWindow, want ...string) {
	t.Helper()
	got := shownTexts(w)
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("the window does not show %q; it shows %q", s, got)
		}
	}
}

func assertNotShown(t *testing.T, w *mainWindow, unwanted string) {
	t.Helper()
	for _, s := range shownTexts(w) {
		if strings.Contains(s, unwanted) {
			t.Errorf("the window shows %q, which it should not", s)
		}
	}
}

func TestMainWindowListsAppsWithTheirState(t *testing.T) {
	svc := newTestService(t)
	expires := testNow.Add(42*time.Minute + 10*time.Second)
	addApp(t, svc, "Example", &core.Connection{State: core.StateConnected, ExpiresAt: &expires, Email: "ada@example.com"})
	addApp(t, svc, "Another", nil)

	w := openWindow(t, svc)

	assertShown(t, w,
		"Example", "Connected · expires in 42 min", "example.com · ada@example.com",
		"Another", "Not connected",
	)
	assertNotShown(t, w, "No apps yet")
	if w.sidebar.listError.Visible() {
		t.Errorf("an error is shown for a good registry: %q", w.sidebar.listError.Text)
	}
	if w.sidebar.list.Length() != 2 {
		t.Errorf("the list has %d rows, want 2", w.sidebar.list.Length())
	}
}

func TestMainWindowEmptyState(t *testing.T) {
	w := openWindow(t, newTestService(t))

	assertShown(t, w, "No apps yet. Press New to register one.", "Connected Apps")
	if w.detail.Visible() {
		t.Error("an app form is shown with no app")
	}
}

func TestSearchFiltersTheList(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Google Mail", nil)
	addApp(t, svc, "GitHub", nil)
	addApp(t, svc, "Keycloak", nil)
	w := openWindow(t, svc)

	test.Type(w.sidebar.search, "g")
	if w.sidebar.list.Length() != 2 {
		t.Fatalf("search %q: %d rows, want 2", w.sidebar.search.Text, w.sidebar.list.Length())
	}
	test.Type(w.sidebar.search, "ith")
	if w.sidebar.list.Length() != 1 || w.sidebar.shown[0].ProviderName != "GitHub" {
		t.Fatalf("search %q: %v", w.sidebar.search.Text, w.sidebar.shown)
	}
	test.Type(w.sidebar.search, "zzz")
	assertShown(t, w, "No app matches “githzzz”.")
	w.sidebar.search.SetText("")
	if w.sidebar.list.Length() != 3 {
		t.Fatalf("cleared search: %d rows", w.sidebar.list.Length())
	}
}

func TestMainWindowShowsAnUnreadableRegistry(t *testing.T) {
	svc := newTestService(t)
	path := svc.Registry.Path()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}

	w := openWindow(t, svc) // must not panic

	if !w.sidebar.listError.Visible() {
		t.Fatal("no error is shown for a corrupt apps.json")
	}
	for _, want := range []string{"could not be read", path, "repair it or move it away"} {
		if !strings.Contains(w.sidebar.listError.Text, want) {
			t.Errorf("the error %q does not mention %q", w.sidebar.listError.Text, want)
		}
	}

	// Repairing the file recovers on the next check, as the window's tick would run it.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	addApp(t, svc, "Example", nil)
	w.registry.check()
	if w.sidebar.listError.Visible() {
		t.Errorf("the error stays after a successful reload: %q", w.sidebar.listError.Text)
	}
	assertShown(t, w, "Example", "Not connected")
}

func TestAppsAddedByAnotherProcessAppear(t *testing.T) {
	svc := newTestService(t)
	w := openWindow(t, svc)
	assertShown(t, w, "No apps yet. Press New to register one.")

	addApp(t, svc, "Late", nil) // as `connectedapps add` in a terminal would
	w.registry.check()

	assertShown(t, w, "Late", "Not connected")
	assertNotShown(t, w, "No apps yet")
}

func TestReloadReadsOffTheUIGoroutine(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Example", nil)
	test.NewTempApp(t)
	var pending []func()
	w := newMainWindow(testEnv(svc, func(e *env) { e.goAsync = func(f func()) { pending = append(pending, f) } }))
	t.Cleanup(w.win.Close)
	w.registry.reload()

	if len(pending) != 1 {
		t.Fatalf("reload handed %d jobs to env.runAsync, want 1", len(pending))
	}
	if w.sidebar.list.Length() != 0 {
		t.Fatal("reload read the registry on the UI goroutine")
	}
	// A second reload before the first answers: only the newest answer counts.
	w.registry.reload()
	pending[1]()
	pending[0]()
	if w.sidebar.list.Length() != 1 {
		t.Errorf("after the read: %d rows, want 1", w.sidebar.list.Length())
	}
}

func TestStateText(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := testNow.Add(d); return &x }
	tests := []struct {
		conn *core.Connection
		want string
		imp  widget.Importance
	}{
		{nil, "Not connected", widget.MediumImportance},
		{&core.Connection{State: core.StateConnected}, "Connected", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(42 * time.Minute)}, "Connected · expires in 42 min", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(30 * time.Second)}, "Connected · expires in less than a minute", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(time.Hour)}, "Connected · expires in 1 h", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(2*time.Hour + 5*time.Minute)}, "Connected · expires in 2 h 5 min", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(90 * 24 * time.Hour)}, "Connected · expires in 90 days", widget.SuccessImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(0)}, "Expired", widget.WarningImportance},
		{&core.Connection{State: core.StateConnected, ExpiresAt: at(-time.Hour)}, "Expired", widget.WarningImportance},
		{&core.Connection{State: core.StateNeedsReauth}, "Needs re-authorization", widget.DangerImportance},
		{&core.Connection{State: core.StateClientRejected}, "Client rejected", widget.DangerImportance},
	}
	for _, tt := range tests {
		app := core.NewApp("x")
		app.SetConnection(tt.conn)
		got, imp := stateText(&app, testNow)
		if got != tt.want || imp != tt.imp {
			t.Errorf("stateText(%+v) = %q, %v; want %q, %v", tt.conn, got, imp, tt.want, tt.imp)
		}
	}
}

// recordingNotifier keeps the notifications the window would have shown.
type recordingNotifier struct{ shown []string }

func (n *recordingNotifier) Notify(title, body string) { n.shown = append(n.shown, title+": "+body) }

// findButton finds a visible button by its text in the window or its dialogs (top first).
func findButton(t *testing.T, w *mainWindow, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() || found != nil {
			return
		}
		if b, ok := asButton(o); ok && b.Text == text {
			found = b
			return
		}
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(o)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	overlays := w.win.Canvas().Overlays().List()
	for i := len(overlays) - 1; i >= 0 && found == nil; i-- {
		walk(overlays[i])
	}
	if found == nil {
		walk(w.win.Content())
	}
	if found == nil {
		t.Fatalf("no visible button %q", text)
	}
	return found
}

// bumpRegistry moves apps.json's modification time on, as a write a moment later would.
func bumpRegistry(t *testing.T, svc *core.Service) {
	t.Helper()
	info, err := os.Stat(svc.RegistryPath())
	if err != nil {
		t.Fatal(err)
	}
	later := info.ModTime().Add(time.Second)
	if err := os.Chtimes(svc.RegistryPath(), later, later); err != nil {
		t.Fatal(err)
	}
}

// asButton is o as a button, a dialog's own (dialogs.go) or a plain one.
func asButton(o fyne.CanvasObject) (*widget.Button, bool) {
	switch b := o.(type) {
	case *widget.Button:
		return b, true
	case *dialogButton:
		return &b.Button, true
	}
	return nil, false
}
