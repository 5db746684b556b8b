package app

import (
	"encoding/json"
	"testing"
	"time"
)

// An app is matched to a provider's rule by the preset it was filled from, or else by the
// host of its token endpoint; anything else gets no rule, so no guess.
func TestRefreshKnowledgeMatchesByPresetOrTokenHost(t *testing.T) {
	cases := []struct {
		preset, tokenURI string
		provider         string // "": no knowledge
		counts           LimitClock
		days             int
	}{
		{"google", "https://oauth2.googleapis.com/token", "Google", CountsFromIssue, 7},
		{"", "https://OAUTH2.googleapis.com/token", "Google", CountsFromIssue, 7},
		{"microsoft", "http://127.0.0.1:9/token", "Microsoft Entra ID", CountsFromLastUse, 90},
		{"generic-oidc", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", "Microsoft Entra ID", CountsFromLastUse, 90},
		{"", "https://github.com/login/oauth/access_token", "GitHub", CountsFromIssue, 184},
		{"gitlab", "https://gitlab.com/oauth/token", "", "", 0},
		{"", "https://idp.example.com/token", "", "", 0},
		{"", "", "", "", 0},
	}
	for _, c := range cases {
		a := NewApp("A")
		a.Preset, a.TokenURI = c.preset, c.tokenURI
		k, ok := a.RefreshKnowledge()
		if ok != (c.provider != "") || k.Provider != c.provider || k.Limit.Counts != c.counts || k.Limit.Days != c.days {
			t.Errorf("preset %q, token URI %q: %+v %v; want %q %s %d days", c.preset, c.tokenURI, k, ok, c.provider, c.counts, c.days)
		}
	}
}

// What HealthOf says for connections that have no token to lose, and at the edges of the
// warning.
func TestHealthOfEdges(t *testing.T) {
	at := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	issued := at
	k := RefreshKnowledge{App: "G", Provider: "Google", Limit: RefreshLimit{Counts: CountsFromIssue, Days: 7, OnlyWhen: PublishingTesting}}
	held := func(state ConnectionState) *Connection {
		return &Connection{State: state, HasRefreshToken: true, RefreshTokenIssuedAt: &issued}
	}
	cases := []struct {
		name string
		k    RefreshKnowledge
		c    *Connection
		now  time.Time
		want HealthStage
	}{
		{"never connected", k, nil, at, HealthNone},
		{"no refresh token", k, &Connection{State: StateConnected, RefreshTokenIssuedAt: &issued}, at, HealthNone},
		{"needs a new sign-in already", k, held(StateNeedsReauth), at.Add(6 * 24 * time.Hour), HealthNone},
		{"access token expired", k, held(StateExpired), at.Add(time.Hour), HealthFine},
		{"just before the warning", k, held(StateConnected), at.Add(4*24*time.Hour - time.Second), HealthFine},
		{"the warning's first second", k, held(StateConnected), at.Add(4 * 24 * time.Hour), HealthSoon},
		{"the limit's last second", k, held(StateConnected), at.Add(7*24*time.Hour - time.Second), HealthSoon},
		{"the limit", k, held(StateConnected), at.Add(7 * 24 * time.Hour), HealthPast},
		{"another status than the rule's", RefreshKnowledge{Limit: k.Limit, Status: PublishingProduction}, held(StateConnected), at.Add(8 * 24 * time.Hour), HealthNone},
		{"no rule", RefreshKnowledge{}, held(StateConnected), at.Add(800 * 24 * time.Hour), HealthNone},
		{"an unknown clock", RefreshKnowledge{Limit: RefreshLimit{Counts: "sometimes", Days: 7}}, held(StateConnected), at, HealthNone},
	}
	for _, c := range cases {
		if got := HealthOf(c.k, c.c, c.now); got.Stage != c.want {
			t.Errorf("%s: %v, want %v", c.name, got.Stage, c.want)
		}
	}
}

// An apps.json from before the dates were kept reads with them unknown, and the dates
// written come back as written.
func TestConnectionDatesInTheFile(t *testing.T) {
	var old Connection
	if err := json.Unmarshal([]byte(`{"state":"connected","has_refresh_token":true,"connected_at":"2025-01-02T03:04:05Z"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.RefreshTokenIssuedAt != nil || old.RefreshTokenUsedAt != nil {
		t.Errorf("an old connection read with dates: %+v", old)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	data, _ := json.Marshal(Connection{State: StateConnected, RefreshTokenIssuedAt: &at, RefreshTokenUsedAt: &at})
	var back Connection
	if err := json.Unmarshal(data, &back); err != nil || !back.RefreshTokenIssuedAt.Equal(at) || !back.RefreshTokenUsedAt.Equal(at) {
		t.Errorf("round trip: %s -> %+v %v", data, back, err)
	}
}

func TestPublishingStatusIsValidated(t *testing.T) {
	a := NewApp("A")
	a.ClientID, a.AuthorizationURI, a.TokenURI = "c", "https://p.example/a", "https://p.example/t"
	for _, s := range []PublishingStatus{PublishingUnknown, PublishingTesting, PublishingProduction} {
		a.PublishingStatus = s
		if err := a.Validate(); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	a.PublishingStatus = "beta"
	var ve *ValidationError
	if err := a.Validate(); err == nil || !asValidation(err, &ve) || ve.Field != FieldPublishingStatus {
		t.Errorf("beta: %v; want a publishing_status error", err)
	}
}

func asValidation(err error, ve **ValidationError) bool {
	v, ok := err.(*ValidationError)
	*ve = v
	return ok
}
