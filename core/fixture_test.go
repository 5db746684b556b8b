package core

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

// fixture is core's one Service test fixture: a Service in a fresh folder over a memory
// store, on the test clock, with a browser that records what it was asked to open and, if
// asked, the --verbose log. The area helpers (newTokFixture, newDeviceFixture, newFltFixture, ...) only
// add the app their tests are about.
type fixture struct {
	svc     *Service
	mem     *secret.MemoryStore
	clock   *testClock
	p       *oauthtest.Provider // fixtureOpts.provider, if any
	app     App                 // the app the test is about: the last one add registered
	logs    *bytes.Buffer       // the --verbose log: every HTTP request, redacted (fixtureOpts.verbose)
	mu      sync.Mutex
	opened  []string // every link the browser was asked to open
	openErr error    // what the browser answers
}

type fixtureOpts struct {
	dir      string              // the registry folder; default: a fresh temporary one
	secrets  secret.Store        // default: the fixture's memory store
	provider *oauthtest.Provider // the Service's HTTP is its client unless http is set
	http     *http.Client
	verbose  bool                   // the Service logs at debug into logs, and every request goes through LoggingTransport (over http's transport)
	browser  func(u *url.URL) error // called after the link is recorded; default: openErr
	realTime bool                   // time.Now instead of the test clock
	at       time.Time              // the test clock's start; default: now, to the second
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	if o.at.IsZero() {
		o.at = time.Now().UTC().Truncate(time.Second)
	}
	f := &fixture{mem: secret.NewMemoryStore(), clock: newTestClock(o.at), p: o.provider, logs: &bytes.Buffer{}}
	cfg := Config{Dir: o.dir, Secrets: o.secrets, HTTP: o.http, Now: f.clock.Now}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Secrets == nil {
		cfg.Secrets = f.mem
	}
	if cfg.HTTP == nil && o.provider != nil {
		cfg.HTTP = o.provider.Client()
	}
	if o.verbose {
		cfg.Log = slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		var base http.RoundTripper
		if cfg.HTTP != nil {
			base = cfg.HTTP.Transport
		}
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: &LoggingTransport{Base: base, Log: cfg.Log}}
	}
	if o.realTime {
		cfg.Now = time.Now
	}
	cfg.Browser = BrowserFunc(func(u *url.URL) error {
		f.mu.Lock()
		f.opened = append(f.opened, u.String())
		err := f.openErr
		f.mu.Unlock()
		if o.browser != nil {
			return o.browser(u)
		}
		return err
	})
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// add registers app with clientSecret ("": none), makes it the fixture's app and returns it.
func (f *fixture) add(t testing.TB, app App, clientSecret string) App {
	t.Helper()
	var sp *string
	if clientSecret != "" {
		sp = &clientSecret
	}
	added, err := f.svc.Add(app, sp)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	f.app = added
	return added
}

// markConnected stores ts as app's tokens and marks it connected as c says (State, ExpiresAt and
// HasRefreshToken come from ts); it returns the app as saved.
func (f *fixture) markConnected(t testing.TB, app App, ts *TokenSet, c Connection) App {
	t.Helper()
	c.State, c.ExpiresAt, c.HasRefreshToken = StateConnected, ts.Expiry, ts.RefreshToken != ""
	acct := Account{ID: AccountIDFor(c.Subject), Connection: c}
	if err := f.svc.writeTokens(&app, &acct, ts); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Registry.UpdateApp(app.ID, func(a *App) error { a.PutAccount(acct); return nil }); err != nil {
		t.Fatal(err)
	}
	return f.find(t, app.ID)
}

// appTokensKey is the key the tokens of the app's default account are under (of the one
// account a sign-in naming nobody makes, when it has none yet).
func appTokensKey(t testing.TB, svc *Service, appID string) string {
	t.Helper()
	a, err := svc.Registry.Find(appID)
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Default(); d != nil {
		return tokensKey(appID, d.ID)
	}
	return tokensKey(appID, AnonymousAccount)
}

// find is the app as the registry holds it now.
func (f *fixture) find(t testing.TB, id string) App {
	t.Helper()
	app, err := f.svc.Registry.Find(id)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// lockedWriter lets the Service's goroutines share the log buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// testClock is core's one test clock: it moves only when the test advances it or when the
// code under test sleeps through it (the device flow's polling), so 5 s intervals, slow_down,
// expiry and the refresher's deadlines run in microseconds and the waits can be checked exactly.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newTestClock(at time.Time) *testClock { return &testClock{now: at} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sleep is a DeviceOptions.sleep: it records the wait and moves the clock by it.
func (c *testClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *testClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}
