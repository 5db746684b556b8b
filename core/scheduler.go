package core

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Refresher defaults.
const (
	DefaultRefreshTick   = 30 * time.Second
	DefaultRefreshMargin = 5 * time.Minute
	// maxRefreshBackoff caps the wait after repeated temporary failures, so a provider that
	// was down for an hour is retried within minutes of coming back.
	maxRefreshBackoff = 15 * time.Minute
	// refreshCallTimeout bounds one app's refresh: the lock wait, the keyring and the request.
	refreshCallTimeout = 2 * time.Minute
)

// RefreshSource is what the Refresher needs of the Service (a fake in window tests).
type RefreshSource interface {
	List() ([]App, error)
	TokenFor(ctx context.Context, name, account string, minValid time.Duration) (*TokenSet, error)
	// Clock is the source's now (Service.Now): what is due is decided on the same clock
	// the token path decides staleness on.
	Clock() time.Time
}

var _ RefreshSource = (*Service)(nil)

// RefreshOutcome says what a background pass did for one app.
type RefreshOutcome int

const (
	// RefreshDone: the tokens were renewed (by this pass, or by another process meanwhile).
	RefreshDone RefreshOutcome = iota + 1
	// RefreshNeedsReauth: the app has just become unusable until the person signs in again.
	RefreshNeedsReauth
	// RefreshClientRejected: the provider has just refused the client itself.
	RefreshClientRejected
	// RefreshRetrying: a temporary failure; the app is tried again at RetryAt. Nothing to tell
	// a person: the tokens were kept, and the next pass may well succeed.
	RefreshRetrying
	// RefreshTokenEnding: the refresh token nears its provider's known limit, or has passed
	// it (RefreshEvent.Health says which, and what to do); told once per limit and stage.
	RefreshTokenEnding
)

func (o RefreshOutcome) String() string {
	switch o {
	case RefreshDone:
		return "refreshed"
	case RefreshNeedsReauth:
		return string(StateNeedsReauth)
	case RefreshClientRejected:
		return string(StateClientRejected)
	case RefreshRetrying:
		return "retrying"
	case RefreshTokenEnding:
		return "refresh_token_ending"
	}
	return "unknown"
}

// RefreshEvent is one result of a background pass.
type RefreshEvent struct {
	App     App    // as listed before this pass
	Account string // the account's ID (every account of an app is renewed on its own)
	Outcome RefreshOutcome
	Err     error         // why, for every outcome but RefreshDone; one line, no secrets
	RetryAt time.Time     // RefreshRetrying: when the app is tried next
	Health  RefreshHealth // RefreshTokenEnding: the verdict, its limit and remedies
}

// Refresher renews connected apps' tokens ahead of expiry, in the background, through the
// same cross-process-locked path as `connectedapps token`: Service.Token re-checks expiry
// under the per-app lock, so the window and any number of scripts cause one refresh at the
// provider, and a rotating refresh token is never spent twice.
//
// It wakes on a short tick and compares each app's absolute expiry with the clock, rather
// than sleeping until a deadline: timers do not count time spent suspended, so a machine
// waking from suspend with an expired token refreshes on the next tick instead of hours later.
//
// The zero value is not usable: set Source. Run and Check must not be called concurrently.
type Refresher struct {
	Source RefreshSource
	Now    func() time.Time // default Source.Clock
	Tick   time.Duration    // default DefaultRefreshTick
	// Margin is how long before expiry a token is renewed, capped at half the token's
	// lifetime: the same cap Service.Token applies, so the decision made here from the
	// registry and the one re-made under the lock agree, and a short-lived token is not
	// re-examined on every tick.
	Margin  time.Duration // default DefaultRefreshMargin
	OnEvent func(RefreshEvent)
	Log     *slog.Logger // default: discard

	ticks <-chan time.Time // tests drive passes by hand; nil: a ticker of Tick

	mu     sync.Mutex
	primed bool // a first pass happened: states found then are old news, not transitions
	track  map[string]*refreshTrack
}

// refreshTrack is what the Refresher remembers of one app between passes.
type refreshTrack struct {
	reported    RefreshOutcome // the "sign in again"/"client rejected" already reported, 0: none
	connectedAt time.Time      // which connection that report was about
	failures    int            // temporary failures in a row
	retryAt     time.Time
	health      string // the refresh-token warning already told: its stage and limit ("": none)
}

// Run makes a pass at once, then one every Tick, until ctx ends.
func (r *Refresher) Run(ctx context.Context) {
	ticks := r.ticks
	if ticks == nil {
		t := time.NewTicker(r.tick())
		defer t.Stop()
		ticks = t.C
	}
	r.Check(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			r.Check(ctx)
		}
	}
}

// Check makes one pass over the registry: every connected app that expires within the margin
// (or has expired: after a suspend) and holds a refresh token, or uses the client credentials
// grant, is renewed; one without a refresh token whose token has run out is recorded as
// needing a new sign-in (reported once, as a refused refresh is). It returns what
// happened, as it also tells OnEvent. A "needs sign-in" or "client rejected" is reported once
// per transition, whether this pass caused it or another process recorded it.
func (r *Refresher) Check(ctx context.Context) []RefreshEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.track == nil {
		r.track = map[string]*refreshTrack{}
	}
	apps, err := r.Source.List()
	if err != nil {
		// An unreadable registry is shown by the window itself; try again next tick.
		r.log().Warn("background refresh: cannot list the apps", "error", err)
		return nil
	}
	var events []RefreshEvent
	emit := func(ev RefreshEvent) {
		events = append(events, ev)
		if r.OnEvent != nil {
			r.OnEvent(ev)
		}
	}
	listed := make(map[string]bool, len(apps))
	renewed := false
	for i := range apps {
		if ctx.Err() != nil {
			break
		}
		app := &apps[i]
		for j := range app.Accounts {
			acct := &app.Accounts[j]
			listed[app.ID+"/"+acct.ID] = true
			if ev, ok := r.checkAccount(ctx, app, acct); ok {
				emit(ev)
				renewed = renewed || ev.Outcome == RefreshDone
			}
		}
	}
	// Refresh-token health is judged after this pass's renewals: a refresh used the token
	// (and may have rotated it), so the list read before it would warn of a limit just reset.
	judged := apps
	if renewed {
		if again, err := r.Source.List(); err == nil {
			judged = again
		}
	}
	now := r.now()
	for i := range judged {
		for j := range judged[i].Accounts {
			if ctx.Err() != nil {
				break
			}
			if ev, ok := r.checkHealth(&judged[i], &judged[i].Accounts[j], now); ok {
				emit(ev)
			}
		}
	}
	for id := range r.track {
		if !listed[id] {
			delete(r.track, id)
		}
	}
	r.primed = true
	return events
}

func (r *Refresher) checkAccount(ctx context.Context, app *App, acct *Account) (RefreshEvent, bool) {
	c := &acct.Connection
	key := app.ID + "/" + acct.ID
	tr := r.track[key]
	if tr == nil {
		tr = &refreshTrack{}
		r.track[key] = tr
	}
	if tr.reported != 0 && !c.ConnectedAt.Equal(tr.connectedAt) {
		*tr = refreshTrack{} // signed in again since: a new connection, a clean slate
	}

	// A state another process recorded (or this one, on an earlier pass).
	if bad := outcomeOfState(c.State); bad != 0 {
		if tr.reported != bad {
			tr.reported, tr.connectedAt = bad, c.ConnectedAt
			if r.primed {
				return RefreshEvent{App: *app, Account: acct.ID, Outcome: bad, Err: connectionUsable(app, acct)}, true
			}
		}
		return RefreshEvent{}, false
	}

	now := r.now()
	// A client-credentials app holds no refresh token: it fetches a new token with the
	// client's own credentials, through the same lock and re-check, so it is renewed ahead
	// of expiry like the others and a script never waits for that fetch.
	renewable := c.HasRefreshToken || !app.GrantType.SignsIn()
	if c.State != StateConnected || c.ExpiresAt == nil || tr.reported != 0 {
		return RefreshEvent{}, false
	}
	margin := r.marginFor(c)
	if !renewable {
		// Nothing can renew it; once it has run out, the token path records that the account
		// needs a new sign-in (and fires needs_reauth), as a `token` call then would, so the
		// person is told once, now, rather than by the next program that asks for it.
		if now.Before(*c.ExpiresAt) {
			return RefreshEvent{}, false
		}
		margin = 0
	}
	if c.ExpiresAt.Sub(now) >= margin {
		tr.failures, tr.retryAt = 0, time.Time{} // renewed elsewhere meanwhile
		return RefreshEvent{}, false
	}
	if now.Before(tr.retryAt) {
		return RefreshEvent{}, false
	}

	callCtx, cancel := context.WithTimeout(ctx, refreshCallTimeout)
	ts, err := r.Source.TokenFor(callCtx, app.ID, acct.ID, margin)
	cancel()
	switch {
	case err == nil:
		tr.failures, tr.retryAt = 0, time.Time{}
		if ts != nil && ts.Expiry != nil && c.ExpiresAt.Equal(*ts.Expiry) {
			return RefreshEvent{}, false // nothing changed: no need to tell anyone
		}
		return RefreshEvent{App: *app, Account: acct.ID, Outcome: RefreshDone}, true
	case errors.Is(err, ErrNeedsReauth):
		tr.reported, tr.connectedAt = RefreshNeedsReauth, c.ConnectedAt
		return RefreshEvent{App: *app, Account: acct.ID, Outcome: RefreshNeedsReauth, Err: err}, true
	case errors.Is(err, ErrClientRejected):
		tr.reported, tr.connectedAt = RefreshClientRejected, c.ConnectedAt
		return RefreshEvent{App: *app, Account: acct.ID, Outcome: RefreshClientRejected, Err: err}, true
	case errors.Is(err, ErrNotConnected), errors.Is(err, ErrNotFound):
		// Disconnected or removed meanwhile: nothing left to refresh.
		return RefreshEvent{}, false
	case ctx.Err() != nil:
		return RefreshEvent{}, false // shutting down
	default:
		// Temporary (network, 5xx, a locked keyring, a busy lock) or not understood: keep the
		// tokens, say nothing, and try again later, less often each time.
		tr.failures++
		tr.retryAt = now.Add(r.backoff(tr.failures))
		r.log().Info("background refresh failed; will retry", "app", app.ProviderName, "retry_at", tr.retryAt, "error", err)
		return RefreshEvent{App: *app, Account: acct.ID, Outcome: RefreshRetrying, Err: err, RetryAt: tr.retryAt}, true
	}
}

// checkHealth tells of a refresh token near or past its provider's limit, once for each
// limit and stage: not on every tick, but again when the warning becomes "probably gone", or
// for the new limit of a new sign-in.
func (r *Refresher) checkHealth(app *App, acct *Account, now time.Time) (RefreshEvent, bool) {
	tr := r.track[app.ID+"/"+acct.ID]
	if tr == nil {
		return RefreshEvent{}, false // not connected, or not in this pass's first list
	}
	h := app.RefreshHealthOf(&acct.Connection, now)
	if !h.Stage.Warns() {
		tr.health = ""
		return RefreshEvent{}, false
	}
	key := h.Stage.String() + " " + h.Ends.UTC().Format(time.RFC3339)
	if tr.health == key {
		return RefreshEvent{}, false
	}
	tr.health = key
	return RefreshEvent{App: *app, Account: acct.ID, Outcome: RefreshTokenEnding, Health: h}, true
}

func outcomeOfState(state ConnectionState) RefreshOutcome {
	switch state {
	case StateNeedsReauth:
		return RefreshNeedsReauth
	case StateClientRejected:
		return RefreshClientRejected
	}
	return 0
}

// marginFor is Margin capped at half the token's lifetime (see Margin).
func (r *Refresher) marginFor(c *Connection) time.Duration {
	m := r.Margin
	if m <= 0 {
		m = DefaultRefreshMargin
	}
	obtained := c.ConnectedAt
	if c.RefreshedAt != nil {
		obtained = *c.RefreshedAt
	}
	if life := c.ExpiresAt.Sub(obtained); !obtained.IsZero() && life > 0 && m > life/2 {
		m = life / 2
	}
	return m
}

// backoff is one tick after the first failure, doubling after each further one.
func (r *Refresher) backoff(failures int) time.Duration {
	d := r.tick()
	for i := 1; i < failures && d < maxRefreshBackoff; i++ {
		d *= 2
	}
	return min(d, maxRefreshBackoff)
}

func (r *Refresher) tick() time.Duration {
	if r.Tick > 0 {
		return r.Tick
	}
	return DefaultRefreshTick
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return r.Source.Clock()
}

func (r *Refresher) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}
