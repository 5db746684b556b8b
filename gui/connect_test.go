package gui

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
)

// scriptedService is the real core.Service for everything, except that a test may script
// Connect's answer; it records the calls the window makes.
type scriptedService struct {
	*core.Service
	connect     func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error)
	connects    []string // the names Connect was called with
	disconnects []bool   // the localOnly of each DisconnectFor (the window names the account)
}

func (s *scriptedService) Connect(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
	s.connects = append(s.connects, name)
	if s.connect == nil {
		return s.Service.Connect(ctx, name, opts)
	}
	return s.connect(ctx, name, opts)
}

func (s *scriptedService) DisconnectFor(ctx context.Context, name, account string, localOnly bool) (core.DisconnectResult, error) {
	s.disconnects = append(s.disconnects, localOnly)
	return s.Service.DisconnectFor(ctx, name, account, localOnly)
}

// openWindowOn is openWindow for any appService.
func openWindowOn(t *testing.T, svc appService, opts ...func(*env)) *mainWindow {
	t.Helper()
	test.NewTempApp(t)
	w := newMainWindow(testEnv(svc, opts...))
	t.Cleanup(w.win.Close)
	w.win.Resize(fyne.NewSize(1000, 680))
	w.win.Show()
	w.registry.reload()
	return w
}

// selectApp selects the app named name, as a click in the list would.
func selectApp(t *testing.T, w *mainWindow, name string) core.App {
	t.Helper()
	for _, a := range w.sidebar.apps {
		if a.ProviderName == name {
			w.selectID(a.ID)
			return a
		}
	}
	t.Fatalf("no app %q in the window", name)
	return core.App{}
}

// visit calls f for o and every visible object inside it.
func visit(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	f(o)
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			visit(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			visit(c, f)
		}
	}
}

// overlayTexts is every label shown in the topmost dialog (nil: no dialog is shown).
func overlayTexts(w *mainWindow) []string {
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	var out []string
	visit(top, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text != "" {
			out = append(out, l.Text)
		}
	})
	return out
}

// assertDialogShows checks that the topmost dialog shows a label containing each of want.
func assertDialogShows(t *testing.T, w *mainWindow, want ...string) {
	t.Helper()
	got := overlayTexts(w)
	if got == nil {
		t.Fatalf("no dialog is shown; wanted one showing %q", want)
	}
	for _, s := range want {
		found := false
		for _, g := range got {
			if strings.Contains(g, s) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the dialog does not show %q; it shows %q", s, got)
		}
	}
}

// tapDialogButton presses the button labelled text in the topmost dialog.
func tapDialogButton(t *testing.T, w *mainWindow, text string) {
	t.Helper()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is shown to press %q in", text)
	}
	var found *widget.Button
	var seen []string
	visit(top, func(o fyne.CanvasObject) {
		if b, ok := asButton(o); ok {
			seen = append(seen, b.Text)
			if b.Text == text && found == nil {
				found = b
			}
		}
	})
	if found == nil {
		t.Fatalf("the dialog has no button %q; it has %q", text, seen)
	}
	test.Tap(found)
}

// signedIn is what a finished sign-in leaves behind in the registry, as core would write it.
func signedIn(t *testing.T, svc *core.Service, id string, expires time.Time) *core.ConnectResult {
	t.Helper()
	err := svc.Registry.UpdateApp(id, func(a *core.App) error {
		a.SetConnection(&core.Connection{State: core.StateConnected, ExpiresAt: &expires, Name: "Ada Lovelace",
			Email: "ada@example.com", Subject: "42", HasRefreshToken: true, ConnectedAt: testNow})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := svc.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return &core.ConnectResult{App: app, Identity: core.Identity{Subject: "42", Name: "Ada Lovelace", Email: "ada@example.com"},
		Tokens: &core.TokenSet{AccessToken: "access-1", RefreshToken: "refresh-1", Expiry: &expires}}
}

const testAuthLink = "https://example.com/auth?client_id=c&response_type=code&state=xyz"

func TestConnectSucceeds(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		opts.OnAuthURL(testAuthLink, nil)
		assertDialogShows(t, w, "Waiting for you to sign in at Example…", testAuthLink)
		return signedIn(t, svc.Service, name, testNow.Add(time.Hour)), nil
	}

	test.Tap(w.top.connect) // "Connect"

	if len(svc.connects) != 1 || svc.connects[0] != app.ID {
		t.Fatalf("Connect was called with %q, want [%s]", svc.connects, app.ID)
	}
	assertDialogShows(t, w, "Connected as Ada Lovelace <ada@example.com>", "The access token expires in 1 h")
	if got := w.tabs.SelectedIndex(); got != 1 {
		t.Errorf("after connecting the window shows tab %d, want the Connection tab", got)
	}
	assertShown(t, w, "Connected · expires in 1 h") // the window reloaded: badge and list
	tapDialogButton(t, w, "Close")
	if w.win.Canvas().Overlays().Top() != nil {
		t.Error("Close left the dialog open")
	}
	assertShown(t, w, "Ada Lovelace\nada@example.com\nsubject 42")
}

func TestConnectFailureShowsTheProviderWordsAndTryAgain(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	denied := &core.ProviderError{App: "Example", Step: "sign-in", Code: "access_denied", Description: "The resource owner denied the request."}
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		opts.OnAuthURL(testAuthLink, nil)
		if len(svc.connects) == 1 {
			return nil, denied
		}
		return signedIn(t, svc.Service, name, testNow.Add(30*time.Minute)), nil
	}

	c := w.connectDialog(app)
	c.start()

	assertDialogShows(t, w, "Could not connect to Example", denied.Error(), "Press Try again and approve the request at Example.")
	if !strings.Contains(denied.Error(), "The resource owner denied the request.") {
		t.Fatalf("core's message lost the provider's words: %q", denied.Error())
	}
	if w.tabs.SelectedIndex() != 0 {
		t.Error("a failed connect switched to the Connection tab")
	}
	assertShown(t, w, "Not connected")

	tapDialogButton(t, w, "Try again")

	if len(svc.connects) != 2 {
		t.Fatalf("Try again: Connect called %d times in all, want 2", len(svc.connects))
	}
	assertDialogShows(t, w, "Connected as Ada Lovelace <ada@example.com>", "expires in 30 min")
	if c.retryShown {
		t.Error("Try again is still offered after success")
	}
}

func TestConnectFailureNextSteps(t *testing.T) {
	app := core.NewApp("Example")
	tests := []struct {
		err  error
		want string
	}{
		{core.Failf(core.ErrPortInUse, "port 8765 on 127.0.0.1 is already in use (another program, or another connect): close it"), "choose another redirect port under Advanced on the Registration tab"},
		{core.Failf(core.ErrTimeout, "Example: nobody signed in within 5m0s: run connect again"), "Press Try again when you are ready to sign in."},
		{&core.ProviderError{App: "Example", Step: "sign-in", Code: "invalid_request", Description: "redirect_uri mismatch"}, "exactly this redirect URI registered: http://127.0.0.1:8765/callback"},
		{&core.ProviderError{App: "Example", Step: "sign-in", Code: "invalid_scope"}, "Check the scopes on the Registration tab"},
		{core.Failf(core.ErrBusy, "a connect for Example is already running"), "Finish or cancel the other sign-in first"},
		{core.Failf(core.ErrClientRejected, "Example: rejected"), "Check the client ID and secret on the Registration tab"},
		{core.Failf(core.ErrTransient, "Example: the code exchange failed"), "Check the network connection"},
		{errors.New("something new"), "Press Try again. If it keeps failing"},
	}
	for _, tt := range tests {
		if got := connectNextStep(&app, tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("next step for %q = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

// The real core, with the redirect port taken: the dialog shows core's words and what to do.
func TestConnectPortInUseWithTheRealCore(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	if _, err := svc.Edit(context.Background(), app.ID, func(a *core.App) error { a.RedirectPort = port; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	w.registry.reload()
	app, _ = w.selectedApp()

	w.connectDialog(app).start()

	assertDialogShows(t, w, "Could not connect to Example", "already in use", "choose another redirect port under Advanced")
}

func TestConnectCancelCancelsTheContext(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	var c *connectDialog
	var canceled error
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		opts.OnAuthURL(testAuthLink, errors.New("no browser could be started (tried xdg-open)"))
		// The person looks at the dialog, copies the link, then gives up.
		assertDialogShows(t, w, "Waiting for you to sign in at Example…", testAuthLink,
			"The browser could not be opened (no browser could be started (tried xdg-open))")
		tapDialogButton(t, w, "Copy link")
		if got := w.env.app.Clipboard().Content(); got != testAuthLink {
			t.Errorf("Copy link put %q on the clipboard", got)
		}
		if ctx.Err() != nil {
			t.Error("the context was canceled before Cancel was pressed")
		}
		tapDialogButton(t, w, "Cancel")
		select {
		case <-ctx.Done():
			canceled = ctx.Err()
		case <-time.After(5 * time.Second):
			t.Error("Cancel did not cancel the sign-in's context")
		}
		return nil, core.Failf(core.ErrCanceled, "Example: sign-in canceled")
	}

	c = w.connectDialog(app)
	c.start()

	if !errors.Is(canceled, context.Canceled) {
		t.Errorf("the context ended with %v, want context.Canceled", canceled)
	}
	if top := w.win.Canvas().Overlays().Top(); top != nil {
		t.Errorf("the dialog stays open after Cancel, showing %q", overlayTexts(w))
	}
}

func TestConnectRunsOffTheUIGoroutine(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	var pending []func()
	w.env.goAsync = func(f func()) { pending = append(pending, f) }
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		return signedIn(t, svc.Service, name, testNow.Add(time.Hour)), nil
	}

	w.connectDialog(app).start()

	if len(svc.connects) != 0 || len(pending) != 1 {
		t.Fatalf("start called Connect %d times on the UI goroutine and queued %d jobs; want 0 and 1", len(svc.connects), len(pending))
	}
	assertDialogShows(t, w, "Waiting for you to sign in at Example…", "Preparing the sign-in link…")
	pending[0]()
	pending = pending[1:]
	assertDialogShows(t, w, "Connected as Ada Lovelace <ada@example.com>")
	if len(pending) != 1 {
		t.Fatalf("after the sign-in %d jobs are queued, want 1 (the window's reload)", len(pending))
	}
}

func TestConnectPastedRedirectURL(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	var c *connectDialog
	const good = "http://127.0.0.1:8765/callback?code=abc&state=xyz"
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		opts.OnAuthURL(testAuthLink, nil)

		tapDialogButton(t, w, "Use this URL") // nothing pasted yet
		assertDialogShows(t, w, "paste the whole address the browser shows after sign-in first")

		test.Type(c.pasteEntry, "https://example.com/somewhere-else")
		tapDialogButton(t, w, "Use this URL")
		if got := <-opts.Pasted; got != "https://example.com/somewhere-else" {
			t.Errorf("core received %q", got)
		}
		// core says it is not the redirect; the dialog shows that under the entry.
		opts.OnPasteError(errors.New("that is not the redirect URL: paste the whole address the browser shows after sign-in (it starts with http://127.0.0.1:8765/callback)"))
		assertDialogShows(t, w, "that is not the redirect URL")

		c.pasteEntry.SetText("")
		test.Type(c.pasteEntry, good)
		tapDialogButton(t, w, "Use this URL")
		if c.pasteError.Visible() {
			t.Error("the old paste error stays after a new paste")
		}
		if got := <-opts.Pasted; got != good {
			t.Errorf("core received %q, want %q", got, good)
		}
		return signedIn(t, svc.Service, name, testNow.Add(time.Hour)), nil
	}

	c = w.connectDialog(app)
	c.start()

	assertDialogShows(t, w, "Connected as Ada Lovelace <ada@example.com>")
}

func TestConnectWithoutIdentity(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Example", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Example")
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		res := signedIn(t, svc.Service, name, testNow)
		res.Identity = core.Identity{}
		res.Tokens = &core.TokenSet{AccessToken: "a"} // no expiry, no refresh token
		return res, nil
	}

	w.connectDialog(app).start()

	assertDialogShows(t, w, "Connected to Example", "The provider did not say when the access token expires.", "gave no refresh token")
}

func TestConnectWithADeviceCode(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Device", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Device")
	app.GrantType = core.GrantDeviceCode // the dialog follows the grant of the app it was given
	var c *connectDialog
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		assertDialogShows(t, w, "Asking Device for a sign-in code…")
		opts.OnDeviceCode(core.DeviceCode{UserCode: "WDJB-MJHT", VerificationURI: "https://example.com/device",
			VerificationURIComplete: "https://example.com/device?user_code=WDJB-MJHT", BrowserErr: errors.New("no browser could be started")})
		assertDialogShows(t, w, "Waiting for you to approve the sign-in at Device…",
			"On any device, open https://example.com/device and enter this code:", "WDJB-MJHT",
			"https://example.com/device?user_code=WDJB-MJHT", "The browser could not be opened (no browser could be started)")
		for _, s := range overlayTexts(w) {
			if strings.Contains(s, "paste the address") {
				t.Errorf("the device flow offers to paste a redirect: %q", s)
			}
		}
		// The complete link (with the code) is offered as a QR code for a phone.
		want, _ := qrcode.Encode("https://example.com/device?user_code=WDJB-MJHT", qrcode.Medium, 360)
		if !c.qr.Visible() || c.qr.Resource == nil || !bytes.Equal(c.qr.Resource.Content(), want) {
			t.Error("no QR code of verification_uri_complete is shown")
		}
		tapDialogButton(t, w, "Copy code")
		if got := w.env.app.Clipboard().Content(); got != "WDJB-MJHT" {
			t.Errorf("Copy code put %q on the clipboard", got)
		}
		return nil, &core.ProviderError{App: "Device", Step: "device sign-in", Code: "expired_token"}
	}

	c = w.connectDialog(app)
	c.start()

	assertDialogShows(t, w, "Could not connect to Device", "expired_token", "press Try again for a new one")
}

func TestConnectWithClientCredentials(t *testing.T) {
	svc := &scriptedService{Service: newTestService(t)}
	addApp(t, svc.Service, "Machine", nil)
	w := openWindowOn(t, svc)
	app := selectApp(t, w, "Machine")
	app.GrantType = core.GrantClientCredentials
	svc.connect = func(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error) {
		assertDialogShows(t, w, "Asking Machine for a token…")
		for _, s := range overlayTexts(w) {
			if strings.Contains(s, "Sign-in link") {
				t.Errorf("client credentials show a sign-in link: %q", s)
			}
		}
		res := signedIn(t, svc.Service, name, testNow.Add(time.Hour))
		res.Identity = core.Identity{}
		res.Tokens.RefreshToken = ""
		return res, nil
	}

	w.connectDialog(app).start()

	assertDialogShows(t, w, "Connected to Machine", "expires in 1 h", "a new token is fetched when this one runs out")
}
