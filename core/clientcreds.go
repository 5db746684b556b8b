package core

import (
	"context"
	"errors"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
)

// checkGrantSecret refuses a client credentials app that could never get a token: the grant
// authenticates the client alone, so it needs the client secret, unless the person says the
// provider accepts the client without one (auth method none).
func checkGrantSecret(app *App, hasSecret bool) error {
	if !app.GrantType.SignsIn() && !hasSecret && app.TokenEndpointAuthMethod != AuthMethodNone {
		return &ValidationError{Field: "client_secret", Message: "the client credentials grant needs the client secret (or the auth method none, if the provider accepts this client without one)"}
	}
	return nil
}

// clientCredentialsToken is Token for an app with the client credentials grant. Nobody signs
// in and there is no refresh token: a missing or stale token is simply fetched again, under
// the same per-app lock and re-check as a refresh.
func (s *Service) clientCredentialsToken(ctx context.Context, app *App, minValid time.Duration) (*TokenSet, error) {
	acct := clientAccount(app)
	if acct.State == StateClientRejected {
		return nil, connectionUsable(app, acct) // asking again with the same client would be refused again
	}
	ts, err := s.readTokens(app, acct)
	switch {
	case errors.Is(err, ErrNotConnected), errors.Is(err, ErrNeedsReauth): // none yet, or unreadable: fetch one
		ts = nil
	case err != nil:
		return nil, err
	case !ts.Stale(s.Now(), minValid):
		return ts, nil
	}
	return s.renewClientCredentials(ctx, app, ts, false)
}

// clientAccount is the one account of a client credentials app: the client's own (its
// default, or a new one named AnonymousAccount when it has none yet).
func clientAccount(app *App) *Account {
	if d := app.Default(); d != nil {
		return d
	}
	return &Account{ID: AnonymousAccount}
}

// connectClientCredentials is Connect for the client credentials grant: the first token.
func (s *Service) connectClientCredentials(ctx context.Context, app *App) (*ConnectResult, error) {
	ts, err := s.renewClientCredentials(ctx, app, nil, true)
	if err != nil {
		return nil, err
	}
	saved, err := s.Registry.Find(app.ID)
	if err != nil {
		return nil, err
	}
	return &ConnectResult{App: saved, Tokens: ts}, nil
}

// renewClientCredentials fetches a token under the per-app lock. seen is the token the caller
// found stale (nil: it found none). Unless force is set, the keyring is read again once the
// lock is held, and a token another process stored meanwhile is used instead, so any number
// of waiting scripts cause one request at the provider.
func (s *Service) renewClientCredentials(ctx context.Context, app *App, seen *TokenSet, force bool) (*TokenSet, error) {
	acct := clientAccount(app)
	unlock, err := lockFile(ctx, s.accountLock(app.ID, acct.ID), lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !force {
		cur, err := s.readTokens(app, acct)
		switch {
		case err == nil && (seen == nil || cur.AccessToken != seen.AccessToken):
			return cur, nil
		case err != nil && !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrNeedsReauth):
			return nil, err
		}
	}
	ts, err := s.fetchClientCredentials(ctx, app)
	if err != nil {
		return nil, err
	}
	if err := s.writeTokens(app, acct, ts); err != nil {
		return nil, err
	}
	// Every fetch asks for the document's current scopes, so nothing waits for a reconnect.
	s.recordRenewal(app, acct.ID, ts, "token fetched", func(c *Connection, _ time.Time) { c.ReconnectToApply = false })
	ev := EventRefreshed
	if app.Connection() == nil {
		ev = EventConnected // the first token of a client that had none
	}
	s.fire(app, "", ev, ts.Expiry)
	return ts, nil
}

// recordRejection records a refused client (classified by oauth.TokenRequestError) on the
// connection, when there is one to record it on, so later calls stop early with the
// provider's words; every other failure is returned as it is.
func (s *Service) recordRejection(app *App, err error) error {
	if pe := (*ProviderError)(nil); errors.As(err, &pe) && pe.Kind == ErrClientRejected {
		s.markConnection(app, clientAccount(app).ID, StateClientRejected, pe)
	}
	return err
}

// fetchClientCredentials asks for a token with the client's own credentials (see
// oauth.ClientCredentials), with the secret from the store; a refused client is recorded.
func (s *Service) fetchClientCredentials(ctx context.Context, app *App) (*TokenSet, error) {
	secret, err := s.clientSecret(app)
	if err != nil {
		return nil, err
	}
	if secret == "" && app.EffectiveAuthMethod().SendsSecret() {
		return nil, Failf(ErrClientRejected, "%s: the client credentials grant needs the client secret, and none is stored", app.ProviderName).With(fail.SetSecretOf(app.ProviderName))
	}
	ts, err := oauth.ClientCredentials(ctx, s.HTTP, app, secret, s.Now())
	if err != nil {
		return nil, s.recordRejection(app, err)
	}
	return ts, nil
}
