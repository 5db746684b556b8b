package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// revoke tells the provider to revoke the grant (RFC 7009): the refresh token when one is
// held (which ends the whole grant at most providers), else the access token.
func (s *Service) revoke(ctx context.Context, app *App, ts *TokenSet) error {
	form := url.Values{}
	if ts.RefreshToken != "" {
		form.Set("token", ts.RefreshToken)
		form.Set("token_type_hint", "refresh_token")
	} else {
		form.Set("token", ts.AccessToken)
		form.Set("token_type_hint", "access_token")
	}
	_, err := s.postClientAuth(ctx, app, "revocation", app.RevocationURI, form)
	return err
}

// Userinfo calls the userinfo endpoint with a valid access token and returns its JSON.
func (s *Service) Userinfo(ctx context.Context, name string) (json.RawMessage, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if app.UserinfoURI == "" {
		return nil, Failf(ErrInvalid, "%s has no userinfo URI: add one with `connectedapps edit %q --userinfo-url URL`", app.ProviderName, app.ProviderName)
	}
	ts, err := s.Token(ctx, app.ID, DefaultMinValid)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.UserinfoURI, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", ts.Type()+" "+ts.AccessToken)
	req.Header.Set("Accept", "application/json")
	return s.doJSON(&app, "userinfo", req)
}

// Introspect asks the introspection endpoint (RFC 7662) about the current access token.
func (s *Service) Introspect(ctx context.Context, name string) (json.RawMessage, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return nil, err
	}
	if app.IntrospectionURI == "" {
		return nil, Failf(ErrInvalid, "%s has no introspection URI: add one with `connectedapps edit %q --introspection-url URL`", app.ProviderName, app.ProviderName)
	}
	if err := connectionUsable(&app); err != nil {
		return nil, err
	}
	// The token as stored, not refreshed: introspection is how a person checks what is held.
	ts, err := s.readTokens(&app)
	if err != nil {
		return nil, err
	}
	form := url.Values{"token": {ts.AccessToken}, "token_type_hint": {"access_token"}}
	return s.postClientAuth(ctx, &app, "introspection", app.IntrospectionURI, form)
}

// postClientAuth POSTs a form to one of the provider's endpoints, authenticated the way the
// app authenticates at its token endpoint.
func (s *Service) postClientAuth(ctx context.Context, app *App, step, endpoint string, form url.Values) (json.RawMessage, error) {
	secret, err := s.clientSecret(app)
	if err != nil {
		return nil, err
	}
	method := app.EffectiveAuthMethod()
	switch method {
	case AuthMethodPost:
		form.Set("client_id", app.ClientID)
		form.Set("client_secret", secret)
	case AuthMethodNone:
		form.Set("client_id", app.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == AuthMethodBasic {
		req.SetBasicAuth(url.QueryEscape(app.ClientID), url.QueryEscape(secret))
	}
	return s.doJSON(app, step, req)
}

// doJSON sends req and returns a 2xx JSON body (or nothing, for revocation's empty 200); an
// error answer becomes a ProviderError.
func (s *Service) doJSON(app *App, step string, req *http.Request) (json.RawMessage, error) {
	resp, err := s.client().Do(req)
	if err != nil {
		if refused := refusedRedirect(app, step, "", err); refused != nil {
			return nil, refused
		}
		return nil, Failf(ErrTransient, "%s: %s at %s failed: %w", app.ProviderName, step, req.URL.Redacted(), describeNetError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, Failf(ErrTransient, "%s: %s at %s failed while reading the answer: %w", app.ProviderName, step, req.URL.Redacted(), describeNetError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var oe struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &oe)
		sent := sentSecrets(req)
		pe := &ProviderError{App: app.ProviderName, Step: step, Code: CleanText(redactSecrets(oe.Error, sent)),
			Description: CleanText(redactSecrets(oe.ErrorDescription, sent)), Status: resp.StatusCode}
		if pe.Code == "" {
			pe.Code = "HTTP " + resp.Status
		}
		switch {
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			pe.kind = ErrTransient
		case oe.Error == "invalid_client" || oe.Error == "unauthorized_client":
			pe.kind = ErrClientRejected
		case resp.StatusCode == http.StatusUnauthorized && step == "userinfo":
			pe.kind = ErrNeedsReauth
		}
		return nil, pe
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, nil
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%s: %s at %s answered with something that is not JSON: check the URI", app.ProviderName, step, req.URL.Redacted())
	}
	return json.RawMessage(body), nil
}
