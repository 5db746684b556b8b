package core

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
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
	if c := app.Connection; c != nil && c.State == StateClientRejected {
		return nil, connectionUsable(app) // asking again with the same client would be refused again
	}
	ts, err := s.readTokens(app)
	switch {
	case errors.Is(err, ErrNotConnected), errors.Is(err, ErrNeedsReauth): // none yet, or unreadable: fetch one
		ts = nil
	case err != nil:
		return nil, err
	case !ts.stale(s.Now(), minValid):
		return ts, nil
	}
	return s.renewClientCredentials(ctx, app, ts, false)
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
	unlock, err := lockFile(ctx, s.lockPath(app.ID, "refresh"), lockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !force {
		cur, err := s.readTokens(app)
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
	if err := s.writeTokens(app, ts); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		c := Connection{ConnectedAt: now}
		if a.Connection != nil {
			c = *a.Connection
			c.RefreshedAt = &now
		}
		// Every fetch asks for the document's current scopes, so nothing waits for a reconnect.
		c.State, c.LastError, c.ReconnectToApply = StateConnected, "", false
		c.ExpiresAt, c.GrantedScopes, c.HasRefreshToken = ts.Expiry, ts.Scopes, false
		a.Connection = &c
		return nil
	}); err != nil {
		s.Log.Warn("token fetched, but the registry could not record it", "app", app.ProviderName, "error", err)
	}
	return ts, nil
}

// fetchClientCredentials asks the token endpoint for a token with the client's own
// credentials (RFC 6749 section 4.4), authenticating the way the app is set up to.
func (s *Service) fetchClientCredentials(ctx context.Context, app *App) (*TokenSet, error) {
	secret, err := s.clientSecret(app)
	if err != nil {
		return nil, err
	}
	if secret == "" && app.EffectiveAuthMethod().SendsSecret() {
		return nil, Failf(ErrClientRejected, "%s: the client credentials grant needs the client secret, and none is stored: run `connectedapps edit %q --client-secret-stdin`", app.ProviderName, app.ProviderName)
	}
	conf := oauthConfig(app, secret, "")
	// There is no authorization request, so the extra parameters (Auth0's audience, Entra's
	// resource) go with the token request. grant_type is the grant's own; clientcredentials
	// would let a parameter replace it.
	params := url.Values{}
	for _, p := range app.QueryParameters {
		if p.Key != "grant_type" {
			params.Set(p.Key, p.Value)
		}
	}
	cc := &clientcredentials.Config{ClientID: conf.ClientID, ClientSecret: conf.ClientSecret, TokenURL: app.TokenURI,
		Scopes: app.Scopes, EndpointParams: params, AuthStyle: conf.Endpoint.AuthStyle}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.client()))
	if err != nil {
		return nil, s.tokenRequestFailed(app, "token request", err)
	}
	tok = withExpiresIn(tok)
	ts := tokenSetFrom(tok, nil, app.Scopes)
	ts.anchorExpiry(tok, s.Now())
	// RFC 6749 4.4.3: no refresh token is expected, and one sent anyway is not needed since a
	// new token is simply fetched. An ID token here has no sign-in or nonce to be checked
	// against, so it is not kept.
	ts.RefreshToken, ts.IDToken = "", ""
	return ts, nil
}

// withExpiresIn fills tok.ExpiresIn from the raw answer: clientcredentials leaves it out, as
// x/oauth2 does for every form-encoded answer, and without it the expiry would be counted
// from the wall clock rather than the service's.
func withExpiresIn(tok *oauth2.Token) *oauth2.Token {
	if tok.ExpiresIn != 0 {
		return tok
	}
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		tok.ExpiresIn = int64(v)
	case int64:
		tok.ExpiresIn = v
	case string:
		tok.ExpiresIn, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	}
	return tok
}

// tokenRequestFailed classifies a failed token request that is not a refresh: a network
// failure or an overloaded provider is temporary; a refused client is recorded (when there is
// a connection to record it on) so later calls stop early with the provider's words.
func (s *Service) tokenRequestFailed(app *App, step string, err error) error {
	if refused := refusedRedirect(app, step, "", err); refused != nil {
		return refused
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return Failf(ErrTransient, "%s: %s failed: %w; try again", app.ProviderName, step, tokenRequestProblem(app, err))
	}
	pe := providerErrorFrom(app, step, re)
	switch {
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		pe.kind = ErrClientRejected
		s.markConnection(app, StateClientRejected, pe)
	case transientAnswer(re):
		pe.kind = ErrTransient
	}
	return pe
}
