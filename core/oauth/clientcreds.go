package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentials asks the token endpoint for a token with the client's own
// credentials (RFC 6749 section 4.4), authenticating the way the app is set up to.
func ClientCredentials(ctx context.Context, hc *http.Client, app *App, secret string, now time.Time) (*TokenSet, error) {
	conf := Config(app, secret, "")
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
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, Client(hc)))
	if err != nil {
		return nil, TokenRequestError(app, "token request", err)
	}
	tok = WithExpiresIn(tok)
	ts := TokenSetFrom(tok, nil, app.Scopes)
	ts.AnchorExpiry(tok, now)
	// RFC 6749 4.4.3: no refresh token is expected, and one sent anyway is not needed since a
	// new token is simply fetched. An ID token here has no sign-in or nonce to be checked
	// against, so it is not kept.
	ts.RefreshToken, ts.IDToken = "", ""
	return ts, nil
}

// WithExpiresIn fills tok.ExpiresIn from the raw answer: clientcredentials leaves it out, as
// x/oauth2 does for every form-encoded answer, and without it the expiry would be counted
// from the wall clock rather than the service's.
func WithExpiresIn(tok *oauth2.Token) *oauth2.Token {
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
