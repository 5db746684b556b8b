package core

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
)

// Userinfo calls the userinfo endpoint with the default account's token (UserinfoFor).
func (s *Service) Userinfo(ctx context.Context, name string) (json.RawMessage, error) {
	return s.UserinfoFor(ctx, name, "")
}

// UserinfoFor calls the userinfo endpoint with a valid access token of the account named
// (as TokenFor) and returns its JSON.
func (s *Service) UserinfoFor(ctx context.Context, name, account string) (json.RawMessage, error) {
	app, acct, err := s.findAccount(name, account)
	if err != nil {
		return nil, err
	}
	if app.UserinfoURI == "" {
		return nil, Failf(ErrInvalid, "%s has no userinfo URI", app.ProviderName).With(fail.AddEndpointTo(app.ProviderName, "userinfo_uri"))
	}
	accountID := ""
	if acct != nil {
		accountID = acct.ID
	}
	ts, err := s.TokenFor(ctx, app.ID, accountID, DefaultMinValid)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.UserinfoURI, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", ts.Type()+" "+ts.AccessToken)
	req.Header.Set("Accept", "application/json")
	return oauth.DoJSON(s.HTTP, &app, "userinfo", req)
}

// Introspect asks the introspection endpoint about the default account's token (IntrospectFor).
func (s *Service) Introspect(ctx context.Context, name string) (json.RawMessage, error) {
	return s.IntrospectFor(ctx, name, "")
}

// IntrospectFor asks the introspection endpoint (RFC 7662) about the current access token of
// the account named (as TokenFor).
func (s *Service) IntrospectFor(ctx context.Context, name, account string) (json.RawMessage, error) {
	app, acct, err := s.findAccount(name, account)
	if err != nil {
		return nil, err
	}
	if app.IntrospectionURI == "" {
		return nil, Failf(ErrInvalid, "%s has no introspection URI", app.ProviderName).With(fail.AddEndpointTo(app.ProviderName, "introspection_uri"))
	}
	if err := connectionUsable(&app, acct); err != nil {
		return nil, err
	}
	// The token as stored, not refreshed: introspection is how a person checks what is held.
	ts, err := s.readTokens(&app, acct)
	if err != nil {
		return nil, err
	}
	form := url.Values{"token": {ts.AccessToken}, "token_type_hint": {"access_token"}}
	secret, err := s.clientSecret(&app)
	if err != nil {
		return nil, err
	}
	return oauth.PostClientAuth(ctx, s.HTTP, &app, secret, "introspection", app.IntrospectionURI, form)
}

// revoke revokes the grant ts holds at the provider (see oauth.Revoke), with the client
// secret from the store.
func (s *Service) revoke(ctx context.Context, app *App, ts *TokenSet) error {
	secret, err := s.clientSecret(app)
	if err != nil {
		return err
	}
	return oauth.Revoke(ctx, s.HTTP, app, secret, ts)
}
