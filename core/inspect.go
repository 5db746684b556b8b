package core

import (
	"context"
	"net/http"
	"slices"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
)

// The JWT views inspect shows are core/oauth's.
type (
	JWT          = oauth.JWT
	JWTHeader    = oauth.JWTHeader
	JWTClaim     = oauth.Claim
	JWTSignature = oauth.Signature
	AtHash       = oauth.AtHash
)

// Token kinds as inspect names them.
const (
	KindJWT    = oauth.KindJWT
	KindJWE    = oauth.KindJWE
	KindOpaque = oauth.KindOpaque

	WhyUnsigned     = oauth.WhyUnsigned
	WhySharedSecret = oauth.WhySharedSecret
	WhyAlgorithm    = oauth.WhyAlgorithm
	WhyNoJWKSURI    = oauth.WhyNoJWKSURI
	WhyNoIssuer     = oauth.WhyNoIssuer
	WhyNoKey        = oauth.WhyNoKey
	WhyRefused      = oauth.WhyRefused

	AtHashAbsent        = oauth.AtHashAbsent
	AtHashNotString     = oauth.AtHashNotString
	AtHashUnknownAlg    = oauth.AtHashUnknownAlg
	AtHashMismatch      = oauth.AtHashMismatch
	AtHashBeforeRefresh = oauth.AtHashBeforeRefresh
)

// Inspection is what can be told about an app's tokens without showing one: each token's
// kind, length and expiry, a JWT's header and claims and whether its signature was verified,
// the ID token's at_hash, the scopes granted against those requested, and the refresh token.
// It never holds a token, nor a signature's bytes.
type Inspection struct {
	App string `json:"app"`
	// Account is the account's label (its email, name or subject) whose tokens these are.
	Account string       `json:"account,omitempty"`
	Access  TokenFacts   `json:"access_token"`
	ID      *TokenFacts  `json:"id_token,omitempty"` // nil: the provider gave none
	AtHash  *AtHash      `json:"at_hash,omitempty"`  // nil: no ID token that is a JWT
	Scopes  ScopeFacts   `json:"scopes"`
	Refresh RefreshFacts `json:"refresh_token"`
}

// TokenFacts describe one token.
type TokenFacts struct {
	Kind      string     `json:"kind"` // KindJWT, KindJWE or KindOpaque
	Length    int        `json:"length"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // nil: not known
	JWT       *JWT       `json:"jwt,omitempty"`        // for KindJWT
}

// ScopeFacts are the scopes requested (the app's) and granted (what the provider said it
// granted, or, when it said nothing, what was requested), with the differences.
type ScopeFacts struct {
	Requested []string `json:"requested"`
	Granted   []string `json:"granted"`
	Missing   []string `json:"missing"` // requested, not granted
	Extra     []string `json:"extra"`   // granted, not requested
}

// RefreshFacts say whether a refresh token is held, since when, and what the provider is
// known to do with it (the preset's sentences; none for an unknown provider).
type RefreshFacts struct {
	Held bool `json:"held"`
	// Since is when the connection was made (the sign-in that gave the first refresh token);
	// LastRefreshed when a refresh last renewed the tokens (a rotating provider then gave a
	// new refresh token).
	Since         *time.Time `json:"since,omitempty"`
	LastRefreshed *time.Time `json:"last_refreshed,omitempty"`
	// Issued is when the refresh token held now was issued (the sign-in, or the last refresh
	// that rotated it), as recorded since refresh-token health was kept; nil for a connection
	// made before that, with no guess.
	Issued   *time.Time `json:"issued,omitempty"`
	Provider []string   `json:"provider_notes"`
}

// Inspect tells what is known of the tokens of name's default account (InspectFor).
func (s *Service) Inspect(ctx context.Context, name string) (*Inspection, error) {
	return s.InspectFor(ctx, name, "")
}

// InspectFor tells what is known of the tokens of one of name's accounts (email, subject or
// ID; "" the default), as InspectTokens, reading them from the store; it never refreshes
// them and never hands one out.
func (s *Service) InspectFor(ctx context.Context, name, account string) (*Inspection, error) {
	a, acct, err := s.findAccount(name, account)
	if err != nil {
		return nil, err
	}
	if acct == nil {
		return nil, Failf(ErrNotConnected, "%s is not connected: there are no tokens to inspect", a.ProviderName).With(fail.ReconnectApp(a.ProviderName))
	}
	ts, err := s.readTokens(&a, acct)
	if err != nil {
		return nil, err
	}
	in := InspectTokens(ctx, s.HTTP, &a, &acct.Connection, ts, s.Now)
	in.Account = acct.Label()
	return in, nil
}

// InspectTokens is Inspect for tokens and a connection given as values (an account's, say):
// only the JWKS is fetched, to check the JWTs' signatures.
func InspectTokens(ctx context.Context, hc *http.Client, a *App, conn *Connection, ts *TokenSet, now func() time.Time) *Inspection {
	jwts := oauth.InspectJWTs(ctx, hc, a, ts.AccessToken, ts.IDToken, now)
	in := &Inspection{App: a.ProviderName, AtHash: jwts.AtHash}
	in.Access = tokenFacts(ts.AccessToken, jwts.Access, ts.Expiry)
	if ts.IDToken != "" {
		f := tokenFacts(ts.IDToken, jwts.ID, nil)
		in.ID = &f
	}
	if in.AtHash != nil && !in.AtHash.Matches && in.AtHash.Present && conn != nil && conn.RefreshedAt != nil && jwts.ID != nil {
		// A refresh that brought no ID token keeps the sign-in's, whose at_hash is of the
		// access token of then: say so rather than let it read as a forgery.
		if iat := claimTime(jwts.ID, "iat"); iat != nil && iat.Before(conn.RefreshedAt.Add(-time.Minute)) {
			in.AtHash.Why = AtHashBeforeRefresh
			in.AtHash.Reason += " (the ID token is from before the last refresh, which renewed only the access token)"
		}
	}
	granted := ts.Scopes
	if len(granted) == 0 && conn != nil {
		granted = conn.GrantedScopes
	}
	in.Scopes = ScopeFacts{Requested: nonNil(a.Scopes), Granted: nonNil(granted), Missing: minus(a.Scopes, granted), Extra: minus(granted, a.Scopes)}
	in.Refresh = RefreshFacts{Held: ts.RefreshToken != "", Provider: []string{}}
	if conn != nil && in.Refresh.Held {
		if !conn.ConnectedAt.IsZero() {
			at := conn.ConnectedAt.UTC()
			in.Refresh.Since = &at
		}
		in.Refresh.LastRefreshed = conn.RefreshedAt
		in.Refresh.Issued = conn.RefreshTokenIssuedAt
	}
	if a.Preset != "" {
		if p, err := PresetByID(a.Preset); err == nil {
			in.Refresh.Provider = nonNil(p.RefreshTokenNotes())
		}
	}
	return in
}

func tokenFacts(raw string, j *JWT, expiry *time.Time) TokenFacts {
	f := TokenFacts{Kind: oauth.TokenKind(raw), Length: len(raw), ExpiresAt: expiry, JWT: j}
	if j != nil && f.ExpiresAt == nil {
		f.ExpiresAt = claimTime(j, "exp")
	}
	return f
}

func claimTime(j *JWT, name string) *time.Time {
	for _, c := range j.Claims {
		if c.Name == name {
			return c.Time
		}
	}
	return nil
}

// minus is a's members not in b, in a's order.
func minus(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DecodeJWT reads a JWT's header and claims without checking it (for tests and tools that
// compare what inspect says).
var DecodeJWT = oauth.DecodeJWT
