package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// schedFixture is the Service fixture on one token endpoint, with a Refresher over it.
type schedFixture struct {
	*fixture
	te     *oauthtest.Provider
	r      *Refresher
	events []RefreshEvent
}

func newSchedFixture(t *testing.T, respond oauthtest.Answer) *schedFixture {
	t.Helper()
	te := newTokEndpoint(t, respond)
	f := &schedFixture{fixture: newFixture(t, fixtureOpts{provider: te, at: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}), te: te}
	f.r = &Refresher{Source: f.svc, Now: f.clock.Now, OnEvent: func(ev RefreshEvent) { f.events = append(f.events, ev) }}
	return f
}

// connected registers name as connected an hour ago, its access token expiring expiresIn
// from now; refresh "" holds no refresh token.
func (f *schedFixture) connected(t *testing.T, name string, expiresIn time.Duration, refresh string) App {
	t.Helper()
	app := NewApp(name)
	app.ClientID = tokClientID
	app.AuthorizationURI = "https://idp.example.com/authorize"
	app.TokenURI = f.te.At("/token")
	app.Scopes = []string{"read"}
	now := f.clock.Now()
	ts := &TokenSet{AccessToken: "at-" + name, RefreshToken: refresh, Expiry: tokTime(now.Add(expiresIn)), ObtainedAt: tokTime(now.Add(-time.Hour + expiresIn))}
	return f.markConnected(t, f.add(t, app, ""), ts, Connection{ConnectedAt: *ts.ObtainedAt})
}

// refreshTokens lists the refresh tokens the endpoint was sent, in order.
func (f *schedFixture) refreshTokens() []string {
	var out []string
	for _, r := range f.te.Requests("/token") {
		out = append(out, r.Form.Get("refresh_token"))
	}
	return out
}

func TestRefresherRefreshesOnlyWhatIsDue(t *testing.T) {
	f := newSchedFixture(t, tokRotating)
	due := f.connected(t, "Due", 3*time.Minute, "rt-due") // within the 5 min margin
	later := f.connected(t, "Later", 50*time.Minute, "rt-later")
	noRefresh := f.connected(t, "NoRefreshToken", 1*time.Minute, "")

	events := f.r.Check(context.Background())

	if got := f.refreshTokens(); len(got) != 1 || got[0] != "rt-due" {
		t.Fatalf("the endpoint was sent refresh tokens %q; want only rt-due", got)
	}
	if len(events) != 1 || events[0].App.ID != due.ID || events[0].Outcome != RefreshDone || events[0].Err != nil {
		t.Fatalf("events = %+v; want one RefreshDone for Due", events)
	}
	if len(f.events) != 1 {
		t.Errorf("OnEvent saw %d events; want the same 1", len(f.events))
	}
	c := f.find(t, due.ID).Connection()
	if want := f.clock.Now().Add(time.Hour); c.ExpiresAt == nil || !c.ExpiresAt.Equal(want) || c.State != StateConnected {
		t.Errorf("Due's connection after the pass = %+v; want connected, expiring %v", c, want)
	}
	for _, untouched := range []App{later, noRefresh} {
		if got := f.find(t, untouched.ID).Connection(); !got.ExpiresAt.Equal(*untouched.Connection().ExpiresAt) || got.RefreshedAt != nil {
			t.Errorf("%s was touched: %+v", untouched.ProviderName, got)
		}
	}

	// The next tick: everything fresh, nothing sent, nothing said.
	f.clock.Advance(DefaultRefreshTick)
	if events := f.r.Check(context.Background()); len(events) != 0 || len(f.te.Requests("/token")) != 1 {
		t.Errorf("a second pass sent %d requests and said %+v; want nothing new", len(f.te.Requests("/token")), events)
	}
}

// After a suspend the clock jumps past the expiry; the next tick refreshes at once.
func TestRefresherRefreshesAfterSuspendOnTheNextTick(t *testing.T) {
	f := newSchedFixture(t, tokRotating)
	app := f.connected(t, "Sleepy", 40*time.Minute, "rt-1")
	ticks := make(chan time.Time) // unbuffered: a send returns once Run is between passes
	f.r.ticks = ticks
	events := make(chan RefreshEvent, 10)
	f.r.OnEvent = func(ev RefreshEvent) { events <- ev }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.r.Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	ticks <- f.clock.Now() // the pass Run makes at start is over
	if n := len(f.te.Requests("/token")); n != 0 {
		t.Fatalf("%d requests with 40 minutes left; want none", n)
	}

	f.clock.Advance(3 * time.Hour) // the lid was closed
	if st := f.find(t, app.ID); st.State(f.clock.Now()) != StateExpired {
		t.Fatalf("state after the suspend = %s; want expired", st.State(f.clock.Now()))
	}
	ticks <- f.clock.Now()
	select {
	case ev := <-events:
		if ev.Outcome != RefreshDone || ev.App.ID != app.ID {
			t.Fatalf("event after waking = %+v; want RefreshDone for Sleepy", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh on the first tick after waking")
	}
	if got := f.refreshTokens(); len(got) != 1 || got[0] != "rt-1" {
		t.Fatalf("after waking the endpoint was sent %q; want one refresh with rt-1", got)
	}
	if c := f.find(t, app.ID).Connection(); c.RefreshedAt == nil || !c.ExpiresAt.After(f.clock.Now()) {
		t.Errorf("connection after waking = %+v; want refreshed, expiring after %v", c, f.clock.Now())
	}
}

func TestRefresherReportsNeedsReauthOnce(t *testing.T) {
	f := newSchedFixture(t, func(w http.ResponseWriter, n int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
	})
	app := f.connected(t, "Google", time.Minute, "rt-dead")

	for range 4 {
		f.r.Check(context.Background())
		f.clock.Advance(DefaultRefreshTick)
	}

	if len(f.events) != 1 {
		t.Fatalf("events = %+v; want exactly one", f.events)
	}
	ev := f.events[0]
	if ev.Outcome != RefreshNeedsReauth || ev.App.ID != app.ID || !errors.Is(ev.Err, ErrNeedsReauth) {
		t.Errorf("event = %+v; want needs_reauth for Google", ev)
	}
	if n := len(f.te.Requests("/token")); n != 1 {
		t.Errorf("the provider was asked %d times; want once (the recorded state stops the rest)", n)
	}
	if st := f.find(t, app.ID).Connection().State; st != StateNeedsReauth {
		t.Errorf("state = %s; want needs_reauth", st)
	}
}

// An account with no refresh token is left alone while its token works (nothing could renew
// it); once the token has run out, the pass records it as needing a new sign-in through the
// token path, which fires needs_reauth, and reports it once, asking the provider nothing.
func TestRefresherReportsATokenThatRanOutWithoutRefreshTokenOnce(t *testing.T) {
	f := newSchedFixture(t, tokRotating)
	app := f.connected(t, "NoRefresh", 3*time.Minute, "")
	events := hookLog(t, f.fixture, app.ID)
	f.r.Check(context.Background()) // within the margin, but it still works: nothing to do
	if len(f.events) != 0 || f.find(t, app.ID).Connection().State != StateConnected {
		t.Fatalf("before expiry: events %+v, state %s; want none and connected", f.events, f.find(t, app.ID).Connection().State)
	}
	f.clock.Advance(4 * time.Minute)
	for range 3 {
		f.r.Check(context.Background())
		f.clock.Advance(DefaultRefreshTick)
	}
	f.svc.WaitHooks()
	if len(f.events) != 1 || f.events[0].Outcome != RefreshNeedsReauth || f.events[0].App.ID != app.ID || !errors.Is(f.events[0].Err, ErrNeedsReauth) {
		t.Fatalf("events = %+v; want one needs_reauth for NoRefresh", f.events)
	}
	if c := f.find(t, app.ID).Connection(); c.State != StateNeedsReauth || !strings.Contains(c.LastError, "no refresh token") {
		t.Errorf("connection = %s (%q); want needs_reauth", c.State, c.LastError)
	}
	if got := events(); len(got) != 1 || !strings.HasPrefix(got[0], "needs_reauth") {
		t.Errorf("hooks fired %q; want needs_reauth once", got)
	}
	if n := len(f.te.Requests("/token")); n != 0 {
		t.Errorf("the provider was asked %d times; want never", n)
	}
}

// A state another process recorded while the window runs is a transition too; one found on
// the first pass is old news (the badge shows it).
func TestRefresherReportsStatesRecordedElsewhereOnce(t *testing.T) {
	f := newSchedFixture(t, tokRotating)
	old := f.connected(t, "AlreadyBroken", 30*time.Minute, "rt-a")
	fresh := f.connected(t, "BreaksLater", 30*time.Minute, "rt-b")
	mark := func(id string, state ConnectionState) {
		err := f.svc.Registry.UpdateApp(id, func(a *App) error {
			a.Connection().State = state
			a.Connection().LastError = "invalid_client"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	mark(old.ID, StateNeedsReauth)
	f.r.Check(context.Background())
	if len(f.events) != 0 {
		t.Fatalf("the first pass reported %+v; want nothing", f.events)
	}

	mark(fresh.ID, StateClientRejected) // `connectedapps token` in a script hit it
	f.r.Check(context.Background())
	f.r.Check(context.Background())
	if len(f.events) != 1 || f.events[0].App.ID != fresh.ID || f.events[0].Outcome != RefreshClientRejected || !errors.Is(f.events[0].Err, ErrClientRejected) {
		t.Fatalf("events = %+v; want one client_rejected for BreaksLater", f.events)
	}

	// Signing in again is a new connection: a later failure is reported again.
	err := f.svc.Registry.UpdateApp(fresh.ID, func(a *App) error {
		a.Connection().State, a.Connection().ConnectedAt = StateConnected, f.clock.Now()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.r.Check(context.Background())
	mark(fresh.ID, StateClientRejected)
	f.r.Check(context.Background())
	if len(f.events) != 2 {
		t.Errorf("events after reconnecting and failing again = %+v; want a second report", f.events)
	}
}

func TestRefresherBacksOffOnTransientFailures(t *testing.T) {
	var mu sync.Mutex
	down := true
	f := newSchedFixture(t, func(w http.ResponseWriter, n int, req oauthtest.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		tokRotating(w, n, req)
	})
	app := f.connected(t, "Flaky", 2*time.Minute, "rt-1")

	ev := f.r.Check(context.Background())
	if len(ev) != 1 || ev[0].Outcome != RefreshRetrying || !errors.Is(ev[0].Err, ErrTransient) {
		t.Fatalf("first pass = %+v; want one RefreshRetrying", ev)
	}
	if want := f.clock.Now().Add(DefaultRefreshTick); !ev[0].RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v; want one tick later, %v", ev[0].RetryAt, want)
	}
	f.clock.Advance(DefaultRefreshTick)
	f.r.Check(context.Background()) // second failure: the wait doubles
	f.clock.Advance(DefaultRefreshTick)
	f.r.Check(context.Background()) // within the doubled wait: not asked
	if n := len(f.te.Requests("/token")); n != 2 {
		t.Errorf("%d requests after three ticks with two failures; want 2 (backing off)", n)
	}
	if st := f.find(t, app.ID).Connection().State; st != StateConnected {
		t.Errorf("a temporary failure changed the state to %s", st)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	f.clock.Advance(DefaultRefreshTick)
	ev = f.r.Check(context.Background())
	if len(ev) != 1 || ev[0].Outcome != RefreshDone {
		t.Fatalf("after the provider came back: %+v; want RefreshDone", ev)
	}
	for _, e := range f.events {
		if e.Outcome == RefreshNeedsReauth || e.Outcome == RefreshClientRejected {
			t.Errorf("a temporary failure was reported as %v", e.Outcome)
		}
	}
}

func TestRefresherMarginIsCappedAtHalfTheLifetime(t *testing.T) {
	r := &Refresher{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		life time.Duration
		want time.Duration
	}{
		{time.Hour, DefaultRefreshMargin},
		{4 * time.Minute, 2 * time.Minute},
		{24 * time.Hour, DefaultRefreshMargin},
	}
	for _, tc := range tests {
		exp := start.Add(tc.life)
		if got := r.marginFor(&Connection{ConnectedAt: start, ExpiresAt: &exp}); got != tc.want {
			t.Errorf("lifetime %v: margin %v; want %v", tc.life, got, tc.want)
		}
	}
	refreshed := start.Add(time.Hour)
	exp := refreshed.Add(2 * time.Minute)
	if got := r.marginFor(&Connection{ConnectedAt: start, RefreshedAt: &refreshed, ExpiresAt: &exp}); got != time.Minute {
		t.Errorf("margin after a refresh = %v; want half of the 2 min since the refresh", got)
	}
}

func TestRefresherBackoffDoublesAndCaps(t *testing.T) {
	r := &Refresher{Tick: 30 * time.Second}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, maxRefreshBackoff, maxRefreshBackoff}
	for i, w := range want {
		if got := r.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v; want %v", i+1, got, w)
		}
	}
}

// A client-credentials app has no refresh token, yet its token is renewed ahead of expiry like
// any other: the pass fetches a new one with the client's credentials (one request, grant
// client_credentials), and a token far from expiry is left alone.
func TestRefresherRenewsClientCredentialsAheadOfExpiry(t *testing.T) {
	te := newTokEndpoint(t, ccAnswer)
	svc, app, clock := newCCFixture(t, te, nil, tokClientSecret)
	var events []RefreshEvent
	r := &Refresher{Source: svc, Now: clock.Now, OnEvent: func(ev RefreshEvent) { events = append(events, ev) }}
	ctx := context.Background()
	if _, err := svc.Token(ctx, app.ID, DefaultMinValid); err != nil { // the first token, valid an hour
		t.Fatal(err)
	}

	if got := r.Check(ctx); len(got) != 0 || len(te.Requests("/token")) != 1 {
		t.Fatalf("a pass with 60 min left sent %d requests and said %+v; want nothing", len(te.Requests("/token"))-1, got)
	}
	clock.Advance(57 * time.Minute) // 3 min left: within the margin
	got := r.Check(ctx)
	if len(got) != 1 || got[0].Outcome != RefreshDone || got[0].App.ID != app.ID {
		t.Fatalf("the pass near expiry said %+v; want one RefreshDone for %s", got, app.ProviderName)
	}
	reqs := te.Requests("/token")
	if len(reqs) != 2 || reqs[1].Form.Get("grant_type") != "client_credentials" {
		t.Fatalf("the endpoint saw %d requests, the last with grant_type %q; want a second client_credentials grant", len(reqs), reqs[len(reqs)-1].Form.Get("grant_type"))
	}
	ts, err := svc.Token(ctx, app.ID, DefaultMinValid)
	if err != nil || ts.AccessToken != "at-2" || !ts.Expiry.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("after the pass Token = %+v, %v; want at-2 for another hour, with no request", ts, err)
	}
	if len(te.Requests("/token")) != 2 || len(events) != 1 {
		t.Errorf("%d requests and %d events; want 2 and 1", len(te.Requests("/token")), len(events))
	}
}

// Every account of an app is renewed on its own: the one due is refreshed, with its own
// refresh token, and the event names it; the other is left alone.
func TestRefresherRenewsEachAccount(t *testing.T) {
	f := newSchedFixture(t, tokRotating)
	app := f.connected(t, "People", 50*time.Minute, "rt-first")
	now := f.clock.Now()
	second := &TokenSet{AccessToken: "at-second", RefreshToken: "rt-second", Expiry: tokTime(now.Add(2 * time.Minute)), ObtainedAt: tokTime(now.Add(-58 * time.Minute))}
	f.markConnected(t, app, second, Connection{ConnectedAt: *second.ObtainedAt, Subject: "second-sub"})

	events := f.r.Check(context.Background())

	if got := f.refreshTokens(); len(got) != 1 || got[0] != "rt-second" {
		t.Fatalf("the endpoint was sent refresh tokens %q; want only the second account's", got)
	}
	if len(events) != 1 || events[0].Account != AccountIDFor("second-sub") || events[0].Outcome != RefreshDone {
		t.Fatalf("events = %+v; want one RefreshDone for the second account", events)
	}
	a := f.find(t, app.ID)
	if c := a.FindAccount("second-sub"); c.RefreshedAt == nil || !c.ExpiresAt.After(now.Add(time.Hour-time.Second)) {
		t.Errorf("the second account after the pass: %+v", c.Connection)
	}
	if c := a.Default(); c.RefreshedAt != nil || c.Subject != "" {
		t.Errorf("the first (default) account was touched: %+v", c.Connection)
	}
}
