package core

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth/oauthtest"
)

// healthProvider is a device-flow provider whose first token answer is the sign-in (with a
// refresh token) and every later one a refresh, rotating the refresh token or not.
type healthProvider struct {
	*oauthtest.Provider
	mu     sync.Mutex
	rotate bool
}

func newHealthProvider(t *testing.T) *healthProvider {
	t.Helper()
	hp := &healthProvider{}
	hp.Provider = newDeviceProvider(t, nil)
	hp.Handle("/token", func(w http.ResponseWriter, n int, req oauthtest.Request) {
		hp.mu.Lock()
		rotate := hp.rotate
		hp.mu.Unlock()
		answer := map[string]any{"access_token": fmt.Sprintf("at-%d", n), "token_type": "Bearer", "expires_in": 3600}
		if req.Form.Get("grant_type") != "refresh_token" {
			answer["refresh_token"] = fmt.Sprintf("rt-signed-in-%d", n)
		} else if rotate {
			answer["refresh_token"] = fmt.Sprintf("rt-rotated-%d", n)
		}
		oauthtest.JSON(w, http.StatusOK, answer)
	})
	return hp
}

func (hp *healthProvider) rotating(on bool) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.rotate = on
}

// newHealthFixture signs an app filled as change says (its preset, its status) in through
// the device flow on the test clock, and returns the fixture with the app as saved.
func newHealthFixture(t *testing.T, change func(a *App)) (*fixture, *healthProvider) {
	t.Helper()
	hp := newHealthProvider(t)
	f := newDeviceFixture(t, hp.Provider, change)
	if _, _, err := f.connectDevice(t, DeviceOptions{}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	f.app = f.find(t, f.app.ID)
	return f, hp
}

// The sign-in records when the refresh token was issued; a refresh records its use, and a
// rotated token's issue; a refresh that keeps the token leaves its issue alone.
func TestRefreshTokenIssueAndUseAreRecorded(t *testing.T) {
	f, hp := newHealthFixture(t, nil)
	signedIn := f.clock.Now().UTC()
	c := f.app.Connection()
	if c.RefreshTokenIssuedAt == nil || !c.RefreshTokenIssuedAt.Equal(signedIn) || c.RefreshTokenUsedAt != nil {
		t.Fatalf("after sign-in: issued %v, used %v; want issued %v, used none", c.RefreshTokenIssuedAt, c.RefreshTokenUsedAt, signedIn)
	}

	f.clock.Advance(2 * time.Hour)
	if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); err != nil {
		t.Fatal(err)
	}
	used := f.clock.Now().UTC()
	c = f.find(t, f.app.ID).Connection()
	if !c.RefreshTokenIssuedAt.Equal(signedIn) || c.RefreshTokenUsedAt == nil || !c.RefreshTokenUsedAt.Equal(used) {
		t.Errorf("after a refresh that kept the token: issued %v (want %v), used %v (want %v)", c.RefreshTokenIssuedAt, signedIn, c.RefreshTokenUsedAt, used)
	}

	hp.rotating(true)
	f.clock.Advance(3 * time.Hour)
	if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); err != nil {
		t.Fatal(err)
	}
	rotated := f.clock.Now().UTC()
	c = f.find(t, f.app.ID).Connection()
	if !c.RefreshTokenIssuedAt.Equal(rotated) || !c.RefreshTokenUsedAt.Equal(rotated) {
		t.Errorf("after a rotating refresh: issued %v, used %v; want both %v", c.RefreshTokenIssuedAt, c.RefreshTokenUsedAt, rotated)
	}
}

// Each provider's rule, judged on the test clock from what the sign-in and refreshes recorded.
func TestRefreshHealthOfEachProvidersRule(t *testing.T) {
	day := 24 * time.Hour
	type step struct {
		after   time.Duration // since the sign-in
		refresh bool          // refresh first (the token endpoint keeps or rotates as rotate says)
		want    HealthStage
		ends    time.Duration // since the sign-in; 0: not checked
		does    []fail.Action
	}
	cases := []struct {
		name        string
		change      func(a *App)
		rotate      bool
		conditional bool
		steps       []step
	}{
		{"google, status unknown: warned on the condition", func(a *App) { a.Preset = "google" }, false, true, []step{
			{after: day, want: HealthFine, ends: 7 * day},
			{after: 4*day + time.Hour, refresh: true, want: HealthSoon, ends: 7 * day, does: []fail.Action{fail.PublishApp, fail.Reconnect}},
			{after: 7 * day, want: HealthPast, ends: 7 * day, does: []fail.Action{fail.Reconnect}},
		}},
		{"google in testing: warned", func(a *App) { a.Preset, a.PublishingStatus = "google", PublishingTesting }, false, false, []step{
			{after: 5 * day, want: HealthSoon, ends: 7 * day, does: []fail.Action{fail.PublishApp, fail.Reconnect}},
		}},
		{"google in production: nothing to say", func(a *App) { a.Preset, a.PublishingStatus = "google", PublishingProduction }, false, false, []step{
			{after: 6 * day, want: HealthNone},
			{after: 30 * day, want: HealthNone},
		}},
		{"microsoft: 90 days unused, and each refresh starts them again", func(a *App) { a.Preset = "microsoft" }, true, false, []step{
			{after: 80 * day, want: HealthFine, ends: 90 * day},
			{after: 88 * day, want: HealthSoon, ends: 90 * day, does: []fail.Action{fail.RefreshNow, fail.Reconnect}},
			{after: 89 * day, refresh: true, want: HealthFine, ends: 179 * day},
			{after: 180 * day, want: HealthPast, ends: 179 * day, does: []fail.Action{fail.Reconnect}},
		}},
		{"github: 6 months from issue, renewed by its rotation", func(a *App) { a.Preset = "github" }, true, false, []step{
			{after: 182 * day, want: HealthSoon, ends: 184 * day, does: []fail.Action{fail.RefreshNow, fail.Reconnect}},
			{after: 183 * day, refresh: true, want: HealthFine, ends: 367 * day},
		}},
		{"a provider no preset knows: no guess", nil, false, false, []step{
			{after: 7 * day, want: HealthNone},
			{after: 400 * day, want: HealthNone},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, hp := newHealthFixture(t, tc.change)
			hp.rotating(tc.rotate)
			start := f.clock.Now().UTC()
			for _, s := range tc.steps {
				f.clock.Advance(start.Add(s.after).Sub(f.clock.Now()))
				if s.refresh {
					if _, err := f.svc.Refresh(context.Background(), f.app.ProviderName); err != nil {
						t.Fatal(err)
					}
				}
				app := f.find(t, f.app.ID)
				h := app.RefreshHealth(f.clock.Now())
				if h.Stage != s.want {
					t.Fatalf("day %.1f: stage %v, want %v (%+v)", s.after.Hours()/24, h.Stage, s.want, h)
				}
				if s.ends != 0 && !h.Ends.Equal(start.Add(s.ends)) {
					t.Errorf("day %.1f: ends %v, want %v", s.after.Hours()/24, h.Ends, start.Add(s.ends))
				}
				if h.Stage != HealthNone && h.Conditional != tc.conditional {
					t.Errorf("day %.1f: conditional %v, want %v", s.after.Hours()/24, h.Conditional, tc.conditional)
				}
				var does []fail.Action
				for _, r := range h.Remedies {
					does = append(does, r.Do)
					if r.App != app.ProviderName {
						t.Errorf("remedy %+v names another app than %q", r, app.ProviderName)
					}
				}
				if !slices.Equal(does, s.does) {
					t.Errorf("day %.1f: remedies %v, want %v", s.after.Hours()/24, does, s.does)
				}
			}
		})
	}
}

// A connection from before issue and use were recorded says "unrecorded", not a guess from
// the sign-in date; for an unused-for rule the first refresh makes it known.
func TestRefreshHealthOfAnOldConnectionIsNotGuessed(t *testing.T) {
	for _, preset := range []string{"google", "microsoft", "github"} {
		t.Run(preset, func(t *testing.T) {
			f := newSchedFixture(t, tokRotating)
			old := f.connected(t, "Old "+preset, time.Minute, "rt-old")
			if err := f.svc.Registry.UpdateApp(old.ID, func(a *App) error { a.Preset = preset; return nil }); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(400 * 24 * time.Hour)
			if h := f.find(t, old.ID).RefreshHealth(f.clock.Now()); h.Stage != HealthUnrecorded || !h.Ends.IsZero() || h.Remedies != nil {
				t.Fatalf("old connection: %+v; want unrecorded, with no date and no remedy", h)
			}
			if evs := f.r.Check(context.Background()); slices.ContainsFunc(evs, func(ev RefreshEvent) bool { return ev.Outcome == RefreshTokenEnding }) {
				t.Errorf("an unrecorded limit was warned of: %+v", evs)
			}
			h := f.find(t, old.ID).RefreshHealth(f.clock.Now())
			// The refresher renewed the expired token: a use (and, rotated, an issue) now known.
			if h.Stage != HealthFine {
				t.Errorf("after a refresh: %+v; want fine", h)
			}
		})
	}
}

// The refresher tells of a limit once, not on every tick; again when it has passed; and
// never for an app whose rule does not hold or whose provider is unknown.
func TestRefresherWarnsOfARefreshTokenLimitOnce(t *testing.T) {
	day := 24 * time.Hour
	f, _ := newHealthFixture(t, func(a *App) { a.Preset, a.PublishingStatus = "google", PublishingTesting })
	google := f.app
	// Beside it, an app of a provider no preset knows and a Google app in production.
	for _, a := range []App{{ProviderName: "Unknown IdP"}, {ProviderName: "Published", Preset: "google", PublishingStatus: PublishingProduction}} {
		doc := google
		doc.ID, doc.ProviderName, doc.Preset, doc.PublishingStatus = "", a.ProviderName, a.Preset, a.PublishingStatus
		doc.SetConnection(nil)
		doc.CallbackPath = ""
		f.add(t, doc, tokClientSecret)
		if _, _, err := f.connectDevice(t, DeviceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var events []RefreshEvent
	r := &Refresher{Source: f.svc, Now: f.clock.Now, OnEvent: func(ev RefreshEvent) { events = append(events, ev) }}
	ending := func() []RefreshEvent {
		var out []RefreshEvent
		for _, ev := range events {
			if ev.Outcome == RefreshTokenEnding {
				out = append(out, ev)
			}
		}
		return out
	}

	r.Check(context.Background())
	if len(ending()) != 0 {
		t.Fatalf("a fresh token was warned of: %+v", ending())
	}
	f.clock.Advance(4*day + time.Hour)
	for range 3 {
		r.Check(context.Background())
		f.clock.Advance(time.Hour)
	}
	got := ending()
	if len(got) != 1 || got[0].App.ID != google.ID || got[0].Health.Stage != HealthSoon || got[0].Health.Provider != "Google" {
		t.Fatalf("after 3 passes within the warning: %+v; want one soon-warning for Google", got)
	}
	f.clock.Advance(3 * day)
	for range 2 {
		r.Check(context.Background())
	}
	got = ending()
	if len(got) != 2 || got[1].Health.Stage != HealthPast || !slices.Equal(remedyActions(got[1].Health.Remedies), []fail.Action{fail.Reconnect}) {
		t.Fatalf("after the limit: %+v; want a second, past-warning that says reconnect", got)
	}
	if got[1].Outcome.String() != "refresh_token_ending" {
		t.Errorf("outcome reads %q", got[1].Outcome)
	}
}

// An unused-for limit is judged after the pass's own refresh: a window opened after 88 idle
// days renews the token and so has nothing to warn of.
func TestRefresherJudgesHealthAfterItsRefresh(t *testing.T) {
	f, hp := newHealthFixture(t, func(a *App) { a.Preset = "microsoft" })
	hp.rotating(true)
	var events []RefreshEvent
	r := &Refresher{Source: f.svc, Now: f.clock.Now, OnEvent: func(ev RefreshEvent) { events = append(events, ev) }}
	f.clock.Advance(88 * 24 * time.Hour)
	r.Check(context.Background())
	var outcomes []RefreshOutcome
	for _, ev := range events {
		outcomes = append(outcomes, ev.Outcome)
	}
	if !slices.Equal(outcomes, []RefreshOutcome{RefreshDone}) {
		t.Errorf("outcomes = %v; want one refresh and no warning", outcomes)
	}
	if h := f.find(t, f.app.ID).RefreshHealth(f.clock.Now()); h.Stage != HealthFine {
		t.Errorf("after the refresh: %+v", h)
	}
}

func remedyActions(rs []fail.Remedy) []fail.Action {
	var out []fail.Action
	for _, r := range rs {
		out = append(out, r.Do)
	}
	return out
}
