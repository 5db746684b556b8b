package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Revoke tells the provider to revoke the grant (RFC 7009): the refresh token when one is
// held (which ends the whole grant at most providers), else the access token.
func Revoke(ctx context.Context, hc *http.Client, app *App, secret string, ts *TokenSet) error {
	form := url.Values{}
	if ts.RefreshToken != "" {
		form.Set("token", ts.RefreshToken)
		form.Set("token_type_hint", "refresh_token")
	} else {
		form.Set("token", ts.AccessToken)
		form.Set("token_type_hint", "access_token")
	}
	_, err := PostClientAuth(ctx, hc, app, secret, "revocation", app.RevocationURI, form)
	return err
}

// PostClientAuth POSTs a form to one of the provider's endpoints, authenticated the way the
// app authenticates at its token endpoint.
func PostClientAuth(ctx context.Context, hc *http.Client, app *App, secret, step, endpoint string, form url.Values) (json.RawMessage, error) {
	method := app.EffectiveAuthMethod()
	switch method {
	case authMethodPost:
		form.Set("client_id", app.ClientID)
		form.Set("client_secret", secret)
	case authMethodNone:
		form.Set("client_id", app.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == authMethodBasic {
		req.SetBasicAuth(url.QueryEscape(app.ClientID), url.QueryEscape(secret))
	}
	return DoJSON(hc, app, step, req)
}

// DoJSON sends req and returns a 2xx JSON body (or nothing, for revocation's empty 200); an
// error answer becomes a ProviderError.
func DoJSON(hc *http.Client, app *App, step string, req *http.Request) (json.RawMessage, error) {
	resp, err := Client(hc).Do(req)
	if err != nil {
		if refused := RefusedRedirect(app, step, "", err); refused != nil {
			return nil, refused
		}
		return nil, failf(errTransient, "%s: %s at %s failed: %w", app.ProviderName, step, req.URL.Redacted(), describeNetError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, failf(errTransient, "%s: %s at %s failed while reading the answer: %w", app.ProviderName, step, req.URL.Redacted(), describeNetError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var oe struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &oe)
		sent := sentSecrets(req)
		pe := &ProviderError{App: app.ProviderName, Step: step, Code: cleanText(redactSecrets(oe.Error, sent)),
			Description: cleanText(redactSecrets(oe.ErrorDescription, sent)), Status: resp.StatusCode}
		if pe.Code == "" {
			pe.Code = "HTTP " + resp.Status
		}
		switch {
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			pe.Kind = errTransient
		case oe.Error == "invalid_client" || oe.Error == "unauthorized_client":
			pe.Kind = errClientRejected
		case resp.StatusCode == http.StatusUnauthorized && step == "userinfo":
			pe.Kind = errNeedsReauth
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
