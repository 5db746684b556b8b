package app

import (
	"net/url"
	"strings"
	"sync"
	"time"

	"connectedapps/core/fail"
)

// Refresh-token health: what a provider is known to do with a refresh token, and how near
// this connection's token is to it. The knowledge is data in the presets (each preset's
// refresh_token_limit); the verdict is a function of that knowledge, the connection and the
// clock, so the same connection gives the same answer in `list`, `show`, the window and the
// background refresher. An app of a provider no preset knows gets no guess.

// PublishingStatus is where a provider keeps the app: Google's OAuth consent screen has
// Testing (refresh tokens end 7 days after issue) and In production. Stored as the string;
// "" is unknown.
type PublishingStatus string

const (
	PublishingUnknown    PublishingStatus = ""
	PublishingTesting    PublishingStatus = "testing"
	PublishingProduction PublishingStatus = "production"
)

// FieldPublishingStatus is the document's publishing_status.
const FieldPublishingStatus = "publishing_status"

// LimitClock says what a refresh-token limit counts from.
type LimitClock string

const (
	// CountsFromIssue: the token stops working Days after it was issued (a sign-in, or a
	// refresh that rotated it).
	CountsFromIssue LimitClock = "issued"
	// CountsFromLastUse: the token stops working after Days without a refresh.
	CountsFromLastUse LimitClock = "unused"
)

// RefreshLimit is one provider's rule for its refresh tokens, as a preset states it.
type RefreshLimit struct {
	Counts LimitClock `json:"counts"`
	Days   int        `json:"days"`
	// OnlyWhen: the rule holds only for an app with this publishing status (Google's 7 days
	// hold for an app in Testing mode); "" holds for every app of the provider.
	OnlyWhen PublishingStatus `json:"only_when,omitempty"`
	// RenewedByRefresh: a refresh gives a new refresh token whose limit starts again (GitHub
	// rotates it; an unused-for rule starts again at each use by definition).
	RenewedByRefresh bool `json:"renewed_by_refresh,omitempty"`
}

// Duration is the limit's length.
func (l RefreshLimit) Duration() time.Duration { return time.Duration(l.Days) * 24 * time.Hour }

// RefreshWarnAhead is how long before a limit the front ends warn.
const RefreshWarnAhead = 3 * 24 * time.Hour

// RefreshKnowledge is what is known of an app's refresh tokens: its provider's rule (from the
// preset it matches) and the app's publishing status.
type RefreshKnowledge struct {
	App      string // the app's name, for the remedies
	Provider string // the preset's name: "Google", "Microsoft Entra ID"
	Limit    RefreshLimit
	Status   PublishingStatus
}

// HealthStage is how a refresh token stands against its provider's limit.
type HealthStage int

const (
	// HealthNone: nothing to say (no refresh token, no known rule, or the rule does not hold
	// for this app: a Google app in production).
	HealthNone HealthStage = iota
	// HealthUnrecorded: a rule holds, but when the token was issued or last used was not
	// recorded (a connection made before this was kept): no guess.
	HealthUnrecorded
	// HealthFine: the limit is more than RefreshWarnAhead away.
	HealthFine
	// HealthSoon: the limit is within RefreshWarnAhead.
	HealthSoon
	// HealthPast: the limit has passed; the refresh token is probably gone.
	HealthPast
)

func (s HealthStage) String() string {
	switch s {
	case HealthUnrecorded:
		return "unrecorded"
	case HealthFine:
		return "fine"
	case HealthSoon:
		return "soon"
	case HealthPast:
		return "past"
	}
	return "none"
}

// Warns says the front ends should draw the person's attention to it.
func (s HealthStage) Warns() bool { return s == HealthSoon || s == HealthPast }

// RefreshHealth is the verdict on one connection's refresh token. The front ends word it:
// the rule (Provider, Limit), when the token probably stops working (Ends), whether that holds
// only if the app is in Testing mode (Conditional), and what to do (Remedies, for a warning).
type RefreshHealth struct {
	Stage    HealthStage
	Provider string
	Limit    RefreshLimit
	// Conditional: the rule holds only for an app whose status is Limit.OnlyWhen, and this
	// app's status is unknown, so the warning says "if the app is in Testing mode".
	Conditional bool
	Since       time.Time // what the limit counts from: the token's issue, or its last use
	Ends        time.Time // Since plus the limit
	Remedies    []fail.Remedy
}

// HealthOf judges c's refresh token against k at now. A connection without a refresh
// token, or that already needs a new sign-in, gets HealthNone: there is no token to lose.
func HealthOf(k RefreshKnowledge, c *Connection, now time.Time) RefreshHealth {
	if c == nil || !c.HasRefreshToken || !c.State.HasTokens() || k.Limit.Days <= 0 {
		return RefreshHealth{}
	}
	if k.Limit.OnlyWhen != "" && k.Status != PublishingUnknown && k.Status != k.Limit.OnlyWhen {
		return RefreshHealth{}
	}
	h := RefreshHealth{Provider: k.Provider, Limit: k.Limit, Conditional: k.Limit.OnlyWhen != "" && k.Status == PublishingUnknown}
	var since *time.Time
	switch k.Limit.Counts {
	case CountsFromIssue:
		since = c.RefreshTokenIssuedAt
	case CountsFromLastUse:
		// A token not refreshed since it was issued was last used when it came.
		since = c.RefreshTokenUsedAt
		if since == nil || (c.RefreshTokenIssuedAt != nil && c.RefreshTokenIssuedAt.After(*since)) {
			since = c.RefreshTokenIssuedAt
		}
	default:
		return RefreshHealth{}
	}
	if since == nil {
		h.Stage = HealthUnrecorded
		return h
	}
	h.Since, h.Ends = *since, since.Add(k.Limit.Duration())
	switch {
	case !now.Before(h.Ends):
		h.Stage = HealthPast
		h.Remedies = []fail.Remedy{fail.ReconnectApp(k.App)}
	case !now.Before(h.Ends.Add(-RefreshWarnAhead)):
		h.Stage = HealthSoon
		if k.Limit.OnlyWhen == PublishingTesting {
			h.Remedies = append(h.Remedies, fail.PublishAppOf(k.App))
		}
		if k.Limit.RenewedByRefresh || k.Limit.Counts == CountsFromLastUse {
			h.Remedies = append(h.Remedies, fail.RefreshNowOf(k.App))
		}
		h.Remedies = append(h.Remedies, fail.ReconnectApp(k.App))
	default:
		h.Stage = HealthFine
	}
	return h
}

// RefreshKnowledge is what the presets know of a's refresh tokens (false: nothing, so no
// guess). An app is matched to the preset it was filled from, or else to the preset whose
// token endpoint is on the same host as a's (an app added by hand, or imported).
func (a App) RefreshKnowledge() (RefreshKnowledge, bool) {
	rules := presetLimits()
	r, ok := rules.byID[a.Preset]
	if !ok {
		r, ok = rules.byHost[tokenHost(a.TokenURI)]
	}
	if !ok {
		return RefreshKnowledge{}, false
	}
	return RefreshKnowledge{App: a.ProviderName, Provider: r.provider, Limit: r.limit, Status: a.PublishingStatus}, true
}

// RefreshHealth is the health of the refresh token of a's default account at now.
func (a App) RefreshHealth(now time.Time) RefreshHealth {
	k, ok := a.RefreshKnowledge()
	if !ok {
		return RefreshHealth{}
	}
	return HealthOf(k, a.Connection(), now)
}

// RefreshHealthOf is the health of the refresh token of c, one of a's accounts, at now.
func (a App) RefreshHealthOf(c *Connection, now time.Time) RefreshHealth {
	k, ok := a.RefreshKnowledge()
	if !ok {
		return RefreshHealth{}
	}
	return HealthOf(k, c, now)
}

type presetLimit struct {
	provider string
	limit    RefreshLimit
}

type limitIndex struct {
	byID, byHost map[string]presetLimit
}

// presetLimits indexes the presets' refresh-token rules once: `list` asks for every app.
var presetLimits = sync.OnceValue(func() limitIndex {
	idx := limitIndex{byID: map[string]presetLimit{}, byHost: map[string]presetLimit{}}
	all, err := Presets()
	if err != nil {
		return idx // presets_test fails on a preset that does not parse
	}
	for _, p := range all {
		if p.RefreshTokenLimit == nil {
			continue
		}
		r := presetLimit{provider: p.Name, limit: *p.RefreshTokenLimit}
		idx.byID[p.ID] = r
		var doc App
		if _, err := p.Apply(&doc, nil); err == nil {
			if h := tokenHost(doc.TokenURI); h != "" && !strings.Contains(h, "{") {
				idx.byHost[h] = r
			}
		}
	}
	return idx
})

// tokenHost is the lowercase host of a token endpoint ("" for none).
func tokenHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
