package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"connectedapps/core/fail"

	"golang.org/x/oauth2"
)

// DefaultMinValid is how long a token handed out must still be valid; sooner than that it
// is refreshed first.
const DefaultMinValid = 60 * time.Second

// TokenSet is what the keyring holds for a connected app, as one entry, so the token path
// costs one keyring read.
type TokenSet struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	IDToken      string     `json:"id_token,omitempty"`
	Expiry       *time.Time `json:"expires_at,omitempty"` // absolute, UTC; nil: unknown
	Scopes       []string   `json:"scopes,omitempty"`     // granted
	ObtainedAt   *time.Time `json:"obtained_at,omitempty"`
}

// ExpiresIn is the time left, or ok=false when the provider gave no expiry.
func (t *TokenSet) ExpiresIn(now time.Time) (d time.Duration, ok bool) {
	if t.Expiry == nil {
		return 0, false
	}
	return t.Expiry.Sub(now), true
}

// Type is the token type for an Authorization header ("Bearer" when the provider said none).
func (t *TokenSet) Type() string {
	if t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer") {
		return "Bearer"
	}
	return t.TokenType
}

// stale says the token must be renewed before it is handed out: it expires within minValid.
// When minValid is longer than the provider ever grants, no refresh can satisfy it; the
// token is then renewed at half its life instead, so a script asking for more than the
// provider gives does not refresh (and rotate the refresh token) on every call.
func (t *TokenSet) stale(now time.Time, minValid time.Duration) bool {
	if t.Expiry == nil {
		return false
	}
	if t.ObtainedAt != nil {
		if lifetime := t.Expiry.Sub(*t.ObtainedAt); lifetime > 0 && minValid > lifetime/2 {
			minValid = lifetime / 2
		}
	}
	return t.Expiry.Sub(now) < minValid
}

// oauthConfig builds the x/oauth2 config for app. The auth style is fixed, never
// AutoDetect: auto-detection retries a failed request in the other style, so a real
// invalid_grant would be sent twice (and a rotated refresh token burnt).
func oauthConfig(app *App, secret, redirectURI string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if app.EffectiveAuthMethod().InBody() {
		style = oauth2.AuthStyleInParams
	}
	if !app.EffectiveAuthMethod().SendsSecret() {
		secret = "" // a public client sends client_id in the body and nothing else
	}
	return &oauth2.Config{
		ClientID:     app.ClientID,
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{AuthURL: app.AuthorizationURI, TokenURL: app.TokenURI, AuthStyle: style},
		RedirectURL:  redirectURI,
		Scopes:       app.Scopes,
	}
}

// tokenSetFrom turns an x/oauth2 answer into what we store. prev supplies what a refresh
// answer may leave out: the refresh token (Frappe once erased it here) and the ID token.
func tokenSetFrom(tok *oauth2.Token, prev *TokenSet, requested []string) *TokenSet {
	ts := &TokenSet{AccessToken: tok.AccessToken, TokenType: tok.TokenType, RefreshToken: tok.RefreshToken}
	if !tok.Expiry.IsZero() { // x/oauth2 leaves Expiry zero when expires_in is absent
		e := tok.Expiry.UTC().Round(time.Second)
		ts.Expiry = &e
	}
	if idt, _ := tok.Extra("id_token").(string); idt != "" {
		ts.IDToken = idt
	}
	// RFC 6749 5.1: scope may be omitted when it equals what was requested.
	if scope, _ := tok.Extra("scope").(string); scope != "" {
		ts.Scopes = splitGrantedScopes(scope)
	} else if prev != nil && len(prev.Scopes) > 0 {
		ts.Scopes = prev.Scopes
	} else {
		ts.Scopes = append([]string(nil), requested...)
	}
	if prev != nil {
		if ts.RefreshToken == "" {
			ts.RefreshToken = prev.RefreshToken
		}
		if ts.IDToken == "" {
			ts.IDToken = prev.IDToken
		}
	}
	return ts
}

// splitGrantedScopes reads a granted scope list: space-separated (RFC 6749 section 3.3), or
// comma-separated as GitHub sends it. A comma splits only a list without spaces, so a scope
// that itself holds a comma survives in a standard answer.
func splitGrantedScopes(scope string) []string {
	if !strings.ContainsFunc(scope, unicode.IsSpace) && strings.Contains(scope, ",") {
		return slices.DeleteFunc(strings.Split(scope, ","), func(s string) bool { return s == "" })
	}
	return strings.Fields(scope)
}

// anchorExpiry counts expires_in from the service's clock rather than x/oauth2's, so expiry
// and staleness are judged by the same clock.
func (t *TokenSet) anchorExpiry(tok *oauth2.Token, now time.Time) {
	obtained := now.UTC().Round(time.Second)
	t.ObtainedAt = &obtained
	if tok.ExpiresIn > 0 {
		e := now.UTC().Add(time.Duration(tok.ExpiresIn) * time.Second).Round(time.Second)
		t.Expiry = &e
	}
}

// Token returns a valid access token for name, refreshing first when it expires within
// minValid. When no refresh is needed this reads the registry file and one keyring entry.
func (s *Service) Token(ctx context.Context, name string, minValid time.Duration) (*TokenSet, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if !app.GrantType.SignsIn() {
		return s.clientCredentialsToken(ctx, &app, minValid)
	}
	if err := connectionUsable(&app); err != nil {
		return nil, err
	}
	ts, err := s.readTokens(&app)
	if err != nil {
		return nil, err
	}
	if !ts.stale(s.Now(), minValid) {
		return ts, nil
	}
	return s.refresh(ctx, &app, ts)
}

// Refresh renews the tokens now, whatever their expiry.
func (s *Service) Refresh(ctx context.Context, name string) (*TokenSet, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if !app.GrantType.SignsIn() {
		return s.renewClientCredentials(ctx, &app, nil, true)
	}
	if err := connectionUsable(&app); err != nil {
		return nil, err
	}
	return s.refresh(ctx, &app, nil)
}

// connectionUsable stops early, with the recorded reason, for an app that a refresh cannot help.
func connectionUsable(app *App) error {
	c := app.Connection
	switch {
	case c == nil:
		return Failf(ErrNotConnected, "%s is not connected: run `connectedapps connect %q`", app.ProviderName, app.ProviderName)
	case c.State == StateNeedsReauth:
		return Failf(ErrNeedsReauth, "%s needs you to sign in again (%s): run `connectedapps connect %q`", app.ProviderName, c.LastError, app.ProviderName)
	case c.State == StateClientRejected:
		return Failf(ErrClientRejected, "%s: the provider rejected the client (%s): check the client ID and secret with `connectedapps edit %q`, then connect again", app.ProviderName, c.LastError, app.ProviderName)
	}
	return nil
}

// refresh renews app's tokens under the per-app cross-process lock. stale is the token the
// caller found too old (nil: refresh unconditionally). After the lock is taken the keyring
// is read again: if another process refreshed meanwhile its token is used, so any number of
// waiting processes cause one request at the provider.
func (s *Service) refresh(ctx context.Context, app *App, stale *TokenSet) (*TokenSet, error) {
	unlock, err := lockFile(ctx, s.lockPath(app.ID, "refresh"), lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := s.readTokens(app)
	if err != nil {
		return nil, err
	}
	if stale != nil && cur.AccessToken != stale.AccessToken {
		return cur, nil
	}
	if cur.RefreshToken == "" {
		return nil, Failf(ErrNeedsReauth, "%s: the access token has run out and the provider gave no refresh token: run `connectedapps connect %q` to sign in again", app.ProviderName, app.ProviderName)
	}
	secret, err := s.clientSecret(app)
	if err != nil {
		return nil, err
	}
	conf := oauthConfig(app, secret, "")
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client())
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
	if err != nil {
		return nil, s.refreshFailed(app, err)
	}
	next := tokenSetFrom(tok, cur, app.Scopes)
	next.anchorExpiry(tok, s.Now())
	var id *Identity
	if tok.Extra("id_token") != nil && next.IDToken != cur.IDToken {
		got, err := verifyIDToken(ctx, s.HTTP, app, next.IDToken, "", s.Now)
		if err != nil {
			// A token that fails verification is never trusted; but if it names another
			// user (for a fixed issuer, another iss fails verification), the whole answer
			// may be theirs, so it is refused as a verified one for another user is.
			var claimed issuerSubject
			if unverifiedClaims(next.IDToken, &claimed) == nil {
				if mismatch := s.sameSignedInUser(app, cur, Identity{Issuer: claimed.Issuer, Subject: claimed.Subject}, true); mismatch != nil {
					return nil, mismatch
				}
			}
			// Keep the renewed access and refresh tokens (the old refresh token may be dead
			// already), but never an ID token that failed verification.
			s.Log.Warn("refresh returned an ID token that failed verification; it was dropped", "app", app.ProviderName, "error", err)
			next.IDToken = cur.IDToken
		} else if err := s.sameSignedInUser(app, cur, got, false); err != nil {
			// Nothing is written: tokens for another user must not stand in for this
			// app's, even if the old refresh token was rotated away by this answer.
			return nil, err
		} else {
			id = &got
		}
	}
	// The rotated refresh token is stored before the new access token is handed out.
	if err := s.writeTokens(app, next); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		c := Connection{ConnectedAt: now}
		if a.Connection != nil {
			c = *a.Connection
		}
		c.State, c.LastError = StateConnected, ""
		c.ExpiresAt, c.GrantedScopes, c.HasRefreshToken, c.RefreshedAt = next.Expiry, next.Scopes, next.RefreshToken != "", &now
		if id != nil {
			// The same user (sameSignedInUser checked sub), but a refreshed ID token often
			// carries only the required claims: a claim left out keeps what the sign-in
			// learned, so the window does not fall back to a bare subject after a refresh.
			c.Subject = id.Subject
			if id.Name != "" {
				c.Name = id.Name
			}
			if id.Email != "" {
				c.Email = id.Email
			}
		}
		a.Connection = &c
		return nil
	}); err != nil {
		s.Log.Warn("tokens refreshed, but the registry could not record it", "app", app.ProviderName, "error", err)
	}
	return next, nil
}

// refreshFailed classifies a failed refresh. Transient failures change nothing; a refused
// grant or client is recorded so every front end shows it without asking the provider again.
func (s *Service) refreshFailed(app *App, err error) error {
	if refused := refusedRedirect(app, "refresh", "; every token was kept", err); refused != nil {
		return refused // the grant is untouched: nothing reached the provider's real endpoint
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return Failf(ErrTransient, "%s: refresh failed: %w; every token was kept, try again", app.ProviderName, tokenRequestProblem(app, err))
	}
	pe := providerErrorFrom(app, "refresh", re)
	switch {
	case re.ErrorCode == "invalid_grant":
		pe.kind = ErrNeedsReauth
		s.markConnection(app, StateNeedsReauth, pe)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		pe.kind = ErrClientRejected
		s.markConnection(app, StateClientRejected, pe)
	case transientAnswer(re):
		pe.kind = ErrTransient
		return fmt.Errorf("%w; every token was kept, try again later", pe)
	}
	return pe
}

// transientAnswer says an error answer from a token endpoint is worth retrying as it is.
func transientAnswer(re *oauth2.RetrieveError) bool {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return status >= 500 || status == http.StatusTooManyRequests || re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error"
}

// tokenRequestProblem words a token request that got no OAuth answer: either the endpoint
// was not reached, or it answered with something that is not a token (an HTML page, a
// portal, a wrong URL), which "could not reach" would misdescribe.
func tokenRequestProblem(app *App, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		strings.HasPrefix(err.Error(), "oauth2: cannot fetch token") {
		return &fail.Described{Text: fmt.Sprintf("could not reach %s (%s)", app.TokenURI, netProblem(err)), Cause: err}
	}
	return &fail.Described{Text: fmt.Sprintf("%s answered with something that is not a token (%s): check the token URI", app.TokenURI, oneLine(err.Error())), Cause: err}
}

func (s *Service) markConnection(app *App, state ConnectionState, cause *ProviderError) {
	words := CleanText(cause.Code)
	if cause.Description != "" {
		words += ": " + oneLine(CleanText(cause.Description))
	}
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		if a.Connection != nil {
			a.Connection.State, a.Connection.LastError = state, words
		}
		return nil
	}); err != nil {
		s.Log.Warn("could not record the connection state", "app", app.ProviderName, "error", err)
	}
}

// providerErrorFrom reads an OAuth error answer; a body that is not an OAuth error is
// summarised by its HTTP status.
func providerErrorFrom(app *App, step string, re *oauth2.RetrieveError) *ProviderError {
	var sent []string
	if re.Response != nil {
		sent = sentSecrets(re.Response.Request)
	}
	pe := &ProviderError{App: app.ProviderName, Step: step, Code: CleanText(redactSecrets(re.ErrorCode, sent)),
		Description: CleanText(redactSecrets(re.ErrorDescription, sent)), URI: CleanText(redactSecrets(re.ErrorURI, sent))}
	if re.Response != nil {
		pe.Status = re.Response.StatusCode
	}
	if pe.Code == "" {
		pe.Code = fmt.Sprintf("HTTP %d", pe.Status)
		pe.Description = oneLine(CleanText(redactSecrets(string(re.Body), sent))) // redacted before it is cut
	}
	return pe
}

// sameSignedInUser refuses a refreshed ID token for someone other than who signed in: its
// sub must be the connection's subject and its iss the issuer of the stored ID token (for a
// multi-tenant app that includes the tenant). A provider that answers a refresh for another
// account (a bug, a mixed-up session, or an attack) would otherwise swap whose tokens the
// programs get without anyone signing in. onlyNamed compares only the claims got names (for an unverified token, where an absent
// claim says nothing).
func (s *Service) sameSignedInUser(app *App, stored *TokenSet, got Identity, onlyNamed bool) error {
	wantSub := ""
	if saved, err := s.Registry.Find(app.ID); err == nil && saved.Connection != nil {
		wantSub = saved.Connection.Subject // read under the refresh lock: the sign-in's own
	}
	var prev issuerSubject
	_ = unverifiedClaims(stored.IDToken, &prev) // verified when it was stored
	if wantSub == "" {
		wantSub = prev.Subject
	}
	// Only the issuer a sign-in verified counts: an app whose sign-in had no ID token has no
	// identity at an issuer to keep (and a fixed issuer is checked by verification anyway).
	wantIss := prev.Issuer
	subDiffers := wantSub != "" && got.Subject != wantSub && (got.Subject != "" || !onlyNamed)
	issDiffers := wantIss != "" && got.Issuer != wantIss && (got.Issuer != "" || !onlyNamed)
	if subDiffers || issDiffers {
		return Failf(ErrInvalid, "%s: refresh refused: the provider answered for another user (its ID token is for %q at %q, but this app is signed in as %q at %q); every token was kept as it was: if you meant to switch accounts, run `connectedapps connect %q`",
			app.ProviderName, got.Subject, got.Issuer, wantSub, wantIss, app.ProviderName)
	}
	return nil
}

type issuerSubject struct {
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
}

// unverifiedClaims reads a JWT's claims without checking it, for a token that was checked
// when it was stored.
func unverifiedClaims(raw string, v any) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}
