package gui

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// manualTicker stands in for the countdown's ticker (env.ticker): the test fires the ticks.
type manualTicker struct {
	running map[int]func()
	next    int
	started int
}

func newManualTicker() *manualTicker { return &manualTicker{running: map[int]func(){}} }

// install is a testEnv option: the window's countdowns run on m.
func (m *manualTicker) install(e *env) {
	e.ticker = func(f func()) func() {
		m.next++
		m.started++
		id := m.next
		m.running[id] = f
		return func() { delete(m.running, id) }
	}
}

func (m *manualTicker) tick() {
	for _, f := range m.running {
		f()
	}
}

// fakeProvider is an OAuth provider's token, revocation, userinfo and introspection
// endpoints, recording what it was sent.
type fakeProvider struct {
	*httptest.Server
	mu               sync.Mutex
	requests         []string // "/revoke token=refresh-1"
	revokeStatus     int
	introspectStatus int
	tokenStatus      int
}

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{revokeStatus: 200, introspectStatus: 200, tokenStatus: 200}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *fakeProvider) serve(rw http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p.mu.Lock()
	p.requests = append(p.requests, r.URL.Path+" "+r.PostForm.Encode())
	revoke, introspect, tok := p.revokeStatus, p.introspectStatus, p.tokenStatus
	p.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	answer := func(status int, body string) {
		rw.WriteHeader(status)
		_, _ = io.WriteString(rw, body)
	}
	switch r.URL.Path {
	case "/token":
		if tok != 200 {
			answer(tok, `{"error":"invalid_grant","error_description":"Token is not active"}`)
			return
		}
		answer(200, `{"access_token":"access-2","token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-2","scope":"openid email"}`)
	case "/revoke":
		if revoke != 200 {
			answer(revoke, `{"error":"temporarily_unavailable","error_description":"try later"}`)
			return
		}
		answer(200, ``)
	case "/userinfo":
		if r.Header.Get("Authorization") != "Bearer access-1" {
			answer(401, `{"error":"invalid_token"}`)
			return
		}
		answer(200, `{"sub":"42","name":"Ada Lovelace","email":"ada@example.com"}`)
	case "/introspect":
		if introspect != 200 {
			answer(introspect, `{"error":"server_error"}`)
			return
		}
		answer(200, fmt.Sprintf(`{"active":true,"scope":"openid email","client_id":"c","sub":"42","exp":%d}`, testNow.Add(59*time.Minute).Unix()))
	default:
		answer(404, `{}`)
	}
}

func (p *fakeProvider) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// addConnectedApp registers name against provider (nil: no reachable provider) and stores a
// connection and its tokens, as a finished sign-in would.
func addConnectedApp(t *testing.T, svc *core.Service, name string, provider *fakeProvider, conn core.Connection) core.App {
	t.Helper()
	base := "https://example.com"
	if provider != nil {
		base = provider.URL
	}
	app := core.NewApp(name)
	app.ClientID = "c"
	app.AuthorizationURI = base + "/auth"
	app.TokenURI = base + "/token"
	if provider != nil {
		app.RevocationURI = base + "/revoke"
		app.UserinfoURI = base + "/userinfo"
		app.IntrospectionURI = base + "/introspect"
	}
	app.Scopes = []string{"openid", "email", "offline_access"}
	added, err := svc.Add(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Registry.UpdateApp(added.ID, func(a *core.App) error { a.SetConnection(&conn); return nil }); err != nil {
		t.Fatal(err)
	}
	ts := core.TokenSet{AccessToken: "access-1", TokenType: "Bearer", Expiry: conn.ExpiresAt, Scopes: conn.GrantedScopes}
	if conn.HasRefreshToken {
		ts.RefreshToken = "refresh-1"
	}
	raw, _ := json.Marshal(ts)
	// core's keyring entry for the tokens of the account conn's subject signed in as (see
	// core/secrets.go).
	if err := svc.Secrets.Set(accountTokensKey(added.ID, conn.Subject), string(raw)); err != nil {
		t.Fatal(err)
	}
	added.SetConnection(&conn)
	return added
}

func at(d time.Duration) *time.Time { x := testNow.Add(d); return &x }

func connectedFor(d time.Duration) core.Connection {
	return core.Connection{State: core.StateConnected, ExpiresAt: at(d), Name: "Ada Lovelace", Email: "ada@example.com",
		Subject: "42", GrantedScopes: []string{"openid", "email"}, HasRefreshToken: true, ConnectedAt: testNow.Add(-time.Hour)}
}

// openConnectionTab opens the window on svc with app name selected and its Connection tab shown.
func openConnectionTab(t *testing.T, svc appService, name string, opts ...func(*env)) *mainWindow {
	t.Helper()
	w := openWindowOn(t, svc, opts...)
	selectApp(t, w, name)
	w.tabs.SelectIndex(1)
	return w
}

func TestTokenPanelShowsTheConnection(t *testing.T) {
	svc := newTestService(t)
	conn := connectedFor(4*time.Minute + 12*time.Second)
	conn.ReconnectToApply = true
	conn.LastError = "temporarily_unavailable: try later"
	addConnectedApp(t, svc, "Example", nil, conn)
	w := openConnectionTab(t, svc, "Example")

	assertShown(t, w,
		"Connected · expires in 4 min",
		"expires in 4 min",
		"Ada Lovelace\nada@example.com\nsubject 42",
		"openid email offline_access",
		"openid email",
		"Requested but not granted: offline_access",
		"held: the access token is renewed before it runs out",
		"The scopes changed since you signed in: press “Reconnect” above to apply them.",
		"Last error: temporarily_unavailable: try later",
		maskedToken,
	)
	assertNotShown(t, w, "access-1")
	assertNotShown(t, w, "Not connected.")
}

func TestTokenPanelHints(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Plain", nil)
	noExpiry := connectedFor(0)
	noExpiry.ExpiresAt, noExpiry.HasRefreshToken = nil, false
	noExpiry.GrantedScopes = []string{"openid", "email", "offline_access"}
	noExpiry.Name, noExpiry.Email, noExpiry.Subject = "", "", ""
	addConnectedApp(t, svc, "Forever", nil, noExpiry)
	w := openConnectionTab(t, svc, "Plain")

	assertShown(t, w, "Not connected. Press “Connect” above to sign in to Plain; the connection and its tokens then appear here.")
	assertNotShown(t, w, "Copy access token")

	selectApp(t, w, "Forever")
	assertShown(t, w, "expiry unknown", "none: when the access token runs out, connect again",
		"not known (the provider says who you are only with the openid scope)")
	assertNotShown(t, w, "Requested but not granted")
	if !w.tokens.refresh.Disabled() {
		t.Error("Refresh now is enabled without a refresh token")
	}

	machine := addConnectedApp(t, svc, "Machine", nil, connectedFor(time.Hour))
	if err := svc.Registry.UpdateApp(machine.ID, func(a *core.App) error { a.GrantType = core.GrantClientCredentials; return nil }); err != nil {
		t.Fatal(err)
	}
	w.registry.reload()
	selectApp(t, w, "Machine")
	assertShown(t, w, "nobody: with client credentials the client acts for itself",
		"not needed: a new access token is fetched with the client credentials")
	if w.tokens.refresh.Disabled() {
		t.Error("Refresh now is disabled for client credentials")
	}

	w.onNew()
	w.tabs.SelectIndex(1)
	assertShown(t, w, "Save this app on the Registration tab first; then connect to it, and its tokens appear here.")
}

func TestCountdownText(t *testing.T) {
	tests := []struct {
		exp  *time.Time
		want string
	}{
		{nil, "expiry unknown"},
		{at(4*time.Minute + 12*time.Second + 900*time.Millisecond), "expires in 4 min"},
		{at(59 * time.Second), "expires in less than a minute"},
		{at(59*time.Minute + 59*time.Second), "expires in 59 min"},
		{at(time.Hour), "expires in 1 h"},
		{at(2*time.Hour + 5*time.Minute + 7*time.Second), "expires in 2 h 5 min"},
		{at(0), "expired just now"},
		{at(-59 * time.Second), "expired just now"},
		{at(-3*time.Minute - 20*time.Second), "expired 3 min ago"},
		{at(-26 * time.Hour), "expired 26 h ago"},
	}
	for _, tt := range tests {
		if got := countdownText(tt.exp, testNow); got != tt.want {
			t.Errorf("countdownText(%v) = %q, want %q", tt.exp, got, tt.want)
		}
	}
}

func TestCountdownTicksAndStopsOnAppSwitch(t *testing.T) {
	ticker := newManualTicker()
	now := testNow
	svc := serviceOn(t, t.TempDir(), secret.NewMemoryStore(), func() time.Time { return now })
	addConnectedApp(t, svc, "Soon", nil, connectedFor(5*time.Second))
	addConnectedApp(t, svc, "Later", nil, connectedFor(time.Hour))
	noExpiry := connectedFor(0)
	noExpiry.ExpiresAt = nil
	addConnectedApp(t, svc, "Forever", nil, noExpiry)
	w := openConnectionTab(t, svc, "Soon", ticker.install)
	assertShown(t, w, "expires in less than a minute")

	now = now.Add(2 * time.Second)
	ticker.tick()
	assertShown(t, w, "Connected · expires in less than a minute")
	now = now.Add(3*time.Minute + 3*time.Second)
	ticker.tick()
	assertShown(t, w, "expired 3 min ago", "Expired")

	for range 10 {
		selectApp(t, w, "Later")
		selectApp(t, w, "Soon")
		w.registry.reload() // a reload of the same app keeps its one ticker
	}
	if len(ticker.running) != 1 {
		t.Fatalf("%d countdown tickers run after switching apps, want 1", len(ticker.running))
	}
	selectApp(t, w, "Forever")
	if len(ticker.running) != 0 {
		t.Errorf("%d tickers run for an app without expiry, want 0", len(ticker.running))
	}
	assertShown(t, w, "expiry unknown")
	w.onNew()
	if len(ticker.running) != 0 {
		t.Errorf("%d tickers run for a new app, want 0", len(ticker.running))
	}
}

// The real ticker's goroutine ends when it is stopped: no leak per app switch. Goroutine
// counts are compared with a margin, since the test app may start goroutines of its own.
func TestTickEverySecondStops(t *testing.T) {
	var ticks atomic.Int32
	before := runtime.NumGoroutine()
	var stops []func()
	for range 50 {
		stops = append(stops, tickEverySecond(func() { ticks.Add(1) }))
	}
	// Goroutines left by earlier tests may end meanwhile: allow for 10 of them, as below.
	if n := runtime.NumGoroutine(); n < before+40 {
		t.Fatalf("%d goroutines with 50 tickers running, %d before: the ticker does not run on its own goroutine?", n, before)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ticks.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if ticks.Load() == 0 {
		t.Error("the running tickers never ticked")
	}
	for _, stop := range stops {
		stop()
		stop() // stopping twice is harmless
	}
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() >= before+10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n >= before+10 {
		t.Errorf("%d goroutines after stopping 50 tickers, %d before", n, before)
	}
}

// firedTimer is a clipboardGuard.after the test fires by hand.
type firedTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func manualClipboardTimers(g *clipboardGuard) *[]*firedTimer {
	var timers []*firedTimer
	g.after = func(d time.Duration, f func()) func() {
		ft := &firedTimer{d: d, f: f}
		timers = append(timers, ft)
		return func() { ft.stopped = true }
	}
	return &timers
}

func TestCopyTokenAndTheClipboardTimer(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")
	timers := manualClipboardTimers(w.tokens.clip)
	clip := w.env.app.Clipboard()

	test.Tap(w.tokens.copyToken)

	if got := clip.Content(); got != "access-1" {
		t.Fatalf("the clipboard holds %q after Copy access token", got)
	}
	if len(*timers) != 1 || (*timers)[0].d != 60*time.Second {
		t.Fatalf("timers %+v, want one of 60 s", *timers)
	}
	assertShown(t, w, "The access token is on the clipboard. It is cleared in 60 s, if the clipboard still holds it.")
	assertNotShown(t, w, "access-1")
	(*timers)[0].f()
	if got := clip.Content(); got != "" {
		t.Errorf("the timer left %q on the clipboard", got)
	}

	// The header, then the person copies something else: the timer leaves that alone.
	test.Tap(w.tokens.copyHeader)
	if got := clip.Content(); got != "Authorization: Bearer access-1" {
		t.Fatalf("the clipboard holds %q after Copy header", got)
	}
	clip.SetContent("my own text")
	(*timers)[1].f()
	if got := clip.Content(); got != "my own text" {
		t.Errorf("the timer replaced the person's own clipboard with %q", got)
	}

	// Ctrl+Shift+C copies too; the Settings screen's preferences are honoured.
	prefs := w.env.app.Preferences()
	prefs.SetInt(clipboardSecondsKey, 15)
	w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	if got := clip.Content(); got != "access-1" {
		t.Fatalf("Ctrl+Shift+C: the clipboard holds %q", got)
	}
	if last := (*timers)[len(*timers)-1]; last.d != 15*time.Second {
		t.Errorf("clipboard.seconds=15: the timer runs %s", last.d)
	}
	prefs.SetBool(clipboardClearKey, false)
	n := len(*timers)
	test.Tap(w.tokens.copyToken)
	if len(*timers) != n {
		t.Error("clipboard.clear=false: a clear timer was started anyway")
	}
	assertShown(t, w, "The access token is on the clipboard.")
}

func TestClipboardGuard(t *testing.T) {
	a := test.NewTempApp(t)
	g := newClipboardGuard(a)
	timers := manualClipboardTimers(g)
	clip := a.Clipboard()

	g.put("one")
	g.put("one") // the same token twice: only the second timer may clear it
	if !(*timers)[0].stopped {
		t.Error("a second copy did not stop the first timer")
	}
	(*timers)[0].f() // fired anyway (it was already queued)
	if clip.Content() != "one" {
		t.Fatal("a stale timer cleared the clipboard early")
	}
	(*timers)[1].f()
	if clip.Content() != "" {
		t.Fatal("the timer did not clear the clipboard")
	}

	g.put("two")
	g.clearNow() // as the window does on quit
	if clip.Content() != "" || !(*timers)[2].stopped {
		t.Errorf("clearNow: clipboard %q, timer stopped %v", clip.Content(), (*timers)[2].stopped)
	}
	a.Preferences().SetInt(clipboardSecondsKey, -5)
	if d := g.put("three"); d != 60*time.Second {
		t.Errorf("a nonsense clipboard.seconds gives %s, want the default 60 s", d)
	}
}

func TestRevealAndMask(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	addConnectedApp(t, svc, "Other", nil, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")
	p := w.tokens

	test.Tap(p.reveal)
	assertShown(t, w, "access-1")
	if p.reveal.Text != "Hide" {
		t.Errorf("the button says %q while the token shows", p.reveal.Text)
	}
	test.Tap(p.reveal)
	assertNotShown(t, w, "access-1")
	assertShown(t, w, maskedToken)

	test.Tap(p.reveal)
	w.registry.reload() // the window's periodic reload keeps it revealed
	assertShown(t, w, "access-1")
	selectApp(t, w, "Other")
	assertNotShown(t, w, "access-1")
	selectApp(t, w, "Example")
	assertNotShown(t, w, "access-1")
	if p.reveal.Text != "Reveal" {
		t.Errorf("after switching back the button says %q", p.reveal.Text)
	}
}

func TestRefreshNow(t *testing.T) {
	provider := newFakeProvider(t)
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", provider, connectedFor(2*time.Minute))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.refresh)

	if got := provider.got(); len(got) != 1 || !strings.Contains(got[0], "grant_type=refresh_token") || !strings.Contains(got[0], "refresh_token=refresh-1") {
		t.Fatalf("the provider was sent %q", got)
	}
	assertShown(t, w, "Refreshed: the new access token expires in 1 h.", "Connected · expires in 1 h", "expires in 1 h")
	if w.tokens.refresh.Disabled() {
		t.Error("Refresh now stays disabled after the refresh")
	}

	// The provider refuses the refresh token: the error says so and the badge changes.
	provider.mu.Lock()
	provider.tokenStatus = 400
	provider.mu.Unlock()
	test.Tap(w.tokens.refresh)
	assertNoticeShows(t, w, "Refresh failed: ", "invalid_grant", "Token is not active")
	assertShown(t, w, "Needs re-authorization", "Last error: invalid_grant: Token is not active")
}

func TestTestButtonShowsTheAnswers(t *testing.T) {
	provider := newFakeProvider(t)
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", provider, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.test)

	// A verdict first, the facts in words and dates, the JSON folded until asked for.
	assertDialogShows(t, w,
		"The token works: the provider accepted it.",
		"Userinfo · "+provider.URL+"/userinfo",
		"Name: Ada Lovelace\nEmail: ada@example.com\nSubject: 42",
		"Introspection · "+provider.URL+"/introspect",
		"Active: yes",
		"Expires: "+testNow.Add(59*time.Minute).Local().Format("2 Jan 2006, 15:04")+" (in 59 min)",
	)
	var folds []*widget.Accordion
	visit(w.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if a, ok := o.(*widget.Accordion); ok {
			folds = append(folds, a)
		}
	})
	if len(folds) != 2 {
		t.Fatalf("%d folded JSON answers, want 2", len(folds))
	}
	for _, s := range overlayTexts(w) {
		if strings.Contains(s, "\"sub\": \"42\"") {
			t.Errorf("the JSON is shown unfolded: %q", s)
		}
	}
	for _, a := range folds {
		a.Open(0)
	}
	assertDialogShows(t, w,
		"{\n  \"sub\": \"42\",\n  \"name\": \"Ada Lovelace\",\n  \"email\": \"ada@example.com\"\n}",
		"\"active\": true",
	)
	for _, s := range overlayTexts(w) {
		if strings.Contains(s, "access-1") {
			t.Errorf("the test dialog shows the token: %q", s)
		}
	}
	got := provider.got()
	if len(got) != 2 || !strings.Contains(got[1], "token=access-1") {
		t.Errorf("the provider was sent %q", got)
	}
	tapDialogButton(t, w, "Close")

	// One endpoint failing still shows the other's answer.
	provider.mu.Lock()
	provider.introspectStatus = 500
	provider.mu.Unlock()
	test.Tap(w.tokens.test)
	assertDialogShows(t, w, "The token works, but not every endpoint answered", "Subject: 42", "introspection", "server_error")
}

func TestTestWithoutEndpoints(t *testing.T) {
	svc := newTestService(t)
	addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.test)

	assertNoticeShows(t, w, "Nothing to test: Example has neither a userinfo nor an introspection URI: add one under Endpoints on the Registration tab")
}

func TestDisconnectRevokes(t *testing.T) {
	provider := newFakeProvider(t)
	svc := &scriptedService{Service: newTestService(t)}
	addConnectedApp(t, svc.Service, "Example", provider, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.disconnect)
	assertDialogShows(t, w, "The tokens are revoked at Example and deleted from this computer.")
	if len(svc.disconnects) != 0 {
		t.Fatal("Disconnect ran before it was confirmed")
	}
	tapDialogButton(t, w, "Disconnect")

	if !slices.Equal(svc.disconnects, []bool{false}) {
		t.Fatalf("Disconnect calls (localOnly): %v", svc.disconnects)
	}
	got := provider.got()
	want := "/revoke " + url.Values{"client_id": {"c"}, "token": {"refresh-1"}, "token_type_hint": {"refresh_token"}}.Encode()
	if len(got) != 1 || got[0] != want {
		t.Errorf("the provider was sent %q, want %q", got, want)
	}
	assertShown(t, w, "Disconnected: the provider revoked the tokens and they were deleted here.", "Not connected")
	if _, err := svc.Token(t.Context(), "Example", 0); err == nil {
		t.Error("a token is still held after Disconnect")
	}
}

func TestDisconnectFallsBackToLocalOnly(t *testing.T) {
	provider := newFakeProvider(t)
	provider.revokeStatus = 503
	svc := &scriptedService{Service: newTestService(t)}
	addConnectedApp(t, svc.Service, "Example", provider, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.disconnect)
	tapDialogButton(t, w, "Disconnect")

	// Revocation failed: nothing was deleted, and the dialog offers the local-only path.
	assertDialogShows(t, w, "Revocation failed", "temporarily_unavailable", "try later", "Nothing was deleted.")
	for _, s := range overlayTexts(w) {
		if strings.Contains(s, "--local-only") {
			t.Errorf("the window offers the command line's way out: %q", s)
		}
	}
	assertNoCommandLine(t, overlayTexts(w))
	assertShown(t, w, "Connected · expires in 1 h")
	tapDialogButton(t, w, forgetHereButton())

	if !slices.Equal(svc.disconnects, []bool{false, true}) {
		t.Fatalf("Disconnect calls (localOnly): %v", svc.disconnects)
	}
	if n := len(provider.got()); n != 1 {
		t.Errorf("the provider was called %d times, want once (the failed revocation)", n)
	}
	assertShown(t, w, "Disconnected here only: the tokens were deleted from this computer but stay valid at the provider until they expire.", "Not connected")
}

func TestDisconnectLocalOnlyFromTheConfirmation(t *testing.T) {
	provider := newFakeProvider(t)
	svc := &scriptedService{Service: newTestService(t)}
	addConnectedApp(t, svc.Service, "Example", provider, connectedFor(time.Hour))
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.disconnect)
	tapDialogButton(t, w, "Cancel")
	if len(svc.disconnects) != 0 || w.win.Canvas().Overlays().Top() != nil {
		t.Fatalf("Cancel: disconnects %v, dialog %v", svc.disconnects, overlayTexts(w))
	}
	test.Tap(w.tokens.disconnect)
	tapDialogButton(t, w, "Forget locally only")

	if !slices.Equal(svc.disconnects, []bool{true}) || len(provider.got()) != 0 {
		t.Errorf("disconnects %v, provider sent %q; want one local-only and no revocation", svc.disconnects, provider.got())
	}
	assertShown(t, w, "Not connected")
}

func TestCopyWhenTheTokenCannotBeRead(t *testing.T) {
	svc := newTestService(t)
	app := addConnectedApp(t, svc, "Example", nil, connectedFor(time.Hour))
	if err := svc.Secrets.Delete(accountTokensKey(app.ID, app.Connection().Subject)); err != nil {
		t.Fatal(err)
	}
	w := openConnectionTab(t, svc, "Example")

	test.Tap(w.tokens.copyToken)

	assertNoticeShows(t, w, "Could not copy the token: ", "Example is not connected")
	if got := w.env.app.Clipboard().Content(); got != "" {
		t.Errorf("the clipboard holds %q", got)
	}
}

// assertNoticeShows checks that the Connection tab's one status line shows each of want, and
// that no dialog was opened for it: a failure is said where the panel's successes are.
func assertNoticeShows(t *testing.T, w *mainWindow, want ...string) {
	t.Helper()
	if top := w.win.Canvas().Overlays().Top(); top != nil {
		t.Errorf("a dialog opened (%q); the status line should say it", overlayTexts(w))
	}
	n := w.tokens.notice
	if !n.Visible() || n.Importance != widget.DangerImportance {
		t.Fatalf("the status line is not shown as a failure: visible %v, %q", n.Visible(), n.Text)
	}
	for _, s := range want {
		if !strings.Contains(n.Text, s) {
			t.Errorf("the status line says %q, without %q", n.Text, s)
		}
	}
}

// From the Registration tab the status line of the Connection tab is out of sight: the
// copy shortcut's failure is a dialog there.
func TestCopyShortcutFailureOnTheRegistrationTabIsADialog(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Example", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Example")
	w.tokens.onCopyToken()
	assertDialogShows(t, w, "Example is not connected")
}

// accountTokensKey is core's keyring key for the tokens of the account subject signed in as
// (core.AccountIDFor; see core/secrets.go).
func accountTokensKey(appID, subject string) string {
	return "app/" + appID + "/accounts/" + core.AccountIDFor(subject) + "/tokens"
}
