package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"

	"golang.org/x/oauth2"
)

// DefaultMinValid is how long a token handed out must still be valid; sooner than that it
// is refreshed first.
const DefaultMinValid = 60 * time.Second

// Token returns a valid access token for name's default account, refreshing first when it
// expires within minValid (TokenFor, for no account named).
func (s *Service) Token(ctx context.Context, name string, minValid time.Duration) (*TokenSet, error) {
	return s.TokenFor(ctx, name, "", minValid)
}

// TokenFor returns a valid access token for the account of name that account names (email,
// subject or ID; "" the default), refreshing first when it expires within minValid. When no
// refresh is needed this reads the registry file and one keyring entry.
func (s *Service) TokenFor(ctx context.Context, name, account string, minValid time.Duration) (*TokenSet, error) {
	s.prepareSecrets() // connects to the keyring while the registry is read
	app, acct, err := s.findAccount(name, account)
	if err != nil {
		return nil, err
	}
	if !app.GrantType.SignsIn() {
		return s.clientCredentialsToken(ctx, &app, minValid)
	}
	if err := connectionUsable(&app, acct); err != nil {
		return nil, err
	}
	ts, err := s.readTokens(&app, acct)
	if err != nil {
		return nil, err
	}
	if acct.LegacyTokens {
		s.moveLegacyTokens(&app, acct) // once: an apps.json of before accounts
	}
	if !ts.Stale(s.Now(), minValid) {
		return ts, nil
	}
	return s.refresh(ctx, &app, acct, ts)
}

// Refresh renews the default account's tokens now, whatever their expiry.
func (s *Service) Refresh(ctx context.Context, name string) (*TokenSet, error) {
	return s.RefreshFor(ctx, name, "")
}

// RefreshFor renews the tokens of the account named (as TokenFor) now, whatever their expiry.
func (s *Service) RefreshFor(ctx context.Context, name, account string) (*TokenSet, error) {
	app, acct, err := s.findAccount(name, account)
	if err != nil {
		return nil, err
	}
	if !app.GrantType.SignsIn() {
		return s.renewClientCredentials(ctx, &app, nil, true)
	}
	if err := connectionUsable(&app, acct); err != nil {
		return nil, err
	}
	return s.refresh(ctx, &app, acct, nil)
}

// connectionUsable stops early, with the recorded reason, for an account that a refresh cannot help.
func connectionUsable(app *App, acct *Account) error {
	if acct == nil {
		return Failf(ErrNotConnected, "%s is not connected", app.ProviderName).With(fail.ReconnectApp(app.ProviderName))
	}
	c, as := &acct.Connection, asAccount(app, acct)
	switch {
	case c.State == StateNeedsReauth:
		return Failf(ErrNeedsReauth, "%s needs you to sign in again%s (%s)", app.ProviderName, as, c.LastError).With(fail.ReconnectApp(app.ProviderName))
	case c.State == StateClientRejected:
		return Failf(ErrClientRejected, "%s: the provider rejected the client (%s)", app.ProviderName, c.LastError).With(fail.CheckClientOf(app.ProviderName))
	}
	return nil
}

// refresh renews an account's tokens under its cross-process refresh lock. stale is the token the
// caller found too old (nil: refresh unconditionally). After the lock is taken the keyring
// is read again: if another process refreshed meanwhile its token is used, so any number of
// waiting processes cause one request at the provider.
func (s *Service) refresh(ctx context.Context, app *App, acct *Account, stale *TokenSet) (*TokenSet, error) {
	unlock, err := lockFile(ctx, s.accountLock(app.ID, acct.ID), lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := s.readTokens(app, acct)
	if err != nil {
		return nil, err
	}
	if stale != nil && cur.AccessToken != stale.AccessToken {
		return cur, nil
	}
	if cur.RefreshToken == "" {
		if cur.Expiry != nil && !s.Now().Before(*cur.Expiry) {
			s.ranOut(app, acct)
		}
		return nil, Failf(ErrNeedsReauth, "%s: the access token has run out and the provider gave no refresh token", app.ProviderName).With(fail.ReconnectApp(app.ProviderName))
	}
	secret, err := s.clientSecret(app)
	if err != nil {
		return nil, err
	}
	conf := oauth.Config(app, secret, "")
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client())
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
	if err != nil {
		return nil, s.refreshFailed(app, acct, err)
	}
	next := oauth.TokenSetFrom(tok, cur, app.Scopes)
	next.AnchorExpiry(tok, s.Now())
	var id *Identity
	if tok.Extra("id_token") != nil && next.IDToken != cur.IDToken {
		got, err := oauth.VerifyIDToken(ctx, s.HTTP, app, next.IDToken, "", s.Now)
		if err != nil {
			// A token that fails verification is never trusted; but if it names another
			// user (for a fixed issuer, another iss fails verification), the whole answer
			// may be theirs, so it is refused as a verified one for another user is.
			var claimed oauth.IssuerSubject
			if oauth.UnverifiedClaims(next.IDToken, &claimed) == nil {
				if mismatch := s.sameSignedInUser(app, acct, cur, Identity{Issuer: claimed.Issuer, Subject: claimed.Subject}, true); mismatch != nil {
					return nil, mismatch
				}
			}
			// Keep the renewed access and refresh tokens (the old refresh token may be dead
			// already), but never an ID token that failed verification.
			s.Log.Warn("refresh returned an ID token that failed verification; it was dropped", "app", app.ProviderName, "error", err)
			next.IDToken = cur.IDToken
		} else if err := s.sameSignedInUser(app, acct, cur, got, false); err != nil {
			// Nothing is written: tokens for another user must not stand in for this
			// app's, even if the old refresh token was rotated away by this answer.
			return nil, err
		} else {
			id = &got
		}
	}
	// The rotated refresh token is stored before the new access token is handed out.
	if err := s.writeTokens(app, acct, next); err != nil {
		return nil, err
	}
	rotated := next.RefreshToken != cur.RefreshToken
	s.recordRenewal(app, acct.ID, next, "tokens refreshed", func(c *Connection, now time.Time) {
		c.RefreshedAt = &now
		// Refresh-token health: this refresh used the token, and a rotated one was issued now.
		c.RefreshTokenUsedAt = &now
		if rotated && next.RefreshToken != "" {
			c.RefreshTokenIssuedAt = &now
		}
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
	})
	s.fire(app, acct.Label(), EventRefreshed, next.Expiry)
	return next, nil
}

// recordRenewal writes the facts of renewed tokens on the account's connection (made now if it
// had none; RefreshedAt is now for one it had), then change's own; a registry that cannot be
// written is logged, not returned, since the tokens are stored already.
func (s *Service) recordRenewal(app *App, accountID string, ts *TokenSet, what string, change func(c *Connection, now time.Time)) {
	now := s.Now().UTC()
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		acct := Account{ID: accountID, Connection: Connection{ConnectedAt: now}}
		if cur := a.FindAccount(accountID); cur != nil {
			acct = *cur
			acct.RefreshedAt = &now
		}
		c := &acct.Connection
		c.State, c.LastError = StateConnected, ""
		c.ExpiresAt, c.GrantedScopes, c.HasRefreshToken = ts.Expiry, ts.Scopes, ts.RefreshToken != ""
		change(c, now)
		a.PutAccount(acct)
		return nil
	}); err != nil {
		s.Log.Warn(what+", but the registry could not record it", "app", app.ProviderName, "error", err)
	}
}

// refreshFailed classifies a failed refresh. Transient failures change nothing; a refused
// grant or client is recorded so every front end shows it without asking the provider again.
func (s *Service) refreshFailed(app *App, acct *Account, err error) error {
	if refused := oauth.RefusedRedirect(app, "refresh", "; every token was kept", err); refused != nil {
		return refused // the grant is untouched: nothing reached the provider's real endpoint
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return Failf(ErrTransient, "%s: refresh failed: %w; every token was kept, try again", app.ProviderName, oauth.TokenRequestProblem(app, err))
	}
	pe := oauth.ProviderErrorFrom(app, "refresh", re)
	switch {
	case re.ErrorCode == "invalid_grant":
		pe.Kind = ErrNeedsReauth
		s.markConnection(app, acct.ID, StateNeedsReauth, pe)
		s.fire(app, acct.Label(), EventNeedsReauth, nil)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		pe.Kind = ErrClientRejected
		s.markConnection(app, acct.ID, StateClientRejected, pe)
	case oauth.TransientAnswer(re):
		pe.Kind = ErrTransient
		return fmt.Errorf("%w; every token was kept, try again later", pe)
	}
	return pe
}

// ranOutWords is the LastError of an account whose access token ran out with no refresh token.
const ranOutWords = "the access token has run out and the provider gave no refresh token"

// ranOut records an account whose access token has run out and that
// holds no refresh token as needing a new sign-in, as a refused grant is, so every front end
// shows it and the next call stops before the keyring; needs_reauth is fired by the one call
// that made the change, so a token asked for again and again (or by several processes at
// once) fires it once per expiry. A token only near its expiry is not recorded: it still works.
// Called under the account's refresh lock.
func (s *Service) ranOut(app *App, acct *Account) {
	changed := false
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		if c := a.FindAccount(acct.ID); c != nil && c.State != StateNeedsReauth {
			c.State, c.LastError, changed = StateNeedsReauth, ranOutWords, true
		}
		return nil
	}); err != nil {
		s.Log.Warn("could not record the connection state", "app", app.ProviderName, "error", err)
		return
	}
	if changed {
		s.fire(app, acct.Label(), EventNeedsReauth, nil) // as for a refused grant: no expiry to tell
	}
}

func (s *Service) markConnection(app *App, accountID string, state ConnectionState, cause *ProviderError) {
	words := CleanText(cause.Code)
	if cause.Description != "" {
		words += ": " + oneLine(CleanText(cause.Description))
	}
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		if c := a.FindAccount(accountID); c != nil {
			c.State, c.LastError = state, words
		}
		return nil
	}); err != nil {
		s.Log.Warn("could not record the connection state", "app", app.ProviderName, "error", err)
	}
}

// sameSignedInUser refuses a refreshed ID token for someone other than who signed in: its
// sub must be the connection's subject and its iss the issuer of the stored ID token (for a
// multi-tenant app that includes the tenant). A provider that answers a refresh for another
// account (a bug, a mixed-up session, or an attack) would otherwise swap whose tokens the
// programs get without anyone signing in. onlyNamed compares only the claims got names (for an unverified token, where an absent
// claim says nothing).
func (s *Service) sameSignedInUser(app *App, acct *Account, stored *TokenSet, got Identity, onlyNamed bool) error {
	wantSub := ""
	if saved, err := s.Registry.Find(app.ID); err == nil && saved.FindAccount(acct.ID) != nil {
		wantSub = saved.FindAccount(acct.ID).Subject // read under the refresh lock: the sign-in's own
	}
	var prev oauth.IssuerSubject
	_ = oauth.UnverifiedClaims(stored.IDToken, &prev) // verified when it was stored
	if wantSub == "" {
		wantSub = prev.Subject
	}
	// Only the issuer a sign-in verified counts: an app whose sign-in had no ID token has no
	// identity at an issuer to keep (and a fixed issuer is checked by verification anyway).
	wantIss := prev.Issuer
	subDiffers := wantSub != "" && got.Subject != wantSub && (got.Subject != "" || !onlyNamed)
	issDiffers := wantIss != "" && got.Issuer != wantIss && (got.Issuer != "" || !onlyNamed)
	if subDiffers || issDiffers {
		return Failf(ErrInvalid, "%s: refresh refused: the provider answered for another user (its ID token is for %q at %q, but this app is signed in as %q at %q); every token was kept as it was; to switch accounts, sign in again",
			app.ProviderName, got.Subject, got.Issuer, wantSub, wantIss).With(fail.ReconnectApp(app.ProviderName))
	}
	return nil
}
